package testenv_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/hopscope/hopscope/internal/cli"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
	"github.com/hopscope/hopscope/testenv"
)

// The Gateway API against a real API server: without the CRDs a scan notes
// that the API is not installed and goes on, and a Gateway lab refuses to
// start, naming what is missing; with the standard-channel CRDs
// of the release hopscope builds with, a scan lists each served kind once
// for the whole cluster, the CRDs' defaults fill in the status no controller
// writes, and a trace of a route walks Gateway → route → Service → pods.

// gatewayGroupServed asks discovery whether the Gateway API is installed.
func gatewayGroupServed(t *testing.T) bool {
	t.Helper()
	groups, err := cluster.Client.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		if g.Name == snapshot.GatewayGroup {
			return true
		}
	}
	return false
}

// gatewayResources are the resources of the objects this test creates.
var gatewayResources = map[string]string{"GatewayClass": "gatewayclasses", "Gateway": "gateways", "HTTPRoute": "httproutes"}

// applyGatewayObjects creates Gateway API objects with the dynamic client:
// the cluster's applier learned its REST mapping before the CRDs existed.
func applyGatewayObjects(t *testing.T, manifest string) {
	t.Helper()
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := testenv.DecodeManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		gvr := schema.GroupVersionResource{Group: snapshot.GatewayGroup, Version: "v1", Resource: gatewayResources[obj.GetKind()]}
		var target dynamic.ResourceInterface = dyn.Resource(gvr)
		if obj.GetNamespace() != "" {
			target = dyn.Resource(gvr).Namespace(obj.GetNamespace())
		}
		if _, err := target.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "hopscope-test", Force: true}); err != nil {
			t.Fatalf("apply %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

const gatewayBackend = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: store, namespace: gw-shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec:
      containers:
      - {name: app, image: hashicorp/http-echo:0.2.3, args: ["-listen=:8080"], ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: store, namespace: gw-shop}
spec:
  selector: {app: store}
  ports: [{name: http, port: 80, targetPort: http}]
`

// gatewayObjects has a class no controller serves, a Gateway that admits
// routes of its own namespace only, and a route in another namespace.
const gatewayObjects = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: hopscope-test}
spec: {controllerName: example.com/no-controller-runs}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: gw-infra}
spec:
  gatewayClassName: hopscope-test
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: gw-shop}
spec:
  parentRefs: [{name: edge, namespace: gw-infra}]
  hostnames: [store.example.com]
  rules: [{backendRefs: [{name: store, port: 80}]}]
`

func TestGatewayAPILive(t *testing.T) {
	ctx := context.Background()
	if !gatewayGroupServed(t) {
		snap := scanLive(t, cluster.Config, "default")
		if snap.NotServed[snapshot.GatewayGroup] != source.GatewayAPINotInstalled || len(snap.Forbidden) != 0 {
			t.Errorf("without the CRDs: NotServed %v, Forbidden %v", snap.NotServed, snap.Forbidden)
		}
		gatewayLabRefused(t)
		if err := cluster.InstallGatewayAPI(ctx); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("the Gateway API CRDs were already installed")
	}

	tempNamespace(t, "gw-infra")
	tempNamespace(t, "gw-shop")
	if err := cluster.Apply(ctx, []byte(gatewayBackend), "gw-shop"); err != nil {
		t.Fatal(err)
	}
	applyGatewayObjects(t, gatewayObjects)
	t.Cleanup(func() {
		dyn, err := dynamic.NewForConfig(cluster.Config)
		if err == nil {
			err = dyn.Resource(schema.GroupVersionResource{Group: snapshot.GatewayGroup, Version: "v1", Resource: "gatewayclasses"}).Delete(ctx, "hopscope-test", metav1.DeleteOptions{})
		}
		if err != nil {
			t.Errorf("delete GatewayClass hopscope-test: %v", err)
		}
	})
	if err := cluster.WaitSettled(ctx, "gw-shop"); err != nil {
		t.Fatal(err)
	}

	// A trace of the route, scoped to its namespace as `hopscope trace
	// httproute/store -n gw-shop` is: the Gateway API kinds are listed for
	// the whole cluster (the Gateway lives in gw-infra), the Service layers in
	// gw-shop only.
	cfg, rec := recordedConfig(false)
	live := source.NewLiveForConfig(cfg, "gw-shop")
	live.Kinds = source.TraceKinds([]string{"httproute/store"})
	snap, err := live.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	discovery := 0
	for _, req := range rec.requests {
		if req.Method != http.MethodGet {
			t.Errorf("trace sent %s %s", req.Method, req.URL)
		}
		switch {
		case req.URL.Path == "/apis":
			discovery++
		case strings.HasPrefix(req.URL.Path, "/apis/"+snapshot.GatewayGroup+"/") && strings.Contains(req.URL.Path, "/namespaces/"):
			t.Errorf("Gateway API kind listed in one namespace: %s", req.URL.Path)
		}
	}
	if discovery != 1 {
		t.Errorf("%d discovery requests, want 1", discovery)
	}
	gw := snap.Gateway("gw-infra", "edge")
	if gw == nil || len(snap.Routes()) == 0 {
		t.Fatalf("the scan did not read the Gateway and the route: gateways %d, routes %d, listed %v", len(snap.Gateways), len(snap.Routes()), snap.Listed)
	}
	// No controller runs: what status the objects have is what the CRDs
	// default them to.
	defaulted := false
	if class := snap.GatewayClass("hopscope-test"); class != nil {
		for _, c := range class.Status.Conditions {
			t.Logf("GatewayClass condition %s=%s (%s) %q", c.Type, c.Status, c.Reason, c.Message)
			defaulted = defaulted || (c.Type == "Accepted" && c.Reason == "Pending")
		}
	}

	res := diagnoseSnapshot(t, snap, scopedTo("gw-shop", "httproute/store"))
	if len(res.Traces) != 1 {
		t.Fatalf("traces %+v", res.Traces)
	}
	var layers []string
	for _, h := range res.Traces[0].Hops {
		layers = append(layers, string(h.Layer))
	}
	if got := strings.Join(layers, " "); !strings.HasPrefix(got, "gateway route service endpoints pod container") {
		t.Errorf("hops %s", got)
	}
	if len(res.Findings) == 0 || res.Findings[0].Check != "route-not-allowed" || res.Findings[0].Object.Name != "store" {
		t.Fatalf("want route-not-allowed on the route first; findings:\n  %s\n%s", keys(res), rendered(res))
	}
	unserved := findingOf(res, "gateway-controller-unavailable", snapshot.ObjectRef{Kind: snapshot.KindGateway, Namespace: "gw-infra", Name: "edge"})
	if defaulted != (unserved != nil) {
		t.Errorf("the class's status is the CRD default (%v), so gateway-controller-unavailable must say so (%v)", defaulted, unserved != nil)
	}

	// The fix the finding proposes admits gw-shop on the listener.
	applyGatewayObjects(t, strings.Replace(gatewayObjects, "listeners: [{name: http, protocol: HTTP, port: 80}]",
		"listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [gw-infra, gw-shop]}]}}}}]", 1))
	snap, err = live.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res = diagnoseSnapshot(t, snap, scopedTo("gw-shop", "httproute/store"))
	if f := findingOf(res, "route-not-allowed", snapshot.ObjectRef{Kind: snapshot.KindHTTPRoute, Namespace: "gw-shop", Name: "store"}); f != nil {
		t.Errorf("the listener admits gw-shop now, still: %s %v", f.Cause, f.Evidence)
	}
	t.Logf("route trace: %d requests; findings after the fix:\n  %s", len(rec.requests), keys(res))
}

// gatewayLabRefused: on a cluster without the Gateway API, `lab start` of a
// Gateway lab exits 2 naming the kinds the cluster does not serve and how to
// install them, and creates nothing.
func gatewayLabRefused(t *testing.T) {
	t.Helper()
	t.Setenv(labs.StateDirEnv, t.TempDir())
	out, errOut, code := hopscope(t, writeKubeconfig(t), "lab", "start", "18")
	if code != cli.ExitUsage || !strings.Contains(errOut, "lacks the Gateway API") || !strings.Contains(errOut, "HTTPRoute") ||
		!strings.Contains(errOut, labs.GatewayAPIInstallCmd) {
		t.Errorf("lab start 18 without the Gateway API: exit %d, want 2 naming what is missing\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if err := namespaceGone("hopscope-lab-18"); err != nil {
		t.Errorf("a refused start created its namespace (%v)", err)
	}
}
