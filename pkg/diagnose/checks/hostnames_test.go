package checks

// How hosts written in configuration resolve to Services, and how a
// corrected host keeps the form it was written in.

import (
	"testing"
)

func TestParseServiceHost(t *testing.T) {
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

func TestRewriteServiceHost(t *testing.T) {
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
