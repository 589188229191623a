package checks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestZZFrontDebug(t *testing.T) {
	pat := os.Getenv("FRONT_DEBUG")
	if pat == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(pat)
	for _, file := range files {
		c := ByID(filepath.Base(filepath.Dir(file)))
		s := loadCase(t, file)
		r := diagnose.NewReporter(c)
		c.Run(s, r)
		t.Logf("==== %s", file)
		for _, f := range r.Findings() {
			t.Logf("[%s] %s\n  symptom: %s\n  cause: %s\n  fix: %s\n  verify: %s", f.Severity, f.Key(), f.Symptom, f.Cause, f.Fix, f.Verify)
			for _, e := range f.Evidence {
				t.Logf("  - %s", e)
			}
		}
		for _, n := range r.NotCheckedItems() {
			t.Logf("  not checked %s: %s", n.Object, n.Why)
		}
	}
}
