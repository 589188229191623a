package diagnose_test

import (
	"path/filepath"
	"testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// The real-world Gateway API setups (testdata/realworld-gateway, see its
// SOURCES.md) are the examples the Gateway API project and Envoy Gateway
// publish. Read as manifests they must yield no error and no warning, and
// every one must be walked as a Gateway API path.

const realworldGatewayDir = "../../testdata/realworld-gateway"

func TestRealWorldGatewaySetupsStayQuiet(t *testing.T) {
	for _, file := range yamlFiles(t, realworldGatewayDir, 10, "real-world Gateway API setups, want 10") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res := diagnosetest.Files(t, file)
			for _, f := range res.Findings {
				if f.Severity == diagnose.SeverityError || f.Severity == diagnose.SeverityWarning {
					t.Errorf("%s %s on %s: %s %v", f.Severity, f.Check, f.Object, f.Cause, f.Evidence)
				}
			}
			gatewayPaths := 0
			for _, tr := range res.Traces {
				if len(tr.Hops) > 0 && tr.Hops[0].Layer == diagnose.LayerGateway {
					gatewayPaths++
				}
				if tr.Status == diagnose.TraceBroken || tr.Status == diagnose.TraceDegraded {
					t.Errorf("path %s is %s", tr.Entry, tr.Status)
				}
			}
			if gatewayPaths == 0 {
				t.Error("no Gateway API path was walked")
			}
		})
	}
}
