package cli

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/cli/clitest"
	"github.com/hopscope/hopscope/internal/testbinary"
	"github.com/hopscope/hopscope/pkg/quiz"
)

// TestQuizInTmux plays the real binary in a real terminal, as a person
// would: tmux runs `hopscope quiz`, the test reads the screen with
// capture-pane and types with send-keys, answering the first question
// right and the second wrong, and checks the score on the screen.
func TestQuizInTmux(t *testing.T) {
	tmux := testbinary.Find(t, "HOPSCOPE_REQUIRE_TMUX", "apt-get install -y tmux", "tmux")
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := clitest.Build(t, "hopscope")

	// A private tmux server (its own socket) so the test never touches a
	// user's sessions; killing it ends everything it started.
	socket := "hopscope-quiz-test-" + strconv.Itoa(os.Getpid())
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-u", "-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", socket, "kill-server").Run() })
	// The shell keeps the pane open after the quiz ends so its last screen
	// can be read.
	tm("new-session", "-d", "-s", "quiz", "-x", "160", "-y", "60",
		"env LANG=C.UTF-8 NO_COLOR=1 "+bin+" quiz --rapid-fire --count 2; echo QUIZ-EXIT=$?; sleep 300")

	screen := func() string { return tm("capture-pane", "-p", "-J", "-t", "quiz", "-S", "-200") }
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := screen()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	prompts := func(n int) func(string) bool {
		return func(s string) bool { return strings.Count(s, "Your answer (a-") >= n }
	}

	qs, err := quiz.Questions(quiz.Filter{RapidFireOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the first question", prompts(1))
	tm("send-keys", "-t", "quiz", quiz.Letter(qs[0].Correct), "Enter")
	waitFor("the second question", prompts(2))
	wrong := quiz.Letter((qs[1].Correct + 1) % len(qs[1].Choices))
	tm("send-keys", "-t", "quiz", wrong, "Enter")
	s := waitFor("the score", func(s string) bool { return strings.Contains(s, "QUIZ-EXIT=") })

	wantAll(t, "screen", s,
		"[1/2] rapid-fire", qs[0].Prompt, "Right.",
		"[2/2] rapid-fire", qs[1].Prompt, "Not quite. The answer: "+quiz.Letter(qs[1].Correct)+")",
		"Why: ", "Score: 1/2 right (50%)", "QUIZ-EXIT=0",
	)
}
