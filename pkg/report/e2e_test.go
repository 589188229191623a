package report

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

const seedDir = "../../examples/seed"

// TestEndToEndSeedLabs renders what the real loader and engine make of
// every seed lab in every format: SARIF must validate, JSON must parse,
// and each broken hop must be drawn as such in HTML.
func TestEndToEndSeedLabs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(seedDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed labs in %s: %v", seedDir, err)
	}
	sch := sarifSchema(t)
	opt := Options{Checks: checks.All(), ToolVersion: "e2e"}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res := diagnosetest.Files(t, file)
			for _, format := range Formats {
				out := render(t, format, res, opt)
				switch format {
				case "sarif":
					validateSARIF(t, sch, out)
				case "json":
					var back diagnose.Result
					if err := json.Unmarshal(out, &back); err != nil {
						t.Fatalf("JSON does not parse: %v", err)
					}
					if len(back.Findings) != len(res.Findings) || len(back.Traces) != len(res.Traces) {
						t.Errorf("JSON round trip lost findings or traces")
					}
				case "html":
					broken := 0
					for _, tr := range res.Traces {
						for _, h := range tr.Hops {
							if h.Status == diagnose.StatusBroken {
								broken++
							}
						}
					}
					if got := strings.Count(string(out), `data-status="broken"`); got != broken {
						t.Errorf("HTML draws %d broken hops, the result has %d", got, broken)
					}
				}
			}
		})
	}
}

// TestEndToEndGolden pins the text report of the seed's lab 4 (an Ingress
// naming a Service that does not exist) as the real engine produces it.
// When a check's wording changes on purpose, refresh with -update.
func TestEndToEndGolden(t *testing.T) {
	res := diagnosetest.Files(t, filepath.Join(seedDir, "lab4-ingress.yaml"))
	matchGolden(t, "e2e-lab4.txt", render(t, "text", res, Options{}))
}
