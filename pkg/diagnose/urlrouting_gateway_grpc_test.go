package diagnose_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// grpcPrecedence has GRPCRoutes that compete for the same calls, and an
// HTTPRoute on another hostname.
const grpcPrecedence = `
apiVersion: v1
kind: List
items:
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: eg, namespace: infra}
  spec:
    gatewayClassName: eg
    listeners:
    - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
    - {name: https, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wild-tls}]}, allowedRoutes: {namespaces: {from: All}}}
- apiVersion: gateway.networking.k8s.io/v1
  kind: GRPCRoute
  metadata: {name: store, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [grpc.example.com]
    rules:
    - matches: [{method: {service: store.v1.Catalog}}]
      backendRefs: [{name: catalog, port: 9000}]
    - matches: [{method: {service: store.v1.Catalog, method: GetItem}}]
      backendRefs: [{name: catalog-get, port: 9000}]
    - matches: [{method: {service: store.v1.Catalog}, headers: [{name: X-Canary, value: "true"}]}]
      backendRefs: [{name: catalog-canary, port: 9000}]
    - matches: [{method: {type: RegularExpression, service: "store\\.v1\\..*", method: "List.*"}}]
      backendRefs: [{name: lister, port: 9000}]
    - matches: [{method: {method: Check}}]
      backendRefs: [{name: health, port: 9000}]
    - backendRefs: [{name: fallback, port: 9000}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: GRPCRoute
  metadata: {name: wild, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: ["*.example.com"]
    rules:
    - matches: [{method: {service: store.v1.Catalog, method: GetItem}}]
      backendRefs: [{name: wild, port: 9000}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: GRPCRoute
  metadata: {name: orders-new, namespace: shop, creationTimestamp: "2026-02-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [orders.example.com]
    rules: [{matches: [{method: {service: orders.v1.Orders}}], backendRefs: [{name: orders-new, port: 9000}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: GRPCRoute
  metadata: {name: orders-old, namespace: shop, creationTimestamp: "2025-02-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [orders.example.com]
    rules: [{matches: [{method: {service: orders.v1.Orders}}], backendRefs: [{name: orders-old, port: 9000}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: web, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [www.example.org]
    rules: [{backendRefs: [{name: web, port: 80}]}]
`

func TestTraceGRPCURLFollowsGRPCRoutePrecedence(t *testing.T) {
	s := loadYAML(t, grpcPrecedence)
	cases := []struct {
		name, url string
		headers   map[string]string
		backend   string
		listener  string
	}{
		{"a service match", "grpc://grpc.example.com/store.v1.Catalog/Search", nil, "catalog", "http"},
		{"service and method beat service alone", "grpc://grpc.example.com/store.v1.Catalog/GetItem", nil, "catalog-get", "http"},
		{"the exact host beats the wildcard host with the same match", "grpcs://grpc.example.com/store.v1.Catalog/GetItem", nil, "catalog-get", "https"},
		{"the wildcard host serves other names", "grpcs://api.example.com/store.v1.Catalog/GetItem", nil, "wild", "https"},
		{"a header match beats none", "grpc://grpc.example.com/store.v1.Catalog/Search", map[string]string{"x-canary": "true"}, "catalog-canary", "http"},
		{"a regular expression on service and method", "grpc://grpc.example.com/store.v1.Inventory/ListItems", nil, "lister", "http"},
		{"a method without a service", "grpc://grpc.example.com/grpc.health.v1.Health/Check", nil, "health", "http"},
		{"a rule without matches takes every call", "grpc://grpc.example.com/other.Svc/Do", nil, "fallback", "http"},
		{"the oldest route wins a tie", "grpc://orders.example.com/orders.v1.Orders/Get", nil, "orders-old", "http"},
		{"an https URL with a gRPC path", "https://grpc.example.com/store.v1.Catalog/GetItem", nil, "catalog-get", "https"},
		{"an explicit port", "grpc://grpc.example.com:80/store.v1.Catalog/Search", nil, "catalog", "http"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := wantURLRule(t, s, diagnose.Options{Entries: []string{c.url}, Headers: c.headers}, c.backend, c.listener)
			if !strings.HasPrefix(tr.Entry, "GRPCRoute/") {
				t.Errorf("entry %q, want a GRPCRoute", tr.Entry)
			}
		})
	}
	// The wildcard route serves api.example.com only GetItem: any other
	// call to that host gets 404.
	wantEntryError(t, s, "a call no rule matches", diagnose.Options{Entries: []string{"grpcs://api.example.com/store.v1.Catalog/Search"}}, "no route it accepts matches gRPC call /store.v1.Catalog/Search")
	// A gRPC call to an HTTPRoute's host is an HTTP/2 POST the HTTPRoute
	// serves.
	res, err := run(t, s, diagnose.Options{Entries: []string{"grpc://www.example.org/store.v1.Catalog/GetItem"}})
	if err != nil || len(res.Traces) != 1 || !strings.HasPrefix(res.Traces[0].Entry, "HTTPRoute/shop/web") {
		t.Errorf("a gRPC call to the HTTPRoute's host: %v %+v", err, res)
	}
	wantEntryError(t, s, "a gRPC URL without service and method", diagnose.Options{Entries: []string{"grpc://grpc.example.com/not-a-call"}}, "/package.Service/Method")
}

// TestHTTPAndGRPCRoutesOnOneHostname: when both kinds claim a hostname on
// one listener the implementation accepts only the older route, so an
// https call goes to that route's kind.
func TestHTTPAndGRPCRoutesOnOneHostname(t *testing.T) {
	doc := grpcPrecedence + `
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: grpc-web, namespace: shop, creationTimestamp: "2025-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [grpc.example.com]
    rules: [{backendRefs: [{name: grpc-web, port: 8080}]}]
`
	s := loadYAML(t, doc)
	res, err := run(t, s, diagnose.Options{Entries: []string{"https://grpc.example.com/store.v1.Catalog/GetItem"}})
	if err != nil || len(res.Traces) != 1 || !strings.HasPrefix(res.Traces[0].Entry, "HTTPRoute/shop/grpc-web") {
		t.Errorf("the older HTTPRoute holds the hostname: %v %+v", err, res)
	}
	// A grpc:// URL is no different: the GRPCRoute lost the hostname.
	res, err = run(t, s, diagnose.Options{Entries: []string{"grpc://grpc.example.com/store.v1.Catalog/GetItem"}})
	if err != nil || len(res.Traces) != 1 || !strings.HasPrefix(res.Traces[0].Entry, "HTTPRoute/shop/grpc-web") {
		t.Errorf("grpc:// call: %v %+v", err, res)
	}
	// Made younger than the GRPCRoutes, the HTTPRoute is the one not
	// accepted, and the GRPCRoute serves the call.
	s = loadYAML(t, strings.Replace(doc, `name: grpc-web, namespace: shop, creationTimestamp: "2025-01-01T00:00:00Z"`, `name: grpc-web, namespace: shop, creationTimestamp: "2026-06-01T00:00:00Z"`, 1))
	res, err = run(t, s, diagnose.Options{Entries: []string{"https://grpc.example.com/store.v1.Catalog/GetItem"}})
	if err != nil || len(res.Traces) != 1 || !strings.Contains(res.Traces[0].Entry, "→ Service/shop/catalog-get:") {
		t.Errorf("the older GRPCRoute holds the hostname: %v %+v", err, res)
	}
}

// wantEntryError traces opt and checks that its entry point is refused for
// the reason why; what names the case.
func wantEntryError(t *testing.T, s *snapshot.Snapshot, what string, opt diagnose.Options, why string) {
	t.Helper()
	_, err := run(t, s, opt)
	var ee *diagnose.EntryError
	if !errors.As(err, &ee) || !strings.Contains(ee.Why, why) {
		t.Errorf("%s: %v, want an entry error saying %q", what, err, why)
	}
}

// wantURLRule traces one URL and checks the listener and the backend of
// the route rule it picked; it returns the trace.
func wantURLRule(t *testing.T, s *snapshot.Snapshot, opt diagnose.Options, backend, listener string) diagnose.Trace {
	t.Helper()
	res, err := run(t, s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 1 {
		t.Fatalf("%d traces", len(res.Traces))
	}
	tr := res.Traces[0]
	if !strings.Contains(tr.Entry, "→ Service/shop/"+backend+":") {
		t.Errorf("entry %q, want backend %s", tr.Entry, backend)
	}
	if !strings.Contains(tr.Hops[0].Reason, `listener "`+listener+`"`) {
		t.Errorf("gateway hop %q, want listener %s", tr.Hops[0].Reason, listener)
	}
	return tr
}
