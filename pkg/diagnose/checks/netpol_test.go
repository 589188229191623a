package checks

// NetworkPolicy-layer checks and the policy model under them: ports,
// ipBlocks, the ingress controller, DNS egress and Service ports written
// into rules.

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestNetpolIngressControllerKnown(t *testing.T) {
	f := findingOn(t, netpolBlocksIngressController, "testdata/netpol-blocks-ingress-controller/bad-default-deny.yaml", "NetworkPolicy/shop/default-deny")
	ev := strings.Join(f.Evidence, "\n")
	// Both policies selecting the pods are shown: they are additive.
	wantContains(t, "evidence", ev,
		"NetworkPolic(ies) allow-web-to-api, default-deny isolate ingress of Deployment/shop/api",
		"NetworkPolicy shop/allow-web-to-api (podSelector {app=api}) ingress rules: from [podSelector {app=web}] on ports 8080/TCP",
		"NetworkPolicy shop/default-deny (podSelector {} (all)) ingress rules: none (deny all)",
		"Ingress shop/app-ingress → Service api-svc port 80 → target 8080/TCP (http)",
		"ingress controller ingress-nginx: Deployment/ingress-nginx/ingress-nginx-controller",
		"namespace ingress-nginx labels: kubernetes.io/metadata.name=ingress-nginx")
	wantContains(t, "cause", f.Cause, "(allow-web-to-api, default-deny)", "the allow rule for the ingress controller is missing")
	// The fix adds a policy of its own for the backend's pods, admitting
	// the controller on the target port, not the Service port; existing
	// policies stay as they are.
	wantContains(t, "fix", f.Fix, "kubectl apply -n shop -f - <<'EOF'\n", "\nEOF",
		"kind: NetworkPolicy", "name: allow-ingress-nginx-to-api-svc", "namespace: shop",
		"podSelector:\n    matchLabels:\n      app: api",
		"kubernetes.io/metadata.name: ingress-nginx", "app.kubernetes.io/component: controller",
		"port: 8080\n      protocol: TCP", "policyTypes:\n  - Ingress")
	wantContains(t, "verify", f.Verify, "kubectl exec -n ingress-nginx deployment/ingress-nginx-controller -- curl -sS -o /dev/null",
		"-m 5 http://api-svc.shop.svc:80/")
	if len(f.Affects) != 1 || f.Affects[0].String() != "Service/shop/api-svc" {
		t.Errorf("affects %v, want the blocked backend Service/shop/api-svc", f.Affects)
	}

	f = findingOn(t, netpolBlocksIngressController, "testdata/netpol-blocks-ingress-controller/bad-wrong-port.yaml", "NetworkPolicy/shop/allow-ingress")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "on ports 80/TCP", "target 8080/TCP",
		"namespace ingress-nginx labels: app.kubernetes.io/name=ingress-nginx,kubernetes.io/metadata.name=ingress-nginx")
}

// TestNetpolIngressControllerBreaksOnlyItsPaths is QA defect 6: with a
// default-deny, an allow-intra for the namespace's own pods and an
// allow-api for the controller, only the web backend's paths break; the api
// path and the Services no Ingress routes to (postgres, cache) stay healthy.
func TestNetpolIngressControllerBreaksOnlyItsPaths(t *testing.T) {
	s := loadCase(t, "testdata/netpol-blocks-ingress-controller/bad-allow-intra.yaml")
	res, err := diagnose.Engine{Checks: runtimeChecks()}.Run(s, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"Ingress/shop/web shop.example.com/":      true,
		"Ingress/shop/fallback (default backend)": true,
		"Ingress/shop/web shop.example.com/api":   false,
		"Service/shop/postgres":                   false,
		"Service/shop/cache":                      false,
	}
	for _, tr := range res.Traces {
		broken, ok := want[tr.Entry]
		if !ok {
			continue
		}
		delete(want, tr.Entry)
		if tr.Broken() != broken {
			t.Errorf("%s: broken=%v, want %v (root cause %q)", tr.Entry, tr.Broken(), broken, tr.RootCause)
		}
		if broken && tr.RootCause != "netpol-blocks-ingress-controller NetworkPolicy/shop/default-deny" {
			t.Errorf("%s: root cause %q", tr.Entry, tr.RootCause)
		}
	}
	for entry := range want {
		t.Errorf("no trace %s", entry)
	}
}

func TestNetpolEgressDNSFix(t *testing.T) {
	// A policy with no egress rules gets its first list; one with rules
	// gets one more.
	f := findingOn(t, netpolEgressBlocksDNS, "testdata/netpol-egress-blocks-dns/bad-egress-allowlist.yaml", "NetworkPolicy/payments/deny-all-egress")
	wantContains(t, "fix", f.Fix, `"op":"add","path":"/spec/egress","value":[{`, `{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}`)
	f = findingOn(t, netpolEgressBlocksDNS, "testdata/netpol-egress-blocks-dns/bad-egress-allowlist.yaml", "NetworkPolicy/shop/api-egress")
	wantContains(t, "fix", f.Fix, `"op":"add","path":"/spec/egress/-","value":{`)
	wantContains(t, "verify", f.Verify, "kubectl run -n shop --rm -i --restart=Never --image=busybox:1.36 --labels=app=api,tier=backend dns-check -- nslookup kubernetes.default")

	f = findingOn(t, netpolEgressBlocksDNS, "testdata/netpol-egress-blocks-dns/bad-wrong-namespace-dump.yaml", "NetworkPolicy/shop/allow-dns")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"to [namespaceSelector {kubernetes.io/metadata.name=kube-dns}] on ports 53/UDP, 53/TCP",
		"cluster DNS: Pod/kube-system/coredns-a (labels k8s-app=kube-dns)")
}

func TestNetpolPortsMatch(t *testing.T) {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	port := func(v intstr.IntOrString) *intstr.IntOrString { return &v }
	end := int32(9000)
	target := netpolTarget{Port: 8080, Name: "http", Protocol: tcp}
	for _, tc := range []struct {
		name  string
		ports []networkingv1.NetworkPolicyPort
		want  netpolMatch
	}{
		{"no ports: all", nil, netpolYes},
		{"same number", []networkingv1.NetworkPolicyPort{{Port: port(intstr.FromInt32(8080))}}, netpolYes},
		{"Service port, not target", []networkingv1.NetworkPolicyPort{{Port: port(intstr.FromInt32(80))}}, netpolNo},
		{"range", []networkingv1.NetworkPolicyPort{{Port: port(intstr.FromInt32(8000)), EndPort: &end}}, netpolYes},
		{"named", []networkingv1.NetworkPolicyPort{{Port: port(intstr.FromString("http"))}}, netpolYes},
		{"other name", []networkingv1.NetworkPolicyPort{{Port: port(intstr.FromString("metrics"))}}, netpolNo},
		{"UDP only", []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: port(intstr.FromInt32(8080))}}, netpolNo},
		{"protocol, any port", []networkingv1.NetworkPolicyPort{{Protocol: &tcp}}, netpolYes},
	} {
		if got := netpolPortsMatch(tc.ports, target); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	unknown := netpolTarget{Port: 53, Protocol: udp, NameUnknown: true}
	if got := netpolPortsMatch([]networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: port(intstr.FromString("dns"))}}, unknown); got != netpolMaybe {
		t.Errorf("named port of pods not in the input: %v, want maybe", got)
	}
}

func TestNetpolIPBlock(t *testing.T) {
	b := &networkingv1.IPBlock{CIDR: "10.244.0.0/16", Except: []string{"10.244.9.0/24"}}
	for _, tc := range []struct {
		ips  []string
		want netpolMatch
	}{
		{[]string{"10.244.1.7"}, netpolYes},
		{[]string{"10.244.9.7"}, netpolNo},
		{[]string{"192.168.0.4"}, netpolNo},
		{nil, netpolMaybe},
	} {
		if got := netpolIPBlockMatches(b, tc.ips); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.ips, got, tc.want)
		}
	}
}

func TestNetpolPortNotTargetPortPatchesTheRule(t *testing.T) {
	f := onlyFinding(t, netpolPortNotTargetPort, "testdata/netpol-port-not-target-port/bad-service-port.yaml")
	wantContains(t, "fix", f.Fix, `"op":"replace"`, `"path":"/spec/ingress/0/ports/0/port"`, `"value":8080`)
	wantContains(t, "cause", f.Cause, "admits port 80", "8080/TCP")
}

// TestEgressDenyAllIsNotAForgottenDNSRule: an allow-list without port 53
// is an error; a deny-all egress policy blocks DNS by design, an info when
// the pods name no host to reach and a warning when their env does.
func TestEgressDenyAllIsNotAForgottenDNSRule(t *testing.T) {
	dir := "testdata/netpol-egress-blocks-dns/"
	for _, w := range []findingWant{
		{object: "NetworkPolicy/shop/api-egress", file: dir + "bad-egress-allowlist.yaml", severity: diagnose.SeverityError},
		{object: "NetworkPolicy/payments/deny-all-egress", file: dir + "bad-egress-allowlist.yaml", severity: diagnose.SeverityInfo,
			cause: []string{"denies all egress of these pods on purpose", "nothing in their spec names a host"}},
		{file: dir + "bad-deny-all-with-clients.yaml", severity: diagnose.SeverityWarning,
			evidence: [][]string{{"hosts these pods are configured to reach", `LEDGER_URL="http://ledger.billing.svc:8080"`, `TAX_API="https://api.taxes.example.com/v2"`}}},
	} {
		w.check = netpolEgressBlocksDNS
		wantFinding(t, w)
	}
}
