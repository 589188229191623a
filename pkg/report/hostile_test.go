package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// hostileText is one string a cluster or a manifest could put in any field
// a finding quotes. secret, when set, must not appear in any output.
type hostileText struct {
	name, text, secret string
}

var hostileCorpus = []hostileText{
	{name: "OSC 0 window title", text: "\x1b]0;pwned\x07"},
	{name: "OSC 52 clipboard write", text: "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"},
	{name: "OSC 8 hyperlink", text: "\x1b]8;;https://evil.example/\x1b\\kubectl get pods\x1b]8;;\x1b\\"},
	{name: "CSI erase line", text: "\x1b[2K\x1b[1A\x1b[2K"},
	{name: "CR overwrite", text: "\r✔ every path healthy            "},
	{name: "newline forging a line", text: "\n  ✔ Ingress/default/fake  healthy"},
	{name: "BEL", text: "\a\a"},
	{name: "DEL", text: "ab\x7f\x7f"},
	{name: "NUL", text: "a\x00b"},
	{name: "C1 CSI as a byte", text: "\x9b31m"},
	{name: "C1 CSI as a rune", text: "\u009b31m\u0085"},
	{name: "bidi override", text: "\u202egnp.exe\u202c"},
	{name: "bidi isolates and marks", text: "\u2066\u2067x\u2069\u200f\u061c"},
	{name: "line and paragraph separators", text: "a\u2028b\u2029c"},
	{name: "zero-width and tag characters", text: "api\u200b-svc\ufeff\U000e0041"},
	{name: "invalid UTF-8", text: "\xff\xfe\xe6\x97"},
	{name: "URL userinfo password", text: "postgres://app:Hunter2pw@db.shop.svc/app", secret: "Hunter2pw"},
	{name: "query token", text: "https://api.example.com/v1?page=2&access_token=Tk9secret77", secret: "Tk9secret77"},
	{name: "DSN password pair", text: "host=db user=app password=Pg8secret55 dbname=app", secret: "Pg8secret55"},
	{name: "ADO.NET password pair", text: "Server=db;User Id=sa;Password=Ado6secret44;", secret: "Ado6secret44"},
	{name: "credential env name", text: `env DB_PASSWORD="Env7secret33" in container api`, secret: "Env7secret33"},
	{name: "API key env name", text: "API_KEY=Ak4secret11", secret: "Ak4secret11"},
	{name: "JSON env entry", text: `{"name":"GITHUB_TOKEN","value":"Gh5secret22"}`, secret: "Gh5secret22"},
	{name: "private key", text: "-----BEGIN RSA PRIVATE KEY-----MIIEPk3secret66-----END RSA PRIVATE KEY-----", secret: "MIIEPk3secret66"},
	{name: "Authorization header", text: "Authorization: Bearer eyJhbGci0iJIUzI1NiJ9Tok88", secret: "eyJhbGci0iJIUzI1NiJ9Tok88"},
}

// benignTexts pass every renderer as they are.
var benignTexts = []string{"café-résumé", "日本語のサービス", "👩‍💻 on call", "api-svc.shop.svc.cluster.local:8080"}

// fullResult is the lab result with every string field of a Result filled
// in, so that the corpus reaches each of them.
func fullResult() *diagnose.Result {
	res := labResult()
	res.Findings[1].Container = "app"
	res.Findings[1].ExplainedBy = []snapshot.ObjectRef{ref("Node", "", "node-1")}
	res.Findings[3].Affects = []snapshot.ObjectRef{nodeSvcRef}
	res.Summary.Duplicates = []string{"Service/default/api-svc is defined twice (k8s/a.yaml, k8s/b.yaml)"}
	res.Summary.SkippedFiles = []string{"skipped file k8s/notes.json: no Kubernetes object: no apiVersion and kind"}
	res.Summary.TemplatePods = true
	client := ref("Pod", "default", "web-1")
	res.Probes = []diagnose.Probe{{
		Path: "Ingress/default/app-ingress */app", Static: diagnose.TraceBroken, Level: 1, Test: diagnose.ProbeTestPodIP,
		Target: ref("Pod", "default", "api-1"), From: &client, Address: "10.244.0.7:8080",
		Request: "PUT /api/v1/namespaces/default/pods/web-1/ephemeralcontainers", Outcome: diagnose.ProbeRefused,
		Detail:   "exit 1: nc: can't connect to remote host (10.244.0.7): Connection refused",
		Expected: "pod api-1 is Ready: it should answer", Agreement: diagnose.ProbeContradicts,
		Note: "the app does not listen on that port on the pod's IP",
	}}
	return res
}

// stringSite is one place a Result holds a string.
type stringSite struct {
	// field names the place by type, without indexes: Findings[].Evidence[].
	field string
	get   func() string
	set   func(string)
}

// stringSites lists every string of v (reached through pointers, structs,
// slices and map keys).
func stringSites(v reflect.Value, field string) []stringSite {
	switch v.Kind() {
	case reflect.String:
		return []stringSite{{field, v.String, v.SetString}}
	case reflect.Pointer:
		if !v.IsNil() {
			return stringSites(v.Elem(), field)
		}
	case reflect.Struct:
		var out []stringSite
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				out = append(out, stringSites(v.Field(i), field+"."+v.Type().Field(i).Name)...)
			}
		}
		return out
	case reflect.Slice:
		var out []stringSite
		for i := 0; i < v.Len(); i++ {
			out = append(out, stringSites(v.Index(i), field+"[]")...)
		}
		return out
	case reflect.Map:
		var out []stringSite
		for _, k := range v.MapKeys() {
			m, key := v, k.String()
			out = append(out, stringSite{field + "{key}", func() string { return key }, func(s string) {
				val := m.MapIndex(reflect.ValueOf(key))
				m.SetMapIndex(reflect.ValueOf(key), reflect.Value{})
				m.SetMapIndex(reflect.ValueOf(s).Convert(m.Type().Key()), val)
				key = s
			}})
		}
		return out
	}
	return nil
}

// stringFields lists, by type, every place a value of type t can hold a
// string, in the notation of stringSite.field.
func stringFields(t reflect.Type, field string) []string {
	switch t.Kind() {
	case reflect.String:
		return []string{field}
	case reflect.Pointer:
		return stringFields(t.Elem(), field)
	case reflect.Struct:
		var out []string
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				out = append(out, stringFields(t.Field(i).Type, field+"."+t.Field(i).Name)...)
			}
		}
		return out
	case reflect.Slice:
		return stringFields(t.Elem(), field+"[]")
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return []string{field + "{key}"}
		}
	}
	return nil
}

func sitesOf(res *diagnose.Result) []stringSite {
	return stringSites(reflect.ValueOf(res).Elem(), "Result")
}

// TestCorpusReachesEveryField keeps the corpus honest: fullResult must
// hold a value in every string field a Result has, so a field added later
// is injected too (and then fails below until safeResult sanitizes it).
func TestCorpusReachesEveryField(t *testing.T) {
	have := map[string]bool{}
	for _, s := range sitesOf(fullResult()) {
		have[s.field] = true
	}
	for _, f := range stringFields(reflect.TypeOf(diagnose.Result{}), "Result") {
		if !have[f] {
			t.Errorf("fullResult holds no value in %s: fill it in so the hostile corpus reaches it", f)
		}
	}
}

// rendering is one way a Result is printed.
type rendering struct {
	name, format string
	opt          Options
}

var renderings = []rendering{
	{"text", "text", Options{Checks: labChecks()}},
	{"text-color", "text", Options{Color: true, Checks: labChecks()}},
	{"text-explain", "text", Options{Explain: true, Checks: labChecks()}},
	{"json", "json", Options{}},
	{"sarif", "sarif", Options{Checks: labChecks(), ToolVersion: "test"}},
	{"markdown", "markdown", Options{Checks: labChecks(), Explain: true}},
	{"html", "html", Options{Checks: labChecks(), Explain: true}},
}

// palettePattern matches the colours the text renderer adds itself.
var palettePattern = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// checkOutput fails when out holds invalid UTF-8, a character that acts on
// a terminal or reorders text (outside a line break and, in coloured text,
// the renderer's own colours), or one of the secrets. JSON outputs are
// decoded first: a \u001b escape in JSON is ESC again for whoever reads it.
func checkOutput(t *testing.T, what string, r rendering, out []byte, secrets []string) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("%s, %s: output is not valid UTF-8", what, r.name)
		return
	}
	var texts []string
	switch r.format {
	case "json", "sarif":
		var doc any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Errorf("%s, %s: not JSON: %v", what, r.name, err)
			return
		}
		texts = jsonStrings(doc, nil)
	default:
		s := string(out)
		if r.opt.Color {
			s = palettePattern.ReplaceAllString(s, "")
		}
		texts = strings.Split(s, "\n")
	}
	for _, s := range texts {
		if e := safetext.Escape(s); e != s {
			t.Errorf("%s, %s: raw control or bidirectional character in %.200q", what, r.name, s)
			return
		}
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s, %s: credential %q printed in %.200q", what, r.name, secret, s)
				return
			}
		}
	}
}

// jsonStrings collects every string of a decoded JSON document, keys too,
// split into lines where a line break belongs to the value: commands (fix,
// verify, and SARIF's message that quotes them) and SARIF's Markdown help.
func jsonStrings(v any, out []string) []string {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	case map[string]any:
		for k, e := range v {
			out = append(out, k)
			if s, ok := e.(string); ok && multiline[k] {
				out = append(out, strings.Split(s, "\n")...)
				continue
			}
			out = jsonStrings(e, out)
		}
	case string:
		out = append(out, v)
	}
	return out
}

// multiline names the JSON keys whose values may hold line feeds.
var multiline = map[string]bool{"fix": true, "verify": true, "text": true, "markdown": true}

func renderAll(t *testing.T, what string, res *diagnose.Result, secrets []string) map[string][]byte {
	t.Helper()
	outs := map[string][]byte{}
	for _, r := range renderings {
		var b bytes.Buffer
		if err := Render(&b, r.format, res, r.opt); err != nil {
			t.Fatalf("%s, %s: %v", what, r.name, err)
		}
		checkOutput(t, what, r, b.Bytes(), secrets)
		outs[r.name] = b.Bytes()
	}
	return outs
}

// TestHostileStringInEveryField puts the whole corpus into one field at a
// time, for every field of a Result, through every renderer.
func TestHostileStringInEveryField(t *testing.T) {
	var all []string
	var secrets []string
	for _, h := range hostileCorpus {
		all = append(all, h.text)
		if h.secret != "" {
			secrets = append(secrets, h.secret)
		}
	}
	corpus := strings.Join(all, " ")
	for i := range sitesOf(fullResult()) {
		res := fullResult()
		site := sitesOf(res)[i]
		site.set(site.get() + " " + corpus)
		renderAll(t, fmt.Sprintf("corpus in %s", site.field), res, secrets)
	}
}

// TestHostileStringsEverywhere puts each corpus string into every field at
// once, and checks that a line break inside a value does not add a line.
func TestHostileStringsEverywhere(t *testing.T) {
	// Commands keep their line feeds (see TestCommandsKeepLineFeeds), so
	// only the other fields must not add lines.
	inject := func(text string) *diagnose.Result {
		res := fullResult()
		for _, s := range sitesOf(res) {
			if s.field != "Result.Findings[].Fix" && s.field != "Result.Findings[].Verify" {
				s.set(s.get() + " " + text)
			}
		}
		return res
	}
	for _, h := range hostileCorpus {
		var secrets []string
		if h.secret != "" {
			secrets = []string{h.secret}
		}
		outs := renderAll(t, h.name, inject(h.text), secrets)
		flat := renderAll(t, h.name+" on one line", inject(strings.NewReplacer("\n", " ", "\r", " ", "\u2028", " ", "\u2029", " ").Replace(h.text)), secrets)
		for _, r := range []string{"text", "text-explain", "markdown"} {
			if got, want := bytes.Count(outs[r], []byte("\n")), bytes.Count(flat[r], []byte("\n")); got != want {
				t.Errorf("%s, %s: %d lines, %d with the line breaks taken out: a value broke the layout", h.name, r, got, want)
			}
		}
	}
}

// TestCommandsKeepLineFeeds: a fix that feeds a here-document to kubectl
// is printed line by line, pasteable, with each line escaped on its own.
func TestCommandsKeepLineFeeds(t *testing.T) {
	res := labResult()
	res.Findings[0].Fix = "kubectl apply -n default -f - <<'EOF'\nkind: NetworkPolicy\nmetadata:\n  name: allow\x1b]0;x\x07\r\nEOF"
	want := "kubectl apply -n default -f - <<'EOF'\nkind: NetworkPolicy\nmetadata:\n  name: allow\\x1b]0;x\\x07\\r\nEOF"
	outs := renderAll(t, "here-document fix", res, nil)
	if !strings.Contains(string(outs["text"]), want) {
		t.Errorf("text: fix not printed line by line as\n%s\nin\n%s", want, outs["text"])
	}
	if html := template.HTMLEscapeString(want); !strings.Contains(string(outs["html"]), html) {
		t.Errorf("html: fix not printed line by line as\n%s\nin\n%s", html, outs["html"])
	}
	if !strings.Contains(string(outs["markdown"]), "```sh\n"+want+"\n```") {
		t.Errorf("markdown: fix not in one sh block:\n%s", outs["markdown"])
	}
}

// TestMarkdownTableCellsHold: no object name or reason adds a column to
// the walk table, whatever backslashes and pipes it holds.
func TestMarkdownTableCellsHold(t *testing.T) {
	res := labResult()
	res.Traces[0].Hops[1].Object.Name = `a|b\|c\\|d`
	res.Traces[0].Hops[1].Reason = `x|y\|z\\|w`
	out := string(render(t, "markdown", res, Options{}))
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "a|b") && !strings.Contains(line, "a\\|b") {
			continue
		}
		// Split as cmark-gfm does: a backslash escapes the next character
		// (a backslash too), any other pipe ends a cell.
		cells := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				cells++
			}
		}
		if cells != 5 {
			t.Errorf("row has %d pipes, want 5 (4 cells): %s", cells, line)
		}
		return
	}
	t.Fatalf("row of the hostile hop not found:\n%s", out)
}

// TestCapitalizedNonASCII: layers and check IDs are capitalized for
// headings and SARIF rule names; one that starts with a letter outside
// ASCII must not be cut inside its first character.
func TestCapitalizedNonASCII(t *testing.T) {
	res := fullResult()
	res.Traces[0].Hops[0].Layer = "élan"
	res.Findings[0].Check = "ä-check"
	outs := renderAll(t, "non-ASCII first letters", res, nil)
	if !bytes.Contains(outs["text"], []byte("Élan")) || !bytes.Contains(outs["sarif"], []byte(`"name": "ÄCheck"`)) {
		t.Errorf("first letters not capitalized as whole characters:\n%s\n%s", outs["text"], outs["sarif"])
	}
}

// TestHugeHostileString renders 1 MiB of escapes and credentials in the
// fields most likely to carry long text.
func TestHugeHostileString(t *testing.T) {
	huge := strings.Repeat("\x1b[2K\r\u202e password=Huge9secret ", 1<<20/40)
	res := fullResult()
	filled := map[string]bool{}
	for _, s := range sitesOf(res) {
		switch s.field {
		case "Result.Findings[].Evidence[]", "Result.Findings[].Fix", "Result.Traces[].Hops[].Reason", "Result.Summary.NotChecked[]":
			if !filled[s.field] {
				filled[s.field] = true
				s.set(huge)
			}
		}
	}
	renderAll(t, "1 MiB string", res, []string{"Huge9secret"})
}

// TestBenignTextUnchanged: names and messages in any script, and commands
// without credentials, reach every renderer exactly as they were.
func TestBenignTextUnchanged(t *testing.T) {
	for _, b := range benignTexts {
		res := fullResult()
		for _, s := range sitesOf(res) {
			s.set(s.get() + " " + b)
		}
		in, safe := sitesOf(res), sitesOf(safeResult(res))
		if len(in) != len(safe) {
			t.Fatalf("safeResult holds %d strings, the input %d", len(safe), len(in))
		}
		for i := range in {
			if in[i].get() != safe[i].get() {
				t.Errorf("safeResult changed %s: %q -> %q", in[i].field, in[i].get(), safe[i].get())
			}
		}
		outs := renderAll(t, b, res, nil)
		for _, r := range []string{"text", "json", "sarif", "markdown", "html"} {
			if !bytes.Contains(outs[r], []byte(b)) {
				t.Errorf("%s: %q not shown as it is", r, b)
			}
		}
	}
}

// TestSafeResultKeepsKeys: findings whose names need escaping stay linked
// to the hops and traces that name them.
func TestSafeResultKeepsKeys(t *testing.T) {
	res := labResult()
	oldKey := res.Findings[0].Key()
	res.Findings[0].Object.Name = "api\x1b[2K-svc"
	newKey := res.Findings[0].Key()
	for i := range res.Traces {
		if res.Traces[i].RootCause == oldKey {
			res.Traces[i].RootCause = newKey
		}
		for j, h := range res.Traces[i].Hops {
			for n, k := range h.Findings {
				if k == oldKey {
					res.Traces[i].Hops[j].Findings[n] = newKey
				}
			}
		}
	}
	safe := safeResult(res)
	want := safe.Findings[0].Key()
	if !strings.Contains(want, `api\x1b[2K-svc`) {
		t.Fatalf("key %q not escaped", want)
	}
	if safe.Traces[0].RootCause != want || safe.Traces[0].Hops[1].Findings[0] != want {
		t.Errorf("trace lost its root cause: %q, hop %q, want %q", safe.Traces[0].RootCause, safe.Traces[0].Hops[1].Findings[0], want)
	}
	out := string(render(t, "text", res, Options{}))
	if !strings.Contains(out, `ROOT CAUSE  ✘ error  service-selector-matches-no-pods  Service/default/api\x1b[2K-svc`) {
		t.Errorf("root cause not drawn under its escaped name:\n%s", out)
	}
}

// FuzzRender renders a Result with the fuzzed string in one of its fields
// through one of the renderers: no panic, valid UTF-8, no raw control or
// bidirectional character. One renderer per input keeps executions cheap;
// the fuzzer varies which.
func FuzzRender(f *testing.F) {
	n := uint(len(sitesOf(fullResult())))
	for i, h := range hostileCorpus {
		f.Add(h.text, uint(i*7)%n, uint8(i))
	}
	f.Add("", uint(0), uint8(0))
	f.Fuzz(func(t *testing.T, text string, site uint, which uint8) {
		res := fullResult()
		s := sitesOf(res)[site%n]
		s.set(text)
		r := renderings[int(which)%len(renderings)]
		var b bytes.Buffer
		if err := Render(&b, r.format, res, r.opt); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		checkOutput(t, "fuzzed "+s.field, r, b.Bytes(), nil)
	})
}

// TestRenderersShareOneBoundary: a hostile value looks the same in every
// format (before each format's own markup escaping), so what a reader
// pastes from JSON is what the terminal showed.
func TestRenderersShareOneBoundary(t *testing.T) {
	res := labResult()
	res.Findings[0].Evidence = []string{"msg \x1b]0;t\x07 token=abc123"}
	want := `msg \x1b]0;t\x07 token=REDACTED`
	outs := renderAll(t, "one value", res, []string{"abc123"})
	var names []string
	for name := range outs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out := string(outs[name])
		if name == "markdown" {
			want := `msg \\x1b\]0;t\\x07 token=REDACTED` // Markdown escapes \ and ]
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q missing", name, want)
			}
			continue
		}
		if name == "json" || name == "sarif" {
			b, _ := json.Marshal(want)
			if !strings.Contains(out, string(b[1:len(b)-1])) {
				t.Errorf("%s: %s missing", name, b)
			}
			continue
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: %q missing", name, want)
		}
	}
}
