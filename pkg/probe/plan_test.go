package probe

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestPlanUsesTheIngressPortInTLS: an Ingress path is probed on the
// Service port its backend names, in https when the port says TLS, on the
// pod port that port targets by name; the pod is not Ready, so the
// declared state predicts a failure.
func TestPlanUsesTheIngressPortInTLS(t *testing.T) {
	res, s := diagnoseFile(t, "testdata/ingress.yaml")
	plan := Build(res, s, Options{AllPaths: true})
	var paths []string
	for _, p := range plan.Proxies {
		if strings.HasPrefix(p.Path, "Ingress/") {
			paths = append(paths, p.URLPath())
			if p.Test == diagnose.ProbeTestPodHTTP && !strings.Contains(p.Expected, "not Ready: readiness probe failed") {
				t.Errorf("expected = %q, want the pod's readiness failure", p.Expected)
			}
		}
	}
	want := []string{"/api/v1/namespaces/shop/services/https:api-svc:https/proxy/", "/api/v1/namespaces/shop/pods/https:api-1:8443/proxy/"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("ingress path probes %q, want %q", paths, want)
	}
}

// TestJudgeAbovePodsIsInconclusive: when the path breaks at the Ingress,
// a pod answering neither confirms nor contradicts: it shows the part
// below answers.
func TestJudgeAbovePodsIsInconclusive(t *testing.T) {
	f := pathFacts{above: true, rootLayer: diagnose.LayerIngress, rootCheck: "ingress-class-missing"}
	p := judge(diagnose.Probe{Test: diagnose.ProbeTestPodHTTP, Outcome: diagnose.ProbeAnswered}, f.predictService(), nil)
	if p.Agreement != diagnose.ProbeInconclusive || !strings.Contains(p.Expected, "ingress-class-missing") || !strings.Contains(p.Note, "that part answers") {
		t.Errorf("probe = %+v", p)
	}
}

// TestJudgeRefusalOfNotReadyPodSaysWhy: a pod the state calls not Ready
// refusing on its IP confirms the verdict and says why it is not Ready.
func TestJudgeRefusalOfNotReadyPodSaysWhy(t *testing.T) {
	p := judge(diagnose.Probe{Test: diagnose.ProbeTestPodHTTP, Outcome: diagnose.ProbeRefused}, predictFail("pod api-1 is not Ready: readiness probe failed"), nil)
	if p.Agreement != diagnose.ProbeConfirms || !strings.Contains(p.Note, "bound to 127.0.0.1") {
		t.Errorf("probe = %+v, want confirms, naming the listen address", p)
	}
}
