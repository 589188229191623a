package quiz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/labs"
)

func TestQuestions(t *testing.T) {
	qs, err := Questions(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := labs.Catalog()
	if want := 5 + gatewayQuestions + len(all); len(qs) != want {
		t.Fatalf("%d questions, want %d (5 rapid-fire + %d Gateway API + one per lab)", len(qs), want, gatewayQuestions)
	}
	ids := map[string]bool{}
	prompts := map[string]bool{}
	letters := map[int]bool{}
	for _, q := range qs {
		if ids[q.ID] || prompts[q.Prompt] {
			t.Errorf("question %s (%q) asked twice", q.ID, q.Prompt)
		}
		ids[q.ID], prompts[q.Prompt] = true, true
		if len(q.Choices) < 3 || q.Correct < 0 || q.Correct >= len(q.Choices) || q.Explanation == "" || q.Source == "" {
			t.Errorf("malformed question %+v", q)
		}
		letters[q.Correct] = true
	}
	if len(letters) < 3 {
		t.Errorf("the right answers sit on only %d distinct letters; choices are not shuffled", len(letters))
	}
	if qs[0].Source != "rapid-fire" || qs[len(qs)-1].Source != "lab "+all[len(all)-1].ID {
		t.Errorf("order: first %s, last %s", qs[0].Source, qs[len(qs)-1].Source)
	}
	again, _ := Questions(Filter{})
	for i := range qs {
		if qs[i].Correct != again[i].Correct || strings.Join(qs[i].Choices, "|") != strings.Join(again[i].Choices, "|") {
			t.Fatalf("question %s is arranged differently on a second call", qs[i].ID)
		}
	}
}

// gatewayQuestions is how many questions gatewayapi.yaml holds.
const gatewayQuestions = 7

// TestGatewayAPIQuestions: the Gateway API questions follow the rapid-fire,
// cover the topics a platform engineer meets when moving from Ingress, and
// each explanation backs its answer with the concept it teaches.
func TestGatewayAPIQuestions(t *testing.T) {
	qs, err := Questions(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Question{}
	for i, q := range qs {
		if q.Source != "gateway-api" {
			continue
		}
		if i < 5 || i >= 5+gatewayQuestions {
			t.Errorf("%s at position %d, want right after the rapid-fire", q.ID, i)
		}
		byID[q.ID] = q
	}
	for id, want := range map[string][]string{
		"gateway-allowed-routes-selector": {"Namespace object", "labels of the route's Namespace", "from: Same"},
		"gateway-referencegrant":          {"in namespace backend", "RefNotPermitted", "certificateRefs"},
		"gateway-section-name":            {"listener named https", "NoMatchingParent"},
		"gateway-hostname-intersection":   {"does not attach", "not the apex", "NoMatchingListenerHostname"},
		"gateway-programmed-accepted":     {"data plane", "observedGeneration"},
		"gateway-weight-zero":             {"error", "weight 0"},
		"gateway-no-ready-endpoints":      {"endpoints", "503", "readiness"},
	} {
		q, ok := byID[id]
		if !ok {
			t.Errorf("no question %s", id)
			continue
		}
		text := q.Answer() + "\n" + q.Explanation
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: answer and explanation lack %q", id, w)
			}
		}
	}
	if len(byID) != gatewayQuestions {
		t.Errorf("%d Gateway API questions, want %d", len(byID), gatewayQuestions)
	}
	one, err := Questions(Filter{Lab: "1"})
	if err != nil || len(one) != 1 {
		t.Errorf("a lab filter must not bring the Gateway API questions: %d, %v", len(one), err)
	}
}

// TestArrangeKeepsTheAnswer: shuffling moves the right choice with its text.
func TestArrangeKeepsTheAnswer(t *testing.T) {
	for _, id := range []string{"a", "b", "lab-1", "rapid-endpoints", "zz"} {
		q := arrange(Question{ID: id, Choices: []string{"right", "w1", "w2", "w3"}, Correct: 0})
		if q.Answer() != "right" {
			t.Errorf("%s: answer %q after arranging", id, q.Answer())
		}
	}
}

func TestFilter(t *testing.T) {
	rf, err := Questions(Filter{RapidFireOnly: true})
	if err != nil || len(rf) != 5 {
		t.Fatalf("rapid-fire only: %d, %v", len(rf), err)
	}
	one, err := Questions(Filter{Lab: "3"})
	if err != nil || len(one) != 1 || one[0].ID != "lab-3" {
		t.Fatalf("lab 3 only: %+v, %v", one, err)
	}
	if _, err := Questions(Filter{Lab: "nope"}); err == nil {
		t.Fatal("an unknown lab must be an error")
	}
}

// answerFor returns the letter that answers q right, or a wrong one.
func answerFor(q Question, right bool) string {
	if right {
		return Letter(q.Correct)
	}
	return Letter((q.Correct + 1) % len(q.Choices))
}

func TestSessionScores(t *testing.T) {
	qs, _ := Questions(Filter{RapidFireOnly: true})
	qs = qs[:4]
	input := strings.Join([]string{
		answerFor(qs[0], true),
		"x", "", answerFor(qs[1], false), // two invalid lines, then a wrong answer
		"s",
		strings.ToUpper(answerFor(qs[3], true)),
	}, "\n") + "\n"
	var out bytes.Buffer
	sc, err := Session{In: strings.NewReader(input), Out: &out, Questions: qs}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if sc != (Score{Asked: 4, Right: 2, Wrong: 1, Skipped: 1}) {
		t.Fatalf("score %+v\n%s", sc, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"[1/4] rapid-fire", "✓ Right.", "✗ Not quite. The answer: " + Letter(qs[1].Correct) + ") " + qs[1].Answer(),
		"Please answer with a letter from a to d", "Skipped. The answer:", "Why: ", "Score: 2/4 right (50%), 1 skipped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Please answer"); n != 2 {
		t.Errorf("%d re-prompts, want 2", n)
	}
}

func TestSessionQuitAndEOF(t *testing.T) {
	qs, _ := Questions(Filter{RapidFireOnly: true})
	for name, input := range map[string]string{
		"q":   answerFor(qs[0], true) + "\nq\n",
		"eof": answerFor(qs[0], true) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			sc, err := Session{In: strings.NewReader(input), Out: &out, Questions: qs}.Run()
			if err != nil {
				t.Fatal(err)
			}
			if sc != (Score{Asked: 1, Right: 1, Quit: true}) {
				t.Fatalf("score %+v", sc)
			}
			if !strings.Contains(out.String(), "Score: 1/1 right (100%) — stopped early") {
				t.Errorf("closing line missing:\n%s", out.String())
			}
		})
	}
}

func TestList(t *testing.T) {
	qs, _ := Questions(Filter{})
	var out bytes.Buffer
	List(&out, qs)
	for _, q := range qs {
		if !strings.Contains(out.String(), q.Prompt) || !strings.Contains(out.String(), "Answer: "+Letter(q.Correct)+") "+q.Answer()) {
			t.Errorf("list lacks %s or its answer", q.ID)
		}
	}
}
