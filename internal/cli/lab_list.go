package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/labs"
)

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
		RunE:  runSteps(o.Validate, o.Run),
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

// Validate rejects unknown output formats.
func (o *LabListOptions) Validate() error {
	return validateTextOrJSON(o.Output)
}

// Run prints the catalog.
func (o *LabListOptions) Run() error {
	all, err := labs.Catalog()
	if err != nil {
		return err
	}
	if o.Output == "json" {
		out := make([]labs.Summary, 0, len(all))
		for _, l := range all {
			out = append(out, l.Summary())
		}
		return writeJSON(o.Out, out)
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
