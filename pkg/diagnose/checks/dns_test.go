package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestDNSParse(t *testing.T) {
	s := loadCase(t, "testdata/dns-name-unresolvable/good-manifests.yaml")
	namespaces := map[string]bool{"default": true, "cache": true}
	for _, tc := range []struct {
		name, value string
		want        string // "service.namespace", "" for not a Service reference
		strong      bool
	}{
		{"API_URL", "http://api-svc:80/v1", "api-svc.default", true},
		{"REDIS_ADDR", "redis-master:6379", "redis-master.default", true},
		{"REDIS_HOST", "redis-master", "redis-master.default", true},
		{"EMAIL_SERVICE", "sendgrid", "sendgrid.default", false},
		{"CATALOG", "http://catalog.shop.svc.cluster.local:3550/x", "catalog.shop", true},
		{"CATALOG", "catalog.shop.svc:3550", "catalog.shop", true},
		{"DB_URL", "postgres://app@db.cache:5432/app", "db.cache", true},
		{"ZK", "zk-0.zk-hs.data.svc.cluster.local:2181", "zk-hs.data", true},
		{"REDIS_ADDR", "redis.cache:6379", "redis.cache", true},
		// Not Service references.
		{"PEER", "kafka-0.kafka-headless:9092", "", false}, // pod of a headless Service in this namespace
		{"STATS_ADDR", "statsd.monitoring.example.com:8125", "", false},
		{"UPSTREAM", "db.internal:5432", "", false}, // "internal" is no namespace the input knows
		{"DB_HOST", "10.0.12.4", "", false},
		{"CACHE_HOST", "localhost", "", false},
		{"OTEL_SERVICE_NAME", "frontend", "", false},
		{"SIDECAR_IMAGE", "busybox:1", "", false},
		{"LISTEN_ADDR", "app:8080", "", false},
		{"ENDPOINT", "http://$(NODE_IP):4317", "", false},
		{"GET_HOSTS_FROM", "dns", "", false},
		{"TIME", "10:30", "", false},
		{"MODE", "production", "", false},
		{"JAVA_OPTS", "-Xmx512m -Dserver.port=8080", "", false},
		{"API", "https://kubernetes.default.svc:443", "", false},
		{"SERVICE_HOST", "My-Host", "", false},
		{"URL", "http://[::1]:8080/", "", false},
	} {
		ref, ok := parseServiceHost(s, tc.name, tc.value, "default", namespaces)
		got := ""
		if ok {
			got = ref.Service + "." + ref.Namespace
		}
		if got != tc.want || ok && ref.Strong != tc.strong {
			t.Errorf("parseServiceHost(%s=%q) = %q strong=%v, want %q strong=%v", tc.name, tc.value, got, ref.Strong, tc.want, tc.strong)
		}
	}
}

func TestDNSNameWrongNamespace(t *testing.T) {
	f := backFinding(t, dnsNameUnresolvable, "dns-name-unresolvable/bad-wrong-namespace.yaml", "Deployment/shop/web")
	backWant(t, "cause", f.Cause, "wrong namespace", "pod's namespace shop", "lives in namespace backend")
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		`env API_URL="http://api-svc:80/v1" in container web`,
		"a bare name resolves in the pod's own namespace (shop)",
		"Service api-svc exists in namespace backend: use api-svc.backend")
	backWant(t, "fix", f.Fix, `"path":"/spec/template/spec/containers/0/env/0/value","value":"http://api-svc.backend:80/v1"`)
	backWant(t, "verify", f.Verify, "kubectl get service api-svc -n backend")

	f = backFinding(t, dnsNameUnresolvable, "dns-name-unresolvable/bad-wrong-namespace.yaml", "ConfigMap/shop/web-env")
	backWant(t, "fix", f.Fix, `kubectl patch configmap web-env -n shop --type=merge`,
		`"CATALOG_URL":"http://api-svc.backend.svc.cluster.local/catalog"`)
}

func TestDNSNameDeletedService(t *testing.T) {
	f := backFinding(t, dnsNameUnresolvable, "dns-name-unresolvable/bad-deleted-dump.yaml", "Deployment/shop/checkout")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s: the catalog Deployment still runs, so its Service was needed", f.Severity)
	}
	backWant(t, "cause", f.Cause, "Service catalog does not exist in namespace shop")
	backWant(t, "fix", f.Fix, "kubectl expose deployment catalog -n shop --name=catalog --port=3550")
}

// TestDNSNameManifestsProveNothing: a name whose Service the manifests do
// not hold is "not checked", never a finding.
func TestDNSNameManifestsProveNothing(t *testing.T) {
	s := loadCase(t, "testdata/dns-name-unresolvable/good-manifests.yaml")
	r := diagnose.NewReporter(dnsNameUnresolvable)
	dnsNameUnresolvable.Run(s, r)
	if len(r.Findings()) != 0 {
		t.Fatalf("findings: %v", r.Findings())
	}
	var why []string
	for _, n := range r.NotCheckedItems() {
		why = append(why, n.Why)
	}
	backWant(t, "not checked", strings.Join(why, "\n"), "AUDIT_ADDR=audit-collector:9000 names Service audit-collector in namespace default")
}

func TestDNSCoreDNSCrashLoopEvidence(t *testing.T) {
	f := backFinding(t, dnsCoreDNSUnavailable, "dns-coredns-unavailable/bad-crashloop.yaml", "Deployment/kube-system/coredns")
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		"replicas 2, ready 0, available 0", "2 DNS pod(s) (k8s-app=kube-dns) in kube-system, 0 ready",
		"plugin/loop: Loop")
	backWant(t, "fix", f.Fix, "kubectl rollout restart deployment/coredns -n kube-system")
	backWant(t, "verify", f.Verify, "kubectl get pods -n kube-system -l k8s-app=kube-dns")

	f = backFinding(t, dnsCoreDNSUnavailable, "dns-coredns-unavailable/bad-scaled-to-zero.yaml", "Deployment/kube-system/coredns")
	backWant(t, "cause", f.Cause, "scaled to 0 replicas")
	backWant(t, "fix", f.Fix, "kubectl scale deployment coredns -n kube-system --replicas=2")
}

func TestDNSServiceMissingFix(t *testing.T) {
	f := backFinding(t, dnsServiceMissing, "dns-service-missing/bad-deleted.yaml", "Service/kube-system/kube-dns")
	// The kubelets send queries to 10.96.0.10: the recreated Service must
	// get that address back.
	backWant(t, "fix", f.Fix, "kubectl expose deployment coredns -n kube-system --name=kube-dns", "--cluster-ip=10.96.0.10")

	f = backFinding(t, dnsServiceMissing, "dns-service-missing/bad-selector.yaml", "Service/kube-system/kube-dns")
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"), "closest pod coredns-a differs in: k8s-app=coredns (pod has kube-dns)")
	backWant(t, "fix", f.Fix, `kubectl patch service kube-dns -n kube-system --type=merge -p '{"spec":{"selector":{"k8s-app":"kube-dns"}}}'`)
}

func TestDNSRewriteHost(t *testing.T) {
	for _, tc := range []struct {
		ref     serviceHost
		svc, ns string
		want    string
	}{
		{serviceHost{Host: "api", Service: "api", Namespace: "shop"}, "api", "backend", "api.backend"},
		{serviceHost{Host: "api", Service: "api", Namespace: "shop"}, "api-svc", "shop", "api-svc"},
		{serviceHost{Host: "api.shop.svc.cluster.local", Service: "api", Namespace: "shop", Explicit: true}, "api", "backend", "api.backend.svc.cluster.local"},
		{serviceHost{Host: "zk-0.zk-hs.data.svc", Service: "zk-hs", Namespace: "data", Explicit: true}, "zk-hs", "infra", "zk-0.zk-hs.infra.svc"},
	} {
		if got := rewriteServiceHost(tc.ref, tc.svc, tc.ns); got != tc.want {
			t.Errorf("rewriteServiceHost(%s → %s.%s) = %s, want %s", tc.ref.Host, tc.svc, tc.ns, got, tc.want)
		}
	}
}

func TestDNSRenamedServiceFix(t *testing.T) {
	f := backFinding(t, dnsNameUnresolvable, "dns-name-unresolvable/bad-renamed.yaml", "Deployment/open-webui/open-webui")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s", f.Severity)
	}
	backWant(t, "cause", f.Cause, "Service open-webui-redis-master exists there", "renamed")
	backWant(t, "fix", f.Fix, `"value":"redis://open-webui-redis-master:6379/0"`)
}
