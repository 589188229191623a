package source

import (
	"bytes"
	"iter"
	"unicode/utf16"
	"unicode/utf8"
)

// yamlDoc is one document of a YAML stream.
type yamlDoc struct {
	body []byte
	line int // absolute line of body's first line
	num  int // 1-based document number, as YAML counts documents
	// whole is set when the document's first line is its "---" marker
	// with content after it (`--- !tag`, `--- |`): only the reference
	// decoder reads that.
	whole bool
}

// splitYAML cuts a YAML stream into documents at "---" and "..." marker
// lines. A YAML document cannot contain such a line (the scanner ends the
// document there), so cutting at them is exact. Before the first "---",
// and after a "...", text is a document only if it holds content, as YAML
// counts documents; after a "---" every document counts, even an empty
// one. Documents are yielded as they are found: a stream of millions of
// empty documents takes no memory.
func splitYAML(data []byte) iter.Seq[yamlDoc] {
	return func(yield func(yamlDoc) bool) {
		start, startLine := 0, 1
		explicit := false // the current document was opened by "---"
		num := 0
		add := func(end int, whole bool) bool {
			body := data[start:end]
			if explicit || hasContent(body) {
				num++
				return yield(yamlDoc{body: body, line: startLine, num: num, whole: whole})
			}
			return true
		}
		whole := false
		line := 1
		for pos := 0; pos < len(data); line++ {
			eol := bytes.IndexByte(data[pos:], '\n')
			next := len(data)
			if eol >= 0 {
				next = pos + eol + 1
			}
			l := data[pos:next]
			if len(l) >= 3 && (l[0] == '-' || l[0] == '.') && l[1] == l[0] && l[2] == l[0] && (len(l) == 3 || isBlankZ(l[3])) {
				if !add(pos, whole) {
					return
				}
				rest := bytes.TrimLeft(l[3:], " \t\r\n")
				inline := len(rest) > 0 && rest[0] != '#'
				switch {
				case l[0] == '-' && inline:
					// The document starts on the marker's line.
					start, startLine, explicit, whole = pos, line, true, true
				case l[0] == '-':
					start, startLine, explicit, whole = next, line+1, true, false
				case inline:
					// Content after "...": let the reference decoder reject it.
					start, startLine, explicit, whole = pos, line, true, true
				default:
					start, startLine, explicit, whole = next, line+1, false, false
				}
			}
			pos = next
		}
		add(len(data), whole)
	}
}

func isBlankZ(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// hasContent reports whether a YAML text holds anything but blank lines and
// comments.
func hasContent(b []byte) bool {
	_, ok := contentLineIndex(b)
	return ok
}

// contentLineIndex is the 0-based index of the first line of b that is not
// blank or a comment, if there is one.
func contentLineIndex(b []byte) (int, bool) {
	for n := 0; len(b) > 0; n++ {
		eol := bytes.IndexByte(b, '\n')
		l := b
		if eol >= 0 {
			l, b = b[:eol], b[eol+1:]
		} else {
			b = nil
		}
		l = bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] != '#' {
			return n, true
		}
	}
	return 0, false
}

// utf8BOM starts files saved by some Windows editors.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// normalizeEncoding drops a UTF-8 byte order mark and turns UTF-16 input
// (which YAML allows, marked by its byte order mark) into UTF-8.
func normalizeEncoding(data []byte) []byte {
	if bytes.HasPrefix(data, utf8BOM) {
		return data[len(utf8BOM):]
	}
	if len(data) >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF)) {
		little := data[0] == 0xFF
		units := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if little {
				units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		out := make([]byte, 0, len(units))
		for _, r := range utf16.Decode(units) {
			out = utf8.AppendRune(out, r)
		}
		return out
	}
	return data
}

// normalizeLineBreaks turns each CR that is not followed by LF into LF.
// YAML reads a lone CR as a line break, as it reads CRLF and LF; the
// splitter and the fast path cut lines at LF only, so a stream saved with
// CR line breaks would otherwise be one line and lose every document after
// the first. CRLF is left alone (the fast path reads it); a lone CR cannot
// be anything but a line break in YAML or white space in JSON.
func normalizeLineBreaks(data []byte) []byte {
	i := bytes.IndexByte(data, '\r')
	for i >= 0 && i+1 < len(data) && data[i+1] == '\n' {
		j := bytes.IndexByte(data[i+2:], '\r')
		if j < 0 {
			return data
		}
		i += 2 + j
	}
	if i < 0 {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	for ; i < len(out); i++ {
		if out[i] == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// looksLikeJSON reports whether data starts, after white space, like a
// JSON object or array.
func looksLikeJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}
