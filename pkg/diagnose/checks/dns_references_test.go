package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/internal/apiservertest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// referenceServer fakes the API server a scan scoped to web follows names
// into: namespace shop exists and holds the Services named, namespace
// billing is forbidden to the user, anything else is not found. It returns
// the server's URL and the requests it got.
func referenceServer(t *testing.T, shopServices ...string) (string, func() []string) {
	t.Helper()
	forbidden := func(w http.ResponseWriter, what string) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"%s is forbidden: User \"dev\" cannot access it"}`, what)
	}
	srv, requests := apiservertest.Recording(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/namespaces/shop":
			fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}`)
		case "/api/v1/namespaces/shop/services":
			var items []string
			for _, name := range shopServices {
				items = append(items, fmt.Sprintf(`{"metadata":{"name":%q,"namespace":"shop"},"spec":{"clusterIP":"10.96.7.1","ports":[{"port":8080}]}}`, name))
			}
			fmt.Fprintf(w, `{"kind":"ServiceList","apiVersion":"v1","metadata":{},"items":[%s]}`, strings.Join(items, ","))
		case "/api/v1/namespaces/billing":
			forbidden(w, `namespaces \"billing\"`)
		case "/api/v1/namespaces/billing/services":
			forbidden(w, "services")
		default:
			http.NotFound(w, r)
		}
	})
	return srv.URL, requests
}

// scopedScan is the scenario as a scan of namespace web left it: pods,
// Services and Endpoints listed in web only, Namespaces not listed.
func scopedScan(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	s := loadScenario(t, "scoped-reference.yaml", false)
	s.Live = true
	for _, k := range []string{snapshot.KindPod, snapshot.KindService, snapshot.KindEndpoints, snapshot.KindConfigMap} {
		s.Listed[k+"/web"] = true
	}
	s.Forbidden[snapshot.KindNamespace] = "forbidden: namespaces is forbidden"
	s.Index()
	return s
}

// TestScopedScanFollowsReferences: a scan of web whose env names
// orders.shop judges the name against shop's Services, read with one GET
// and one LIST per referenced namespace, and says billing was not checked
// because it is forbidden.
func TestScopedScanFollowsReferences(t *testing.T) {
	cases := []struct {
		name     string
		services []string
		wantErr  bool
	}{
		{name: "Service present", services: []string{"orders", "inventory"}},
		{name: "Service absent", services: []string{"order", "inventory"}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := scopedScan(t)
			refs := ReferencedNamespaces(s)
			if !slices.Equal(refs, []string{"billing", "shop"}) {
				t.Fatalf("referenced namespaces %v, want [billing shop]", refs)
			}
			url, requests := referenceServer(t, c.services...)
			live := source.NewLiveForConfig(&rest.Config{Host: url}, "web")
			if err := live.FollowReferences(context.Background(), s, refs); err != nil {
				t.Fatal(err)
			}
			got := requests()
			slices.Sort(got)
			// A Namespace the user may not get may still hold Services the
			// user may list: billing's LIST is tried, and refused.
			if want := []string{"GET /api/v1/namespaces/billing", "GET /api/v1/namespaces/billing/services", "GET /api/v1/namespaces/shop", "GET /api/v1/namespaces/shop/services"}; !slices.Equal(got, want) {
				t.Errorf("requests %q, want %q: one GET of each referenced Namespace and one LIST of its Services", got, want)
			}
			res, err := diagnose.Engine{Checks: All()}.Run(s, diagnose.Options{Namespaces: []string{"web"}})
			if err != nil {
				t.Fatal(err)
			}
			var errs []diagnose.Finding
			for _, f := range res.Findings {
				if f.Severity == diagnose.SeverityError {
					errs = append(errs, f)
				}
			}
			wantContains(t, "not checked", strings.Join(res.Summary.NotChecked, "\n"),
				"PAYMENTS_URL=http://payments.billing.svc.cluster.local/charge names Service payments in namespace billing, whose Services were not checked: forbidden")
			if !c.wantErr {
				if len(errs) > 0 {
					t.Fatalf("errors on a name whose Service exists: %+v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Check != dnsNameUnresolvable.ID || errs[0].Object.String() != "Pod/web/checkout-0" {
				t.Fatalf("errors %+v, want one dns-name-unresolvable on Pod/web/checkout-0", errs)
			}
			f := errs[0]
			wantContains(t, "cause", f.Cause, "no Service orders in namespace shop", "Service order exists there")
			wantEvidenceLine(t, f, `env ORDERS_ADDR="orders.shop:8080"`)
			wantEvidenceLine(t, f, "LIST services in namespace shop: inventory, order", `closest to "orders": order`)
		})
	}
}

// TestReferencedNamespacesLeavesKnownNamespacesAlone: a scan of every
// namespace, or names of the scanned namespace, follow nothing; with the
// Namespaces listed, a namespace they prove absent is not asked for.
func TestReferencedNamespacesLeavesKnownNamespacesAlone(t *testing.T) {
	s := scopedScan(t)
	s.Listed[snapshot.KindService] = true
	if refs := ReferencedNamespaces(s); len(refs) != 0 {
		t.Errorf("a scan that listed every Service follows %v", refs)
	}
	s = scopedScan(t)
	delete(s.Forbidden, snapshot.KindNamespace)
	s.Listed[snapshot.KindNamespace] = true
	for _, ns := range []string{"web", "shop", "kube-system"} {
		if err := s.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, snapshot.Origin{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Index()
	if refs := ReferencedNamespaces(s); !slices.Equal(refs, []string{"shop"}) {
		t.Errorf("with Namespaces listed, follows %v; want [shop] (billing does not exist)", refs)
	}
}
