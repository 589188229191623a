package logscan

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// The bounds of one container's log read: the end of a log is where a crash
// explains itself, and a report quotes a few lines, not megabytes.
const (
	MaxBytes = 64 << 10
	MaxLines = 200
)

// Tail is the end of a log: its text, and whether earlier text was left
// unread (then line numbers count from the first whole line of the tail).
type Tail struct {
	Text      string
	Truncated bool
}

// ReadFileTail reads at most maxBytes from the end of the file at path; a
// file of any size costs at most maxBytes of reading.
func ReadFileTail(path string, maxBytes int64) (Tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tail{}, fmt.Errorf("read container log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Tail{}, fmt.Errorf("read container log %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return Tail{}, fmt.Errorf("read container log %s: not a regular file", path)
	}
	t, err := ReadTail(f, st.Size(), maxBytes)
	if err != nil {
		return Tail{}, fmt.Errorf("read container log %s: %w", path, err)
	}
	return t, nil
}

// ReadTail reads the last maxBytes of a log of size bytes from r: one read
// at the offset where the tail starts, nothing before it.
func ReadTail(r io.ReaderAt, size, maxBytes int64) (Tail, error) {
	if size < 0 || maxBytes <= 0 {
		return Tail{}, fmt.Errorf("bad log bounds: size %d, limit %d", size, maxBytes)
	}
	start := max(size-maxBytes, 0)
	buf := make([]byte, size-start)
	n, err := r.ReadAt(buf, start)
	if err != nil && err != io.EOF {
		return Tail{}, err
	}
	return TailOf(buf[:n], start > 0), nil
}

// TailOf makes a Tail of the last bytes of a log. When earlier text was cut
// off, the partial first line is dropped so that no quote starts mid-line,
// unless it is the only line.
func TailOf(b []byte, truncated bool) Tail {
	if truncated {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return Tail{Text: string(b), Truncated: truncated}
}

// Line is one line of a log with its number: 1-based from the start of the
// log, or from the start of the tail when the log was truncated.
type Line struct {
	N    int
	Text string
}

// Lines returns the last limit lines of the tail, numbered.
func (t Tail) Lines(limit int) []Line {
	text := strings.TrimSuffix(t.Text, "\n")
	if text == "" {
		return nil
	}
	raw := strings.Split(text, "\n")
	first := max(len(raw)-limit, 0)
	out := make([]Line, 0, len(raw)-first)
	for i := first; i < len(raw); i++ {
		out = append(out, Line{N: i + 1, Text: strings.TrimSuffix(raw[i], "\r")})
	}
	return out
}

// Section returns the part of a `kubectl cluster-info dump` logs.txt that
// holds one container's log, between its "==== START logs for container
// NAME" and "==== END logs for container NAME" lines, keeping the lines'
// numbers in the file. ok is false when the tail holds no such section.
func Section(lines []Line, container string) (out []Line, ok bool) {
	start := "==== START logs for container " + container + " "
	end := "==== END logs for container " + container + " "
	// A tail can begin inside the section, after its START line: then
	// the section is what precedes its END line, back to the end of the
	// section before it.
	in, seenMarker := true, false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l.Text, start):
			in, ok, out = true, true, out[:0]
		case strings.HasPrefix(l.Text, end):
			if in && !seenMarker {
				ok = true
			}
			in, seenMarker = false, true
		case strings.HasPrefix(l.Text, "==== START logs for container "), strings.HasPrefix(l.Text, "==== END logs for container "):
			if !ok {
				out = out[:0]
			}
			in, seenMarker = false, true
		case in:
			out = append(out, l)
		}
	}
	if !ok {
		return nil, false
	}
	return out, true
}
