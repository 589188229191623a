// Package golden keeps a committed file that a test generates (a golden
// output, a generated document) equal to what the code produces now. Run
// the test with -update to rewrite the file instead, then review the diff
// before committing it.
//
//	golden.Check(t, "../../docs/labs.md", b.Bytes(), "go test ./pkg/labs -run TestDocsUpToDate -update")
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden and generated files from the current output")

// Updating reports whether this run was asked (-update) to rewrite the
// generated files instead of comparing them, for a test that writes a file
// Check cannot compare byte for byte (a screenshot) or removes a stale one.
func Updating() bool { return *update }

// Check fails t when the file at path differs from got; with -update it
// writes got there instead, creating the directory. regenerate is the
// command that rewrites the file, for the failure message.
func Check(t testing.TB, path string, got []byte, regenerate string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with `%s`)", err, regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run `%s` and review the diff", path, regenerate)
	}
}
