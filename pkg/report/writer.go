package report

import (
	"bufio"
	"fmt"
	"io"
)

// textWriter keeps the first write error so the layout code reads straight.
type textWriter struct {
	w   *bufio.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// writeBuffered runs layout, which writes a text or Markdown report, on a
// buffered writer over w and returns the first write error.
func writeBuffered(w io.Writer, layout func(t *textWriter)) error {
	t := &textWriter{w: bufio.NewWriter(w)}
	layout(t)
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}
