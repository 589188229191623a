package checks

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var apiVersionChecks = []*diagnose.Check{manifestAPIVersionRemoved}

var manifestAPIVersionRemoved = &diagnose.Check{
	ID:       "manifest-api-version-removed",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "A manifest writes an object in an API version that API servers no longer serve (extensions/v1beta1, apps/v1beta1, networking.k8s.io/v1beta1...): `kubectl apply` fails on every release since its removal. On a dump of a running cluster the objects exist, and the finding is information: the cluster runs a release older than the removal. The finding's layer is the object's.",
	Run:      runManifestAPIVersionRemoved,
}

// removedObject is an object the input wrote in a removed API version.
type removedObject struct {
	ref     snapshot.ObjectRef
	meta    metav1.Object
	origin  snapshot.Origin
	removed snapshot.RemovedAPI
}

func runManifestAPIVersionRemoved(s *snapshot.Snapshot, r *diagnose.Reporter) {
	// Objects of a capture are grouped by version and kind: a dump of a
	// 1.18 cluster holds hundreds of them, and one note per version says
	// what there is to say.
	captured := map[snapshot.RemovedAPI][]removedObject{}
	for _, o := range removedObjects(s) {
		if fromCluster(s, o.meta) {
			captured[o.removed] = append(captured[o.removed], o)
			continue
		}
		r.Report(removedManifestFinding(o))
	}
	keys := make([]snapshot.RemovedAPI, 0, len(captured))
	for k := range captured {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Kind != keys[j].Kind {
			return keys[i].Kind < keys[j].Kind
		}
		return keys[i].APIVersion < keys[j].APIVersion
	})
	for _, k := range keys {
		r.Report(removedCaptureFinding(captured[k]))
	}
}

// removedObjects lists, in input order kind by kind, the objects whose
// origin records a removed API version.
func removedObjects(s *snapshot.Snapshot) []removedObject {
	var out []removedObject
	add := func(kind string, meta metav1.Object) {
		ref := snapshot.Ref(kind, meta)
		o, ok := s.Origin(ref)
		if !ok || o.APIVersion == "" {
			return
		}
		if rm, ok := snapshot.RemovedAPIOf(o.APIVersion, kind); ok {
			out = append(out, removedObject{ref: ref, meta: meta, origin: o, removed: rm})
		}
	}
	removedOfKind(snapshot.KindIngress, s.Ingresses, add)
	removedOfKind(snapshot.KindIngressClass, s.IngressClasses, add)
	removedOfKind(snapshot.KindNetworkPolicy, s.NetworkPolicies, add)
	removedOfKind(snapshot.KindEndpointSlice, s.EndpointSlices, add)
	removedOfKind(snapshot.KindDeployment, s.Deployments, add)
	removedOfKind(snapshot.KindStatefulSet, s.StatefulSets, add)
	removedOfKind(snapshot.KindDaemonSet, s.DaemonSets, add)
	removedOfKind(snapshot.KindReplicaSet, s.ReplicaSets, add)
	removedOfKind(snapshot.KindCronJob, s.CronJobs, add)
	return out
}

// removedOfKind passes each object of one kind to add.
func removedOfKind[T metav1.Object](kind string, objs []T, add func(string, metav1.Object)) {
	for _, o := range objs {
		add(kind, o)
	}
}

// removedLayer is the layer of the path an object of kind sits on.
func removedLayer(kind string) diagnose.Layer {
	switch kind {
	case snapshot.KindIngress, snapshot.KindIngressClass:
		return diagnose.LayerIngress
	case snapshot.KindNetworkPolicy:
		return diagnose.LayerNetworkPolicy
	case snapshot.KindEndpointSlice:
		return diagnose.LayerEndpoints
	}
	return diagnose.LayerPod
}

// removedChanges says what else changes when an object of kind moves off
// the removed version rm, beyond its apiVersion line.
func removedChanges(rm snapshot.RemovedAPI) string {
	switch {
	case rm.Kind == snapshot.KindIngress:
		return "in networking.k8s.io/v1, spec.backend is spec.defaultBackend, serviceName and servicePort are service.name and service.port.number (or service.port.name), and every path needs a pathType"
	case rm.Kind == snapshot.KindEndpointSlice:
		return "in discovery.k8s.io/v1, topology is gone: the node is nodeName and the zone is zone"
	case rm.APIVersion == "extensions/v1beta1" && rm.Kind != snapshot.KindNetworkPolicy, rm.APIVersion == "apps/v1beta1":
		return "apps/v1 requires spec.selector (the old version took the pod template's labels when it was missing), and the selector cannot change once the object exists"
	}
	return "the fields keep their names; only the apiVersion line changes"
}

func removedManifestFinding(o removedObject) diagnose.Finding {
	rm := o.removed
	file := o.origin.File
	where := file
	if o.origin.Line > 0 {
		where = fmt.Sprintf("%s line %d", file, o.origin.Line)
	}
	if file == "<stdin>" {
		file = "-"
	}
	origin := o.origin
	return diagnose.Finding{
		Layer:    removedLayer(o.ref.Kind),
		Severity: diagnose.SeverityError,
		Object:   o.ref,
		Symptom:  fmt.Sprintf("`kubectl apply` fails on Kubernetes %s and later: no matches for kind %q in version %q", rm.RemovedIn, rm.Kind, rm.APIVersion),
		Cause:    fmt.Sprintf("%s %s is written in %s, which API servers stopped serving in Kubernetes %s", rm.Kind, o.ref.Name, rm.APIVersion, rm.RemovedIn),
		Evidence: []string{
			fmt.Sprintf("%s: apiVersion: %s, kind: %s", where, rm.APIVersion, rm.Kind),
			fmt.Sprintf("%s %s was removed in Kubernetes %s; %s replaces it", rm.APIVersion, rm.Kind, rm.RemovedIn, rm.Current),
			removedChanges(rm),
		},
		Fix:    diagnose.Kubectl("convert", "-f", file, "--output-version", rm.Current),
		Verify: diagnose.Kubectl("apply", "--dry-run=server", "-f", file),
		Origin: &origin,
	}
}

func removedCaptureFinding(objs []removedObject) diagnose.Finding {
	first, rm := objs[0], objs[0].removed
	var names []string
	for _, o := range objs[:min(len(objs), 5)] {
		names = append(names, o.ref.String())
	}
	if len(objs) > 5 {
		names = append(names, fmt.Sprintf("and %d more", len(objs)-5))
	}
	// The object as the current version shows it, to write the manifests
	// that create it from.
	resource := strings.ToLower(rm.Kind)
	if g, v, ok := strings.Cut(rm.Current, "/"); ok {
		resource += "." + v + "." + g
	}
	get := []string{"get", resource}
	if first.ref.Namespace != "" {
		get = append(get, "-n", first.ref.Namespace)
	}
	origin := first.origin
	return diagnose.Finding{
		Layer:    removedLayer(rm.Kind),
		Severity: diagnose.SeverityInfo,
		Object:   first.ref,
		Symptom:  fmt.Sprintf("the captured cluster served %s %s, which Kubernetes %s removed: it runs an older release", rm.APIVersion, rm.Kind, rm.RemovedIn),
		Cause:    fmt.Sprintf("%d %s object(s) of this capture are written in %s; the objects exist, but upgrading the cluster to %s fails for every manifest, chart or tool that still writes them in that version", len(objs), rm.Kind, rm.APIVersion, rm.RemovedIn),
		Evidence: []string{
			fmt.Sprintf("written in %s: %s", rm.APIVersion, strings.Join(names, ", ")),
			fmt.Sprintf("%s %s was removed in Kubernetes %s; %s replaces it", rm.APIVersion, rm.Kind, rm.RemovedIn, rm.Current),
			removedChanges(rm),
		},
		Fix:    diagnose.KubectlOn(append(get, "-o", "yaml"), first.ref.Name),
		Verify: diagnose.Kubectl("version"),
		Origin: &origin,
	}
}
