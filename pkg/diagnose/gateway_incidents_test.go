package diagnose_test

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

// The Gateway API incident corpus (testdata/incidents-gateway, see its
// README) holds Gateway API incidents modelled on public reports. Each
// incident's state is loaded on top of the shared healthy background and is
// held to the same bar as the main corpus (checkIncident).

const gatewayIncidentsDir = "../../testdata/incidents-gateway"

// minGatewayIncidents is the size the corpus must keep: one incident per
// Gateway API check, and one whose fault lies below a healthy route.
const minGatewayIncidents = 19

func TestGatewayIncidents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(gatewayIncidentsDir, "*", "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < minGatewayIncidents {
		t.Errorf("the Gateway API corpus has %d incidents, want at least %d", len(files), minGatewayIncidents)
	}
	background := filepath.Join(gatewayIncidentsDir, "background.yaml")
	runs := make([]incidentRun, len(files))
	covered := map[string]bool{}
	for i, f := range files {
		runs[i] = loadIncident(f, background)
		covered[runs[i].want.Check] = true
	}
	for _, c := range checks.All() {
		if (c.Layer == diagnose.LayerGateway || c.Layer == diagnose.LayerRoute) && !covered[c.ID] {
			t.Errorf("Gateway API check %s has no incident in %s", c.ID, gatewayIncidentsDir)
		}
	}
	scoreIncidents(t, "Gateway API incidents", runs, true)
}

// TestGatewayBackgroundIsHealthy: the background alone yields no error, so
// every error in an incident comes from the incident.
func TestGatewayBackgroundIsHealthy(t *testing.T) {
	res := diagnosetest.Files(t, filepath.Join(gatewayIncidentsDir, "background.yaml"))
	for _, f := range res.Findings {
		if f.Severity == diagnose.SeverityError {
			t.Errorf("error on the healthy background: %s on %s: %s %v", f.Check, f.Object, f.Cause, f.Evidence)
		}
	}
	gatewayPaths := 0
	for _, tr := range res.Traces {
		if len(tr.Hops) > 0 && tr.Hops[0].Layer == diagnose.LayerGateway {
			gatewayPaths++
			if tr.Status != diagnose.TraceOK {
				t.Errorf("background path %s is %s", tr.Entry, tr.Status)
			}
		}
	}
	if gatewayPaths == 0 {
		t.Error("the background has no Gateway API path")
	}
}
