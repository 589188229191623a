package incidentgen

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hopscope/hopscope/internal/golden"

	"github.com/hopscope/hopscope/pkg/source"
)

const (
	corpusDir        = "../../testdata/incidents"
	regenerateCorpus = "go test ./internal/incidentgen -update"
)

// TestCorpusUpToDate keeps testdata/incidents in step with the corpus: each
// incident's state.yaml and expected.yaml, and the README, must be exactly
// what the generator produces (run with -update to rewrite them).
func TestCorpusUpToDate(t *testing.T) {
	incidents := Corpus()
	seen := map[string]bool{}
	for i := range incidents {
		in := &incidents[i]
		if seen[in.Name] {
			t.Fatalf("incident %s defined twice", in.Name)
		}
		seen[in.Name] = true
		state, err := in.State()
		if err != nil {
			t.Fatal(err)
		}
		exp, err := in.ExpectedYAML()
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(corpusDir, in.Name)
		golden.Check(t, filepath.Join(dir, "state.yaml"), state, regenerateCorpus)
		golden.Check(t, filepath.Join(dir, "expected.yaml"), exp, regenerateCorpus)
	}
	golden.Check(t, filepath.Join(corpusDir, "README.md"), README(incidents), regenerateCorpus)
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !seen[e.Name()] {
			if golden.Updating() {
				if err := os.RemoveAll(filepath.Join(corpusDir, e.Name())); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s is not in the corpus (run with -update to remove it)", e.Name())
		}
	}
}

// TestStatesLoad checks that every state decodes with hopscope's own loader
// as a whole-cluster dump (or, for a report that showed only some kinds, as
// exactly those kinds), and that the incident metadata is complete.
func TestStatesLoad(t *testing.T) {
	url := regexp.MustCompile(`^https://\S+$`)
	for _, in := range Corpus() {
		t.Run(in.Name, func(t *testing.T) {
			state, err := in.State()
			if err != nil {
				t.Fatal(err)
			}
			if in.Check == "" || in.Object == "" || in.Layer == "" || in.Summary == "" || in.Story == "" || !url.MatchString(in.Source) {
				t.Errorf("incomplete metadata: %+v", in)
			}
			s, err := source.Files{Paths: []string{"-"}, Stdin: bytes.NewReader(state)}.Load()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case in.Shared == nil && !s.ClusterDump():
				t.Errorf("state is not recognised as a whole-cluster dump")
			case in.Shared != nil && (s.ClusterDump() || len(s.Pods) > 0 || len(s.Nodes) > 0):
				t.Errorf("state of the kinds %v holds pods or nodes", in.Shared)
			}
			if s.SkippedTotal() != 0 {
				t.Errorf("loader skipped %v", s.Skipped)
			}
		})
	}
}
