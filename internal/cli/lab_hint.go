package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/labs"
)

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
	cmd := labVerb("hint ID", "Show the lab's next hint; each one says a little more",
		`  hopscope lab hint 1
  hopscope lab hint 1 --level 1    # show the first hint again`,
		&o.Lab, runSteps(o.Complete, o.Validate, o.Run))
	cmd.Flags().IntVar(&o.Level, "level", 0, "show hint number N (1 is the gentlest) instead of the next one")
	return cmd
}

// Complete finds the progress file.
func (o *LabHintOptions) Complete() error {
	return completeProgressPath(&o.ProgressPath)
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
