package checks

// The registry, the table cases every check must pass
// (testdata/<check-id>/bad-*.yaml name the objects they break, good-*.yaml
// yield nothing), and the helpers the other tests share.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/internal/manifesttest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// TestRegistry fails on duplicate IDs, unknown layers or severities, and
// missing docs.
func TestRegistry(t *testing.T) {
	if err := diagnose.ValidateRegistry(All()); err != nil {
		t.Fatal(err)
	}
	if len(All()) == 0 {
		t.Fatal("no checks registered")
	}
}

// TestCheckCases runs every check against its own folder of cases:
// testdata/<check-id>/bad-*.yaml must yield findings of that check on exactly
// the objects named by its "# want: Kind/ns/name" lines, and good-*.yaml must
// yield none. Every registered check must have at least one case of each.
func TestCheckCases(t *testing.T) {
	for _, c := range All() {
		t.Run(c.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", c.ID)
			bad, _ := filepath.Glob(filepath.Join(dir, "bad-*.yaml"))
			good, _ := filepath.Glob(filepath.Join(dir, "good-*.yaml"))
			if len(bad) == 0 || len(good) == 0 {
				t.Fatalf("%s needs at least one bad-*.yaml and one good-*.yaml case", dir)
			}
			for _, file := range bad {
				t.Run(filepath.Base(file), func(t *testing.T) {
					want := manifesttest.WantLines(t, file)
					if len(want) == 0 {
						t.Fatalf("%s has no '# want: Kind/ns/name' line", file)
					}
					got := runCheckFile(t, c, file)
					var refs []string
					for _, f := range got {
						refs = append(refs, f.Object.String())
						assertComplete(t, f)
					}
					sort.Strings(refs)
					if strings.Join(refs, ",") != strings.Join(want, ",") {
						t.Errorf("findings on %v, want exactly %v", refs, want)
						for _, f := range got {
							t.Logf("  %s: %s | %v", f.Object, f.Cause, f.Evidence)
						}
					}
				})
			}
			for _, file := range good {
				t.Run(filepath.Base(file), func(t *testing.T) {
					for _, f := range runCheckFile(t, c, file) {
						t.Errorf("unexpected finding on %s: %s %v", f.Object, f.Cause, f.Evidence)
					}
				})
			}
		})
	}
}

// runCheckFile loads one case file and runs one check on it.
func runCheckFile(t *testing.T, c *diagnose.Check, file string) []diagnose.Finding {
	t.Helper()
	return runCheck(c, loadCase(t, file))
}

// loadCase loads one case file as manifests.
func loadCase(t *testing.T, file string) *snapshot.Snapshot {
	t.Helper()
	return decodeCase(t, file, false)
}

// decodeCase loads one case file; live marks it as read from a cluster
// that listed pods, Services, Deployments and Endpoints.
func decodeCase(t *testing.T, file string, live bool) *snapshot.Snapshot {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New()
	if err := source.DecodeBytes(s, file, data, ""); err != nil {
		t.Fatal(err)
	}
	if live {
		s.Live = true
		for _, k := range []string{snapshot.KindPod, snapshot.KindService, snapshot.KindDeployment, snapshot.KindEndpoints} {
			s.Listed[k] = true
		}
	}
	s.Index()
	return s
}

// assertComplete holds every finding to the project's bar: symptom, cause,
// evidence, fix and verify are all filled in.
func assertComplete(t *testing.T, f diagnose.Finding) {
	t.Helper()
	if f.Symptom == "" || f.Cause == "" || len(f.Evidence) == 0 || f.Fix == "" || f.Verify == "" {
		t.Errorf("finding %s on %s is incomplete: symptom=%q cause=%q evidence=%v fix=%q verify=%q",
			f.Check, f.Object, f.Symptom, f.Cause, f.Evidence, f.Fix, f.Verify)
	}
}

// runCheck runs one check over s.
func runCheck(c *diagnose.Check, s *snapshot.Snapshot) []diagnose.Finding {
	r := diagnose.NewReporter(c)
	c.Run(s, r)
	return r.Findings()
}

// soleFinding runs one check over s and returns its only finding; input
// names s in the failure message.
func soleFinding(t *testing.T, c *diagnose.Check, s *snapshot.Snapshot, input string) diagnose.Finding {
	t.Helper()
	got := runCheck(c, s)
	if len(got) != 1 {
		t.Fatalf("%s on %s: %d findings, want 1: %v", c.ID, input, len(got), got)
	}
	return got[0]
}

// onlyFinding runs one check on one case file and returns its only finding.
func onlyFinding(t *testing.T, c *diagnose.Check, file string) diagnose.Finding {
	t.Helper()
	return soleFinding(t, c, loadCase(t, file), file)
}

// findingOn runs one check on one case file and returns its finding on
// object ref (Kind/ns/name), failing the test when there is none.
func findingOn(t *testing.T, c *diagnose.Check, file, ref string) diagnose.Finding {
	t.Helper()
	for _, f := range runCheckFile(t, c, file) {
		if f.Object.String() == ref {
			return f
		}
	}
	t.Fatalf("%s on %s: no finding on %s", c.ID, file, ref)
	return diagnose.Finding{}
}

// wantContains fails the test unless text contains every one of wants.
func wantContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

// wantEvidenceLine fails unless some evidence line contains every part.
func wantEvidenceLine(t *testing.T, f diagnose.Finding, parts ...string) {
	t.Helper()
	for _, line := range f.Evidence {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return
		}
	}
	t.Errorf("no evidence line of %s contains %q:\n  %s", f.Key(), parts, strings.Join(f.Evidence, "\n  "))
}

// loadScenario loads testdata/scenarios/name, a case that is not one
// check's table case (see decodeCase for live).
func loadScenario(t *testing.T, name string, live bool) *snapshot.Snapshot {
	t.Helper()
	return decodeCase(t, filepath.Join("testdata", "scenarios", name), live)
}

// wantEqual fails the test unless got is want.
func wantEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s %v, want %v", what, got, want)
	}
}

// findingWant is what a test holds one finding to: check's finding on
// object in file, or its only finding there when object is "". A field
// left empty is not held.
type findingWant struct {
	check          *diagnose.Check
	file, object   string
	severity       diagnose.Severity
	symptom, cause []string   // each is in the symptom, the cause
	evidence       [][]string // each names the parts one evidence line holds
	fix, verify    string     // exactly
	fixHas         []string   // each is in the fix
}

// wantFinding finds the finding w describes, fails the test on every part
// of it that differs from w, and returns it for the checks w cannot say.
func wantFinding(t *testing.T, w findingWant) diagnose.Finding {
	t.Helper()
	var f diagnose.Finding
	if w.object == "" {
		f = onlyFinding(t, w.check, w.file)
	} else {
		f = findingOn(t, w.check, w.file, w.object)
	}
	if w.severity != "" {
		wantEqual(t, f.Object.String()+" severity", f.Severity, w.severity)
	}
	wantContains(t, "symptom", f.Symptom, w.symptom...)
	wantContains(t, "cause", f.Cause, w.cause...)
	for _, parts := range w.evidence {
		wantEvidenceLine(t, f, parts...)
	}
	if w.fix != "" {
		wantEqual(t, f.Object.String()+" fix", f.Fix, w.fix)
	}
	wantContains(t, "fix", f.Fix, w.fixHas...)
	if w.verify != "" {
		wantEqual(t, "verify", f.Verify, w.verify)
	}
	return f
}

// wantFindingPerObject holds check's finding on each object of file that
// parts names to severity and to an evidence line holding both part and
// that object's own part; it returns the findings by object.
func wantFindingPerObject(t *testing.T, c *diagnose.Check, file string, severity diagnose.Severity, part string, parts map[string]string) map[string]diagnose.Finding {
	t.Helper()
	found := map[string]diagnose.Finding{}
	for ref, own := range parts {
		f := findingOn(t, c, file, ref)
		wantEqual(t, ref+" severity", f.Severity, severity)
		wantEvidenceLine(t, f, part, own)
		found[ref] = f
	}
	return found
}

// wantNoLineWith fails the test on every line of lines that contains part;
// what says why such a line is wrong.
func wantNoLineWith(t *testing.T, what string, lines []string, part string) {
	t.Helper()
	for _, line := range lines {
		if strings.Contains(line, part) {
			t.Errorf("%s: %s", what, line)
		}
	}
}

// podsNamed returns the pods of s whose names start with prefix, for a
// test to change before it runs a check.
func podsNamed(s *snapshot.Snapshot, prefix string) []*corev1.Pod {
	var pods []*corev1.Pod
	for _, p := range s.Pods {
		if strings.HasPrefix(p.Name, prefix) {
			pods = append(pods, p)
		}
	}
	return pods
}
