// Package testbinary finds the external programs some tests drive (helm,
// promtool, prometheus, chromium, tmux). On a developer's machine a missing
// program skips the test; where the environment variable that requires it
// is 1, as CI sets it, a missing program fails the test, so CI cannot pass
// by skipping what it was meant to run.
//
//	helm := testbinary.Find(t, "HOPSCOPE_REQUIRE_HELM", "go install helm.sh/helm/v4/cmd/helm@v4.3.2", "helm")
package testbinary

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Find returns the path of the first of names found on PATH. When none is
// there it fails the test if the environment variable require is 1 and
// skips it otherwise; install says how to get the program.
func Find(t testing.TB, require, install string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing := strings.Join(names, " or ")
	if os.Getenv(require) == "1" {
		t.Fatalf("%s is not installed and %s=1 (%s)", missing, require, install)
	}
	t.Skipf("%s is not installed (%s); set %s=1 to fail instead", missing, install, require)
	return ""
}
