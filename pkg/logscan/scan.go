package logscan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hopscope/hopscope/pkg/safetext"
)

// MaxMatches bounds the distinct failures one log yields; a finding quotes
// a few lines, not a log.
const MaxMatches = 5

// maxQuote bounds one quoted line, in bytes.
const maxQuote = 300

// Match is one distinct failure in a log: the first line that shows it, the
// number of lines that show the same thing, and what it is about.
type Match struct {
	Signature *Signature
	Line      int
	// LastLine is the number of the last line that says the same thing.
	LastLine int
	// Text is the first line, credentials redacted and cut to a length a
	// report can quote; it is not yet escaped for a terminal.
	Text string
	// Count is how many lines of the scanned part say the same thing with
	// other numbers, addresses or IDs.
	Count int
	// Target is the host or host:port the line names, when it names one.
	Target string
}

// Quote is the match as a finding's evidence line.
func (m Match) Quote() string {
	q := fmt.Sprintf("line %d: %s", m.Line, m.Text)
	if m.Count > 1 {
		q += fmt.Sprintf(" (%d lines like it)", m.Count)
	}
	return q
}

// What log lines vary in between repeats of one failure.
var (
	maskUUID = regexp.MustCompile(`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`)
	maskIPv4 = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	maskIPv6 = regexp.MustCompile(`\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b|::1\b`)
	maskHex  = regexp.MustCompile(`\b(?:0x)?[0-9a-fA-F]{6,}\b`)
	maskNum  = regexp.MustCompile(`\d+`)
)

// Normalize is a line with what differs between repeats of one failure
// masked: UUIDs, IP addresses, hex IDs of six or more digits, numbers.
func Normalize(line string) string {
	line = maskUUID.ReplaceAllString(line, "<uuid>")
	line = maskIPv4.ReplaceAllString(line, "<ip>")
	line = maskIPv6.ReplaceAllString(line, "<ip>")
	line = maskHex.ReplaceAllStringFunc(line, func(h string) string {
		if !strings.ContainsAny(h, "0123456789") {
			return h // a word such as "deadbeef" or "facade"
		}
		return "<id>"
	})
	return maskNum.ReplaceAllString(line, "<n>")
}

// Scan matches lines against the catalogue and returns the distinct
// failures, first seen first, at most MaxMatches of them.
func Scan(lines []Line) []Match {
	return ScanWith(lines, Catalogue)
}

// ScanWith is Scan against another catalogue: ProxyCatalogue for an
// ingress controller's log, ClusterDNSCatalogue for CoreDNS's.
func ScanWith(lines []Line, catalogue []*Signature) []Match {
	var out []Match
	seen := map[string]int{}
	for _, l := range lines {
		sig := classify(l.Text, catalogue)
		if sig == nil {
			continue
		}
		key := sig.ID + "\x00" + Normalize(l.Text)
		if i, ok := seen[key]; ok {
			out[i].Count++
			out[i].LastLine = l.N
			continue
		}
		if len(out) == MaxMatches {
			continue
		}
		seen[key] = len(out)
		out = append(out, Match{Signature: sig, Line: l.N, LastLine: l.N, Text: quote(l.Text), Count: 1, Target: sig.Target(l.Text)})
	}
	return out
}

func classify(line string, catalogue []*Signature) *Signature {
	for _, s := range catalogue {
		if s.matches(line) {
			return s
		}
	}
	return nil
}

// quote redacts credentials, then cuts the line to maxQuote bytes on a rune
// boundary.
func quote(line string) string {
	line = strings.TrimSpace(safetext.Redact(line))
	if len(line) <= maxQuote {
		return line
	}
	cut := maxQuote
	for cut > 0 && line[cut]&0xC0 == 0x80 {
		cut--
	}
	return line[:cut] + "…"
}
