package labs

import (
	"slices"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Verdict is the outcome of checking a lab: solved, or which layers still
// fail and the findings that keep them failing.
type Verdict struct {
	// Solved is true when the lab's fault is gone and no error is left on
	// any path in the lab's namespaces.
	Solved bool
	// FaultPresent is true while the lab's expected finding is reported.
	FaultPresent bool
	// Expected is that finding, when present.
	Expected *diagnose.Finding
	// Remaining are the findings that keep the lab unsolved: the expected
	// one (whatever its severity) and every error in the lab's scope, in
	// the engine's order (root causes first).
	Remaining []diagnose.Finding
	// BrokenLayers are the layers of Remaining and of broken hops, in walk
	// order, each once.
	BrokenLayers []diagnose.Layer
	// Notes are warnings and infos in the lab's scope, and tolerated
	// findings of any severity, that do not keep it unsolved.
	Notes []diagnose.Finding
	// ExpectedProbe is the lab's expected probe, when the lab expects one
	// and a probe of its scope saw that outcome.
	ExpectedProbe *diagnose.Probe
	// FailedProbes are the probes in the lab's scope that fail where the
	// declared state says traffic works (they contradict the static
	// verdict), the expected one among them: the path is not healthy,
	// whatever the state says.
	FailedProbes []diagnose.Probe
}

// Matches reports whether f is the lab's expected finding. A finding on a
// pod counts for an expected workload when the pod belongs to it: manifests
// name the workload, a live cluster names its pods.
func (l *Lab) Matches(f diagnose.Finding, s *snapshot.Snapshot) bool {
	if l.Expect.Check == "" || f.Check != l.Expect.Check {
		return false
	}
	return l.names(f.Object, s)
}

// MatchesProbe reports whether p is the lab's expected probe: the test and
// outcome it names, on the expected object or (for a workload) one of its
// pods.
func (l *Lab) MatchesProbe(p diagnose.Probe, s *snapshot.Snapshot) bool {
	if l.Expect.Probe == "" || p.Test != l.Expect.Probe || p.Outcome != l.Expect.Outcome {
		return false
	}
	return l.names(p.Target, s)
}

// names reports whether ref is the expected object, or a pod of the
// expected workload.
func (l *Lab) names(ref snapshot.ObjectRef, s *snapshot.Snapshot) bool {
	want := snapshot.ObjectRef{Kind: l.Expect.Kind, Namespace: l.ExpectedNamespace(), Name: l.Expect.Name}
	if ref == want {
		return true
	}
	if ref.Kind != snapshot.KindPod || s == nil || ref.Namespace != want.Namespace {
		return false
	}
	p := s.Pod(ref.Namespace, ref.Name)
	if p == nil {
		return false
	}
	owner, ok := s.OwnerOf(p)
	return ok && owner == want
}

// probeLayer is the layer a failing probe points at: a pod's own port is
// the container's, the Service's port its endpoints'.
func probeLayer(p diagnose.Probe) diagnose.Layer {
	if p.Test == diagnose.ProbeTestServiceHTTP || p.Test == diagnose.ProbeTestClusterIP || p.Test == diagnose.ProbeTestServiceName {
		return diagnose.LayerEndpoints
	}
	if p.Test == diagnose.ProbeTestDNS {
		return diagnose.LayerDNS
	}
	return diagnose.LayerContainer
}

// inScope reports whether a finding is about the lab: an object in one of
// its namespaces, or the cluster-wide object the lab breaks.
func (l *Lab) inScope(f diagnose.Finding) bool {
	if l.inNamespaces(f.Object.Namespace) {
		return true
	}
	return l.ClusterWide && f.Object.Namespace == l.ExpectedNamespace() && f.Layer == diagnose.Layer(l.Layer)
}

// inNamespaces reports whether ns is one of the lab's namespaces.
func (l *Lab) inNamespaces(ns string) bool {
	return slices.Contains(l.Namespaces(), ns)
}

// traceInScope reports whether a trace's entry point lies in the lab's
// namespaces; entries read "Kind/namespace/name ...".
func (l *Lab) traceInScope(t diagnose.Trace) bool {
	parts := strings.SplitN(t.Entry, "/", 3)
	if len(parts) < 3 {
		return false
	}
	for _, ns := range l.Namespaces() {
		if parts[1] == ns {
			return true
		}
	}
	return false
}

// Judge decides from a diagnosis of the lab's cluster state (or of its
// manifests) whether the lab is solved.
func (l *Lab) Judge(res *diagnose.Result, s *snapshot.Snapshot) Verdict {
	var v Verdict
	layers := map[diagnose.Layer]bool{}
	for _, f := range res.Findings {
		f := f
		switch {
		case l.Matches(f, s):
			if !v.FaultPresent {
				v.FaultPresent = true
				v.Expected = &f
			}
			v.Remaining = append(v.Remaining, f)
			layers[f.Layer] = true
		case !l.inScope(f):
		case l.tolerates(f.Check):
			v.Notes = append(v.Notes, f)
		case f.Severity == diagnose.SeverityError:
			v.Remaining = append(v.Remaining, f)
			layers[f.Layer] = true
		default:
			v.Notes = append(v.Notes, f)
		}
	}
	// A path whose pods fail a probe fails through its Service too: the
	// Service's probe then adds no layer of its own.
	podFailed := map[string]bool{}
	for _, p := range res.Probes {
		if p.Test == diagnose.ProbeTestPodHTTP && p.Outcome.Failed() {
			podFailed[p.Path] = true
		}
	}
	for _, p := range res.Probes {
		expected := l.MatchesProbe(p, s)
		if !expected && (!l.inNamespaces(p.Target.Namespace) || p.Agreement != diagnose.ProbeContradicts || !p.Outcome.Failed()) {
			continue
		}
		switch {
		case expected && v.ExpectedProbe == nil:
			p := p
			v.FaultPresent = true
			v.ExpectedProbe = &p
			layers[diagnose.Layer(l.Layer)] = true
		case p.Test == diagnose.ProbeTestServiceHTTP && podFailed[p.Path]:
			// Kept among the failed probes; its layer is the pods'.
		default:
			layers[probeLayer(p)] = true
		}
		v.FailedProbes = append(v.FailedProbes, p)
	}
	brokenTrace := false
	for _, t := range res.Traces {
		if !l.traceInScope(t) {
			continue
		}
		for _, h := range t.Hops {
			if h.Status == diagnose.StatusBroken && !l.onlyTolerated(res, h) {
				brokenTrace = true
				layers[h.Layer] = true
			}
		}
	}
	for _, layer := range diagnose.Layers {
		if layers[layer] {
			v.BrokenLayers = append(v.BrokenLayers, layer)
		}
	}
	v.Solved = !v.FaultPresent && len(v.Remaining) == 0 && len(v.FailedProbes) == 0 && !brokenTrace
	return v
}

// Toleration returns why the lab tolerates a check's findings, or "".
func (l *Lab) Toleration(check string) string {
	for _, t := range l.Tolerate {
		if t.Check == check {
			return t.Why
		}
	}
	return ""
}

func (l *Lab) tolerates(check string) bool { return l.Toleration(check) != "" }

// onlyTolerated reports whether every error on a broken hop is a tolerated
// finding, so the hop does not count against the lab.
func (l *Lab) onlyTolerated(res *diagnose.Result, h diagnose.Hop) bool {
	keys := map[string]bool{}
	for _, k := range h.Findings {
		keys[k] = true
	}
	for _, f := range res.Findings {
		if keys[f.Key()] && f.Severity == diagnose.SeverityError && !l.tolerates(f.Check) {
			return false
		}
	}
	return true
}
