package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/labs"
)

// LabShowOptions is `hopscope lab show N`: the briefing, without the answer.
type LabShowOptions struct {
	genericiooptions.IOStreams
	Lab *labs.Lab
}

func newLabShowCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabShowOptions{IOStreams: streams}
	return labVerb("show ID", "Show a lab's scenario, symptoms and what to observe (not the answer)", "  hopscope lab show 1",
		&o.Lab, runSteps(o.Run))
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
	meta = append(meta, "namespace "+labNamespaces(l))
	fmt.Fprintln(w, strings.Join(meta, " · "))
	if l.ClusterWide {
		fmt.Fprintf(w, "⚠ Cluster-wide: this lab breaks %s for every namespace. It runs on hopscope's local cluster (`hopscope lab up`) unless you pass --i-know-this-breaks-cluster-dns; `hopscope lab reset %s` restores it.\n", breaksWhat(l), l.ID)
	}
	if len(l.Needs) > 0 {
		fmt.Fprintf(w, "ⓘ This fault shows only in what the cluster does: `hopscope lab check %s` also %s, and writes nothing. It shows on any cluster; on hopscope's local cluster (`hopscope lab up`) the kubelet stand-in plays it.\n", l.ID, l.NeedsText())
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
