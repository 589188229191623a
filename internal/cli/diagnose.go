package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// DiagnoseOptions is `hopscope diagnose` and `hopscope trace`: load a
// snapshot (files or the current cluster), walk its paths, print a report.
type DiagnoseOptions struct {
	genericiooptions.IOStreams
	Globals *Globals

	Files         []string
	AllNamespaces bool
	Output        string
	OutputFile    string
	FailOn        string
	Skip          []string
	Explain       bool
	// Entries are trace targets (ingress/NAME, service/NAME, URL); empty for
	// a full diagnosis.
	Entries []string

	// Filled in by Complete.
	namespace    string
	explicitNS   bool
	failOn       diagnose.Severity
	color        bool
	loadSnapshot func(ctx context.Context) (*snapshot.Snapshot, error)
}

func newDiagnoseCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiagnoseOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "diagnose [-f FILE|DIR|-]...",
		Short: "Walk every traffic path (Ingress → Service → Endpoints → Pod → Container) and name the first broken layer",
		Example: `  hopscope diagnose -f manifests/            # offline, before deploy
  hopscope diagnose -f dump.yaml -o json     # a 'kubectl get -A -o yaml' dump
  hopscope diagnose -n shop                  # the current kubectl context, read-only`,
		Args: cobra.NoArgs,
		RunE: runE(o.Run, o.Complete, o.Validate),
	}
	o.AddFlags(cmd)
	return cmd
}

func newTraceCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiagnoseOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "trace (ingress/NAME | service/NAME | URL)... [-f FILE]",
		Short: "Walk one path layer by layer: an Ingress, a Service, or the Ingress rule that serves a URL",
		Example: `  hopscope trace ingress/app-ingress -n shop
  hopscope trace service/api-svc -f lab1.yaml
  hopscope trace http://shop.example.com/app -f dump.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("trace needs an entry point: ingress/NAME, service/NAME or an http(s) URL (see 'hopscope trace --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Entries = args
			return runE(o.Run, o.Complete, o.Validate)(cmd, args)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// AddFlags binds the command's flags to the options.
func (o *DiagnoseOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&o.Files, "filename", "f", nil, "files or directories (recursive) of YAML/JSON manifests or dumps; - reads stdin. Without -f the current kubectl context is read")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "every namespace (the default for files; the current namespace is the default for a cluster)")
	f.StringVarP(&o.Output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.OutputFile, "output-file", "", "write the report to this file instead of stdout")
	f.StringVar(&o.FailOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info")
	f.StringSliceVar(&o.Skip, "skip", nil, "check IDs not to run (see 'hopscope checks')")
	f.BoolVar(&o.Explain, "explain", false, "show every hop of healthy paths too, and each finding's check description")
}

// Complete fills in the namespace, the colour decision and the source.
func (o *DiagnoseOptions) Complete() error {
	if ns := o.Globals.namespaceFlag(); ns != "" {
		o.namespace, o.explicitNS = ns, true
	}
	o.color = o.wantColor()
	if len(o.Files) > 0 {
		files := source.Files{Paths: o.Files, Stdin: o.In, DefaultNamespace: o.namespace}
		o.loadSnapshot = func(context.Context) (*snapshot.Snapshot, error) { return files.Load() }
		return nil
	}
	if raw, err := o.Globals.Kube.ToRawKubeConfigLoader().RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		(o.Globals.Kube.APIServer == nil || *o.Globals.Kube.APIServer == "") && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return usageErrorf("no cluster to read: no kubeconfig found (KUBECONFIG is unset or empty and ~/.kube/config has no cluster) and not running in a pod; pass --kubeconfig or --context, or -f FILE to diagnose manifests and dumps")
	}
	if !o.explicitNS {
		ns, _, err := o.Globals.Kube.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("read kubeconfig: %w (use -f to diagnose files)", err)}
		}
		o.namespace = ns
	}
	live := source.Live{Flags: o.Globals.Kube, Namespace: o.namespace, AllNamespaces: o.AllNamespaces, Warnings: o.ErrOut}
	if len(o.Entries) > 0 {
		live.Kinds = source.TraceKinds(o.Entries)
	}
	o.loadSnapshot = liveWithLogs(live)
	return nil
}

// Validate rejects bad flag values and combinations.
func (o *DiagnoseOptions) Validate() error {
	sev, ok := diagnose.ParseSeverity(o.FailOn)
	if !ok {
		return usageErrorf("--fail-on %q: want error, warning or info", o.FailOn)
	}
	o.failOn = sev
	if !report.Known(o.Output) {
		return usageErrorf("--output %q: want one of %s", o.Output, strings.Join(report.Formats, ", "))
	}
	if o.AllNamespaces && o.explicitNS {
		return usageErrorf("--all-namespaces and --namespace %q contradict each other", o.namespace)
	}
	for _, id := range o.Skip {
		if checks.ByID(id) == nil {
			return usageErrorf("--skip %q: no such check (see 'hopscope checks')", id)
		}
	}
	return nil
}

// Run loads the snapshot, diagnoses it and prints the report. The error
// carries the exit code: 1 for findings at or above --fail-on, 2 for input
// and usage problems.
func (o *DiagnoseOptions) Run(ctx context.Context) error {
	snap, err := o.loadSnapshot(ctx)
	if err != nil {
		var ie *source.InputError
		if errors.As(err, &ie) {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("load: %w", err)}
	}
	if snap.ObjectCount() == 0 && snap.SkippedTotal() == 0 && len(snap.Forbidden) == 0 && len(o.Files) > 0 {
		return usageErrorf("%s: the input holds no Kubernetes objects", strings.Join(o.Files, ", "))
	}
	if snap.Live && o.explicitNS && snap.Knows(snapshot.KindNamespace, "") && snap.Namespace(o.namespace) == nil {
		return usageErrorf("namespace %q does not exist in this cluster (kubectl get namespaces lists them)", o.namespace)
	}
	opt := diagnose.Options{Entries: o.Entries, Namespace: o.namespace, Skip: o.Skip}
	if o.namespace == "" {
		opt.Namespace = "default"
	}
	if o.explicitNS || (len(o.Files) == 0 && !o.AllNamespaces) {
		opt.Namespaces = []string{opt.Namespace}
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, opt)
	if err != nil {
		var ee *diagnose.EntryError
		if errors.As(err, &ee) {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		return fmt.Errorf("diagnose: %w", err)
	}
	if err := o.write(res); err != nil {
		return err
	}
	if max := res.MaxSeverity(); max != "" && max.Rank() >= o.failOn.Rank() {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

func (o *DiagnoseOptions) write(res *diagnose.Result) error {
	ropt := report.Options{Color: o.color, Checks: checks.All(), ToolVersion: Version(), Explain: o.Explain}
	if wd, err := os.Getwd(); err == nil {
		ropt.BaseDir = wd
	}
	if o.OutputFile == "" {
		if err := report.Render(o.Out, o.Output, res, ropt); err != nil {
			return fmt.Errorf("render %s: %w", o.Output, err)
		}
		return nil
	}
	f, err := os.Create(o.OutputFile)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--output-file: %w", err)}
	}
	ropt.Color = false
	if err := report.Render(f, o.Output, res, ropt); err != nil {
		f.Close()
		return fmt.Errorf("render %s to %s: %w", o.Output, o.OutputFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output-file: %w", err)
	}
	return nil
}

// wantColor decides whether to colour: --color always/never win, --no-color
// and NO_COLOR turn it off, and auto colours only a terminal.
func (o *DiagnoseOptions) wantColor() bool {
	return decideColor(o.Globals, o.Out)
}

func decideColor(g *Globals, out io.Writer) bool {
	switch {
	case g.NoColor || g.Color == "never":
		return false
	case g.Color == "always":
		return true
	case os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb":
		return false
	}
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
