package source

import (
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// typeMeta is what the loader reads first from every document to decide how
// to decode the rest.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// newObject returns an empty typed object for apiVersion/kind, or nil for a
// kind hopscope does not model. Only the API versions a current cluster
// serves are accepted; an old extensions/v1beta1 Ingress is skipped and
// counted rather than decoded into a shape it does not have.
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "v1/Pod":
		return &corev1.Pod{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/Endpoints":
		return &corev1.Endpoints{}
	case "discovery.k8s.io/v1/EndpointSlice":
		return &discoveryv1.EndpointSlice{}
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}
	case "networking.k8s.io/v1/IngressClass":
		return &networkingv1.IngressClass{}
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}
	case "v1/Namespace":
		return &corev1.Namespace{}
	case "v1/Node":
		return &corev1.Node{}
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "v1/Secret":
		// Only metadata is decoded: the fields that hold secret data do not
		// exist in this type, so they are never held in memory as values.
		return &metav1.PartialObjectMetadata{}
	case "v1/Event":
		return &corev1.Event{}
	case "events.k8s.io/v1/Event":
		return &eventsv1.Event{}
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}
	case "apps/v1/ReplicaSet":
		return &appsv1.ReplicaSet{}
	case "v1/ReplicationController":
		return &corev1.ReplicationController{}
	case "batch/v1/Job":
		return &batchv1.Job{}
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}
	}
	return newGatewayObject(apiVersion, kind)
}

// clusterScoped kinds keep an empty namespace.
func clusterScoped(kind string) bool {
	switch kind {
	case snapshot.KindNamespace, snapshot.KindNode, snapshot.KindIngressClass:
		return true
	}
	return gatewayClusterScoped(kind)
}

// isList reports whether kind names a list wrapper (List, PodList, ...).
func isList(kind string) bool {
	return kind == "List" || (strings.HasSuffix(kind, "List") && len(kind) > 4)
}

// normalize prepares a freshly decoded object for the snapshot: the
// events.k8s.io form of Event becomes the core form, Secrets are marked as
// such, and namespaced objects without a namespace get defaultNS as
// `kubectl apply -n` would give them.
func normalize(obj any, kind string, defaultNS string) (any, error) {
	if ev, ok := obj.(*eventsv1.Event); ok {
		obj = convertEvent(ev)
	}
	if pm, ok := obj.(*metav1.PartialObjectMetadata); ok {
		pm.Kind, pm.APIVersion = snapshot.KindSecret, "v1"
	}
	meta, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	if meta.GetName() == "" && meta.GetGenerateName() == "" {
		return nil, fmt.Errorf("%s has no metadata.name", kind)
	}
	if clusterScoped(kind) {
		meta.SetNamespace("")
	} else if meta.GetNamespace() == "" {
		ns := defaultNS
		if ns == "" {
			ns = "default"
		}
		meta.SetNamespace(ns)
	}
	if err := nameError(kind, meta); err != nil {
		return nil, err
	}
	if meta.GetName() == "" {
		meta.SetName(meta.GetGenerateName())
	}
	return obj, nil
}

func metaOf(obj any) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("internal: %T has no object metadata", obj)
	}
	return m, nil
}

// convertEvent maps an events.k8s.io/v1 Event onto the core/v1 shape the
// snapshot keeps, so that checks read one form of Event.
func convertEvent(e *eventsv1.Event) *corev1.Event {
	out := &corev1.Event{
		TypeMeta:       metav1.TypeMeta{APIVersion: "v1", Kind: snapshot.KindEvent},
		ObjectMeta:     e.ObjectMeta,
		InvolvedObject: e.Regarding,
		Reason:         e.Reason,
		Message:        e.Note,
		Type:           e.Type,
		EventTime:      e.EventTime,
		Action:         e.Action,
		Source:         corev1.EventSource{Component: e.ReportingController},
		FirstTimestamp: e.DeprecatedFirstTimestamp,
		LastTimestamp:  e.DeprecatedLastTimestamp,
		Count:          e.DeprecatedCount,
	}
	if e.Series != nil {
		out.Count = e.Series.Count
		out.LastTimestamp = metav1.Time{Time: e.Series.LastObservedTime.Time}
	}
	return out
}
