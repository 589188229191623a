package report

import (
	"encoding/json"
	"io"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// renderJSON writes the contract of docs/output.md: every list is an array,
// never null (safeResult makes them so), so consumers can iterate without
// checking; "<none>" stays readable (no HTML escaping: this is not going
// into a web page).
func renderJSON(w io.Writer, res *diagnose.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
