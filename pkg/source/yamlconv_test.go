package source

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// referenceJSON converts a document the reference way, as a comparable
// value.
func referenceJSON(t testing.TB, doc []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	return decodeAny(t, js), nil
}

func decodeAny(t testing.TB, js []byte) any {
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %q: %v", js, err)
	}
	return v
}

// checkAgainstReference converts doc with the fast path and, unless it
// declined, requires the reference result. It returns whether the fast
// path handled it.
func checkAgainstReference(t testing.TB, doc string) bool {
	t.Helper()
	got, err := convertYAML([]byte(doc), 1, false)
	if err == errBail {
		return false
	}
	if err != nil {
		t.Fatalf("fast path error on %q: %v", doc, err)
	}
	want, rerr := referenceJSON(t, []byte(doc))
	if len(got.json) == 0 {
		if rerr == nil && want != nil {
			t.Fatalf("fast path found nothing in %q; reference: %v", doc, want)
		}
		return true
	}
	if rerr != nil {
		t.Fatalf("fast path accepted %q as %s; reference error: %v", doc, got.json, rerr)
	}
	if g := decodeAny(t, got.json); !reflect.DeepEqual(g, want) {
		t.Fatalf("fast path and reference differ on %q:\n fast: %s\n  ref: %#v", doc, got.json, want)
	}
	checkCutItems(t, doc, want)
	return true
}

// checkCutItems converts a List's items one by one, as loading does, and
// requires the reference's items.
func checkCutItems(t testing.TB, doc string, want any) {
	t.Helper()
	cut, err := convertYAML([]byte(doc), 1, true)
	if err != nil || !cut.hasItems {
		return
	}
	items, _ := want.(map[string]any)["items"].([]any)
	if len(items) != len(cut.items) {
		t.Fatalf("cut %d items, reference has %d, in %q", len(cut.items), len(items), doc)
	}
	var buf itemBuffers
	for i, it := range cut.items {
		js, err := convertItem(it.chunk, it.line, it.col, &buf)
		if err == errBail {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if g := decodeAny(t, js); !reflect.DeepEqual(g, items[i]) {
			t.Fatalf("item %d differs:\n fast: %s\n  ref: %#v", i, js, items[i])
		}
	}
}

func TestFastYAMLMatchesReference(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		fast bool // the fast path must handle it (not bail)
	}{
		{"mapping", "a: 1\nb: two\n", true},
		{"nested", "a:\n  b:\n    c: d\n  e: f\ng: h\n", true},
		{"sequence", "a:\n- 1\n- 2\n", true},
		{"indented sequence", "a:\n  - x\n  - y\n", true},
		{"sequence of mappings", "a:\n- b: 1\n  c: 2\n- b: 3\n", true},
		{"nested sequences", "a:\n- - 1\n  - 2\n- - 3\n", true},
		{"empty entries", "a:\n-\n- x\n-\n", true},
		{"null values", "a:\nb: ~\nc: null\nd: Null\n", true},
		{"yaml 1.1 booleans", "a: yes\nb: no\nc: on\nd: off\ne: y\nf: N\ng: True\n", true},
		{"quoted booleans", "a: \"yes\"\nb: 'on'\n", true},
		{"integers", "a: 10\nb: -3\nc: +4\nd: 0x1F\ne: 0777\nf: 0o17\ng: 1_000\nh: 0b101\ni: 08\n", true},
		{"big integers", "a: 9223372036854775807\nb: 18446744073709551615\nc: 99999999999999999999\n", true},
		{"floats", "a: 1.5\nb: 1e3\nc: .5\nd: -1.\ne: 1.0\nf: 6.02e23\ng: 1e-7\nh: 1e21\n", true},
		{"special floats", "a: .inf\n", false},
		{"numbers that are strings", "a: \"10\"\nb: '0x1F'\nc: 1.2.3\nd: 1-2\ne: 12:30\nf: 1e\n", true},
		{"timestamps", "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: \"2024-01-01T00:00:00Z\"\n", true},
		{"quantities", "cpu: 100m\nmemory: 128Mi\nx: 1.5Gi\ny: 2e3\nz: 0.5\n", true},
		{"strings with colons and hashes", "a: http://x:80/y\nb: a#b\nc: a #comment\nd: 'a: b'\ne: \"c # d\"\n", true},
		{"double-quoted escapes", `a: "tab\there \"q\" back\\slash \u00e9 \x41 \U0001F600 nul\0 nl\n"` + "\n", true},
		{"single-quoted", "a: 'it''s'\nb: ''\n", true},
		{"multi-line plain", "a: one\n  two\n\n  three\nb: x\n", true},
		{"multi-line plain in sequence", "- one\n  two\n- three\n", true},
		{"multi-line double-quoted", "a: \"one\n  two\n\n  three \"\n", true},
		{"escaped line break", "a: \"one\\\n   two\"\n", true},
		{"multi-line single-quoted", "a: 'one\n  two'\n", true},
		{"trailing spaces before break", "a: \"one   \n  two\"\n", true},
		{"literal", "a: |\n  line1\n   line2\n\n  line3\nb: 1\n", true},
		{"literal strip", "a: |-\n  x\n  y\n\n\nb: 1\n", true},
		{"literal keep", "a: |+\n  x\n\n\nb: 1\n", true},
		{"literal indicator", "a: |2\n    x\n  y\n", true},
		{"literal in sequence", "- |\n  x\n- y\n", true},
		{"literal at end without newline", "a: |\n  x", true},
		{"literal empty", "a: |\nb: 1\n", true},
		{"literal with tab content", "a: |\n  x\n  \ty\n", true},
		{"literal with tab indentation", "a: |\n  \tx\n", false},
		{"literal with trailing spaces line", "a: |\n  x\n    \n  y\n", true},
		{"folded", "a: >\n  x\n  y\n", false},
		{"empty flow", "a: []\nb: {}\nc: [ ]\n", true},
		{"flow with content", "a: [1, 2]\n", false},
		{"anchors", "a: &x 1\nb: *x\n", false},
		{"merge", "a: &x {b: 1}\nc:\n  <<: *x\n", false},
		{"tags", "a: !!str 1\n", false},
		{"comments", "# c\na: 1 # c\n# c\nb:\n  # c\n  c: 2\n", true},
		{"keys that resolve", "yes: 1\n1: 2\n1.5: 3\n0x10: 4\n~x: 5\n", true},
		{"null key", "~: 1\n", false},
		{"duplicate keys", "a: 1\na: 2\n", false},
		{"duplicate resolved keys", "yes: 1\ntrue: 2\n", false},
		{"quoted keys", "\"a b\": 1\n'c': 2\n", true},
		{"indented root", "  a: 1\n  b: 2\n", true},
		{"crlf", "a: 1\r\nb:\r\n- x\r\n", true},
		{"unicode", "a: héllo wörld ✓\n", true},
		{"tab after colon", "a:\tb\n", false},
		{"tab indentation", "a:\n\tb: 1\n", false},
		{"bad indentation", "a: 1\n b: 2\n", false},
		{"mapping in value", "a: b: c\n", false},
		{"dash strings", "a: -x\nb: '-'\nc: -1\n", true},
		{"sequence at root", "- a\n- b\n", true},
		{"html chars", "a: <b>&amp;</b>\n", true},
		{"long key", "a: 1\n" + strings.Repeat("k", 1500) + ": 2\n", false},
		{"deep", strings.Repeat("- ", 300) + "x\n", false},
		{"many keys", manyKeys(40), true},
		{"empty document", "", true},
		{"comment only", "# nothing\n\n# here\n", true},
		{"multi-line key attempt", "\"a\n b\": 1\n", false},
		{"list", "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\nkind: List\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			handled := checkAgainstReference(t, tc.doc)
			if tc.fast && !handled {
				t.Errorf("fast path declined %q", tc.doc)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(": v\n")
	}
	return b.String()
}
