package quiz

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Score counts a session's answers.
type Score struct {
	Asked   int `json:"asked"`
	Right   int `json:"right"`
	Wrong   int `json:"wrong"`
	Skipped int `json:"skipped"`
	// Quit is true when the learner stopped before the last question.
	Quit bool `json:"quit"`
}

// Session asks questions on plain text streams: it prints a question with
// lettered choices, reads one line, says right or wrong and explains.
// Plain prompts work in any terminal, over ssh, and in a pipe.
type Session struct {
	In        io.Reader
	Out       io.Writer
	Questions []Question
}

// Run asks every question in order and prints the score. End of input or
// "q" stops early; the score covers what was answered.
func (s Session) Run() (Score, error) {
	var sc Score
	in := bufio.NewReader(s.In)
	total := len(s.Questions)
	for i, q := range s.Questions {
		fmt.Fprintf(s.Out, "\n[%d/%d] %s\n%s\n", i+1, total, q.Source, q.Prompt)
		for j, c := range q.Choices {
			fmt.Fprintf(s.Out, "  %s) %s\n", Letter(j), c)
		}
		choice, err := ask(in, s.Out, len(q.Choices))
		if errors.Is(err, errQuit) {
			sc.Quit = true
			break
		}
		if err != nil {
			return sc, err
		}
		sc.Asked++
		right := fmt.Sprintf("%s) %s", Letter(q.Correct), q.Answer())
		switch {
		case choice < 0:
			sc.Skipped++
			fmt.Fprintf(s.Out, "Skipped. The answer: %s\n", right)
		case choice == q.Correct:
			sc.Right++
			fmt.Fprintln(s.Out, "✓ Right.")
		default:
			sc.Wrong++
			fmt.Fprintf(s.Out, "✗ Not quite. The answer: %s\n", right)
		}
		fmt.Fprintf(s.Out, "Why: %s\n", oneParagraph(q.Explanation))
	}
	fmt.Fprintf(s.Out, "\n%s\n", sc)
	return sc, nil
}

// String is the closing line of a session.
func (sc Score) String() string {
	pct := 0
	if sc.Asked > 0 {
		pct = sc.Right * 100 / sc.Asked
	}
	line := fmt.Sprintf("Score: %d/%d right (%d%%)", sc.Right, sc.Asked, pct)
	if sc.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", sc.Skipped)
	}
	if sc.Quit {
		line += " — stopped early"
	}
	return line
}

var errQuit = errors.New("quit")

// ask reads answers until one is valid: a choice letter (its index), "s"
// (skip: -1) or "q"/end of input (errQuit).
func ask(in *bufio.Reader, out io.Writer, n int) (int, error) {
	last := Letter(n - 1)
	for {
		fmt.Fprintf(out, "Your answer (a-%s, s to skip, q to quit): ", last)
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read answer: %w", err)
		}
		ans := strings.ToLower(strings.TrimSpace(line))
		if errors.Is(err, io.EOF) && ans == "" {
			fmt.Fprintln(out)
			return 0, errQuit
		}
		switch {
		case ans == "q" || ans == "quit":
			return 0, errQuit
		case ans == "s" || ans == "skip":
			return -1, nil
		case len(ans) == 1 && ans[0] >= 'a' && int(ans[0]-'a') < n:
			return int(ans[0] - 'a'), nil
		}
		fmt.Fprintf(out, "Please answer with a letter from a to %s (s skips, q quits).\n", last)
		if errors.Is(err, io.EOF) {
			return 0, errQuit
		}
	}
}

// oneParagraph joins a multi-line explanation into one line of prose.
func oneParagraph(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// List prints every question with its answer and explanation, for reading.
func List(w io.Writer, qs []Question) {
	for i, q := range qs {
		fmt.Fprintf(w, "%d. [%s] %s\n", i+1, q.Source, q.Prompt)
		for j, c := range q.Choices {
			mark := " "
			if j == q.Correct {
				mark = "*"
			}
			fmt.Fprintf(w, "   %s %s) %s\n", mark, Letter(j), c)
		}
		fmt.Fprintf(w, "   Answer: %s) %s\n   Why: %s\n\n", Letter(q.Correct), q.Answer(), oneParagraph(q.Explanation))
	}
}
