package report

import (
	"io"
	"slices"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// ANSI styles; palette returns empty strings when colour is off so the
// layout code never branches on it.
type palette struct {
	red, green, yellow, grey, bold, reset string
}

func newPalette(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", grey: "\x1b[90m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

// paint is the escape sequence of a tone ("" when colour is off).
func (c palette) paint(t tone) string {
	return [...]string{toneGrey: c.grey, toneRed: c.red, toneGreen: c.green, toneYellow: c.yellow}[t]
}

// draw is a sign's mark in its tone.
func (c palette) draw(g sign) string {
	return c.paint(g.tone) + g.mark
}

// renderText writes the terminal report: broken paths as layered trees with
// their root cause, healthy paths one line each, other findings, what could
// not be checked, and the summary line last where the eye lands.
func renderText(w io.Writer, res *diagnose.Result, opt Options) error {
	return writeBuffered(w, func(t *textWriter) { writeText(t, res, opt) })
}

// writeText lays the terminal report out on t.
func writeText(t *textWriter, res *diagnose.Result, opt Options) {
	v := newView(res, opt)
	c := newPalette(opt.Color)

	failing := v.failing()
	if len(v.paths) == 0 {
		t.printf("No traffic path in the input: it holds no Ingress and no Service to start from.\n\n")
	}
	if len(failing) > 0 {
		t.printf("%sBROKEN PATHS%s\n\n", c.bold, c.reset)
	}
	explained := map[string]bool{}
	for _, p := range failing {
		writeTextPath(t, v, p, c, opt, explained)
	}

	healthy := v.healthy()
	if len(healthy) > 0 {
		t.printf("%s%s%s\n", c.bold, healthyHeading(healthy), c.reset)
		if opt.Explain {
			t.printf("\n")
			for _, p := range healthy {
				writeTextPath(t, v, p, c, opt, explained)
			}
		} else {
			for _, p := range healthy {
				t.printf("  %s%s %s  %s\n", c.draw(p.Verdict.sign()), c.reset, p.Entry, pathLine(p))
			}
			t.printf("\n")
		}
	}

	if others := v.others(); len(others) > 0 {
		t.printf("%sOTHER FINDINGS%s\n\n", c.bold, c.reset)
		for _, f := range others {
			t.printf("  %s %s%s  %s  %s", c.draw(severityOf(f.Severity).sign), f.Severity, c.reset, f.Check, f.Object)
			if o := originText(f.Origin); o != "" {
				t.printf("  %s(%s)%s", c.grey, o, c.reset)
			}
			t.printf("\n")
			if !v.onPath[f.Key()] {
				t.printf("    %-9s %s\n", "path", "none traced (found beside the paths)")
			} else if len(f.Path) > 0 {
				t.printf("    %-9s %s\n", "path", strings.Join(f.Path, " → "))
			}
			writeTextFinding(t, v, f, c, opt)
			t.printf("\n")
		}
	}

	writeTextProbes(t, res.Probes, c)
	writeTextNotes(t, res.Summary, c)
	t.printf("%s%s%s\n", c.bold, v.summaryLine(), c.reset)
}

func healthyHeading(paths []pathView) string {
	healthy, unchecked := 0, 0
	for _, p := range paths {
		if p.Verdict == verdictHealthy {
			healthy++
		} else {
			unchecked++
		}
	}
	parts := []string{}
	if healthy > 0 {
		parts = append(parts, plural(healthy, "PATH HEALTHY", "PATHS HEALTHY"))
	}
	if unchecked > 0 {
		parts = append(parts, plural(unchecked, "PATH NOT FULLY CHECKED", "PATHS NOT FULLY CHECKED"))
	}
	return strings.Join(parts, ", ")
}

// writeTextPath draws one path as a layered tree, then its root cause in
// full (once: a root cause shared by several paths is referred back to).
func writeTextPath(t *textWriter, v *view, p pathView, c palette, opt Options, explained map[string]bool) {
	t.printf("%s %s%s%s", c.draw(p.Verdict.sign()), c.bold, p.Entry, c.reset)
	if p.Root != nil {
		t.printf("  %s— %s at %s%s", c.paint(p.Verdict.sign().tone), p.Verdict, p.Root.Layer, c.reset)
	}
	t.printf("\n")

	roots, children := p.tree()
	var walk func(i int, prefix string, last, top bool)
	walk = func(i int, prefix string, last, top bool) {
		h := p.Hops[i]
		connector, childPrefix := "", prefix
		if !top {
			connector, childPrefix = "├─ ", prefix+"│  "
			if last {
				connector, childPrefix = "└─ ", prefix+"   "
			}
		}
		t.printf("%s%s%s%s %s%s  %s", prefix, connector, c.draw(statusSign(h.Status)), c.reset, c.bold, layerTitle(h.Layer), c.reset)
		t.printf("%s", hopObject(h))
		if h.Reason != "" {
			t.printf("  %s· %s%s", c.grey, h.Reason, c.reset)
		}
		if p.Root != nil && isRootHop(p.Trace, i, p.Root) {
			t.printf("  %s◀ root cause%s", c.red, c.reset)
		}
		t.printf("\n")
		for n, child := range children[i] {
			walk(child, childPrefix, n == len(children[i])-1, false)
		}
	}
	for n, r := range roots {
		walk(r, "  ", n == len(roots)-1, true)
	}

	if p.Root != nil {
		t.printf("\n")
		key := p.Root.Key()
		if explained[key] {
			t.printf("  %sROOT CAUSE%s  same as above: %s on %s\n", c.red+c.bold, c.reset, p.Root.Check, p.Root.Object)
		} else {
			explained[key] = true
			t.printf("  %sROOT CAUSE%s  %s %s%s  %s  %s", c.red+c.bold, c.reset, c.draw(severityOf(p.Root.Severity).sign), p.Root.Severity, c.reset, p.Root.Check, p.Root.Object)
			if o := originText(p.Root.Origin); o != "" {
				t.printf("  %s(%s)%s", c.grey, o, c.reset)
			}
			t.printf("\n")
			writeTextFinding(t, v, p.Root, c, opt)
		}
	}
	t.printf("\n")
}

// isRootHop reports whether hop i of t is the one the root cause sits on.
// The engine marks that hop; traces built without the mark fall back to the
// first hop carrying the root cause's finding, so one hop is marked, never
// two (two pods on one broken node share the node's finding).
func isRootHop(t diagnose.Trace, i int, root *diagnose.Finding) bool {
	marked := false
	for _, h := range t.Hops {
		marked = marked || h.RootCause
	}
	if marked {
		return t.Hops[i].RootCause
	}
	for j, h := range t.Hops {
		for _, k := range h.Findings {
			if k == root.Key() {
				return j == i
			}
		}
	}
	return false
}

// writeTextFinding prints the body of a finding as aligned label/value rows.
func writeTextFinding(t *textWriter, v *view, f *diagnose.Finding, c palette, opt Options) {
	row := func(label, value string) {
		if value != "" {
			t.printf("    %s%-9s%s %s\n", c.grey, label, c.reset, value)
		}
	}
	row("symptom", f.Symptom)
	row("cause", f.Cause)
	for i, e := range f.Evidence {
		label := ""
		if i == 0 {
			label = "evidence"
		}
		t.printf("    %s%-9s%s - %s\n", c.grey, label, c.reset, e)
	}
	if f.Fix != "" {
		row("fix", c.bold+f.Fix+c.reset)
	}
	row("verify", f.Verify)
	if opt.Explain {
		if chk := v.checks[f.Check]; chk != nil {
			row("check", chk.Doc)
		}
	}
}

// writeTextNotes prints what limits the diagnosis: template pods, hops and
// kinds that could not be checked, skipped kinds.
func writeTextNotes(t *textWriter, s diagnose.Summary, c palette) {
	if !s.TemplatePods && len(s.NotChecked) == 0 && s.Skipped == 0 && len(s.Duplicates) == 0 && len(s.SkippedFiles) == 0 {
		return
	}
	t.printf("%sNOTES%s\n", c.bold, c.reset)
	for _, d := range append(slices.Clone(s.Duplicates), s.SkippedFiles...) {
		t.printf("  - %s\n", d)
	}
	if s.TemplatePods {
		t.printf("  - the input holds no Pods: pods were made from workload templates, so labels, ports and probes were checked but runtime state (readiness, restarts) was not\n")
	}
	for _, n := range s.NotChecked {
		t.printf("  - not checked: %s\n", n)
	}
	if s.Skipped > 0 {
		t.printf("  - skipped %s of kinds hopscope does not model: %s\n", plural(s.Skipped, "object", "objects"), strings.Join(skippedKinds(s), ", "))
	}
	t.printf("\n")
}
