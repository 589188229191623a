package watch

import (
	"encoding/json"
	"slices"
	"sort"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The published diagnosis is kept split by namespace, so that a change in
// one namespace replaces only that namespace's part: the traces whose entry
// sits in it and the findings on its objects. Findings on cluster-scoped
// objects (Nodes) are the part of namespace "".

// part is what one namespace contributes to the diagnosis.
type part struct {
	traces   []diagnose.Trace
	findings []diagnose.Finding
	// reaches holds the other namespaces the traces of this part walk
	// through (a Gateway in one namespace, its route's Service in another):
	// a change there changes these traces too.
	reaches map[string]bool
}

// partitions is a whole diagnosis by namespace.
type partitions map[string]*part

// split cuts a diagnosis into its namespaces' parts. Only namespaces in
// keep are kept (nil keeps all): a diagnosis of a few namespaces also
// reports findings on the paths it walked elsewhere (cluster DNS), which
// belong to the part of their own namespace.
func split(res *diagnose.Result, keep map[string]bool) partitions {
	out := partitions{}
	get := func(ns string) *part {
		p := out[ns]
		if p == nil {
			p = &part{reaches: map[string]bool{}}
			out[ns] = p
		}
		return p
	}
	for _, t := range res.Traces {
		ns := traceNamespace(t)
		if keep != nil && !keep[ns] {
			continue
		}
		p := get(ns)
		p.traces = append(p.traces, t)
		for _, h := range t.Hops {
			if h.Object.Namespace != ns {
				p.reaches[h.Object.Namespace] = true
			}
		}
	}
	for _, f := range res.Findings {
		ns := f.Object.Namespace
		if keep != nil && !keep[ns] {
			continue
		}
		get(ns).findings = append(get(ns).findings, f)
	}
	return out
}

// traceNamespace is the namespace whose part a trace is: that of its
// route for a Gateway API path (a shared Gateway serves routes of many
// namespaces, and a diagnosis of the route's namespace walks the path
// again), else that of its entry.
func traceNamespace(t diagnose.Trace) string {
	for _, h := range t.Hops {
		if slices.Contains(snapshot.RouteKinds, h.Object.Kind) {
			return h.Object.Namespace
		}
	}
	_, ns := entryScope(t)
	return ns
}

// replace puts the parts of the namespaces in done from fresh in place of
// their old parts; a namespace fresh has nothing for loses its part.
func (ps partitions) replace(done map[string]bool, fresh partitions) {
	for ns := range done {
		if p, ok := fresh[ns]; ok {
			ps[ns] = p
		} else {
			delete(ps, ns)
		}
	}
}

// result joins the parts into one diagnosis, namespaces in name order.
func (ps partitions) result() *diagnose.Result {
	names := make([]string, 0, len(ps))
	for ns := range ps {
		names = append(names, ns)
	}
	sort.Strings(names)
	res := &diagnose.Result{}
	for _, ns := range names {
		res.Traces = append(res.Traces, ps[ns].traces...)
		res.Findings = append(res.Findings, ps[ns].findings...)
	}
	return res
}

// coupled widens a set of changed namespaces by every namespace whose
// traces walk through one of them.
func (ps partitions) coupled(changed map[string]bool) map[string]bool {
	out := make(map[string]bool, len(changed))
	for ns := range changed {
		out[ns] = true
	}
	for ns, p := range ps {
		if out[ns] {
			continue
		}
		for r := range p.reaches {
			if changed[r] {
				out[ns] = true
				break
			}
		}
	}
	return out
}

// podsCoupled reports whether a change of Pods on these nodes may change
// findings outside the Pods' namespaces: a NotReady Node's finding names
// the pods on it, and a Pending pod's finding weighs what every pod on the
// nodes has requested. A Pod not scheduled (node "") may be on any.
func (ps partitions) podsCoupled(nodes map[string]bool) bool {
	if len(nodes) == 0 {
		return false
	}
	if p := ps[""]; p != nil {
		for _, f := range p.findings {
			if f.Object.Kind == snapshot.KindNode && (nodes[f.Object.Name] || nodes[""]) {
				return true
			}
		}
	}
	for _, p := range ps {
		for _, f := range p.findings {
			if f.Check == podPendingCheck {
				return true
			}
		}
	}
	return false
}

// podPendingCheck is the check whose findings read the pods of every
// namespace (the resources left on each node).
const podPendingCheck = "pod-pending"

// sameDiagnosis reports whether two diagnoses hold the same traces and the
// same findings, whatever their order: what the metrics and the Events are
// computed from.
func sameDiagnosis(a, b *diagnose.Result) bool {
	return slices.Equal(canonical(a), canonical(b))
}

// canonical is a diagnosis as sorted JSON lines, one per trace and finding.
func canonical(res *diagnose.Result) []string {
	out := make([]string, 0, len(res.Traces)+len(res.Findings))
	for _, t := range res.Traces {
		b, _ := json.Marshal(t)
		out = append(out, "T"+string(b))
	}
	for _, f := range res.Findings {
		b, _ := json.Marshal(f)
		out = append(out, "F"+string(b))
	}
	sort.Strings(out)
	return out
}

// clusterScopedKinds are the kinds without a namespace; a change to one is
// on the paths of every namespace.
var clusterScopedKinds = map[string]bool{
	snapshot.KindNamespace:    true,
	snapshot.KindNode:         true,
	snapshot.KindIngressClass: true,
	snapshot.KindGatewayClass: true,
}
