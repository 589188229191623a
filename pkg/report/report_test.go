package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/golden"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// matchGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func matchGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got, "go test ./pkg/report -update")
}

func render(t *testing.T, format string, res *diagnose.Result, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, res, opt); err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return b.Bytes()
}

func labOptions() Options {
	return Options{Checks: labChecks(), ToolVersion: "0.0.0-test"}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		file   string
		format string
		res    *diagnose.Result
		opt    Options
	}{
		{"lab.txt", "text", labResult(), labOptions()},
		{"lab-color.txt", "text", labResult(), Options{Color: true}},
		{"lab-explain.txt", "text", labResult(), Options{Explain: true, Checks: labChecks()}},
		{"lab.json", "json", labResult(), labOptions()},
		{"lab.sarif", "sarif", labResult(), labOptions()},
		{"lab.md", "markdown", labResult(), labOptions()},
		{"lab.html", "html", labResult(), labOptions()},
		{"empty.txt", "text", &diagnose.Result{}, Options{}},
		{"empty.json", "json", &diagnose.Result{}, Options{}},
		{"empty.md", "markdown", &diagnose.Result{}, Options{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			matchGolden(t, c.file, render(t, c.format, c.res, c.opt))
		})
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "yaml", labResult(), Options{})
	if err == nil || !strings.Contains(err.Error(), `"yaml"`) || !strings.Contains(err.Error(), "sarif") {
		t.Fatalf("want an error naming the format and the choices, got %v", err)
	}
	for _, f := range Formats {
		if !Known(f) {
			t.Errorf("Known(%q) = false", f)
		}
	}
	if Known("yaml") {
		t.Error(`Known("yaml") = true`)
	}
}

// TestTextOrder pins what an SRE reads first and last: broken paths before
// healthy ones, healthy paths one line each, off-path findings after them,
// the summary on the last line.
func TestTextOrder(t *testing.T) {
	out := string(render(t, "text", labResult(), Options{}))
	order := []string{
		"✘ Ingress/default/app-ingress shop.example.com/api",
		"✘ Service  default/api-svc  ◀ root cause",
		"ROOT CAUSE  ✘ error  service-selector-matches-no-pods  Service/default/api-svc  (k8s/lab1.yaml:24)",
		"✘ Service/default/worker",
		"ROOT CAUSE  ✘ error  container-crashloop  Pod/default/worker-6c9f7d8b5-2xkqp",
		"1 PATH HEALTHY, 1 PATH NOT FULLY CHECKED",
		"✔ Ingress/default/web shop.example.com/  Ingress → Service → Endpoints → Pod → Container (3/3 pod(s) healthy)",
		"OTHER FINDINGS",
		"container-crashloop  Pod/default/worker-6c9f7d8b5-h7r4m",
		"exposure-nodeport  Service/default/node-svc",
		"dns-reference-unknown-service  ConfigMap/default/app-config",
		"none traced",
	}
	pos := 0
	for _, want := range order {
		i := strings.Index(out[pos:], want)
		if i < 0 {
			t.Fatalf("%q missing or out of order after byte %d in:\n%s", want, pos, out)
		}
		pos += i + len(want)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "4 paths traced: 2 broken, 1 not fully checked, 1 healthy · 5 findings: 3 errors, 2 warnings, 0 info · 23 objects") {
		t.Errorf("last line is not the summary: %q", last)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("ANSI escapes in uncoloured output")
	}
	for _, l := range lines {
		if strings.Contains(l, "web") && strings.Contains(l, "Endpoints  default/web") {
			t.Errorf("a healthy path was drawn hop by hop without Explain: %q", l)
		}
	}
}

func TestTextTreeNestsPodsUnderEndpoints(t *testing.T) {
	out := string(render(t, "text", labResult(), Options{}))
	want := strings.Join([]string{
		"  ▲ Service  default/worker  · affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)",
		"  └─ ▲ Endpoints  default/worker  · affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)",
		"     ├─ ▲ Pod  default/worker-6c9f7d8b5-2xkqp  · 2 of 2 pod(s) broken; affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)",
		"     │  └─ ✘ Container  default/worker-6c9f7d8b5-2xkqp  ◀ root cause",
		"     └─ ✔ Pod  default/worker-6c9f7d8b5-h7r4m",
		"        └─ ✘ Container  default/worker-6c9f7d8b5-h7r4m",
	}, "\n")
	if !strings.Contains(out, want) {
		t.Errorf("worker tree not drawn as\n%s\nin\n%s", want, out)
	}
}

func TestTextColorOnlyWhenAsked(t *testing.T) {
	out := string(render(t, "text", labResult(), Options{Color: true}))
	if !strings.Contains(out, "\x1b[31m✘\x1b[0m") {
		t.Error("broken marks are not red with Color")
	}
	if !strings.Contains(out, "\x1b[32m✔\x1b[0m") {
		t.Error("healthy marks are not green with Color")
	}
}

func TestTextSharedRootCauseIsReferredBack(t *testing.T) {
	res := labResult()
	second := res.Traces[0]
	second.Entry = "Ingress/default/app-ingress api.example.com/"
	res.Traces = append(res.Traces, second)
	out := string(render(t, "text", res, Options{}))
	if n := strings.Count(out, "symptom   ENDPOINTS: <none>"); n != 1 {
		t.Errorf("root cause printed %d times, want once", n)
	}
	if !strings.Contains(out, "ROOT CAUSE  same as above: service-selector-matches-no-pods on Service/default/api-svc") {
		t.Errorf("second path does not refer back to the root cause:\n%s", out)
	}
}

func TestJSONContract(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(render(t, "json", &diagnose.Result{}, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"findings", "traces"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s is %T, want an array (never null)", k, doc[k])
		}
	}
	summary, ok := doc["summary"].(map[string]any)
	if !ok {
		t.Fatalf("summary is %T", doc["summary"])
	}
	for _, k := range []string{"objects", "findings", "errors", "warnings"} {
		if _, ok := summary[k].(float64); !ok {
			t.Errorf("summary.%s missing", k)
		}
	}

	res := &diagnose.Result{
		Findings: []diagnose.Finding{{Layer: diagnose.LayerService, Check: "x", Severity: diagnose.SeverityError, Object: apiSvcRef}},
		Traces:   []diagnose.Trace{{Entry: "Service/default/api-svc"}},
	}
	out := render(t, "json", res, Options{})
	var back struct {
		Findings []map[string]any `json:"findings"`
		Traces   []map[string]any `json:"traces"`
	}
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"evidence", "path"} {
		if _, ok := back.Findings[0][k].([]any); !ok {
			t.Errorf("finding.%s is %T, want []", k, back.Findings[0][k])
		}
	}
	if _, ok := back.Traces[0]["hops"].([]any); !ok {
		t.Errorf("trace.hops is %T, want []", back.Traces[0]["hops"])
	}
	if res.Findings[0].Evidence != nil {
		t.Error("rendering changed the caller's Result")
	}

	lab := string(render(t, "json", labResult(), Options{}))
	for _, want := range []string{`"symptom": "ENDPOINTS: <none> for Service api-svc"`, `"status": "not checked"`, `"rootCause": "service-selector-matches-no-pods Service/default/api-svc"`, `"line": 24`} {
		if !strings.Contains(lab, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestMarkdownEscapesInput(t *testing.T) {
	res := labResult()
	res.Findings[0].Evidence = append(res.Findings[0].Evidence, "annotation: <img src=x onerror=alert(1)> | *bold* [link](http://x)")
	res.Traces[0].Entry = "Ingress/default/app-ingress shop.example.com/a|b`c"
	out := string(render(t, "markdown", res, Options{}))
	if strings.Contains(out, "<img") {
		t.Error("raw HTML from the input reached the Markdown")
	}
	if !strings.Contains(out, `&lt;img src=x onerror=alert(1)&gt; \| \*bold\* \[link\](http://x)`) {
		t.Errorf("evidence not escaped as expected:\n%s", out)
	}
	if !strings.Contains(out, "``Ingress/default/app-ingress shop.example.com/a|b`c``") {
		t.Errorf("entry with a backtick not fenced with a longer code span:\n%s", out)
	}
	if !strings.Contains(out, "```sh\nkubectl get endpoints api-svc -n default\n```") {
		t.Error("verify command not in a sh code block")
	}
}

func TestHTMLEscapesInput(t *testing.T) {
	res := labResult()
	res.Findings[0].Cause = `</dd><script>alert("x")</script>`
	res.Traces[0].Entry = `Ingress/default/app-ingress "><svg onload=alert(1)>`
	res.Traces[0].Hops[1].Reason = `<b>bold</b>`
	out := string(render(t, "html", res, Options{}))
	for _, bad := range []string{`<script>alert`, `<svg onload`, `<b>bold</b>`} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in HTML", bad)
		}
	}
	if !strings.Contains(out, `&lt;/dd&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
		t.Error("cause not shown escaped")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	out := string(render(t, "html", labResult(), Options{}))
	// Nothing may be fetched: no links, sources or imports, and the only
	// url() is the in-page arrow marker.
	cleaned := strings.ReplaceAll(out, "url(#hs-arrow)", "")
	for _, bad := range []string{"<link", "src=", "href=", "@import", "url("} {
		if strings.Contains(cleaned, bad) {
			t.Errorf("page refers to something outside itself: %q", bad)
		}
	}
	if !strings.Contains(out, `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"`) {
		t.Error("no Content-Security-Policy forbidding network loads")
	}
	for _, want := range []string{
		`data-status="broken" data-layer="service" data-object="Service/default/api-svc"`,
		`data-status="affected" data-layer="endpoints"`,
		`data-status="not checked" data-layer="endpoints"`,
		`<form id="filters" hidden>`,
		`<option value="default">default</option>`,
		`data-filter data-namespace="default" data-severity="error" data-verdict="broken"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
}

func TestHopParents(t *testing.T) {
	h := func(l diagnose.Layer) diagnose.Hop { return diagnose.Hop{Layer: l} }
	hops := []diagnose.Hop{
		h(diagnose.LayerExposure), h(diagnose.LayerService), h(diagnose.LayerEndpoints),
		h(diagnose.LayerNetworkPolicy), h(diagnose.LayerPod), h(diagnose.LayerContainer), h(diagnose.LayerNode),
		h(diagnose.LayerPod), h(diagnose.LayerContainer),
	}
	got := hopParents(hops)
	want := []int{-1, 0, 1, 2, 2, 4, 5, 2, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("parents = %v, want %v", got, want)
		}
	}
}

func TestTraceVerdict(t *testing.T) {
	hop := func(l diagnose.Layer, s diagnose.HopStatus) diagnose.Hop { return diagnose.Hop{Layer: l, Status: s} }
	cases := []struct {
		name string
		hops []diagnose.Hop
		want verdict
	}{
		{"healthy", []diagnose.Hop{hop(diagnose.LayerService, diagnose.StatusOK)}, verdictHealthy},
		{"affected above", []diagnose.Hop{hop(diagnose.LayerService, diagnose.StatusAffected), hop(diagnose.LayerContainer, diagnose.StatusBroken)}, verdictFailing},
		{"broken service", []diagnose.Hop{hop(diagnose.LayerService, diagnose.StatusBroken)}, verdictFailing},
		{"one pod of two", []diagnose.Hop{hop(diagnose.LayerService, diagnose.StatusOK), hop(diagnose.LayerPod, diagnose.StatusBroken)}, verdictDegraded},
		{"unchecked", []diagnose.Hop{hop(diagnose.LayerIngress, diagnose.StatusOK), hop(diagnose.LayerService, diagnose.StatusNotChecked)}, verdictUnchecked},
	}
	for _, c := range cases {
		if got := traceVerdict(diagnose.Trace{Hops: c.hops}); got != c.want {
			t.Errorf("%s: verdict %v, want %v", c.name, got, c.want)
		}
	}
}

func TestArtifactURI(t *testing.T) {
	cases := []struct{ file, base, want string }{
		{"k8s/app.yaml", "", "k8s/app.yaml"},
		{"./k8s/app.yaml", "", "k8s/app.yaml"},
		{"k8s/my app.yaml", "", "k8s/my%20app.yaml"},
		{"/repo/k8s/app.yaml", "/repo", "k8s/app.yaml"},
		{"/elsewhere/app.yaml", "/repo", "file:///elsewhere/app.yaml"},
		{"/repo/app.yaml", "", "file:///repo/app.yaml"},
	}
	for _, c := range cases {
		if got := artifactURI(c.file, c.base); got != c.want {
			t.Errorf("artifactURI(%q, %q) = %q, want %q", c.file, c.base, got, c.want)
		}
	}
}

func TestOriginText(t *testing.T) {
	if got := originText(&snapshot.Origin{File: "a.yaml", Line: 3}); got != "a.yaml:3" {
		t.Errorf("got %q", got)
	}
	if got := originText(nil); got != "" {
		t.Errorf("got %q", got)
	}
}
