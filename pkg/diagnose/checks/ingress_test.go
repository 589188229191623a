package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestBackendServiceLab4: the seed's LAB 4 names the missing Service, the
// ones that exist and the closest, and does not patch to a far name.
func TestBackendServiceLab4(t *testing.T) {
	f := frontOne(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-lab4.yaml")
	frontHasEvidence(t, f, "rule host * path /app", `Service "wrong-svc" port 80`)
	frontHasEvidence(t, f, "Services in namespace default: api-svc")
	frontHasEvidence(t, f, `closest existing name: "api-svc"`, "too far")
	if f.Fix != "kubectl edit ingress app-ingress -n default" {
		t.Errorf("fix %q", f.Fix)
	}
	if !strings.Contains(f.Symptom, "404") {
		t.Errorf("symptom %q does not mention the 404 the lab shows", f.Symptom)
	}
}

func TestBackendServiceTypoPatched(t *testing.T) {
	f := frontOne(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-typo-default-backend.yaml")
	want := `kubectl patch ingress storefront -n shop --type=json -p '[{"op":"test","path":"/spec/defaultBackend/service/name","value":"frontnd"},{"op":"replace","path":"/spec/defaultBackend/service/name","value":"frontend"}]'`
	if f.Fix != want {
		t.Errorf("fix %q\nwant %q", f.Fix, want)
	}
	other := frontOne(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-other-namespace.yaml")
	frontHasEvidence(t, other, `a Service "blog" exists in namespace content`, "its own namespace (web)")
}

func TestBackendPortSuggestsServicePort(t *testing.T) {
	f := frontOne(t, ingressBackendPortMissing, "testdata/ingress-backend-port-missing/bad-target-port.yaml")
	frontHasEvidence(t, f, "8080 is the targetPort of Service port 80")
	frontHasEvidence(t, f, "Service api-svc ports: http 80/TCP → targetPort 8080; metrics 9090/TCP")
	if !strings.Contains(f.Fix, `"path":"/spec/rules/0/http/paths/0/backend/service/port","value":{"number":80}`) {
		t.Errorf("fix %q", f.Fix)
	}
}

func TestIngressClassSeverityAndFix(t *testing.T) {
	got := runCheckFile(t, ingressClassMissing, "testdata/ingress-class-missing/bad-unknown-class.yaml")
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	for _, f := range got {
		if f.Severity != diagnose.SeverityError {
			t.Errorf("%s: severity %s", f.Object, f.Severity)
		}
		if !strings.Contains(f.Fix, `{"spec":{"ingressClassName":"nginx"}}`) {
			t.Errorf("%s: fix %q", f.Object, f.Fix)
		}
	}
	legacy := frontOne(t, ingressClassMissing, "testdata/ingress-class-missing/bad-annotation.yaml")
	if legacy.Severity != diagnose.SeverityWarning {
		t.Errorf("legacy annotation: severity %s, want warning (a controller flag may still claim it)", legacy.Severity)
	}
}

func TestTLSSecretTypoPatched(t *testing.T) {
	f := frontOne(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-typo.yaml")
	if !strings.Contains(f.Fix, `{"op":"replace","path":"/spec/tls/0/secretName","value":"api-tls"}`) {
		t.Errorf("fix %q", f.Fix)
	}
	missing := frontOne(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-missing-secret.yaml")
	if want := "kubectl create secret tls shop-tls -n shop --cert=tls.crt --key=tls.key"; missing.Fix != want {
		t.Errorf("fix %q, want %q", missing.Fix, want)
	}
}

func TestFrontNameClose(t *testing.T) {
	cases := []struct {
		want, have string
		close      bool
	}{
		{"frontnd", "frontend", true},
		{"api-sv", "api-svc", true},
		{"api", "api-svc", true},
		{"wrong-svc", "api-svc", false},
		{"db", "dc", false}, // one edit is half of a two-letter name
		{"web", "web", false},
		{"blog", "static", false},
	}
	for _, c := range cases {
		if got := typoOrSuffix(c.want, c.have); got != c.close {
			t.Errorf("typoOrSuffix(%q, %q) = %v, want %v", c.want, c.have, got, c.close)
		}
	}
}

// TestIngressTwoDefaultClasses is QA defect 10: with two default classes a
// class-less Ingress is rejected or given the newest default, so the fix
// names the class the API server would pick, and a manifest gets a warning.
func TestIngressTwoDefaultClasses(t *testing.T) {
	got := map[string]diagnose.Finding{}
	for _, f := range runCheckFile(t, ingressClassMissing, "testdata/ingress-class-missing/bad-two-defaults.yaml") {
		got[f.Object.String()] = f
	}
	web, legacy := got["Ingress/shop/web"], got["Ingress/shop/legacy"]
	if web.Severity != diagnose.SeverityWarning || legacy.Severity != diagnose.SeverityError {
		t.Errorf("severities web=%s legacy=%s, want warning (manifest) and error (cluster, not admitted)", web.Severity, legacy.Severity)
	}
	frontHasEvidence(t, web, "2 IngressClasses are marked default", "traefik (controller traefik.io/ingress-controller), nginx (controller k8s.io/ingress-nginx)")
	frontHasEvidence(t, web, `"2 default IngressClasses were found, only 1 allowed"`)
	if want := `kubectl patch ingress web -n shop --type=merge -p '{"spec":{"ingressClassName":"traefik"}}'`; web.Fix != want {
		t.Errorf("fix %q, want %q", web.Fix, want)
	}
}

func TestIngressBackendInvalidQuotesTheAPIServer(t *testing.T) {
	got := map[string]diagnose.Finding{}
	for _, f := range runCheckFile(t, ingressBackendInvalid, "testdata/ingress-backend-invalid/bad-empty-backend.yaml") {
		got[f.Object.String()] = f
	}
	frontHasEvidence(t, got["Ingress/shop/web"], "rule host shop.example.com path /api",
		`spec.rules[0].http.paths[1].backend: Invalid value: "": resource or service backend is required`)
	frontHasEvidence(t, got["Ingress/shop/admin"], "spec.defaultBackend: Required value: port name or number is required")
	if want := "kubectl apply -f testdata/ingress-backend-invalid/bad-empty-backend.yaml -n shop"; got["Ingress/shop/web"].Fix != want {
		t.Errorf("fix %q, want %q", got["Ingress/shop/web"].Fix, want)
	}
}

// TestIngressTLSCertManagerFix: with cert-manager the Certificate, not a
// hand-made Secret, is where the fix starts.
func TestIngressTLSCertManagerFix(t *testing.T) {
	f := frontOne(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-cert-manager-dump.yaml")
	if want := "kubectl describe certificate shop-tls -n shop"; f.Fix != want {
		t.Errorf("fix %q, want %q", f.Fix, want)
	}
	frontHasEvidence(t, f, "kubectl get certificaterequests,orders,challenges -n shop")
	if f.Verify != "kubectl get secret shop-tls -n shop" {
		t.Errorf("verify %q", f.Verify)
	}
}
