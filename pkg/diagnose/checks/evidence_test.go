package checks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A clipped message is valid UTF-8 whatever character straddles the limit:
// a cut inside a character would put invalid bytes into every report.
func TestClipCutsBetweenCharacters(t *testing.T) {
	for _, char := range []string{"é", "日", "😀"} {
		for pad := 0; pad < len(char); pad++ {
			msg := strings.Repeat("a", pad) + strings.Repeat(char, maxMessage)
			got := clip(msg)
			if !utf8.ValidString(got) {
				t.Errorf("%q after %d bytes: clipped to invalid UTF-8 %q", char, pad, got[len(got)-8:])
			}
			body := strings.TrimSuffix(got, "…")
			if len(body) > maxMessage || len(body) <= maxMessage-utf8.UTFMax || !strings.HasPrefix(msg, body) {
				t.Errorf("%q after %d bytes: kept %d bytes, want a prefix of at most %d cut at the last whole character", char, pad, len(body), maxMessage)
			}
		}
	}
	if got := clip("  short message \n"); got != "short message" {
		t.Errorf("short message: %q", got)
	}
	exact := strings.Repeat("a", maxMessage)
	if got := clip(exact); got != exact {
		t.Errorf("a message of exactly maxMessage bytes was clipped")
	}
	// Invalid UTF-8 at the limit is cut at the limit (the output boundary
	// escapes it), not searched backwards without end.
	invalid := strings.Repeat("\x80", 2*maxMessage)
	if got := strings.TrimSuffix(clip(invalid), "…"); len(got) < maxMessage-utf8.UTFMax {
		t.Errorf("invalid UTF-8 clipped to %d bytes", len(got))
	}
}
