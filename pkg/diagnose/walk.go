// The walk follows one entry point down the layers, hop by hop: Ingress,
// Service, Endpoints, the NetworkPolicies and pods behind them, each pod's
// containers and node, and the DNS layer below the cluster's DNS Service. Each
// hop gets its status from the findings on its object; which broken hop is
// the root cause is decided once the walk is done (rootcause.go).

package diagnose

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// walk follows one entry point down the layers. A link that cannot be
// followed ends the walk; a layer that is up but unhealthy is followed
// further down so that the deepest broken layer is found.
func (d *diagnosis) walk(en entry) Trace {
	if en.gw != nil {
		return d.walkGatewayPath(en)
	}
	t := Trace{Entry: en.label}
	svcRef, routed := en.backendService()
	d.scope = map[snapshot.ObjectRef]bool{}
	if en.ingress != nil {
		d.scope[snapshot.Ref(snapshot.KindIngress, en.ingress)] = true
		if routed {
			d.scope[svcRef] = true
		}
	}
	if en.service != nil {
		d.scope[snapshot.Ref(snapshot.KindService, en.service)] = true
	}
	var svc *corev1.Service
	if en.ingress != nil {
		ref := snapshot.Ref(snapshot.KindIngress, en.ingress)
		h := d.hop(LayerIngress, ref)
		t.Hops = append(t.Hops, h)
		if !routed {
			if en.backend != nil && en.backend.Resource != nil {
				t.Hops[len(t.Hops)-1].Reason = "backend is a resource (" + en.backend.Resource.Kind + "), not a Service: not followed"
			}
			return d.judge(t, false)
		}
		svc = d.s.Service(svcRef.Namespace, svcRef.Name)
		if svc == nil {
			t.Hops = append(t.Hops, d.missingServiceHop(svcRef))
			return d.judge(t, false)
		}
	} else {
		svc = en.service
		if exposedOnItsOwn(svc) {
			t.Hops = append(t.Hops, d.hop(LayerExposure, snapshot.Ref(snapshot.KindService, svc)))
		}
	}
	return d.judge(t, d.walkService(&t, svc))
}

// missingServiceHop is the hop of a backend Service the input does not
// hold: the finding on the hop above says whether that is the fault.
func (d *diagnosis) missingServiceHop(svcRef snapshot.ObjectRef) Hop {
	why := "not in the input"
	if d.s.Live {
		why = "does not exist in namespace " + svcRef.Namespace
	}
	if !d.s.Knows(snapshot.KindService, svcRef.Namespace) {
		why = d.unknownWhy(snapshot.KindService, svcRef.Namespace)
	}
	return Hop{Layer: LayerService, Object: svcRef, Status: StatusNotChecked, Reason: why}
}

// walkService appends the hops from the Service down and reports whether
// every pod behind it is broken.
func (d *diagnosis) walkService(t *Trace, svc *corev1.Service) (podsDown bool) {
	ref := snapshot.Ref(snapshot.KindService, svc)
	h := d.hop(LayerService, ref)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		h.Reason = "ExternalName → " + svc.Spec.ExternalName + " (resolved by DNS, no endpoints)"
		t.Hops = append(t.Hops, h)
		return false
	}
	t.Hops = append(t.Hops, h)
	var pods []*corev1.Pod
	if len(svc.Spec.Selector) > 0 {
		pods = d.s.PodsMatching(svc.Namespace, svc.Spec.Selector)
	}

	epRef := snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
	ep := d.hop(LayerEndpoints, epRef)
	hasEndpoints := d.s.EndpointsFor(svc.Namespace, svc.Name) != nil || len(d.s.EndpointSlicesFor(svc.Namespace, svc.Name)) > 0
	if ep.Status == StatusOK && !hasEndpoints {
		why, forbidden := d.s.Forbidden[snapshot.KindEndpoints]
		switch {
		case forbidden:
			ep.Status, ep.Reason = StatusNotChecked, why
		case !d.s.Knows(snapshot.KindEndpoints, svc.Namespace) && !d.s.Knows(snapshot.KindEndpointSlice, svc.Namespace):
			ep.Status = StatusNotChecked
			ep.Reason = fmt.Sprintf("the input holds no Endpoints for namespace %s; %d pod(s) match the selector", svc.Namespace, len(pods))
		}
	}
	t.Hops = append(t.Hops, ep)
	if isClusterDNS(svc) {
		t.Hops = append(t.Hops, d.dnsHops()...)
	}
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	if len(pods) == 0 {
		// Nothing matches, so the endpoints are empty whatever the input says.
		if last := &t.Hops[len(t.Hops)-1]; last.Layer == LayerEndpoints && h.Status == StatusBroken && last.Status != StatusBroken {
			last.Status, last.Reason = StatusAffected, "no pod matches the selector: ENDPOINTS <none>"
		}
		return false
	}
	t.Hops = append(t.Hops, d.policyHops(svc.Namespace, pods)...)
	podHops, allDown := d.podHops(pods)
	t.Hops = append(t.Hops, podHops...)
	return allDown
}

// isClusterDNS reports whether svc is the cluster's DNS Service, whose path
// continues into the DNS layer's findings (CoreDNS scaled down, crashing).
func isClusterDNS(svc *corev1.Service) bool {
	return svc.Namespace == "kube-system" && (svc.Name == "kube-dns" || svc.Labels["k8s-app"] == "kube-dns")
}

// dnsHops are the DNS-layer findings about kube-system's DNS objects, as hops
// below the kube-dns Service.
func (d *diagnosis) dnsHops() []Hop {
	var hops []Hop
	seen := map[snapshot.ObjectRef]bool{}
	for _, f := range d.idx.all {
		if f.Layer != LayerDNS || f.Object.Namespace != "kube-system" || seen[f.Object] {
			continue
		}
		seen[f.Object] = true
		hops = append(hops, d.hop(LayerDNS, f.Object))
	}
	return hops
}

// policyHops adds a networkpolicy hop for each NetworkPolicy that selects
// any of the pods and has findings, or one ok hop naming how many select
// them; no hop at all when no policy selects them.
func (d *diagnosis) policyHops(ns string, pods []*corev1.Pod) []Hop {
	var hops []Hop
	selecting := 0
	for _, np := range d.s.NetworkPoliciesIn(ns) {
		if !d.selectsAny(np, pods) {
			continue
		}
		selecting++
		h := d.hop(LayerNetworkPolicy, snapshot.Ref(snapshot.KindNetworkPolicy, np))
		if h.Status != StatusOK {
			hops = append(hops, h)
		}
	}
	if len(hops) == 0 && selecting > 0 {
		return []Hop{{Layer: LayerNetworkPolicy, Object: snapshot.ObjectRef{Kind: snapshot.KindNetworkPolicy, Namespace: ns, Name: "*"},
			Status: StatusOK, Reason: fmt.Sprintf("%d polic(ies) select these pods; none blocks this path", selecting)}}
	}
	return hops
}

// selectsAny reports whether np selects any of pods. Each policy's selected
// set is computed once per diagnosis: many Services share a namespace's
// policies.
func (d *diagnosis) selectsAny(np *networkingv1.NetworkPolicy, pods []*corev1.Pod) bool {
	in, ok := d.policyPods[np]
	if !ok {
		sel := d.s.PodsMatchingSelector(np.Namespace, &np.Spec.PodSelector)
		in = make(map[*corev1.Pod]bool, len(sel))
		for _, p := range sel {
			in[p] = true
		}
		d.policyPods[np] = in
	}
	for _, p := range pods {
		if in[p] {
			return true
		}
	}
	return false
}

// maxBrokenPods bounds how many broken pods one trace lists hop by hop; the
// rest are counted in the pod hop's reason.
const maxBrokenPods = 3

// podHops summarises the pod layer: one ok hop when every pod serves, or
// hops for the broken pods (pod, container, node) when some do not.
func (d *diagnosis) podHops(pods []*corev1.Pod) (hops []Hop, allDown bool) {
	// podState is one pod's group of hops; nodeHop is empty when the input
	// does not hold the pod's node.
	type podState struct {
		podHop, containerHop, nodeHop Hop
		broken                        bool
	}
	var broken []podState
	var first *podState
	for i, p := range pods {
		subj := d.s.SubjectOf(p)
		st := podState{podHop: d.hop(LayerPod, subj), containerHop: d.hop(LayerContainer, subj)}
		if p.Spec.NodeName != "" && d.s.Node(p.Spec.NodeName) != nil {
			st.nodeHop = d.hop(LayerNode, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: p.Spec.NodeName})
		}
		st.broken = st.podHop.Status == StatusBroken || st.containerHop.Status == StatusBroken || st.nodeHop.Status == StatusBroken
		if st.broken {
			broken = append(broken, st)
		}
		if i == 0 {
			first = &st
		}
	}
	template := snapshot.IsTemplatePod(pods[0])
	if len(broken) == 0 {
		h := first.podHop
		if template {
			h.Reason = joinReason(h.Reason, fmt.Sprintf("%d workload template(s) match; runtime state not in the input", len(pods)))
		} else {
			h.Reason = joinReason(h.Reason, fmt.Sprintf("%d/%d pod(s) healthy", len(pods), len(pods)))
		}
		hops = []Hop{h, first.containerHop}
		if first.nodeHop.Layer != "" {
			hops = append(hops, first.nodeHop)
		}
		return hops, false
	}
	for i, st := range broken {
		if i == maxBrokenPods {
			hops[0].Reason = joinReason(hops[0].Reason, fmt.Sprintf("%d more broken pod(s) not shown", len(broken)-maxBrokenPods))
			break
		}
		ph := st.podHop
		if i == 0 {
			ph.Reason = joinReason(ph.Reason, fmt.Sprintf("%d of %d pod(s) broken", len(broken), len(pods)))
		}
		hops = append(hops, ph, st.containerHop)
		if st.nodeHop.Layer != "" {
			hops = append(hops, st.nodeHop)
		}
	}
	return hops, len(broken) == len(pods)
}

// joinReason adds a fact to a hop's reason.
func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// hop builds a hop from the findings on ref at layer: broken when any of them
// is an error.
func (d *diagnosis) hop(layer Layer, ref snapshot.ObjectRef) Hop {
	h := Hop{Layer: layer, Object: ref, Status: StatusOK}
	for _, f := range d.idx.byHop[hopKey{layer, ref}] {
		if !d.inScope(f) {
			continue
		}
		h.Findings = append(h.Findings, f.Key())
		if f.Severity == SeverityError {
			h.Status = StatusBroken
		}
	}
	if h.Status == StatusOK {
		if why, ok := d.s.Forbidden[ref.Kind]; ok {
			h.Status, h.Reason = StatusNotChecked, why
		}
	}
	return h
}

// inScope reports whether f concerns the trace being walked.
func (d *diagnosis) inScope(f *Finding) bool {
	if len(f.Affects) == 0 {
		return true
	}
	for _, ref := range f.Affects {
		if d.scope[ref] {
			return true
		}
	}
	return false
}

// errorsOn returns the error findings on h that concern the trace being
// walked.
func (d *diagnosis) errorsOn(h Hop) []*Finding {
	var out []*Finding
	for _, f := range d.idx.byHop[hopKey{h.Layer, h.Object}] {
		if f.Severity == SeverityError && d.inScope(f) {
			out = append(out, f)
		}
	}
	return out
}

// unknownWhy says why the input cannot tell whether a kind exists.
func (d *diagnosis) unknownWhy(kind, ns string) string {
	if why, ok := d.s.Forbidden[kind]; ok {
		return why
	}
	if ns == "" {
		return "the input has no " + kind + " objects"
	}
	return fmt.Sprintf("the input has no %s objects in namespace %s", kind, ns)
}
