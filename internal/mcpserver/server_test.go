package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/report"
)

// seedLab1 is the seed article's lab 1 as the article writes it: the
// Service selects app=api, the Deployment's pods carry app=api-v1.
const seedLab1 = "../../examples/seed/lab1-as-written.yaml"

// wantTools are the tools a client must see, no more: a tool added later
// must be read-only and listed here, or this test fails.
var wantTools = []string{"diagnose", "explain_check", "list_checks", "list_labs", "show_lab", "trace"}

// connect starts a server for cfg and returns a client session to it over
// the SDK's in-memory transport.
func connect(t testing.TB, cfg Config) *mcp.ClientSession {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serverEnd, clientEnd := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, serverEnd, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "hopscope-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, clientEnd, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		_ = ss.Wait()
	})
	return cs
}

func filesConfig(paths ...string) Config {
	return Config{Source: Source{Files: paths}}
}

// callTool calls a tool that must succeed and decodes its structured
// reply into out. It checks what every reply promises: the structured and
// the text content are the same JSON, within the budget.
func callTool(t testing.TB, cs *mcp.ClientSession, budget int, name string, args, out any) {
	t.Helper()
	res := callRaw(t, cs, budget, name, args)
	if res.IsError {
		t.Fatalf("%s %s: tool error: %s", name, call(args), textOf(res))
	}
	structured, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(structured, out); err != nil {
		t.Fatalf("%s: decode structured content: %v", name, err)
	}
	var fromText any
	if err := json.Unmarshal([]byte(textOf(res)), &fromText); err != nil {
		t.Fatalf("%s: the text content is not the reply's JSON: %v\n%s", name, err, textOf(res))
	}
	var fromStructured any
	_ = json.Unmarshal(structured, &fromStructured)
	if !reflect.DeepEqual(fromText, fromStructured) {
		t.Errorf("%s: text and structured content differ", name)
	}
}

// callRaw calls a tool and checks the size of whatever it answers.
func callRaw(t testing.TB, cs *mcp.ClientSession, budget int, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s %s: %v", name, call(args), err)
	}
	if budget == 0 {
		budget = DefaultBudget
	}
	text := textOf(res)
	if n := tokensIn(len(text)); n > budget {
		t.Errorf("%s %s: the text reply takes %d tokens, over the budget of %d", name, call(args), n, budget)
	}
	if res.StructuredContent != nil {
		structured, _ := json.Marshal(res.StructuredContent)
		if n := Tokens(structured); n > budget {
			t.Errorf("%s %s: the structured reply takes %d tokens, over the budget of %d", name, call(args), n, budget)
		}
	}
	return res
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestToolsAreReadOnlyAndTyped(t *testing.T) {
	for _, src := range []struct {
		name string
		cfg  Config
		// cluster: diagnose and trace reach a cluster, an open world.
		cluster bool
	}{
		{"files", filesConfig(seedLab1), false},
		{"cluster", Config{Source: Source{Namespace: "default"}}, true},
	} {
		t.Run(src.name, func(t *testing.T) {
			cs := connect(t, src.cfg)
			list, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
				a := tool.Annotations
				if a == nil || !a.ReadOnlyHint || !a.IdempotentHint || a.DestructiveHint == nil || *a.DestructiveHint {
					t.Errorf("tool %s: annotations %+v, want readOnlyHint, idempotentHint and destructiveHint false", tool.Name, a)
				}
				wantOpen := src.cluster && (tool.Name == "diagnose" || tool.Name == "trace")
				if a != nil && (a.OpenWorldHint == nil || *a.OpenWorldHint != wantOpen) {
					t.Errorf("tool %s: openWorldHint %v, want %v", tool.Name, a.OpenWorldHint, wantOpen)
				}
				if tool.InputSchema == nil || tool.OutputSchema == nil {
					t.Errorf("tool %s: input schema %v, output schema %v: want both typed", tool.Name, tool.InputSchema != nil, tool.OutputSchema != nil)
				}
				if tool.Description == "" {
					t.Errorf("tool %s has no description", tool.Name)
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, wantTools) {
				t.Errorf("tools %v, want %v", names, wantTools)
			}
		})
	}
}

// TestDiagnoseSeedLab1 is the acceptance test: diagnose on the
// seed's lab 1 names the Service as the root cause, with the fix and the
// verify command, in exactly the JSON `hopscope diagnose -o json` prints.
func TestDiagnoseSeedLab1(t *testing.T) {
	cs := connect(t, filesConfig(seedLab1))
	var got Diagnosis
	callTool(t, cs, 0, "diagnose", DiagnoseInput{}, &got)

	if len(got.Findings) == 0 {
		t.Fatalf("no findings on lab 1")
	}
	root := got.Findings[0]
	if root.Check != "service-selector-matches-no-pods" || root.Object.Kind != "Service" || root.Object.Name != "api-svc" {
		t.Fatalf("first finding %s, want service-selector-matches-no-pods on Service api-svc", root.Key())
	}
	if !strings.Contains(strings.Join(root.Evidence, "\n"), `want "api", pod has "api-v1"`) {
		t.Errorf("root cause evidence does not quote the label mismatch: %q", root.Evidence)
	}
	if !strings.HasPrefix(root.Fix, "kubectl ") || root.Verify != "kubectl get endpoints -n default -- api-svc" {
		t.Errorf("fix %q, verify %q: want a kubectl fix and the endpoints as the verify command", root.Fix, root.Verify)
	}
	if len(got.Traces) != 1 || got.Traces[0].RootCause != root.Key() || got.Traces[0].Status != diagnose.TraceBroken {
		t.Errorf("traces %+v: want the one broken path with the Service's finding as its root cause", got.Traces)
	}
	if got.Page.Cursor != "" || got.Page.Findings.Total != len(got.Findings) {
		t.Errorf("page %+v: the whole answer fits, want no cursor", got.Page)
	}

	// The same JSON as the reporter: every path of lab 1 is broken, so
	// nothing is left out.
	res := diagnosetest.FilesWith(t, diagnose.Options{Namespace: "default"}, seedLab1)
	var buf bytes.Buffer
	if err := report.Render(&buf, "json", res, report.Options{}); err != nil {
		t.Fatal(err)
	}
	var want diagnose.Result
	if err := json.Unmarshal(buf.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Result, want) {
		gotJSON, _ := json.MarshalIndent(got.Result, "", "  ")
		t.Errorf("the reply differs from `hopscope diagnose -o json`:\ngot:\n%s\nwant:\n%s", gotJSON, buf.Bytes())
	}
}

func TestTraceService(t *testing.T) {
	cs := connect(t, filesConfig(seedLab1))
	var got Diagnosis
	callTool(t, cs, 0, "trace", TraceInput{Entries: []string{"service/api-svc"}}, &got)
	if len(got.Traces) != 1 || got.Traces[0].Entry != "Service/default/api-svc" {
		t.Fatalf("traces %+v, want the path of Service/default/api-svc", got.Traces)
	}
	hops := got.Traces[0].Hops
	if len(hops) < 2 || hops[0].Status != diagnose.StatusBroken || !hops[0].RootCause || hops[1].Status != diagnose.StatusAffected {
		t.Errorf("hops %+v: want the Service broken (the root cause) and the Endpoints below it affected", hops)
	}

	res := callRaw(t, cs, 0, "trace", TraceInput{Entries: []string{"service/no-such-svc"}})
	if !res.IsError || !strings.Contains(textOf(res), "no-such-svc") {
		t.Errorf("trace of a missing Service: want a tool error naming it, got %s", textOf(res))
	}
	res = callRaw(t, cs, 0, "trace", map[string]any{"entries": []string{}})
	if !res.IsError {
		t.Errorf("trace without entries: want a tool error, got %s", textOf(res))
	}
}

func TestDiagnoseRejectsBadArguments(t *testing.T) {
	cs := connect(t, filesConfig(seedLab1))
	for _, tc := range []struct {
		args any
		want string
	}{
		{map[string]any{"severity": "fatal"}, "severity"},
		{DiagnoseInput{Skip: []string{"no-such-check"}}, "no-such-check"},
		{DiagnoseInput{Namespace: "shop", AllNamespaces: true}, "contradict"},
		{DiagnoseInput{Cursor: "not-a-cursor"}, "cursor"},
	} {
		res := callRaw(t, cs, 0, "diagnose", tc.args)
		if !res.IsError || !strings.Contains(textOf(res), tc.want) {
			t.Errorf("diagnose %s: want a tool error mentioning %q, got %s", call(tc.args), tc.want, textOf(res))
		}
	}
}

// TestDiagnoseNamesWhatWasNotChecked: a namespace the input does not hold
// is said to be unchecked, not reported healthy.
func TestDiagnoseNamesWhatWasNotChecked(t *testing.T) {
	cs := connect(t, filesConfig(seedLab1))
	var got Diagnosis
	callTool(t, cs, 0, "diagnose", DiagnoseInput{Namespace: "shop"}, &got)
	if len(got.Findings) != 0 || !slices.ContainsFunc(got.Summary.NotChecked, func(s string) bool { return strings.Contains(s, "namespace shop") }) {
		t.Errorf("diagnose of a namespace the input lacks: findings %d, notChecked %q; want none and the namespace named", len(got.Findings), got.Summary.NotChecked)
	}
	if !strings.Contains(got.Page.Scope, "namespace shop") {
		t.Errorf("page scope %q does not name the namespace diagnosed", got.Page.Scope)
	}
}

// TestCursorPagesCoverTheAnswer pages a diagnosis with the smallest budget
// and checks that the pages hold every finding and path exactly once, in
// the order of one reply with no budget.
func TestCursorPagesCoverTheAnswer(t *testing.T) {
	dir := t.TempDir()
	var manifest strings.Builder
	for _, ns := range []string{"alpha", "beta", "gamma"} {
		manifest.WriteString(strings.ReplaceAll(webDeployment, "NS", ns))
		for i := range 8 {
			manifest.WriteString(strings.NewReplacer("NS", ns, "N", string(rune('a'+i))).Replace(orphanService))
		}
	}
	path := filepath.Join(dir, "orphans.yaml")
	if err := os.WriteFile(path, []byte(manifest.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filesConfig(path)
	cfg.Budget = MinBudget
	cs := connect(t, cfg)

	var findings []string
	var traces []string
	in := DiagnoseInput{IncludeHealthy: true}
	pages := 0
	for {
		var got Diagnosis
		callTool(t, cs, MinBudget, "diagnose", in, &got)
		pages++
		if got.Page.Findings.From != len(findings) || got.Page.Traces.From != len(traces) {
			t.Fatalf("page %d starts at finding %d, path %d; want %d, %d", pages, got.Page.Findings.From, got.Page.Traces.From, len(findings), len(traces))
		}
		for _, f := range got.Findings {
			findings = append(findings, f.Key())
		}
		for _, tr := range got.Traces {
			traces = append(traces, tr.Entry)
		}
		if pages == 1 && len(got.Page.Narrower) == 0 {
			t.Errorf("a diagnosis spanning pages suggests no narrower call")
		}
		if got.Page.Cursor == "" {
			break
		}
		if pages > 100 {
			t.Fatal("the cursor never ends")
		}
		in.Cursor = got.Page.Cursor
	}
	if pages < 3 {
		t.Errorf("24 findings and paths fit in %d page(s) of %d tokens: the test does not exercise the cursor", pages, MinBudget)
	}
	whole := connect(t, Config{Source: Source{Files: []string{path}}, Budget: 1 << 20})
	var all Diagnosis
	callTool(t, whole, 1<<20, "diagnose", DiagnoseInput{IncludeHealthy: true}, &all)
	var wantFindings, wantTraces []string
	for _, f := range all.Findings {
		wantFindings = append(wantFindings, f.Key())
	}
	for _, tr := range all.Traces {
		wantTraces = append(wantTraces, tr.Entry)
	}
	if !slices.Equal(findings, wantFindings) || !slices.Equal(traces, wantTraces) {
		t.Errorf("paged answer differs from the whole one:\nfindings %q\nwant     %q\ntraces %q\nwant   %q", findings, wantFindings, traces, wantTraces)
	}

	// A cursor only continues the call that issued it.
	var first Diagnosis
	callTool(t, cs, MinBudget, "diagnose", DiagnoseInput{IncludeHealthy: true}, &first)
	res := callRaw(t, cs, MinBudget, "diagnose", DiagnoseInput{Severity: "error", Cursor: first.Page.Cursor})
	if !res.IsError || !strings.Contains(textOf(res), "other arguments") {
		t.Errorf("a cursor passed to a call with other arguments: want a tool error, got %s", textOf(res))
	}
}

// webDeployment gives a namespace pods, so that a Service selecting none
// of them is an error rather than "not checked"; NS is replaced.
const webDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}
---
`

// orphanService is a Service that selects no pod; NS and N are replaced.
const orphanService = `
apiVersion: v1
kind: Service
metadata: {name: orphan-N, namespace: NS}
spec:
  selector: {app: nothing-N}
  ports: [{port: 80, targetPort: 8080}]
---
`

// TestHostileStringsPassTheBoundary: what a manifest smuggles into a
// quoted value reaches the client escaped and redacted, in errors too.
func TestHostileStringsPassTheBoundary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hostile.yaml")
	manifest := "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: \"evil\\e]0;pwned\\a\\u202e\"}\n  ports: [{port: 80, targetPort: \"http://admin:hunter2@db\"}]\n"
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, filesConfig(path))
	res := callRaw(t, cs, 0, "diagnose", DiagnoseInput{})
	text := textOf(res)
	if res.IsError {
		t.Fatalf("diagnose: %s", text)
	}
	var decoded Diagnosis
	if err := json.Unmarshal([]byte(text), &decoded); err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(decoded.Result)
	var plain any
	_ = json.Unmarshal(all, &plain)
	walkStrings(plain, func(s string) {
		if strings.ContainsAny(s, "\x1b\a\u202e") || strings.Contains(s, "hunter2") {
			t.Errorf("a reply string carries a control character, a bidi override or a password: %q", s)
		}
	})
	if !strings.Contains(string(all), `\\x1b`) {
		t.Errorf("the escape character was dropped instead of shown escaped:\n%s", all)
	}

	res = callRaw(t, cs, 0, "trace", TraceInput{Entries: []string{"service/x\x1b[2Jy"}})
	if !res.IsError || strings.ContainsRune(textOf(res), '\x1b') {
		t.Errorf("an error quoting a hostile entry must be escaped: %q", textOf(res))
	}
}

func walkStrings(v any, visit func(string)) {
	switch x := v.(type) {
	case string:
		visit(x)
	case []any:
		for _, e := range x {
			walkStrings(e, visit)
		}
	case map[string]any:
		for k, e := range x {
			visit(k)
			walkStrings(e, visit)
		}
	}
}

func TestExplainAndListChecks(t *testing.T) {
	cs := connect(t, Config{Source: Source{Files: []string{seedLab1}}, Budget: MinBudget})
	var got CheckExplanation
	callTool(t, cs, MinBudget, "explain_check", ExplainCheckInput{ID: "service-selector-matches-no-pods"}, &got)
	want := checks.ByID("service-selector-matches-no-pods")
	if got.Layer != want.Layer || got.Severity != want.Severity || got.Doc != want.Doc || !strings.Contains(got.Walk, "[service]") {
		t.Errorf("explain_check: %+v, want the registry's layer, severity and doc", got)
	}
	res := callRaw(t, cs, MinBudget, "explain_check", ExplainCheckInput{ID: "selector-mismatch"})
	if !res.IsError || !strings.Contains(textOf(res), "selector") || !strings.Contains(textOf(res), "list_checks") {
		t.Errorf("explain_check of an unknown ID: want an error with close IDs, got %s", textOf(res))
	}

	var ids []string
	in := ListChecksInput{}
	for page := 0; ; page++ {
		var list CheckList
		callTool(t, cs, MinBudget, "list_checks", in, &list)
		for _, c := range list.Checks {
			ids = append(ids, c.ID)
		}
		if list.Page.Cursor == "" {
			break
		}
		if page > 50 {
			t.Fatal("the cursor never ends")
		}
		in.Cursor = list.Page.Cursor
	}
	var registry []string
	for _, c := range checks.All() {
		registry = append(registry, c.ID)
	}
	if !slices.Equal(ids, registry) {
		t.Errorf("list_checks paged through %d checks, want the registry's %d in order", len(ids), len(registry))
	}

	var dns CheckList
	callTool(t, cs, MinBudget, "list_checks", ListChecksInput{Layer: "dns"}, &dns)
	for _, c := range dns.Checks {
		if c.Layer != diagnose.LayerDNS {
			t.Errorf("list_checks layer dns returned %s of layer %s", c.ID, c.Layer)
		}
	}
	if len(dns.Checks) == 0 {
		t.Error("list_checks layer dns returned nothing")
	}
}

func TestLabs(t *testing.T) {
	cs := connect(t, filesConfig(seedLab1))
	catalog, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var list LabList
	callTool(t, cs, 0, "list_labs", ListLabsInput{}, &list)
	if len(list.Labs) != len(catalog) || list.Page.Cursor != "" {
		t.Errorf("list_labs: %d labs (cursor %q), want all %d in one page", len(list.Labs), list.Page.Cursor, len(catalog))
	}

	var brief LabBriefing
	callTool(t, cs, 0, "show_lab", ShowLabInput{ID: "1"}, &brief)
	if brief.Scenario == "" || len(brief.Observe) == 0 || brief.Hints != nil || brief.Solution != nil || brief.Hidden == "" {
		t.Errorf("show_lab 1: %+v; want the briefing without hints or solution, saying how to get them", brief)
	}
	var solved LabBriefing
	callTool(t, cs, 0, "show_lab", ShowLabInput{ID: "1", Reveal: "solution"}, &solved)
	if solved.Solution == nil || solved.Solution.Check != "service-selector-matches-no-pods" || len(solved.Hints) == 0 {
		t.Errorf("show_lab 1 reveal solution: %+v; want the hints and the expected finding", solved.Solution)
	}
	var gateway LabBriefing
	callTool(t, cs, 0, "show_lab", ShowLabInput{ID: "18", Reveal: "solution"}, &gateway)
	if gateway.Solution == nil || !strings.HasPrefix(gateway.Solution.Source, "https://") {
		t.Errorf("show_lab 18 reveal solution: %+v; want the public report it is modelled on", gateway.Solution)
	}
	res := callRaw(t, cs, 0, "show_lab", ShowLabInput{ID: "99"})
	if !res.IsError || !strings.Contains(textOf(res), "99") {
		t.Errorf("show_lab 99: want an error naming the missing lab, got %s", textOf(res))
	}
}
