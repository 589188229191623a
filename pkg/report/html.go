package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed once; html/template escapes every value from the
// input (object names, messages, commands) for the context it lands in.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// Geometry of the path diagrams, in SVG user units (CSS pixels at 100%).
const (
	boxW      = 190
	boxH      = 58
	colGap    = 32
	rowGap    = 14
	margin    = 8
	labelRune = 28 // characters of an object name that fit in a box
)

type htmlPage struct {
	Title      string
	Summary    string
	Counts     counts
	Errors     int
	Warnings   int
	Infos      int
	Namespaces []htmlNamespace
	Failing    []htmlPath
	Healthy    []htmlPath
	Others     []htmlFinding
	Notes      []string
	Probes     []htmlProbe
	Version    string
}

type htmlNamespace struct{ Value, Label string }

type htmlPath struct {
	Entry        string
	Verdict      string
	VerdictClass string
	Mark         string
	Namespace    string
	Severity     string
	Line         string // the compressed one-line form, only for paths without a broken layer
	Diagram      htmlDiagram
	Findings     []htmlFinding
}

type htmlDiagram struct {
	Width, Height int
	Boxes         []htmlBox
	Arrows        []htmlArrow
}

type htmlBox struct {
	X, Y, W, H  int
	TextX       int
	LayerY      int
	LabelY      int
	StatusY     int
	MarkX       int
	Layer       string
	LayerTitle  string
	Object      string // full Kind/namespace/name
	Label       string // what fits in the box
	Status      string
	StatusClass string
	Mark        string
	Reason      string
	Root        bool
}

type htmlArrow struct {
	D      string
	Status string
}

type htmlFinding struct {
	Check     string
	Severity  string
	Mark      string
	Layer     string
	Object    string
	Namespace string
	Origin    string
	Path      string
	Symptom   string
	Cause     string
	Evidence  []string
	Fix       string
	Verify    string
	Doc       string
	Root      bool
	Shared    bool // a root cause already shown in full on an earlier path
}

// renderHTML writes one self-contained page: inline CSS, inline SVG, a few
// lines of inline script for the filters, and nothing fetched from anywhere.
func renderHTML(w io.Writer, res *diagnose.Result, opt Options) error {
	v := newView(res, opt)
	page := htmlPage{
		Summary:  v.summaryLine(),
		Counts:   v.counts(),
		Errors:   res.Summary.Errors,
		Warnings: res.Summary.Warnings,
		Infos:    res.Summary.Infos,
		Version:  opt.ToolVersion,
	}
	switch c := page.Counts; {
	case c.Failing > 0:
		page.Title = "hopscope: " + plural(c.Failing, "broken path", "broken paths")
	case c.Degraded > 0:
		page.Title = "hopscope: " + plural(c.Degraded, "degraded path", "degraded paths")
	default:
		page.Title = "hopscope: no broken path"
	}

	namespaces := map[string]bool{}
	shown := map[string]bool{}
	for _, p := range v.failing() {
		page.Failing = append(page.Failing, htmlPathOf(v, p, opt, shown))
		namespaces[p.Namespace] = true
	}
	for _, p := range v.healthy() {
		page.Healthy = append(page.Healthy, htmlPathOf(v, p, opt, shown))
		namespaces[p.Namespace] = true
	}
	// Every path is drawn with its findings, so only findings that sit on
	// no path are listed on their own.
	for _, f := range v.others() {
		if v.onPath[f.Key()] {
			continue
		}
		hf := htmlFindingOf(v, f, opt)
		hf.Path = "none traced (found beside the paths)"
		page.Others = append(page.Others, hf)
		namespaces[f.Object.Namespace] = true
	}
	var names []string
	for ns := range namespaces {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		label := ns
		if ns == "" {
			label = "(cluster-scoped)"
		}
		page.Namespaces = append(page.Namespaces, htmlNamespace{Value: ns, Label: label})
	}

	page.Probes = htmlProbesOf(res.Probes)
	s := res.Summary
	if s.TemplatePods {
		page.Notes = append(page.Notes, "The input holds no Pods: pods were made from workload templates, so labels, ports and probes were checked but runtime state (readiness, restarts) was not.")
	}
	page.Notes = append(page.Notes, s.Duplicates...)
	page.Notes = append(page.Notes, s.SkippedFiles...)
	for _, n := range s.NotChecked {
		page.Notes = append(page.Notes, "Not checked: "+n)
	}
	if s.Skipped > 0 {
		page.Notes = append(page.Notes, "Skipped "+plural(s.Skipped, "object", "objects")+" of kinds hopscope does not model: "+strings.Join(skippedKinds(s), ", "))
	}
	return htmlTemplate.Execute(w, page)
}

func htmlPathOf(v *view, p pathView, opt Options, shown map[string]bool) htmlPath {
	hp := htmlPath{
		Entry:        p.Entry,
		Verdict:      p.Verdict.String(),
		VerdictClass: strings.ReplaceAll(p.Verdict.String(), " ", "-"),
		Mark:         p.Verdict.sign().mark,
		Namespace:    p.Namespace,
		Severity:     severityOrNone(p.MaxSeverity()),
		Diagram:      diagram(p),
	}
	if p.Verdict > verdictDegraded {
		hp.Line = pathLine(p)
	}
	for _, f := range p.Findings {
		hf := htmlFindingOf(v, f, opt)
		hf.Root = p.Root == f
		if hf.Root {
			hf.Shared = shown[f.Key()]
			shown[f.Key()] = true
		}
		hp.Findings = append(hp.Findings, hf)
	}
	return hp
}

func severityOrNone(s diagnose.Severity) string {
	if s == "" {
		return "none"
	}
	return string(s)
}

func htmlFindingOf(v *view, f *diagnose.Finding, opt Options) htmlFinding {
	hf := htmlFinding{
		Check:     f.Check,
		Severity:  string(f.Severity),
		Mark:      severityOf(f.Severity).mark,
		Layer:     string(f.Layer),
		Object:    f.Object.String(),
		Namespace: f.Object.Namespace,
		Origin:    originText(f.Origin),
		Path:      strings.Join(f.Path, " → "),
		Symptom:   f.Symptom,
		Cause:     f.Cause,
		Evidence:  f.Evidence,
		Fix:       f.Fix,
		Verify:    f.Verify,
	}
	if opt.Explain {
		if c := v.checks[f.Check]; c != nil {
			hf.Doc = c.Doc
		}
	}
	return hf
}

// diagram lays a path out left to right as a tree: one column per tree
// level, each leaf on its own row, a parent level with its first child.
func diagram(p pathView) htmlDiagram {
	n := len(p.Hops)
	roots, children := p.tree()
	col := make([]int, n)
	row := make([]int, n)
	next, maxCol := 0, 0
	var place func(i, c int)
	place = func(i, c int) {
		col[i], row[i] = c, next
		maxCol = max(maxCol, c)
		if len(children[i]) == 0 {
			next++
			return
		}
		for _, ch := range children[i] {
			place(ch, c+1)
		}
	}
	for _, r := range roots {
		place(r, 0)
	}
	d := htmlDiagram{
		Width:  2*margin + (maxCol+1)*boxW + maxCol*colGap,
		Height: 2*margin + max(next, 1)*boxH + max(next-1, 0)*rowGap,
	}
	for i, h := range p.Hops {
		x := margin + col[i]*(boxW+colGap)
		y := margin + row[i]*(boxH+rowGap)
		d.Boxes = append(d.Boxes, htmlBox{
			X: x, Y: y, W: boxW, H: boxH, TextX: x + 10, MarkX: x + boxW - 10,
			LayerY: y + 18, LabelY: y + 35, StatusY: y + 50,
			Layer:       string(h.Layer),
			LayerTitle:  layerTitle(h.Layer),
			Object:      h.Object.String(),
			Label:       truncate(hopObject(h), labelRune),
			Status:      string(h.Status),
			StatusClass: statusClass(h.Status),
			Mark:        statusSign(h.Status).mark,
			Reason:      h.Reason,
			Root:        p.Root != nil && isRootHop(p.Trace, i, p.Root),
		})
		if parent := p.Parents[i]; parent >= 0 {
			px := margin + col[parent]*(boxW+colGap) + boxW
			py := margin + row[parent]*(boxH+rowGap) + boxH/2
			cy := y + boxH/2
			mid := px + colGap/2
			d.Arrows = append(d.Arrows, htmlArrow{
				D:      fmt.Sprintf("M%d %d H%d V%d H%d", px, py, mid, cy, x-2),
				Status: statusClass(h.Status),
			})
		}
	}
	return d
}

// statusClass is a status as a CSS class token ("not checked" has a space).
func statusClass(s diagnose.HopStatus) string {
	return strings.ReplaceAll(string(s), " ", "-")
}

// truncate shortens s to n characters with an ellipsis; the full name stays
// in the box's tooltip.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
