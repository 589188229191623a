package testenv_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/cli/clitest"
)

// TestKubectlPluginDiagnose installs the hopscope binary as
// kubectl-hopscope in a directory on PATH and runs `kubectl hopscope
// diagnose` with the machine's kubectl against the local cluster, as a user
// who installed the plugin would.
func TestKubectlPluginDiagnose(t *testing.T) {
	kubectl := kubectlBinary(t)
	bin := filepath.Dir(clitest.Build(t, "kubectl-hopscope"))
	kubeconfig := writeKubeconfig(t)
	const ns = "plugin"
	namespaceWith(t, ns, webApp+"---"+orphanService)

	kubectlHopscope := func(kubeconfig string, args ...string) (string, int) {
		cmd := exec.Command(kubectl, append([]string{"hopscope"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+kubeconfig, "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &ee):
			return string(out), ee.ExitCode()
		}
		t.Fatalf("run kubectl hopscope: %v", err)
		return "", -1
	}

	out, code := kubectlHopscope(kubeconfig, "diagnose", "-n", ns)
	if code != 1 || !strings.Contains(out, "service-selector-matches-no-pods") || !strings.Contains(out, "orphan") {
		t.Errorf("kubectl hopscope diagnose -n %s: exit %d, want 1 with the orphan Service's finding:\n%s", ns, code, out)
	}
	out, code = kubectlHopscope(kubeconfig, "diagnose", "-n", "kube-system")
	if code != 0 {
		t.Errorf("kubectl hopscope diagnose -n kube-system (healthy): exit %d, want 0:\n%s", code, out)
	}

	// A cluster that is down: a clear message and exit 2, not a hang or
	// a crash. The port was just closed, so nothing listens on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	down := filepath.Join(t.TempDir(), "down.kubeconfig")
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: https://" + addr +
		"\n    insecure-skip-tls-verify: true\ncontexts:\n- name: down\n  context:\n    cluster: down\n    user: u\ncurrent-context: down\nusers:\n- name: u\n  user:\n    token: x\n"
	if err := os.WriteFile(down, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = kubectlHopscope(down, "diagnose", "--request-timeout=5s")
	if code != 2 || !strings.Contains(out, "connection refused") || !strings.Contains(out, addr) {
		t.Errorf("against a stopped API server: exit %d, want 2 naming the server and the refusal:\n%s", code, out)
	}

	// Credentials the API server rejects (an expired token): exit 2 and
	// say so.
	out, code = kubectlHopscope(kubeconfig, "diagnose", "--token=expired-token")
	if code != 2 || !strings.Contains(out, "rejected the kubeconfig's credentials") {
		t.Errorf("with a rejected token: exit %d, want 2 saying the credentials were rejected:\n%s", code, out)
	}
}
