package checks

// Which existing name a wrong one most likely meant.

import (
	"testing"
)

func TestTypoOrSuffix(t *testing.T) {
	cases := []struct {
		want, have string
		close      bool
	}{
		{"frontnd", "frontend", true},
		{"api-sv", "api-svc", true},
		{"api", "api-svc", true},
		{"wrong-svc", "api-svc", false},
		{"db", "dc", false}, // one edit is half of a two-letter name
		{"web", "web", false},
		{"blog", "static", false},
	}
	for _, c := range cases {
		if got := typoOrSuffix(c.want, c.have); got != c.close {
			t.Errorf("typoOrSuffix(%q, %q) = %v, want %v", c.want, c.have, got, c.close)
		}
	}
}
