package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/advise"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/labs/labstest"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// hostile is what a container's output, an annotation or an env value can
// carry into a message hopscope prints: a window title (OSC 0), a clipboard
// write (OSC 52), an erased line (CSI), a carriage return, a C1 CSI, a
// bidirectional override, invalid UTF-8 and two credentials.
const hostile = "\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2K\rforged\u009b\u202eevil\xff token=s3cr3t-token postgres://app:s3cr3t-pass@db/app"

// assertPrintable fails when out holds anything a terminal would act on
// (every character safetext escapes, line feeds aside), invalid UTF-8 or a
// credential of the hostile string: printed text must be a fixed point of
// the output boundary.
func assertPrintable(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8", what)
	}
	if safetext.SanitizeLines(out) != out {
		t.Errorf("%s: holds text the output boundary would escape or redact:\n%q", what, out)
	}
	for _, secret := range []string{"s3cr3t", "\x1b", "\r", "\u202e"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s: holds %q:\n%q", what, secret, out)
		}
	}
}

// assertJSONPrintable decodes out and asserts every string in it is
// printable: a consumer that prints a value (jq -r) prints it safely.
func assertJSONPrintable(t *testing.T, what, out string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, out)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			assertPrintable(t, what, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				assertPrintable(t, what+" key", k)
				walk(e)
			}
		}
	}
	walk(v)
}

// fillStrings sets every string reachable in v (fields, slices, pointers,
// map keys) to s, so that a field added later is covered without editing the
// test.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := 0; i < v.Len(); i++ {
			fillStrings(v.Index(i), s)
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.Int {
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.ValueOf(s).Convert(v.Type().Key()), reflect.ValueOf(1))
			v.Set(m)
		}
	}
}

// TestLabCheckEscapesFindings: the findings `lab check --explain` prints
// quote the cluster; every field reaches the terminal and the JSON escaped.
func TestLabCheckEscapesFindings(t *testing.T) {
	l, _ := labs.Get("1")
	broken, _ := l.BrokenObjects()
	running := LabClusterOptions{Globals: &Globals{}, Lab: l, Cluster: labstest.NewCluster(l.OwnedNamespace("hopscope-lab-1")).Cluster}
	offline := offlineDiagnosis(t, broken)
	hostileDiagnosis := func(ctx context.Context) (*snapshot.Snapshot, *diagnose.Result, error) {
		s, res, err := offline(ctx)
		if err != nil {
			return nil, nil, err
		}
		for i := range res.Findings {
			f := &res.Findings[i]
			// The lab's verdict still needs each finding's severity,
			// namespace and layer; every other text is hostile, and the
			// rest gains a hostile tail.
			f.Check += hostile
			f.Layer += hostile
			f.Object.Name += hostile
			f.Symptom, f.Cause, f.Fix, f.Verify, f.Container = hostile, hostile, hostile+"\n"+hostile, hostile, hostile
			f.Evidence = append(f.Evidence, hostile)
			f.Path = append(f.Path, hostile)
			f.Affects = append(f.Affects, snapshot.ObjectRef{Kind: hostile, Namespace: hostile, Name: hostile})
		}
		return s, res, nil
	}
	for _, output := range []string{"text", "json"} {
		streams, out, _ := streamsFor("")
		o := &LabCheckOptions{LabClusterOptions: withStreams(running, streams), Output: output, Explain: true, Diagnose: hostileDiagnosis}
		if err := o.Run(context.Background()); ExitCode(err) != ExitFindings {
			t.Fatalf("-o %s: exit %d (%v), want 1\n%s", output, ExitCode(err), err, out)
		}
		if !strings.Contains(out.String(), `x1b]0;pwned`) || !strings.Contains(out.String(), "REDACTED") {
			t.Errorf("-o %s: the hostile finding is not shown escaped and redacted:\n%s", output, out)
		}
		if output == "json" {
			assertJSONPrintable(t, "lab check -o json", out.String())
		} else {
			assertPrintable(t, "lab check --explain", out.String())
		}
	}
}

// TestAdviseReviewEscapes: every string of a review, including fields added
// later, is escaped before it is printed.
func TestAdviseReviewEscapes(t *testing.T) {
	var rv advise.Review
	fillStrings(reflect.ValueOf(&rv).Elem(), hostile)
	if len(rv.Advice) == 0 || len(rv.Types) == 0 || len(rv.Skipped) == 0 {
		t.Fatalf("the filler left part of the review empty: %+v", rv)
	}
	safe := safeReview(rv)
	out, err := json.Marshal(safe)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONPrintable(t, "review", string(out))
	if !strings.Contains(string(out), "pwned") {
		t.Errorf("the hostile text was dropped rather than escaped: %s", out)
	}

	// End to end: a Service whose type is hostile is counted in the text
	// summary and the JSON.
	dir := t.TempDir()
	manifest := "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  type: " +
		yamlQuote(strings.ToValidUTF8("NodePort"+hostile, "")) + "\n  ports: [{port: 80}]\n"
	path := filepath.Join(dir, "svc.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{"text", "json"} {
		out, errOut, code := run(t, "", "advise", "-f", path, "-o", output)
		if code != 0 || !strings.Contains(out, "pwned") {
			t.Fatalf("advise -o %s: exit %d, want 0 with the hostile type escaped\n%s\n%s", output, code, out, errOut)
		}
		if output == "json" {
			assertJSONPrintable(t, "advise -o json", out)
		} else {
			assertPrintable(t, "advise", out)
		}
	}
}

// yamlQuote is s as a YAML double-quoted scalar with every character
// outside printable ASCII written as an escape, so the file itself is valid
// YAML and the loader decodes the raw characters.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString("\\" + string(r))
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestEscapingWriter: the API server's warning lines reach the terminal
// escaped, a line at a time.
func TestEscapingWriter(t *testing.T) {
	streams, _, errOut := streamsFor("")
	w := escapingWriter{streams.ErrOut}
	if n, err := w.Write([]byte("Warning: " + hostile + "\n")); err != nil || n != len("Warning: "+hostile+"\n") {
		t.Fatalf("write: %d, %v", n, err)
	}
	assertPrintable(t, "warning", errOut.String())
	if !strings.HasSuffix(errOut.String(), "\n") {
		t.Errorf("the warning's line feed was lost: %q", errOut)
	}
}
