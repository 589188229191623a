// Package cli wires hopscope's commands. Each command is an Options struct
// with Complete (fill in from flags and kubeconfig), Validate (reject bad
// combinations) and Run (do the work, writing only to the injected
// streams); cobra only binds flags to the struct, so tests build Options and
// call Run directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/source"
)

// Exit codes, as documented in docs/output.md.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitUsage    = 2
)

// ExitError carries an exit code out of a command. Err may be nil when the
// command already printed what it had to say (findings at --fail-on).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageErrorf is a mistake in flags or arguments: exit 2.
func usageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ie *source.InputError
	if errors.As(err, &ie) {
		return ExitUsage
	}
	return ExitUsage
}

// Globals are the flags every command shares: the kubectl connection flags
// and the colour switch.
type Globals struct {
	Kube    *genericclioptions.ConfigFlags
	NoColor bool
	Color   string
}

// Validate rejects a --color other than the three values decideColor
// knows: a typo such as --color=alwys must not silently mean auto.
func (g *Globals) Validate() error {
	switch g.Color {
	case "auto", "always", "never":
		return nil
	}
	return usageErrorf("--color %q: want auto, always or never", g.Color)
}

// namespaceFlag is the value of -n/--namespace, "" when it was not given
// (or when a test built Globals without the kubectl flags).
func (g *Globals) namespaceFlag() string {
	if g == nil || g.Kube == nil || g.Kube.Namespace == nil {
		return ""
	}
	return *g.Kube.Namespace
}

// NewRootCommand builds the hopscope command tree writing to streams. The
// binary name decides how usage lines read: installed as kubectl-hopscope it
// presents itself as "kubectl hopscope".
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	g := &Globals{Kube: genericclioptions.NewConfigFlags(true)}
	use := "hopscope"
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		use = "kubectl hopscope"
	}
	root := &cobra.Command{
		Use:           use,
		Short:         "Find the first broken layer of a Kubernetes traffic path",
		Long:          "hopscope walks Ingress → Service → Endpoints → Pod → Container in order, never skipping a layer,\nand names the first broken one with the evidence, a fix and a verify command.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	g.Kube.AddFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVar(&g.NoColor, "no-color", false, "never colour the output (NO_COLOR is honoured too)")
	root.PersistentFlags().StringVar(&g.Color, "color", "auto", "colour the output: auto, always or never")
	// Every subcommand's Run starts after the shared flags are checked.
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return g.Validate() }
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: ExitUsage, Err: err}
	})
	for _, sub := range commands(g, streams) {
		root.AddCommand(sub)
	}
	return root
}

// commands lists every subcommand; adding one is one line here.
func commands(g *Globals, streams genericiooptions.IOStreams) []*cobra.Command {
	return []*cobra.Command{
		newDiagnoseCommand(g, streams),
		newTraceCommand(g, streams),
		newProbeCommand(g, streams),
		newChecksCommand(g, streams),
		newDemoCommand(g, streams),
		newVersionCommand(g, streams),
		newLabCommand(g, streams),
		newAdviseCommand(g, streams),
		newQuizCommand(streams),
		newMCPCommand(g, streams),
		newWatchCommand(g, streams),
	}
}

// runE wires a command's Options to cobra: steps (Complete and Validate,
// in the order the command needs) run first and the first error stops
// them; then Run, with Ctrl-C cancelling its context so that a long read or
// wait stops cleanly.
func runE(run func(context.Context) error, steps ...func() error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := runSteps(steps...)(cmd, args); err != nil {
			return err
		}
		ctx, stop := interruptible(cmd)
		defer stop()
		return run(ctx)
	}
}

// runSteps wires a command whose Run needs no context (it reads no cluster
// and waits for nothing): its steps (Complete, Validate, Run) run in order
// and the first error stops them.
func runSteps(steps ...func() error) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}
}

// interruptible is the command's context, cancelled by Ctrl-C and by
// SIGTERM: the kubelet stops a pod (the watcher's) with SIGTERM, and a CI
// runner cancels a job with it, so both end the command the way Ctrl-C
// does, closing what it opened, rather than killing it mid-write.
func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
