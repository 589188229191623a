package main

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

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
