package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/hopscope/hopscope/pkg/safetext"
)

// An error quotes what the user or the cluster named: a file name with
// terminal escapes and a credential reaches stderr escaped and redacted.
func TestErrorsAreEscaped(t *testing.T) {
	name := "dump\x1b]0;pwned\x07\x1b[2K\r\u202e postgres://app:s3cr3t@db/app.yaml"
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code := run(streams, []string{"diagnose", "-f", name})
	got := errOut.String()
	if code != 2 || !strings.HasPrefix(got, "hopscope: ") || !strings.Contains(got, `dump\x1b]0;pwned\x07`) {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming the file, escaped", code, got)
	}
	for _, raw := range []string{"\x1b", "\r", "\u202e", "s3cr3t"} {
		if strings.Contains(got, raw) {
			t.Errorf("stderr holds %q: %q", raw, got)
		}
	}
	if safetext.SanitizeLines(got) != got {
		t.Errorf("stderr holds text the output boundary would change: %q", got)
	}
}

// A command that already said what it had to (findings at --fail-on) adds
// no error line.
func TestFindingsPrintNoErrorLine(t *testing.T) {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	if code := run(streams, []string{"diagnose", "-f", "../../examples/seed/lab1-as-written.yaml"}); code != 1 || errOut.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 1 and nothing on stderr", code, errOut.String())
	}
}

// klogChild is set in the environment of the child process that
// TestClientLogsStaySilent starts: klog writes to the real stderr of the
// process, so only a separate process shows what a user would see.
const klogChild = "HOPSCOPE_TEST_KLOG_CHILD"

// client-go logs through klog straight to stderr, unescaped. After
// silenceClientLogs, even an error-level klog line carrying terminal escapes
// (what a hostile API server's response body would put there) reaches
// nothing; before it, the same call prints, so the test would see a
// regression.
func TestClientLogsStaySilent(t *testing.T) {
	if os.Getenv(klogChild) != "" {
		if os.Getenv(klogChild) == "silenced" {
			silenceClientLogs()
		}
		klog.Errorf("response from server: \x1b]0;pwned\x07 body")
		klog.Flush()
		os.Exit(0)
	}
	for _, mode := range []string{"silenced", "default"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestClientLogsStaySilent$")
		cmd.Env = append(os.Environ(), klogChild+"="+mode)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s child: %v; stderr %q", mode, err, stderr.String())
		}
		printed := strings.Contains(stderr.String(), "pwned")
		if mode == "silenced" && printed {
			t.Errorf("klog printed after silenceClientLogs: %q", stderr.String())
		}
		if mode == "default" && !printed {
			t.Fatalf("klog printed nothing even without silenceClientLogs (stderr %q): the test cannot see a regression", stderr.String())
		}
	}
}
