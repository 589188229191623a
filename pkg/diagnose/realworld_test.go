package diagnose_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/incidentgen"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// The real-world apps (testdata/realworld) are real public manifests of
// healthy apps: neither the manifests nor the cluster state they produce once
// running may yield an error, and every warning must be listed, with why it is
// fair, in testdata/realworld/README.md.

const realworldDir = "../../testdata/realworld"

// yamlFiles returns the YAML files of dir and fails the test when there
// are fewer than atLeast: a corpus that lost files must not pass by
// judging less. want says what the corpus should hold.
func yamlFiles(t *testing.T, dir string, atLeast int, want string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) < atLeast {
		t.Fatalf("found %d %s", len(files), want)
	}
	return files
}

// realWorldFindings diagnoses every real-world file in both forms and
// returns the non-error findings as README rows "file | form | check |
// object", failing on any error.
func realWorldFindings(t *testing.T) map[string]bool {
	t.Helper()
	rows := map[string]bool{}
	for _, file := range yamlFiles(t, realworldDir, 7, "real-world manifests, want the 4 shared ones and 3 more") {
		name := filepath.Base(file)
		manifests, err := source.Files{Paths: []string{file}}.Load()
		if err != nil {
			t.Fatal(err)
		}
		state, err := incidentgen.FromManifests(manifests).Render("healthy cluster state for " + name)
		if err != nil {
			t.Fatal(err)
		}
		dump := snapshot.New()
		if err := source.DecodeBytes(dump, name+" (running)", state, ""); err != nil {
			t.Fatalf("%s: the generated state does not load: %v", name, err)
		}
		dump.Index()
		if !dump.ClusterDump() {
			t.Fatalf("%s: the generated state is not a whole-cluster dump", name)
		}
		for form, s := range map[string]*snapshot.Snapshot{"manifests": manifests, "state": dump} {
			res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				switch f.Severity {
				case diagnose.SeverityError:
					t.Errorf("%s (%s): error %s on %s: %s %v", name, form, f.Check, f.Object, f.Cause, f.Evidence)
				case diagnose.SeverityWarning:
					// The microservices demo, a realistic multi-service app
					// with probes everywhere, deserves no warning as written.
					if name == "microservices-demo.yaml" && form == "manifests" {
						t.Errorf("warning on a healthy app: %s on %s: %s", f.Check, f.Object, f.Cause)
					}
					rows[strings.Join([]string{name, form, f.Check, f.Object.String()}, " | ")] = true
				}
			}
		}
	}
	return rows
}

// TestRealWorldAppsStayQuiet checks both forms of every real-world app and
// that testdata/realworld/README.md lists exactly the warnings they get.
func TestRealWorldAppsStayQuiet(t *testing.T) {
	got := realWorldFindings(t)
	data, err := os.ReadFile(filepath.Join(realworldDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 5 || !strings.HasSuffix(strings.TrimSpace(cells[0]), ".yaml") {
			continue
		}
		var key []string
		for _, c := range cells[:4] {
			key = append(key, strings.Trim(strings.TrimSpace(c), "`"))
		}
		listed[strings.Join(key, " | ")] = true
	}
	for _, row := range slices.Sorted(maps.Keys(got)) {
		if !listed[row] {
			t.Errorf("warning not explained in testdata/realworld/README.md: | %s | (why it is fair) |", row)
		}
	}
	for _, row := range slices.Sorted(maps.Keys(listed)) {
		if !got[row] {
			t.Errorf("testdata/realworld/README.md lists a warning that no longer occurs: %s", row)
		}
	}
	if !t.Failed() {
		t.Logf("%d warnings on real-world apps, all explained", len(got))
	}
}
