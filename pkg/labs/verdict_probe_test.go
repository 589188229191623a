package labs_test

import (
	"slices"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// TestJudgeProbes: a lab whose fault only traffic shows is judged from
// the probes beside the diagnosis: its expected probe makes the fault
// present, any probe of its namespaces that fails where the declared state
// says the path works keeps it unsolved, and probes elsewhere or that
// agree with the state change nothing.
func TestJudgeProbes(t *testing.T) {
	l := mustLab(t, "24")
	fixed, err := l.FixedObjects()
	if err != nil {
		t.Fatal(err)
	}
	ns := l.Namespace()
	path := "Service/" + ns + "/catalog"
	workload := snapshot.ObjectRef{Kind: "Deployment", Namespace: ns, Name: "catalog"}
	svc := snapshot.ObjectRef{Kind: "Service", Namespace: ns, Name: "catalog"}
	probe := func(test diagnose.ProbeTest, target snapshot.ObjectRef, outcome diagnose.ProbeOutcome, agreement diagnose.ProbeAgreement) diagnose.Probe {
		return diagnose.Probe{Path: path, Test: test, Target: target, Outcome: outcome, Agreement: agreement}
	}
	for _, c := range []struct {
		name       string
		probes     []diagnose.Probe
		fault      bool
		solved     bool
		failed     int
		wantLayers []diagnose.Layer
	}{
		{name: "refused where the state says it works",
			probes: []diagnose.Probe{
				probe(diagnose.ProbeTestServiceHTTP, svc, diagnose.ProbeRefused, diagnose.ProbeContradicts),
				probe(diagnose.ProbeTestPodHTTP, workload, diagnose.ProbeRefused, diagnose.ProbeContradicts),
			},
			fault: true, failed: 2, wantLayers: []diagnose.Layer{diagnose.LayerContainer}},
		{name: "the Service alone fails",
			probes: []diagnose.Probe{
				probe(diagnose.ProbeTestServiceHTTP, svc, diagnose.ProbeTimeout, diagnose.ProbeContradicts),
				probe(diagnose.ProbeTestPodHTTP, workload, diagnose.ProbeAnswered, diagnose.ProbeConfirms),
			},
			failed: 1, wantLayers: []diagnose.Layer{diagnose.LayerEndpoints}},
		{name: "answers",
			probes: []diagnose.Probe{
				probe(diagnose.ProbeTestServiceHTTP, svc, diagnose.ProbeAnswered, diagnose.ProbeConfirms),
				probe(diagnose.ProbeTestPodHTTP, workload, diagnose.ProbeAnswered, diagnose.ProbeConfirms),
			},
			solved: true},
		{name: "another namespace fails",
			probes: []diagnose.Probe{
				probe(diagnose.ProbeTestPodHTTP, snapshot.ObjectRef{Kind: "Pod", Namespace: "shop", Name: "api-1"}, diagnose.ProbeRefused, diagnose.ProbeContradicts),
			},
			solved: true},
		{name: "not checked",
			probes: []diagnose.Probe{
				probe(diagnose.ProbeTestPodHTTP, workload, diagnose.ProbeForbidden, diagnose.ProbeInconclusive),
			},
			solved: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, res := labObjects(t, fixed)
			res.Probes = c.probes
			v := l.Judge(res, s)
			if v.FaultPresent != c.fault || v.Solved != c.solved || len(v.FailedProbes) != c.failed {
				t.Fatalf("fault %v solved %v failed probes %d; want %v %v %d", v.FaultPresent, v.Solved, len(v.FailedProbes), c.fault, c.solved, c.failed)
			}
			if c.fault && (v.ExpectedProbe == nil || v.ExpectedProbe.Test != diagnose.ProbeTestPodHTTP) {
				t.Errorf("expected probe %+v, want the pod-http probe", v.ExpectedProbe)
			}
			if !slices.Equal(v.BrokenLayers, c.wantLayers) {
				t.Errorf("broken layers %v, want %v", v.BrokenLayers, c.wantLayers)
			}
		})
	}
}
