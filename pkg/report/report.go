package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Formats lists the output formats Render accepts, the default first.
var Formats = []string{"text", "json", "sarif", "markdown", "html"}

// Options tune a rendering. The zero value is plain, uncoloured output.
type Options struct {
	// Color adds ANSI colours to text output. The CLI decides (a terminal,
	// --color, --no-color, NO_COLOR); renderers never guess.
	Color bool
	// Checks are the registered checks. SARIF lists one rule per check from
	// them; text and Markdown quote a check's doc when Explain is set.
	Checks []*diagnose.Check
	// ToolVersion is the hopscope version named in SARIF and HTML.
	ToolVersion string
	// Explain prints every hop of healthy paths too, and each finding's
	// check doc, instead of the compressed summary.
	Explain bool
	// BaseDir makes absolute input file names relative in SARIF locations,
	// so code scanning can match them to files in the repository.
	BaseDir string
}

// Known reports whether format is one of Formats.
func Known(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}

// Render writes res to w in format (one of Formats). Every string of res
// reaches the renderers through safeResult: escaped and with credentials
// redacted, the same way in every format.
func Render(w io.Writer, format string, res *diagnose.Result, opt Options) error {
	if res == nil {
		res = &diagnose.Result{}
	}
	res = safeResult(res)
	var err error
	switch format {
	case "text", "":
		err = renderText(w, res, opt)
	case "json":
		err = renderJSON(w, res)
	case "sarif":
		err = renderSARIF(w, res, opt)
	case "markdown":
		err = renderMarkdown(w, res, opt)
	case "html":
		err = renderHTML(w, res, opt)
	default:
		return fmt.Errorf("unknown output format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	return nil
}

// verdict classifies a whole trace for ordering and headlines.
type verdict int

const (
	// verdictFailing: traffic along this path does not arrive.
	verdictFailing verdict = iota
	// verdictDegraded: some pods behind the path are broken, others serve.
	verdictDegraded
	// verdictUnchecked: nothing is wrong, but a hop could not be judged.
	verdictUnchecked
	verdictHealthy
)

// pathView is one trace with what the renderers need beside it.
type pathView struct {
	diagnose.Trace
	Verdict   verdict
	Root      *diagnose.Finding // nil when the trace names no root cause
	Namespace string
	// Findings are every finding on the trace's hops, root cause first.
	Findings []*diagnose.Finding
	// Parents gives, per hop, the index of the hop it hangs under in the
	// layered tree (-1 for the first hop).
	Parents []int
}

// MaxSeverity is the worst severity of the trace's findings, or "".
func (p pathView) MaxSeverity() diagnose.Severity {
	var max diagnose.Severity
	for _, f := range p.Findings {
		if f.Severity.Rank() > max.Rank() {
			max = f.Severity
		}
	}
	return max
}

// view is a Result arranged for reading: failing paths first, then
// degraded, then the rest; findings indexed by key.
type view struct {
	res    *diagnose.Result
	byKey  map[string]*diagnose.Finding
	checks map[string]*diagnose.Check
	paths  []pathView
	// onPath holds the keys of findings that sit on some hop of a trace.
	onPath map[string]bool
	// rootKeys holds the keys of findings that are some trace's root cause.
	rootKeys map[string]bool
}

func newView(res *diagnose.Result, opt Options) *view {
	v := &view{
		res:      res,
		byKey:    make(map[string]*diagnose.Finding, len(res.Findings)),
		checks:   map[string]*diagnose.Check{},
		onPath:   map[string]bool{},
		rootKeys: map[string]bool{},
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if _, dup := v.byKey[f.Key()]; !dup {
			v.byKey[f.Key()] = f
		}
	}
	for _, c := range opt.Checks {
		v.checks[c.ID] = c
	}
	for _, t := range res.Traces {
		p := pathView{Trace: t, Verdict: traceVerdict(t), Parents: hopParents(t.Hops)}
		if len(t.Hops) > 0 {
			p.Namespace = t.Hops[0].Object.Namespace
		}
		if t.RootCause != "" {
			p.Root = v.byKey[t.RootCause]
			v.rootKeys[t.RootCause] = true
			if p.Verdict > verdictDegraded {
				p.Verdict = verdictDegraded
			}
		}
		seen := map[string]bool{}
		if p.Root != nil {
			p.Findings = append(p.Findings, p.Root)
			seen[t.RootCause] = true
		}
		for _, h := range t.Hops {
			for _, k := range h.Findings {
				v.onPath[k] = true
				if f := v.byKey[k]; f != nil && !seen[k] {
					seen[k] = true
					p.Findings = append(p.Findings, f)
				}
			}
		}
		v.paths = append(v.paths, p)
	}
	sort.SliceStable(v.paths, func(i, j int) bool { return v.paths[i].Verdict < v.paths[j].Verdict })
	return v
}

// traceVerdict: a path fails when a layer above the pods is broken or any
// hop is only affected (the engine marks hops above a root cause affected);
// a path whose only broken hops are pods still has pods that serve.
func traceVerdict(t diagnose.Trace) verdict {
	podOnly, unchecked := false, false
	for _, h := range t.Hops {
		switch h.Status {
		case diagnose.StatusAffected:
			// A pod hop is affected by its own container when only some
			// replicas are broken; that degrades the path, it does not
			// fail it.
			if !podLayer(h.Layer) {
				return verdictFailing
			}
			podOnly = true
		case diagnose.StatusBroken:
			if !podLayer(h.Layer) {
				return verdictFailing
			}
			podOnly = true
		case diagnose.StatusNotChecked:
			unchecked = true
		}
	}
	switch {
	case podOnly:
		return verdictDegraded
	case unchecked:
		return verdictUnchecked
	}
	return verdictHealthy
}

func podLayer(l diagnose.Layer) bool {
	return l == diagnose.LayerPod || l == diagnose.LayerContainer || l == diagnose.LayerNode
}

// treeLevel places a layer in the drawn tree. Network policies hang beside
// the pods they select, under the endpoints, rather than above them.
func treeLevel(l diagnose.Layer) int {
	if l == diagnose.LayerNetworkPolicy {
		return diagnose.LayerPod.Depth()
	}
	return l.Depth()
}

// hopParents links each hop to the nearest earlier hop of a shallower
// level: a Service under its Ingress, each broken pod under the Endpoints,
// a container under its pod.
func hopParents(hops []diagnose.Hop) []int {
	parents := make([]int, len(hops))
	for i, h := range hops {
		parents[i] = -1
		for j := i - 1; j >= 0; j-- {
			if treeLevel(hops[j].Layer) < treeLevel(h.Layer) {
				parents[i] = j
				break
			}
		}
	}
	return parents
}

// tree turns Parents around: the hops at the top of the drawn tree, and
// each hop's children, in walk order.
func (p pathView) tree() (roots []int, children [][]int) {
	children = make([][]int, len(p.Hops))
	for i, parent := range p.Parents {
		if parent < 0 {
			roots = append(roots, i)
		} else {
			children[parent] = append(children[parent], i)
		}
	}
	return roots, children
}

// failing returns the paths drawn in full (failing and degraded).
func (v *view) failing() []pathView {
	var out []pathView
	for _, p := range v.paths {
		if p.Verdict <= verdictDegraded {
			out = append(out, p)
		}
	}
	return out
}

// healthy returns the paths summarised one line each.
func (v *view) healthy() []pathView {
	var out []pathView
	for _, p := range v.paths {
		if p.Verdict > verdictDegraded {
			out = append(out, p)
		}
	}
	return out
}

// others returns the findings that no drawn path shows as its root cause:
// off-path findings and lesser findings on paths, in result order.
func (v *view) others() []*diagnose.Finding {
	var out []*diagnose.Finding
	seen := map[string]bool{}
	for i := range v.res.Findings {
		f := &v.res.Findings[i]
		if v.rootKeys[f.Key()] || seen[f.Key()] {
			continue
		}
		seen[f.Key()] = true
		out = append(out, f)
	}
	return out
}

// counts are the path tallies of a summary line.
type counts struct {
	Paths, Failing, Degraded, Unchecked, Healthy int
}

func (v *view) counts() counts {
	c := counts{Paths: len(v.paths)}
	for _, p := range v.paths {
		switch p.Verdict {
		case verdictFailing:
			c.Failing++
		case verdictDegraded:
			c.Degraded++
		case verdictUnchecked:
			c.Unchecked++
		default:
			c.Healthy++
		}
	}
	return c
}

// hopObject names a hop's object for display next to its layer:
// "default/api-svc" for a Service hop, "Deployment/default/api" for a pod hop
// that stands for a workload template.
func hopObject(h diagnose.Hop) string {
	if h.Object.Kind == layerOf(h.Layer).kind {
		if h.Object.Namespace == "" {
			return h.Object.Name
		}
		return h.Object.Namespace + "/" + h.Object.Name
	}
	return h.Object.String()
}

// originText is "file:line" (or just the file) when the finding came from a
// file, "" otherwise.
func originText(o *snapshot.Origin) string {
	if o == nil || o.File == "" {
		return ""
	}
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	return o.File
}

// plural writes "1 path" / "3 paths".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// pathLine is the compressed form of a path: its layers joined by arrows,
// with the facts hops add (pod counts) and anything not checked.
func pathLine(p pathView) string {
	var layers, notes []string
	last := diagnose.Layer("")
	for _, h := range p.Hops {
		if h.Layer != last {
			name := layerTitle(h.Layer)
			if h.Status == diagnose.StatusNotChecked {
				name += "?"
			}
			layers = append(layers, name)
			last = h.Layer
		}
		switch {
		case h.Status == diagnose.StatusNotChecked:
			notes = append(notes, strings.ToLower(layerTitle(h.Layer))+" not checked: "+h.Reason)
		case h.Reason != "" && h.Layer == diagnose.LayerPod:
			notes = append(notes, h.Reason)
		}
	}
	out := strings.Join(layers, " → ")
	if len(notes) > 0 {
		out += " (" + strings.Join(notes, "; ") + ")"
	}
	return out
}

// summaryLine is the one-line tally printed last in text and first in
// Markdown.
func (v *view) summaryLine() string {
	c := v.counts()
	s := v.res.Summary
	parts := []string{plural(c.Paths, "path", "paths") + " traced"}
	var pathParts []string
	if c.Failing > 0 {
		pathParts = append(pathParts, fmt.Sprintf("%d broken", c.Failing))
	}
	if c.Degraded > 0 {
		pathParts = append(pathParts, fmt.Sprintf("%d degraded", c.Degraded))
	}
	if c.Unchecked > 0 {
		pathParts = append(pathParts, fmt.Sprintf("%d not fully checked", c.Unchecked))
	}
	if c.Healthy > 0 {
		pathParts = append(pathParts, fmt.Sprintf("%d healthy", c.Healthy))
	}
	if len(pathParts) > 0 {
		parts[0] += ": " + strings.Join(pathParts, ", ")
	}
	parts = append(parts, fmt.Sprintf("%s: %s, %s, %d info",
		plural(len(v.res.Findings), "finding", "findings"), plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings"), s.Infos))
	obj := plural(s.Objects, "object", "objects")
	if s.Skipped > 0 {
		obj += fmt.Sprintf(", %d skipped (kind not modelled)", s.Skipped)
	}
	parts = append(parts, obj)
	if len(v.res.Probes) > 0 {
		parts = append(parts, probeTally(v.res.Probes))
	}
	return strings.Join(parts, " · ")
}

// skippedKinds lists the skipped kinds in a stable order.
func skippedKinds(s diagnose.Summary) []string {
	var out []string
	for k, n := range s.SkippedKinds {
		out = append(out, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(out)
	return out
}
