package diagnose_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/source"
)

// The capture corpus (testdata/captures, see SOURCES.md) holds cluster
// states that other people captured from real clusters and committed to
// public repositories, and the fixtures of peer tools whose own tests assert
// a fault. expected.yaml says, per capture, what hopscope must do: read it
// without a wrong rejection, raise no error on a healthy one, and name the
// faults its owner documented first.

const capturesDir = "../../testdata/captures"

// captureFinding is one finding named in expected.yaml. A nil Check is a
// fault that no check covers yet: it is counted on the scoreboard, not
// failed, so the file stays an honest list of what is missing.
type captureFinding struct {
	Check    *string `json:"check"`
	Object   string  `json:"object"`
	Severity string  `json:"severity"`
	About    string  `json:"about"`
	Why      string  `json:"why"`
}

func (f captureFinding) String() string {
	c := "(no check yet)"
	if f.Check != nil {
		c = *f.Check
	}
	return c + " " + f.Object
}

type captureExpect struct {
	Exit         any              `json:"exit"`
	ReadsAtLeast int              `json:"readsAtLeast"`
	RootCauses   []captureFinding `json:"rootCauses"`
	Findings     []captureFinding `json:"findings"`
	MustNotFire  []captureFinding `json:"mustNotFire"`
	WorkingPaths []string         `json:"workingPaths"`
}

type captureEntry struct {
	Path       string         `json:"path"`
	Layout     string         `json:"layout"`
	Health     string         `json:"health"`
	Documented string         `json:"documented"`
	Expect     captureExpect  `json:"expect"`
	Current    map[string]any `json:"current"`
}

type captureFile struct {
	Version    int            `json:"version"`
	MeasuredAt string         `json:"measuredAt"`
	Captures   []captureEntry `json:"captures"`
}

// exits lists the exit codes expect.exit allows.
func (e captureExpect) exits() []int {
	switch v := e.Exit.(type) {
	case float64:
		return []int{int(v)}
	case []any:
		var out []int
		for _, x := range v {
			if f, ok := x.(float64); ok {
				out = append(out, int(f))
			}
		}
		return out
	}
	return nil
}

// matches reports whether a reported finding is the one expected: same
// check and object, and the expected severity (error unless stated).
func (f captureFinding) matches(got diagnose.Finding) bool {
	sev := f.Severity
	if sev == "" {
		sev = string(diagnose.SeverityError)
	}
	return f.Check != nil && got.Check == *f.Check && objectName(got) == f.Object && string(got.Severity) == sev
}

// objectName spells a finding's object as expected.yaml does:
// Kind/namespace/name, with an empty namespace for cluster-scoped kinds.
func objectName(f diagnose.Finding) string {
	return fmt.Sprintf("%s/%s/%s", f.Object.Kind, f.Object.Namespace, f.Object.Name)
}

func TestCaptures(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(capturesDir, "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file captureFile
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatalf("expected.yaml: %v", err)
	}
	if len(file.Captures) < 30 {
		t.Fatalf("expected.yaml lists %d captures, want the whole corpus", len(file.Captures))
	}
	right, uncovered := 0, 0
	var misses, missing []string
	for _, c := range file.Captures {
		for _, f := range append(slices.Clone(c.Expect.RootCauses), c.Expect.Findings...) {
			if f.Check == nil {
				uncovered++
				missing = append(missing, c.Path+": "+f.Object+": "+f.About)
			}
		}
		ok := t.Run(strings.ReplaceAll(c.Path, "/", "_"), func(t *testing.T) {
			checkCapture(t, c)
		})
		if ok {
			right++
		} else {
			misses = append(misses, c.Path)
		}
	}
	t.Logf("scoreboard: %d/%d captures read and judged as their owners document", right, len(file.Captures))
	for _, m := range misses {
		t.Logf("  miss: %s", m)
	}
	t.Logf("%d documented faults no check covers yet:", uncovered)
	for _, m := range missing {
		t.Logf("  %s", m)
	}
}

func checkCapture(t *testing.T, c captureEntry) {
	if _, err := os.Stat(filepath.Join(capturesDir, c.Path)); err != nil {
		t.Fatalf("capture %s: %v", c.Path, err)
	}
	snap, err := source.Files{Paths: []string{filepath.Join(capturesDir, c.Path)}}.Load()
	exit := 0
	var res *diagnose.Result
	if err != nil {
		exit = 2
	} else if res, err = (diagnose.Engine{Checks: checks.All()}).Run(snap, diagnose.Options{}); err != nil {
		exit = 2
	} else if res.MaxSeverity() == diagnose.SeverityError {
		exit = 1
	}
	if want := c.Expect.exits(); !slices.Contains(want, exit) {
		t.Errorf("exit %d, want one of %v (err: %v)", exit, want, err)
	}
	if res == nil {
		return
	}
	if res.Summary.Objects < c.Expect.ReadsAtLeast {
		t.Errorf("read %d objects, want at least %d: the layout was read wrongly", res.Summary.Objects, c.Expect.ReadsAtLeast)
	}
	var errs []string
	for _, f := range res.Findings {
		if f.Severity == diagnose.SeverityError {
			errs = append(errs, f.Check+" "+objectName(f))
		}
	}
	if c.Health == "healthy" && len(errs) > 0 {
		t.Errorf("healthy capture got errors: %v", errs)
	}
	found := func(want captureFinding) bool {
		return slices.ContainsFunc(res.Findings, want.matches)
	}
	if covered := coveredOnly(c.Expect.RootCauses); len(covered) > 0 {
		first := firstError(res)
		if first == nil || !slices.ContainsFunc(covered, func(w captureFinding) bool { return w.matches(*first) }) {
			t.Errorf("first root cause %v, want one of %v (errors: %v)", first, covered, errs)
		}
	}
	for _, w := range coveredOnly(c.Expect.Findings) {
		if !found(w) {
			t.Errorf("missing finding %s (%s)", w, severityOr(w.Severity))
		}
	}
	for _, w := range c.Expect.MustNotFire {
		if found(w) {
			t.Errorf("false finding %s: %s", w, w.Why)
		}
	}
	for _, entry := range c.Expect.WorkingPaths {
		for _, tr := range res.Traces {
			if tr.Entry == entry && tr.Status == diagnose.TraceBroken {
				t.Errorf("path %s is drawn broken, but it works", entry)
			}
		}
	}
}

func coveredOnly(in []captureFinding) []captureFinding {
	var out []captureFinding
	for _, f := range in {
		if f.Check != nil {
			out = append(out, f)
		}
	}
	return out
}

// firstError is the first error the report ranks: what a reader sees first.
func firstError(res *diagnose.Result) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].Severity == diagnose.SeverityError {
			return &res.Findings[i]
		}
	}
	return nil
}

func severityOr(s string) string {
	if s == "" {
		return "error"
	}
	return s
}
