package report

import (
	"encoding/json"
	"io"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// renderJSON writes the contract of DESIGN.md: every list is an array, never
// null, so consumers can iterate without checking; "<none>" stays readable
// (no HTML escaping: this is not going into a web page).
func renderJSON(w io.Writer, res *diagnose.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(normalized(res))
}

// normalized returns a copy of res whose slices are empty instead of nil.
func normalized(res *diagnose.Result) *diagnose.Result {
	out := *res
	out.Findings = make([]diagnose.Finding, len(res.Findings))
	for i, f := range res.Findings {
		if f.Evidence == nil {
			f.Evidence = []string{}
		}
		if f.Path == nil {
			f.Path = []string{}
		}
		out.Findings[i] = f
	}
	out.Traces = make([]diagnose.Trace, len(res.Traces))
	for i, t := range res.Traces {
		if t.Hops == nil {
			t.Hops = []diagnose.Hop{}
		}
		out.Traces[i] = t
	}
	return &out
}
