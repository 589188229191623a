package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hopscope/hopscope/pkg/safetext"
)

// validateTextOrJSON rejects an --output other than the two formats the
// commands besides diagnose and demo print.
func validateTextOrJSON(output string) error {
	if output != "text" && output != "json" {
		return usageErrorf("--output %q: want text or json", output)
	}
	return nil
}

// writeJSON writes v indented, the form of every `-o json`: one document a
// person can read and a program can parse.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printList prints a titled bullet list after a blank line; an empty list
// prints nothing, title included.
func printList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "  • %s\n", it)
	}
}

// indent prefixes every non-empty line of text, for multi-line catalog
// prose under a heading.
func indent(text, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// escapingWriter passes every write through safetext.SanitizeLines, for
// text another package writes a whole line at a time and the cluster
// controls: the API server's "Warning: ..." lines carry admission webhook
// messages.
type escapingWriter struct{ w io.Writer }

func (e escapingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.w, safetext.SanitizeLines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
