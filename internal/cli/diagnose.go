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
	"k8s.io/apimachinery/pkg/api/resource"
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
	// MaxInputSize bounds each input file, as a quantity ("256Mi").
	MaxInputSize string
	// Entries are trace targets (ingress/NAME, service/NAME, gateway/NAME,
	// httproute/NAME, URL); empty for a full diagnosis.
	Entries []string
	// Method and Headers ("Name: value") describe the request of a URL
	// trace; Gateway API routes match on them.
	Method  string
	Headers []string
	// Probe runs active probes after the diagnosis (`hopscope probe`,
	// `diagnose --probe`).
	Probe ProbeFlags

	// filesGiven and outputFileGiven record that -f and --output-file were
	// on the command line, so that an empty value (an unset variable in a
	// CI script) is refused instead of meaning "no files" or "stdout".
	filesGiven      bool
	outputFileGiven bool

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
		RunE: func(cmd *cobra.Command, args []string) error {
			o.flagsGiven(cmd)
			return runE(o.Run, o.Complete, o.Validate)(cmd, args)
		},
	}
	o.AddFlags(cmd)
	o.Probe.addDiagnoseFlags(cmd)
	return cmd
}

func newTraceCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiagnoseOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "trace (ingress/NAME | service/NAME | gateway/NAME | httproute/NAME | URL)... [-f FILE]",
		Short: "Walk one path layer by layer: an Ingress, a Service, a Gateway or route, or the Ingress rule or Gateway route that serves a URL or gRPC call",
		Example: `  hopscope trace ingress/app-ingress -n shop
  hopscope trace service/api-svc -f lab1.yaml
  hopscope trace gateway/eg -n infra
  hopscope trace httproute/store -n shop
  hopscope trace http://shop.example.com/app -f dump.yaml
  hopscope trace https://shop.example.com/api --method POST --header 'x-canary: true'
  hopscope trace grpcs://api.example.com/store.v1.Catalog/GetItem   # the GRPCRoute rule for a gRPC call`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("trace needs an entry point: ingress/NAME, service/NAME, gateway/NAME, httproute/NAME, an http(s) URL or a grpc(s) URL naming /package.Service/Method (see 'hopscope trace --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Entries = args
			o.flagsGiven(cmd)
			return runE(o.Run, o.Complete, o.Validate)(cmd, args)
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.Method, "method", "", "the HTTP method of a URL trace (GET when empty); Gateway API routes match on it")
	cmd.Flags().StringArrayVarP(&o.Headers, "header", "H", nil, "a request header of a URL trace, as 'Name: value' (repeatable); Gateway API routes match on them")
	return cmd
}

// AddFlags binds the command's flags to the options.
func (o *DiagnoseOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&o.Files, "filename", "f", nil, "files or directories (recursive) of YAML/JSON manifests or dumps; - reads stdin. Without -f the current kubectl context is read")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "every namespace (the default for files; the current namespace is the default for a cluster)")
	f.StringVarP(&o.Output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.OutputFile, "output-file", "", "write the report to this file (- for stdout), once it is complete; never an input file or a manifest inside an input directory")
	f.StringVar(&o.FailOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info")
	f.StringSliceVar(&o.Skip, "skip", nil, "check IDs not to run (see 'hopscope checks')")
	f.BoolVar(&o.Explain, "explain", false, "show every hop of healthy paths too, and each finding's check description")
	f.StringVar(&o.MaxInputSize, "max-input-size", "256Mi", "the largest input file (or stdin) read, as a Kubernetes quantity (512Mi, 2Gi); a dump takes about 7 times its size in memory")
}

// flagsGiven records which of the flags whose empty value would change
// meaning were on the command line.
func (o *DiagnoseOptions) flagsGiven(cmd *cobra.Command) {
	o.filesGiven = cmd.Flags().Changed("filename")
	o.outputFileGiven = cmd.Flags().Changed("output-file")
	o.Probe.flagsGiven(cmd)
}

// Complete fills in the namespace, the colour decision and the source. An
// empty -f is refused first: it must not fall through to reading the
// current cluster.
func (o *DiagnoseOptions) Complete() error {
	if err := o.validateFiles(); err != nil {
		return err
	}
	if ns := o.Globals.namespaceFlag(); ns != "" {
		o.namespace, o.explicitNS = ns, true
	}
	o.color = o.wantColor()
	if len(o.Files) > 0 {
		limit, err := parseInputSize(o.MaxInputSize)
		if err != nil {
			return err
		}
		files := source.Files{Paths: o.Files, Stdin: o.In, DefaultNamespace: o.namespace, MaxFileBytes: limit}
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
	live := source.Live{Flags: o.Globals.Kube, Namespace: o.namespace, AllNamespaces: o.AllNamespaces, Warnings: escapingWriter{o.ErrOut}}
	if len(o.Entries) > 0 {
		live.Kinds = source.TraceKinds(o.Entries)
	}
	o.loadSnapshot = liveWithLogs(live)
	o.Probe.complete(o.Globals)
	return nil
}

// validateFiles refuses -f with an empty path: `-f "$MANIFESTS"` with the
// variable unset would otherwise diagnose the current kubectl context and
// pass a CI gate on a cluster nobody meant to check.
func (o *DiagnoseOptions) validateFiles() error {
	if o.filesGiven && len(o.Files) == 0 {
		return usageErrorf("-f/--filename: an empty path; name a file, a directory or - for stdin (without -f the current cluster is read)")
	}
	for _, p := range o.Files {
		if p == "" {
			return usageErrorf("-f/--filename: an empty path among %q; name a file, a directory or - for stdin", strings.Join(o.Files, ","))
		}
	}
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
	for _, h := range o.Headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			return usageErrorf("--header %q: want 'Name: value'", h)
		}
	}
	if err := o.Probe.validate(o.Files); err != nil {
		return err
	}
	if o.outputFileGiven && o.OutputFile == "" {
		return usageErrorf("--output-file: an empty path; name a file, or - for stdout")
	}
	return checkReportFile(o.OutputFile, o.Files)
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
	opt := diagnose.Options{Entries: o.Entries, Namespace: o.namespace, Skip: o.Skip, Method: o.Method, Headers: requestHeaders(o.Headers)}
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
	if o.Probe.Enabled {
		if done, err := o.Probe.run(ctx, o, snap, res); err != nil || done {
			return err
		}
	}
	if err := o.write(res); err != nil {
		return err
	}
	if max := res.MaxSeverity(); (max != "" && max.Rank() >= o.failOn.Rank()) || unexpectedFailure(res.Probes) {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

func (o *DiagnoseOptions) write(res *diagnose.Result) error {
	ropt := report.Options{Color: o.color, Checks: checks.All(), ToolVersion: Version(), Explain: o.Explain}
	if wd, err := os.Getwd(); err == nil {
		ropt.BaseDir = wd
	}
	if o.OutputFile == "" || o.OutputFile == stdoutPath {
		if err := report.Render(o.Out, o.Output, res, ropt); err != nil {
			return fmt.Errorf("render %s: %w", o.Output, err)
		}
		return nil
	}
	ropt.Color = false
	return writeReportFile(o.OutputFile, func(w io.Writer) error {
		if err := report.Render(w, o.Output, res, ropt); err != nil {
			return fmt.Errorf("render %s to %s: %w", o.Output, o.OutputFile, err)
		}
		return nil
	})
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

// requestHeaders turns --header values into the request's headers.
func requestHeaders(values []string) map[string]string {
	if len(values) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, h := range values {
		name, value, _ := strings.Cut(h, ":")
		out[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return out
}

// parseInputSize reads --max-input-size: a positive Kubernetes quantity;
// empty means the loader's default.
func parseInputSize(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		return 0, usageErrorf("--max-input-size %q: want a positive size such as 256Mi or 2Gi", v)
	}
	return q.Value(), nil
}
