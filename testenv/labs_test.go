package testenv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/testenv"
)

// TestFreshClusterIsHealthy guards against false positives: a cluster with
// only what kubeadm and an ingress controller install must diagnose clean.
// Every other test leaves the cluster unbroken (labs are fixed or reset),
// so this holds whenever it runs.
func TestFreshClusterIsHealthy(t *testing.T) {
	snap, res := diagnoseLive(t, "")
	if !snap.Live || len(snap.Forbidden) != 0 {
		t.Fatalf("live=%v forbidden=%v, want a live snapshot with everything listed", snap.Live, snap.Forbidden)
	}
	if errs := errorsOf(res); len(errs) != 0 {
		t.Errorf("fresh cluster has error findings %v\n%s", errs, rendered(res))
	}
	if b := brokenTraces(res); len(b) != 0 {
		t.Errorf("fresh cluster has broken paths %v\n%s", b, rendered(res))
	}
}

// TestSeedLabs breaks the cluster the way each of the seed article's labs
// does, checks that the live diagnosis names the root cause the article
// names, applies the fix, and checks that the path is healthy again. The
// labs run one after another: lab 5 takes cluster DNS down for everyone.
func TestSeedLabs(t *testing.T) {
	ctx := context.Background()
	for _, lab := range testenv.Labs() {
		t.Run(fmt.Sprintf("lab%d", lab.Number), func(t *testing.T) {
			fix := breakLab(t, lab)

			_, res := diagnoseLive(t, lab.Namespace)
			f := findingOf(res, lab.Check, lab.Object)
			if f == nil {
				t.Fatalf("broken lab %d (%s): no %s finding on %s; findings:\n  %s\n%s",
					lab.Number, lab.Title, lab.Check, lab.Object, keys(res), rendered(res))
			}
			if len(f.Evidence) == 0 || f.Fix == "" || f.Verify == "" {
				t.Errorf("finding %s lacks evidence, fix or verify: %+v", f.Key(), *f)
			}
			if f.Severity == diagnose.SeverityError && !rootCauseOfSomeTrace(res, f.Key()) {
				t.Errorf("finding %s is not the root cause of any traced path\n%s", f.Key(), rendered(res))
			}
			pasteCommands(t, res)

			if lab.Number == 3 {
				// Ports fixed but no cloud: the load balancer stays pending,
				// and that is now the one thing wrong with the Service.
				if err := cluster.FixPorts(ctx, lab); err != nil {
					t.Fatal(err)
				}
				_, res := diagnoseLive(t, lab.Namespace)
				if findingOf(res, lab.Check, lab.Object) != nil {
					t.Errorf("after the port fix, %s still reported\n%s", lab.Check, rendered(res))
				}
				if findingOf(res, "exposure-lb-pending", lab.Object) == nil {
					t.Errorf("no cloud provisioned %s, yet exposure-lb-pending is not reported; findings:\n  %s", lab.Object, keys(res))
				}
			}

			fix()
			_, res = diagnoseLive(t, lab.Namespace)
			if findingOf(res, lab.Check, lab.Object) != nil {
				t.Errorf("fixed lab %d still reports %s on %s\n%s", lab.Number, lab.Check, lab.Object, rendered(res))
			}
			if errs := errorsOf(res); len(errs) != 0 {
				t.Errorf("fixed lab %d has error findings %v\n%s", lab.Number, errs, rendered(res))
			}
			if b := brokenTraces(res); len(b) != 0 {
				t.Errorf("fixed lab %d has broken paths %v\n%s", lab.Number, b, rendered(res))
			}
		})
	}
}

func rootCauseOfSomeTrace(res *diagnose.Result, key string) bool {
	for _, tr := range res.Traces {
		if tr.RootCause == key {
			return true
		}
	}
	return false
}

// breakLab breaks lab and returns the function that fixes it; the lab is
// fixed when the test ends in any case.
func breakLab(t *testing.T, lab testenv.Lab) (fix func()) {
	t.Helper()
	ctx := context.Background()
	if err := cluster.Break(ctx, lab); err != nil {
		t.Fatal(err)
	}
	fixed := false
	t.Cleanup(func() {
		// Never leave cluster DNS down for the tests that follow.
		if !fixed {
			_ = cluster.Fix(ctx, lab)
		}
	})
	return func() {
		t.Helper()
		if err := cluster.Fix(ctx, lab); err != nil {
			t.Fatal(err)
		}
		fixed = true
	}
}
