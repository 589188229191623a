package checks

import (
	"strings"
	"testing"
)

// In a namespace with many Services the route's evidence names the closest
// ones first and counts the rest: the renamed Service is what the reader
// needs, not the whole namespace.
func TestRouteBackendEvidenceIsBounded(t *testing.T) {
	f := onlyFinding(t, routeBackendServiceMissing, "testdata/route-backend-service-missing/bad-crowded-namespace.yaml")
	ev := strings.Join(f.Evidence, "\n")
	wantContains(t, "evidence", ev, "Services in namespace shop: store-v2, ", " and 7 more")
	if strings.Contains(ev, "shipping") && strings.Contains(ev, "accounts") {
		t.Errorf("evidence lists every Service of the namespace: %q", ev)
	}
}
