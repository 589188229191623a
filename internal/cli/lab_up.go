package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// labBinary is the local cluster's program. It lives in the nested testenv
// module (a real kube-apiserver, etcd and controllers) so that the hopscope
// binary stays small and builds in a minute.
const labBinary = "hopscope-lab"

// labBuildHint says how to get hopscope-lab: testenv carries replace
// directives for the Kubernetes staging modules, so `go install ...@latest`
// cannot build it; a checkout can.
const labBuildHint = `hopscope-lab (the built-in local cluster) is not on PATH or next to hopscope.
Build it from a checkout of hopscope (first build about 12 minutes on 2 cores, then seconds):
  cd testenv && go build -o "$(go env GOPATH)/bin/hopscope-lab" ./cmd/hopscope-lab
or run it directly:  cd testenv && go run ./cmd/hopscope-lab up`

// LabUpOptions is `hopscope lab up`: run the local cluster in the
// foreground by handing over to hopscope-lab.
type LabUpOptions struct {
	genericiooptions.IOStreams
	Args []string
	// lookPath finds the binary; tests replace it.
	lookPath func() (string, error)
}

func newLabUpCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabUpOptions{IOStreams: streams, lookPath: findLabBinary}
	return &cobra.Command{
		Use:   "up [--data-dir DIR] [--kubeconfig-out PATH]",
		Short: "Start the built-in local cluster in the foreground (real kube-apiserver, etcd, endpoint controllers, Gateway API CRDs); Ctrl-C stops it",
		// The flags belong to hopscope-lab; they are passed through as given.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return o.Run()
		},
	}
}

// findLabBinary looks next to the running hopscope first (both installed
// together), then on PATH.
func findLabBinary() (string, error) {
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), labBinary)
		if info, err := os.Stat(beside); err == nil && !info.IsDir() {
			return beside, nil
		}
	}
	return exec.LookPath(labBinary)
}

// Run starts hopscope-lab up with the user's arguments and waits for it.
// Ctrl-C reaches it through the terminal's process group; hopscope only
// waits so that it does not leave before the cluster has stopped.
func (o *LabUpOptions) Run() error {
	bin, err := o.lookPath()
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: errors.New(labBuildHint)}
	}
	cmd := exec.Command(bin, append([]string{"up"}, o.Args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.In, o.Out, o.ErrOut
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &ExitError{Code: ee.ExitCode(), Err: fmt.Errorf("%s up: %w", labBinary, err)}
		}
		return fmt.Errorf("run %s: %w", bin, err)
	}
	return nil
}
