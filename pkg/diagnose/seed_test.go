package diagnose_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestSeedLabs holds the engine to the article's five labs: each broken
// variant names its root cause first; each fixed one yields no error.
func TestSeedLabs(t *testing.T) {
	seed := "../../examples/seed"
	cases := []struct {
		file     string
		check    string
		object   string
		severity diagnose.Severity
	}{
		{"lab1-as-written.yaml", "service-selector-matches-no-pods", "Service/default/api-svc", diagnose.SeverityError},
		{"lab1-cluster.yaml", "service-selector-matches-no-pods", "Service/default/api-svc", diagnose.SeverityError},
		{"lab2-nodeport.yaml", "exposure-nodeport", "Service/default/node-svc", diagnose.SeverityWarning},
		{"lab3-wrong-port.yaml", "service-target-port-missing", "Service/default/lb-svc", diagnose.SeverityError},
		{"lab3-as-written.yaml", "exposure-lb-no-readiness-probe", "Service/default/lb-svc", diagnose.SeverityWarning},
		{"lab4-ingress.yaml", "ingress-backend-service-missing", "Ingress/default/app-ingress", diagnose.SeverityError},
		{"lab5-coredns-down.yaml", "dns-coredns-unavailable", "Deployment/kube-system/coredns", diagnose.SeverityError},
		{"lab5-wrong-namespace.yaml", "dns-name-unresolvable", "Deployment/web/frontend", diagnose.SeverityError},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			res := diagnosetest.Files(t, filepath.Join(seed, c.file))
			if len(res.Findings) == 0 {
				t.Fatalf("no findings; want %s on %s", c.check, c.object)
			}
			first := res.Findings[0]
			if first.Check != c.check || first.Object.String() != c.object || first.Severity != c.severity {
				for _, f := range res.Findings {
					t.Logf("  %s %s %s: %s", f.Severity, f.Check, f.Object, f.Cause)
				}
				t.Fatalf("first finding %s %s on %s, want %s %s on %s", first.Severity, first.Check, first.Object, c.severity, c.check, c.object)
			}
			if len(first.Evidence) == 0 || first.Fix == "" || first.Verify == "" {
				t.Errorf("root cause lacks evidence, fix or verify: %+v", first)
			}
		})
	}
}

func TestSeedLabsFixed(t *testing.T) {
	for _, file := range []string{"lab1-fixed.yaml", "lab3-fixed.yaml", "lab4-fixed.yaml", "healthy-cluster.yaml"} {
		t.Run(file, func(t *testing.T) {
			res := diagnosetest.Files(t, filepath.Join("../../examples/seed", file))
			for _, f := range res.Findings {
				if f.Severity == diagnose.SeverityError {
					t.Errorf("unexpected error %s on %s: %s %v", f.Check, f.Object, f.Cause, f.Evidence)
				}
			}
		})
	}
}

// TestLab1AsWrittenAlsoNamesTheDeployment: the article's Deployment would be
// rejected by the API server; that is reported too, after the root cause.
func TestLab1AsWrittenAlsoNamesTheDeployment(t *testing.T) {
	res := diagnosetest.Files(t, "../../examples/seed/lab1-as-written.yaml")
	for _, f := range res.Findings {
		if f.Check == "workload-selector-mismatch" && f.Object.String() == "Deployment/default/api" {
			return
		}
	}
	t.Fatalf("no workload-selector-mismatch on Deployment/default/api in %d findings", len(res.Findings))
}

// TestNodeDownUnderTheIngressController: the ingress controller's pods are
// not ready because their node is NotReady; the node is the root cause, not
// the controller (editing the controller Deployment would not help). Found
// by QA on a dump of a healthy shop with one node gone.
func TestNodeDownUnderTheIngressController(t *testing.T) {
	res := diagnosetest.Files(t, "testdata/qa/node-down-under-ingress-controller.yaml")
	if first := res.Findings[0]; first.Check != "node-not-ready" || first.Object.String() != "Node/node-a" {
		t.Fatalf("first finding %s on %s, want node-not-ready on Node/node-a", first.Check, first.Object)
	}
	for _, f := range res.Findings {
		if f.Check == "ingress-controller-unavailable" && f.Object.String() == "Ingress/shop/web" {
			t.Fatalf("the consequence is still reported: %s", f.Key())
		}
	}
}

// TestPendingIsBlamedOnNodesOnlyWhenTheyAreTheOnlyObstacle: "0/2 nodes: 1
// Insufficient cpu, 1 not-ready taint" keeps pod-pending with its evidence;
// "0/N nodes: N not-ready taint" moves the blame to the NotReady node.
func TestPendingIsBlamedOnNodesOnlyWhenTheyAreTheOnlyObstacle(t *testing.T) {
	has := func(res *diagnose.Result, check string) bool {
		for _, f := range res.Findings {
			if f.Check == check {
				return true
			}
		}
		return false
	}
	if res := diagnosetest.Files(t, "testdata/qa/pending-not-only-for-the-not-ready-node.yaml"); !has(res, "pod-pending") {
		t.Error("pod-pending (Insufficient cpu on the Ready node) was hidden behind the NotReady node")
	}
	res := diagnosetest.Files(t, "testdata/qa/pending-only-for-the-not-ready-node.yaml")
	if has(res, "pod-pending") || res.Findings[0].Check != "node-not-ready" {
		t.Errorf("a pod blocked only by the not-ready taint should be explained by the node: first %s", res.Findings[0].Key())
	}
}

// TestReplicasFailingDifferentlyStayApart: one replica exits with an error,
// the other is OOMKilled; merging them would hide the OOMKill.
func TestReplicasFailingDifferentlyStayApart(t *testing.T) {
	res := diagnosetest.Files(t, "testdata/qa/replicas-failing-differently.yaml")
	n := 0
	for _, f := range res.Findings {
		if f.Check == "container-crashloop" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d crash-loop findings, want 2 (Error and OOMKilled)", n)
	}
}

// TestIngressControllerOutageIsOneRootCause: three Ingresses of a class
// whose controller crash-loops are one fault. The controller finding comes
// first; the other Ingresses are hops affected by it, not errors of their
// own ranked above it.
func TestIngressControllerOutageIsOneRootCause(t *testing.T) {
	res := diagnosetest.Files(t, "testdata/qa/controller-down-under-three-ingresses.yaml")
	first := res.Findings[0]
	if first.Check != "ingress-controller-unavailable" || first.Object.String() != "Ingress/shop/storefront" {
		t.Fatalf("first finding %s, want ingress-controller-unavailable on Ingress/shop/storefront", first.Key())
	}
	if !strings.Contains(strings.Join(first.Evidence, "\n"), "2 more Ingress(es) of class nginx are down with it: Ingress/shop/cart, Ingress/shop/admin") {
		t.Errorf("the controller finding does not name the other Ingresses: %v", first.Evidence)
	}
	for _, f := range res.Findings {
		if f.Check == "ingress-controller-unavailable" && f.Object != first.Object {
			t.Errorf("a second controller-outage error: %s", f.Key())
		}
	}
	for _, tr := range res.Traces {
		if !strings.HasPrefix(tr.Entry, "Ingress/") {
			continue
		}
		if tr.RootCause != first.Key() {
			t.Errorf("%s: root cause %q, want %q", tr.Entry, tr.RootCause, first.Key())
		}
		if strings.HasPrefix(tr.Entry, "Ingress/shop/storefront") {
			continue
		}
		if h := tr.Hops[0]; h.Status != diagnose.StatusAffected || !strings.Contains(h.Reason, "Ingress/shop/storefront") {
			t.Errorf("%s: first hop %s %s (%s), want affected by Ingress/shop/storefront", tr.Entry, h.Object, h.Status, h.Reason)
		}
	}
}
