package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// SARIF 2.1.0, the subset hopscope fills. Field names follow the standard;
// see the schema in testdata, which the tests validate against.
const (
	sarifVersion   = "2.1.0"
	sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// InformationURI is where SARIF viewers send people who ask what
	// hopscope is.
	InformationURI = "https://github.com/hopscope/hopscope"
	checksDocURI   = InformationURI + "/blob/main/docs/checks.md"
	// fingerprintKey names hopscope's partial fingerprint; the /v1 suffix
	// lets a future change of the hashed fields start a new series instead
	// of silently re-opening every alert.
	fingerprintKey = "hopscopeFinding/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags  []string `json:"tags"`
	Layer string   `json:"layer"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	Layer    string   `json:"layer"`
	Path     []string `json:"path"`
	Symptom  string   `json:"symptom"`
	Cause    string   `json:"cause"`
	Evidence []string `json:"evidence"`
	Fix      string   `json:"fix,omitempty"`
	Verify   string   `json:"verify,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// renderSARIF writes one run with a rule per registered check and a result
// per finding. Findings of checks missing from opt.Checks still get a rule,
// built from the finding, so every ruleIndex resolves.
func renderSARIF(w io.Writer, res *diagnose.Result, opt Options) error {
	driver := sarifDriver{Name: "hopscope", InformationURI: InformationURI, Version: opt.ToolVersion, Rules: []sarifRule{}}
	index := map[string]int{}
	for _, c := range diagnose.SortChecks(opt.Checks) {
		if _, dup := index[c.ID]; dup {
			continue
		}
		index[c.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, ruleFor(c))
	}
	results := make([]sarifResult, 0, len(res.Findings))
	for i := range res.Findings {
		f := &res.Findings[i]
		ri, ok := index[f.Check]
		if !ok {
			ri = len(driver.Rules)
			index[f.Check] = ri
			driver.Rules = append(driver.Rules, ruleFor(&diagnose.Check{ID: f.Check, Layer: f.Layer, Severity: f.Severity, Doc: f.Symptom}))
		}
		results = append(results, resultFor(f, ri, opt.BaseDir))
	}
	log := sarifLog{Schema: sarifSchemaURI, Version: sarifVersion, Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func ruleFor(c *diagnose.Check) sarifRule {
	layer := layerOf(c.Layer)
	help := layer.help
	full := strings.TrimSuffix(c.Doc, ".") + ". " +
		"Layer: " + string(c.Layer) + " (" + layer.role + "). Default severity: " + string(c.Severity) + "."
	return sarifRule{
		ID:               c.ID,
		Name:             ruleName(c.ID),
		ShortDescription: sarifText{Text: c.Doc},
		FullDescription:  sarifText{Text: full},
		Help: sarifText{
			Text:     help + " Each result names the object, the evidence, a fix command and a verify command.",
			Markdown: "**" + layer.title + " layer.** " + help + "\n\nEach result carries the evidence, a `kubectl` fix for the object and a command that verifies the fix.",
		},
		HelpURI:              checksDocURI + "#" + c.ID,
		DefaultConfiguration: sarifRuleConfig{Level: severityOf(c.Severity).level},
		Properties:           sarifRuleProps{Tags: []string{"kubernetes", "networking", string(c.Layer)}, Layer: string(c.Layer)},
	}
}

// ruleName turns "service-selector-matches-no-pods" into
// "ServiceSelectorMatchesNoPods", the identifier form SARIF suggests.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(capitalized(part))
	}
	return b.String()
}

func resultFor(f *diagnose.Finding, ruleIndex int, baseDir string) sarifResult {
	msg := f.Symptom
	if f.Cause != "" {
		msg = joinSentence(msg, f.Cause)
	}
	if len(f.Evidence) > 0 {
		msg = joinSentence(msg, "Evidence: "+strings.Join(f.Evidence, "; "))
	}
	if f.Fix != "" {
		msg = joinSentence(msg, "Fix: "+f.Fix)
	}
	if f.Verify != "" {
		msg = joinSentence(msg, "Verify: "+f.Verify)
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{
		Name:               f.Object.Name,
		FullyQualifiedName: f.Object.String(),
		Kind:               "object",
	}}}
	if f.Origin != nil && f.Origin.File != "" && f.Origin.File != "<stdin>" {
		phys := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.Origin.File, baseDir)}}
		if f.Origin.Line > 0 {
			phys.Region = &sarifRegion{StartLine: f.Origin.Line}
		}
		loc.PhysicalLocation = phys
	}
	return sarifResult{
		RuleID:              f.Check,
		RuleIndex:           ruleIndex,
		Level:               severityOf(f.Severity).level,
		Message:             sarifText{Text: msg},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f)},
		Properties: sarifResultProps{
			Layer: string(f.Layer), Path: f.Path, Symptom: f.Symptom, Cause: f.Cause,
			Evidence: f.Evidence, Fix: f.Fix, Verify: f.Verify,
		},
	}
}

// joinSentence appends s to msg as a new sentence.
func joinSentence(msg, s string) string {
	if msg == "" {
		return s
	}
	msg = strings.TrimRight(msg, " ")
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg + " " + s
}

// fingerprint identifies a finding across runs by what it is about (check
// and object), not by its wording or line, so an alert survives edits to
// the message and moves of the manifest within its file.
func fingerprint(f *diagnose.Finding) string {
	sum := sha256.Sum256([]byte(f.Check + "\x00" + f.Object.String()))
	return hex.EncodeToString(sum[:16])
}

// artifactURI writes a file name as a URI reference: relative names stay
// relative (slash-separated, percent-encoded), absolute ones are made
// relative to baseDir when they lie below it, else become file:// URIs.
func artifactURI(file, baseDir string) string {
	if filepath.IsAbs(file) && baseDir != "" {
		if rel, err := filepath.Rel(baseDir, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			file = rel
		}
	}
	slashed := filepath.ToSlash(filepath.Clean(file))
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: slashed}).String()
	}
	return (&url.URL{Path: slashed}).String()
}
