package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/quiz"
)

// QuizOptions is `hopscope quiz`: the interview rapid-fire and every lab's
// interview question, asked one by one on the terminal and scored.
type QuizOptions struct {
	genericiooptions.IOStreams

	List      bool
	Output    string
	Count     int
	Shuffle   bool
	Seed      uint64
	Lab       string
	RapidFire bool
}

func newQuizCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &QuizOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "quiz",
		Short: "Interview rapid-fire, Gateway API questions and the labs' interview questions, scored, with the answer explained after each",
		Example: `  hopscope quiz                   # every question, answer with a letter
  hopscope quiz --rapid-fire      # the five rapid-fire questions only
  hopscope quiz --shuffle --count 5   # five questions in random order
  hopscope quiz --list            # read every question and answer`,
		Args: cobra.NoArgs,
		RunE: runSteps(o.Validate, o.Run),
	}
	f := cmd.Flags()
	f.BoolVar(&o.List, "list", false, "print every question with its answer instead of asking")
	f.StringVarP(&o.Output, "output", "o", "text", "format of --list: text or json")
	f.IntVar(&o.Count, "count", 0, "ask at most this many questions")
	f.BoolVar(&o.Shuffle, "shuffle", false, "ask in random order")
	f.Uint64Var(&o.Seed, "seed", 0, "seed for --shuffle, to repeat an order (default: the clock)")
	f.StringVar(&o.Lab, "lab", "", "only this lab's interview question")
	f.BoolVar(&o.RapidFire, "rapid-fire", false, "only the rapid-fire questions")
	return cmd
}

// Validate rejects contradicting filters.
func (o *QuizOptions) Validate() error {
	if o.Lab != "" && o.RapidFire {
		return usageErrorf("--lab and --rapid-fire pick different questions: use one")
	}
	if o.Count < 0 {
		return usageErrorf("--count %d: want a positive number", o.Count)
	}
	if err := validateTextOrJSON(o.Output); err != nil {
		return err
	}
	if o.Output == "json" && !o.List {
		return usageErrorf("--output json goes with --list; the quiz itself is interactive")
	}
	return nil
}

// Run lists the questions or asks them.
func (o *QuizOptions) Run() error {
	qs, err := quiz.Questions(quiz.Filter{RapidFireOnly: o.RapidFire, Lab: o.Lab})
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	if o.Shuffle {
		seed := o.Seed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		quiz.Shuffle(qs, seed)
	}
	if o.Count > 0 && o.Count < len(qs) {
		qs = qs[:o.Count]
	}
	if o.List {
		if o.Output == "json" {
			return writeJSON(o.Out, qs)
		}
		quiz.List(o.Out, qs)
		return nil
	}
	fmt.Fprintf(o.Out, "hopscope quiz: %d question(s). Answer with the letter; s skips, q quits.\n", len(qs))
	_, err = quiz.Session{In: o.In, Out: o.Out, Questions: qs}.Run()
	return err
}
