package mcpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// TestEveryReplyWithinBudgetOn20kPods drives every tool over the
// 20,000-pod dump of the benchmarks (BENCHMARKS.md) and checks each reply
// against the default budget (callRaw measures both the text and the
// structured content). Following the cursors must visit every finding
// and path exactly once.
func TestEveryReplyWithinBudgetOn20kPods(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 36 MB dump")
	}
	dump, err := synth.CachedFile("", synth.Config{Pods: 20000, Seed: 1}, synth.YAML)
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, filesConfig(dump))

	first, findings, traces := followDiagnosis(t, cs, "diagnose", DiagnoseInput{})
	if first.Summary.Findings == 0 || len(findings) != first.Summary.Findings {
		t.Errorf("paged through %d findings, the summary counts %d", len(findings), first.Summary.Findings)
	}
	if first.Page.Cursor == "" || len(first.Page.Narrower) == 0 {
		t.Errorf("page 1 of a 20k-pod diagnosis: cursor %q, narrower %q; want both", first.Page.Cursor, first.Page.Narrower)
	}
	if !slices.ContainsFunc(first.Page.Omitted, func(s string) bool { return strings.Contains(s, "healthy path") }) {
		t.Errorf("page 1 does not say that healthy paths were left out: %q", first.Page.Omitted)
	}
	_, _, all := followDiagnosis(t, cs, "diagnose", DiagnoseInput{IncludeHealthy: true})
	if len(all) <= len(traces) {
		t.Errorf("includeHealthy listed %d paths, without it %d: want more", len(all), len(traces))
	}

	// Every narrower call page 1 suggests is a valid call within budget.
	for _, s := range first.Page.Narrower {
		tool, args := parseSuggestion(t, s)
		res := callRaw(t, cs, 0, tool, args)
		if res.IsError {
			t.Errorf("suggested call %s: %s", s, textOf(res))
		}
	}

	// Trace the broken paths of one namespace at once, and one URL.
	ns := findingsNamespace(first)
	_, _, brokenTraces := followDiagnosis(t, cs, "diagnose", DiagnoseInput{Namespace: ns})
	var entries []string
	for _, e := range brokenTraces {
		if strings.HasPrefix(e, "Service/") || strings.HasPrefix(e, "Ingress/") {
			kind, rest, _ := strings.Cut(e, "/")
			_, name, _ := strings.Cut(strings.Fields(rest)[0], "/")
			entries = append(entries, strings.ToLower(kind)+"/"+name)
		}
	}
	if len(entries) == 0 {
		t.Fatalf("no broken path in namespace %s to trace", ns)
	}
	followDiagnosis(t, cs, "trace", TraceInput{Entries: entries, Namespace: ns})
	host := strings.Fields(brokenTraces[0])
	if len(host) > 1 {
		followDiagnosis(t, cs, "trace", TraceInput{Entries: []string{"http://" + host[1]}, Namespace: ns})
	}

	// The catalog tools.
	for _, c := range checks.All() {
		var e CheckExplanation
		callTool(t, cs, 0, "explain_check", ExplainCheckInput{ID: c.ID}, &e)
	}
	var list CheckList
	callTool(t, cs, 0, "list_checks", ListChecksInput{}, &list)
	var labList LabList
	callTool(t, cs, 0, "list_labs", ListLabsInput{}, &labList)
	catalog, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range catalog {
		for _, reveal := range []string{"none", "hints", "solution"} {
			var b LabBriefing
			callTool(t, cs, 0, "show_lab", ShowLabInput{ID: l.ID, Reveal: reveal}, &b)
		}
	}
}

// followDiagnosis calls a diagnosing tool and follows its cursor to the
// end, checking that each page starts where the last one ended and that no
// finding or path comes twice. It returns the first page and every
// finding key and path entry, in order.
func followDiagnosis(t *testing.T, cs *mcp.ClientSession, tool string, args any) (first Diagnosis, findings, traces []string) {
	t.Helper()
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var got Diagnosis
		callTool(t, cs, 0, tool, args, &got)
		if page == 1 {
			first = got
		}
		if got.Page.Findings.From != len(findings) || got.Page.Traces.From != len(traces) {
			t.Fatalf("%s page %d starts at finding %d, path %d; the previous pages ended at %d, %d", tool, page, got.Page.Findings.From, got.Page.Traces.From, len(findings), len(traces))
		}
		if len(got.Findings)+len(got.Traces) == 0 && got.Page.Cursor != "" {
			t.Fatalf("%s page %d is empty but has a cursor", tool, page)
		}
		for _, f := range got.Findings {
			if seen["f "+f.Key()] {
				t.Errorf("%s: finding %s on two pages", tool, f.Key())
			}
			seen["f "+f.Key()] = true
			findings = append(findings, f.Key())
		}
		for _, tr := range got.Traces {
			if seen["t "+tr.Entry] {
				t.Errorf("%s: path %s on two pages", tool, tr.Entry)
			}
			seen["t "+tr.Entry] = true
			traces = append(traces, tr.Entry)
		}
		if got.Page.Cursor == "" {
			if len(findings) != got.Page.Findings.Total || len(traces) != got.Page.Traces.Total {
				t.Errorf("%s: the pages held %d findings and %d paths, the totals say %d and %d", tool, len(findings), len(traces), got.Page.Findings.Total, got.Page.Traces.Total)
			}
			return first, findings, traces
		}
		if page > 1000 {
			t.Fatalf("%s: the cursor never ends", tool)
		}
		switch in := args.(type) {
		case DiagnoseInput:
			in.Cursor = got.Page.Cursor
			args = in
		case TraceInput:
			in.Cursor = got.Page.Cursor
			args = in
		}
	}
}

// findingsNamespace is the namespace of the first page's first finding.
func findingsNamespace(d Diagnosis) string {
	if len(d.Findings) == 0 {
		return "default"
	}
	return d.Findings[0].Object.Namespace
}

// parseSuggestion splits a page.narrower line, "tool {json}: why", into
// the tool and its arguments.
func parseSuggestion(t *testing.T, s string) (string, map[string]any) {
	t.Helper()
	tool, rest, ok := strings.Cut(s, " ")
	if !ok {
		t.Fatalf("suggestion %q: want \"tool {arguments}: why\"", s)
	}
	var args map[string]any
	if err := json.NewDecoder(strings.NewReader(rest)).Decode(&args); err != nil {
		t.Fatalf("suggestion %q: arguments: %v", s, err)
	}
	return tool, args
}

// TestOversizedItemsAreCutToFit: a finding, a path or a summary larger
// than a whole page is cut down, marked, and the reply stays in budget.
func TestOversizedItemsAreCutToFit(t *testing.T) {
	long := strings.Repeat("évidence ", 200)
	huge := diagnose.Finding{
		Layer: diagnose.LayerService, Check: "service-selector-matches-no-pods", Severity: diagnose.SeverityError,
		Object:  snapshot.ObjectRef{Kind: "Service", Namespace: "shop", Name: "api"},
		Path:    []string{"Service/shop/api"},
		Symptom: long, Cause: long, Fix: long, Verify: long,
		Origin: &snapshot.Origin{File: strings.Repeat("dir/", 500) + "x.yaml"},
	}
	for i := range 2000 {
		huge.Evidence = append(huge.Evidence, fmt.Sprintf("pod %d: %s", i, long))
	}
	hops := make([]diagnose.Hop, 500)
	for i := range hops {
		hops[i] = diagnose.Hop{Layer: diagnose.LayerPod, Object: snapshot.ObjectRef{Kind: "Pod", Namespace: "shop", Name: fmt.Sprintf("api-%d", i)},
			Status: diagnose.StatusBroken, Reason: long, Findings: []string{huge.Key()}}
	}
	path := diagnose.Trace{Entry: "Service/shop/api", Status: diagnose.TraceBroken, Hops: hops, RootCause: huge.Key()}
	summary := diagnose.Summary{Findings: 1, Errors: 1, SkippedKinds: map[string]int{}}
	for i := range 3000 {
		summary.NotChecked = append(summary.NotChecked, fmt.Sprintf("Pod/shop/p-%d (node): %s", i, long))
		summary.SkippedKinds[fmt.Sprintf("example.com/v1/Kind%d", i)] = i + 1
		summary.Skipped += i + 1
	}

	tl := &tools{cfg: Config{Budget: MinBudget}}
	pos := position{Query: 1}
	var gotFindings, gotTraces int
	for page := 1; ; page++ {
		reply, err := tl.paginate(summary, []diagnose.Finding{huge}, []diagnose.Trace{path}, pos, Page{Scope: "test"}, func() []string { return []string{"diagnose {}: narrower"} })
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		if err := enc.Encode(reply); err != nil {
			t.Fatal(err)
		}
		if n := Tokens(bytes.TrimSpace(buf.Bytes())); n > MinBudget {
			t.Fatalf("page %d takes %d tokens, over the budget of %d", page, n, MinBudget)
		}
		if !slices.ContainsFunc(reply.Page.Omitted, func(s string) bool { return strings.Contains(s, "cut") }) {
			t.Errorf("page %d cut an item without saying so: %q", page, reply.Page.Omitted)
		}
		total := 0
		for _, n := range reply.Summary.SkippedKinds {
			total += n
		}
		if total != summary.Skipped {
			t.Errorf("the cut skippedKinds add up to %d, want %d", total, summary.Skipped)
		}
		if !strings.Contains(strings.Join(reply.Summary.NotChecked, "\n"), "more not shown") {
			t.Errorf("the cut notChecked list does not say how much it left out")
		}
		gotFindings += len(reply.Findings)
		gotTraces += len(reply.Traces)
		if reply.Page.Cursor == "" {
			break
		}
		if page > 2 {
			t.Fatal("one finding and one path took more than two pages")
		}
		pos.Findings += len(reply.Findings)
		pos.Traces += len(reply.Traces)
	}
	if gotFindings != 1 || gotTraces != 1 {
		t.Errorf("pages held %d findings and %d paths, want the one of each", gotFindings, gotTraces)
	}
}
