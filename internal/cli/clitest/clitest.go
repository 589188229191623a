// Package clitest builds the hopscope binary for tests that run it the way
// a user does: in a real terminal (tmux), or installed as a kubectl plugin.
// Tests of the commands' logic build Options and call Run instead.
//
//	bin := clitest.Build(t, "kubectl-hopscope")
package clitest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Build compiles cmd/hopscope into a temporary directory under name and
// returns its path. It builds from hopscope's own module directory, with
// the root go.mod, so that a test in the nested testenv module runs the
// binary users install rather than one linked against testenv's
// dependency versions.
func Build(t testing.TB, name string) string {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hopscope/hopscope").Output()
	if err != nil {
		t.Fatalf("find the hopscope module: %v", err)
	}
	bin := filepath.Join(t.TempDir(), name)
	build := exec.Command("go", "build", "-o", bin, "./cmd/hopscope")
	build.Dir = strings.TrimSpace(string(dir))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}
