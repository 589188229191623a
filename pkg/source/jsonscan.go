package source

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// This file scans JSON without decoding it: to find where each value of a
// stream ends, where each item of a List starts, and an object's apiVersion
// and kind, so that items can be decoded on their own, in parallel.

// maxDepth bounds nesting as encoding/json does, so that hostile input is an
// error rather than a stack overflow.
const maxDepth = 10000

// jsonError is a syntax error at a byte offset of the scanned input.
type jsonError struct {
	Offset int
	Msg    string
}

func (e *jsonError) Error() string { return e.Msg }

// jsonScanner validates JSON. Its only state is the input.
type jsonScanner struct {
	data []byte
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *jsonScanner) skipSpace(i int) int {
	for i < len(s.data) && isJSONSpace(s.data[i]) {
		i++
	}
	return i
}

func (s *jsonScanner) errAt(i int, format string, args ...any) error {
	return &jsonError{Offset: i, Msg: fmt.Sprintf(format, args...)}
}

func (s *jsonScanner) unexpected(i int, context string) error {
	if i >= len(s.data) {
		return s.errAt(i, "unexpected end of JSON input")
	}
	return s.errAt(i, "invalid character %q %s", s.data[i], context)
}

// value checks the JSON value at data[i] (no leading space) and returns the
// offset just past it.
func (s *jsonScanner) value(i, depth int) (int, error) {
	if i >= len(s.data) {
		return i, s.errAt(i, "unexpected end of JSON input")
	}
	switch c := s.data[i]; {
	case c == '{':
		return s.object(i, depth+1, nil)
	case c == '[':
		return s.array(i, depth+1, nil)
	case c == '"':
		return s.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return i, s.unexpected(i, "looking for beginning of value")
}

func (s *jsonScanner) literal(i int, lit string) (int, error) {
	if bytes.HasPrefix(s.data[i:], []byte(lit)) {
		return i + len(lit), nil
	}
	for j := 0; j < len(lit); j++ {
		if i+j >= len(s.data) {
			return i + j, s.errAt(i+j, "unexpected end of JSON input")
		}
		if s.data[i+j] != lit[j] {
			return i + j, s.unexpected(i+j, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *jsonScanner) number(i int) (int, error) {
	d := s.data
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return i, s.unexpected(i, "in numeric literal")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return i, s.unexpected(i, "after decimal point in numeric literal")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return i, s.unexpected(i, "in exponent of numeric literal")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// str checks the string at data[i] == '"'.
func (s *jsonScanner) str(i int) (int, error) {
	d := s.data
	i++
	for {
		j := i
		for j < len(d) && d[j] != '"' && d[j] != '\\' && d[j] >= 0x20 {
			j++
		}
		if j >= len(d) {
			return j, s.errAt(j, "unexpected end of JSON input")
		}
		switch c := d[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			if j+1 >= len(d) {
				return j + 1, s.errAt(j+1, "unexpected end of JSON input")
			}
			switch d[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i = j + 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(d) {
						return k, s.errAt(k, "unexpected end of JSON input")
					}
					if !isHex(d[k]) {
						return k, s.unexpected(k, "in \\u hexadecimal character escape")
					}
				}
				i = j + 6
			default:
				return j + 1, s.unexpected(j+1, "in string escape code")
			}
		default:
			return j, s.unexpected(j, "in string literal")
		}
	}
}

// member is one key of an object with its value's span.
type member struct {
	key        []byte // raw, between the quotes
	start, end int    // the value
}

// object checks the object at data[i] == '{'. With members non-nil it
// records the key and value span of each member peekMeta reads (see
// metaKey): an object of a million keys must not take a record each.
func (s *jsonScanner) object(i, depth int, members *[]member) (int, error) {
	i, empty, err := s.open(i, depth, '}')
	if empty || err != nil {
		return i, err
	}
	for {
		if i >= len(s.data) || s.data[i] != '"' {
			return i, s.unexpected(i, "looking for beginning of object key string")
		}
		kend, err := s.str(i)
		if err != nil {
			return kend, err
		}
		key := s.data[i+1 : kend-1]
		i = s.skipSpace(kend)
		if i >= len(s.data) || s.data[i] != ':' {
			return i, s.unexpected(i, "after object key")
		}
		i = s.skipSpace(i + 1)
		vstart := i
		if i, err = s.value(i, depth); err != nil {
			return i, err
		}
		if members != nil && metaKey(key) {
			*members = append(*members, member{key: key, start: vstart, end: i})
		}
		var done bool
		if i, done, err = s.separator(i, '}', "after object key:value pair"); done || err != nil {
			return i, err
		}
	}
}

// array checks the array at data[i] == '['. With elems non-nil it records
// each element's start offset.
func (s *jsonScanner) array(i, depth int, elems *[]span) (int, error) {
	i, empty, err := s.open(i, depth, ']')
	if empty || err != nil {
		return i, err
	}
	for {
		start := i
		if i, err = s.value(i, depth); err != nil {
			return i, err
		}
		if elems != nil {
			*elems = append(*elems, span{start, i})
		}
		var done bool
		if i, done, err = s.separator(i, ']', "after array element"); done || err != nil {
			return i, err
		}
	}
}

// open moves past the "{" or "[" at data[i] and the space after it. It
// reports whether the collection closes (with closing) at once.
func (s *jsonScanner) open(i, depth int, closing byte) (int, bool, error) {
	if depth > maxDepth {
		return i, false, s.errAt(i, "exceeded max depth")
	}
	i = s.skipSpace(i + 1)
	if i < len(s.data) && s.data[i] == closing {
		return i + 1, true, nil
	}
	return i, false, nil
}

// separator reads what follows an element of a collection that ends with
// closing: a "," before the next element, or the end of the collection
// (done). context names the place in errors.
func (s *jsonScanner) separator(i int, closing byte, context string) (int, bool, error) {
	i = s.skipSpace(i)
	if i < len(s.data) && s.data[i] == ',' {
		return s.skipSpace(i + 1), false, nil
	}
	if i < len(s.data) && s.data[i] == closing {
		return i + 1, true, nil
	}
	return i, false, s.unexpected(i, context)
}

// span is a byte range of the input.
type span struct{ start, end int }

// topValue is one value of a JSON stream: its span, and for an object the
// spans of its members.
type topValue struct {
	span
	members []member
	isObj   bool
}

// jsonStream cuts data, a stream of JSON values separated by white space
// (what `kubectl cluster-info dump` prints), into values, checking each.
// The log sections kubectl prints between them are skipped, and recorded
// in sections when it is not nil. It returns the values read before any
// error, and the error.
func jsonStream(data []byte, sections *[]logSection) ([]topValue, error) {
	s := &jsonScanner{data: data}
	var out []topValue
	i := s.skipSpace(0)
	for i < len(data) {
		if bytes.HasPrefix(data[i:], logStart) {
			sec, err := readLogSection(data, i)
			if err != nil {
				return out, err
			}
			if sections != nil {
				*sections = append(*sections, sec)
			}
			i = s.skipSpace(sec.next)
			continue
		}
		v := topValue{span: span{start: i}}
		var err error
		if data[i] == '{' {
			v.isObj = true
			i, err = s.object(i, 1, &v.members)
		} else {
			i, err = s.value(i, 0)
		}
		if err != nil {
			return out, err
		}
		v.end = i
		out = append(out, v)
		i = s.skipSpace(i)
	}
	return out, nil
}

// The markers `kubectl cluster-info dump` prints around each container's
// log when it writes to stdout: "==== START logs for container NAME of pod
// NS/POD ====".
var (
	logStart = []byte("==== START logs for container ")
	logEnd   = []byte("==== END logs for container ")
)

// logSection is one container's log in a stream: its header (what follows
// the start marker) and its body, and where the stream goes on.
type logSection struct {
	head []byte
	body span
	next int
}

// readLogSection reads the log section starting at data[i]. Its end marker
// repeats the start marker's container and pod; a log without a final
// newline puts it mid-line, so it is searched for as is.
func readLogSection(data []byte, i int) (logSection, error) {
	eol := bytes.IndexByte(data[i:], '\n')
	if eol < 0 {
		return logSection{}, &jsonError{Offset: i, Msg: "log section without end"}
	}
	head := data[i+len(logStart) : i+eol]
	end := append(append([]byte{}, logEnd...), head...)
	k := bytes.Index(data[i+eol:], end)
	if k < 0 {
		return logSection{}, &jsonError{Offset: i, Msg: fmt.Sprintf("log section %q has no end marker", data[i:i+eol])}
	}
	return logSection{head: head, body: span{i + eol + 1, i + eol + k}, next: i + eol + k + len(end)}, nil
}

// log is the section as a container log: its pod and container from the
// header, and the end of its text.
func (sec logSection) log(data []byte) snapshot.ContainerLog {
	head := strings.TrimSuffix(strings.TrimSpace(string(sec.head)), "====")
	container, pod, _ := strings.Cut(strings.TrimSpace(head), " of pod ")
	ns, name, _ := strings.Cut(pod, "/")
	text := data[sec.body.start:max(sec.body.start, sec.body.end)]
	l := snapshot.ContainerLog{Namespace: ns, Pod: name, Container: container}
	if len(text) > snapshot.MaxLogTail {
		cut := len(text) - snapshot.MaxLogTail
		for cut < len(text) && !utf8.RuneStart(text[cut]) {
			cut++
		}
		text, l.Truncated = text[cut:], true
	}
	l.Tail = string(text)
	return l
}

// objectMeta is what the loader needs to know of an object before decoding
// it.
type objectMeta struct {
	apiVersion, kind string
	items            []byte // the raw "items" value, when present
	itemsStart       int    // its offset in the object
	hasItems         bool
}

var errSlowMeta = errors.New("needs a full decode to read apiVersion and kind")

// peekMeta reads apiVersion, kind and items from the members of an object.
// It declines (errSlowMeta) whenever encoding/json might read them
// differently: escaped or non-string values, or keys that match only
// case-insensitively, which encoding/json also accepts.
func peekMeta(data []byte, members []member) (objectMeta, error) {
	var m objectMeta
	for _, mb := range members {
		switch string(mb.key) {
		case "apiVersion":
			v, ok := plainString(data[mb.start:mb.end])
			if !ok {
				return m, errSlowMeta
			}
			m.apiVersion = v
		case "kind":
			v, ok := plainString(data[mb.start:mb.end])
			if !ok {
				return m, errSlowMeta
			}
			m.kind = v
		case "items":
			m.items, m.itemsStart, m.hasItems = data[mb.start:mb.end], mb.start, true
		default:
			if len(mb.key) == 4 || len(mb.key) == 5 || len(mb.key) == 10 || bytes.IndexByte(mb.key, '\\') >= 0 {
				if foldsToMeta(mb.key) {
					return m, errSlowMeta
				}
			}
		}
	}
	return m, nil
}

// metaKey reports whether key may be one peekMeta reads: one that could
// spell apiVersion, kind or items (in any case, or escaped).
func metaKey(key []byte) bool {
	return len(key) == 4 || len(key) == 5 || len(key) == 10 || bytes.IndexByte(key, '\\') >= 0
}

func foldsToMeta(key []byte) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return true // an escaped key may spell anything
	}
	return bytes.EqualFold(key, []byte("kind")) || bytes.EqualFold(key, []byte("apiVersion")) || bytes.EqualFold(key, []byte("items"))
}

// plainString returns the content of a JSON string without escapes.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

// quickMeta reads apiVersion and kind from the first members of a valid
// JSON object, stopping as soon as it has both. Callers check the result
// against the decoded object's own TypeMeta, which encoding/json fills by
// its full rules, and fall back to a full read when they differ.
func quickMeta(obj []byte) (apiVersion, kind string, ok bool) {
	s := &jsonScanner{data: obj}
	i := s.skipSpace(0)
	if i >= len(obj) || obj[i] != '{' {
		return "", "", false
	}
	i = s.skipSpace(i + 1)
	haveAV, haveKind := false, false
	for i < len(obj) && obj[i] == '"' {
		kend, err := s.str(i)
		if err != nil {
			return "", "", false
		}
		key := obj[i+1 : kend-1]
		i = s.skipSpace(kend)
		if i >= len(obj) || obj[i] != ':' {
			return "", "", false
		}
		i = s.skipSpace(i + 1)
		vstart := i
		if i, err = skipFast(obj, i); err != nil {
			return "", "", false
		}
		switch string(key) {
		case "apiVersion":
			if apiVersion, ok = plainString(obj[vstart:i]); !ok {
				return "", "", false
			}
			haveAV = true
		case "kind":
			if kind, ok = plainString(obj[vstart:i]); !ok {
				return "", "", false
			}
			haveKind = true
		}
		if haveAV && haveKind {
			return apiVersion, kind, true
		}
		i = s.skipSpace(i)
		if i < len(obj) && obj[i] == ',' {
			i = s.skipSpace(i + 1)
		}
	}
	return apiVersion, kind, haveAV || haveKind
}

// skipFast returns the end of the valid JSON value at data[i], without
// checking it again.
func skipFast(data []byte, i int) (int, error) {
	if i >= len(data) {
		return i, errors.New("unexpected end")
	}
	switch data[i] {
	case '"':
		i++
		for i < len(data) {
			switch data[i] {
			case '"':
				return i + 1, nil
			case '\\':
				i += 2
				continue
			}
			i++
		}
		return i, errors.New("unexpected end")
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			case '"':
				end, err := skipFast(data, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			}
			i++
		}
		return i, errors.New("unexpected end")
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, nil
		}
		i++
	}
	return i, nil
}

// lineAt is the 1-based line of data[off].
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
