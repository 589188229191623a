package snapshot

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind names as they appear in ObjectRef and in "not checked" messages.
const (
	KindPod                   = "Pod"
	KindService               = "Service"
	KindEndpoints             = "Endpoints"
	KindEndpointSlice         = "EndpointSlice"
	KindIngress               = "Ingress"
	KindIngressClass          = "IngressClass"
	KindNetworkPolicy         = "NetworkPolicy"
	KindNamespace             = "Namespace"
	KindNode                  = "Node"
	KindConfigMap             = "ConfigMap"
	KindSecret                = "Secret"
	KindEvent                 = "Event"
	KindDeployment            = "Deployment"
	KindStatefulSet           = "StatefulSet"
	KindDaemonSet             = "DaemonSet"
	KindReplicaSet            = "ReplicaSet"
	KindReplicationController = "ReplicationController"
	KindJob                   = "Job"
	KindCronJob               = "CronJob"
)

// TemplateAnnotation marks a Pod that the snapshot made from a workload's pod
// template because the input held no Pods. Its value is the workload's
// ObjectRef string. Such pods have no status: checks about runtime state must
// leave them alone, checks about labels and ports must not.
const TemplateAnnotation = "hopscope.dev/template-of"

// ObjectRef names one object. Namespace is empty for cluster-scoped kinds.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"` // "" for cluster-scoped kinds; always present in JSON, as the contract shows
	Name      string `json:"name"`
}

// String formats the ref the one way hopscope prints refs: Kind/namespace/name,
// or Kind/name for cluster-scoped objects.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Ref builds the ObjectRef of a typed object.
func Ref(kind string, meta metav1.Object) ObjectRef {
	return ObjectRef{Kind: kind, Namespace: meta.GetNamespace(), Name: meta.GetName()}
}

// Origin says where an object came from, so that SARIF and error messages can
// point at the file and line of its document.
type Origin struct {
	File     string `json:"file,omitempty"`
	Document int    `json:"document,omitempty"` // 1-based document number within File
	Line     int    `json:"line,omitempty"`     // 1-based line where the object starts
	// APIVersion is the apiVersion the input wrote the object in when the
	// loader converted it from a version API servers no longer serve (see
	// RemovedAPIs); empty for objects written in a served version.
	APIVersion string `json:"apiVersion,omitempty"`
}

// Workload is any controller that stamps out pods from a template.
type Workload struct {
	Ref      ObjectRef
	Selector *metav1.LabelSelector // nil for Jobs/CronJobs without one, and for ReplicationControllers (see MapSelector)
	// MapSelector is set for ReplicationControllers, whose selector is a plain map.
	MapSelector map[string]string
	Template    *corev1.PodTemplateSpec
	Replicas    *int32
	Object      metav1.Object
}

// Snapshot is the state one diagnosis reads. The exported slices are the raw
// objects in input order; use the lookup methods, which go through indexes,
// rather than scanning them.
type Snapshot struct {
	Pods                   []*corev1.Pod
	Services               []*corev1.Service
	Endpoints              []*corev1.Endpoints
	EndpointSlices         []*discoveryv1.EndpointSlice
	Ingresses              []*networkingv1.Ingress
	IngressClasses         []*networkingv1.IngressClass
	NetworkPolicies        []*networkingv1.NetworkPolicy
	Namespaces             []*corev1.Namespace
	Nodes                  []*corev1.Node
	ConfigMaps             []*corev1.ConfigMap
	Secrets                []*metav1.PartialObjectMetadata // metadata only: secret data is never held
	Events                 []*corev1.Event                 // events.k8s.io/v1 Events are converted to this form
	Deployments            []*appsv1.Deployment
	StatefulSets           []*appsv1.StatefulSet
	DaemonSets             []*appsv1.DaemonSet
	ReplicaSets            []*appsv1.ReplicaSet
	ReplicationControllers []*corev1.ReplicationController
	Jobs                   []*batchv1.Job
	CronJobs               []*batchv1.CronJob
	GatewayAPI

	// Live is true when the snapshot was read from a cluster: then a kind that
	// was listed is known everywhere, and absence means absence.
	Live bool
	// Listed records, for a live snapshot, the kinds that were listed
	// successfully. Forbidden records kinds the user may not list, with why.
	Listed    map[string]bool
	Forbidden map[string]string
	// NotServed records, for a live snapshot, API groups of optional CRDs
	// the cluster does not serve (the Gateway API), with the note a report
	// shows: their layers are not checked, which is no error.
	NotServed map[string]string
	// Skipped counts input objects of kinds hopscope does not model, by
	// "apiVersion/Kind".
	Skipped map[string]int
	// TemplatePods is true when Pods were made from workload templates because
	// the input had none.
	TemplatePods bool
	// SkippedFiles names files of scanned directories that were not read
	// into objects, with why (they hold no Kubernetes object, or are not
	// regular files): the first MaxSkippedFiles of them. SkippedFileCount
	// counts them all. Container logs are not among them (see Logs).
	SkippedFiles     []SkippedFile
	SkippedFileCount int
	// Logs are the container logs a capture holds, in input order.
	Logs []ContainerLog

	// Duplicates counts objects defined more than once in the input (the
	// same kind, namespace and name in two files or documents); Index keeps
	// the last definition, as a later `kubectl apply` would.
	Duplicates map[ObjectRef]int

	origins map[ObjectRef]Origin
	seen    map[ObjectRef]bool
	idx     *index
}

// New returns an empty snapshot ready for Add.
func New() *Snapshot {
	return &Snapshot{
		Listed:    map[string]bool{},
		Forbidden: map[string]string{},
		NotServed: map[string]string{},
		Skipped:   map[string]int{},
		origins:   map[ObjectRef]Origin{},
		seen:      map[ObjectRef]bool{},
	}
}

// Add appends one typed object. Objects of unsupported Go types are an error
// so that nothing is dropped silently; callers count unknown kinds with Skip.
func (s *Snapshot) Add(obj any, origin Origin) error {
	var ref ObjectRef
	switch o := obj.(type) {
	case *corev1.Pod:
		ref = appendRef(&s.Pods, o, KindPod)
	case *corev1.Service:
		ref = appendRef(&s.Services, o, KindService)
	case *corev1.Endpoints:
		ref = appendRef(&s.Endpoints, o, KindEndpoints)
	case *discoveryv1.EndpointSlice:
		ref = appendRef(&s.EndpointSlices, o, KindEndpointSlice)
	case *networkingv1.Ingress:
		ref = appendRef(&s.Ingresses, o, KindIngress)
	case *networkingv1.IngressClass:
		ref = appendRef(&s.IngressClasses, o, KindIngressClass)
	case *networkingv1.NetworkPolicy:
		ref = appendRef(&s.NetworkPolicies, o, KindNetworkPolicy)
	case *corev1.Namespace:
		ref = appendRef(&s.Namespaces, o, KindNamespace)
	case *corev1.Node:
		ref = appendRef(&s.Nodes, o, KindNode)
	case *corev1.ConfigMap:
		ref = appendRef(&s.ConfigMaps, o, KindConfigMap)
	case *metav1.PartialObjectMetadata:
		if o.Kind != KindSecret {
			return fmt.Errorf("snapshot: metadata-only objects are only kept for Secrets, got %q", o.Kind)
		}
		ref = appendRef(&s.Secrets, o, KindSecret)
	case *corev1.Event:
		ref = appendRef(&s.Events, o, KindEvent)
	case *appsv1.Deployment:
		ref = appendRef(&s.Deployments, o, KindDeployment)
	case *appsv1.StatefulSet:
		ref = appendRef(&s.StatefulSets, o, KindStatefulSet)
	case *appsv1.DaemonSet:
		ref = appendRef(&s.DaemonSets, o, KindDaemonSet)
	case *appsv1.ReplicaSet:
		ref = appendRef(&s.ReplicaSets, o, KindReplicaSet)
	case *corev1.ReplicationController:
		ref = appendRef(&s.ReplicationControllers, o, KindReplicationController)
	case *batchv1.Job:
		ref = appendRef(&s.Jobs, o, KindJob)
	case *batchv1.CronJob:
		ref = appendRef(&s.CronJobs, o, KindCronJob)
	default:
		r, ok := s.GatewayAPI.add(obj)
		if !ok {
			return fmt.Errorf("snapshot: unsupported object type %T", obj)
		}
		ref = r
	}
	if origin != (Origin{}) {
		s.origins[ref] = origin
	}
	if s.seen[ref] {
		if s.Duplicates == nil {
			s.Duplicates = map[ObjectRef]int{}
		}
		if s.Duplicates[ref] == 0 {
			s.Duplicates[ref] = 1
		}
		s.Duplicates[ref]++
	}
	s.seen[ref] = true
	s.idx = nil
	return nil
}

// appendRef appends o to list, the snapshot's list of its kind, and
// returns its ref: Add and the Gateway API kinds file every object this way.
func appendRef[T metav1.Object](list *[]T, o T, kind string) ObjectRef {
	*list = append(*list, o)
	return Ref(kind, o)
}

// keepLast drops earlier definitions of objects defined more than once.
func keepLast[T metav1.Object](items []T, kind string, dup map[ObjectRef]int) []T {
	if len(dup) == 0 {
		return items
	}
	last := map[ObjectRef]int{}
	for i, o := range items {
		last[Ref(kind, o)] = i
	}
	if len(last) == len(items) {
		return items
	}
	out := items[:0]
	for i, o := range items {
		if last[Ref(kind, o)] == i {
			out = append(out, o)
		}
	}
	return out
}

// dropDuplicates applies keepLast to every kind.
func (s *Snapshot) dropDuplicates() {
	d := s.Duplicates
	s.Pods = keepLast(s.Pods, KindPod, d)
	s.Services = keepLast(s.Services, KindService, d)
	s.Endpoints = keepLast(s.Endpoints, KindEndpoints, d)
	s.EndpointSlices = keepLast(s.EndpointSlices, KindEndpointSlice, d)
	s.Ingresses = keepLast(s.Ingresses, KindIngress, d)
	s.IngressClasses = keepLast(s.IngressClasses, KindIngressClass, d)
	s.NetworkPolicies = keepLast(s.NetworkPolicies, KindNetworkPolicy, d)
	s.Namespaces = keepLast(s.Namespaces, KindNamespace, d)
	s.Nodes = keepLast(s.Nodes, KindNode, d)
	s.ConfigMaps = keepLast(s.ConfigMaps, KindConfigMap, d)
	s.Secrets = keepLast(s.Secrets, KindSecret, d)
	s.Deployments = keepLast(s.Deployments, KindDeployment, d)
	s.StatefulSets = keepLast(s.StatefulSets, KindStatefulSet, d)
	s.DaemonSets = keepLast(s.DaemonSets, KindDaemonSet, d)
	s.ReplicaSets = keepLast(s.ReplicaSets, KindReplicaSet, d)
	s.ReplicationControllers = keepLast(s.ReplicationControllers, KindReplicationController, d)
	s.Jobs = keepLast(s.Jobs, KindJob, d)
	s.CronJobs = keepLast(s.CronJobs, KindCronJob, d)
	s.Events = keepLast(s.Events, KindEvent, d)
	s.GatewayAPI.dropDuplicates(d)
}

// Skip counts an input object whose kind hopscope does not model.
func (s *Snapshot) Skip(apiVersion, kind string) {
	s.Skipped[apiVersion+"/"+kind]++
}

// SkippedTotal is the number of input objects that were skipped.
func (s *Snapshot) SkippedTotal() int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// Origin returns where ref came from, if it came from a file.
func (s *Snapshot) Origin(ref ObjectRef) (Origin, bool) {
	o, ok := s.origins[ref]
	return o, ok
}

// ObjectCount is the number of modelled objects in the snapshot, not counting
// pods made from templates.
func (s *Snapshot) ObjectCount() int {
	n := len(s.Services) + len(s.Endpoints) + len(s.EndpointSlices) + len(s.Ingresses) +
		len(s.IngressClasses) + len(s.NetworkPolicies) + len(s.Namespaces) + len(s.Nodes) +
		len(s.ConfigMaps) + len(s.Secrets) + len(s.Events) + len(s.Deployments) + len(s.StatefulSets) +
		len(s.DaemonSets) + len(s.ReplicaSets) + len(s.ReplicationControllers) + len(s.Jobs) + len(s.CronJobs)
	n += s.GatewayAPI.count()
	if !s.TemplatePods {
		n += len(s.Pods)
	}
	return n
}

// Namespaces in the snapshot that hold at least one object, sorted.
func (s *Snapshot) NamespaceNames() []string {
	idx := s.indexed()
	out := make([]string, 0, len(idx.nsSeen))
	for ns := range idx.nsSeen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}
