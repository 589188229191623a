package report

import (
	"fmt"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// probeSign marks a probe by what it saw: an answer, a failure, or
// nothing learned.
func probeSign(p diagnose.Probe) sign {
	switch {
	case p.Outcome == diagnose.ProbeAnswered:
		return sign{"✔", toneGreen}
	case p.Outcome.Failed():
		return sign{"✘", toneRed}
	}
	return sign{"?", toneGrey}
}

// probeHeadline is a probe on one line: the test, what it reached, from
// where, and its outcome beside the static verdict.
func probeHeadline(p diagnose.Probe) string {
	where := p.Target.String()
	if p.Address != "" {
		where += " at " + p.Address
	}
	if p.From != nil {
		where += " from " + p.From.String()
	}
	return fmt.Sprintf("level %d %s %s: %s — %s the static verdict (%s)", p.Level, p.Test, where, p.Outcome, agreementWords(p.Agreement), p.Static)
}

func agreementWords(a diagnose.ProbeAgreement) string {
	switch a {
	case diagnose.ProbeConfirms:
		return "confirms"
	case diagnose.ProbeContradicts:
		return "contradicts"
	}
	return "neither confirms nor contradicts"
}

// probeRows are a probe's label/value rows under its headline.
func probeRows(p diagnose.Probe) [][2]string {
	return [][2]string{{"request", p.Request}, {"detail", p.Detail}, {"expected", p.Expected}, {"note", p.Note}}
}

// probesByPath groups probes by the path they test, in report order.
func probesByPath(probes []diagnose.Probe) (paths []string, byPath map[string][]diagnose.Probe) {
	byPath = map[string][]diagnose.Probe{}
	for _, p := range probes {
		if _, seen := byPath[p.Path]; !seen {
			paths = append(paths, p.Path)
		}
		byPath[p.Path] = append(byPath[p.Path], p)
	}
	return paths, byPath
}

// writeTextProbes prints the probes, path by path.
func writeTextProbes(t *textWriter, probes []diagnose.Probe, c palette) {
	if len(probes) == 0 {
		return
	}
	t.printf("%sPROBES%s\n\n", c.bold, c.reset)
	paths, byPath := probesByPath(probes)
	for _, path := range paths {
		t.printf("  %s%s%s\n", c.bold, path, c.reset)
		for _, p := range byPath[path] {
			t.printf("  %s%s %s\n", c.draw(probeSign(p)), c.reset, probeHeadline(p))
			for _, row := range probeRows(p) {
				if row[1] != "" {
					t.printf("    %s%-9s%s %s\n", c.grey, row[0], c.reset, row[1])
				}
			}
		}
		t.printf("\n")
	}
}

// writeMarkdownProbes prints the probes as one list per path.
func writeMarkdownProbes(t *textWriter, probes []diagnose.Probe) {
	if len(probes) == 0 {
		return
	}
	t.printf("## Probes\n\n")
	paths, byPath := probesByPath(probes)
	for _, path := range paths {
		t.printf("### %s\n\n", mdCode(path))
		for _, p := range byPath[path] {
			t.printf("- %s %s\n", probeSign(p).mark, mdText(probeHeadline(p)))
			for _, row := range probeRows(p) {
				if row[1] != "" {
					t.printf("  - **%s:** %s\n", row[0], mdText(row[1]))
				}
			}
		}
		t.printf("\n")
	}
}

// htmlProbe is a probe as the HTML page lists it.
type htmlProbe struct {
	Mark, Class, Headline string
	Rows                  [][2]string
}

func htmlProbesOf(probes []diagnose.Probe) []htmlProbe {
	out := make([]htmlProbe, 0, len(probes))
	for _, p := range probes {
		g := probeSign(p)
		class := map[tone]string{toneGreen: "ok", toneRed: "broken"}[g.tone]
		var rows [][2]string
		for _, r := range probeRows(p) {
			if r[1] != "" {
				rows = append(rows, r)
			}
		}
		out = append(out, htmlProbe{Mark: g.mark, Class: strings.TrimSpace(class), Headline: p.Path + ": " + probeHeadline(p), Rows: rows})
	}
	return out
}

// probeTally is the summary line's count of probes by agreement.
func probeTally(probes []diagnose.Probe) string {
	n := map[diagnose.ProbeAgreement]int{}
	for _, p := range probes {
		n[p.Agreement]++
	}
	return fmt.Sprintf("%s: %d confirm, %d contradict, %d inconclusive", plural(len(probes), "probe", "probes"),
		n[diagnose.ProbeConfirms], n[diagnose.ProbeContradicts], n[diagnose.ProbeInconclusive])
}
