package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/safetext"
)

// LabStartOptions is `hopscope lab start N`.
type LabStartOptions struct {
	LabClusterOptions
	// AllowClusterWide is --i-know-this-breaks-cluster-dns.
	AllowClusterWide bool
	// Wait bounds how long start waits for the lab's Deployments to roll out.
	Wait time.Duration
}

func newLabStartCommand(cluster LabClusterOptions) *cobra.Command {
	o := &LabStartOptions{LabClusterOptions: cluster}
	cmd := labVerb("start ID", "Apply a lab's broken app into its own namespace hopscope-lab-ID (server-side apply; safe to repeat)",
		`  hopscope lab start 1
  hopscope lab start 5 --i-know-this-breaks-cluster-dns   # cluster-wide lab on a cluster that is not the local one`,
		&o.Lab, runE(o.Run, o.Validate, o.Complete))
	cmd.Flags().BoolVar(&o.AllowClusterWide, "i-know-this-breaks-cluster-dns", false, "let a cluster-wide lab break a cluster that is not hopscope's local practice cluster")
	cmd.Flags().DurationVar(&o.Wait, "wait", 2*time.Minute, "how long to wait for the lab's Deployments to roll out (0: do not wait)")
	return cmd
}

// Run starts the lab and prints the briefing.
func (o *LabStartOptions) Run(ctx context.Context) error {
	l := o.Lab
	if err := o.Cluster.Start(ctx, l, labs.StartOptions{AllowClusterWide: o.AllowClusterWide}); err != nil {
		return labError(fmt.Errorf("start lab %s: %w", l.ID, err))
	}
	objs, _ := l.BrokenObjects()
	fmt.Fprintf(o.Out, "Lab %s started in namespace %s (%d objects applied).\n", l.ID, labNamespaces(l), len(objs))
	if l.ClusterWide {
		fmt.Fprintf(o.Out, "⚠ %s is broken for the whole cluster now; `hopscope lab reset %s` restores it.\n", breaksWhat(l), l.ID)
	}
	if o.Wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, o.Wait)
		err := o.Cluster.Settle(wctx, l)
		cancel()
		if err != nil {
			// The error may quote the cluster (a pod's waiting message).
			fmt.Fprintf(o.ErrOut, "note: the lab has not finished rolling out (%s); `hopscope lab check %s` may see it half-started.\n", safetext.Sanitize(err.Error()), l.ID)
		}
	}
	fmt.Fprintln(o.Out)
	printBriefing(o.Out, l)
	fmt.Fprintf(o.Out, "\nWhen you think it is fixed:  hopscope lab check %s\nStuck?                      hopscope lab hint %s\n", l.ID, l.ID)
	return nil
}
