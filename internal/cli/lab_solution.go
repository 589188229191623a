package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// LabSolutionOptions is `hopscope lab solution N`, optionally applying the
// fix to the running lab.
type LabSolutionOptions struct {
	LabClusterOptions
	// Apply applies the fix manifests to the running lab.
	Apply bool
}

func newLabSolutionCommand(cluster LabClusterOptions) *cobra.Command {
	o := &LabSolutionOptions{LabClusterOptions: cluster}
	cmd := labVerb("solution ID", "Explain the lab's root cause, the fix and how to verify it; --apply repairs the running lab",
		`  hopscope lab solution 1
  hopscope lab solution 1 --apply   # apply the fixed manifests, then: hopscope lab check 1`,
		&o.Lab, runE(o.Run, o.Validate, o.Complete))
	cmd.Flags().BoolVar(&o.Apply, "apply", false, "apply the fix to the running lab (server-side apply into its namespace)")
	return cmd
}

// Validate refuses a foreign namespace for --apply; printing the solution
// touches no cluster.
func (o *LabSolutionOptions) Validate() error {
	if !o.Apply {
		return nil
	}
	return o.LabClusterOptions.Validate()
}

// Complete connects to the cluster for --apply.
func (o *LabSolutionOptions) Complete() error {
	if !o.Apply {
		return nil
	}
	return o.LabClusterOptions.Complete()
}

// Run prints the solution, then applies the fix when asked.
func (o *LabSolutionOptions) Run(ctx context.Context) error {
	l := o.Lab
	w := o.Out
	fmt.Fprintf(w, "Lab %s · %s — solution\n\nRoot cause\n%s", l.ID, l.Title, indent(l.Solution, "  "))
	fmt.Fprintf(w, "\nWhat hopscope reports: %s on %s %s", l.Expect.Reported(), l.Expect.Kind, l.Expect.Name)
	if l.Expect.Namespace != "" {
		fmt.Fprintf(w, " (namespace %s)", l.Expect.Namespace)
	}
	if l.Source != "" {
		fmt.Fprintf(w, "\nModelled on: %s", l.Source)
	}
	if l.Simulated != "" {
		fmt.Fprintf(w, "\n\nOn the local cluster and elsewhere\n%s", strings.TrimRight(indent(l.Simulated, "  "), "\n"))
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
	fmt.Fprintf(w, "\nFix applied to %s. Check it: hopscope lab check %s --wait 1m\n", labNamespaces(l), l.ID)
	return nil
}
