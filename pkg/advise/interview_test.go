package advise

import (
	"errors"
	"strings"
	"testing"
)

// scriptedAsker answers the interview from a script, question by question,
// and records what was asked.
type scriptedAsker struct {
	answers map[string]any // bool for YesNo, int for Choose; missing: the default
	asked   []string
}

func (s *scriptedAsker) YesNo(q string, def bool) (bool, error) {
	s.asked = append(s.asked, q)
	if v, ok := s.answers[q]; ok {
		return v.(bool), nil
	}
	return def, nil
}

func (s *scriptedAsker) Choose(q string, choices []string) (int, error) {
	s.asked = append(s.asked, q)
	if v, ok := s.answers[q]; ok {
		return v.(int), nil
	}
	return 0, nil
}

func TestInterviewLeadsToGatewayAPI(t *testing.T) {
	cases := []struct {
		name    string
		answers map[string]any
		want    Choice
		reason  string
	}{
		{"split roles", map[string]any{QuestionCaller: 1, QuestionRoleSplit: true}, GatewayAPI, "platform team runs the entry point"},
		{"header or weight routing", map[string]any{QuestionCaller: 1, QuestionRouting: true}, GatewayAPI, "weighted backendRefs"},
		{"gRPC", map[string]any{QuestionCaller: 1, QuestionGRPC: true, QuestionCloudLB: true}, GatewayAPI, "GRPCRoute routes by gRPC service and method"},
		{"plain HTTP production stays on Ingress", map[string]any{QuestionCaller: 1}, Ingress, ""},
		{"internal", map[string]any{QuestionCaller: 0}, ClusterIP, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &scriptedAsker{answers: c.answers}
			n, err := Interview(a)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Recommend(n)
			if err != nil {
				t.Fatal(err)
			}
			if r.Choice != c.want {
				t.Fatalf("needs %+v → %s, want %s", n, r.Choice, c.want)
			}
			if c.reason != "" && !containsText(r.Reasons, c.reason) {
				t.Errorf("reasons %v lack %q", r.Reasons, c.reason)
			}
		})
	}
}

func TestInterviewAsksOnlyWhatIsOpen(t *testing.T) {
	a := &scriptedAsker{answers: map[string]any{QuestionCaller: 1, QuestionHTTP: false}}
	n, err := Interview(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range a.asked {
		if q == QuestionGRPC || q == QuestionRoleSplit || q == QuestionRouting {
			t.Errorf("TCP traffic was asked %q: TCPRoute is experimental, the interview does not lead there", q)
		}
	}
	if n.Protocol != TCP {
		t.Errorf("protocol %q", n.Protocol)
	}
	a = &scriptedAsker{answers: map[string]any{QuestionCaller: 1, QuestionDebug: true}}
	if n, _ = Interview(a); !n.Debug || len(a.asked) != 2 {
		t.Errorf("debugging ends the interview: %+v after %v", n, a.asked)
	}
}

func TestInterviewStopsOnError(t *testing.T) {
	stop := errors.New("end of input")
	if _, err := Interview(failingAsker{stop}); !errors.Is(err, stop) {
		t.Errorf("err %v", err)
	}
}

type failingAsker struct{ err error }

func (f failingAsker) YesNo(string, bool) (bool, error)     { return false, f.err }
func (f failingAsker) Choose(string, []string) (int, error) { return 1, nil }

func containsText(lines []string, part string) bool {
	for _, l := range lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}
