package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// DiagnoseInput are the arguments of the diagnose tool.
type DiagnoseInput struct {
	Namespace      string   `json:"namespace,omitempty" jsonschema:"diagnose only this namespace; default: the server's -n, else the kubeconfig's namespace on a cluster and every namespace of files"`
	AllNamespaces  bool     `json:"allNamespaces,omitempty" jsonschema:"diagnose every namespace"`
	Severity       string   `json:"severity,omitempty" jsonschema:"list only findings at or above this severity: error, warning or info (the default: every finding)"`
	IncludeHealthy bool     `json:"includeHealthy,omitempty" jsonschema:"also list the paths that are healthy (left out by default: they are most of a cluster)"`
	Skip           []string `json:"skip,omitempty" jsonschema:"check IDs not to run (list_checks lists them)"`
	Logs           bool     `json:"logs,omitempty" jsonschema:"on a cluster, also read the logs of failing containers, and of the ingress controller or CoreDNS on a failing path, each at most 200 lines and 64 KiB, with GET pods/log; matching lines are quoted, credentials redacted (a dump's logs are always read)"`
	Cursor         string   `json:"cursor,omitempty" jsonschema:"page.cursor of the previous reply to the same arguments: returns the next page"`
}

// TraceInput are the arguments of the trace tool.
type TraceInput struct {
	Entries   []string `json:"entries" jsonschema:"where traffic enters: ingress/NAME, service/NAME, gateway/NAME, httproute/NAME, an http(s) URL routed as the Ingress or HTTPRoute rules route it, or a grpc(s)://host/package.Service/Method call matched to GRPCRoute rules"`
	Namespace string   `json:"namespace,omitempty" jsonschema:"the namespace of the named entries; default: the server's -n, else the kubeconfig's, else default"`
	Cursor    string   `json:"cursor,omitempty" jsonschema:"page.cursor of the previous reply to the same arguments: returns the next page"`
}

// Diagnosis is the reply of diagnose and trace: the JSON report of
// `hopscope diagnose -o json` (findings with root causes first, traced
// paths, summary), holding one page of the findings and paths, and the
// page's bounds.
type Diagnosis struct {
	diagnose.Result
	Page Page `json:"page"`
}

// maxEntries bounds one trace call; more entries are a diagnose.
const maxEntries = 20

func (t *tools) diagnose(ctx context.Context, _ *mcp.CallToolRequest, in DiagnoseInput) (*mcp.CallToolResult, *Diagnosis, error) {
	query := queryKey("diagnose", withCursor(in, ""))
	pos, err := decodeCursor(in.Cursor, query)
	if err != nil {
		return nil, nil, err
	}
	floor := diagnose.SeverityInfo
	if in.Severity != "" {
		sev, ok := diagnose.ParseSeverity(in.Severity)
		if !ok {
			return nil, nil, fmt.Errorf("severity %q: want error, warning or info", clip(in.Severity, 64))
		}
		floor = sev
	}
	for _, id := range in.Skip {
		if checks.ByID(id) == nil {
			return nil, nil, fmt.Errorf("skip %q: no such check (list_checks lists them)", clip(id, 128))
		}
	}
	sc, err := t.cfg.Source.scopeOf(in.Namespace, in.AllNamespaces)
	if err != nil {
		return nil, nil, err
	}
	res, reread, err := t.readings.get(query, in.Cursor != "", func() (*diagnose.Result, error) { return t.run(ctx, sc, nil, in.Skip, in.Logs) })
	if err != nil {
		return nil, nil, err
	}

	var omitted []string
	if reread {
		omitted = append(omitted, rereadNote)
	}
	findings := make([]diagnose.Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		if f.Severity.Rank() >= floor.Rank() {
			findings = append(findings, f)
		}
	}
	if n := len(res.Findings) - len(findings); n > 0 {
		omitted = append(omitted, fmt.Sprintf("%d finding(s) below severity %s are not listed", n, floor))
	}
	severity := severityByKey(res.Findings)
	var traces []diagnose.Trace
	healthy, below := 0, 0
	for _, tr := range res.Traces {
		switch {
		case tr.Status == diagnose.TraceOK && !in.IncludeHealthy:
			healthy++
		case tr.Status != diagnose.TraceOK && traceSeverity(tr, severity).Rank() < floor.Rank():
			below++
		default:
			traces = append(traces, tr)
		}
	}
	if healthy > 0 {
		omitted = append(omitted, fmt.Sprintf("%d healthy path(s) are not listed: pass includeHealthy: true to list them", healthy))
	}
	if below > 0 {
		omitted = append(omitted, fmt.Sprintf("%d path(s) with no finding at or above severity %s are not listed", below, floor))
	}
	page := Page{Scope: t.cfg.Source.describe(sc), Omitted: omitted}
	narrower := func() []string { return diagnoseNarrower(in, sc, findings, traces, floor) }
	reply, err := t.paginate(res.Summary, findings, traces, pos, page, narrower)
	if err != nil {
		return nil, nil, err
	}
	return textResult(reply), reply, nil
}

func (t *tools) trace(ctx context.Context, _ *mcp.CallToolRequest, in TraceInput) (*mcp.CallToolResult, *Diagnosis, error) {
	query := queryKey("trace", TraceInput{Entries: in.Entries, Namespace: in.Namespace})
	pos, err := decodeCursor(in.Cursor, query)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case len(in.Entries) == 0:
		return nil, nil, fmt.Errorf("entries is empty: name an entry point (ingress/NAME, service/NAME or an http(s) URL), or call diagnose for every path")
	case len(in.Entries) > maxEntries:
		return nil, nil, fmt.Errorf("%d entries: trace takes at most %d at once; call diagnose for every path of a namespace", len(in.Entries), maxEntries)
	}
	sc, err := t.cfg.Source.scopeOf(in.Namespace, false)
	if err != nil {
		return nil, nil, err
	}
	res, reread, err := t.readings.get(query, in.Cursor != "", func() (*diagnose.Result, error) { return t.run(ctx, sc, in.Entries, nil, false) })
	if err != nil {
		return nil, nil, err
	}
	page := Page{Scope: t.cfg.Source.describe(sc)}
	if reread {
		page.Omitted = []string{rereadNote}
	}
	narrower := func() []string { return traceNarrower(in, sc) }
	reply, err := t.paginate(res.Summary, res.Findings, res.Traces, pos, page, narrower)
	if err != nil {
		return nil, nil, err
	}
	return textResult(reply), reply, nil
}

// withCursor is in with its cursor replaced, for the query key.
func withCursor(in DiagnoseInput, cursor string) DiagnoseInput {
	in.Cursor = cursor
	return in
}

// run loads the source, diagnoses it and returns the result as the JSON
// reporter prints it: every string through pkg/safetext, every list an
// array. logs reads a cluster's failing containers' logs too.
func (t *tools) run(ctx context.Context, sc scope, entries, skip []string, logs bool) (*diagnose.Result, error) {
	snap, err := t.cfg.Source.load(ctx, sc, entries, logs)
	if err != nil {
		return nil, err
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, t.cfg.Source.options(sc, entries, skip))
	if err != nil {
		return nil, err
	}
	return reported(res)
}

// reported is res as `hopscope diagnose -o json` prints it. Going through
// the JSON renderer keeps one output boundary: the reply is exactly what
// the reporter would show, sanitised the same way.
func reported(res *diagnose.Result) (*diagnose.Result, error) {
	var buf bytes.Buffer
	if err := report.Render(&buf, "json", res, report.Options{}); err != nil {
		return nil, fmt.Errorf("render the diagnosis: %w", err)
	}
	var out diagnose.Result
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("read back the JSON report: %w", err)
	}
	return &out, nil
}

func severityByKey(findings []diagnose.Finding) map[string]diagnose.Severity {
	out := make(map[string]diagnose.Severity, len(findings))
	for _, f := range findings {
		if f.Severity.Rank() > out[f.Key()].Rank() {
			out[f.Key()] = f.Severity
		}
	}
	return out
}

// traceSeverity is the worst severity of the findings on a path.
func traceSeverity(tr diagnose.Trace, severity map[string]diagnose.Severity) diagnose.Severity {
	worst := severity[tr.RootCause]
	for _, h := range tr.Hops {
		for _, k := range h.Findings {
			if s := severity[k]; s.Rank() > worst.Rank() {
				worst = s
			}
		}
	}
	return worst
}

// paginate fills one reply from pos: the summary (cut to a quarter of the
// budget if a dump makes it long), then findings, then paths, as many as
// the budget holds. An item larger than a whole page is cut down to fit,
// and the reply says so.
func (t *tools) paginate(summary diagnose.Summary, findings []diagnose.Finding, traces []diagnose.Trace, pos position, page Page, narrower func() []string) (*Diagnosis, error) {
	if pos.Findings > len(findings) || pos.Traces > len(traces) {
		return nil, fmt.Errorf("the cursor points past the end of the answer (it changed since): drop the cursor to start over")
	}
	budget := t.budgetBytes()
	page.BudgetTokens = t.cfg.Budget
	reply := &Diagnosis{
		Result: diagnose.Result{Findings: []diagnose.Finding{}, Traces: []diagnose.Trace{}, Summary: fitSummary(summary, budget/4)},
		Page:   page,
	}
	if sizeOf(reply)+cursorRoom+sizeOf(findings)+sizeOf(traces) > budget {
		reply.Page.Narrower = narrower()
	}
	room := budget - sizeOf(reply) - cursorRoom

	fs, used, trimmedFinding := fitList(findings[pos.Findings:], room, trimFinding)
	next := position{Query: pos.Query, Findings: pos.Findings + len(fs), Traces: pos.Traces}
	var ts []diagnose.Trace
	trimmedTrace := false
	if next.Findings == len(findings) {
		trim := trimTrace
		if len(fs) > 0 {
			trim = nil
		}
		ts, _, trimmedTrace = fitList(traces[pos.Traces:], room-used, trim)
		next.Traces += len(ts)
	}
	if trimmedFinding || trimmedTrace {
		reply.Page.Omitted = append(reply.Page.Omitted, "the one item on this page was larger than the whole budget: its long texts and lists were cut, marked \"cut to fit the reply budget\"; trace its path for the full walk")
	}
	reply.Findings = append(reply.Findings, fs...)
	reply.Traces = append(reply.Traces, ts...)
	for {
		reply.Page.Findings = &Window{From: pos.Findings, Count: len(reply.Findings), Total: len(findings)}
		reply.Page.Traces = &Window{From: pos.Traces, Count: len(reply.Traces), Total: len(traces)}
		next.Findings, next.Traces = pos.Findings+len(reply.Findings), pos.Traces+len(reply.Traces)
		reply.Page.Cursor = ""
		if next.Findings < len(findings) || next.Traces < len(traces) {
			reply.Page.Cursor = next.encode()
		}
		if sizeOf(reply) <= budget {
			return reply, nil
		}
		// The room kept for the cursor was not enough (a long scope or
		// many notes): give back the last item and measure again.
		switch {
		case len(reply.Traces) > 0 && len(reply.Findings)+len(reply.Traces) > 1:
			reply.Traces = reply.Traces[:len(reply.Traces)-1]
		case len(reply.Findings) > 1:
			reply.Findings = reply.Findings[:len(reply.Findings)-1]
		default:
			return nil, fmt.Errorf("the reply does not fit in a budget of %d tokens: start the server with a larger --budget", t.cfg.Budget)
		}
	}
}

// fitSummary cuts the summary's lists (what was not checked, duplicates,
// skipped kinds) until it takes at most room bytes; each cut list says
// how much it left out.
func fitSummary(s diagnose.Summary, room int) diagnose.Summary {
	if sizeOf(s) <= room {
		return s
	}
	var out diagnose.Summary
	for _, step := range trimSteps {
		out = s
		out.NotChecked = clipList(s.NotChecked, step.chars, step.entries)
		out.Duplicates = clipList(s.Duplicates, step.chars, step.entries)
		out.SkippedKinds = largestKinds(s.SkippedKinds, step.entries)
		if sizeOf(out) <= room {
			break
		}
	}
	return out
}

// largestKinds keeps the k most frequent skipped kinds and counts the
// others under one key, so that the counts still add up to Skipped.
func largestKinds(kinds map[string]int, k int) map[string]int {
	if len(kinds) <= k {
		return kinds
	}
	names := mostFirst(kinds)
	out := make(map[string]int, k+1)
	rest := 0
	for i, n := range names {
		if i < k {
			out[clip(n, 128)] += kinds[n]
			continue
		}
		rest += kinds[n]
	}
	out[fmt.Sprintf("(%d other kinds, cut to fit the reply budget)", len(names)-k)] = rest
	return out
}

// trimFinding cuts a finding's texts and lists until it takes at most room
// bytes. The check, object and container stay whole: they are the key
// the paths refer to.
func trimFinding(f diagnose.Finding, room int) (diagnose.Finding, bool) {
	for _, step := range trimSteps {
		g := f
		g.Symptom = clip(f.Symptom, step.chars)
		g.Cause = clip(f.Cause, step.chars)
		g.Fix = clip(f.Fix, step.chars)
		g.Verify = clip(f.Verify, step.chars)
		g.Evidence = clipList(f.Evidence, step.chars, step.entries)
		g.Path = clipList(f.Path, step.chars, step.entries)
		g.Affects = firstRefs(f.Affects, step.entries)
		g.ExplainedBy = firstRefs(f.ExplainedBy, step.entries)
		if f.Origin != nil {
			o := *f.Origin
			o.File = clip(o.File, step.chars)
			g.Origin = &o
		}
		if sizeOf(g) <= room {
			return g, true
		}
	}
	return f, false
}

// trimTrace cuts a path's hops and texts until it takes at most room
// bytes; the hops are kept from the entry inwards.
func trimTrace(tr diagnose.Trace, room int) (diagnose.Trace, bool) {
	for _, step := range trimSteps {
		g := tr
		g.Entry = clip(tr.Entry, step.chars)
		hops := tr.Hops
		if len(hops) > step.entries {
			hops = hops[:step.entries]
		}
		g.Hops = make([]diagnose.Hop, len(hops))
		for i, h := range hops {
			h.Reason = clip(h.Reason, step.chars)
			if len(h.Findings) > step.entries {
				h.Findings = h.Findings[:step.entries]
			}
			g.Hops[i] = h
		}
		if sizeOf(g) <= room {
			return g, true
		}
	}
	return tr, false
}

func firstRefs(refs []snapshot.ObjectRef, k int) []snapshot.ObjectRef {
	if len(refs) <= k {
		return refs
	}
	return refs[:k]
}

// mostFirst lists the keys of counts, the largest count first and equal
// counts by name, so that what a reply keeps or suggests is the same on
// every call.
func mostFirst(counts map[string]int) []string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}

// diagnoseNarrower suggests smaller calls when a diagnosis spans pages:
// the namespaces with the most findings, the errors alone, and the path
// of the first root cause.
func diagnoseNarrower(in DiagnoseInput, sc scope, findings []diagnose.Finding, traces []diagnose.Trace, floor diagnose.Severity) []string {
	var out []string
	if sc.all || !sc.explicit {
		perNS := map[string]int{}
		for _, f := range findings {
			if f.Object.Namespace != "" {
				perNS[f.Object.Namespace]++
			}
		}
		if len(perNS) > 1 {
			names := mostFirst(perNS)
			for _, n := range names[:min(3, len(names))] {
				args := in
				args.Namespace, args.AllNamespaces, args.Cursor = n, false, ""
				out = append(out, fmt.Sprintf("diagnose %s: %d finding(s) in namespace %s", call(args), perNS[n], n))
			}
		}
	}
	if floor != diagnose.SeverityError {
		errs := 0
		for _, f := range findings {
			if f.Severity == diagnose.SeverityError {
				errs++
			}
		}
		if errs > 0 && errs < len(findings) {
			args := in
			args.Severity, args.Cursor = string(diagnose.SeverityError), ""
			out = append(out, fmt.Sprintf("diagnose %s: the %d error(s) alone", call(args), errs))
		}
	}
	for _, tr := range traces {
		if tr.RootCause == "" || len(tr.Hops) == 0 {
			continue
		}
		if entry, ok := entryOf(tr.Hops[0].Object); ok {
			out = append(out, fmt.Sprintf("trace %s: the first broken path, hop by hop", call(TraceInput{Entries: []string{entry}, Namespace: tr.Hops[0].Object.Namespace})))
		}
		break
	}
	return out
}

// traceNarrower suggests tracing entries one at a time.
func traceNarrower(in TraceInput, sc scope) []string {
	if len(in.Entries) < 2 {
		return nil
	}
	var out []string
	for _, e := range in.Entries[:min(3, len(in.Entries))] {
		out = append(out, "trace "+call(TraceInput{Entries: []string{e}, Namespace: sc.namespace}))
	}
	return out
}

// entryOf is the trace entry that starts at obj: ingress/NAME or
// service/NAME.
func entryOf(obj snapshot.ObjectRef) (string, bool) {
	switch obj.Kind {
	case snapshot.KindIngress:
		return "ingress/" + obj.Name, true
	case snapshot.KindService:
		return "service/" + obj.Name, true
	}
	return "", false
}

// call formats arguments as the JSON an assistant passes to a tool.
func call(args any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "{}"
	}
	return strings.TrimSpace(b.String())
}
