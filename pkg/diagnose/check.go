// A check is one concern in the registry (package checks): it reads the
// snapshot and reports findings through a Reporter, which fills in what every
// finding of that check shares.

package diagnose

import (
	"fmt"
	"sort"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Check is one concern, registered once in checks.All. Its ID is a stable
// contract (SARIF rule IDs, --skip flags, docs/checks.md).
type Check struct {
	ID       string
	Layer    Layer
	Severity Severity // default severity; a finding may lower or raise it
	Doc      string   // one line, shown by `hopscope checks`
	// Symptom marks checks whose finding says "this layer does not serve"
	// without saying why when the reason can lie further down (no ready
	// endpoint, pod not ready). When the walk from the finding's object
	// reaches a broken hop further down, the finding is a consequence: the
	// hop is marked affected and the finding leaves the top-level list.
	Symptom bool
	// Run reports findings for the whole snapshot. It must only read s.
	Run func(s *snapshot.Snapshot, r *Reporter)
}

// NotChecked is a hop or object the check could not judge, and why.
type NotChecked struct {
	Object snapshot.ObjectRef
	Layer  Layer
	Why    string
}

// Reporter collects what one check run finds; it fills in the check's ID,
// layer and default severity so that checks only write the evidence.
type Reporter struct {
	check      *Check
	findings   []Finding
	notChecked []NotChecked
}

// NewReporter returns a Reporter for c; the engine and check tests use it.
func NewReporter(c *Check) *Reporter { return &Reporter{check: c} }

// Report adds a finding. Empty Layer and Severity take the check's defaults.
func (r *Reporter) Report(f Finding) {
	f.Check = r.check.ID
	if f.Layer == "" {
		f.Layer = r.check.Layer
	}
	if f.Severity == "" {
		f.Severity = r.check.Severity
	}
	if f.Evidence == nil {
		f.Evidence = []string{}
	}
	r.findings = append(r.findings, f)
}

// NotChecked records that obj could not be judged at this check's layer.
func (r *Reporter) NotChecked(obj snapshot.ObjectRef, why string) {
	r.notChecked = append(r.notChecked, NotChecked{Object: obj, Layer: r.check.Layer, Why: why})
}

// Findings returns what was reported, in report order.
func (r *Reporter) Findings() []Finding { return r.findings }

// NotCheckedItems returns what could not be judged.
func (r *Reporter) NotCheckedItems() []NotChecked { return r.notChecked }

// ValidateRegistry rejects duplicate or malformed check definitions; the
// registry test calls it so that a bad entry fails the build's tests, not a
// user's run.
func ValidateRegistry(checks []*Check) error {
	seen := map[string]bool{}
	for _, c := range checks {
		switch {
		case c.ID == "" || c.Run == nil || c.Doc == "":
			return fmt.Errorf("check %q: ID, Doc and Run are required", c.ID)
		case seen[c.ID]:
			return fmt.Errorf("check %q registered twice", c.ID)
		case c.Layer.Depth() == len(Layers):
			return fmt.Errorf("check %q: unknown layer %q", c.ID, c.Layer)
		case c.Severity.Rank() == 0:
			return fmt.Errorf("check %q: unknown severity %q", c.ID, c.Severity)
		}
		seen[c.ID] = true
	}
	return nil
}

// SortChecks orders checks by layer, then ID, as `hopscope checks` lists them.
func SortChecks(checks []*Check) []*Check {
	out := append([]*Check(nil), checks...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Layer.Depth() != out[j].Layer.Depth() {
			return out[i].Layer.Depth() < out[j].Layer.Depth()
		}
		return out[i].ID < out[j].ID
	})
	return out
}
