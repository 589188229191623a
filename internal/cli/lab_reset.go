package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopscope/hopscope/pkg/labs"
)

// LabResetOptions is `hopscope lab reset N`: delete the lab's namespaces
// (and restore what a cluster-wide lab broke), then wait until they are gone.
type LabResetOptions struct {
	LabClusterOptions
	Timeout time.Duration
	// ProgressPath is where hint progress is kept; it is cleared for the lab.
	ProgressPath string
}

func newLabResetCommand(cluster LabClusterOptions) *cobra.Command {
	o := &LabResetOptions{LabClusterOptions: cluster}
	cmd := labVerb("reset ID", "Delete the lab's namespace and wait until it is gone; a cluster-wide lab also restores what it broke",
		"  hopscope lab reset 1", &o.Lab, runE(o.Run, o.Validate, o.Complete))
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 3*time.Minute, "how long to wait for the namespace to be deleted")
	return cmd
}

// Complete finds the progress file and connects to the cluster.
func (o *LabResetOptions) Complete() error {
	if err := completeProgressPath(&o.ProgressPath); err != nil {
		return err
	}
	return o.LabClusterOptions.Complete()
}

// Run resets the lab.
func (o *LabResetOptions) Run(ctx context.Context) error {
	l := o.Lab
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	// Deleting a namespace takes seconds (the namespace controller removes
	// every object in it first): say what the wait is for.
	fmt.Fprintf(o.ErrOut, "resetting lab %s: deleting namespace(s) %s and waiting until they are gone...\n", l.ID, labNamespaces(l))
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
	fmt.Fprintf(o.Out, "Lab %s reset: %s %s.\n", l.ID, labNamespaces(l), gone)
	if l.ClusterWide {
		fmt.Fprintf(o.Out, "%s is back to the replica count it had before the lab.\n", breaksWhat(l))
	}
	return nil
}
