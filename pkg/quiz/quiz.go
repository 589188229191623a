// Package quiz asks the seed article's interview rapid-fire and every lab's
// interview question as multiple choice, scores the answers and explains
// each one.
//
//	qs, _ := quiz.Questions(quiz.Filter{})
//	score, _ := quiz.Session{In: os.Stdin, Out: os.Stdout, Questions: qs}.Run()
package quiz

import (
	_ "embed"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/labs"
)

//go:embed rapidfire.yaml
var rapidFireYAML []byte

// gatewayAPIYAML holds the questions for engineers moving north-south
// traffic from Ingress to Gateway API; asked after the rapid-fire.
//
//go:embed gatewayapi.yaml
var gatewayAPIYAML []byte

// Question is one multiple-choice question.
type Question struct {
	ID string `json:"id"`
	// Source says where the question comes from: "rapid-fire",
	// "gateway-api" or "lab N".
	Source      string   `json:"source"`
	Prompt      string   `json:"question"`
	Choices     []string `json:"choices"`
	Correct     int      `json:"correct"`
	Explanation string   `json:"explanation"`
}

// Answer is the right choice's text.
func (q Question) Answer() string { return q.Choices[q.Correct] }

// Letter names choice i as it is shown: a, b, c...
func Letter(i int) string { return string(rune('a' + i)) }

// written is one entry of rapidfire.yaml or gatewayapi.yaml, whose first
// choice is right.
type written struct {
	ID          string   `json:"id"`
	Question    string   `json:"question"`
	Choices     []string `json:"choices"`
	Explanation string   `json:"explanation"`
}

// Filter picks questions.
type Filter struct {
	// RapidFireOnly keeps the rapid-fire; Lab keeps one lab's question.
	RapidFireOnly bool
	Lab           string
}

// Questions returns the rapid-fire first, then the Gateway API questions,
// then every lab's interview question in lab order, each with its choices in
// a fixed shuffled order (so the right answer is not always the first, yet
// every run asks the same way).
func Questions(f Filter) ([]Question, error) {
	var out []Question
	if f.Lab == "" {
		rf, err := parseWritten(rapidFireYAML, "rapid-fire")
		if err != nil {
			return nil, err
		}
		out = append(out, rf...)
	}
	if f.RapidFireOnly {
		return out, nil
	}
	if f.Lab == "" {
		gw, err := parseWritten(gatewayAPIYAML, "gateway-api")
		if err != nil {
			return nil, err
		}
		out = append(out, gw...)
	}
	all, err := labs.Catalog()
	if err != nil {
		return nil, err
	}
	for _, l := range all {
		if f.Lab != "" && l.ID != f.Lab && l.Slug != f.Lab {
			continue
		}
		iv := l.Interview
		out = append(out, arrange(Question{ID: "lab-" + l.ID, Source: "lab " + l.ID, Prompt: iv.Question,
			Choices: append([]string(nil), iv.Choices...), Correct: iv.Correct, Explanation: strings.TrimSpace(iv.Answer)}))
	}
	if f.Lab != "" && len(out) == 0 {
		return nil, fmt.Errorf("no lab %q: `hopscope lab list` shows the labs", f.Lab)
	}
	return out, nil
}

// parseWritten reads one embedded question file; source names it in errors
// and in each question's Source.
func parseWritten(data []byte, source string) ([]Question, error) {
	var ws []written
	if err := yaml.UnmarshalStrict(data, &ws); err != nil {
		return nil, fmt.Errorf("%s questions: %w", source, err)
	}
	out := make([]Question, 0, len(ws))
	for _, w := range ws {
		out = append(out, arrange(Question{ID: w.ID, Source: source, Prompt: w.Question,
			Choices: w.Choices, Correct: 0, Explanation: strings.TrimSpace(w.Explanation)}))
	}
	return out, nil
}

// arrange shuffles a question's choices with a seed taken from its ID.
func arrange(q Question) Question {
	h := fnv.New64a()
	h.Write([]byte(q.ID))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))
	perm := r.Perm(len(q.Choices))
	choices := make([]string, len(q.Choices))
	correct := q.Correct
	for to, from := range perm {
		choices[to] = q.Choices[from]
		if from == correct {
			q.Correct = to
		}
	}
	q.Choices = choices
	return q
}

// Shuffle reorders questions with seed, for `quiz --shuffle`.
func Shuffle(qs []Question, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	r.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
}
