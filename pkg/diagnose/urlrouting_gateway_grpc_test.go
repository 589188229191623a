package diagnose_test

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestTraceGRPCURLFollowsGRPCRoutePrecedence(t *testing.T) {
	s := wantURLRules(t, "grpc-precedence.yaml", "GRPCRoute")
	// The wildcard route serves api.example.com only GetItem: any other
	// call to that host gets 404.
	wantEntryError(t, s, "a call no rule matches", diagnose.Options{Entries: []string{"grpcs://api.example.com/store.v1.Catalog/Search"}}, "no route it accepts matches gRPC call /store.v1.Catalog/Search")
	// A gRPC call to an HTTPRoute's host is an HTTP/2 POST the HTTPRoute
	// serves.
	wantSoleTrace(t, s, "a gRPC call to the HTTPRoute's host", "grpc://www.example.org/store.v1.Catalog/GetItem", strings.HasPrefix, "HTTPRoute/shop/web")
	wantEntryError(t, s, "a gRPC URL without service and method", diagnose.Options{Entries: []string{"grpc://grpc.example.com/not-a-call"}}, "/package.Service/Method")
}

// TestHTTPAndGRPCRoutesOnOneHostname: when both kinds claim a hostname on
// one listener the implementation accepts only the older route, so an
// https call goes to that route's kind.
func TestHTTPAndGRPCRoutesOnOneHostname(t *testing.T) {
	doc := gatewayCase(t, "grpc-precedence.yaml") + `
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: grpc-web, namespace: shop, creationTimestamp: "2025-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [grpc.example.com]
    rules: [{backendRefs: [{name: grpc-web, port: 8080}]}]
`
	s := loadYAML(t, doc)
	wantSoleTrace(t, s, "the older HTTPRoute holds the hostname", "https://grpc.example.com/store.v1.Catalog/GetItem", strings.HasPrefix, "HTTPRoute/shop/grpc-web")
	// A grpc:// URL is no different: the GRPCRoute lost the hostname.
	wantSoleTrace(t, s, "grpc:// call", "grpc://grpc.example.com/store.v1.Catalog/GetItem", strings.HasPrefix, "HTTPRoute/shop/grpc-web")
	// Made younger than the GRPCRoutes, the HTTPRoute is the one not
	// accepted, and the GRPCRoute serves the call.
	s = loadYAML(t, strings.Replace(doc, `name: grpc-web, namespace: shop, creationTimestamp: "2025-01-01T00:00:00Z"`, `name: grpc-web, namespace: shop, creationTimestamp: "2026-06-01T00:00:00Z"`, 1))
	wantSoleTrace(t, s, "the older GRPCRoute holds the hostname", "https://grpc.example.com/store.v1.Catalog/GetItem", strings.Contains, "→ Service/shop/catalog-get:")
}
