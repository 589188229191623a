// The Engine is the order of the steps of one diagnosis, and nothing else:
// run the checks (checkrun.go), list the entry points (entries.go), walk each
// one (walk.go) and name its root cause (rootcause.go), demote what another
// finding explains (consequences.go), merge replicas that fail alike
// (replicas.go), rank what is left (ranking.go) and count it (summary.go).

package diagnose

import (
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
	// Entries are the entry points to trace: "ingress/NAME", "service/NAME",
	// "gateway/NAME", "httproute/NAME" (in Namespace) or an http(s) URL
	// matched against Ingress rules and Gateway listeners and routes. Empty
	// means every Ingress path, every Gateway API path and every Service.
	Entries []string
	// Namespace is where named entries are looked up; "default" when empty.
	Namespace string
	// Namespaces limits the diagnosis to these namespaces; empty means all.
	Namespaces []string
	// Skip lists check IDs not to run.
	Skip []string
	// Method and Headers describe the request a URL entry sends (GET and no
	// headers when empty); Gateway API routes match on them.
	Method  string
	Headers map[string]string
}

// Run diagnoses s. The snapshot must be indexed (sources do that).
func (e Engine) Run(s *snapshot.Snapshot, opt Options) (*Result, error) {
	d := &diagnosis{s: s, opt: opt, demoted: map[string]bool{}, pathOf: map[string][]string{},
		policyPods: map[*networkingv1.NetworkPolicy]map[*corev1.Pod]bool{}}
	d.inNS = nsFilter(opt.Namespaces)
	d.idx, d.notChecked = e.runChecks(s, opt.Skip)

	entries, err := d.entries()
	if err != nil {
		return nil, err
	}
	traces := make([]Trace, 0, len(entries))
	for _, en := range entries {
		traces = append(traces, d.walk(en))
	}
	d.demoteExplainedPods()
	findings, merged := d.groupReplicas(d.order(traces))
	renameMerged(traces, merged)
	res := &Result{Traces: traces, Findings: findings}
	res.Summary = d.summary(res)
	return res, nil
}

// diagnosis holds the state of one Run, shared by its steps.
type diagnosis struct {
	s          *snapshot.Snapshot
	opt        Options
	idx        *findingIndex
	notChecked []NotChecked
	inNS       func(string) bool
	// demoted holds the keys of findings another finding explains
	// (consequences.go); they leave the report.
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

// nsFilter reports whether a namespace is one the user asked about.
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
