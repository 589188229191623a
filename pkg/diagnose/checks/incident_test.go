package checks

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// The incident checks' table cases (testdata/<id>/) prove which objects they
// name; these tests hold the evidence and fixes to what an on-call engineer
// needs: the concrete value that is wrong and a command that repairs it.

func incOnly(t *testing.T, c *diagnose.Check, file string) diagnose.Finding {
	t.Helper()
	got := runCheckFile(t, c, filepath.Join("testdata", c.ID, file))
	if len(got) != 1 {
		t.Fatalf("%s on %s: %d findings, want 1", c.ID, file, len(got))
	}
	return got[0]
}

func incContainsAll(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestSelectorSpansAppsNamesTheReleaseLabel(t *testing.T) {
	f := incOnly(t, serviceSelectorSpansApps, "bad-two-releases.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "Deployment/cloud/team-a-nextcloud", "Deployment/cloud/team-b-nextcloud", "app.kubernetes.io/instance=team-b")
	incContainsAll(t, "fix", f.Fix, "kubectl patch service team-a-nextcloud -n cloud --type=merge", `"app.kubernetes.io/instance":"team-a"`)
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s, want error", f.Severity)
	}
}

func TestSelectorSpansAppsQuotesBothImages(t *testing.T) {
	f := incOnly(t, serviceSelectorSpansApps, "bad-copied-labels.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "registry.example.com/shop/web:3.1.0", "registry.example.com/shop/admin-console:1.4.2")
	// web is the workload named like the Service; component=storefront is
	// what only its pods carry.
	incContainsAll(t, "fix", f.Fix, `"component":"storefront"`)
}

func TestIngressControllerUnavailableQuotesTheCrash(t *testing.T) {
	f := incOnly(t, ingressControllerUnavailable, "bad-controller-crashloop.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "CrashLoopBackOff", "restartCount=27", "No service with name default-http-backend")
}

func TestIngressControllerUnavailableSuggestsTheServedClass(t *testing.T) {
	f := incOnly(t, ingressControllerUnavailable, "bad-class-without-controller.yaml")
	incContainsAll(t, "cause", f.Cause, "k8s.io/kafka-nginx")
	incContainsAll(t, "fix", f.Fix, `{"spec":{"ingressClassName":"nginx"}}`)
}

func TestIngressBackendProtocolQuotesTheProbe(t *testing.T) {
	f := incOnly(t, ingressBackendProtocolMismatch, "bad-https-backend.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "scheme HTTPS", "port 8443")
	incContainsAll(t, "fix", f.Fix, `"nginx.ingress.kubernetes.io/backend-protocol":"HTTPS"`)
	f = incOnly(t, ingressBackendProtocolMismatch, "bad-https-to-plain.yaml")
	incContainsAll(t, "fix", f.Fix, `"nginx.ingress.kubernetes.io/backend-protocol":"HTTP"`)
}

func TestRewriteTargetRemovesAnnotationOnPlainPaths(t *testing.T) {
	f := incOnly(t, ingressRewriteTargetCapture, "bad-plain-paths.yaml")
	incContainsAll(t, "fix", f.Fix, `"op":"remove"`, `/metadata/annotations/nginx.ingress.kubernetes.io~1rewrite-target`)
	f = incOnly(t, ingressRewriteTargetCapture, "bad-one-group-for-two.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), `path "/api/(.*)" defines 1 capture group(s)`)
	if !strings.HasPrefix(f.Fix, "kubectl edit ingress api -n web") {
		t.Errorf("a regex path needs a human: fix %q", f.Fix)
	}
}

func TestDNSPolicyFixMatchesTheCase(t *testing.T) {
	f := incOnly(t, dnsPolicyBypassesClusterDNS, "bad-hostnetwork.yaml")
	incContainsAll(t, "fix", f.Fix, `"path":"/spec/template/spec/dnsPolicy"`, `"value":"ClusterFirstWithHostNet"`)
	f = incOnly(t, dnsPolicyBypassesClusterDNS, "bad-default-policy.yaml")
	incContainsAll(t, "fix", f.Fix, `"value":"ClusterFirst"`)
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "postgres.billing.svc.cluster.local (ConfigMap invoicer-config key DATABASE_URL)")
}

func TestCorefileZoneQuotesWhereTheDomainComesFrom(t *testing.T) {
	f := incOnly(t, dnsCorefileClusterZone, "bad-wrong-zone.yaml")
	incContainsAll(t, "cause", f.Cause, "lzjcluster.local", "cluster.local")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "ConfigMap shop/checkout-config key ORDERS_URL")
	f = incOnly(t, dnsCorefileClusterZone, "bad-no-kubernetes-plugin.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "clusterDomain cluster.local")
	incContainsAll(t, "verify", f.Verify, "nslookup kubernetes.default.svc.cluster.local")
}

func TestStatefulSetGoverningServiceListsNamesInUse(t *testing.T) {
	f := incOnly(t, statefulSetGoverningService, "bad-servicename-mismatch.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "database-0.db-svc", "headless Service(s) selecting these pods: db-svc")
	incContainsAll(t, "fix", f.Fix, "kubectl expose statefulset database --name=database --cluster-ip=None -n foo")
}

func TestInitContainerBlockedResolvesTheNamespaceExpansion(t *testing.T) {
	f := incOnly(t, initContainerBlocked, "bad-waits-for-missing-service.yaml")
	incContainsAll(t, "cause", f.Cause, "myservice.default.svc.cluster.local: no Service myservice in namespace default")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "init container init-myservice: running", "containers with incomplete status")
	f = incOnly(t, initContainerBlocked, "bad-manifest-waits-for-unknown-name.yaml")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("a manifest cannot prove the Service is absent everywhere: severity %s, want warning", f.Severity)
	}
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), "redis-master")
}

func TestNetpolPortNotTargetPortPatchesTheRule(t *testing.T) {
	f := incOnly(t, netpolPortNotTargetPort, "bad-service-port.yaml")
	incContainsAll(t, "fix", f.Fix, `"op":"replace"`, `"path":"/spec/ingress/0/ports/0/port"`, `"value":8080`)
	incContainsAll(t, "cause", f.Cause, "admits port 80", "8080/TCP")
}

func TestEndpointsPortNameFixNamesThePort(t *testing.T) {
	f := incOnly(t, serviceEndpointsPortNameMismatch, "bad-unnamed-endpoints-port.yaml")
	incContainsAll(t, "fix", f.Fix, `"path":"/subsets/0/ports/0/name"`, `"value":"http"`)
	f = incOnly(t, serviceEndpointsPortNameMismatch, "bad-slice-port-name.yaml")
	incContainsAll(t, "evidence", strings.Join(f.Evidence, "\n"), `port name "pg"`)
}

func TestNodePortInvalidQuotesTheAPIError(t *testing.T) {
	f := incOnly(t, exposureNodePortInvalid, "bad-out-of-range.yaml")
	incContainsAll(t, "symptom", f.Symptom, "provided port is not in the valid range")
	f = incOnly(t, exposureNodePortInvalid, "bad-duplicate.yaml")
	incContainsAll(t, "cause", f.Cause, "Service/default/api")
	incContainsAll(t, "fix", f.Fix, `"op":"remove"`, `/spec/ports/0/nodePort`)
}
