package checks

// Ingress-layer checks: backends, classes, controllers, TLS and
// ingress-nginx annotations, held to their evidence and fixes (the seed's
// LAB 4 among them).

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestBackendServiceLab4: the seed's LAB 4 names the missing Service, the
// ones that exist and the closest, and does not patch to a far name.
func TestBackendServiceLab4(t *testing.T) {
	f := onlyFinding(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-lab4.yaml")
	wantEvidenceLine(t, f, "rule host * path /app", `Service "wrong-svc" port 80`)
	wantEvidenceLine(t, f, "Services in namespace default: api-svc")
	wantEvidenceLine(t, f, `closest existing name: "api-svc"`, "too far")
	wantEqual(t, "fix", f.Fix, "kubectl edit ingress -n default -- app-ingress")
	if !strings.Contains(f.Symptom, "404") {
		t.Errorf("symptom %q does not mention the 404 the lab shows", f.Symptom)
	}
}

// TestIngressCloudBackendType: a gce Ingress in front of a ClusterIP
// Service without NEG is an error in cluster state (quoting the
// controller's event) and a warning in manifests; an alb Ingress in
// instance mode, the default, is an error either way.
func TestIngressCloudBackendType(t *testing.T) {
	dir := "testdata/ingress-cloud-backend-type/"
	f := onlyFinding(t, ingressCloudBackendType, dir+"bad-gce-clusterip.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	wantEvidenceLine(t, f, "Ingress class: annotation kubernetes.io/ingress.class: gce")
	wantEvidenceLine(t, f, "Service grafana: type ClusterIP, no cloud.google.com/neg annotation")
	wantEvidenceLine(t, f, "Event Warning GCE (x17): googleapi: Error 400")
	wantEqual(t, "fix", f.Fix, `kubectl patch service -n default --type=merge -p '{"spec":{"type":"NodePort"}}' -- grafana`)
	wantEqual(t, "affects", fmt.Sprint(f.Affects), "[Service/default/grafana]")

	s := loadCase(t, dir+"bad-gce-clusterip.yaml")
	s.Ingresses[0].UID, s.Ingresses[0].CreationTimestamp = "", metav1.Time{}
	f = soleFinding(t, ingressCloudBackendType, s, "the gce Ingress as a manifest")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityWarning)
	wantContains(t, "cause", f.Cause, "VPC-native GKE 1.17.6-gke.7")

	f = onlyFinding(t, ingressCloudBackendType, dir+"bad-alb-instance-default.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	wantEvidenceLine(t, f, "Service vigil: type ClusterIP, target type instance (alb.ingress.kubernetes.io/target-type not set: instance is the default)")
	wantEvidenceLine(t, f, "alternative where pods have VPC addresses", "alb.ingress.kubernetes.io/target-type=ip")
}

func TestBackendServiceTypoPatched(t *testing.T) {
	f := onlyFinding(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-typo-default-backend.yaml")
	want := `kubectl patch ingress -n shop --type=json -p '[{"op":"test","path":"/spec/defaultBackend/service/name","value":"frontnd"},{"op":"replace","path":"/spec/defaultBackend/service/name","value":"frontend"}]' -- storefront`
	wantEqual(t, "fix", f.Fix, want)
	other := onlyFinding(t, ingressBackendServiceMissing, "testdata/ingress-backend-service-missing/bad-other-namespace.yaml")
	wantEvidenceLine(t, other, `a Service "blog" exists in namespace content`, "its own namespace (web)")
}

func TestBackendPortSuggestsServicePort(t *testing.T) {
	f := onlyFinding(t, ingressBackendPortMissing, "testdata/ingress-backend-port-missing/bad-target-port.yaml")
	wantEvidenceLine(t, f, "8080 is the targetPort of Service port 80")
	wantEvidenceLine(t, f, "Service api-svc ports: http 80/TCP → targetPort 8080; metrics 9090/TCP")
	wantContains(t, "fix", f.Fix, `"path":"/spec/rules/0/http/paths/0/backend/service/port","value":{"number":80}`)
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
	legacy := onlyFinding(t, ingressClassMissing, "testdata/ingress-class-missing/bad-annotation.yaml")
	if legacy.Severity != diagnose.SeverityWarning {
		t.Errorf("legacy annotation: severity %s, want warning (a controller flag may still claim it)", legacy.Severity)
	}
}

func TestTLSSecretTypoPatched(t *testing.T) {
	f := onlyFinding(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-typo.yaml")
	wantContains(t, "fix", f.Fix, `{"op":"replace","path":"/spec/tls/0/secretName","value":"api-tls"}`)
	missing := onlyFinding(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-missing-secret.yaml")
	wantEqual(t, "fix", missing.Fix, "kubectl create secret tls -n shop --cert=tls.crt --key=tls.key shop-tls")
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
	wantEvidenceLine(t, web, "2 IngressClasses are marked default", "traefik (controller traefik.io/ingress-controller), nginx (controller k8s.io/ingress-nginx)")
	wantEvidenceLine(t, web, `"2 default IngressClasses were found, only 1 allowed"`)
	wantEqual(t, "fix", web.Fix, `kubectl patch ingress -n shop --type=merge -p '{"spec":{"ingressClassName":"traefik"}}' -- web`)
}

func TestIngressBackendInvalidQuotesTheAPIServer(t *testing.T) {
	got := map[string]diagnose.Finding{}
	for _, f := range runCheckFile(t, ingressBackendInvalid, "testdata/ingress-backend-invalid/bad-empty-backend.yaml") {
		got[f.Object.String()] = f
	}
	wantEvidenceLine(t, got["Ingress/shop/web"], "rule host shop.example.com path /api",
		`spec.rules[0].http.paths[1].backend: Invalid value: "": resource or service backend is required`)
	wantEvidenceLine(t, got["Ingress/shop/admin"], "spec.defaultBackend: Required value: port name or number is required")
	wantEqual(t, "fix", got["Ingress/shop/web"].Fix, "kubectl apply -f testdata/ingress-backend-invalid/bad-empty-backend.yaml -n shop")
}

// TestIngressTLSCertManagerFix: with cert-manager the Certificate, not a
// hand-made Secret, is where the fix starts.
func TestIngressTLSCertManagerFix(t *testing.T) {
	f := onlyFinding(t, ingressTLSSecretMissing, "testdata/ingress-tls-secret-missing/bad-cert-manager-dump.yaml")
	wantEqual(t, "fix", f.Fix, "kubectl describe certificate -n shop -- shop-tls")
	wantEvidenceLine(t, f, "kubectl get certificaterequests,orders,challenges -n shop")
	wantEqual(t, "verify", f.Verify, "kubectl get secret -n shop -- shop-tls")
}

func TestIngressControllerUnavailableQuotesTheCrash(t *testing.T) {
	f := onlyFinding(t, ingressControllerUnavailable, "testdata/ingress-controller-unavailable/bad-controller-crashloop.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "CrashLoopBackOff", "restartCount=27", "No service with name default-http-backend")
}

func TestIngressControllerUnavailableSuggestsTheServedClass(t *testing.T) {
	f := onlyFinding(t, ingressControllerUnavailable, "testdata/ingress-controller-unavailable/bad-class-without-controller.yaml")
	wantContains(t, "cause", f.Cause, "k8s.io/kafka-nginx")
	wantContains(t, "fix", f.Fix, `{"spec":{"ingressClassName":"nginx"}}`)
}

func TestIngressBackendProtocolQuotesTheProbe(t *testing.T) {
	f := onlyFinding(t, ingressBackendProtocolMismatch, "testdata/ingress-backend-protocol-mismatch/bad-https-backend.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "scheme HTTPS", "port 8443")
	wantContains(t, "fix", f.Fix, `"nginx.ingress.kubernetes.io/backend-protocol":"HTTPS"`)
	f = onlyFinding(t, ingressBackendProtocolMismatch, "testdata/ingress-backend-protocol-mismatch/bad-https-to-plain.yaml")
	wantContains(t, "fix", f.Fix, `"nginx.ingress.kubernetes.io/backend-protocol":"HTTP"`)
}

func TestRewriteTargetRemovesAnnotationOnPlainPaths(t *testing.T) {
	f := onlyFinding(t, ingressRewriteTargetCapture, "testdata/ingress-rewrite-target-capture/bad-plain-paths.yaml")
	wantContains(t, "fix", f.Fix, `"op":"remove"`, `/metadata/annotations/nginx.ingress.kubernetes.io~1rewrite-target`)
	f = onlyFinding(t, ingressRewriteTargetCapture, "testdata/ingress-rewrite-target-capture/bad-one-group-for-two.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), `path "/api/(.*)" defines 1 capture group(s)`)
	if !strings.HasPrefix(f.Fix, "kubectl edit ingress -n web -- api") {
		t.Errorf("a regex path needs a human: fix %q", f.Fix)
	}
}
