package checks

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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
					want := wantLines(t, file)
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
	s := loadCase(t, file)
	r := diagnose.NewReporter(c)
	c.Run(s, r)
	return r.Findings()
}

func loadCase(t *testing.T, file string) *snapshot.Snapshot {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New()
	if err := source.DecodeBytes(s, file, data, ""); err != nil {
		t.Fatal(err)
	}
	s.Index()
	return s
}

func wantLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "# want:"); ok {
			want = append(want, strings.TrimSpace(rest))
		}
	}
	sort.Strings(want)
	return want
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
