package checks

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/source"
)

// frontLayerChecks are the checks of the ingress, service, endpoints and
// exposure layers.
func frontLayerChecks() []*diagnose.Check {
	var out []*diagnose.Check
	for _, layer := range [][]*diagnose.Check{ingressChecks, serviceChecks, endpointsChecks, exposureChecks} {
		out = append(out, layer...)
	}
	return out
}

// TestFrontLayersRealworld runs the front-layer checks over real manifests
// of healthy applications. They must raise no error, and the only warnings
// are the ones an SRE would agree with: guestbook's frontend is a NodePort,
// and guestbook-go's LoadBalancer sends traffic to pods without readiness
// probes. microservices-demo's LoadBalancer pods do have probes.
func TestFrontLayersRealworld(t *testing.T) {
	want := map[string][]string{
		"guestbook-all-in-one.yaml":     {"exposure-nodeport Service/default/frontend"},
		"guestbook-go.yaml":             {"exposure-lb-no-readiness-probe Service/default/guestbook"},
		"microservices-demo.yaml":       nil,
		"model-serving-tensorflow.yaml": nil,
	}
	files, err := filepath.Glob("/work/shared/realworld/*.yaml")
	if err != nil || len(files) == 0 {
		t.Skip("no realworld manifests in /work/shared/realworld")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s := loadCase(t, file)
			var got []string
			for _, c := range frontLayerChecks() {
				r := diagnose.NewReporter(c)
				c.Run(s, r)
				for _, f := range r.Findings() {
					assertComplete(t, f)
					if f.Severity == diagnose.SeverityError {
						t.Errorf("error %s on %s: %s %v", c.ID, f.Object, f.Cause, f.Evidence)
					}
					t.Logf("%s %s: %s | %s | %v | fix: %s", f.Severity, f.Key(), f.Symptom, f.Cause, f.Evidence, f.Fix)
					got = append(got, f.Key())
				}
			}
			sort.Strings(got)
			exp, known := want[filepath.Base(file)]
			if known && strings.Join(got, "\n") != strings.Join(exp, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
			}
		})
	}
}

// TestFrontLayersRealworldTogether loads every realworld file into one
// snapshot, as `hopscope diagnose -f dir/` does: the apps then share the
// default namespace and select each other's pods, which may earn warnings
// but never an error.
func TestFrontLayersRealworldTogether(t *testing.T) {
	files, err := filepath.Glob("/work/shared/realworld/*.yaml")
	if err != nil || len(files) == 0 {
		t.Skip("no realworld manifests in /work/shared/realworld")
	}
	s, err := source.Files{Paths: files}.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range frontLayerChecks() {
		if c == serviceSelectorSpansApps {
			// Two copies of guestbook in one namespace really do select
			// each other's redis pods, which run different images: that is
			// the error this check exists for.
			continue
		}
		r := diagnose.NewReporter(c)
		c.Run(s, r)
		for _, f := range r.Findings() {
			if f.Severity == diagnose.SeverityError {
				t.Errorf("error %s on %s: %s %v", c.ID, f.Object, f.Cause, f.Evidence)
			} else {
				t.Logf("%s %s: %s %v", f.Severity, f.Key(), f.Cause, f.Evidence)
			}
		}
	}
}
