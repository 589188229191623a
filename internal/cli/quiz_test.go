package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/quiz"
)

// TestQuizThroughStreams plays the quiz the way a person types: one right
// answer, one wrong, then quit.
func TestQuizThroughStreams(t *testing.T) {
	qs, err := quiz.Questions(quiz.Filter{RapidFireOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	right := quiz.Letter(qs[0].Correct)
	wrong := quiz.Letter((qs[1].Correct + 1) % len(qs[1].Choices))
	out, errOut, code := run(t, right+"\n"+wrong+"\nq\n", "quiz", "--rapid-fire")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantAll(t, "quiz output", out, "5 question(s)", qs[0].Prompt, "✓ Right.", "✗ Not quite. The answer: "+quiz.Letter(qs[1].Correct), "Score: 1/2 right (50%) — stopped early")
}

func TestQuizList(t *testing.T) {
	out, _, code := run(t, "", "quiz", "--list")
	qs, _ := quiz.Questions(quiz.Filter{})
	if code != 0 || strings.Count(out, "Answer: ") != len(qs) {
		t.Fatalf("exit %d, %d answers listed, want %d", code, strings.Count(out, "Answer: "), len(qs))
	}
	out, _, _ = run(t, "", "quiz", "--list", "--lab", "7", "-o", "json")
	var got []quiz.Question
	if json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0].ID != "lab-7" {
		t.Fatalf("--list --lab 7 -o json:\n%s", out)
	}
}

func TestQuizUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"quiz", "--lab", "1", "--rapid-fire"},
		{"quiz", "--lab", "99"},
		{"quiz", "-o", "json"},
		{"quiz", "--count", "-1"},
	} {
		if _, _, code := run(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
