package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// sarifSchema compiles the official SARIF 2.1.0 schema shipped in testdata,
// with format assertions on (uri, uri-reference), so a malformed artifact
// URI fails too. Nothing is fetched: the schema is registered under its $id.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	id, _ := doc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v\n%s", err, out)
	}
}

// sarifDoc is the part of a SARIF log the assertions read.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID                   string `json:"id"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Help struct {
						Text string `json:"text"`
					} `json:"help"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Kind               string `json:"kind"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

func parseSARIF(t *testing.T, out []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	cases := map[string]struct {
		res *diagnose.Result
		opt Options
	}{
		"lab":                {labResult(), labOptions()},
		"empty":              {&diagnose.Result{}, Options{}},
		"no registered rule": {labResult(), Options{}},
		"live (no files)": {func() *diagnose.Result {
			r := labResult()
			for i := range r.Findings {
				r.Findings[i].Origin = nil
			}
			return r
		}(), labOptions()},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			validateSARIF(t, sch, render(t, "sarif", c.res, c.opt))
		})
	}
}

// TestSARIFSchemaRejectsBrokenLog proves the validation can fail: a log
// with a result level SARIF does not know must be rejected.
func TestSARIFSchemaRejectsBrokenLog(t *testing.T) {
	sch := sarifSchema(t)
	bad := bytes.Replace(render(t, "sarif", labResult(), labOptions()), []byte(`"level": "warning"`), []byte(`"level": "severe"`), 1)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(inst) == nil {
		t.Fatal("schema accepted an unknown level")
	}
}

func TestSARIFRulesAndResults(t *testing.T) {
	d := parseSARIF(t, render(t, "sarif", labResult(), labOptions()))
	run := d.Runs[0]
	if run.Tool.Driver.Name != "hopscope" {
		t.Errorf("driver name %q", run.Tool.Driver.Name)
	}
	if got, want := len(run.Tool.Driver.Rules), len(labChecks()); got != want {
		t.Errorf("%d rules, want one per check (%d)", got, want)
	}
	levels := map[string]string{}
	for _, r := range run.Tool.Driver.Rules {
		levels[r.ID] = r.DefaultConfiguration.Level
		if r.Help.Text == "" {
			t.Errorf("rule %s has no help text", r.ID)
		}
	}
	if levels["service-selector-matches-no-pods"] != "error" || levels["exposure-nodeport"] != "warning" {
		t.Errorf("default levels wrong: %v", levels)
	}
	if len(run.Results) != len(labResult().Findings) {
		t.Fatalf("%d results, want one per finding", len(run.Results))
	}
	for _, r := range run.Results {
		if rule := run.Tool.Driver.Rules[r.RuleIndex]; rule.ID != r.RuleID {
			t.Errorf("result %s points at rule %s", r.RuleID, rule.ID)
		}
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 || r.Locations[0].LogicalLocations[0].Kind != "object" {
			t.Errorf("result %s lacks its logical location", r.RuleID)
		}
	}
	first := run.Results[0]
	if first.Locations[0].LogicalLocations[0].FullyQualifiedName != "Service/default/api-svc" {
		t.Errorf("first result is %s, want the root cause", first.Locations[0].LogicalLocations[0].FullyQualifiedName)
	}
	pl := first.Locations[0].PhysicalLocation
	if pl == nil || pl.ArtifactLocation.URI != "k8s/lab1.yaml" || pl.Region == nil || pl.Region.StartLine != 24 {
		t.Errorf("physical location of the root cause: %+v", pl)
	}
	for _, want := range []string{"ENDPOINTS: <none>", "selects app=api", "Evidence: selector: app=api;", "Fix: kubectl patch deployment api", "Verify: kubectl get endpoints api-svc -n default"} {
		if !strings.Contains(first.Message.Text, want) {
			t.Errorf("message lacks %q: %s", want, first.Message.Text)
		}
	}
}

func TestSARIFFingerprintStable(t *testing.T) {
	a := labResult()
	b := labResult()
	b.Findings[0].Symptom = "reworded"
	b.Findings[0].Origin.Line = 99
	fa := parseSARIF(t, render(t, "sarif", a, Options{})).Runs[0].Results
	fb := parseSARIF(t, render(t, "sarif", b, Options{})).Runs[0].Results
	if fa[0].PartialFingerprints[fingerprintKey] == "" || fa[0].PartialFingerprints[fingerprintKey] != fb[0].PartialFingerprints[fingerprintKey] {
		t.Errorf("fingerprint changed with wording or line: %v vs %v", fa[0].PartialFingerprints, fb[0].PartialFingerprints)
	}
	seen := map[string]string{}
	for _, r := range fa {
		fp := r.PartialFingerprints[fingerprintKey]
		if other, dup := seen[fp]; dup {
			t.Errorf("two findings share fingerprint %s: %s and %s", fp, other, r.RuleID)
		}
		seen[fp] = r.RuleID
	}
}

// TestSARIFLinesPointAtDocuments loads a multi-document file with the real
// loader, runs the real engine with a check that reports every object it
// is given, and checks that each result's startLine opens the document
// that holds that object.
func TestSARIFLinesPointAtDocuments(t *testing.T) {
	base, err := filepath.Abs(filepath.Join("testdata", "multidoc"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "k8s", "app.yaml")
	snap, err := source.Files{Paths: []string{file}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	everyObject := &diagnose.Check{
		ID: "test-every-object", Layer: diagnose.LayerService, Severity: diagnose.SeverityWarning, Doc: "reports each object it sees",
		Run: func(s *snapshot.Snapshot, r *diagnose.Reporter) {
			for _, d := range s.Deployments {
				r.Report(diagnose.Finding{Object: snapshot.Ref(snapshot.KindDeployment, d), Symptom: "seen"})
			}
			for _, svc := range s.Services {
				r.Report(diagnose.Finding{Object: snapshot.Ref(snapshot.KindService, svc), Symptom: "seen"})
			}
			for _, ing := range s.Ingresses {
				r.Report(diagnose.Finding{Object: snapshot.Ref(snapshot.KindIngress, ing), Symptom: "seen"})
			}
		},
	}
	res, err := diagnose.Engine{Checks: []*diagnose.Check{everyObject}}.Run(snap, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, "sarif", res, Options{Checks: []*diagnose.Check{everyObject}, BaseDir: base})
	validateSARIF(t, sarifSchema(t), out)

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	results := parseSARIF(t, out).Runs[0].Results
	if len(results) != 3 {
		t.Fatalf("%d results, want 3 (Deployment, Service, Ingress)", len(results))
	}
	for _, r := range results {
		fqn := r.Locations[0].LogicalLocations[0].FullyQualifiedName
		parts := strings.Split(fqn, "/")
		kind, name := parts[0], parts[len(parts)-1]
		pl := r.Locations[0].PhysicalLocation
		if pl == nil || pl.Region == nil {
			t.Fatalf("%s has no file region", fqn)
		}
		if pl.ArtifactLocation.URI != "k8s/app.yaml" {
			t.Errorf("%s: uri %q, want k8s/app.yaml (relative to BaseDir)", fqn, pl.ArtifactLocation.URI)
		}
		start := pl.Region.StartLine
		if start < 1 || start > len(lines) {
			t.Fatalf("%s: startLine %d outside the file", fqn, start)
		}
		// The line is the object's first line: only blank lines and
		// comments may stand between it and the document's "---".
		for before := start - 2; before >= 0; before-- {
			l := strings.TrimSpace(lines[before])
			if l == "---" {
				break
			}
			if l != "" && !strings.HasPrefix(l, "#") {
				t.Errorf("%s: line %d is not the first line of its document (%q comes before it)", fqn, start, lines[before])
				break
			}
		}
		if strings.HasPrefix(strings.TrimSpace(lines[start-1]), "#") {
			t.Errorf("%s: line %d is a comment, not the object", fqn, start)
		}
		var doc []string
		for _, l := range lines[start-1:] {
			if strings.TrimSpace(l) == "---" {
				break
			}
			doc = append(doc, l)
		}
		body := strings.Join(doc, "\n")
		if !strings.Contains(body, "kind: "+kind) || !strings.Contains(body, "name: "+name) {
			t.Errorf("%s: the document at line %d is not this object:\n%s", fqn, start, body)
		}
	}
}
