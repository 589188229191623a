package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// The BackendTLSPolicy findings quote the values that prove them and fix
// the one field that is wrong when the meant value is clear.

func TestBackendTLSPolicyTargetFixes(t *testing.T) {
	f := onlyFinding(t, backendTLSPolicyTargetMissing, "testdata/backend-tls-policy-target-missing/bad-service-name.yaml")
	wantEvidenceLine(t, f, "spec.targetRefs[0]", `no Service "vault-svc" in namespace shop`)
	wantEvidenceLine(t, f, "Service vault is the nearest name")
	wantContains(t, "fix", f.Fix, `"path":"/spec/targetRefs/0/name","value":"vault"`)

	f = onlyFinding(t, backendTLSPolicyTargetMissing, "testdata/backend-tls-policy-target-missing/bad-section-port-number.yaml")
	wantEvidenceLine(t, f, `sectionName "443"`, `no port named "443"`)
	wantEvidenceLine(t, f, `443 is the number of port "https": sectionName takes the name`)
	wantContains(t, "fix", f.Fix, `"path":"/spec/targetRefs/0/sectionName","value":"https"`)
}

func TestBackendTLSPolicyCAEvidence(t *testing.T) {
	f := onlyFinding(t, backendTLSPolicyCAMissing, "testdata/backend-tls-policy-ca-missing/bad-configmap-missing.yaml")
	wantEvidenceLine(t, f, `no ConfigMap "vault-ca-bundle" in namespace shop`)
	wantEvidenceLine(t, f, "ConfigMaps in namespace shop with a ca.crt key: vault-ca")
	wantEvidenceLine(t, f, "NoValidCACertificate")
	wantContains(t, "fix", f.Fix, `"value":"vault-ca"`)

	f = onlyFinding(t, backendTLSPolicyCAMissing, "testdata/backend-tls-policy-ca-missing/bad-no-ca-key.yaml")
	wantEvidenceLine(t, f, "ConfigMap vault-pem exists but has no key ca.crt (its keys: ca.pem)")
	if !strings.HasPrefix(f.Fix, "kubectl edit") {
		t.Errorf("a ConfigMap with the wrong key is not patched in the policy: %s", f.Fix)
	}
}

// TestBackendTLSPolicyCAOutsideInputIsNotChecked: CA references into a
// namespace whose ConfigMaps and Secrets the input does not hold are not
// checked, and say so, for either kind.
func TestBackendTLSPolicyCAOutsideInputIsNotChecked(t *testing.T) {
	s := loadCase(t, "testdata/backend-tls-policy-ca-missing/good-ca-refs-not-in-input.yaml")
	r := diagnose.NewReporter(backendTLSPolicyCAMissing)
	backendTLSPolicyCAMissing.Run(s, r)
	if len(r.Findings()) != 0 {
		t.Errorf("findings without the CA objects in the input: %v", r.Findings())
	}
	var notChecked []string
	for _, n := range r.NotCheckedItems() {
		notChecked = append(notChecked, n.Why)
	}
	wantContains(t, "not checked", strings.Join(notChecked, "\n"),
		"the input has no ConfigMaps in namespace shop: cannot tell whether CA ConfigMap vault-ca exists",
		"the input has no Secrets in namespace shop: cannot tell whether CA Secret vault-ca-secret exists")
}

func TestBackendTLSPolicyStatusQuoted(t *testing.T) {
	f := onlyFinding(t, backendTLSPolicyRejected, "testdata/backend-tls-policy-rejected/bad-secret-ca-kind.yaml")
	wantEvidenceLine(t, f, "status.ancestors[Gateway/infra/eg] (kgateway.dev/kgateway)", "ResolvedRefs=False (InvalidKind)", "kind Secret is not supported")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("a current verdict is an error, got %s", f.Severity)
	}
	// The same verdict about an older generation is only a warning.
	s := loadCase(t, "testdata/backend-tls-policy-rejected/bad-secret-ca-kind.yaml")
	s.BackendTLSPolicies[0].Generation = 2
	f = soleFinding(t, backendTLSPolicyRejected, s, "generation 2")
	if f.Severity != diagnose.SeverityWarning || !strings.Contains(strings.Join(f.Evidence, "\n"), "stale") {
		t.Errorf("stale verdict: severity %s, evidence %v", f.Severity, f.Evidence)
	}
}

func TestRouteBackendTLSMissingWritesThePolicy(t *testing.T) {
	f := onlyFinding(t, routeBackendTLSMissing, "testdata/route-backend-tls-missing/bad-app-protocol-https.yaml")
	wantEvidenceLine(t, f, "Service vault port 443 has appProtocol https")
	wantEvidenceLine(t, f, "no BackendTLSPolicy in namespace shop targets Service vault")
	for _, want := range []string{
		"kind: BackendTLSPolicy", "name: vault-backend-tls", "namespace: shop", "sectionName: https",
		"hostname: vault.shop.svc.cluster.local", "name: vault-ca",
	} {
		wantContains(t, "fix", f.Fix, want)
	}
	if len(f.Affects) != 1 || f.Affects[0].String() != "Service/shop/vault" {
		t.Errorf("the finding breaks only the paths to the TLS backend: %v", f.Affects)
	}

	// A policy that names a port the Service lacks explains the finding.
	f = onlyFinding(t, routeBackendTLSMissing, "testdata/route-backend-tls-missing/bad-https-probe.yaml")
	wantEvidenceLine(t, f, "probes /healthz on the target port 9443 with scheme HTTPS")
	wantEvidenceLine(t, f, "BackendTLSPolicy shop/ledger-tls targets ledger sectionName http, which does not resolve")
	wantContains(t, "fix", f.Fix, "wellKnownCACertificates: System")
	if len(f.ExplainedBy) != 1 || f.ExplainedBy[0].String() != "BackendTLSPolicy/shop/ledger-tls" {
		t.Errorf("explained by %v", f.ExplainedBy)
	}
}

func TestBackendTLSPolicyRejectedNamesTheCoreKind(t *testing.T) {
	f := onlyFinding(t, backendTLSPolicyRejected, "testdata/backend-tls-policy-rejected/bad-secret-ca-kind.yaml")
	wantEvidenceLine(t, f, "caCertificateRefs[0] names Secret vault-ca", "only a ConfigMap with the CA under key ca.crt is core")
}

func TestRouteBackendTLSPolicyNotInEffect(t *testing.T) {
	f := onlyFinding(t, routeBackendTLSMissing, "testdata/route-backend-tls-missing/bad-policy-ca-missing.yaml")
	wantEvidenceLine(t, f, "BackendTLSPolicy shop/vault-tls applies to this port, but none of its CA references resolves")
	if len(f.ExplainedBy) != 1 || f.ExplainedBy[0].String() != "BackendTLSPolicy/shop/vault-tls" {
		t.Errorf("the policy's own finding explains the route's: %v", f.ExplainedBy)
	}
	wantContains(t, "fix", f.Fix, "kubectl edit backendtlspolicies.gateway.networking.k8s.io -n shop -- vault-tls")
}

func TestRouteBackendTLSMissingExternalName(t *testing.T) {
	f := onlyFinding(t, routeBackendTLSMissing, "testdata/route-backend-tls-missing/bad-external-name-https.yaml")
	wantEvidenceLine(t, f, "Service test-health-service port 443 is named https and targets port 443")
	wantContains(t, "fix", f.Fix, "hostname: external-api-service.example.com", "wellKnownCACertificates: System")
}

// TestLeftoverBackendTLSPolicyIsAWarning: a policy whose Service is gone
// while no route needs it fails no request.
func TestLeftoverBackendTLSPolicyIsAWarning(t *testing.T) {
	s := loadCase(t, "testdata/backend-tls-policy-target-missing/bad-service-name.yaml")
	s.HTTPRoutes = nil
	s.Index()
	f := soleFinding(t, backendTLSPolicyTargetMissing, s, "no routes")
	if f.Severity != diagnose.SeverityWarning || !strings.Contains(f.Cause, "no request fails because of it yet") {
		t.Errorf("severity %s, cause %q", f.Severity, f.Cause)
	}
	f = onlyFinding(t, backendTLSPolicyTargetMissing, "testdata/backend-tls-policy-target-missing/bad-service-name.yaml")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("the route to the TLS backend fails: severity %s", f.Severity)
	}
}

func TestUnroutedPolicyWithoutCAIsAWarning(t *testing.T) {
	s := loadCase(t, "testdata/backend-tls-policy-ca-missing/bad-configmap-missing.yaml")
	s.HTTPRoutes = nil
	s.Index()
	if f := soleFinding(t, backendTLSPolicyCAMissing, s, "no routes"); f.Severity != diagnose.SeverityWarning {
		t.Errorf("no route reaches the backend: severity %s", f.Severity)
	}
}

func TestConflictedPolicyNamesThePolicyThatWins(t *testing.T) {
	f := onlyFinding(t, backendTLSPolicyRejected, "testdata/backend-tls-policy-rejected/bad-conflicted.yaml")
	wantEvidenceLine(t, f, "Accepted=False (Conflicted)")
	wantEvidenceLine(t, f, "BackendTLSPolicy shop/vault-tls (created 2026-01-01T00:00:00Z) also selects Service vault and takes precedence as the older policy")
}

// TestRouteBackendTLSPlain: a policy without sectionName that covers a
// plain-HTTP port is an error with a patch limiting it to the TLS port when
// appProtocol proves the port plain, and a warning when only the port's
// name and number suggest it.
func TestRouteBackendTLSPlain(t *testing.T) {
	wantFinding(t, findingWant{check: routeBackendTLSPlain, file: "testdata/route-backend-tls-plain/bad-policy-covers-http-port.yaml",
		severity: diagnose.SeverityError, cause: []string{"forwards to Service vault port 8080, whose backend speaks plain HTTP", "BackendTLSPolicy vault-tls"},
		evidence: [][]string{{"Service vault port 8080 has appProtocol http"}, {"vault-tls", "without sectionName, so it covers every port, ui among them"}},
		fixHas:   []string{"kubectl patch backendtlspolicies.gateway.networking.k8s.io -n shop", `"path":"/spec/targetRefs/0/sectionName","value":"https"`, "-- vault-tls"}})
	// With two TLS ports no sectionName is certain: the fix edits the
	// policy the cause names.
	wantFinding(t, findingWant{check: routeBackendTLSPlain, file: "testdata/route-backend-tls-plain/bad-two-tls-ports.yaml",
		severity: diagnose.SeverityError, fix: "kubectl edit backendtlspolicies.gateway.networking.k8s.io -n shop -- vault-tls"})
	f := wantFinding(t, findingWant{check: routeBackendTLSPlain, file: "testdata/route-backend-tls-plain/bad-externalname-http-port.yaml",
		severity: diagnose.SeverityWarning, cause: []string{"judged by the port's name and number only"},
		evidence: [][]string{{"port 80 is named http and targets port 80"}, {`port "https" is the only port of Service httpbin that serves TLS`}},
		fixHas:   []string{`"path":"/spec/targetRefs/0/sectionName","value":"https"`, "-- httpbin-tls"}})
	if len(f.Affects) != 1 || f.Affects[0].String() != "ServicePort/default/httpbin/80" {
		t.Errorf("affects %v, want only port 80 of httpbin: the paths to its https port are fine", f.Affects)
	}
}

// TestBackendTLSPolicyCoreGroupApplies: Kong's published policy names its
// Service and CA with group "core", which Kong reads as the core group. On
// a TLS-only backend (appProtocol https) the policy is in effect, so the
// route is not reported as sending plain HTTP.
func TestBackendTLSPolicyCoreGroupApplies(t *testing.T) {
	s := loadCase(t, "../../../testdata/realworld-gateway/kong-gateway-backendtlspolicy.yaml")
	svc := s.Service("default", "goecho")
	if svc == nil || len(svc.Spec.Ports) != 1 {
		t.Fatalf("the Kong example's goecho Service: %v", svc)
	}
	https := "https"
	svc.Spec.Ports[0].AppProtocol = &https
	if got := runCheck(routeBackendTLSMissing, s); len(got) != 0 {
		t.Errorf("a policy with group core applies to goecho, yet: %+v", got)
	}
}
