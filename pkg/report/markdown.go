package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// renderMarkdown writes a report meant to be pasted into an incident ticket:
// a summary table, each broken path as a layer-by-layer table with its root
// cause, evidence and copy-paste commands, then other findings and the
// healthy paths. Every value from the input is escaped: object names and
// messages must not turn into markup.
func renderMarkdown(w io.Writer, res *diagnose.Result, opt Options) error {
	return writeBuffered(w, func(t *textWriter) { writeMarkdown(t, res, opt) })
}

// writeMarkdown lays the Markdown report out on t.
func writeMarkdown(t *textWriter, res *diagnose.Result, opt Options) {
	v := newView(res, opt)
	c := v.counts()
	s := res.Summary

	t.printf("# hopscope diagnosis\n\n")
	switch {
	case c.Failing > 0:
		t.printf("**%s broken.** %s\n\n", plural(c.Failing, "path is", "paths are"), mdText(v.summaryLine()))
	case c.Degraded > 0:
		t.printf("**%s degraded.** %s\n\n", plural(c.Degraded, "path is", "paths are"), mdText(v.summaryLine()))
	default:
		t.printf("**No broken path.** %s\n\n", mdText(v.summaryLine()))
	}
	t.printf("| paths | broken | degraded | healthy | not fully checked | errors | warnings | info | objects |\n")
	t.printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	t.printf("| %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", c.Paths, c.Failing, c.Degraded, c.Healthy, c.Unchecked, s.Errors, s.Warnings, s.Infos, s.Objects)

	explained := map[string]bool{}
	for _, p := range v.failing() {
		writeMarkdownPath(t, v, p, opt, explained)
	}

	if others := v.others(); len(others) > 0 {
		t.printf("## Other findings\n\n")
		for _, f := range others {
			t.printf("### %s %s: %s on %s\n\n", severityOf(f.Severity).mark, f.Severity, mdCode(f.Check), mdCode(f.Object.String()))
			if !v.onPath[f.Key()] {
				t.printf("- **Path:** none traced (found beside the paths)\n")
			} else if len(f.Path) > 0 {
				t.printf("- **Path:** %s\n", mdPath(f.Path))
			}
			writeMarkdownFinding(t, v, f, opt)
		}
	}

	if healthy := v.healthy(); len(healthy) > 0 {
		t.printf("## Paths without a broken layer (%d)\n\n", len(healthy))
		for _, p := range healthy {
			if opt.Explain {
				t.printf("- %s %s\n\n", p.Verdict.sign().mark, mdCode(p.Entry))
				writeMarkdownHops(t, p)
				continue
			}
			t.printf("- %s %s — %s\n", p.Verdict.sign().mark, mdCode(p.Entry), mdText(pathLine(p)))
		}
		t.printf("\n")
	}

	writeMarkdownProbes(t, res.Probes)

	if s.TemplatePods || len(s.NotChecked) > 0 || s.Skipped > 0 || len(s.Duplicates) > 0 || len(s.SkippedFiles) > 0 {
		t.printf("## Limits of this diagnosis\n\n")
		for _, d := range append(slices.Clone(s.Duplicates), s.SkippedFiles...) {
			t.printf("- %s\n", mdText(d))
		}
		if s.TemplatePods {
			t.printf("- The input holds no Pods: pods were made from workload templates, so labels, ports and probes were checked but runtime state (readiness, restarts) was not.\n")
		}
		for _, n := range s.NotChecked {
			t.printf("- Not checked: %s\n", mdText(n))
		}
		if s.Skipped > 0 {
			t.printf("- Skipped %s of kinds hopscope does not model: %s\n", plural(s.Skipped, "object", "objects"), mdText(strings.Join(skippedKinds(s), ", ")))
		}
		t.printf("\n")
	}
}

func writeMarkdownPath(t *textWriter, v *view, p pathView, opt Options, explained map[string]bool) {
	t.printf("## %s %s: %s\n\n", p.Verdict.sign().mark, capitalized(p.Verdict.String()), mdCode(p.Entry))
	writeMarkdownHops(t, p)
	if p.Root == nil {
		return
	}
	key := p.Root.Key()
	if explained[key] {
		t.printf("**Root cause:** same as above, %s on %s.\n\n", mdCode(p.Root.Check), mdCode(p.Root.Object.String()))
		return
	}
	explained[key] = true
	t.printf("### Root cause: %s on %s\n\n", mdCode(p.Root.Check), mdCode(p.Root.Object.String()))
	writeMarkdownFinding(t, v, p.Root, opt)
}

// writeMarkdownHops writes the layered walk of a path as a table, in walk
// order, the tree depth shown by indenting the layer name.
func writeMarkdownHops(t *textWriter, p pathView) {
	t.printf("| layer | object | status | note |\n|---|---|---|---|\n")
	depth := make([]int, len(p.Hops))
	for i, parent := range p.Parents {
		if parent >= 0 {
			depth[i] = depth[parent] + 1
		}
	}
	for i, h := range p.Hops {
		note := h.Reason
		if p.Root != nil && isRootHop(p.Trace, i, p.Root) {
			note = strings.TrimPrefix(note+"; root cause", "; ")
		}
		t.printf("| %s%s | %s | %s %s | %s |\n", strings.Repeat("&nbsp;&nbsp;", depth[i]), layerTitle(h.Layer),
			mdCell(mdCode(h.Object.String())), statusSign(h.Status).mark, h.Status, mdCell(mdText(note)))
	}
	t.printf("\n")
}

func writeMarkdownFinding(t *textWriter, v *view, f *diagnose.Finding, opt Options) {
	t.printf("- **Severity:** %s (layer %s)\n", f.Severity, f.Layer)
	if o := originText(f.Origin); o != "" {
		t.printf("- **Source:** %s\n", mdCode(o))
	}
	if f.Symptom != "" {
		t.printf("- **Symptom:** %s\n", mdText(f.Symptom))
	}
	if f.Cause != "" {
		t.printf("- **Cause:** %s\n", mdText(f.Cause))
	}
	if len(f.Evidence) > 0 {
		t.printf("- **Evidence:**\n")
		for _, e := range f.Evidence {
			t.printf("  - %s\n", mdText(e))
		}
	}
	if opt.Explain {
		if chk := v.checks[f.Check]; chk != nil {
			t.printf("- **Check:** %s\n", mdText(chk.Doc))
		}
	}
	t.printf("\n")
	if f.Fix != "" {
		t.printf("**Fix**\n\n%s\n", mdCodeBlock("sh", f.Fix))
	}
	if f.Verify != "" {
		t.printf("**Verify**\n\n%s\n", mdCodeBlock("sh", f.Verify))
	}
}

// mdPath writes a finding's path as code spans joined by arrows.
func mdPath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = mdCode(p)
	}
	return strings.Join(parts, " → ")
}

// mdTextEscaper escapes what Markdown (CommonMark and GitHub's tables) would
// read as markup or raw HTML in plain text.
var mdTextEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "#", `\#`, "|", `\|`, "~", `\~`,
	"\n", " ", "\r", " ",
)

// mdText escapes s for use as inline Markdown text.
func mdText(s string) string { return mdTextEscaper.Replace(s) }

// mdCode wraps s in a code span whose fence is longer than any run of
// backticks inside it, so no name can end the span early.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCell makes an inline value safe inside a table cell: GitHub splits
// cells at any pipe not escaped by a backslash, even inside code spans, and
// reads backslashes in pairs first, so a pipe after an even run of
// backslashes (none, or a value's own \\) still needs one.
func mdCell(s string) string {
	var b strings.Builder
	backslashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '|':
			if backslashes%2 == 0 {
				b.WriteByte('\\')
			}
			backslashes = 0
		case '\\':
			backslashes++
		default:
			backslashes = 0
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mdCodeBlock fences a command so that it can be copied as it is.
func mdCodeBlock(lang, s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fmt.Sprintf("%s%s\n%s\n%s\n", fence, lang, s, fence)
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
