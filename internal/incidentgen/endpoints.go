package incidentgen

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// computeEndpoints writes the Endpoints and EndpointSlices the endpoints
// and EndpointSlice controllers keep for svc, following their rules:
//   - a pod is considered when the selector matches it, it has an IP and it
//     is not Succeeded or Failed; Endpoints also leave out terminating pods
//     (unless publishNotReadyAddresses), EndpointSlices keep them;
//   - a Service port whose targetPort is a name the pod does not declare
//     (for that protocol) is skipped for that pod: Endpoints then have no
//     entry for the pod, EndpointSlices list it without that port;
//   - not-ready pods go to notReadyAddresses / ready: false.
func (c *Cluster) computeEndpoints(svc *corev1.Service) {
	sel := klabels.SelectorFromSet(svc.Spec.Selector)
	var pods []*corev1.Pod
	for _, p := range c.pods {
		if p.Namespace == svc.Namespace && sel.Matches(klabels.Set(p.Labels)) {
			pods = append(pods, p)
		}
	}
	pods = sortedPods(pods)
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	epLabels := copyMap(svc.Labels)
	if headless {
		if epLabels == nil {
			epLabels = map[string]string{}
		}
		epLabels[corev1.IsHeadlessService] = ""
	}

	// Endpoints: one subset per distinct port list, addresses sorted.
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
		addr := corev1.EndpointAddress{IP: p.Status.PodIP, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if p.Spec.NodeName != "" {
			addr.NodeName = ptrTo(p.Spec.NodeName)
		}
		if setHostname(p, svc) {
			addr.Hostname = p.Spec.Hostname
		}
		ready := svc.Spec.PublishNotReadyAddresses || podReady(p)
		if len(svc.Spec.Ports) == 0 && headless {
			addTo(nil, addr, ready)
			continue
		}
		for _, sp := range svc.Spec.Ports {
			port, ok := findPort(p, sp)
			if !ok {
				continue
			}
			addTo([]corev1.EndpointPort{{Name: sp.Name, Port: port, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol}}, addr, ready)
		}
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name, Labels: epLabels,
		Annotations: map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": svc.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z")}}}
	for _, k := range order {
		g := groups[k]
		sort.Slice(g.ready, func(i, j int) bool { return ipLess(g.ready[i].IP, g.ready[j].IP) })
		sort.Slice(g.notReady, func(i, j int) bool { return ipLess(g.notReady[i].IP, g.notReady[j].IP) })
		ep.Subsets = append(ep.Subsets, corev1.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	// The controller packs every port of a pod into one subset.
	ep.Subsets = repack(ep.Subsets)
	c.AddEndpoints(ep)
	ep.CreationTimestamp = svc.CreationTimestamp

	// EndpointSlices: one per distinct port list; a placeholder when empty.
	type sliceGroup struct {
		ports     []discoveryv1.EndpointPort
		endpoints []discoveryv1.Endpoint
	}
	sgroups := map[string]*sliceGroup{}
	var sorder []string
	for _, p := range pods {
		if p.Status.PodIP == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		var ports []discoveryv1.EndpointPort
		if !(len(svc.Spec.Ports) == 0 && headless) {
			for _, sp := range svc.Spec.Ports {
				port, ok := findPort(p, sp)
				if !ok {
					continue
				}
				ports = append(ports, discoveryv1.EndpointPort{Name: ptrTo(sp.Name), Port: ptrTo(port), Protocol: ptrTo(sp.Protocol), AppProtocol: sp.AppProtocol})
			}
		}
		key := fmt.Sprint(len(ports)) + portsKey(ports)
		g := sgroups[key]
		if g == nil {
			g = &sliceGroup{ports: ports}
			sgroups[key] = g
			sorder = append(sorder, key)
		}
		serving := podReady(p)
		terminating := p.DeletionTimestamp != nil
		ready := svc.Spec.PublishNotReadyAddresses || serving && !terminating
		e := discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(ready), Serving: ptrTo(serving), Terminating: ptrTo(terminating)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		}
		if p.Spec.NodeName != "" {
			e.NodeName = ptrTo(p.Spec.NodeName)
			if n := c.node(p.Spec.NodeName); n != nil && n.Labels[corev1.LabelTopologyZone] != "" {
				e.Zone = ptrTo(n.Labels[corev1.LabelTopologyZone])
			}
		}
		if setHostname(p, svc) {
			e.Hostname = ptrTo(p.Spec.Hostname)
		}
		g.endpoints = append(g.endpoints, e)
	}
	if len(sorder) == 0 {
		sgroups[""] = &sliceGroup{}
		sorder = []string{""}
	}
	for _, k := range sorder {
		g := sgroups[k]
		sl := copyMap(svc.Labels)
		if sl == nil {
			sl = map[string]string{}
		}
		sl[discoveryv1.LabelServiceName] = svc.Name
		sl[discoveryv1.LabelManagedBy] = "endpointslice-controller.k8s.io"
		if headless {
			sl[corev1.IsHeadlessService] = ""
		}
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name + "-" + c.suffix(5), GenerateName: svc.Name + "-", Labels: sl,
				Annotations:     map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": svc.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z")},
				OwnerReferences: []metav1.OwnerReference{owner("v1", "Service", svc.ObjectMeta)}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   g.endpoints,
			Ports:       g.ports,
		}
		c.AddEndpointSlice(es)
		es.CreationTimestamp = svc.CreationTimestamp
	}
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

func (c *Cluster) node(name string) *corev1.Node {
	for _, n := range c.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
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

// findPort resolves a Service port's targetPort against a pod, as
// podutil.FindPort does: a number is used as is, a name must be declared by
// some container with the same protocol.
func findPort(p *corev1.Pod, sp corev1.ServicePort) (int32, bool) {
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
