package diagnose

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Engine runs checks over a snapshot and walks its traffic paths.
type Engine struct {
	Checks []*Check
}

// Options narrow a diagnosis.
type Options struct {
	// Entries are the entry points to trace: "ingress/NAME", "service/NAME"
	// (in Namespace) or an http(s) URL matched against Ingress rules. Empty
	// means every Ingress path and every Service.
	Entries []string
	// Namespace is where named entries are looked up; "default" when empty.
	Namespace string
	// Namespaces limits the diagnosis to these namespaces; empty means all.
	Namespaces []string
	// Skip lists check IDs not to run.
	Skip []string
}

// EntryError is a named entry point that does not exist or cannot be parsed;
// the CLI reports it as a usage error.
type EntryError struct{ Entry, Why string }

func (e *EntryError) Error() string { return fmt.Sprintf("entry %q: %s", e.Entry, e.Why) }

// findingIndex holds every finding of one run by the object and layer it is
// about, which is how hops look up their status.
type findingIndex struct {
	all   []*Finding
	byHop map[hopKey][]*Finding
	// byObject holds the error findings of each object, at any layer, for
	// ExplainedBy lookups.
	byObject map[snapshot.ObjectRef][]*Finding
	check    map[string]*Check
}

type hopKey struct {
	layer Layer
	ref   snapshot.ObjectRef
}

// Run diagnoses s. The snapshot must be indexed (sources do that).
func (e Engine) Run(s *snapshot.Snapshot, opt Options) (*Result, error) {
	w := &walker{s: s, opt: opt, demoted: map[string]bool{}, pathOf: map[string][]string{},
		policyPods: map[*networkingv1.NetworkPolicy]map[*corev1.Pod]bool{}}
	w.inNS = nsFilter(opt.Namespaces)
	w.idx, w.notChecked = e.runChecks(s, opt.Skip)

	entries, err := w.entries()
	if err != nil {
		return nil, err
	}
	traces := make([]Trace, 0, len(entries))
	for _, en := range entries {
		traces = append(traces, w.walk(en))
	}
	w.demoteExplainedPods()
	findings, merged := w.groupReplicas(w.order(traces))
	for i := range traces {
		if k, ok := merged[traces[i].RootCause]; ok {
			traces[i].RootCause = k
		}
		for j := range traces[i].Hops {
			for n, key := range traces[i].Hops[j].Findings {
				if k, ok := merged[key]; ok {
					traces[i].Hops[j].Findings[n] = k
				}
			}
		}
	}
	res := &Result{Traces: traces, Findings: findings}
	res.Summary = w.summary(res)
	return res, nil
}

// runChecks runs every check (in parallel; each only reads the snapshot) and
// gathers their findings in registry order so output is deterministic.
func (e Engine) runChecks(s *snapshot.Snapshot, skip []string) (*findingIndex, []NotChecked) {
	skipped := map[string]bool{}
	for _, id := range skip {
		skipped[id] = true
	}
	var run []*Check
	for _, c := range e.Checks {
		if !skipped[c.ID] {
			run = append(run, c)
		}
	}
	reporters := make([]*Reporter, len(run))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, c := range run {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := NewReporter(c)
			c.Run(s, r)
			reporters[i] = r
		}()
	}
	wg.Wait()
	idx := &findingIndex{byHop: map[hopKey][]*Finding{}, byObject: map[snapshot.ObjectRef][]*Finding{}, check: map[string]*Check{}}
	var nc []NotChecked
	seen := map[string]bool{}
	for i, r := range reporters {
		idx.check[run[i].ID] = run[i]
		for _, f := range r.Findings() {
			f := f
			if seen[f.Key()] {
				continue
			}
			seen[f.Key()] = true
			if f.Origin == nil {
				if o, ok := s.Origin(f.Object); ok {
					f.Origin = &o
				}
			}
			idx.all = append(idx.all, &f)
			k := hopKey{f.Layer, f.Object}
			idx.byHop[k] = append(idx.byHop[k], &f)
			if f.Severity == SeverityError {
				idx.byObject[f.Object] = append(idx.byObject[f.Object], &f)
			}
		}
		nc = append(nc, r.NotCheckedItems()...)
	}
	return idx, nc
}

func nsFilter(namespaces []string) func(string) bool {
	if len(namespaces) == 0 {
		return func(string) bool { return true }
	}
	set := map[string]bool{}
	for _, n := range namespaces {
		set[n] = true
	}
	return func(ns string) bool { return set[ns] }
}

// walker holds the state of one diagnosis while it walks the paths.
type walker struct {
	s          *snapshot.Snapshot
	opt        Options
	idx        *findingIndex
	notChecked []NotChecked
	inNS       func(string) bool
	// demoted holds keys of symptom findings explained by a deeper broken hop.
	demoted map[string]bool
	// pathOf is the path (hop objects, outermost first) of the first trace
	// that reached a finding's hop.
	pathOf map[string][]string
	// scope holds the entry Ingress and the Service of the trace being
	// walked; findings with Affects only break hops of traces in scope.
	scope map[snapshot.ObjectRef]bool
	// policyPods caches the pods each NetworkPolicy selects.
	policyPods map[*networkingv1.NetworkPolicy]map[*corev1.Pod]bool
}

// entry is one traffic path's starting point.
type entry struct {
	label   string
	ingress *networkingv1.Ingress
	backend *networkingv1.IngressBackend // nil: an Ingress with nothing to route to
	service *corev1.Service
}

func (w *walker) entries() ([]entry, error) {
	if len(w.opt.Entries) == 0 {
		return w.allEntries(), nil
	}
	ns := w.opt.Namespace
	if ns == "" {
		ns = "default"
	}
	var out []entry
	for _, raw := range w.opt.Entries {
		en, err := w.namedEntries(raw, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, en...)
	}
	return out, nil
}

func (w *walker) allEntries() []entry {
	var out []entry
	covered := map[snapshot.ObjectRef]bool{}
	for _, ing := range w.s.Ingresses {
		if !w.inNS(ing.Namespace) {
			continue
		}
		for _, en := range ingressEntries(ing) {
			if en.backend != nil && en.backend.Service != nil {
				covered[snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ing.Namespace, Name: en.backend.Service.Name}] = true
			}
			out = append(out, en)
		}
	}
	for _, svc := range w.s.Services {
		if !w.inNS(svc.Namespace) {
			continue
		}
		// A Service already walked behind an Ingress gets its own trace only
		// when it is also exposed on its own (NodePort, LoadBalancer).
		if covered[snapshot.Ref(snapshot.KindService, svc)] && svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		out = append(out, entry{label: snapshot.Ref(snapshot.KindService, svc).String(), service: svc})
	}
	return out
}

// ingressEntries lists every rule path of an Ingress, then its default
// backend; an Ingress with neither is one entry with no backend.
func ingressEntries(ing *networkingv1.Ingress) []entry {
	base := snapshot.Ref(snapshot.KindIngress, ing).String()
	var out []entry
	for _, b := range snapshot.IngressBackends(ing) {
		label := base + " (default backend)"
		if !b.IsDefault() {
			label = base + " " + b.Host + b.Path.Path
		}
		out = append(out, entry{label: label, ingress: ing, backend: b.Backend})
	}
	if len(out) == 0 {
		out = append(out, entry{label: base, ingress: ing})
	}
	return out
}

func (w *walker) namedEntries(raw, ns string) ([]entry, error) {
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		en, err := w.urlEntry(raw)
		if err != nil {
			return nil, err
		}
		return []entry{en}, nil
	}
	kind, name, ok := strings.Cut(raw, "/")
	if !ok || name == "" {
		return nil, &EntryError{Entry: raw, Why: "want ingress/NAME, service/NAME or an http(s):// URL"}
	}
	switch strings.ToLower(kind) {
	case "ingress", "ingresses", "ing":
		for _, ing := range w.s.IngressesIn(ns) {
			if ing.Name == name {
				return ingressEntries(ing), nil
			}
		}
		var elsewhere []string
		for _, ing := range w.s.Ingresses {
			if ing.Name == name {
				elsewhere = append(elsewhere, ing.Namespace)
			}
		}
		return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Ingress %q in namespace %q%s", name, ns, existsIn(elsewhere))}
	case "service", "services", "svc":
		svc := w.s.Service(ns, name)
		if svc == nil {
			var elsewhere []string
			for _, o := range w.s.Services {
				if o.Name == name {
					elsewhere = append(elsewhere, o.Namespace)
				}
			}
			return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Service %q in namespace %q%s", name, ns, existsIn(elsewhere))}
		}
		return []entry{{label: snapshot.Ref(snapshot.KindService, svc).String(), service: svc}}, nil
	}
	return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("unknown kind %q: want ingress or service", kind)}
}

// existsIn tells the user where a name they looked for does exist.
func existsIn(namespaces []string) string {
	if len(namespaces) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it exists in namespace %s: add -n %s)", strings.Join(namespaces, ", "), namespaces[0])
}

// walk follows one entry point down the layers. A link that cannot be
// followed ends the walk; a layer that is up but unhealthy is followed
// further down so that the deepest broken layer is found.
func (w *walker) walk(en entry) Trace {
	t := Trace{Entry: en.label}
	w.scope = map[snapshot.ObjectRef]bool{}
	if en.ingress != nil {
		w.scope[snapshot.Ref(snapshot.KindIngress, en.ingress)] = true
		if en.backend != nil && en.backend.Service != nil {
			w.scope[snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: en.ingress.Namespace, Name: en.backend.Service.Name}] = true
		}
	}
	if en.service != nil {
		w.scope[snapshot.Ref(snapshot.KindService, en.service)] = true
	}
	var svc *corev1.Service
	if en.ingress != nil {
		ref := snapshot.Ref(snapshot.KindIngress, en.ingress)
		h := w.hop(LayerIngress, ref)
		t.Hops = append(t.Hops, h)
		if en.backend == nil || en.backend.Service == nil {
			if en.backend != nil && en.backend.Resource != nil {
				t.Hops[len(t.Hops)-1].Reason = "backend is a resource (" + en.backend.Resource.Kind + "), not a Service: not followed"
			}
			return w.finish(t, false)
		}
		svcRef := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: en.ingress.Namespace, Name: en.backend.Service.Name}
		svc = w.s.Service(svcRef.Namespace, svcRef.Name)
		if svc == nil {
			why := "not in the input"
			if w.s.Live {
				why = "does not exist in namespace " + svcRef.Namespace
			}
			if !w.s.Knows(snapshot.KindService, svcRef.Namespace) {
				why = w.unknownWhy(snapshot.KindService, svcRef.Namespace)
			}
			t.Hops = append(t.Hops, Hop{Layer: LayerService, Object: svcRef, Status: StatusNotChecked, Reason: why})
			return w.finish(t, false)
		}
	} else {
		svc = en.service
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			t.Hops = append(t.Hops, w.hop(LayerExposure, snapshot.Ref(snapshot.KindService, svc)))
		}
	}
	return w.finish(t, w.walkService(&t, svc))
}

// walkService appends the hops from the Service down and reports whether
// every pod behind it is broken.
func (w *walker) walkService(t *Trace, svc *corev1.Service) (podsDown bool) {
	ref := snapshot.Ref(snapshot.KindService, svc)
	h := w.hop(LayerService, ref)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		h.Reason = "ExternalName → " + svc.Spec.ExternalName + " (resolved by DNS, no endpoints)"
		t.Hops = append(t.Hops, h)
		return false
	}
	t.Hops = append(t.Hops, h)
	var pods []*corev1.Pod
	if len(svc.Spec.Selector) > 0 {
		pods = w.s.PodsMatching(svc.Namespace, svc.Spec.Selector)
	}

	epRef := snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
	ep := w.hop(LayerEndpoints, epRef)
	hasEndpoints := w.s.EndpointsFor(svc.Namespace, svc.Name) != nil || len(w.s.EndpointSlicesFor(svc.Namespace, svc.Name)) > 0
	if ep.Status == StatusOK && !hasEndpoints {
		why, forbidden := w.s.Forbidden[snapshot.KindEndpoints]
		switch {
		case forbidden:
			ep.Status, ep.Reason = StatusNotChecked, why
		case !w.s.Knows(snapshot.KindEndpoints, svc.Namespace) && !w.s.Knows(snapshot.KindEndpointSlice, svc.Namespace):
			ep.Status = StatusNotChecked
			ep.Reason = fmt.Sprintf("the input holds no Endpoints for namespace %s; %d pod(s) match the selector", svc.Namespace, len(pods))
		}
	}
	t.Hops = append(t.Hops, ep)
	if isClusterDNS(svc) {
		t.Hops = append(t.Hops, w.dnsHops()...)
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
	t.Hops = append(t.Hops, w.policyHops(svc.Namespace, pods)...)
	podHops, allDown := w.podHops(pods)
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
func (w *walker) dnsHops() []Hop {
	var hops []Hop
	seen := map[snapshot.ObjectRef]bool{}
	for _, f := range w.idx.all {
		if f.Layer != LayerDNS || f.Object.Namespace != "kube-system" || seen[f.Object] {
			continue
		}
		seen[f.Object] = true
		hops = append(hops, w.hop(LayerDNS, f.Object))
	}
	return hops
}

// policyHops adds a networkpolicy hop for each NetworkPolicy that selects
// any of the pods and has findings, or one ok hop naming how many select
// them; no hop at all when no policy selects them.
func (w *walker) policyHops(ns string, pods []*corev1.Pod) []Hop {
	var hops []Hop
	selecting := 0
	for _, np := range w.s.NetworkPoliciesIn(ns) {
		if !w.selectsAny(np, pods) {
			continue
		}
		selecting++
		h := w.hop(LayerNetworkPolicy, snapshot.Ref(snapshot.KindNetworkPolicy, np))
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
func (w *walker) selectsAny(np *networkingv1.NetworkPolicy, pods []*corev1.Pod) bool {
	in, ok := w.policyPods[np]
	if !ok {
		sel := w.s.PodsMatchingSelector(np.Namespace, &np.Spec.PodSelector)
		in = make(map[*corev1.Pod]bool, len(sel))
		for _, p := range sel {
			in[p] = true
		}
		w.policyPods[np] = in
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
func (w *walker) podHops(pods []*corev1.Pod) (hops []Hop, allDown bool) {
	type podState struct {
		pod                *corev1.Pod
		pod0, ctr, nodeHop Hop
		broken             bool
	}
	var broken []podState
	var first *podState
	for i, p := range pods {
		subj := w.s.SubjectOf(p)
		st := podState{pod: p, pod0: w.hop(LayerPod, subj), ctr: w.hop(LayerContainer, subj)}
		if p.Spec.NodeName != "" && w.s.Node(p.Spec.NodeName) != nil {
			st.nodeHop = w.hop(LayerNode, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: p.Spec.NodeName})
		}
		st.broken = st.pod0.Status == StatusBroken || st.ctr.Status == StatusBroken || st.nodeHop.Status == StatusBroken
		if st.broken {
			broken = append(broken, st)
		}
		if i == 0 {
			first = &st
		}
	}
	template := snapshot.IsTemplatePod(pods[0])
	if len(broken) == 0 {
		h := first.pod0
		if template {
			h.Reason = joinReason(h.Reason, fmt.Sprintf("%d workload template(s) match; runtime state not in the input", len(pods)))
		} else {
			h.Reason = joinReason(h.Reason, fmt.Sprintf("%d/%d pod(s) healthy", len(pods), len(pods)))
		}
		hops = []Hop{h, first.ctr}
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
		ph := st.pod0
		if i == 0 {
			ph.Reason = joinReason(ph.Reason, fmt.Sprintf("%d of %d pod(s) broken", len(broken), len(pods)))
		}
		hops = append(hops, ph, st.ctr)
		if st.nodeHop.Layer != "" {
			hops = append(hops, st.nodeHop)
		}
	}
	return hops, len(broken) == len(pods)
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// hop builds a hop from the findings on ref at layer: broken when any of them
// is an error.
func (w *walker) hop(layer Layer, ref snapshot.ObjectRef) Hop {
	h := Hop{Layer: layer, Object: ref, Status: StatusOK}
	for _, f := range w.idx.byHop[hopKey{layer, ref}] {
		if !w.inScope(f) {
			continue
		}
		h.Findings = append(h.Findings, f.Key())
		if f.Severity == SeverityError {
			h.Status = StatusBroken
		}
	}
	if h.Status == StatusOK {
		if why, ok := w.s.Forbidden[ref.Kind]; ok {
			h.Status, h.Reason = StatusNotChecked, why
		}
	}
	return h
}

// inScope reports whether f concerns the trace being walked.
func (w *walker) inScope(f *Finding) bool {
	if len(f.Affects) == 0 {
		return true
	}
	for _, ref := range f.Affects {
		if w.scope[ref] {
			return true
		}
	}
	return false
}

func (w *walker) errorsOn(h Hop) []*Finding {
	var out []*Finding
	for _, f := range w.idx.byHop[hopKey{h.Layer, h.Object}] {
		if f.Severity == SeverityError && w.inScope(f) {
			out = append(out, f)
		}
	}
	return out
}

// symptomOnly reports whether every error on the hop comes from a Symptom
// check, so the hop may be explained by a deeper one.
func (w *walker) symptomOnly(h Hop) bool {
	errs := w.errorsOn(h)
	if len(errs) == 0 {
		return false
	}
	for _, f := range errs {
		if c := w.idx.check[f.Check]; c == nil || !c.Symptom {
			return false
		}
	}
	return true
}

// finish decides, once all hops are known, which broken hop is the root
// cause and which hops are only affected by it.
//
// The root cause is the deepest broken hop whose findings name a cause; a hop
// broken only by symptom findings (no ready endpoint, pod not ready) is the
// root cause only when no such hop exists on the path, and otherwise becomes
// affected, its findings demoted. Every healthy hop above the root cause is
// affected: if one layer fails, everything above it fails. The pod layer
// fails the path only when no pod behind it serves (podsDown): one
// crash-looping replica of three degrades a Service, it does not take it down.
func (w *walker) finish(t Trace, podsDown bool) Trace {
	candidate := func(i int) bool {
		h := t.Hops[i]
		return h.Status == StatusBroken && (podsDown || !isPodLayer(h.Layer))
	}
	root := -1
	for i := range t.Hops {
		if candidate(i) && !w.symptomOnly(t.Hops[i]) {
			root = i
		}
	}
	if root < 0 {
		for i := range t.Hops {
			if candidate(i) {
				root = i
			}
		}
	}
	// Nothing fails the whole path, yet a partly broken pod layer still
	// names its first broken pod's deepest hop; only that pod's own hops are
	// affected then.
	partial := root < 0
	if partial || isPodLayer(t.Hops[root].Layer) {
		root = w.firstPodRoot(t)
	}
	if root < 0 {
		t.Status = TraceOK
		for _, h := range t.Hops {
			if h.Status == StatusNotChecked {
				t.Status = TraceNotChecked
			}
		}
		return w.recordPaths(t)
	}
	// When the evidence of the root cause names what would explain it and
	// that is broken too, the walk goes one step further: to the nodes a
	// Pending pod cannot be scheduled on, to the DNS name a crashing
	// container cannot resolve.
	if g := w.explainer(t.Hops[root]); g != nil {
		t.Hops = slices.Insert(t.Hops, root+1, w.hop(g.Layer, g.Object))
		root++
	}
	rootHop := t.Hops[root]
	by := rootHop.Object.String() + " (" + string(rootHop.Layer) + ")"
	for i := range t.Hops {
		h := &t.Hops[i]
		if i == root || (isPodLayer(h.Layer) && isPodLayer(rootHop.Layer) && !w.samePod(t, i, root)) {
			continue
		}
		if partial && !isPodLayer(h.Layer) {
			continue
		}
		switch {
		case h.Status == StatusOK && i < root:
			h.Status = StatusAffected
			h.Reason = joinReason(h.Reason, "affected by "+by)
		case h.Status == StatusBroken && i < root && w.explainer(*h) != nil:
			h.Status = StatusAffected
			h.Reason = joinReason(h.Reason, "consequence of "+by)
			for _, f := range w.errorsOn(*h) {
				w.demoted[f.Key()] = true
			}
		case candidate(i) && w.symptomOnly(*h) && (i < root || !isPodLayer(h.Layer)):
			// A symptom above the root cause is its consequence; below it,
			// only layers that depend on what is above (endpoints follow
			// the Service's ports) are. A pod is not ready for reasons of
			// its own.
			h.Status = StatusAffected
			h.Reason = joinReason(h.Reason, "consequence of "+by)
			for _, f := range w.errorsOn(*h) {
				w.demoted[f.Key()] = true
			}
		}
	}
	if errs := w.errorsOn(rootHop); len(errs) > 0 {
		t.RootCause = errs[0].Key()
		t.Hops[root].RootCause = true
	}
	if partial {
		t.Status = TraceDegraded
	} else {
		t.Status = TraceBroken
	}
	return w.recordPaths(t)
}

// explainer returns the error finding that explains every error on h
// through their ExplainedBy, or nil when some error stands on its own.
func (w *walker) explainer(h Hop) *Finding {
	errs := w.errorsOn(h)
	if len(errs) == 0 {
		return nil
	}
	var first *Finding
	for _, f := range errs {
		g := w.explanationOf(f)
		if g == nil {
			return nil
		}
		if first == nil {
			first = g
		}
	}
	return first
}

// explanationOf returns the first error finding on an object f names in
// ExplainedBy.
func (w *walker) explanationOf(f *Finding) *Finding {
	for _, ref := range f.ExplainedBy {
		var symptom *Finding
		for _, g := range w.idx.byObject[ref] {
			if g == f || len(g.ExplainedBy) > 0 {
				continue
			}
			// A pod's crash loop explains more than its not-ready symptom.
			if c := w.idx.check[g.Check]; c != nil && c.Symptom {
				if symptom == nil {
					symptom = g
				}
				continue
			}
			return g
		}
		if symptom != nil {
			return symptom
		}
	}
	return nil
}

// recordPaths remembers, for every finding on the trace, the path that
// leads to it: the hops from the entry down to its hop, leaving out the
// hops of other pods and repeats of one object (a pod hop and its
// container hop name the same Pod). The first trace to reach a finding wins.
func (w *walker) recordPaths(t Trace) Trace {
	for i, h := range t.Hops {
		if len(h.Findings) == 0 {
			continue
		}
		var objs []string
		for j := 0; j <= i; j++ {
			if isPodLayer(t.Hops[j].Layer) && isPodLayer(h.Layer) && !w.samePod(t, j, i) {
				continue
			}
			if isPodLayer(t.Hops[j].Layer) && !isPodLayer(h.Layer) {
				continue
			}
			o := t.Hops[j].Object.String()
			if len(objs) > 0 && objs[len(objs)-1] == o {
				continue
			}
			objs = append(objs, o)
		}
		for _, k := range h.Findings {
			if _, ok := w.pathOf[k]; !ok {
				w.pathOf[k] = objs
			}
		}
	}
	return t
}

func isPodLayer(l Layer) bool {
	return l == LayerPod || l == LayerContainer || l == LayerNode
}

// firstPodRoot returns the index of the deepest broken hop belonging to the
// first broken pod of the trace (pod, then its container, then its node).
func (w *walker) firstPodRoot(t Trace) int {
	root := -1
	for i, h := range t.Hops {
		if h.Layer == LayerPod && root >= 0 {
			break
		}
		if isPodLayer(h.Layer) && h.Status == StatusBroken {
			root = i
		}
	}
	return root
}

// samePod reports whether hop i belongs to the pod group of hop j: a pod hop
// followed by its container and node hops.
func (w *walker) samePod(t Trace, i, j int) bool {
	start := j
	for start > 0 && t.Hops[start].Layer != LayerPod {
		start--
	}
	end := start + 1
	for end < len(t.Hops) && t.Hops[end].Layer != LayerPod {
		end++
	}
	return i >= start && i < end
}

// demoteExplainedPods handles pods no trace reached: a pod that is not ready
// because its container crashes or its node is down has one cause, not two.
func (w *walker) demoteExplainedPods() {
	for _, f := range w.idx.all {
		if f.Layer != LayerPod || f.Severity != SeverityError || w.demoted[f.Key()] {
			continue
		}
		if c := w.idx.check[f.Check]; c == nil || !c.Symptom {
			continue
		}
		explained := false
		for _, g := range w.idx.byHop[hopKey{LayerContainer, f.Object}] {
			explained = explained || g.Severity == SeverityError
		}
		if f.Object.Kind == snapshot.KindPod {
			if p := w.s.Pod(f.Object.Namespace, f.Object.Name); p != nil && p.Spec.NodeName != "" {
				for _, g := range w.idx.byHop[hopKey{LayerNode, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: p.Spec.NodeName}}] {
					explained = explained || g.Severity == SeverityError
				}
			}
		}
		if explained {
			w.demoted[f.Key()] = true
		}
	}
	for _, f := range w.idx.all {
		if len(f.ExplainedBy) > 0 && w.explanationOf(f) != nil {
			w.demoted[f.Key()] = true
		}
	}
}

// groupReplicas merges findings that say the same thing about several
// replicas of one workload (one check, one container, pods of one owner):
// a template mistake in a 20-replica Deployment is one finding naming the
// other pods, not 20. merged maps each dropped key to the kept one.
func (w *walker) groupReplicas(in []Finding) (out []Finding, merged map[string]string) {
	// Replicas merge only when they fail the same way: the cause, with the
	// pod's own name taken out, must match (one replica OOMKilled and one
	// exiting with an error are two findings).
	type groupKey struct {
		check, container, cause string
		severity                Severity
		owner                   snapshot.ObjectRef
	}
	merged = map[string]string{}
	first := map[groupKey]int{}
	others := map[int][]string{}
	for _, f := range in {
		if f.Object.Kind == snapshot.KindPod && (f.Layer == LayerPod || f.Layer == LayerContainer) {
			if p := w.s.Pod(f.Object.Namespace, f.Object.Name); p != nil {
				if owner, ok := w.s.OwnerOf(p); ok {
					k := groupKey{f.Check, f.Container, failureSignature(f), f.Severity, owner}
					if i, seen := first[k]; seen {
						merged[f.Key()] = out[i].Key()
						others[i] = append(others[i], f.Object.Name)
						continue
					}
					first[k] = len(out)
				}
			}
		}
		out = append(out, f)
	}
	for i, names := range others {
		f := &out[i]
		owner, _ := w.s.OwnerOf(w.s.Pod(f.Object.Namespace, f.Object.Name))
		shown := names
		if len(shown) > 5 {
			shown = shown[:5]
		}
		line := fmt.Sprintf("the same on %d more pod(s) of %s: %s", len(names), owner, strings.Join(shown, ", "))
		if len(names) > len(shown) {
			line += fmt.Sprintf(" and %d more", len(names)-len(shown))
		}
		f.Evidence = append(append([]string(nil), f.Evidence...), line)
	}
	return out, merged
}

// Parts of a cause that differ between replicas failing the same way.
var (
	causeTime   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	causeCount  = regexp.MustCompile(`\((x\d+|\d+ restarts?)\)`)
	causeIP     = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`)
	causeSuffix = regexp.MustCompile(`-[a-z0-9]{5}\b`)
)

// failureSignature is a finding's cause with what differs between replicas
// taken out (the pod's name, timestamps, restart and event counts, pod
// IPs), so that replicas failing the same way compare equal and one
// OOMKilled among crashing ones does not.
func failureSignature(f Finding) string {
	c := strings.ReplaceAll(f.Cause, f.Object.Name, "<pod>")
	c = causeTime.ReplaceAllString(c, "<time>")
	c = causeCount.ReplaceAllString(c, "(<n>)")
	c = causeIP.ReplaceAllString(c, "<ip>")
	return causeSuffix.ReplaceAllString(c, "-<id>")
}

// order returns the findings to report: root causes of broken paths first
// (in trace order), then the other errors, warnings and infos; demoted
// symptoms and findings outside the namespace filter are left out.
func (w *walker) order(traces []Trace) []Finding {
	rank := map[string]int{}
	for _, t := range traces {
		if t.RootCause != "" {
			if _, ok := rank[t.RootCause]; !ok {
				rank[t.RootCause] = len(rank)
			}
		}
	}
	var out []Finding
	for _, f := range w.idx.all {
		key := f.Key()
		if w.demoted[key] {
			continue
		}
		path, onPath := w.pathOf[key]
		if !onPath && !w.inNS(f.Object.Namespace) && f.Layer != LayerDNS {
			continue
		}
		g := *f
		if onPath {
			g.Path = path
		} else {
			g.Path = []string{f.Object.String()}
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, iok := rank[out[i].Key()]
		rj, jok := rank[out[j].Key()]
		if iok != jok {
			return iok
		}
		if iok {
			return ri < rj
		}
		if out[i].Severity.Rank() != out[j].Severity.Rank() {
			return out[i].Severity.Rank() > out[j].Severity.Rank()
		}
		_, pi := w.pathOf[out[i].Key()]
		_, pj := w.pathOf[out[j].Key()]
		if pi != pj {
			return pi
		}
		return out[i].Layer.Depth() > out[j].Layer.Depth()
	})
	return out
}

func (w *walker) summary(res *Result) Summary {
	s := Summary{
		Objects:      w.s.ObjectCount(),
		Findings:     len(res.Findings),
		Skipped:      w.s.SkippedTotal(),
		TemplatePods: w.s.TemplatePods,
	}
	if len(w.s.Skipped) > 0 {
		s.SkippedKinds = w.s.Skipped
	}
	for _, f := range res.Findings {
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		case SeverityInfo:
			s.Infos++
		}
	}
	kinds := make([]string, 0, len(w.s.Forbidden))
	for k := range w.s.Forbidden {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s.NotChecked = append(s.NotChecked, k+": "+w.s.Forbidden[k])
	}
	for ref, n := range w.s.Duplicates {
		if w.inNS(ref.Namespace) {
			s.Duplicates = append(s.Duplicates, fmt.Sprintf("%s is defined %d times in the input; the last definition is diagnosed", ref, n))
		}
	}
	sort.Strings(s.Duplicates)
	for _, ns := range w.opt.Namespaces {
		if !slices.Contains(w.s.NamespaceNames(), ns) {
			s.NotChecked = append(s.NotChecked, fmt.Sprintf("namespace %s: the input holds no objects in it", ns))
		}
	}
	seen := map[string]bool{}
	for _, n := range w.notChecked {
		if !w.inNS(n.Object.Namespace) {
			continue
		}
		line := fmt.Sprintf("%s (%s): %s", n.Object, n.Layer, n.Why)
		if !seen[line] {
			seen[line] = true
			s.NotChecked = append(s.NotChecked, line)
		}
	}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	if res.Traces == nil {
		res.Traces = []Trace{}
	}
	return s
}

// unknownWhy says why the input cannot tell whether a kind exists.
func (w *walker) unknownWhy(kind, ns string) string {
	if why, ok := w.s.Forbidden[kind]; ok {
		return why
	}
	if ns == "" {
		return "the input has no " + kind + " objects"
	}
	return fmt.Sprintf("the input has no %s objects in namespace %s", kind, ns)
}
