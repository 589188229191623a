package diagnose_test

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/manifesttest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Gateway API paths walk Gateway → route → Service → Endpoints → Pod, the
// way Ingress paths do, and a URL picks the listener and route rule a
// Gateway would.

func loadYAML(t *testing.T, doc string) *snapshot.Snapshot {
	t.Helper()
	return manifesttest.Snapshot(t, "test.yaml", []byte(doc))
}

func run(t *testing.T, s *snapshot.Snapshot, opt diagnose.Options) (*diagnose.Result, error) {
	t.Helper()
	return diagnose.Engine{Checks: checks.All()}.Run(s, opt)
}

func layersOf(tr diagnose.Trace) string {
	var out []string
	for _, h := range tr.Hops {
		out = append(out, string(h.Layer)+":"+string(h.Status))
	}
	return strings.Join(out, " ")
}

// shopGateway is a healthy Gateway API path down to one crash-looping and
// one healthy pod, as a cluster dump shows it.
const shopGateway = `
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
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: store, namespace: shop}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [shop.example.com]
    rules:
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: store, port: 80}]
- apiVersion: v1
  kind: Service
  metadata: {name: store, namespace: shop}
  spec:
    selector: {app: store}
    ports: [{port: 80, targetPort: 8080}]
- apiVersion: v1
  kind: Pod
  metadata: {name: store-1, namespace: shop, labels: {app: store}}
  spec:
    containers: [{name: app, image: store:1, ports: [{containerPort: 8080}]}]
  status:
    phase: Running
    conditions: [{type: Ready, status: "False"}]
    containerStatuses:
    - {name: app, ready: false, restartCount: 9, image: store:1, imageID: "", state: {waiting: {reason: CrashLoopBackOff}},
       lastState: {terminated: {reason: Error, exitCode: 1}}}
`

func TestGatewayPathWalksDownToThePods(t *testing.T) {
	res, err := run(t, loadYAML(t, shopGateway), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 1 {
		var entries []string
		for _, tr := range res.Traces {
			entries = append(entries, tr.Entry)
		}
		t.Fatalf("want one path (the Service behind the route is not walked again), got %v", entries)
	}
	tr := res.Traces[0]
	if !strings.HasPrefix(tr.Entry, "HTTPRoute/shop/store via Gateway/infra/eg shop.example.com/ → Service/shop/store:80") {
		t.Errorf("entry %q", tr.Entry)
	}
	// Manifests hold no Endpoints: that hop cannot be judged.
	want := "gateway:affected route:affected service:affected endpoints:not checked pod:affected container:broken"
	if got := layersOf(tr); got != want {
		t.Errorf("hops %s\nwant %s", got, want)
	}
	if tr.Status != diagnose.TraceBroken || !strings.HasPrefix(tr.RootCause, "container-crashloop ") {
		t.Errorf("status %s, root cause %q", tr.Status, tr.RootCause)
	}
	if f := res.Findings[0]; f.Path[0] != "Gateway/infra/eg" || f.Path[1] != "HTTPRoute/shop/store" {
		t.Errorf("the root cause's path starts at the Gateway: %v", f.Path)
	}
}

func TestNamedGatewayAndRouteEntries(t *testing.T) {
	s := loadYAML(t, shopGateway)
	for _, c := range []struct{ entry, ns string }{{"gateway/eg", "infra"}, {"httproute/store", "shop"}, {"HTTPRoutes/store", "shop"}} {
		res, err := run(t, s, diagnose.Options{Entries: []string{c.entry}, Namespace: c.ns})
		if err != nil {
			t.Fatalf("%s: %v", c.entry, err)
		}
		if len(res.Traces) != 1 || res.Traces[0].Hops[0].Layer != diagnose.LayerGateway {
			t.Errorf("%s: traces %+v", c.entry, res.Traces)
		}
	}
	wantEntryError(t, s, "a route in another namespace", diagnose.Options{Entries: []string{"httproute/store"}, Namespace: "default"}, "exists in namespace shop")
	wantEntryError(t, s, "a Gateway in another namespace", diagnose.Options{Entries: []string{"gateway/eg"}, Namespace: "shop"}, "add -n infra")
}

// precedence has routes that compete for the same requests.
const precedence = `
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
    - {name: shop-https, protocol: HTTPS, port: 443, hostname: shop.example.com, tls: {certificateRefs: [{name: shop-tls}]}, allowedRoutes: {namespaces: {from: All}}}
    - {name: wild-https, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wild-tls}]}, allowedRoutes: {namespaces: {from: All}}}
    - {name: alt, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: All}}}
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: shop, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: [shop.example.com]
    rules:
    - matches: [{path: {type: PathPrefix, value: /api}}]
      backendRefs: [{name: api, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /api/v2}}]
      backendRefs: [{name: api-v2, port: 80}]
    - matches: [{path: {type: Exact, value: /api/health}}]
      backendRefs: [{name: health, port: 80}]
    - matches: [{path: {value: /}, method: POST}]
      backendRefs: [{name: writer, port: 80}]
    - matches: [{headers: [{name: X-Canary, value: "true"}]}]
      backendRefs: [{name: canary, port: 80}]
    - matches: [{path: {value: /search}, queryParams: [{name: q, value: x}]}]
      backendRefs: [{name: search-x, port: 80}]
    - matches: [{path: {value: /search}}]
      backendRefs: [{name: search, port: 80}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: wild, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    hostnames: ["*.example.com"]
    rules:
    - matches: [{path: {value: /api/v2/orders}}]
      backendRefs: [{name: wild, port: 80}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: tie-new, namespace: shop, creationTimestamp: "2026-02-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    rules: [{matches: [{path: {value: /tie}}], backendRefs: [{name: tie-new, port: 80}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: tie-old, namespace: shop, creationTimestamp: "2025-02-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    rules: [{matches: [{path: {value: /tie}}], backendRefs: [{name: tie-old, port: 80}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: alpha-b, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    rules: [{matches: [{path: {value: /alpha}}], backendRefs: [{name: alpha-b, port: 80}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: alpha-a, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra}]
    rules: [{matches: [{path: {value: /alpha}}], backendRefs: [{name: alpha-a, port: 80}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: alt, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
  spec:
    parentRefs: [{name: eg, namespace: infra, sectionName: alt}]
    rules: [{backendRefs: [{name: alt, port: 80}]}]
`

func TestTraceURLFollowsGatewayAPIPrecedence(t *testing.T) {
	s := loadYAML(t, precedence)
	cases := []struct {
		name, url, method string
		headers           map[string]string
		backend, listener string
	}{
		{"longest prefix", "http://shop.example.com/api/v2/x", "", nil, "api-v2", "http"},
		{"an exact host beats a wildcard host with a longer path", "http://shop.example.com/api/v2/orders/1", "", nil, "api-v2", "http"},
		{"the wildcard host serves the other names", "http://a.b.example.com/api/v2/orders/1", "", nil, "wild", "http"},
		{"exact path beats prefix", "http://shop.example.com/api/health", "", nil, "health", "http"},
		{"method match", "http://shop.example.com/anything", "post", nil, "writer", "http"},
		{"header match, names in any case", "http://shop.example.com/anything", "", map[string]string{"x-canary": "true"}, "canary", "http"},
		{"query parameter match beats none", "http://shop.example.com/search?q=x", "", nil, "search-x", "http"},
		{"the oldest route wins a tie", "http://shop.example.com/tie", "", nil, "tie-old", "http"},
		{"then the first by namespace/name", "http://shop.example.com/alpha", "", nil, "alpha-a", "http"},
		{"the port picks the listener", "http://x.example.com:8080/", "", nil, "alt", "alt"},
		{"the most specific listener hostname", "https://shop.example.com/api", "", nil, "api", "shop-https"},
		{"a wildcard listener for the other names", "https://www.example.com/api/v2/orders", "", nil, "wild", "wild-https"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantURLRule(t, s, diagnose.Options{Entries: []string{c.url}, Method: c.method, Headers: c.headers}, c.backend, c.listener)
		})
	}
	// Path prefixes match whole segments: /api does not serve /apiary, and
	// nothing else does either.
	wantEntryError(t, s, "/apiary", diagnose.Options{Entries: []string{"http://shop.example.com/apiary"}}, "answers 404")
	wantEntryError(t, s, "port 9090", diagnose.Options{Entries: []string{"http://shop.example.com:9090/"}}, "no Gateway listener")
}

func TestURLServedByIngressAndGatewayTracesBoth(t *testing.T) {
	doc := shopGateway + `
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: legacy, namespace: shop}
  spec:
    rules:
    - host: shop.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: store, port: {number: 80}}}}]}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: catch-all, namespace: other}
  spec:
    defaultBackend: {service: {name: fallback, port: {number: 80}}}
`
	res, err := run(t, loadYAML(t, doc), diagnose.Options{Entries: []string{"http://shop.example.com/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 2 || !strings.HasPrefix(res.Traces[0].Entry, "Ingress/shop/legacy") || !strings.HasPrefix(res.Traces[1].Entry, "HTTPRoute/shop/store") {
		var entries []string
		for _, tr := range res.Traces {
			entries = append(entries, tr.Entry)
		}
		t.Errorf("a migration in progress: the Ingress rule and the route both serve the URL: %v", entries)
	}
	// No route serves www.shop.example.com: the Ingress default backend
	// does.
	res, err = run(t, loadYAML(t, doc), diagnose.Options{Entries: []string{"http://www.shop.example.com/"}})
	if err != nil || len(res.Traces) != 1 || !strings.HasPrefix(res.Traces[0].Entry, "Ingress/other/catch-all") {
		t.Errorf("www.shop.example.com: %v %+v", err, res)
	}
	// A route does serve shop.example.com/x: the default backend gives way.
	doc = strings.Replace(doc, "host: shop.example.com", "host: legacy.example.com", 1)
	res, err = run(t, loadYAML(t, doc), diagnose.Options{Entries: []string{"http://shop.example.com/x"}})
	if err != nil || len(res.Traces) != 1 || !strings.HasPrefix(res.Traces[0].Entry, "HTTPRoute/shop/store") {
		t.Errorf("shop.example.com/x: %v %+v", err, res)
	}
}

// TestListenerFindingsBreakOnlyTheirListener: the https listener's
// certificate is missing; the route on the http listener still works.
func TestListenerFindingsBreakOnlyTheirListener(t *testing.T) {
	doc := `
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: other, namespace: infra}
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: eg, namespace: infra}
  spec:
    gatewayClassName: eg
    listeners:
    - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
    - {name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: shop-tls}]}, allowedRoutes: {namespaces: {from: All}}}
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: plain, namespace: shop}
  spec:
    parentRefs: [{name: eg, namespace: infra, sectionName: http}]
    rules: [{backendRefs: [{name: plain, port: 80}]}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: secure, namespace: shop}
  spec:
    parentRefs: [{name: eg, namespace: infra, sectionName: https}]
    rules: [{backendRefs: [{name: secure, port: 80}]}]
`
	res, err := run(t, loadYAML(t, doc), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]diagnose.HopStatus{}
	for _, tr := range res.Traces {
		if len(tr.Hops) > 1 {
			status[tr.Hops[1].Object.Name] = tr.Hops[0].Status
		}
	}
	if status["plain"] == diagnose.StatusBroken || status["secure"] != diagnose.StatusBroken {
		t.Errorf("gateway hop per route: %v", status)
	}
}

// TestRouteFindingBreaksOnlyItsParent: a route attached to two Gateways,
// accepted by one and rejected by the other.
func TestRouteFindingBreaksOnlyItsParent(t *testing.T) {
	doc := `
apiVersion: v1
kind: List
items:
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: public, namespace: infra}
  spec:
    gatewayClassName: eg
    listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: internal, namespace: infra}
  spec:
    gatewayClassName: eg
    listeners: [{name: http, protocol: HTTP, port: 80}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: store, namespace: shop}
  spec:
    parentRefs: [{name: public, namespace: infra}, {name: internal, namespace: infra}]
    rules: [{backendRefs: [{name: store, port: 80}]}]
`
	res, err := run(t, loadYAML(t, doc), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string]bool{}
	for _, tr := range res.Traces {
		broken[tr.Hops[0].Object.Name] = tr.Status == diagnose.TraceBroken
	}
	if !broken["internal"] || broken["public"] {
		t.Errorf("broken by Gateway: %v", broken)
	}
	if len(res.Findings) != 1 || res.Findings[0].Check != "route-not-allowed" || res.Findings[0].Affects[0].Name != "internal" {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestGatewayAPINotInstalledIsANote: a live cluster without the Gateway API
// CRDs diagnoses without error; the summary says the layer was not checked,
// and a trace of a Gateway says why there is none.
func TestGatewayAPINotInstalledIsANote(t *testing.T) {
	s := snapshot.New()
	s.Live = true
	s.NotServed[snapshot.GatewayGroup] = "Gateway API: not checked: the Gateway API is not installed"
	s.Index()
	res, err := run(t, s, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxSeverity() != "" || !strings.Contains(strings.Join(res.Summary.NotChecked, "\n"), "Gateway API is not installed") {
		t.Errorf("findings %v, not checked %v", res.Findings, res.Summary.NotChecked)
	}
	wantEntryError(t, s, "trace gateway/eg", diagnose.Options{Entries: []string{"gateway/eg"}, Namespace: "infra"}, "not installed")
}
