// The index is built once, after the last object is added: per-namespace
// label postings for pods, objects by namespace and name, events by the
// object they are about, and which kinds the input holds where. Every lookup
// reads it; none scans the whole snapshot.

package snapshot

import (
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nsName is the key of a namespaced object of a known kind.
type nsName struct{ ns, name string }

// podSet is the pods of one namespace with a posting list per label key=value,
// so that a selector costs the size of its smallest posting list.
type podSet struct {
	pods []*corev1.Pod
	byKV map[string]map[string][]int32
}

// index holds the lookups Index builds; a Snapshot is read-only once it
// exists.
type index struct {
	pods        map[string]*podSet
	podByName   map[nsName]*corev1.Pod
	services    map[nsName]*corev1.Service
	servicesNS  map[string][]*corev1.Service
	endpoints   map[nsName]*corev1.Endpoints
	slices      map[nsName][]*discoveryv1.EndpointSlice
	classes     map[string]*networkingv1.IngressClass
	netpols     map[string][]*networkingv1.NetworkPolicy
	ingressesNS map[string][]*networkingv1.Ingress
	nodes       map[string]*corev1.Node
	namespaces  map[string]*corev1.Namespace
	configMaps  map[nsName]*corev1.ConfigMap
	secrets     map[nsName]*metav1.PartialObjectMetadata
	events      map[ObjectRef][]*corev1.Event
	replicaSets map[nsName]*appsv1.ReplicaSet
	rsOfDeploy  map[nsName][]*appsv1.ReplicaSet
	workloads   []Workload
	workloadBy  map[ObjectRef]*Workload
	present     map[string]map[string]bool // kind -> namespace ("" for cluster-scoped) -> seen
	nsSeen      map[string]bool
	clusterDump bool
	gw          *gatewayIndex
}

// indexed returns the lookup indexes, building them on first use.
func (s *Snapshot) indexed() *index {
	if s.idx == nil {
		s.Index()
	}
	return s.idx
}

// Index builds the lookup indexes and, when the input holds no Pods at all,
// makes one Pod per workload from its template so that label and port checks
// work on plain manifests. Call it once after the last Add.
func (s *Snapshot) Index() {
	x := &index{
		pods:        map[string]*podSet{},
		podByName:   map[nsName]*corev1.Pod{},
		services:    map[nsName]*corev1.Service{},
		servicesNS:  map[string][]*corev1.Service{},
		endpoints:   map[nsName]*corev1.Endpoints{},
		slices:      map[nsName][]*discoveryv1.EndpointSlice{},
		classes:     map[string]*networkingv1.IngressClass{},
		netpols:     map[string][]*networkingv1.NetworkPolicy{},
		ingressesNS: map[string][]*networkingv1.Ingress{},
		nodes:       map[string]*corev1.Node{},
		namespaces:  map[string]*corev1.Namespace{},
		configMaps:  map[nsName]*corev1.ConfigMap{},
		secrets:     map[nsName]*metav1.PartialObjectMetadata{},
		events:      map[ObjectRef][]*corev1.Event{},
		replicaSets: map[nsName]*appsv1.ReplicaSet{},
		rsOfDeploy:  map[nsName][]*appsv1.ReplicaSet{},
		workloadBy:  map[ObjectRef]*Workload{},
		present:     map[string]map[string]bool{},
		nsSeen:      map[string]bool{},
	}
	s.dropDuplicates()
	s.idx = x
	nsHasObjects := map[string]bool{}
	seen := func(kind, ns string) {
		m := x.present[kind]
		if m == nil {
			m = map[string]bool{}
			x.present[kind] = m
		}
		m[ns] = true
		if ns != "" {
			x.nsSeen[ns] = true
			nsHasObjects[ns] = true
		}
	}

	x.workloads = s.collectWorkloads()
	for i := range x.workloads {
		w := &x.workloads[i]
		x.workloadBy[w.Ref] = w
		seen(w.Ref.Kind, w.Ref.Namespace)
	}
	for _, rs := range s.ReplicaSets {
		x.replicaSets[nsName{rs.Namespace, rs.Name}] = rs
		if up := metav1.GetControllerOfNoCopy(rs); up != nil && up.Kind == KindDeployment {
			k := nsName{rs.Namespace, up.Name}
			x.rsOfDeploy[k] = append(x.rsOfDeploy[k], rs)
		}
	}
	if len(s.Pods) == 0 && !s.Live && len(x.workloads) > 0 {
		s.Pods = templatePods(x.workloads)
		s.TemplatePods = true
	}
	for _, p := range s.Pods {
		ps := x.pods[p.Namespace]
		if ps == nil {
			ps = &podSet{byKV: map[string]map[string][]int32{}}
			x.pods[p.Namespace] = ps
		}
		pos := int32(len(ps.pods))
		ps.pods = append(ps.pods, p)
		for k, v := range p.Labels {
			vals := ps.byKV[k]
			if vals == nil {
				vals = map[string][]int32{}
				ps.byKV[k] = vals
			}
			vals[v] = append(vals[v], pos)
		}
		x.podByName[nsName{p.Namespace, p.Name}] = p
		if !s.TemplatePods {
			seen(KindPod, p.Namespace)
		}
	}
	for _, o := range s.Services {
		x.services[nsName{o.Namespace, o.Name}] = o
		x.servicesNS[o.Namespace] = append(x.servicesNS[o.Namespace], o)
		seen(KindService, o.Namespace)
	}
	for _, o := range s.Endpoints {
		x.endpoints[nsName{o.Namespace, o.Name}] = o
		seen(KindEndpoints, o.Namespace)
	}
	for _, o := range s.EndpointSlices {
		if svc := o.Labels[discoveryv1.LabelServiceName]; svc != "" {
			k := nsName{o.Namespace, svc}
			x.slices[k] = append(x.slices[k], o)
		}
		seen(KindEndpointSlice, o.Namespace)
	}
	for _, o := range s.Ingresses {
		x.ingressesNS[o.Namespace] = append(x.ingressesNS[o.Namespace], o)
		seen(KindIngress, o.Namespace)
	}
	for _, o := range s.IngressClasses {
		x.classes[o.Name] = o
		seen(KindIngressClass, "")
	}
	for _, o := range s.NetworkPolicies {
		x.netpols[o.Namespace] = append(x.netpols[o.Namespace], o)
		seen(KindNetworkPolicy, o.Namespace)
	}
	for _, o := range s.Namespaces {
		x.namespaces[o.Name] = o
		x.nsSeen[o.Name] = true
		seen(KindNamespace, "")
	}
	for _, o := range s.Nodes {
		x.nodes[o.Name] = o
		seen(KindNode, "")
	}
	for _, o := range s.ConfigMaps {
		x.configMaps[nsName{o.Namespace, o.Name}] = o
		seen(KindConfigMap, o.Namespace)
	}
	for _, o := range s.Secrets {
		x.secrets[nsName{o.Namespace, o.Name}] = o
		seen(KindSecret, o.Namespace)
	}
	for _, e := range s.Events {
		ns := e.InvolvedObject.Namespace
		if ns == "" {
			ns = e.Namespace
		}
		if e.InvolvedObject.Kind == KindNode || e.InvolvedObject.Kind == KindNamespace {
			ns = ""
		}
		ref := ObjectRef{Kind: e.InvolvedObject.Kind, Namespace: ns, Name: e.InvolvedObject.Name}
		x.events[ref] = append(x.events[ref], e)
		seen(KindEvent, e.Namespace)
	}
	for _, evs := range x.events {
		sort.SliceStable(evs, func(i, j int) bool { return eventTime(evs[i]).Time.Before(eventTime(evs[j]).Time) })
	}
	s.indexGatewayAPI(x, seen)
	// A Namespace object named kube-system (as `kubectl get ns` prints) is
	// not enough: the dump must hold objects in it.
	x.clusterDump = len(s.Nodes) > 0 && nsHasObjects["kube-system"]
}

func eventTime(e *corev1.Event) metav1.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case e.EventTime.Time.IsZero():
		return e.FirstTimestamp
	default:
		return metav1.Time{Time: e.EventTime.Time}
	}
}
