package source

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// This file is the fast path from YAML to JSON. It reads the block-style
// YAML that kubectl and most people write (mappings, sequences, plain,
// quoted and literal scalars, comments, empty flow collections) in one pass
// over the lines, writing JSON as it goes, and gives up (errBail) on
// anything else: anchors, tags, flow collections with content, folded
// scalars, tabs where YAML gives them meaning... The caller then hands that
// document, or just that List item, to the reference decoder. Giving up is
// always safe; guessing is not, so every rule here errs on the side of
// giving up.

// errBail means the fast path does not handle this input.
var errBail = errors.New("outside the fast YAML subset")

// maxNesting bounds recursion; deeper documents go to the reference decoder,
// which has its own limits.
const maxNesting = 200

// maxKeyLen is below the length the YAML 1.1 scanner allows a simple key.
const maxKeyLen = 1000

// itemMark is one element of a top-level List's items, cut out as YAML.
type itemMark struct {
	line  int    // absolute line of its "- " line
	chunk []byte // its YAML
	col   int    // the column of its "-" in chunk
}

// lineMark ties an offset of the JSON output to the YAML line it came from.
type lineMark struct{ offset, line int }

// lineOfOffset is the line of the last key that starts before offset.
func lineOfOffset(marks []lineMark, offset int) int {
	line := 0
	for _, m := range marks {
		if m.offset >= offset {
			break
		}
		line = m.line
	}
	return line
}

// yamlConv converts one YAML document.
type yamlConv struct {
	src  []byte
	base int // absolute line number of src's first line, minus one

	ls, le, next int // current line: start, end of content, start of next line
	line         int // current line's number within src, 1-based
	i            int // read position within the current line

	out   []byte
	depth int

	// itemsHook is set while reading the value of the root mapping's
	// "items" key: that sequence records its elements in items.
	itemsHook bool
	items     []itemMark
	hasItems  bool
	// rootMembers are the root mapping's members peekMeta reads (see
	// metaKey), with their value spans in out.
	rootMembers []member
	// cut makes the root List's items YAML chunks, converted later one by
	// one (in parallel), instead of converting them in place.
	cut bool
	// itemsStart and itemsEnd delimit the cut items in src.
	itemsStart, itemsEnd int
	// marks, when set, records where each key starts in out and its line,
	// to point a decoding error at its line.
	marks *[]lineMark

	scratch []byte
}

// checkText reports whether doc holds only characters the fast path reads
// as plain bytes: printable ASCII, tab, LF, CRLF and non-ASCII UTF-8 other
// than the characters YAML 1.1 treats as line breaks or forbids.
func checkText(doc []byte) bool {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		switch {
		case c == '\n' || c == '\t':
			i++
			continue
		case c == '\r':
			if i+1 < len(doc) && doc[i+1] == '\n' {
				i++
				continue
			}
			return false
		case c < 0x80:
			return false
		}
		r, size := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		switch {
		case r == 0x85, r == 0x2028, r == 0x2029, r == 0xFEFF:
			return false
		case r < 0xA0, r >= 0xD800 && r < 0xE000, r == 0xFFFE, r == 0xFFFF:
			return false
		}
		i += size
	}
	return true
}

// setLine makes the line starting at ls current.
func (c *yamlConv) setLine(ls int) {
	c.ls, c.i = ls, ls
	if ls >= len(c.src) {
		c.le, c.next = len(c.src), len(c.src)
		return
	}
	nl := bytes.IndexByte(c.src[ls:], '\n')
	if nl < 0 {
		c.le, c.next = len(c.src), len(c.src)
	} else {
		c.le, c.next = ls+nl, ls+nl+1
	}
	if c.le > ls && c.src[c.le-1] == '\r' {
		c.le--
	}
}

func (c *yamlConv) eof() bool { return c.ls >= len(c.src) }

// spacesEnd is the index of the first byte at or after j on the current
// line that is not a space; c.le when only spaces follow.
func (c *yamlConv) spacesEnd(j int) int {
	for j < c.le && c.src[j] == ' ' {
		j++
	}
	return j
}

func (c *yamlConv) nextLine() {
	c.setLine(c.next)
	c.line++
}

// toContent moves to the first line at or after the current one that holds
// something other than spaces and a comment, and to its first non-space
// byte. It returns that byte's column, or -1 at the end of the document.
func (c *yamlConv) toContent() (int, error) {
	for !c.eof() {
		j := c.spacesEnd(c.ls)
		if j < c.le && c.src[j] == '\t' {
			// YAML forbids tabs in indentation, even on blank lines.
			return 0, errBail
		}
		if j == c.le || c.src[j] == '#' {
			c.nextLine()
			continue
		}
		c.i = j
		return j - c.ls, nil
	}
	return -1, nil
}

// restOfLine checks that only spaces and a comment follow c.i on the
// current line, and moves to the next line.
func (c *yamlConv) restOfLine() error {
	j := c.spacesEnd(c.i)
	if j < c.le && (c.src[j] != '#' || j == c.i) {
		return errBail
	}
	c.nextLine()
	return nil
}

func (c *yamlConv) col() int { return c.i - c.ls }

// isSeqEntry reports whether the line continues at c.i with "- " or a lone
// "-".
func (c *yamlConv) isSeqEntry() bool {
	return c.i < c.le && c.src[c.i] == '-' && (c.i+1 == c.le || c.src[c.i+1] == ' ')
}

// plainEnd scans a plain scalar's text on the current line from i. It
// returns the end of the text (trailing spaces excluded) and what stopped
// it: 0 at the end of the line, ':' before a mapping value indicator, '#'
// before a comment.
func (c *yamlConv) plainEnd(i int) (int, byte, error) {
	src := c.src
	end := i
	for j := i; j < c.le; j++ {
		switch src[j] {
		case ':':
			if j+1 == c.le || src[j+1] == ' ' {
				return end, ':', nil
			}
			if src[j+1] == '\t' {
				return 0, 0, errBail
			}
		case '#':
			if j > i && src[j-1] == ' ' {
				return end, '#', nil
			}
		case '\t':
			return 0, 0, errBail
		case ' ':
			continue
		}
		end = j + 1
	}
	return end, 0, nil
}

// canStartPlain reports whether a plain scalar may start at c.i.
func (c *yamlConv) canStartPlain() bool {
	ch := c.src[c.i]
	switch ch {
	case '-', '?', ':':
		return c.i+1 < c.le && c.src[c.i+1] != ' ' && c.src[c.i+1] != '\t'
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '\t':
		return false
	}
	return true
}

// node converts the block node that starts at c.i. n is the indentation of
// the collection it belongs to (-1 at the root).
func (c *yamlConv) node(n int) error {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxNesting {
		return errBail
	}
	record := c.itemsHook
	c.itemsHook = false
	col := c.col()
	switch ch := c.src[c.i]; {
	case ch == '-' && (c.i+1 == c.le || c.src[c.i+1] == ' '):
		return c.sequence(col, record)
	case ch == '"' || ch == '\'':
		if c.quotedIsKey() {
			return c.mapping(col)
		}
		return c.quotedValue(n)
	case ch == '|':
		return c.literal(n)
	case ch == '[' || ch == '{':
		return c.emptyFlow()
	}
	if !c.canStartPlain() {
		return errBail
	}
	_, stop, err := c.plainEnd(c.i)
	if err != nil {
		return err
	}
	if stop == ':' {
		return c.mapping(col)
	}
	return c.plainValue(n)
}

// quotedIsKey reports whether the quoted scalar at c.i is followed by ':'
// on the same line, making it a mapping key.
func (c *yamlConv) quotedIsKey() bool {
	q := c.src[c.i]
	j := c.i + 1
	for j < c.le {
		switch c.src[j] {
		case q:
			if q == '\'' && j+1 < c.le && c.src[j+1] == '\'' {
				j += 2
				continue
			}
			j = c.spacesEnd(j + 1)
			return j < c.le && c.src[j] == ':' && (j+1 == c.le || c.src[j+1] == ' ')
		case '\\':
			if q == '"' {
				j++
			}
		}
		j++
	}
	return false
}

// emptyFlow converts "[]" or "{}" standing alone as a value.
func (c *yamlConv) emptyFlow() error {
	open := c.src[c.i]
	j := c.spacesEnd(c.i + 1)
	if j >= c.le || (open == '[' && c.src[j] != ']') || (open == '{' && c.src[j] != '}') {
		return errBail
	}
	c.out = append(c.out, open, c.src[j])
	c.i = j + 1
	return c.restOfLine()
}

// mapping converts a block mapping whose keys sit at column col, starting
// with the key at c.i.
func (c *yamlConv) mapping(col int) error {
	c.out = append(c.out, '{')
	var keys []span
	var keySet map[string]struct{}
	root := c.depth == 1
	first := true
	for {
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		keyStart := len(c.out)
		isItems, err := c.key()
		if err != nil {
			return err
		}
		// Duplicate keys are an error in YAML; the reference decoder
		// reports them, so defer to it.
		k := c.out[keyStart:]
		if keySet != nil {
			if _, dup := keySet[string(k)]; dup {
				return errBail
			}
			keySet[string(k)] = struct{}{}
		} else {
			for _, prev := range keys {
				if bytes.Equal(c.out[prev.start:prev.end], k) {
					return errBail
				}
			}
			keys = append(keys, span{keyStart, len(c.out)})
			if len(keys) > 16 {
				keySet = make(map[string]struct{}, 2*len(keys))
				for _, p := range keys {
					keySet[string(c.out[p.start:p.end])] = struct{}{}
				}
			}
		}
		c.out = append(c.out, ':')
		valueStart := len(c.out)
		if err := c.mappingValue(col, root && isItems); err != nil {
			return err
		}
		if key := c.out[keyStart+1 : valueStart-2]; root && metaKey(key) {
			c.rootMembers = append(c.rootMembers, member{key: key, start: valueStart, end: len(c.out)})
		}
		next, err := c.toContent()
		if err != nil {
			return err
		}
		if next < col {
			break
		}
		if next > col || c.isSeqEntry() {
			return errBail
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// key converts the mapping key at c.i and moves past its ':'. It reports
// whether the key is a plain "items".
func (c *yamlConv) key() (bool, error) {
	if c.marks != nil {
		*c.marks = append(*c.marks, lineMark{offset: len(c.out), line: c.base + c.line})
	}
	switch ch := c.src[c.i]; {
	case ch == '"' || ch == '\'':
		startLine := c.line
		if err := c.quoted(-1); err != nil {
			return false, err
		}
		if c.line != startLine {
			return false, errBail
		}
		for c.i < c.le && c.src[c.i] == ' ' {
			c.i++
		}
		if c.i >= c.le || c.src[c.i] != ':' || (c.i+1 < c.le && c.src[c.i+1] != ' ') {
			return false, errBail
		}
		c.i++
		return false, nil
	case !c.canStartPlain():
		return false, errBail
	}
	end, stop, err := c.plainEnd(c.i)
	if err != nil {
		return false, err
	}
	if stop != ':' || end-c.i > maxKeyLen {
		return false, errBail
	}
	k := c.src[c.i:end]
	if string(k) == "<<" {
		return false, errBail // a merge key
	}
	var ok bool
	if c.out, ok = appendPlainKey(c.out, k); !ok {
		return false, errBail
	}
	// Skip the spaces before the colon too.
	j := end
	for c.src[j] != ':' {
		j++
	}
	c.i = j + 1
	return string(k) == "items", nil
}

// afterIndicator moves past the spaces that follow a ":" or "-"
// indicator. It reports whether a node starts on the same line; when none
// does, it moves to the next line holding content and returns that line's
// column (-1 at the end of the document).
func (c *yamlConv) afterIndicator() (inline bool, next int, err error) {
	for c.i < c.le && c.src[c.i] == ' ' {
		c.i++
	}
	if c.i < c.le && c.src[c.i] == '\t' {
		return false, 0, errBail
	}
	if c.i < c.le && c.src[c.i] != '#' {
		return true, 0, nil
	}
	c.nextLine()
	next, err = c.toContent()
	return false, next, err
}

// mappingValue converts the value after a key's ':' of a mapping at col.
// With record, a sequence value records its elements as List items.
func (c *yamlConv) mappingValue(col int, record bool) error {
	inline, next, err := c.afterIndicator()
	switch {
	case err != nil:
		return err
	case inline:
		// The value starts on the key's line: only a scalar or an empty
		// flow collection may.
		return c.inlineValue(col)
	}
	switch {
	case next > col:
		c.itemsHook = record
		return c.node(col)
	case next == col && c.isSeqEntry():
		return c.sequence(col, record)
	}
	c.out = append(c.out, "null"...)
	return nil
}

// inlineValue converts a scalar that starts on its key's line.
func (c *yamlConv) inlineValue(n int) error {
	switch ch := c.src[c.i]; ch {
	case '"', '\'':
		return c.quotedValue(n)
	case '|':
		return c.literal(n)
	case '[', '{':
		return c.emptyFlow()
	}
	if !c.canStartPlain() {
		return errBail
	}
	return c.plainValue(n)
}

// sequence converts a block sequence whose "-" sit at column col. With
// record, it is the root mapping's items, which in cut mode are cut into
// chunks instead (see cutItems).
func (c *yamlConv) sequence(col int, record bool) error {
	if record && c.cut {
		c.hasItems = true
		c.cutItems(col)
		c.out = append(c.out, "[]"...)
		return nil
	}
	c.out = append(c.out, '[')
	first := true
	for {
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		if err := c.entry(col); err != nil {
			return err
		}
		next, err := c.toContent()
		if err != nil {
			return err
		}
		if next < col || (next == col && !c.isSeqEntry()) {
			break
		}
		if next > col {
			return errBail
		}
	}
	c.out = append(c.out, ']')
	return nil
}

// cutItems records the entries of the block sequence at c.i, whose "-"
// sit at column col, as YAML chunks, and moves past the sequence. An entry
// runs to the next line indented no deeper than col that is not blank or a
// comment. Only a quoted scalar continued on such a line could make that
// cut wrong, and then the chunk holding its start has no closing quote:
// converting the chunk fails, and the document is read again by the
// reference decoder.
func (c *yamlConv) cutItems(col int) {
	start, startLine := c.ls, c.line
	c.itemsStart = start
	defer func() { c.itemsEnd = c.ls }()
	for {
		c.nextLine()
		j := c.ls
		for !c.eof() {
			j = c.spacesEnd(c.ls)
			if j < c.le && c.src[j] != '#' && j-c.ls <= col {
				break
			}
			c.nextLine()
		}
		c.items = append(c.items, itemMark{line: c.base + startLine, chunk: c.src[start:c.ls], col: col})
		if c.eof() {
			return
		}
		c.i = j
		if j-c.ls != col || !c.isSeqEntry() {
			return // the sequence ended
		}
		start, startLine = c.ls, c.line
	}
}

// entry converts one sequence entry; c.i is at its "-".
func (c *yamlConv) entry(col int) error {
	c.i++
	inline, next, err := c.afterIndicator()
	switch {
	case err != nil:
		return err
	case inline || next > col:
		return c.node(col)
	}
	c.out = append(c.out, "null"...)
	return nil
}

// plainValue converts a plain scalar in value position, following it onto
// continuation lines indented deeper than n.
func (c *yamlConv) plainValue(n int) error {
	end, stop, err := c.plainEnd(c.i)
	if err != nil {
		return err
	}
	if stop == ':' {
		return errBail
	}
	text := c.src[c.i:end]
	c.nextLine()
	if stop != '#' {
		if text, err = c.plainContinuation(n, text); err != nil {
			return err
		}
	}
	var ok bool
	if c.out, ok = appendPlainValue(c.out, text); !ok {
		return errBail
	}
	return nil
}

// plainContinuation folds the lines that continue a plain scalar whose
// first line held first: a single line break becomes a space, each blank
// line a newline. It stops at a line indented n or less, a comment line or
// the end. It leaves the current line at the first line not consumed.
func (c *yamlConv) plainContinuation(n int, first []byte) ([]byte, error) {
	var buf []byte
	for {
		// Look ahead past blank lines without consuming them unless a
		// continuation follows.
		ls, line, blanks := c.ls, c.line, 0
		for !c.eof() {
			if j := c.spacesEnd(c.ls); j != c.le || c.next == c.le {
				break // content, or the document's last line without a line break
			}
			blanks++
			c.nextLine()
		}
		j := c.spacesEnd(c.ls)
		if c.eof() || j == c.le {
			c.setLine(ls)
			c.line = line
			break
		}
		if c.src[j] == '\t' {
			return nil, errBail
		}
		if j-c.ls <= n || c.src[j] == '#' {
			c.setLine(ls)
			c.line = line
			break
		}
		c.i = j
		if !c.canStartPlain() || c.src[j] == '-' || c.src[j] == '?' || c.src[j] == ':' {
			return nil, errBail
		}
		end, stop, err := c.plainEnd(j)
		if err != nil {
			return nil, err
		}
		if stop == ':' {
			return nil, errBail
		}
		if buf == nil {
			buf = append(c.scratch[:0], first...)
		}
		if blanks == 0 {
			buf = append(buf, ' ')
		}
		for range blanks {
			buf = append(buf, '\n')
		}
		buf = append(buf, c.src[j:end]...)
		c.nextLine()
		if stop == '#' {
			break
		}
	}
	if buf == nil {
		return first, nil
	}
	c.scratch = buf
	return buf, nil
}

// quotedValue converts a quoted scalar in value position and checks the
// rest of its last line.
func (c *yamlConv) quotedValue(n int) error {
	if err := c.quoted(n); err != nil {
		return err
	}
	j := c.spacesEnd(c.i)
	if j < c.le && c.src[j] == ':' {
		// A quoted key where a value was expected, or a multi-line key.
		return errBail
	}
	return c.restOfLine()
}

// quoted converts the single- or double-quoted scalar at c.i, which may
// span lines indented deeper than n, and leaves c.i after the closing
// quote.
func (c *yamlConv) quoted(n int) error {
	q := c.src[c.i]
	double := q == '"'
	c.i++
	buf := c.scratch[:0]
	// pending holds the spaces seen since the last non-space, which are
	// kept only if more text follows on the same line.
	pendingStart := -1
	for {
		if c.i >= c.le {
			// A line break inside the scalar: trailing spaces go, then
			// one break is a space and every further blank line a
			// newline.
			if pendingStart >= 0 {
				buf = buf[:pendingStart]
			}
			pendingStart = -1
			if c.next >= len(c.src) && c.le == len(c.src) {
				return errBail
			}
			breaks := 0
			for {
				if err := c.quotedLine(n); err != nil {
					return err
				}
				if c.i < c.le {
					break // a line holding text
				}
				breaks++
			}
			if breaks == 0 {
				buf = append(buf, ' ')
			}
			for range breaks {
				buf = append(buf, '\n')
			}
			continue
		}
		ch := c.src[c.i]
		switch {
		case ch == q:
			if !double && c.i+1 < c.le && c.src[c.i+1] == '\'' {
				buf = append(buf, '\'')
				c.i += 2
				pendingStart = -1
				continue
			}
			c.i++
			c.out = appendJSONString(c.out, buf)
			c.scratch = buf
			return nil
		case ch == ' ' || ch == '\t':
			if pendingStart < 0 {
				pendingStart = len(buf)
			}
			buf = append(buf, ch)
			c.i++
			continue
		case double && ch == '\\':
			if c.i+1 >= c.le {
				// An escaped line break joins the lines with nothing
				// between them, and drops the next line's indentation.
				if c.next >= len(c.src) && c.le == len(c.src) {
					return errBail
				}
				pendingStart = -1
				if err := c.quotedLine(n); err != nil {
					return err
				}
				breaks := 0
				for c.i >= c.le {
					breaks++
					if err := c.quotedLine(n); err != nil {
						return err
					}
				}
				for range breaks {
					buf = append(buf, '\n')
				}
				continue
			}
			var ok bool
			if buf, ok = c.escape(buf); !ok {
				return errBail
			}
			pendingStart = -1
			continue
		}
		buf = append(buf, ch)
		c.i++
		pendingStart = -1
	}
}

// quotedLine moves to the next line of a quoted scalar, past its leading
// white space. A line holding text must be indented deeper than n.
func (c *yamlConv) quotedLine(n int) error {
	c.nextLine()
	if c.eof() {
		return errBail
	}
	j := c.ls
	for j < c.le && (c.src[j] == ' ' || c.src[j] == '\t') {
		j++
	}
	if j < c.le && j-c.ls <= n {
		return errBail
	}
	c.i = j
	return nil
}

// escape decodes the escape sequence at c.i (a backslash) of a
// double-quoted scalar.
func (c *yamlConv) escape(buf []byte) ([]byte, bool) {
	if c.i+1 >= c.le {
		return buf, false
	}
	e := c.src[c.i+1]
	c.i += 2
	switch e {
	case '0':
		return append(buf, 0), true
	case 'a':
		return append(buf, 7), true
	case 'b':
		return append(buf, 8), true
	case 't', '\t':
		return append(buf, '\t'), true
	case 'n':
		return append(buf, '\n'), true
	case 'v':
		return append(buf, 0x0b), true
	case 'f':
		return append(buf, 0x0c), true
	case 'r':
		return append(buf, '\r'), true
	case 'e':
		return append(buf, 0x1b), true
	case ' ', '"', '/', '\\':
		return append(buf, e), true
	case 'N':
		return utf8.AppendRune(buf, 0x85), true
	case '_':
		return utf8.AppendRune(buf, 0xA0), true
	case 'L':
		return utf8.AppendRune(buf, 0x2028), true
	case 'P':
		return utf8.AppendRune(buf, 0x2029), true
	}
	var digits int
	switch e {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		return buf, false
	}
	if c.i+digits > c.le {
		return buf, false
	}
	var r rune
	for _, h := range c.src[c.i : c.i+digits] {
		var v byte
		switch {
		case h >= '0' && h <= '9':
			v = h - '0'
		case h >= 'a' && h <= 'f':
			v = h - 'a' + 10
		case h >= 'A' && h <= 'F':
			v = h - 'A' + 10
		default:
			return buf, false
		}
		r = r<<4 | rune(v)
	}
	c.i += digits
	if (r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF {
		return buf, false
	}
	return utf8.AppendRune(buf, r), true
}

// literal converts a literal block scalar ("|" with optional chomping and
// indentation indicators) at c.i belonging to a collection at indentation
// n.
func (c *yamlConv) literal(n int) error {
	j := c.i + 1
	chomp, explicit := byte(0), 0
	for k := 0; k < 2 && j < c.le; k++ {
		switch ch := c.src[j]; {
		case (ch == '-' || ch == '+') && chomp == 0:
			chomp = ch
			j++
		case ch >= '1' && ch <= '9' && explicit == 0:
			explicit = int(ch - '0')
			j++
		}
	}
	c.i = j
	if err := c.restOfLine(); err != nil {
		return err
	}
	if n < 0 {
		return errBail
	}
	indent := n + explicit
	if explicit == 0 {
		// The first non-blank line sets the indentation; blank lines
		// before it may not be indented deeper.
		ls, line, maxBlank := c.ls, c.line, 0
		indent = -1
		for !c.eof() {
			j := c.spacesEnd(c.ls)
			if j < c.le {
				if c.src[j] == '\t' {
					return errBail
				}
				indent = j - c.ls
				break
			}
			maxBlank = max(maxBlank, j-c.ls)
			c.nextLine()
		}
		if indent <= n || maxBlank > indent {
			// An empty scalar, or a shape the fast path leaves alone.
			if indent <= n && maxBlank <= n && chomp != '+' {
				c.setLine(ls)
				c.line = line
				c.out = append(c.out, `""`...)
				return nil
			}
			return errBail
		}
		c.setLine(ls)
		c.line = line
	}
	buf := c.scratch[:0]
	// lineBreak: the last content line ended with a line break; empty:
	// the empty lines since. Both are written only once more content
	// follows, or at the end as the chomping indicator says.
	lineBreak, empty := false, 0
	for !c.eof() {
		j := c.ls
		for j < c.le && j-c.ls < indent && c.src[j] == ' ' {
			j++
		}
		if j < c.le && j-c.ls < indent {
			if c.src[j] == '\t' {
				return errBail
			}
			break // less indented: the scalar ended
		}
		if j == c.le {
			if c.next == c.le {
				break // the document's last line, without a line break
			}
			empty++
			c.nextLine()
			continue
		}
		if lineBreak {
			buf = append(buf, '\n')
		}
		for range empty {
			buf = append(buf, '\n')
		}
		empty = 0
		buf = append(buf, c.src[j:c.le]...)
		lineBreak = c.next > c.le
		c.nextLine()
	}
	switch chomp {
	case '-':
	case '+':
		if lineBreak {
			buf = append(buf, '\n')
		}
		for range empty {
			buf = append(buf, '\n')
		}
	default:
		if lineBreak {
			buf = append(buf, '\n')
		}
	}
	c.out = appendJSONString(c.out, buf)
	c.scratch = buf
	return nil
}
