package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/probe"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// LabCheckOptions is `hopscope lab check N`: diagnose the lab's namespace
// live and say whether the fault is gone and every path is healthy.
type LabCheckOptions struct {
	LabClusterOptions
	// Explain prints the full findings (cause, evidence, fix) when the lab
	// is not solved.
	Explain bool
	// Wait re-checks until the lab is solved or this much time passed, for
	// a fix that is still rolling out.
	Wait   time.Duration
	Output string

	// Diagnose reads the lab's namespaces and diagnoses them; Complete sets
	// it, or a test.
	Diagnose func(ctx context.Context) (*snapshot.Snapshot, *diagnose.Result, error)
}

func newLabCheckCommand(cluster LabClusterOptions) *cobra.Command {
	o := &LabCheckOptions{LabClusterOptions: cluster}
	cmd := labVerb("check ID", "PASS when the lab's fault is gone and every path in its namespace is healthy; otherwise name the layer still broken",
		`  hopscope lab check 1
  hopscope lab check 1 --explain     # show the full diagnosis (gives the answer away)
  hopscope lab check 1 --wait 1m     # keep checking while a fix rolls out`,
		&o.Lab, runE(o.Run, o.Validate, o.Complete))
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print the full findings: cause, evidence, fix and verify (spoils the lab)")
	cmd.Flags().DurationVar(&o.Wait, "wait", 0, "keep checking until the lab passes or this much time has passed")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

// Validate refuses a foreign namespace and unknown formats.
func (o *LabCheckOptions) Validate() error {
	if err := validateTextOrJSON(o.Output); err != nil {
		return err
	}
	return o.LabClusterOptions.Validate()
}

// Complete connects to the cluster and prepares the live diagnosis of the
// lab's namespaces (all namespaces when the lab owns more than one, so that
// calls between them are seen; the engine is then limited to the lab's).
func (o *LabCheckOptions) Complete() error {
	if o.Cluster != nil && o.Diagnose != nil {
		return nil
	}
	if err := o.connect(); err != nil {
		return err
	}
	l := o.Lab
	live := source.NewLiveForConfig(o.config, l.Namespace())
	if len(l.Namespaces()) > 1 {
		live = source.NewLiveForConfig(o.config, "")
	}
	// A lab whose fault only the cluster's behaviour shows reads more, and
	// only reads: the bounded logs of its failing containers, and level-0
	// probes (GET through the API server's proxy) of every path in it,
	// since the declared state calls those paths healthy.
	load := live.Load
	if l.NeedsLogs() {
		load = liveWithLogs(live)
	}
	var prober *probe.Prober
	if l.NeedsProbe() {
		pr, err := probe.NewProber(o.config)
		if err != nil {
			return fmt.Errorf("lab %s: prepare its probes: %w", l.ID, err)
		}
		prober = &pr
	}
	o.Diagnose = func(ctx context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
		snap, err := load(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("read lab %s from the cluster: %w", l.ID, err)
		}
		res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{Namespace: l.Namespace(), Namespaces: l.Namespaces()})
		if err != nil {
			return nil, nil, fmt.Errorf("diagnose lab %s: %w", l.ID, err)
		}
		if prober != nil {
			plan := probe.Build(res, snap, probe.Options{Level: 0, AllPaths: true})
			if res.Probes, err = prober.Run(ctx, plan); err != nil {
				return nil, nil, fmt.Errorf("probe lab %s: %w", l.ID, err)
			}
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
	// The findings quote the cluster: from here on they are printed as
	// every report prints them, escaped and with credentials redacted.
	v = safeVerdict(v)
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

// safeVerdict is v with every finding passed through the report's output
// boundary (report.SanitizedFinding).
func safeVerdict(v labs.Verdict) labs.Verdict {
	out := v
	if v.Expected != nil {
		f := report.SanitizedFinding(*v.Expected)
		out.Expected = &f
	}
	out.Remaining = report.SanitizedFindings(v.Remaining)
	// Probes quote the cluster's answers; they pass the same boundary, as
	// part of a Result.
	if len(v.FailedProbes) > 0 {
		out.FailedProbes = report.Sanitized(&diagnose.Result{Probes: v.FailedProbes}).Probes
	}
	if v.ExpectedProbe != nil {
		p := report.Sanitized(&diagnose.Result{Probes: []diagnose.Probe{*v.ExpectedProbe}}).Probes[0]
		out.ExpectedProbe = &p
	}
	out.Notes = report.SanitizedFindings(v.Notes)
	if v.BrokenLayers != nil {
		out.BrokenLayers = make([]diagnose.Layer, len(v.BrokenLayers))
		for i, l := range v.BrokenLayers {
			out.BrokenLayers[i] = diagnose.Layer(safetext.Sanitize(string(l)))
		}
	}
	return out
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
	// ExpectedProbe and FailedProbes are set for a lab whose fault only a
	// probe shows (needs: [probe]).
	ExpectedProbe *diagnose.Probe  `json:"expectedProbe,omitempty"`
	FailedProbes  []diagnose.Probe `json:"failedProbes,omitempty"`
	Paths         int              `json:"paths"`
}

func (o *LabCheckOptions) writeJSON(v labs.Verdict, res *diagnose.Result) error {
	out := labVerdictJSON{Lab: o.Lab.ID, Solved: v.Solved, FaultPresent: v.FaultPresent, Expected: v.Expected,
		BrokenLayers: v.BrokenLayers, Remaining: v.Remaining, Notes: v.Notes, Paths: len(res.Traces),
		ExpectedProbe: v.ExpectedProbe, FailedProbes: v.FailedProbes}
	if out.BrokenLayers == nil {
		out.BrokenLayers = []diagnose.Layer{}
	}
	if out.Remaining == nil {
		out.Remaining = []diagnose.Finding{}
	}
	if out.Notes == nil {
		out.Notes = []diagnose.Finding{}
	}
	return writeJSON(o.Out, out)
}

func (o *LabCheckOptions) writeText(v labs.Verdict, res *diagnose.Result) {
	l := o.Lab
	if v.Solved {
		fmt.Fprintf(o.Out, "PASS  lab %s · %s\n", l.ID, l.Title)
		fmt.Fprintf(o.Out, "      The fault is gone and every path in %s is healthy (%d checked).\n", labNamespaces(l), len(res.Traces))
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
	for _, p := range v.FailedProbes {
		fmt.Fprintf(o.Out, "\n  ✗ probe %s · %s · %s on %s\n", p.Test, p.Target, p.Outcome, p.Address)
		fmt.Fprintf(o.Out, "    request: %s\n    saw:     %s\n    expected: %s\n    %s\n", p.Request, p.Detail, p.Expected, p.Note)
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
