package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

// run executes the real command tree with args and returns stdout, stderr
// and the exit code main would use.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	root := NewRootCommand(streams)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

// wantAll reports each of wants that out lacks; what names the output.
func wantAll(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, out)
		}
	}
}

const seed = "../../examples/seed/"

// commandCase is one command line and what it must yield.
type commandCase struct {
	name string
	args []string
	code int
	// wantOut must appear in stdout, wantErr in stderr.
	wantOut, wantErr string
}

// runCases runs each case as a subtest: the exit code must match, and the
// expected text appear in stdout and stderr.
func runCases(t *testing.T, cases []commandCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
			}
			if !strings.Contains(out, c.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", c.wantOut, out)
			}
			if !strings.Contains(errOut, c.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantErr, errOut)
			}
		})
	}
}

func TestDiagnoseExitCodes(t *testing.T) {
	cases := []commandCase{
		{"broken lab", []string{"diagnose", "-f", seed + "lab1-as-written.yaml", "--no-color"}, 1, "api-svc", ""},
		{"fixed lab", []string{"diagnose", "-f", seed + "lab1-fixed.yaml"}, 0, "", ""},
		{"warning below fail-on", []string{"diagnose", "-f", seed + "lab2-nodeport.yaml"}, 0, "node-svc", ""},
		{"warning at fail-on", []string{"diagnose", "-f", seed + "lab2-nodeport.yaml", "--fail-on", "warning"}, 1, "node-svc", ""},
		{"missing file", []string{"diagnose", "-f", "does-not-exist.yaml"}, 2, "", "does-not-exist.yaml"},
		{"bad output", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "-o", "xml"}, 2, "", "--output"},
		{"bad fail-on", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--fail-on", "fatal"}, 2, "", "--fail-on"},
		{"unknown flag", []string{"diagnose", "--frobnicate"}, 2, "", "frobnicate"},
		{"unknown skip", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--skip", "no-such-check"}, 2, "", "no-such-check"},
		{"-A with -n", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "-A", "-n", "x"}, 2, "", "contradict"},
		{"trace service", []string{"trace", "service/api-svc", "-f", seed + "lab1-as-written.yaml"}, 1, "api-svc", ""},
		{"trace missing", []string{"trace", "service/nope", "-f", seed + "lab1-as-written.yaml"}, 2, "", "nope"},
		{"trace url", []string{"trace", "http://example.com/app/x", "-f", seed + "lab4-ingress.yaml"}, 1, "wrong-svc", ""},
		{"trace without entry", []string{"trace", "-f", seed + "lab4-ingress.yaml"}, 2, "", "trace needs an entry point"},
		{"directory without manifests", []string{"diagnose", "-f", "testdata/no-manifests"}, 2, "", "no .yaml, .yml or .json files"},
		{"file without objects", []string{"diagnose", "-f", "testdata/no-objects.yaml"}, 2, "", "holds no Kubernetes objects"},
		{"no kubeconfig", []string{"diagnose", "--kubeconfig", "testdata/no-objects.yaml"}, 2, "", "no kubeconfig found"},
	}
	runCases(t, cases)
}

func TestDiagnoseReadsStdinAndNamesTheDocument(t *testing.T) {
	data, err := os.ReadFile(seed + "lab4-ingress.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, string(data), "diagnose", "-f", "-", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Findings []struct {
			Check  string            `json:"check"`
			Object map[string]string `json:"object"`
		} `json:"findings"`
		Traces  []json.RawMessage `json:"traces"`
		Summary map[string]any    `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(res.Findings) == 0 || res.Findings[0].Check != "ingress-backend-service-missing" || res.Findings[0].Object["name"] != "app-ingress" {
		t.Fatalf("findings %+v", res.Findings)
	}
	for _, k := range []string{"objects", "findings", "errors", "warnings"} {
		if _, ok := res.Summary[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}

	_, errOut, code := run(t, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [broken\n", "diagnose", "-f", "-")
	if code != 2 || !strings.Contains(errOut, "<stdin> (document 2") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestChecksDocIsCurrent fails when docs/checks.md no longer matches the
// registry; `make docs` regenerates it.
func TestChecksDocIsCurrent(t *testing.T) {
	want := ChecksMarkdown(checks.All())
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		t.Fatalf("%v (run `make docs`)", err)
	}
	if string(got) != want {
		t.Fatal("docs/checks.md is stale: run `make docs`")
	}
}

func TestChecksCommandListsEveryCheck(t *testing.T) {
	out, _, code := run(t, "", "checks")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range checks.All() {
		if !strings.Contains(out, c.ID) {
			t.Errorf("checks output lacks %s", c.ID)
		}
	}
}

func TestDemoDiagnosesEveryBundledLab(t *testing.T) {
	out, errOut, code := run(t, "", "demo", "--no-color")
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	wantAll(t, "demo output", out, "Lab 1", "Lab 2", "Lab 3", "Lab 4", "Lab 5", "api-svc", "wrong-svc", "node-svc", "coredns")
}

func TestDemoJSONIsOneDocument(t *testing.T) {
	out, _, code := run(t, "", "demo", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var all []struct {
		File   string `json:"file"`
		Result struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("demo -o json is not one JSON document: %v", err)
	}
	if len(all) < 8 || len(all[0].Result.Findings) == 0 {
		t.Fatalf("%d examples", len(all))
	}
	if _, _, code := run(t, "", "demo", "-o", "sarif"); code != 2 {
		t.Fatalf("demo -o sarif: exit %d, want 2", code)
	}
}

// TestMaxInputSize: --max-input-size bounds each input file; a larger one is
// exit 2 naming the file and the flag, and a size that is not one is a
// usage error.
func TestMaxInputSize(t *testing.T) {
	file := seed + "lab1-as-written.yaml"
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "", "diagnose", "-f", file, "--max-input-size", "100"); code != ExitUsage ||
		!strings.Contains(errOut, "lab1-as-written.yaml") || !strings.Contains(errOut, "--max-input-size") {
		t.Errorf("a %d-byte file under a 100-byte limit: exit %d, stderr %q", info.Size(), code, errOut)
	}
	if _, _, code := run(t, "", "diagnose", "-f", file, "--max-input-size", "1Mi"); code != ExitFindings {
		t.Errorf("under a 1Mi limit: exit %d, want %d (lab 1 is broken)", code, ExitFindings)
	}
	for _, bad := range []string{"lots", "0", "-5Mi"} {
		if _, errOut, code := run(t, "", "diagnose", "-f", file, "--max-input-size", bad); code != ExitUsage || !strings.Contains(errOut, "--max-input-size") {
			t.Errorf("--max-input-size %s: exit %d, stderr %q", bad, code, errOut)
		}
	}
}
