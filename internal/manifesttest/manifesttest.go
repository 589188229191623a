// Package manifesttest reads the expectations a testdata manifest carries
// beside the objects it breaks: one `# want: ...` comment line per expected
// result, so that a reader sees the broken manifest and the expected
// finding or advice in one file.
//
//	# want: nodeport-in-production Service/shop/web
//	apiVersion: v1
//	kind: Service
//
// What follows `# want:` is the test's to define: the advice tests name a
// rule and an object, the check tests an object. Snapshot loads the
// manifests a test writes inline, as hopscope loads a file.
package manifesttest

import (
	"bufio"
	"bytes"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// WantLines returns the text after `# want:` of every such line in file,
// trimmed and sorted, so that a test compares it with its sorted results.
func WantLines(t testing.TB, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "# want:"); ok {
			want = append(want, strings.TrimSpace(rest))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	sort.Strings(want)
	return want
}

// Snapshot decodes the YAML documents of doc, named name in errors, into an
// indexed snapshot, failing t on any error.
func Snapshot(t testing.TB, name string, doc []byte) *snapshot.Snapshot {
	t.Helper()
	s := snapshot.New()
	if err := source.DecodeBytes(s, name, doc, ""); err != nil {
		t.Fatal(err)
	}
	s.Index()
	return s
}
