package source

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// TestGatewayAPIVersionsDecodeIntoV1 loads every Gateway API version a
// release has served in today's shape; older shapes are skipped and counted,
// never decoded into fields they do not have.
func TestGatewayAPIVersionsDecodeIntoV1(t *testing.T) {
	doc := `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: GatewayClass
metadata: {name: eg, namespace: ignored}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: data}
spec:
  parentRefs: [{name: eg, namespace: shop}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: TLSRoute
metadata: {name: tls, namespace: data}
spec:
  hostnames: [db.example.com]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: data}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRouteList
items:
- metadata: {name: store, namespace: shop}
  spec:
    parentRefs: [{name: eg}]
    rules: [{backendRefs: [{name: store, port: 80, weight: 3}]}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: BackendTLSPolicy
metadata: {name: old-shape}
spec:
  targetRef: {group: "", kind: Service, name: store}
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XListenerSet
metadata: {name: experimental}
`
	s := snapshot.New()
	if err := DecodeBytes(s, "gateway.yaml", []byte(doc), "shop"); err != nil {
		t.Fatal(err)
	}
	s.Index()
	if len(s.GatewayClasses) != 1 || s.GatewayClasses[0].Namespace != "" {
		t.Errorf("GatewayClass is cluster-scoped: %+v", s.GatewayClasses)
	}
	if gw := s.Gateway("shop", "eg"); gw == nil || gw.Spec.Listeners[0].Port != 80 {
		t.Errorf("v1beta1 Gateway in the default namespace: %+v", s.Gateways)
	}
	if len(s.TCPRoutes) != 1 || len(s.TLSRoutes) != 1 || len(s.ReferenceGrants) != 1 {
		t.Errorf("TCPRoutes %d, TLSRoutes %d, ReferenceGrants %d", len(s.TCPRoutes), len(s.TLSRoutes), len(s.ReferenceGrants))
	}
	r := s.Route(snapshot.ObjectRef{Kind: snapshot.KindHTTPRoute, Namespace: "shop", Name: "store"})
	if r == nil || snapshot.BackendWeight(r.Rules[0].Backends[0]) != 3 {
		t.Fatalf("HTTPRoute from a typed list: %+v", r)
	}
	if s.Skipped["gateway.networking.k8s.io/v1alpha2/BackendTLSPolicy"] != 1 || s.Skipped["gateway.networking.x-k8s.io/v1alpha1/XListenerSet"] != 1 {
		t.Errorf("old shapes must be skipped and counted: %v", s.Skipped)
	}
	if len(s.Routes()) != 3 {
		t.Errorf("routes %d, want HTTP, TLS and TCP", len(s.Routes()))
	}
}

// fakeGatewayServer answers discovery and Gateway API LISTs the way an API
// server does, and records the paths asked for.
type fakeGatewayServer struct {
	mu         sync.Mutex
	paths      []string
	aggregated bool
	served     bool
	forbidden  string // a resource whose LIST is forbidden
}

func (f *fakeGatewayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	write := func(contentType string, v any) {
		w.Header().Set("Content-Type", contentType)
		_ = json.NewEncoder(w).Encode(v)
	}
	group := map[string]any{"name": snapshot.GatewayGroup, "versions": []any{
		map[string]any{"groupVersion": snapshot.GatewayGroup + "/v1", "version": "v1"},
		map[string]any{"groupVersion": snapshot.GatewayGroup + "/v1beta1", "version": "v1beta1"},
	}}
	switch {
	case r.URL.Path == "/apis" && f.aggregated:
		var items []any
		if f.served {
			res := func(resource, kind, version string) any {
				return map[string]any{"resource": resource, "scope": "Namespaced", "verbs": []string{"list"},
					"responseKind": map[string]any{"group": snapshot.GatewayGroup, "version": version, "kind": kind}}
			}
			items = append(items, map[string]any{"metadata": map[string]any{"name": snapshot.GatewayGroup}, "versions": []any{
				map[string]any{"version": "v1", "resources": []any{res("gateways", "Gateway", "v1"), res("httproutes", "HTTPRoute", "v1"), res("httproutes/status", "HTTPRoute", "v1")}},
				map[string]any{"version": "v1beta1", "resources": []any{res("gateways", "Gateway", "v1beta1"), res("referencegrants", "ReferenceGrant", "v1beta1")}},
			}})
		}
		write("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", map[string]any{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": items})
	case r.URL.Path == "/apis":
		var groups []any
		if f.served {
			groups = append(groups, group)
		}
		write("application/json", map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
	case r.URL.Path == "/apis/"+snapshot.GatewayGroup+"/v1":
		write("application/json", map[string]any{"kind": "APIResourceList", "groupVersion": snapshot.GatewayGroup + "/v1", "resources": []any{
			map[string]any{"name": "gateways", "kind": "Gateway", "namespaced": true, "verbs": []string{"list"}},
			map[string]any{"name": "httproutes", "kind": "HTTPRoute", "namespaced": true, "verbs": []string{"list"}},
		}})
	case r.URL.Path == "/apis/"+snapshot.GatewayGroup+"/v1beta1":
		write("application/json", map[string]any{"kind": "APIResourceList", "groupVersion": snapshot.GatewayGroup + "/v1beta1", "resources": []any{
			map[string]any{"name": "referencegrants", "kind": "ReferenceGrant", "namespaced": true, "verbs": []string{"list"}},
		}})
	case f.forbidden != "" && strings.HasSuffix(r.URL.Path, "/"+f.forbidden):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
			"message": f.forbidden + " is forbidden: User \"alice\" cannot list resource"})
	case strings.HasSuffix(r.URL.Path, "/gateways"):
		if r.URL.Query().Get("limit") == "" {
			http.Error(w, "not a paged list", http.StatusBadRequest)
			return
		}
		write("application/json", map[string]any{"kind": "GatewayList", "metadata": map[string]any{}, "items": []any{
			map[string]any{"metadata": map[string]any{"name": "eg", "namespace": "infra"}, "spec": map[string]any{"gatewayClassName": "eg",
				"listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": 80}}}},
		}})
	case strings.HasSuffix(r.URL.Path, "/httproutes"), strings.HasSuffix(r.URL.Path, "/referencegrants"):
		write("application/json", map[string]any{"kind": "List", "metadata": map[string]any{}, "items": []any{}})
	default:
		http.NotFound(w, r)
	}
}

func loadGatewayAPI(t *testing.T, f *fakeGatewayServer, kinds map[string]bool) *snapshot.Snapshot {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	l := NewLiveForConfig(&rest.Config{Host: srv.URL}, "shop")
	l.Kinds = kinds
	sc, err := l.resolve()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(sc.config)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New()
	s.Live = true
	if err := l.addGatewayAPI(context.Background(), sc, cs, s); err != nil {
		t.Fatal(err)
	}
	s.Index()
	return s
}

func TestLiveGatewayAPIListsWhatIsServed(t *testing.T) {
	for _, aggregated := range []bool{true, false} {
		f := &fakeGatewayServer{aggregated: aggregated, served: true}
		s := loadGatewayAPI(t, f, nil)
		if s.Gateway("infra", "eg") == nil {
			t.Fatalf("aggregated=%v: the Gateway in infra was not read: %v", aggregated, f.paths)
		}
		if !s.Knows(snapshot.KindGateway, "elsewhere") || !s.Knows(snapshot.KindReferenceGrant, "elsewhere") {
			t.Errorf("aggregated=%v: Gateway API kinds are listed cluster-wide: %v", aggregated, s.Listed)
		}
		if s.Knows(snapshot.KindTCPRoute, "shop") {
			t.Errorf("aggregated=%v: TCPRoute is not served and must not be known", aggregated)
		}
		want := map[string]bool{
			"/apis/" + snapshot.GatewayGroup + "/v1/gateways":             true,
			"/apis/" + snapshot.GatewayGroup + "/v1/httproutes":           true,
			"/apis/" + snapshot.GatewayGroup + "/v1beta1/referencegrants": true,
		}
		for _, p := range f.paths {
			delete(want, p)
		}
		if len(want) > 0 {
			t.Errorf("aggregated=%v: not listed: %v (requests %v)", aggregated, want, f.paths)
		}
		if aggregated && len(f.paths) != 4 {
			t.Errorf("one discovery request and one LIST per served kind, got %v", f.paths)
		}
	}
}

func TestLiveGatewayAPINotInstalledIsANote(t *testing.T) {
	f := &fakeGatewayServer{aggregated: true}
	s := loadGatewayAPI(t, f, nil)
	if s.NotServed[snapshot.GatewayGroup] != GatewayAPINotInstalled || len(s.Forbidden) != 0 || len(f.paths) != 1 {
		t.Errorf("NotServed %v, Forbidden %v after requests %v", s.NotServed, s.Forbidden, f.paths)
	}
}

func TestLiveGatewayAPIForbiddenKindIsNotChecked(t *testing.T) {
	f := &fakeGatewayServer{aggregated: true, served: true, forbidden: "httproutes"}
	s := loadGatewayAPI(t, f, nil)
	if why := s.Forbidden[snapshot.KindHTTPRoute]; !strings.HasPrefix(why, "forbidden: ") {
		t.Errorf("Forbidden[HTTPRoute] = %q", why)
	}
	if s.Gateway("infra", "eg") == nil {
		t.Error("the other kinds are still read")
	}
}

func TestServiceTraceSkipsGatewayDiscovery(t *testing.T) {
	f := &fakeGatewayServer{aggregated: true, served: true}
	loadGatewayAPI(t, f, TraceKinds([]string{"service/api"}))
	if len(f.paths) != 0 {
		t.Errorf("a Service trace asked %v", f.paths)
	}
	kinds := TraceKinds([]string{"httproute/store"})
	if !kinds[snapshot.KindGateway] || !kinds[snapshot.KindReferenceGrant] || !kinds[snapshot.KindSecret] {
		t.Errorf("a route trace reads the Gateway API kinds: %v", kinds)
	}
	if k := TraceKinds([]string{"https://shop.example.com/"}); !k[snapshot.KindHTTPRoute] || !k[snapshot.KindIngress] {
		t.Errorf("a URL trace reads Ingresses and routes: %v", k)
	}
}
