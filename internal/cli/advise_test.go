package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAdviseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"advise", "--internal"}, "ClusterIP"},
		{[]string{"advise", "--external", "--production", "--http", "--cloud-lb"}, "Ingress"},
		{[]string{"advise", "--production", "--tcp", "--cloud-lb"}, "LoadBalancer"},
		{[]string{"advise", "--external", "--cloud-lb"}, "LoadBalancer"},
		{[]string{"advise", "--debug"}, "NodePort"},
		{[]string{"advise", "--external", "--production", "--role-split"}, "Gateway API"},
		{[]string{"advise", "--advanced-routing"}, "Gateway API"},
		{[]string{"advise", "--grpc", "--cloud-lb"}, "Gateway API"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			out, errOut, code := run(t, "", append(tc.args, "-o", "json")...)
			var r struct {
				Choice  string   `json:"choice"`
				Reasons []string `json:"reasons"`
				Pros    []string `json:"pros"`
				Cons    []string `json:"cons"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
				t.Fatalf("exit %d %s\n%s", code, errOut, out)
			}
			if r.Choice != tc.want || len(r.Reasons) == 0 || len(r.Pros) == 0 || len(r.Cons) == 0 {
				t.Fatalf("got %+v, want %s with reasons, pros and cons", r, tc.want)
			}
		})
	}
	out, _, _ := run(t, "", "advise", "--external", "--production", "--http")
	wantAll(t, "text recommendation", out, "Use Ingress", "Matrix row: External production traffic → Ingress", "Why", "Pros", "Cons")
}

// TestAdviseAsks answers the questions the way a person types them.
func TestAdviseAsks(t *testing.T) {
	cases := []struct {
		name, stdin, want string
	}{
		{"internal", "1\n", "Use ClusterIP"},
		{"external production http, defaults", "2\n\n\n\n\n\n\n\n", "Use Ingress"},
		{"platform and app teams split the entry point", "2\n\n\n\n\ny\n\n\n", "Use Gateway API"},
		{"canary by weight", "2\nn\ny\ny\nn\nn\ny\ny\n", "Use Gateway API"},
		{"gRPC", "2\n\n\n\nyes\n\n\n\n", "GRPCRoute routes by gRPC service and method"},
		{"external tcp on a cloud", "2\nn\ny\nn\ny\n", "Use LoadBalancer"},
		{"debugging", "2\nyes\n", "Use NodePort"},
		{"typo then answer", "3\n1\n", "Use ClusterIP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.stdin, "advise")
			if code != 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d %s\n%s", code, errOut, out)
			}
		})
	}
	_, errOut, code := run(t, "2\n", "advise")
	if code != ExitUsage || !strings.Contains(errOut, "end of input") {
		t.Fatalf("input that stops early: exit %d, %s", code, errOut)
	}
}

func TestAdviseReviewFiles(t *testing.T) {
	out, errOut, code := run(t, "", "advise", "-f", "../../pkg/advise/testdata/many-lbs.yaml")
	if code != 0 {
		t.Fatalf("advice must not fail the command: exit %d %s", code, errOut)
	}
	wantAll(t, "review", out, "Reviewed 4 Service(s)", "4 LoadBalancer", "Service/shop/web: LoadBalancer → Ingress", "3 piece(s) of advice")
	out, _, _ = run(t, "", "advise", "-f", "../../pkg/advise/testdata/healthy.yaml")
	if !strings.Contains(out, "Every exposed Service fits the matrix") || !strings.Contains(out, "skipped Service/ingress-nginx/ingress-nginx-controller") {
		t.Errorf("healthy review:\n%s", out)
	}
}

// TestAdviseReviewIngressAnnotations: the review names each Ingress whose
// annotations would not move to Gateway API, with each translation.
func TestAdviseReviewIngressAnnotations(t *testing.T) {
	out, errOut, code := run(t, "", "advise", "-f", "../../pkg/advise/testdata/ingress-annotations.yaml")
	if code != 0 {
		t.Fatalf("advice must not fail the command: exit %d %s", code, errOut)
	}
	wantAll(t, "review", out,
		"• Ingress/shop/web-canary: Ingress → Gateway API",
		"· nginx.ingress.kubernetes.io/canary-weight: 10 → backendRefs weights",
		"look: kubectl get ingress -n shop -o yaml -- web-canary",
		"5 piece(s) of advice",
	)
	out, _, _ = run(t, "", "advise", "--external", "--production", "--http")
	if !strings.Contains(out, "ingress-nginx controller reached its end of maintenance in March 2026") {
		t.Errorf("the Ingress recommendation does not warn about ingress-nginx:\n%s", out)
	}
}

func TestAdviseUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"advise", "--internal", "--external"}, "pick one"},
		{[]string{"advise", "--http", "--tcp"}, "contradict"},
		{[]string{"advise", "--grpc", "--http"}, "contradict"},
		{[]string{"advise", "-f", "x.yaml", "--role-split"}, "separate uses"},
		{[]string{"advise", "-f", "x.yaml", "--internal"}, "separate uses"},
		{[]string{"advise", "-f", "does-not-exist.yaml"}, "does-not-exist.yaml"},
		{[]string{"advise", "--internal", "-o", "yaml"}, "--output"},
	} {
		_, errOut, code := run(t, "", tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 mentioning %q", tc.args, code, errOut, tc.want)
		}
	}
}
