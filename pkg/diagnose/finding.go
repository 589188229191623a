// The vocabulary of a diagnosis: layers, severities, findings, hops, traces
// and the result that holds them. Reports and the JSON contract use exactly
// these types.

package diagnose

import (
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Layer is one step of a traffic path. The set is closed: reports, SARIF rules
// and the JSON contract rely on exactly these values.
type Layer string

// The layers, in the order a request meets them.
const (
	LayerExposure      Layer = "exposure"
	LayerIngress       Layer = "ingress"
	LayerGateway       Layer = "gateway"
	LayerRoute         Layer = "route"
	LayerService       Layer = "service"
	LayerEndpoints     Layer = "endpoints"
	LayerNetworkPolicy Layer = "networkpolicy"
	LayerPod           Layer = "pod"
	LayerContainer     Layer = "container"
	LayerNode          Layer = "node"
	LayerDNS           Layer = "dns"
)

// Layers lists every layer in walk order.
var Layers = []Layer{LayerExposure, LayerIngress, LayerGateway, LayerRoute, LayerService, LayerEndpoints, LayerNetworkPolicy, LayerPod, LayerContainer, LayerNode, LayerDNS}

// Depth orders layers from the outside in; a larger depth is further down the
// path. DNS sits beside the path and sorts last.
func (l Layer) Depth() int {
	for i, x := range Layers {
		if x == l {
			return i
		}
	}
	return len(Layers)
}

// Severity of a finding. Exit codes compare against it (--fail-on).
type Severity string

// Severities, from most to least serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// ParseSeverity accepts the names used on the command line.
func ParseSeverity(v string) (Severity, bool) {
	s := Severity(v)
	return s, s.Rank() > 0
}

// Finding is one problem with its proof. Symptom is what a user sees (for
// example "ENDPOINTS: <none>"), Cause why, Evidence the concrete values that
// prove it, Fix a command that would repair this object and Verify a command
// that shows the repair worked.
type Finding struct {
	Layer    Layer              `json:"layer"`
	Check    string             `json:"check"`
	Severity Severity           `json:"severity"`
	Object   snapshot.ObjectRef `json:"object"`
	Path     []string           `json:"path"`
	Symptom  string             `json:"symptom"`
	Cause    string             `json:"cause"`
	Evidence []string           `json:"evidence"`
	Fix      string             `json:"fix"`
	Verify   string             `json:"verify"`
	// Container names the container a container-layer finding is about, so
	// that two containers of one pod can each have a finding of one check.
	Container string `json:"container,omitempty"`
	// Affects narrows which paths the finding breaks: the Services and
	// Ingresses whose traffic it concerns. Empty means every path through
	// Object. A NetworkPolicy that blocks the ingress controller from one
	// backend must not mark every other path through that policy broken.
	Affects []snapshot.ObjectRef `json:"affects,omitempty"`
	// ExplainedBy names objects whose own failure would explain this
	// finding, when the evidence says so (a pod Pending only on the
	// not-ready taint is explained by the NotReady nodes; a crash whose
	// message is a failed name lookup by the workload's unresolvable DNS
	// name). When one of them has an error finding, that finding becomes
	// the root cause and this one a consequence.
	ExplainedBy []snapshot.ObjectRef `json:"explainedBy,omitempty"`
	// Origin is where the object was read from, when it came from a file.
	Origin *snapshot.Origin `json:"origin,omitempty"`
}

// Key identifies a finding across traces: one check on one object (and
// container).
func (f Finding) Key() string {
	k := f.Check + " " + f.Object.String()
	if f.Container != "" {
		k += " container=" + f.Container
	}
	return k
}

// HopStatus is the verdict on one hop of a trace.
type HopStatus string

// Hop verdicts.
const (
	// StatusOK: checked, nothing wrong at this layer.
	StatusOK HopStatus = "ok"
	// StatusBroken: this layer itself is wrong.
	StatusBroken HopStatus = "broken"
	// StatusAffected: this layer may be fine, but a layer below it is broken,
	// so traffic through it fails.
	StatusAffected HopStatus = "affected"
	// StatusNotChecked: the input cannot tell (with Reason saying why).
	StatusNotChecked HopStatus = "not checked"
)

// Hop is one layer of one traced path.
type Hop struct {
	Layer  Layer              `json:"layer"`
	Object snapshot.ObjectRef `json:"object"`
	Status HopStatus          `json:"status"`
	// Reason explains a status other than ok, or adds a fact to ok ("3/3 pods ready").
	Reason string `json:"reason,omitempty"`
	// Findings are the keys (Finding.Key) of findings on this hop.
	Findings []string `json:"findings,omitempty"`
	// RootCause marks the hop the trace's root cause sits on.
	RootCause bool `json:"rootCause,omitempty"`
}

// TraceStatus is the verdict on a whole path.
type TraceStatus string

// Path verdicts.
const (
	// TraceOK: every hop checked and healthy.
	TraceOK TraceStatus = "ok"
	// TraceBroken: traffic on this path fails.
	TraceBroken TraceStatus = "broken"
	// TraceDegraded: some pods behind the path are broken, others serve.
	TraceDegraded TraceStatus = "degraded"
	// TraceNotChecked: nothing found broken, but some hop could not be judged.
	TraceNotChecked TraceStatus = "not checked"
)

// Trace is the walk of one entry point.
type Trace struct {
	// Entry names the entry point: "Ingress/ns/name host/path", "Service/ns/name".
	Entry  string      `json:"entry"`
	Status TraceStatus `json:"status"`
	Hops   []Hop       `json:"hops"`
	// RootCause is the key of the finding that explains why this path fails,
	// empty when the path is healthy.
	RootCause string `json:"rootCause,omitempty"`
}

// Broken reports whether any hop of the trace is broken.
func (t Trace) Broken() bool {
	for _, h := range t.Hops {
		if h.Status == StatusBroken {
			return true
		}
	}
	return false
}

// Summary counts what a diagnosis saw and found.
type Summary struct {
	Objects  int `json:"objects"`
	Findings int `json:"findings"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	// Skipped counts input objects of kinds hopscope does not model.
	Skipped int `json:"skipped"`
	// SkippedKinds breaks Skipped down by apiVersion/Kind.
	SkippedKinds map[string]int `json:"skippedKinds,omitempty"`
	// TemplatePods is true when pods were made from workload templates.
	TemplatePods bool `json:"templatePods,omitempty"`
	// NotChecked lists what could not be checked and why (for example kinds
	// the user may not list).
	NotChecked []string `json:"notChecked,omitempty"`
	// Duplicates lists objects the input defines more than once; the last
	// definition is the one diagnosed.
	Duplicates []string `json:"duplicates,omitempty"`
	// SkippedFiles names files of scanned directories that were not read
	// (no Kubernetes object in them, or not regular files), with why, so
	// that nothing is dropped silently; the list is bounded and says how
	// many more there were.
	SkippedFiles []string `json:"skippedFiles,omitempty"`
}

// Result is the whole outcome of a diagnosis: findings with the root causes
// first, every trace, and the counts. It is what -o json prints.
type Result struct {
	Findings []Finding `json:"findings"`
	Traces   []Trace   `json:"traces"`
	Summary  Summary   `json:"summary"`
	// Probes are the active tests of `hopscope probe` and `diagnose
	// --probe`, absent when none ran.
	Probes []Probe `json:"probes,omitempty"`
}

// MaxSeverity returns the most serious severity among the findings, or "".
func (r *Result) MaxSeverity() Severity {
	var max Severity
	for _, f := range r.Findings {
		if f.Severity.Rank() > max.Rank() {
			max = f.Severity
		}
	}
	return max
}
