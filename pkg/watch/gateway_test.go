package watch

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// TestGatewayAPIWatchedWhenServed: a server that serves the Gateway API
// gets one informer per served kind; the routes are walked, and a deleted
// route leaves the metrics.
func TestGatewayAPIWatchedWhenServed(t *testing.T) {
	cl, _ := syntheticClients(t, 300, 3)
	w, srv := start(t, cl)
	var kinds []string
	for _, k := range w.kinds {
		if k.dynamic {
			kinds = append(kinds, k.kind)
		}
	}
	if want := len(gatewayResources); len(kinds) != want {
		t.Fatalf("watched Gateway API kinds %v, want the %d served", kinds, want)
	}
	body := scrape(t, srv)
	for _, kind := range kinds {
		if got := seriesWith(body, MetricKindListed, `kind="`+kind+`"`); len(got) != 1 || !strings.HasSuffix(got[0], " 1") {
			t.Errorf("%s not listed: %q", kind, got)
		}
	}
	if got := seriesWith(body, MetricPaths, `entry_kind="Gateway"`); len(got) == 0 {
		t.Errorf("no path enters through the Gateway:\n%s", strings.Join(seriesWith(body, MetricPaths), "\n"))
	}

	gvr := schema.GroupVersionResource{Group: snapshot.GatewayGroup, Version: "v1", Resource: "httproutes"}
	routes, err := cl.Dynamic.Resource(gvr).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(routes.Items) == 0 {
		t.Fatalf("no HTTPRoute to delete: %v", err)
	}
	before := fmt.Sprintf(`%s{kind="HTTPRoute"} %d`, MetricObjects, len(routes.Items))
	if !strings.Contains(body, before) {
		t.Fatalf("want %s in\n%s", before, strings.Join(seriesWith(body, MetricObjects), "\n"))
	}
	r := routes.Items[0]
	if err := cl.Dynamic.Resource(gvr).Namespace(r.GetNamespace()).Delete(context.Background(), r.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	after := fmt.Sprintf(`%s{kind="HTTPRoute"} %d`, MetricObjects, len(routes.Items)-1)
	waitFor(t, after, func() bool { return strings.Contains(scrape(t, srv), after) })
}

// TestGatewayAPINotWatchedWhenNotServed: without the CRDs no Gateway API
// informer exists, and the diagnosis notes the API as not installed.
func TestGatewayAPINotWatchedWhenNotServed(t *testing.T) {
	cl, _ := fakeClients(apiService("api-v1"), apiPod())
	w, srv := start(t, cl)
	for _, k := range w.kinds {
		if k.dynamic {
			t.Errorf("%s watched on a server without the Gateway API", k.kind)
		}
	}
	if got := seriesWith(scrape(t, srv), MetricKindListed, `kind="HTTPRoute"`); len(got) != 0 {
		t.Errorf("HTTPRoute reported without being served: %q", got)
	}
	s, err := w.snapshotOf(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.NotServed[snapshot.GatewayGroup] != source.GatewayAPINotInstalled {
		t.Errorf("NotServed = %v, want the Gateway API noted as not installed", s.NotServed)
	}
}

// TestGatewayResourcesNameEveryKind: the RBAC list names a resource for
// every Gateway API kind the snapshot models.
func TestGatewayResourcesNameEveryKind(t *testing.T) {
	got := GatewayResources()
	if len(got) != len(snapshot.GatewayAPIKinds) {
		t.Fatalf("%d resources for %d kinds", len(got), len(snapshot.GatewayAPIKinds))
	}
	for i, r := range got {
		if r.Resource == "" {
			t.Errorf("no resource for %s", snapshot.GatewayAPIKinds[i])
		}
	}
	for _, served := range gatewayResources {
		found := false
		for _, r := range got {
			found = found || r.Resource == served.Name
		}
		if !found {
			t.Errorf("%s (%s) missing from GatewayResources", served.Kind, served.Name)
		}
	}
}
