package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/examples"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// DemoOptions is `hopscope demo`: diagnose the article's broken labs, bundled
// in the binary, one after the other. It needs no cluster and no files, so it
// is the first thing a new user runs.
type DemoOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Output  string
}

func newDemoCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DemoOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Diagnose the bundled broken labs of the seed article (no cluster needed)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			switch o.Output {
			case "text", "markdown", "json":
			default:
				// One report per example: html and sarif documents cannot be
				// concatenated, so demo offers the formats that can.
				return usageErrorf("--output %q: demo prints text, markdown or json (use 'diagnose -f' for html and sarif)", o.Output)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text, markdown or json (an array with one result per example)")
	return cmd
}

// Run diagnoses every bundled example; it exits 1 because every example is
// broken on purpose.
func (o *DemoOptions) Run() error {
	color := decideColor(o.Globals, o.Out)
	worst := diagnose.Severity("")
	type demoResult struct {
		File   string           `json:"file"`
		Title  string           `json:"title"`
		Result *diagnose.Result `json:"result"`
	}
	var all []demoResult
	for i, ex := range examples.Seed {
		data, err := examples.Read(ex.File)
		if err != nil {
			return fmt.Errorf("demo: read %s: %w", ex.File, err)
		}
		s := snapshot.New()
		if err := source.DecodeBytes(s, ex.File, data, ""); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		s.Index()
		res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{})
		if err != nil {
			return fmt.Errorf("demo: %s: %w", ex.File, err)
		}
		switch o.Output {
		case "json":
			all = append(all, demoResult{File: ex.File, Title: ex.Title, Result: report.Sanitized(res)})
		case "text":
			if i > 0 {
				fmt.Fprintln(o.Out)
			}
			fmt.Fprintf(o.Out, "━━ %s\n   (%s)\n\n", ex.Title, ex.File)
		case "markdown":
			fmt.Fprintf(o.Out, "# %s\n\n`%s`\n\n", ex.Title, ex.File)
		}
		if o.Output != "json" {
			if err := report.Render(o.Out, o.Output, res, report.Options{Color: color, Checks: checks.All()}); err != nil {
				return fmt.Errorf("demo: render: %w", err)
			}
		}
		if m := res.MaxSeverity(); m.Rank() > worst.Rank() {
			worst = m
		}
	}
	if o.Output == "json" {
		if err := writeJSON(o.Out, all); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if o.Output == "text" {
		fmt.Fprintln(o.Out, "\nEvery example above is broken on purpose. Next: the same diagnosis live on a local cluster —")
		fmt.Fprintln(o.Out, "  cd testenv && go run ./cmd/hopscope-lab demo     (first build ~12 min on 2 cores, then seconds)")
	}
	if worst.Rank() >= diagnose.SeverityError.Rank() {
		return &ExitError{Code: ExitFindings}
	}
	return nil
}
