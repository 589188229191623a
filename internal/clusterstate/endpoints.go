package clusterstate

import (
	"fmt"
	"maps"
	"net"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The rules the endpoints and EndpointSlice controllers follow, which
// Endpoints and EndpointSlices imitate:
//   - a pod is considered when the Service's selector matches it, it has an
//     IP and it is not Succeeded or Failed; Endpoints also leave out
//     terminating pods (unless publishNotReadyAddresses), EndpointSlices keep
//     them;
//   - a Service port whose targetPort is a name the pod does not declare (for
//     that protocol) is skipped for that pod: Endpoints then have no entry for
//     the pod, EndpointSlices list it without that port;
//   - not-ready pods go to notReadyAddresses / ready: false.

// triggerTimeAnnotation is the annotation both controllers set to the time
// of the change that made them write the object.
const triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"

// EndpointSliceController is the managed-by label value of the slices the
// EndpointSlice controller writes.
const EndpointSliceController = "endpointslice-controller.k8s.io"

// SelectedPods returns the pods of svc's namespace that its selector
// matches, sorted by name: the pods both controllers consider.
func SelectedPods(svc *corev1.Service, pods []*corev1.Pod) []*corev1.Pod {
	sel := klabels.SelectorFromSet(svc.Spec.Selector)
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Namespace == svc.Namespace && sel.Matches(klabels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return SortedPods(out)
}

// SortedPods lists pods by name.
func SortedPods(in []*corev1.Pod) []*corev1.Pod {
	out := append([]*corev1.Pod(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Endpoints is the Endpoints object the endpoints controller keeps for svc
// whose selector matches pods, written at changed: one subset per set of
// addresses, with every port those addresses serve. It carries the
// Service's namespace, name and labels; the caller gives it its identity
// (uid, resourceVersion, creationTimestamp).
func Endpoints(svc *corev1.Service, pods []*corev1.Pod, changed time.Time) *corev1.Endpoints {
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	type group struct {
		ports           []corev1.EndpointPort
		ready, notReady []corev1.EndpointAddress
	}
	groups := map[string]*group{}
	var order []string
	addTo := func(ports []corev1.EndpointPort, addr corev1.EndpointAddress, ready bool) {
		key := fmt.Sprint(ports)
		g := groups[key]
		if g == nil {
			g = &group{ports: ports}
			groups[key] = g
			order = append(order, key)
		}
		if ready {
			g.ready = append(g.ready, addr)
		} else {
			g.notReady = append(g.notReady, addr)
		}
	}
	for _, p := range pods {
		if !inEndpoints(p, svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		addr := corev1.EndpointAddress{IP: p.Status.PodIP, TargetRef: podTarget(p)}
		if p.Spec.NodeName != "" {
			addr.NodeName = ptr(p.Spec.NodeName)
		}
		if setHostname(p, svc) {
			addr.Hostname = p.Spec.Hostname
		}
		ready := svc.Spec.PublishNotReadyAddresses || PodReady(p)
		if len(svc.Spec.Ports) == 0 && headless {
			addTo(nil, addr, ready)
			continue
		}
		for _, sp := range svc.Spec.Ports {
			port, ok := FindPort(p, sp)
			if !ok {
				continue
			}
			addTo([]corev1.EndpointPort{{Name: sp.Name, Port: port, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol}}, addr, ready)
		}
	}
	ep := &corev1.Endpoints{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"}, ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name,
		Labels: serviceLabels(svc), Annotations: triggerTime(changed)}}
	for _, k := range order {
		g := groups[k]
		sort.Slice(g.ready, func(i, j int) bool { return ipLess(g.ready[i].IP, g.ready[j].IP) })
		sort.Slice(g.notReady, func(i, j int) bool { return ipLess(g.notReady[i].IP, g.notReady[j].IP) })
		ep.Subsets = append(ep.Subsets, corev1.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	ep.Subsets = repack(ep.Subsets)
	return ep
}

// EndpointSlices are the EndpointSlices the EndpointSlice controller keeps
// for svc whose selector matches pods, written at changed: one slice per
// distinct port list, with the endpoints in the order of pods, or one
// placeholder slice without endpoints or ports when no pod is considered.
// zone gives a node's topology zone ("" when it has none). Each slice
// carries its namespace, generateName, labels and owner; the caller names
// it (generateName and a random suffix) and gives it its identity.
func EndpointSlices(svc *corev1.Service, pods []*corev1.Pod, changed time.Time, zone func(node string) string) []*discoveryv1.EndpointSlice {
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	type group struct {
		ports     []discoveryv1.EndpointPort
		endpoints []discoveryv1.Endpoint
	}
	groups := map[string]*group{}
	var order []string
	for _, p := range pods {
		if p.Status.PodIP == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		var ports []discoveryv1.EndpointPort
		if !(len(svc.Spec.Ports) == 0 && headless) {
			for _, sp := range svc.Spec.Ports {
				port, ok := FindPort(p, sp)
				if !ok {
					continue
				}
				ports = append(ports, discoveryv1.EndpointPort{Name: ptr(sp.Name), Port: ptr(port), Protocol: ptr(sp.Protocol), AppProtocol: sp.AppProtocol})
			}
		}
		key := fmt.Sprint(len(ports)) + portsKey(ports)
		g := groups[key]
		if g == nil {
			g = &group{ports: ports}
			groups[key] = g
			order = append(order, key)
		}
		serving := PodReady(p)
		terminating := p.DeletionTimestamp != nil
		ready := svc.Spec.PublishNotReadyAddresses || serving && !terminating
		e := discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready), Serving: ptr(serving), Terminating: ptr(terminating)},
			TargetRef:  podTarget(p),
		}
		if p.Spec.NodeName != "" {
			e.NodeName = ptr(p.Spec.NodeName)
			if z := zone(p.Spec.NodeName); z != "" {
				e.Zone = ptr(z)
			}
		}
		if setHostname(p, svc) {
			e.Hostname = ptr(p.Spec.Hostname)
		}
		g.endpoints = append(g.endpoints, e)
	}
	if len(order) == 0 {
		groups[""] = &group{}
		order = []string{""}
	}
	var out []*discoveryv1.EndpointSlice
	for _, k := range order {
		g := groups[k]
		labels := serviceLabels(svc)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[discoveryv1.LabelServiceName] = svc.Name
		labels[discoveryv1.LabelManagedBy] = EndpointSliceController
		out = append(out, &discoveryv1.EndpointSlice{
			TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
			ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, GenerateName: svc.Name + "-", Labels: labels,
				Annotations:     triggerTime(changed),
				OwnerReferences: []metav1.OwnerReference{ControllerRef("v1", "Service", svc.ObjectMeta)}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   g.endpoints,
			Ports:       g.ports,
		})
	}
	return out
}

// serviceLabels are the labels both controllers copy from svc: its own,
// and the headless mark for a Service without a cluster IP.
func serviceLabels(svc *corev1.Service) map[string]string {
	labels := maps.Clone(svc.Labels)
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[corev1.IsHeadlessService] = ""
	}
	return labels
}

func triggerTime(t time.Time) map[string]string {
	return map[string]string{triggerTimeAnnotation: t.UTC().Format(time.RFC3339)}
}

func podTarget(p *corev1.Pod) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
}

func portsKey(ports []discoveryv1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "|%s/%d/%s", *p.Name, *p.Port, *p.Protocol)
	}
	return b.String()
}

// repack merges subsets that carry the same addresses into one subset with
// all their ports, as the endpoints controller's RepackSubsets does.
func repack(in []corev1.EndpointSubset) []corev1.EndpointSubset {
	type key struct{ ready, notReady string }
	idx := map[key]int{}
	var out []corev1.EndpointSubset
	addrKey := func(as []corev1.EndpointAddress) string {
		var b strings.Builder
		for _, a := range as {
			b.WriteString(a.IP + ",")
		}
		return b.String()
	}
	for _, s := range in {
		k := key{addrKey(s.Addresses), addrKey(s.NotReadyAddresses)}
		if i, ok := idx[k]; ok {
			out[i].Ports = append(out[i].Ports, s.Ports...)
			continue
		}
		idx[k] = len(out)
		out = append(out, s)
	}
	for i := range out {
		sort.SliceStable(out[i].Ports, func(a, b int) bool { return out[i].Ports[a].Name < out[i].Ports[b].Name })
	}
	return out
}

// ipLess orders dotted IPv4 addresses numerically.
func ipLess(a, b string) bool {
	ia, ib := net.ParseIP(a).To4(), net.ParseIP(b).To4()
	if ia == nil || ib == nil {
		return a < b
	}
	for i := range 4 {
		if ia[i] != ib[i] {
			return ia[i] < ib[i]
		}
	}
	return false
}

// inEndpoints is the endpoints controller's ShouldPodBeInEndpoints.
func inEndpoints(p *corev1.Pod, includeTerminating bool) bool {
	if p.Status.PodIP == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	return includeTerminating || p.DeletionTimestamp == nil
}

// setHostname is ShouldSetHostname: the pod names this Service as its
// subdomain.
func setHostname(p *corev1.Pod, svc *corev1.Service) bool {
	return p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && p.Namespace == svc.Namespace
}

// FindPort resolves a Service port's targetPort against a pod, as
// podutil.FindPort does: a number is used as is, a name must be declared by
// some container with the same protocol.
func FindPort(p *corev1.Pod, sp corev1.ServicePort) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		if sp.TargetPort.IntVal == 0 {
			return sp.Port, true
		}
		return sp.TargetPort.IntVal, true
	}
	for _, ct := range p.Spec.Containers {
		for _, cp := range ct.Ports {
			if cp.Name == sp.TargetPort.StrVal && cp.Protocol == sp.Protocol {
				return cp.ContainerPort, true
			}
		}
	}
	return 0, false
}

func ptr[T any](v T) *T { return &v }
