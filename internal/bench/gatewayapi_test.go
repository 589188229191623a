package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/source"
)

// TestSyntheticGatewayAPIIsHealthy: the benchmark dump's Gateway API
// objects add paths, not findings. Every route's path through the shared
// Gateway is traced and healthy, cross-namespace routes included, and the
// only findings are the apps the generator breaks on purpose.
func TestSyntheticGatewayAPIIsHealthy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(f, synth.Config{Pods: 4000, Seed: 1}, synth.YAML); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := source.Files{Paths: []string{path}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.HTTPRoutes) == 0 || len(s.Gateways) != 1 || len(s.ReferenceGrants) == 0 {
		t.Fatalf("%d HTTPRoutes, %d Gateways, %d ReferenceGrants loaded", len(s.HTTPRoutes), len(s.Gateways), len(s.ReferenceGrants))
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string]bool{"container-crashloop": true, "pod-not-ready": true, "service-selector-matches-no-pods": true}
	for _, f := range res.Findings {
		if !broken[f.Check] {
			t.Errorf("finding %s on %s: %s", f.Check, f.Object, f.Cause)
		}
	}
	routed, crossNS := 0, 0
	for _, tr := range res.Traces {
		if !strings.HasPrefix(tr.Entry, "HTTPRoute/") {
			continue
		}
		routed++
		if tr.Status != diagnose.TraceOK {
			t.Errorf("path %s is %s", tr.Entry, tr.Status)
		}
		routeNS := map[string]string{}
		for _, h := range tr.Hops {
			routeNS[h.Object.Kind] = h.Object.Namespace
		}
		if routeNS["HTTPRoute"] != routeNS["Service"] {
			crossNS++
		}
	}
	if routed < len(s.HTTPRoutes) || crossNS == 0 {
		t.Errorf("%d traced paths through the Gateway (%d cross-namespace) for %d HTTPRoutes", routed, crossNS, len(s.HTTPRoutes))
	}
}
