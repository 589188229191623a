package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func TestLabUpSaysHowToBuildTheLocalCluster(t *testing.T) {
	var out bytes.Buffer
	o := &LabUpOptions{IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &out},
		lookPath: func() (string, error) { return "", errors.New("not found") }}
	err := o.Run()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "go build -o") {
		t.Fatalf("exit %d, error %v", ExitCode(err), err)
	}
}

func TestLabUpHandsOverToHopscopeLab(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "hopscope-lab")
	// A stand-in that prints its arguments and exits 3, to prove both the
	// arguments and the exit code pass through.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args: $*\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := &LabUpOptions{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out},
		Args: []string{"--data-dir", "/tmp/x"}, lookPath: func() (string, error) { return fake, nil }}
	err := o.Run()
	if ExitCode(err) != 3 {
		t.Fatalf("exit %d (%v)", ExitCode(err), err)
	}
	if got := strings.TrimSpace(out.String()); got != "args: up --data-dir /tmp/x" {
		t.Fatalf("output %q", got)
	}
}
