package snapshot

import (
	"maps"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

type nsName struct{ ns, name string }

// podSet is the pods of one namespace with a posting list per label key=value,
// so that a selector costs the size of its smallest posting list.
type podSet struct {
	pods []*corev1.Pod
	byKV map[string]map[string][]int32
}

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

// PodsMatching returns the pods in ns whose labels carry every key=value of
// selector, in input order. An empty selector selects nothing, as for a
// Service.
func (s *Snapshot) PodsMatching(ns string, selector map[string]string) []*corev1.Pod {
	ps := s.indexed().pods[ns]
	if ps == nil || len(selector) == 0 {
		return nil
	}
	var smallest []int32
	first := true
	for k, v := range selector {
		list := ps.byKV[k][v]
		if len(list) == 0 {
			return nil
		}
		if first || len(list) < len(smallest) {
			smallest, first = list, false
		}
	}
	out := make([]*corev1.Pod, 0, len(smallest))
	for _, pos := range smallest {
		p := ps.pods[pos]
		if labels.SelectorFromSet(selector).Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// PodsMatchingSelector returns the pods in ns selected by a LabelSelector
// (matchLabels and matchExpressions). A nil selector selects nothing; an empty
// one selects every pod, as in a NetworkPolicy.
func (s *Snapshot) PodsMatchingSelector(ns string, sel *metav1.LabelSelector) []*corev1.Pod {
	ps := s.indexed().pods[ns]
	if sel == nil || ps == nil {
		return nil
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	candidates := ps.pods
	if len(sel.MatchLabels) > 0 {
		candidates = s.PodsMatching(ns, sel.MatchLabels)
	}
	var out []*corev1.Pod
	for _, p := range candidates {
		if selector.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// LabelDiff is one key=value of a selector that a pod does not carry.
type LabelDiff struct {
	Key  string `json:"key"`
	Want string `json:"want"`
	Have string `json:"have,omitempty"` // empty with Missing: the pod has no such label
	// Missing is true when the pod has no label with this key at all.
	Missing bool `json:"missing,omitempty"`
}

// NearPod is a pod that carries some but not all of a selector's labels.
type NearPod struct {
	Pod     *corev1.Pod
	Matched int         // selector pairs the pod carries
	Diff    []LabelDiff // selector pairs it does not, sorted by key
}

// ClosestPods returns up to n pods in ns that come closest to matching
// selector: most key=value pairs carried, then most keys present with another
// value. Only pods that share at least one label key with the selector are
// considered, found through the label index.
func (s *Snapshot) ClosestPods(ns string, selector map[string]string, n int) []NearPod {
	ps := s.indexed().pods[ns]
	if ps == nil || len(selector) == 0 || n <= 0 {
		return nil
	}
	score := map[int32][2]int{}
	for k, v := range selector {
		for val, list := range ps.byKV[k] {
			for _, pos := range list {
				sc := score[pos]
				if val == v {
					sc[0]++
				} else {
					sc[1]++
				}
				score[pos] = sc
			}
		}
	}
	positions := make([]int32, 0, len(score))
	for pos := range score {
		positions = append(positions, pos)
	}
	sort.Slice(positions, func(i, j int) bool {
		a, b := score[positions[i]], score[positions[j]]
		if a[0] != b[0] {
			return a[0] > b[0]
		}
		if a[1] != b[1] {
			return a[1] > b[1]
		}
		return positions[i] < positions[j]
	})
	if len(positions) > n {
		positions = positions[:n]
	}
	keys := slices.Sorted(maps.Keys(selector))
	out := make([]NearPod, 0, len(positions))
	for _, pos := range positions {
		p := ps.pods[pos]
		np := NearPod{Pod: p, Matched: score[pos][0]}
		for _, k := range keys {
			have, ok := p.Labels[k]
			if ok && have == selector[k] {
				continue
			}
			np.Diff = append(np.Diff, LabelDiff{Key: k, Want: selector[k], Have: have, Missing: !ok})
		}
		out = append(out, np)
	}
	return out
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

// OwnerOf returns the top-level workload that owns a pod (a ReplicaSet's
// Deployment, a Job's CronJob), or false when the pod has no known owner. For
// pods made from templates it is the workload they were made from.
func (s *Snapshot) OwnerOf(p *corev1.Pod) (ObjectRef, bool) {
	idx := s.indexed()
	if t := p.Annotations[TemplateAnnotation]; t != "" {
		for _, o := range p.OwnerReferences {
			return ObjectRef{Kind: o.Kind, Namespace: p.Namespace, Name: o.Name}, true
		}
	}
	ctrl := metav1.GetControllerOf(p)
	if ctrl == nil {
		return ObjectRef{}, false
	}
	ref := ObjectRef{Kind: ctrl.Kind, Namespace: p.Namespace, Name: ctrl.Name}
	switch ctrl.Kind {
	case KindReplicaSet:
		if rs := idx.replicaSets[nsName{p.Namespace, ctrl.Name}]; rs != nil {
			if up := metav1.GetControllerOf(rs); up != nil && up.Kind == KindDeployment {
				return ObjectRef{Kind: KindDeployment, Namespace: p.Namespace, Name: up.Name}, true
			}
		} else if name, ok := deploymentOfReplicaSet(ctrl.Name, p.Labels); ok {
			return ObjectRef{Kind: KindDeployment, Namespace: p.Namespace, Name: name}, true
		}
	case KindJob:
		if w := idx.workloadBy[ref]; w != nil {
			if up := metav1.GetControllerOf(w.Object); up != nil && up.Kind == KindCronJob {
				return ObjectRef{Kind: KindCronJob, Namespace: p.Namespace, Name: up.Name}, true
			}
		}
	}
	return ref, true
}

// deploymentOfReplicaSet recovers a Deployment name from a ReplicaSet name
// "<deployment>-<pod-template-hash>" when the ReplicaSet itself is not in the
// input (a dump of pods only).
func deploymentOfReplicaSet(rsName string, podLabels map[string]string) (string, bool) {
	hash := podLabels[appsv1.DefaultDeploymentUniqueLabelKey]
	if hash == "" || len(rsName) <= len(hash)+1 || rsName[len(rsName)-len(hash)-1:] != "-"+hash {
		return "", false
	}
	return rsName[:len(rsName)-len(hash)-1], true
}

// IsTemplatePod reports whether p was made from a workload template rather
// than read from the input.
func IsTemplatePod(p *corev1.Pod) bool {
	return p.Annotations[TemplateAnnotation] != ""
}

// SubjectOf is the object a finding about pod p should name: the pod itself,
// or, for a pod made from a template, the workload it stands in for (a
// template pod does not exist, so there is nothing to get or patch by its
// name).
func (s *Snapshot) SubjectOf(p *corev1.Pod) ObjectRef {
	if IsTemplatePod(p) {
		if ref, ok := s.OwnerOf(p); ok {
			return ref
		}
	}
	return Ref(KindPod, p)
}

// ReplicaSetsOf returns the ReplicaSets a Deployment controls (its current
// and previous revisions), in input order.
func (s *Snapshot) ReplicaSetsOf(deployment ObjectRef) []*appsv1.ReplicaSet {
	return s.indexed().rsOfDeploy[nsName{deployment.Namespace, deployment.Name}]
}
