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
// the reference decoder.
func convertYAML(src []byte, firstLine int) (convertedDoc, error) {
	if !checkText(src) {
		return convertedDoc{}, errBail
	}
	c := &yamlConv{src: src, base: firstLine - 1, out: make([]byte, 0, len(src)/8*7+64)}
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
	doc.json, doc.members, doc.items, doc.hasItems = c.out, c.rootMembers, c.items, c.hasItems
	return doc, nil
}
