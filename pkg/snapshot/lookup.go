// Lookups answer "which object is this name?" from the index in constant
// time, and say whether the input could hold the answer at all (Knows).

package snapshot

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Knows reports whether the input can tell that an object of kind in
// namespace ns is absent. Manifests hold no IngressClasses, Nodes or Events;
// a missing reference is only "missing" when the input holds that kind for
// that namespace, or when it is a live snapshot that listed the kind. A dump
// of a whole cluster (it has Nodes and objects in kube-system) knows every
// kind it holds at all, in every namespace — but only those: `kubectl
// cluster-info dump` writes no Endpoints, Ingresses, NetworkPolicies,
// ConfigMaps or Secrets, and a dump made without Secrets says nothing about
// them. Pass ns "" for cluster-scoped kinds.
func (s *Snapshot) Knows(kind, ns string) bool {
	idx := s.indexed()
	if s.Live {
		return s.Listed[kind] || (ns != "" && s.Listed[kind+"/"+ns])
	}
	if idx.present[kind][ns] {
		return true
	}
	return idx.clusterDump && len(idx.present[kind]) > 0
}

// ClusterDump reports whether the input looks like a dump of a whole cluster.
func (s *Snapshot) ClusterDump() bool {
	return s.indexed().clusterDump
}

// PodsIn returns the pods of a namespace in input order.
func (s *Snapshot) PodsIn(ns string) []*corev1.Pod {
	if ps := s.indexed().pods[ns]; ps != nil {
		return ps.pods
	}
	return nil
}

// Pod returns the named pod or nil.
func (s *Snapshot) Pod(ns, name string) *corev1.Pod {
	return s.indexed().podByName[nsName{ns, name}]
}

// Service returns the named Service or nil.
func (s *Snapshot) Service(ns, name string) *corev1.Service {
	return s.indexed().services[nsName{ns, name}]
}

// ServicesIn returns the Services of a namespace in input order.
func (s *Snapshot) ServicesIn(ns string) []*corev1.Service {
	return s.indexed().servicesNS[ns]
}

// EndpointsFor returns the Endpoints object of a Service, or nil.
func (s *Snapshot) EndpointsFor(ns, service string) *corev1.Endpoints {
	return s.indexed().endpoints[nsName{ns, service}]
}

// EndpointSlicesFor returns the EndpointSlices labelled for a Service.
func (s *Snapshot) EndpointSlicesFor(ns, service string) []*discoveryv1.EndpointSlice {
	return s.indexed().slices[nsName{ns, service}]
}

// IngressesIn returns the Ingresses of a namespace in input order.
func (s *Snapshot) IngressesIn(ns string) []*networkingv1.Ingress {
	return s.indexed().ingressesNS[ns]
}

// IngressClass returns the named IngressClass or nil.
func (s *Snapshot) IngressClass(name string) *networkingv1.IngressClass {
	return s.indexed().classes[name]
}

// DefaultIngressClasses returns the classes annotated as the cluster default.
func (s *Snapshot) DefaultIngressClasses() []*networkingv1.IngressClass {
	s.indexed() // builds the index, which drops duplicate definitions
	var out []*networkingv1.IngressClass
	for _, c := range s.IngressClasses {
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			out = append(out, c)
		}
	}
	return out
}

// NetworkPoliciesIn returns the NetworkPolicies of a namespace.
func (s *Snapshot) NetworkPoliciesIn(ns string) []*networkingv1.NetworkPolicy {
	return s.indexed().netpols[ns]
}

// Node returns the named Node or nil.
func (s *Snapshot) Node(name string) *corev1.Node {
	return s.indexed().nodes[name]
}

// Namespace returns the named Namespace object or nil.
func (s *Snapshot) Namespace(name string) *corev1.Namespace {
	return s.indexed().namespaces[name]
}

// ConfigMap returns the named ConfigMap or nil.
func (s *Snapshot) ConfigMap(ns, name string) *corev1.ConfigMap {
	return s.indexed().configMaps[nsName{ns, name}]
}

// Secret returns the named Secret's metadata or nil.
func (s *Snapshot) Secret(ns, name string) *metav1.PartialObjectMetadata {
	return s.indexed().secrets[nsName{ns, name}]
}

// EventsFor returns the Events whose involvedObject is ref, oldest first.
func (s *Snapshot) EventsFor(ref ObjectRef) []*corev1.Event {
	return s.indexed().events[ref]
}

// Workloads returns every pod-creating controller in the snapshot.
func (s *Snapshot) Workloads() []Workload {
	return s.indexed().workloads
}

// Workload returns the workload named by ref, or nil.
func (s *Snapshot) Workload(ref ObjectRef) *Workload {
	return s.indexed().workloadBy[ref]
}

// ReplicaSetsOf returns the ReplicaSets a Deployment controls (its current
// and previous revisions), in input order.
func (s *Snapshot) ReplicaSetsOf(deployment ObjectRef) []*appsv1.ReplicaSet {
	return s.indexed().rsOfDeploy[nsName{deployment.Namespace, deployment.Name}]
}
