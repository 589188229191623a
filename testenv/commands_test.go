package testenv_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

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
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
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
