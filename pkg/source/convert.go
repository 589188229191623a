package source

// convertedDoc is a YAML document turned into JSON by the fast path.
type convertedDoc struct {
	json     []byte     // the whole document; empty when it holds nothing
	line     int        // absolute line of its first content line
	members  []member   // the root mapping's members, spans in json
	items    []itemMark // the root List's items, when it has an items sequence
	hasItems bool
}

// convertYAML converts one document, whose first line is line firstLine of
// its file, with the fast path. It returns errBail when the document needs
// the reference decoder. With cut, the items of a root List are left as
// YAML chunks in items (for convertItem) and the JSON holds [] in their
// place.
func convertYAML(src []byte, firstLine int, cut bool) (convertedDoc, error) {
	return convertYAMLMarked(src, firstLine, cut, nil)
}

// convertYAMLMarked is convertYAML recording the line of each key in marks
// when marks is not nil.
func convertYAMLMarked(src []byte, firstLine int, cut bool, marks *[]lineMark) (convertedDoc, error) {
	// With cut, the items' text is checked when each is converted; the
	// rest is checked below, once the items are known.
	if !cut && !checkText(src) {
		return convertedDoc{}, errBail
	}
	size := len(src)/8*7 + 64
	if cut {
		size = min(size, 4096)
	}
	c := &yamlConv{src: src, base: firstLine - 1, out: make([]byte, 0, size), cut: cut, marks: marks}
	c.setLine(0)
	c.line = 1
	col, err := c.toContent()
	if err != nil {
		return convertedDoc{}, err
	}
	if col < 0 {
		return convertedDoc{}, nil
	}
	doc := convertedDoc{line: c.base + c.line}
	if err := c.node(-1); err != nil {
		return convertedDoc{}, err
	}
	if col, err := c.toContent(); err != nil || col >= 0 {
		return convertedDoc{}, errBail // content after the root node
	}
	if cut && (!checkText(src[:c.itemsStart]) || !checkText(src[c.itemsEnd:])) {
		return convertedDoc{}, errBail
	}
	doc.json, doc.members, doc.items, doc.hasItems = c.out, c.rootMembers, c.items, c.hasItems
	return doc, nil
}

// itemBuffers are one worker's buffers for convertItem, reused from item
// to item: decoded objects never point into them.
type itemBuffers struct {
	out, scratch []byte
}

// convertItem converts one List item cut by convertYAML: YAML text whose
// first line holds the item's "-" at column col and is line line of its
// file. The JSON it returns lives in buf until the next call.
func convertItem(chunk []byte, line, col int, buf *itemBuffers) ([]byte, error) {
	return convertItemMarked(chunk, line, col, buf, nil)
}

// convertItemMarked is convertItem recording the line of each key in marks
// when marks is not nil.
func convertItemMarked(chunk []byte, line, col int, buf *itemBuffers, marks *[]lineMark) ([]byte, error) {
	if !checkText(chunk) {
		return nil, errBail
	}
	c := &yamlConv{src: chunk, base: line - 1, out: buf.out[:0], scratch: buf.scratch, marks: marks}
	c.setLine(0)
	c.line = 1
	c.i = c.ls + col
	if c.i >= c.le || !c.isSeqEntry() {
		return nil, errBail
	}
	// Depth 1 is the List itself: the item is no root.
	c.depth = 1
	err := c.entry(col)
	buf.out, buf.scratch = c.out, c.scratch
	if err != nil {
		return nil, err
	}
	if next, err := c.toContent(); err != nil || next >= 0 {
		return nil, errBail
	}
	return c.out, nil
}
