package testenv_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/cli"
	"github.com/hopscope/hopscope/internal/testbinary"
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// hopscope runs the command tree as the binary would, against the local
// cluster's kubeconfig.
func hopscope(t *testing.T, kubeconfig string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root := cli.NewRootCommand(streams)
	root.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
	err := root.Execute()
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), cli.ExitCode(err)
}

// writeKubeconfig writes the local cluster's admin kubeconfig into the
// test's temporary directory and returns its path, for commands run as a
// user runs them.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.WriteKubeconfig(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// kubectlBinary finds the machine's kubectl for the tests that run it as a
// user does, or skips (fails when HOPSCOPE_REQUIRE_KUBECTL=1).
func kubectlBinary(t *testing.T) string {
	t.Helper()
	return testbinary.Find(t, "HOPSCOPE_REQUIRE_KUBECTL", "https://kubernetes.io/docs/tasks/tools/", "kubectl")
}

// pasteCommands runs the fix and verify commands of every finding in res
// through a shell and the machine's kubectl against the local cluster, as an
// on-call engineer pastes them: options first, `--`, then the object's name
// must reach the API server as that object. Read-only commands (get,
// describe) run as printed; commands that change the cluster run with
// --dry-run=server, so the API server validates and admits the change (a
// JSON patch's test operations included) without making it. Commands that
// need a terminal, a kubelet or an editor (edit, exec, logs, run, drain,
// rollout status and restart) are not run.
func pasteCommands(t *testing.T, res *diagnose.Result) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not on PATH: printed commands not pasted")
		return
	}
	kubeconfig := writeKubeconfig(t)
	ran := 0
	for _, f := range res.Findings {
		for _, line := range []string{f.Verify, f.Fix} {
			cmd, ok := pasteable(line)
			if !ok {
				continue
			}
			sh := exec.Command("sh", "-c", cmd)
			sh.Env = []string{"PATH=" + filepath.Dir(kubectl) + ":/usr/bin:/bin", "KUBECONFIG=" + kubeconfig, "HOME=" + t.TempDir()}
			out, err := sh.CombinedOutput()
			if err != nil {
				t.Errorf("%s: pasted command failed (%v):\n$ %s\n%s", f.Key(), err, cmd, out)
			}
			t.Logf("pasted: %s", cmd)
			ran++
		}
	}
	if ran == 0 {
		t.Errorf("no fix or verify command of %d finding(s) could be pasted", len(res.Findings))
	}
}

// pasteable is line as it is pasted into a shell, with --dry-run=server
// added when it changes the cluster; false for a command this test cannot
// run without a terminal, an editor or a kubelet.
func pasteable(line string) (string, bool) {
	words := strings.Fields(line)
	if len(words) < 3 || words[0] != "kubectl" {
		return "", false
	}
	switch words[1] {
	case "get", "describe":
		return line, true
	case "patch", "delete", "scale", "annotate", "expose", "apply", "create", "set":
	default:
		return "", false
	}
	// Options go before `--` (after it they would be names) and before a
	// here-document.
	for _, mark := range []string{" -- ", " <<"} {
		if i := strings.Index(line, mark); i >= 0 {
			return line[:i] + " --dry-run=server" + line[i:], true
		}
	}
	return line + " --dry-run=server", true
}
