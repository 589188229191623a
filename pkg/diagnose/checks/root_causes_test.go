package checks

// The seed's labs through the engine: the routing checks' findings line up
// with the hops, so the root cause is the one the article names.

import (
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestRoutingRootCauses walks the seed's labs through the engine with
// the routing checks and holds each path to the root cause the article
// names, so that the checks' objects and layers line up with the hops.
func TestRoutingRootCauses(t *testing.T) {
	cases := []struct {
		file, entry, root string
		// absent is a finding that must not be reported on its own: the
		// engine demotes it as a consequence of the root cause.
		absent string
	}{
		{"testdata/service-selector-matches-no-pods/bad-lab1.yaml", "Service/default/api-svc",
			"service-selector-matches-no-pods Service/default/api-svc", ""},
		{"testdata/ingress-backend-service-missing/bad-lab4.yaml", "Ingress/default/app-ingress */app",
			"ingress-backend-service-missing Ingress/default/app-ingress", ""},
		{"testdata/service-target-port-missing/bad-lab3-wrong-target-port.yaml", "Service/default/lb-svc",
			"service-target-port-missing Service/default/lb-svc", ""},
		{"testdata/endpoints-no-ready-address/bad-named-port-dump.yaml", "Service/shop/cart",
			"service-target-port-missing Service/shop/cart", "endpoints-no-ready-address Endpoints/shop/cart"},
		{"testdata/endpoints-no-ready-address/bad-not-ready-dump.yaml", "Service/default/api-svc",
			"endpoints-no-ready-address Endpoints/default/api-svc", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			s := loadCase(t, c.file)
			res, err := diagnose.Engine{Checks: routingChecks()}.Run(s, diagnose.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, tr := range res.Traces {
				if tr.Entry != c.entry {
					continue
				}
				found = true
				if tr.RootCause != c.root {
					t.Errorf("root cause %q, want %q; hops: %+v", tr.RootCause, c.root, tr.Hops)
				}
			}
			if !found {
				var entries []string
				for _, tr := range res.Traces {
					entries = append(entries, tr.Entry)
				}
				t.Fatalf("no trace %q among %v", c.entry, entries)
			}
			if c.absent == "" {
				return
			}
			for _, f := range res.Findings {
				if f.Key() == c.absent {
					t.Errorf("%s is reported although %s explains it", c.absent, c.root)
				}
			}
		})
	}
}
