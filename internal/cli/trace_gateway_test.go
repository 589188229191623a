package cli

import (
	"testing"
)

// Tracing Gateway API paths from the command line: a route by name, and a
// URL whose route rule depends on a request header.
func TestTraceGatewayAPI(t *testing.T) {
	const incidents = "../../testdata/incidents-gateway/"
	const routing = "../../testdata/realworld-gateway/gateway-api-http-routing.yaml"
	cases := []commandCase{
		{"a route that no listener admits", []string{"trace", "httproute/podinfo", "-n", "podinfo", "-f", incidents + "background.yaml", "-f", incidents + "route-cross-namespace-default-same/state.yaml", "--no-color"},
			1, "route-not-allowed", ""},
		{"a Gateway", []string{"trace", "gateway/eg", "-n", "infra", "-f", incidents + "background.yaml", "--no-color"}, 0, "HTTPRoute/catalog/catalog via Gateway/infra/eg", ""},
		{"a header picks the canary rule", []string{"trace", "http://bar.example.com/", "-H", "env: canary", "-f", routing, "--no-color", "--explain"}, 0, "→ Service/default/bar-svc-canary:8080", ""},
		{"without it the default rule", []string{"trace", "http://bar.example.com/", "-f", routing, "--no-color", "--explain"}, 0, "→ Service/default/bar-svc:8080", ""},
		{"a header without a colon", []string{"trace", "http://bar.example.com/", "-H", "env", "-f", routing}, 2, "", "--header \"env\""},
		{"a route that does not exist", []string{"trace", "httproute/nope", "-f", routing}, 2, "", "no HTTPRoute \"nope\""},
	}
	runCases(t, cases)
}
