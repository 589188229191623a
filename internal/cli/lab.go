package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// labExtraCommands are further `hopscope lab` subcommands defined in other
// files of this package (such as `lab up`, which starts the local practice
// cluster); each file appends its constructor in an init function.
var labExtraCommands []func(*Globals, genericiooptions.IOStreams) *cobra.Command

func newLabCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Broken-on-purpose networking labs: start one, find the fault layer by layer, fix it, check",
		Long: `Each lab breaks a small app in its own namespace (hopscope-lab-N) the way real incidents do.
Find the fault walking Ingress → Service → Endpoints → Pod → Container, fix it with kubectl,
and let 'hopscope lab check N' tell you whether the whole path is healthy again.`,
		Example: `  hopscope lab list
  hopscope lab start 1      # apply the broken app into hopscope-lab-1
  hopscope lab hint 1       # the next hint, a little more each time
  hopscope lab check 1      # PASS once the fault is gone and every path is healthy
  hopscope lab reset 1      # delete the lab's namespace`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newLabListCommand(streams),
		newLabShowCommand(streams),
		newLabStartCommand(g, streams),
		newLabCheckCommand(g, streams),
		newLabHintCommand(streams),
		newLabSolutionCommand(g, streams),
		newLabResetCommand(g, streams),
	)
	for _, extra := range labExtraCommands {
		cmd.AddCommand(extra(g, streams))
	}
	return cmd
}

// labArg resolves the lab named on the command line (ID or slug); a wrong
// name is a usage error that points at `lab list`.
func labArg(args []string) (*labs.Lab, error) {
	if len(args) != 1 {
		return nil, usageErrorf("name one lab by its ID, e.g. 1 (see `hopscope lab list`)")
	}
	l, err := labs.Get(args[0])
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return l, nil
}

// labError maps lab errors to exit codes: a refusal or a lab that is not
// running is a usage error (2), anything else is passed on.
func labError(err error) error {
	var ns *labs.NotStartedError
	if labs.IsRefusal(err) || errors.As(err, &ns) {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	return err
}

// labCluster is the connection a lab command needs, built from the kubectl
// flags; tests inject their own.
type labCluster struct {
	cluster *labs.Cluster
	config  *rest.Config
}

func connectLab(g *Globals) (labCluster, error) {
	cfg, err := g.Kube.ToRESTConfig()
	if err != nil {
		return labCluster{}, &ExitError{Code: ExitUsage, Err: fmt.Errorf("read kubeconfig: %w (no cluster? `hopscope lab up` starts a local one)", err)}
	}
	mapper, err := g.Kube.ToRESTMapper()
	if err != nil {
		return labCluster{}, fmt.Errorf("discover the cluster's API: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return labCluster{}, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return labCluster{}, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return labCluster{cluster: &labs.Cluster{Client: cs, Dynamic: dyn, Mapper: mapper}, config: cfg}, nil
}

// refuseForeignNamespace rejects -n/--namespace naming anything but the
// lab's own namespace: labs never run anywhere else.
func refuseForeignNamespace(g *Globals, l *labs.Lab) error {
	if g == nil || g.Kube == nil || g.Kube.Namespace == nil || *g.Kube.Namespace == "" {
		return nil
	}
	ns := *g.Kube.Namespace
	for _, own := range l.Namespaces() {
		if ns == own {
			return nil
		}
	}
	return usageErrorf("lab %s runs only in its own namespace %s; refusing --namespace %s (drop the flag: a lab never writes to or judges another namespace)", l.ID, l.Namespace(), ns)
}

func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt)
}

// ---- lab list ----

// LabListOptions is `hopscope lab list`.
type LabListOptions struct {
	genericiooptions.IOStreams
	Output string
}

func newLabListCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabListOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

// Validate rejects unknown output formats.
func (o *LabListOptions) Validate() error {
	if o.Output != "text" && o.Output != "json" {
		return usageErrorf("--output %q: want text or json", o.Output)
	}
	return nil
}

// labSummary is one lab in `lab list -o json`: what a learner may know
// before starting it (no fault, no solution).
type labSummary struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	Difficulty  string `json:"difficulty"`
	SeedLab     int    `json:"seedLab,omitempty"`
	Namespace   string `json:"namespace"`
	ClusterWide bool   `json:"clusterWide"`
}

// Run prints the catalog.
func (o *LabListOptions) Run() error {
	all, err := labs.Catalog()
	if err != nil {
		return err
	}
	if o.Output == "json" {
		out := make([]labSummary, 0, len(all))
		for _, l := range all {
			out = append(out, labSummary{ID: l.ID, Slug: l.Slug, Title: l.Title, Difficulty: l.Difficulty,
				SeedLab: l.SeedLab, Namespace: l.Namespace(), ClusterWide: l.ClusterWide})
		}
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tDIFFICULTY\tSEED\tRUNS IN\tTITLE")
	for _, l := range all {
		seed := "-"
		if l.SeedLab > 0 {
			seed = "lab " + strconv.Itoa(l.SeedLab)
		}
		where := l.Namespace()
		if l.ClusterWide {
			where = "whole cluster"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.ID, l.Difficulty, seed, where, l.Title)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(o.Out, "\nSEED is the lab of the seed article the scenario comes from. Start one with `hopscope lab start ID`.")
	return nil
}

// ---- lab show ----

// LabShowOptions is `hopscope lab show N`: the briefing, without the answer.
type LabShowOptions struct {
	genericiooptions.IOStreams
	Lab *labs.Lab
}

func newLabShowCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabShowOptions{IOStreams: streams}
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show a lab's scenario, symptoms and what to observe (not the answer)",
		Example: "  hopscope lab show 1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			return o.Run()
		},
	}
}

// Run prints the briefing.
func (o *LabShowOptions) Run() error {
	printBriefing(o.Out, o.Lab)
	l := o.Lab
	fmt.Fprintf(o.Out, "\nStart it:  hopscope lab start %s\nCheck it:  hopscope lab check %s   (hints: hopscope lab hint %s)\n", l.ID, l.ID, l.ID)
	return nil
}

func printBriefing(w io.Writer, l *labs.Lab) {
	fmt.Fprintf(w, "Lab %s · %s\n", l.ID, l.Title)
	meta := []string{l.Difficulty}
	if l.SeedLab > 0 {
		meta = append(meta, fmt.Sprintf("from the seed article's lab %d", l.SeedLab))
	}
	meta = append(meta, "namespace "+strings.Join(l.Namespaces(), ", "))
	fmt.Fprintln(w, strings.Join(meta, " · "))
	if l.ClusterWide {
		fmt.Fprintf(w, "⚠ Cluster-wide: this lab breaks %s for every namespace. It runs on hopscope's local cluster (`hopscope lab up`) unless you pass --i-know-this-breaks-cluster-dns; `hopscope lab reset %s` restores it.\n", breaksWhat(l), l.ID)
	}
	fmt.Fprintf(w, "\nScenario\n%s", indent(l.Scenario, "  "))
	fmt.Fprintln(w, "\nWhat people see")
	for _, s := range l.Symptoms {
		fmt.Fprintf(w, "  • %s\n", s)
	}
	fmt.Fprintln(w, "\nObserve")
	for _, c := range l.Observe {
		fmt.Fprintf(w, "  $ %s\n", c)
	}
}

func breaksWhat(l *labs.Lab) string {
	if l.ClusterBreak != nil && l.ClusterBreak.ScaleDeployment != nil {
		t := l.ClusterBreak.ScaleDeployment
		return fmt.Sprintf("deployment %s/%s", t.Namespace, t.Name)
	}
	return "a cluster-wide object"
}

func indent(text, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// ---- lab start ----

// LabStartOptions is `hopscope lab start N`.
type LabStartOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Lab     *labs.Lab
	// AllowClusterWide is --i-know-this-breaks-cluster-dns.
	AllowClusterWide bool
	// Wait bounds how long start waits for the lab's Deployments to roll out.
	Wait time.Duration

	// Cluster is set by Complete from the kubectl flags, or by a test.
	Cluster *labs.Cluster
}

func newLabStartCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabStartOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "start ID",
		Short: "Apply a lab's broken app into its own namespace hopscope-lab-ID (server-side apply; safe to repeat)",
		Example: `  hopscope lab start 1
  hopscope lab start 5 --i-know-this-breaks-cluster-dns   # cluster-wide lab on a cluster that is not the local one`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(); err != nil {
				return err
			}
			ctx, stop := interruptible(cmd)
			defer stop()
			return o.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&o.AllowClusterWide, "i-know-this-breaks-cluster-dns", false, "let a cluster-wide lab break a cluster that is not hopscope's local practice cluster")
	cmd.Flags().DurationVar(&o.Wait, "wait", 2*time.Minute, "how long to wait for the lab's Deployments to roll out (0: do not wait)")
	return cmd
}

// Validate refuses a namespace other than the lab's.
func (o *LabStartOptions) Validate() error {
	return refuseForeignNamespace(o.Globals, o.Lab)
}

// Complete connects to the cluster of the kubectl flags.
func (o *LabStartOptions) Complete() error {
	if o.Cluster != nil {
		return nil
	}
	c, err := connectLab(o.Globals)
	if err != nil {
		return err
	}
	o.Cluster = c.cluster
	return nil
}

// Run starts the lab and prints the briefing.
func (o *LabStartOptions) Run(ctx context.Context) error {
	l := o.Lab
	if err := o.Cluster.Start(ctx, l, labs.StartOptions{AllowClusterWide: o.AllowClusterWide}); err != nil {
		return labError(fmt.Errorf("start lab %s: %w", l.ID, err))
	}
	objs, _ := l.BrokenObjects()
	fmt.Fprintf(o.Out, "Lab %s started in namespace %s (%d objects applied).\n", l.ID, strings.Join(l.Namespaces(), ", "), len(objs))
	if l.ClusterWide {
		fmt.Fprintf(o.Out, "⚠ %s is broken for the whole cluster now; `hopscope lab reset %s` restores it.\n", breaksWhat(l), l.ID)
	}
	if o.Wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, o.Wait)
		err := o.Cluster.Settle(wctx, l)
		cancel()
		if err != nil {
			fmt.Fprintf(o.ErrOut, "note: the lab has not finished rolling out (%v); `hopscope lab check %s` may see it half-started.\n", err, l.ID)
		}
	}
	fmt.Fprintln(o.Out)
	printBriefing(o.Out, l)
	fmt.Fprintf(o.Out, "\nWhen you think it is fixed:  hopscope lab check %s\nStuck?                      hopscope lab hint %s\n", l.ID, l.ID)
	return nil
}

// ---- lab check ----

// LabCheckOptions is `hopscope lab check N`: diagnose the lab's namespace
// live and say whether the fault is gone and every path is healthy.
type LabCheckOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Lab     *labs.Lab
	// Explain prints the full findings (cause, evidence, fix) when the lab
	// is not solved.
	Explain bool
	// Wait re-checks until the lab is solved or this much time passed, for
	// a fix that is still rolling out.
	Wait   time.Duration
	Output string

	// Cluster and Diagnose are set by Complete, or by a test.
	Cluster  *labs.Cluster
	Diagnose func(ctx context.Context) (*snapshot.Snapshot, *diagnose.Result, error)
}

func newLabCheckCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabCheckOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "check ID",
		Short: "PASS when the lab's fault is gone and every path in its namespace is healthy; otherwise name the layer still broken",
		Example: `  hopscope lab check 1
  hopscope lab check 1 --explain     # show the full diagnosis (gives the answer away)
  hopscope lab check 1 --wait 1m     # keep checking while a fix rolls out`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(); err != nil {
				return err
			}
			ctx, stop := interruptible(cmd)
			defer stop()
			return o.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print the full findings: cause, evidence, fix and verify (spoils the lab)")
	cmd.Flags().DurationVar(&o.Wait, "wait", 0, "keep checking until the lab passes or this much time has passed")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

// Validate refuses a foreign namespace and unknown formats.
func (o *LabCheckOptions) Validate() error {
	if o.Output != "text" && o.Output != "json" {
		return usageErrorf("--output %q: want text or json", o.Output)
	}
	return refuseForeignNamespace(o.Globals, o.Lab)
}

// Complete connects to the cluster and prepares the live diagnosis of the
// lab's namespaces (all namespaces when the lab owns more than one, so that
// calls between them are seen; the engine is then limited to the lab's).
func (o *LabCheckOptions) Complete() error {
	if o.Cluster != nil && o.Diagnose != nil {
		return nil
	}
	c, err := connectLab(o.Globals)
	if err != nil {
		return err
	}
	o.Cluster = c.cluster
	l := o.Lab
	live := source.NewLiveForConfig(c.config, l.Namespace())
	if len(l.Namespaces()) > 1 {
		live = source.NewLiveForConfig(c.config, "")
	}
	o.Diagnose = func(ctx context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
		snap, err := live.Load(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("read lab %s from the cluster: %w", l.ID, err)
		}
		res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{Namespace: l.Namespace(), Namespaces: l.Namespaces()})
		if err != nil {
			return nil, nil, fmt.Errorf("diagnose lab %s: %w", l.ID, err)
		}
		return snap, res, nil
	}
	return nil
}

// Run checks the lab (again and again with --wait) and prints the verdict.
// The error carries exit code 1 while the lab is not solved.
func (o *LabCheckOptions) Run(ctx context.Context) error {
	l := o.Lab
	running, err := o.Cluster.Running(ctx, l)
	if err != nil {
		return labError(err)
	}
	if !running {
		return labError(&labs.NotStartedError{Lab: l})
	}
	deadline := time.Now().Add(o.Wait)
	var v labs.Verdict
	var res *diagnose.Result
	for {
		var snap *snapshot.Snapshot
		snap, res, err = o.Diagnose(ctx)
		if err != nil {
			return err
		}
		v = l.Judge(res, snap)
		if v.Solved || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if o.Output == "json" {
		if err := o.writeJSON(v, res); err != nil {
			return err
		}
	} else {
		o.writeText(v, res)
	}
	if !v.Solved {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}

// labVerdictJSON is `lab check -o json`; it always carries the findings,
// since a program asked.
type labVerdictJSON struct {
	Lab          string             `json:"lab"`
	Solved       bool               `json:"solved"`
	FaultPresent bool               `json:"faultPresent"`
	Expected     *diagnose.Finding  `json:"expected,omitempty"`
	BrokenLayers []diagnose.Layer   `json:"brokenLayers"`
	Remaining    []diagnose.Finding `json:"remaining"`
	Notes        []diagnose.Finding `json:"notes"`
	Paths        int                `json:"paths"`
}

func (o *LabCheckOptions) writeJSON(v labs.Verdict, res *diagnose.Result) error {
	out := labVerdictJSON{Lab: o.Lab.ID, Solved: v.Solved, FaultPresent: v.FaultPresent, Expected: v.Expected,
		BrokenLayers: v.BrokenLayers, Remaining: v.Remaining, Notes: v.Notes, Paths: len(res.Traces)}
	if out.BrokenLayers == nil {
		out.BrokenLayers = []diagnose.Layer{}
	}
	if out.Remaining == nil {
		out.Remaining = []diagnose.Finding{}
	}
	if out.Notes == nil {
		out.Notes = []diagnose.Finding{}
	}
	enc := json.NewEncoder(o.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func (o *LabCheckOptions) writeText(v labs.Verdict, res *diagnose.Result) {
	l := o.Lab
	if v.Solved {
		fmt.Fprintf(o.Out, "PASS  lab %s · %s\n", l.ID, l.Title)
		fmt.Fprintf(o.Out, "      The fault is gone and every path in %s is healthy (%d checked).\n", strings.Join(l.Namespaces(), ", "), len(res.Traces))
		o.writeNotes(v)
		fmt.Fprintf(o.Out, "\nNow try the interview question: %s\n(`hopscope lab solution %s` has the answer and the full story; `hopscope lab reset %s` cleans up.)\n",
			l.Interview.Question, l.ID, l.ID)
		return
	}
	fmt.Fprintf(o.Out, "FAIL  lab %s · %s\n", l.ID, l.Title)
	if !v.FaultPresent {
		fmt.Fprintln(o.Out, "      The original fault is gone, but the path is not healthy yet.")
	}
	var names []string
	for _, layer := range v.BrokenLayers {
		names = append(names, string(layer))
	}
	fmt.Fprintf(o.Out, "      Still broken at the %s layer%s.\n", strings.Join(names, ", "), plural(len(names)))
	if !o.Explain {
		fmt.Fprintf(o.Out, "      Walk that layer with kubectl; `hopscope lab hint %s` gives a nudge, `hopscope lab check %s --explain` the full diagnosis.\n", l.ID, l.ID)
		return
	}
	for _, f := range v.Remaining {
		fmt.Fprintf(o.Out, "\n  ✗ %s layer · %s · %s (%s)\n", f.Layer, f.Object, f.Check, f.Severity)
		fmt.Fprintf(o.Out, "    symptom: %s\n    cause:   %s\n", f.Symptom, f.Cause)
		for _, e := range f.Evidence {
			fmt.Fprintf(o.Out, "    · %s\n", e)
		}
		if f.Fix != "" {
			fmt.Fprintf(o.Out, "    fix:     %s\n", f.Fix)
		}
		if f.Verify != "" {
			fmt.Fprintf(o.Out, "    verify:  %s\n", f.Verify)
		}
	}
	o.writeNotes(v)
}

func (o *LabCheckOptions) writeNotes(v labs.Verdict) {
	if len(v.Notes) == 0 {
		return
	}
	fmt.Fprintln(o.Out, "      Notes (not blocking):")
	for _, f := range v.Notes {
		if o.Explain || v.Solved {
			fmt.Fprintf(o.Out, "        - %s on %s: %s\n", f.Check, f.Object, f.Cause)
		} else {
			fmt.Fprintf(o.Out, "        - a %s at the %s layer\n", f.Severity, f.Layer)
		}
	}
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// ---- lab hint ----

// LabHintOptions is `hopscope lab hint N`: the next hint each time.
type LabHintOptions struct {
	genericiooptions.IOStreams
	Lab *labs.Lab
	// Level shows that hint (1-based) instead of the next one.
	Level int
	// ProgressPath is where shown hints are remembered; labs.ProgressPath()
	// when empty.
	ProgressPath string
}

func newLabHintCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabHintOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "hint ID",
		Short: "Show the lab's next hint; each one says a little more",
		Example: `  hopscope lab hint 1
  hopscope lab hint 1 --level 1    # show the first hint again`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().IntVar(&o.Level, "level", 0, "show hint number N (1 is the gentlest) instead of the next one")
	return cmd
}

// Complete finds the progress file.
func (o *LabHintOptions) Complete() error {
	if o.ProgressPath != "" {
		return nil
	}
	p, err := labs.ProgressPath()
	if err != nil {
		return err
	}
	o.ProgressPath = p
	return nil
}

// Validate checks --level against the lab's hints.
func (o *LabHintOptions) Validate() error {
	if o.Level < 0 || o.Level > len(o.Lab.Hints) {
		return usageErrorf("--level %d: lab %s has hints 1 to %d", o.Level, o.Lab.ID, len(o.Lab.Hints))
	}
	return nil
}

// Run prints one hint and remembers how far the learner got.
func (o *LabHintOptions) Run() error {
	l := o.Lab
	prog, err := labs.LoadProgress(o.ProgressPath)
	if err != nil {
		return err
	}
	shown := prog.Hints[l.ID]
	n := o.Level
	if n == 0 {
		n = shown + 1
	}
	if n > len(l.Hints) {
		fmt.Fprintf(o.Out, "That was the last hint (%d of %d): %s\nThe answer is one command away: hopscope lab solution %s\n", len(l.Hints), len(l.Hints), l.Hints[len(l.Hints)-1], l.ID)
		return nil
	}
	fmt.Fprintf(o.Out, "Hint %d of %d: %s\n", n, len(l.Hints), l.Hints[n-1])
	if n < len(l.Hints) {
		fmt.Fprintf(o.Out, "(run `hopscope lab hint %s` again for more)\n", l.ID)
	}
	if n > shown {
		prog.Hints[l.ID] = n
		return prog.Save(o.ProgressPath)
	}
	return nil
}

// ---- lab solution ----

// LabSolutionOptions is `hopscope lab solution N`, optionally applying the
// fix to the running lab.
type LabSolutionOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Lab     *labs.Lab
	// Apply applies the fix manifests to the running lab.
	Apply bool

	Cluster *labs.Cluster
}

func newLabSolutionCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabSolutionOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "solution ID",
		Short: "Explain the lab's root cause, the fix and how to verify it; --apply repairs the running lab",
		Example: `  hopscope lab solution 1
  hopscope lab solution 1 --apply   # apply the fixed manifests, then: hopscope lab check 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			if err := o.Validate(); err != nil {
				return err
			}
			if o.Apply {
				if err := o.Complete(); err != nil {
					return err
				}
			}
			ctx, stop := interruptible(cmd)
			defer stop()
			return o.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&o.Apply, "apply", false, "apply the fix to the running lab (server-side apply into its namespace)")
	return cmd
}

// Validate refuses a foreign namespace.
func (o *LabSolutionOptions) Validate() error {
	if !o.Apply {
		return nil
	}
	return refuseForeignNamespace(o.Globals, o.Lab)
}

// Complete connects to the cluster for --apply.
func (o *LabSolutionOptions) Complete() error {
	if o.Cluster != nil {
		return nil
	}
	c, err := connectLab(o.Globals)
	if err != nil {
		return err
	}
	o.Cluster = c.cluster
	return nil
}

// Run prints the solution, then applies the fix when asked.
func (o *LabSolutionOptions) Run(ctx context.Context) error {
	l := o.Lab
	w := o.Out
	fmt.Fprintf(w, "Lab %s · %s — solution\n\nRoot cause\n%s", l.ID, l.Title, indent(l.Solution, "  "))
	fmt.Fprintf(w, "\nWhat hopscope reports: %s on %s %s", l.Expect.Check, l.Expect.Kind, l.Expect.Name)
	if l.Expect.Namespace != "" {
		fmt.Fprintf(w, " (namespace %s)", l.Expect.Namespace)
	}
	fmt.Fprintln(w, "\n\nFix")
	for _, s := range l.FixSteps {
		fmt.Fprintf(w, "  $ %s\n", s)
	}
	if len(l.Fix) > 0 {
		var files []string
		for _, m := range l.Fix {
			files = append(files, m.Path)
		}
		fmt.Fprintf(w, "  or apply the fixed manifests (%s): hopscope lab solution %s --apply\n", strings.Join(files, ", "), l.ID)
	}
	fmt.Fprintf(w, "\nVerify\n  $ %s\n  $ hopscope lab check %s\n", l.Verify, l.ID)
	fmt.Fprintf(w, "\nInterview question\n  Q: %s\n  A: %s", l.Interview.Question, strings.TrimLeft(indent(l.Interview.Answer, "     "), " "))
	printList(w, "When to use", l.WhenToUse)
	printList(w, "Pros", l.Pros)
	printList(w, "Cons", l.Cons)
	if !o.Apply {
		return nil
	}
	if err := o.Cluster.ApplyFix(ctx, l); err != nil {
		return labError(fmt.Errorf("apply the fix of lab %s: %w", l.ID, err))
	}
	fmt.Fprintf(w, "\nFix applied to %s. Check it: hopscope lab check %s --wait 1m\n", strings.Join(l.Namespaces(), ", "), l.ID)
	return nil
}

func printList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "  • %s\n", it)
	}
}

// ---- lab reset ----

// LabResetOptions is `hopscope lab reset N`: delete the lab's namespaces
// (and restore what a cluster-wide lab broke), then wait until they are gone.
type LabResetOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Lab     *labs.Lab
	Timeout time.Duration
	// ProgressPath is where hint progress is kept; it is cleared for the lab.
	ProgressPath string

	Cluster *labs.Cluster
}

func newLabResetCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabResetOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:     "reset ID",
		Short:   "Delete the lab's namespace and wait until it is gone; a cluster-wide lab also restores what it broke",
		Example: "  hopscope lab reset 1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := labArg(args)
			if err != nil {
				return err
			}
			o.Lab = l
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(); err != nil {
				return err
			}
			ctx, stop := interruptible(cmd)
			defer stop()
			return o.Run(ctx)
		},
	}
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 3*time.Minute, "how long to wait for the namespace to be deleted")
	return cmd
}

// Validate refuses a foreign namespace.
func (o *LabResetOptions) Validate() error {
	return refuseForeignNamespace(o.Globals, o.Lab)
}

// Complete connects to the cluster and finds the progress file.
func (o *LabResetOptions) Complete() error {
	if o.ProgressPath == "" {
		p, err := labs.ProgressPath()
		if err != nil {
			return err
		}
		o.ProgressPath = p
	}
	if o.Cluster != nil {
		return nil
	}
	c, err := connectLab(o.Globals)
	if err != nil {
		return err
	}
	o.Cluster = c.cluster
	return nil
}

// Run resets the lab.
func (o *LabResetOptions) Run(ctx context.Context) error {
	l := o.Lab
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	// Deleting a namespace takes seconds (the namespace controller removes
	// every object in it first): say what the wait is for.
	fmt.Fprintf(o.ErrOut, "resetting lab %s: deleting namespace(s) %s and waiting until they are gone...\n", l.ID, strings.Join(l.Namespaces(), ", "))
	if err := o.Cluster.Reset(ctx, l); err != nil {
		return labError(fmt.Errorf("reset lab %s: %w", l.ID, err))
	}
	if prog, err := labs.LoadProgress(o.ProgressPath); err == nil && prog.Hints[l.ID] > 0 {
		delete(prog.Hints, l.ID)
		if err := prog.Save(o.ProgressPath); err != nil {
			return err
		}
	}
	gone := "is gone"
	if len(l.Namespaces()) > 1 {
		gone = "are gone"
	}
	fmt.Fprintf(o.Out, "Lab %s reset: %s %s.\n", l.ID, strings.Join(l.Namespaces(), ", "), gone)
	if l.ClusterWide {
		fmt.Fprintf(o.Out, "%s is back to the replica count it had before the lab.\n", breaksWhat(l))
	}
	return nil
}
