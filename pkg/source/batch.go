package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// A load runs in three stages. Parsing walks each file once, in order,
// cutting it into units: one per document, or one per item of a List. A
// document is turned into JSON on the way, but a List's items are only cut
// apart. Decoding, on every core, turns units into typed objects, first
// converting List items from YAML. Applying adds the objects to the
// snapshot in input order and reports the first error in input order, so
// the result does not depend on the number of workers.

// unit is one object to decode.
type unit struct {
	json []byte
	// yaml is a List item still in YAML, its "-" at column col.
	yaml []byte
	col  int
	line int
	item int // 0-based index within its List; -1 for a whole document
	// listKind and listAPIVersion are set for items of a typed list
	// (PodList...), whose items may lack apiVersion and kind.
	listKind, listAPIVersion string
}

// group is one document of one file and its units.
type group struct {
	file     string
	doc      int
	line     int
	first, n int    // its units in batch.units
	yamlBody []byte // the YAML, to re-read it with the reference decoder
	yamlLine int    // absolute line of yamlBody's first line
	err      error  // the document cannot be read: an *InputError
}

// decodedObject is one typed object ready for the snapshot, or a skipped
// kind.
type decodedObject struct {
	obj              any
	apiVersion, kind string
	line             int
	// writtenAs is the removed API version the input wrote the object in,
	// when it was converted to the current one.
	writtenAs string
}

// decodeResult is what decoding one unit gives.
type decodeResult struct {
	objects []decodedObject
	err     error // an error about this unit's content (wrapped later)
	// redo means the fast path's cut of this item was wrong: the whole
	// document goes to the reference decoder.
	redo bool
}

// batch gathers units of many files and decodes them together.
type batch struct {
	defaultNS string
	groups    []group
	units     []unit
	results   []decodeResult
	failed    bool // a group has an error: later input is not read
	// file is how the file being parsed is read.
	file fileOptions
	// notObjects counts documents, in files of a directory, that parse
	// but are no Kubernetes object (see reject); fileRejected is set once
	// the file being parsed has one.
	notObjects   int
	fileRejected bool
	// skipped are the files of directories that held no object; logs the
	// container logs found in log sections of streams.
	skipped []snapshot.SkippedFile
	logs    []snapshot.ContainerLog
	// aliasRoom is what YAML aliases may still add to the load, in bytes;
	// shared with the batches made for trials and redos.
	aliasRoom *atomic.Int64
	// captured is the version of each object added so far that came
	// from a cluster (it has a UID and a resourceVersion).
	captured map[snapshot.ObjectRef]objectVersion
}

// fileOptions say how one file is read.
type fileOptions struct {
	// inDirectory is set for files found in a directory: one that parses
	// but holds no Kubernetes object is skipped rather than an error.
	inDirectory bool
	// hint is the kind a capture's layout gives items that name none.
	hint kindHint
}

func newBatch(defaultNS string) *batch {
	b := &batch{defaultNS: defaultNS, aliasRoom: new(atomic.Int64), captured: map[snapshot.ObjectRef]objectVersion{}}
	b.aliasRoom.Store(maxAliasExpansion)
	return b
}

// sub returns an empty batch that reads like b, for a trial or a redo.
func (b *batch) sub() *batch {
	return &batch{defaultNS: b.defaultNS, file: b.file, fileRejected: b.fileRejected, aliasRoom: b.aliasRoom, captured: b.captured}
}

// addFile parses one file's content into groups.
func (b *batch) addFile(name string, data []byte, opts fileOptions) {
	data = normalizeLineBreaks(normalizeEncoding(data))
	b.file, b.fileRejected = opts, false
	groups, units, notObjects := len(b.groups), len(b.units), b.notObjects
	if !looksLikeJSON(data) || !b.addJSON(name, data) {
		b.addYAML(name, data)
	}
	if b.notObjects == notObjects || b.failed {
		return
	}
	// A file of a directory with documents that are no objects: skipped
	// when that is all it holds, an error (the first such document) when
	// it holds objects too.
	if len(b.units) > units {
		b.failed = true
		return
	}
	for _, g := range b.groups[groups:] {
		var no *notObjectError
		if g.err != nil && errors.As(g.err, &no) {
			b.skipped = append(b.skipped, snapshot.SkippedFile{Path: name, Reason: "no Kubernetes object: " + no.what})
			break
		}
	}
	b.groups = b.groups[:groups]
}

// notObjectError is a document that parses but is no Kubernetes object: a
// scalar, a sequence, a mapping without apiVersion and kind.
type notObjectError struct{ what string }

func (e *notObjectError) Error() string { return "not a Kubernetes object: " + e.what }

// reject records a document that is no Kubernetes object. In a file named
// directly that is an error; in a file of a directory reading goes on, and
// addFile decides once the file is read. It reports whether reading goes
// on.
func (b *batch) reject(g group, err *notObjectError) bool {
	if !b.file.inDirectory {
		b.fail(g, err)
		return false
	}
	b.notObjects++
	if !b.fileRejected {
		// Only the first such document matters: its error is the file's
		// if the file holds objects too, its reason if it holds none.
		b.fileRejected = true
		g.err, g.first, g.n = &InputError{File: g.file, Document: g.doc, Line: g.line, Err: err}, len(b.units), 0
		b.groups = append(b.groups, g)
	}
	return true
}

// addJSON reads a stream of JSON values. It returns false, having added
// nothing, when the first value is not JSON, so that the caller can try
// YAML (a flow-style YAML document also starts with "{").
func (b *batch) addJSON(name string, data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	var sections []logSection
	values, err := jsonStream(data, &sections)
	if err != nil && len(values) == 0 {
		// Use the JSON error only if YAML cannot read it either.
		trial := b.sub()
		trial.addYAML(name, data)
		if !trial.failed {
			b.merge(trial)
			return true
		}
		var je *jsonError
		errors.As(err, &je)
		b.fail(group{file: name, doc: 1, line: lineAt(data, je.Offset)}, err)
		return true
	}
	for _, sec := range sections {
		b.logs = append(b.logs, sec.log(data))
	}
	line, pos := 1, 0
	for k, v := range values {
		line += countLines(data[pos:v.start])
		pos = v.start
		g := group{file: name, doc: k + 1, line: line}
		var ok bool
		switch {
		case v.isObj:
			ok = b.addObject(g, data[v.start:v.end], v.members, v.start, nil, false, true)
		case data[v.start] == '[':
			ok = b.addArray(g, data, v.span)
		case string(data[v.start:v.end]) == "null":
			// An empty document, as null is in YAML (a support bundle
			// writes it for a list of no errors).
			ok = true
		default:
			ok = b.reject(g, notObject(data[v.start:v.end]))
		}
		if !ok {
			return true
		}
	}
	if err != nil {
		var je *jsonError
		errors.As(err, &je)
		b.fail(group{file: name, doc: len(values) + 1, line: lineAt(data, je.Offset)}, err)
	}
	return true
}

// addArray reads a JSON array of objects, as sonobuoy writes them and `jq
// .items` prints them: each element is an object of its own, like the
// items of a List. An array of anything else is no Kubernetes object.
func (b *batch) addArray(g group, data []byte, arr span) bool {
	var elems []span
	s := &jsonScanner{data: data}
	if _, err := s.array(arr.start, 1, &elems); err != nil {
		b.fail(g, fmt.Errorf("internal: array: %w", err))
		return false
	}
	if len(elems) == 0 {
		return true // an empty list of objects
	}
	for _, e := range elems {
		if data[e.start] != '{' {
			return b.reject(g, &notObjectError{what: "the document is a list of values, not of objects with apiVersion and kind"})
		}
	}
	if b.file.hint.kind == "" {
		// Without a kind from the layout, the elements must name theirs.
		var members []member
		if _, err := s.object(elems[0].start, 1, &members); err == nil {
			if meta, err := peekMeta(data[elems[0].start:], rebase(members, elems[0].start)); err == nil && meta.kind == "" && meta.apiVersion == "" {
				return b.reject(g, &notObjectError{what: "the document is a list of objects without apiVersion and kind"})
			}
		}
	}
	listKind, listAV := b.file.hint.list()
	g.first = len(b.units)
	line, pos := g.line, arr.start
	for i, e := range elems {
		line += countLines(data[pos:e.start])
		pos = e.start
		b.units = append(b.units, unit{json: data[e.start:e.end], line: line, item: i, listKind: listKind, listAPIVersion: listAV})
	}
	g.n = len(b.units) - g.first
	b.groups = append(b.groups, g)
	return true
}

// rebase makes members' spans relative to an object starting at base.
func rebase(members []member, base int) []member {
	if base == 0 {
		return members
	}
	rel := make([]member, len(members))
	for i, m := range members {
		rel[i] = member{key: m.key, start: m.start - base, end: m.end - base}
	}
	return rel
}

// addYAML reads a YAML stream.
func (b *batch) addYAML(name string, data []byte) {
	for d := range splitYAML(data) {
		if b.failed {
			return
		}
		g := group{file: name, doc: d.num, line: d.line, yamlBody: d.body, yamlLine: d.line}
		if !d.whole {
			if looksLikeJSON(d.body) && b.addJSONDocument(g, d.body) {
				continue
			}
			conv, err := convertYAML(d.body, d.line, true)
			if err == nil && conv.hasItems {
				// Items were cut out for a List; anything else with an
				// items key is converted whole.
				if meta, merr := peekMeta(conv.json, conv.members); merr != nil || !b.listLike(meta) {
					conv, err = convertYAML(d.body, d.line, false)
				}
			}
			if err == nil {
				if len(conv.json) == 0 {
					continue // an empty document
				}
				g.line = conv.line
				switch conv.json[0] {
				case '{':
					b.addObject(g, conv.json, conv.members, 0, conv.items, conv.hasItems, false)
					continue
				case '[':
					b.reject(g, &notObjectError{what: "the document is a YAML sequence, not a mapping with apiVersion and kind"})
					continue
				}
				// A scalar: the reference decoder tells null from an error.
			}
		}
		b.addReference(g)
	}
}

// listLike reports whether an object's items are objects of their own: it
// is a List, or it names no kind and the layout gives its items one.
func (b *batch) listLike(meta objectMeta) bool {
	return isList(meta.kind) || (meta.kind == "" && meta.apiVersion == "" && b.file.hint.kind != "")
}

// addJSONDocument reads a YAML document that is one JSON object, if it is.
func (b *batch) addJSONDocument(g group, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	values, err := jsonStream(body, nil)
	if err != nil || len(values) != 1 || !values[0].isObj {
		return false
	}
	v := values[0]
	g.line += countLines(body[:v.start])
	g.yamlBody = nil // errors are placed by counting JSON lines
	b.addObject(g, body[v.start:v.end], v.members, v.start, nil, false, true)
	return true
}

// addReference reads a document with the reference decoder
// (sigs.k8s.io/yaml), for YAML the fast path does not handle.
func (b *batch) addReference(g group) {
	js, err := referenceYAMLToJSON(g.yamlBody, b.aliasRoom)
	if err != nil {
		line, err := yamlError(err, g.yamlLine)
		if line > 0 {
			g.line = line
		}
		b.fail(g, err)
		return
	}
	if g.line == g.yamlLine {
		g.line = firstContentLine(g.yamlBody, g.yamlLine)
	}
	s := &jsonScanner{data: js}
	i := s.skipSpace(0)
	if i >= len(js) || string(js[i:]) == "null" {
		return
	}
	if js[i] != '{' {
		b.reject(g, notObject(js))
		return
	}
	var members []member
	if _, err := s.object(i, 1, &members); err != nil {
		b.fail(g, fmt.Errorf("internal: reference decoder gave invalid JSON: %w", err))
		return
	}
	g.yamlBody = nil // already the reference result: never redone
	b.addObject(g, js, members, 0, nil, false, false)
}

// addObject adds the units of one top-level object: itself, or its items
// when it is a List. members are its top-level members, with spans
// relative to base. items are the List items the fast YAML path cut out
// (hasItems says it did). With jsonInput, obj is the input itself, so each
// item's line is found by counting lines.
func (b *batch) addObject(g group, obj []byte, members []member, base int, items []itemMark, hasItems, jsonInput bool) bool {
	// Members' spans are relative to the whole input.
	members = rebase(members, base)
	meta, err := peekMeta(obj, members)
	slow := err != nil
	var rawItems []json.RawMessage
	if slow {
		var tm typeMeta
		if err := json.Unmarshal(obj, &tm); err != nil {
			b.fail(g, fmt.Errorf("not a Kubernetes object: %w", err))
			return false
		}
		meta = objectMeta{apiVersion: tm.APIVersion, kind: tm.Kind, hasItems: tm.Items != nil}
		rawItems = tm.Items
	}
	listKind, listAV := meta.kind, meta.apiVersion
	switch {
	case meta.kind == "" && meta.apiVersion == "" && meta.hasItems && b.file.hint.kind != "":
		// A typed list written without its TypeMeta, as a support bundle
		// holds them: the layout names the kind.
		listKind, listAV = b.file.hint.list()
	case meta.kind == "" && meta.apiVersion == "" && !meta.hasItems && b.file.hint.kind != "":
		// One object written without its TypeMeta, as an Insights archive
		// holds them (config/pod/NS/NAME.json): the layout names the kind.
		listKind, listAV = b.file.hint.list()
		g.first, g.n = len(b.units), 1
		b.units = append(b.units, unit{json: obj, line: g.line, item: -1, listKind: listKind, listAPIVersion: listAV})
		b.groups = append(b.groups, g)
		return true
	case meta.kind == "" && meta.apiVersion == "" && (!meta.hasItems || b.file.inDirectory):
		return b.reject(g, &notObjectError{what: "no apiVersion and kind"})
	case meta.kind == "":
		b.fail(g, fmt.Errorf("object has no kind (apiVersion %q)", meta.apiVersion))
		return false
	case !isList(meta.kind):
		if meta.apiVersion == "" {
			b.fail(g, fmt.Errorf("%s has no apiVersion", meta.kind))
			return false
		}
		g.first, g.n = len(b.units), 1
		b.units = append(b.units, unit{json: obj, line: g.line, item: -1})
		b.groups = append(b.groups, g)
		return true
	}
	if listKind == "List" && b.file.hint.kind != "" {
		listKind, listAV = b.file.hint.list()
	}
	g.first = len(b.units)
	add := func(u unit) {
		u.listKind, u.listAPIVersion = listKind, listAV
		u.item = len(b.units) - g.first
		b.units = append(b.units, u)
	}
	switch {
	case slow:
		for _, it := range rawItems {
			add(unit{json: it, line: g.line})
		}
	case hasItems:
		for _, it := range items {
			add(unit{yaml: it.chunk, col: it.col, line: it.line})
		}
	case meta.hasItems:
		v := meta.items
		if string(v) == "null" {
			break
		}
		if len(v) == 0 || v[0] != '[' {
			var tm typeMeta
			err := json.Unmarshal(obj, &tm)
			if err == nil {
				err = errors.New("items is not a list")
			}
			b.fail(g, fmt.Errorf("not a Kubernetes object: %w", err))
			return false
		}
		var spans []span
		s := &jsonScanner{data: v}
		if _, err := s.array(0, 1, &spans); err != nil {
			b.fail(g, fmt.Errorf("internal: items: %w", err))
			return false
		}
		line, pos := g.line, 0
		if jsonInput {
			line += countLines(obj[:meta.itemsStart])
		}
		for _, sp := range spans {
			if jsonInput {
				// Each item's line from its own "{".
				line += countLines(v[pos:sp.start])
				pos = sp.start
			}
			add(unit{json: v[sp.start:sp.end], line: line})
		}
	}
	g.n = len(b.units) - g.first
	b.groups = append(b.groups, g)
	return true
}

// fail records that a document cannot be read; nothing after it is read.
func (b *batch) fail(g group, err error) {
	var ie *InputError
	if !errors.As(err, &ie) {
		err = &InputError{File: g.file, Document: g.doc, Line: g.line, Err: err}
	}
	g.err, g.first, g.n = err, len(b.units), 0
	b.groups = append(b.groups, g)
	b.failed = true
}

// merge appends another batch's groups and units.
func (b *batch) merge(o *batch) {
	off := len(b.units)
	for _, g := range o.groups {
		g.first += off
		b.groups = append(b.groups, g)
	}
	b.units = append(b.units, o.units...)
	b.failed = b.failed || o.failed
	b.notObjects += o.notObjects
	b.fileRejected = b.fileRejected || o.fileRejected
	b.logs = append(b.logs, o.logs...)
}

// decode decodes every unit on workers goroutines.
func (b *batch) decode(workers int) {
	b.results = make([]decodeResult, len(b.units))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const step = 16
	workers = min(workers, (len(b.units)+step-1)/step)
	if workers <= 1 {
		var buf itemBuffers
		for i := range b.units {
			b.results[i] = b.decodeUnit(&b.units[i], &buf)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf itemBuffers
			for {
				start := int(next.Add(step)) - step
				if start >= len(b.units) {
					return
				}
				for i := start; i < min(start+step, len(b.units)); i++ {
					b.results[i] = b.decodeUnit(&b.units[i], &buf)
					if b.results[i].err == nil {
						// The JSON is no longer needed; let it go early.
						b.units[i].json = nil
					}
				}
			}
		}()
	}
	wg.Wait()
}

// apply adds the decoded objects to s in input order and returns the
// first error in input order.
func (b *batch) apply(s *snapshot.Snapshot) error {
	for gi := range b.groups {
		g := &b.groups[gi]
		if g.err != nil {
			return g.err
		}
		results := b.results[g.first : g.first+g.n]
		redo := false
		for _, r := range results {
			redo = redo || r.redo
		}
		if redo {
			// Only this group is read again; the groups after it (later
			// documents and files) still follow.
			if err := b.redo(s, g); err != nil {
				return err
			}
			continue
		}
		for i, r := range results {
			if err := b.addResult(s, g, &b.units[g.first+i], r); err != nil {
				return err
			}
		}
	}
	return nil
}

// redo reads a document again with the reference decoder, for the rare
// item the fast path cut wrongly.
func (b *batch) redo(s *snapshot.Snapshot, g *group) error {
	one := b.sub()
	rg := *g
	rg.err, rg.line = nil, rg.yamlLine
	one.addReference(rg)
	one.decode(1)
	return one.apply(s)
}

// objectVersion identifies one version of an object in a cluster.
type objectVersion struct {
	uid             types.UID
	resourceVersion string
}

func (b *batch) addResult(s *snapshot.Snapshot, g *group, u *unit, r decodeResult) error {
	if r.err != nil {
		err, line := r.err, u.line
		var fe *fieldError
		if errors.As(err, &fe) {
			err = fe.err
			if l := fieldLine(g, u, fe.offset); l > 0 {
				line = l
			}
		}
		if u.item >= 0 {
			err = fmt.Errorf("item %d: %w", u.item, err)
		}
		return &InputError{File: g.file, Document: g.doc, Line: line, Err: err}
	}
	for _, o := range r.objects {
		if o.obj == nil {
			s.Skip(o.apiVersion, o.kind)
			continue
		}
		if m, ok := o.obj.(metav1.Object); ok && m.GetUID() != "" && m.GetResourceVersion() != "" {
			// The same version of the same object read twice is one
			// object, not a duplicate definition: a must-gather holds
			// each pod in its namespace's pods.yaml and in a file of its
			// own.
			ref, v := snapshot.Ref(o.kind, m), objectVersion{m.GetUID(), m.GetResourceVersion()}
			if b.captured[ref] == v {
				continue
			}
			b.captured[ref] = v
		}
		origin := snapshot.Origin{File: g.file, Document: g.doc, Line: o.line, APIVersion: o.writtenAs}
		if err := s.Add(o.obj, origin); err != nil {
			return &InputError{File: g.file, Document: g.doc, Line: o.line, Err: err}
		}
	}
	return nil
}

// decodeUnit turns one unit into typed objects.
func (b *batch) decodeUnit(u *unit, buf *itemBuffers) decodeResult {
	js := u.json
	if u.yaml != nil {
		var err error
		if js, err = convertItem(u.yaml, u.line, u.col, buf); err != nil {
			var ok bool
			if js, ok = referenceItem(u.yaml, b.aliasRoom); !ok {
				return decodeResult{redo: true}
			}
		}
	}
	var out []decodedObject
	if err := decodeObject(js, u.line, u.listKind, u.listAPIVersion, b.defaultNS, &out, 0); err != nil {
		return decodeResult{err: err}
	}
	return decodeResult{objects: out}
}

// referenceItem converts one List item the fast path declined, given as
// YAML text starting with its "- ", with the reference decoder.
func referenceItem(chunk []byte, aliasRoom *atomic.Int64) ([]byte, bool) {
	js, err := referenceYAMLToJSON(chunk, aliasRoom)
	if err != nil {
		return nil, false
	}
	var spans []span
	s := &jsonScanner{data: js}
	i := s.skipSpace(0)
	if i >= len(js) || js[i] != '[' {
		return nil, false
	}
	if _, err := s.array(i, 1, &spans); err != nil || len(spans) != 1 {
		return nil, false
	}
	return js[spans[0].start:spans[0].end], true
}

// maxListNesting bounds Lists inside Lists.
const maxListNesting = 100

// decodeObject decodes one JSON object into out: a typed object, a skipped
// kind, or for a List inside a List, its items.
func decodeObject(js []byte, line int, listKind, listAPIVersion, defaultNS string, out *[]decodedObject, depth int) error {
	av, kind, ok := quickMeta(js)
	var items []json.RawMessage
	full := !ok
	for attempt := 0; ; attempt++ {
		if full {
			var tm typeMeta
			if err := json.Unmarshal(js, &tm); err != nil {
				return fmt.Errorf("not a Kubernetes object: %w", err)
			}
			av, kind, items = tm.APIVersion, tm.Kind, tm.Items
		}
		// Items of a typed list, as `kubectl cluster-info dump` prints
		// them, carry no apiVersion and kind: the list names them.
		wantAV, wantKind := av, kind
		if av == "" && kind == "" && listKind != "List" && isList(listKind) {
			av, kind = listAPIVersion, strings.TrimSuffix(listKind, "List")
			if kind == snapshot.KindIngress && av == "networking.k8s.io/v1" && bytes.Contains(js, []byte(`"serviceName"`)) {
				// An Ingress of a support bundle from a cluster older
				// than 1.19, which served only the v1beta1 shape.
				av = "extensions/v1beta1"
			}
		}
		if !full && (kind == "" || isList(kind)) {
			full = true
			continue
		}
		switch {
		case kind == "" && av == "" && items == nil:
			return errors.New("not a Kubernetes object: no apiVersion and kind")
		case kind == "":
			return fmt.Errorf("object has no kind (apiVersion %q)", av)
		case isList(kind):
			if depth >= maxListNesting {
				return errors.New("lists nested too deeply")
			}
			for i, it := range items {
				if err := decodeObject(it, line, kind, av, defaultNS, out, depth+1); err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
			return nil
		case av == "":
			return fmt.Errorf("%s has no apiVersion", kind)
		}
		removed, isRemoved := snapshot.RemovedAPIOf(av, kind)
		if newObject(av, kind) == nil {
			if !full {
				// Make sure encoding/json reads the same kind before
				// skipping or converting: it also accepts keys in other
				// cases.
				full = true
				continue
			}
			if !isRemoved {
				*out = append(*out, decodedObject{apiVersion: av, kind: kind, line: line})
				return nil
			}
		}
		var obj any
		var err error
		if isRemoved {
			obj, err = decodeRemoved(js, removed)
		} else {
			obj, err = decodeTyped(js, av, kind)
		}
		if err != nil {
			err = fmt.Errorf("decode %s %s%s: %w", av, kind, nameOf(js), err)
			var te *json.UnmarshalTypeError
			if depth == 0 && errors.As(err, &te) {
				err = &fieldError{offset: int(te.Offset), err: err}
			}
			return err
		}
		if gotAV, gotKind := typeOf(obj); (gotAV != wantAV || gotKind != wantKind) && !full && attempt == 0 {
			full = true
			continue
		}
		if wantKind == "" && !isRemoved {
			setTypeMeta(obj, av, kind)
		}
		obj, err = normalize(obj, kind, defaultNS)
		if err != nil {
			return err
		}
		d := decodedObject{obj: obj, apiVersion: av, kind: kind, line: line}
		if isRemoved {
			d.apiVersion = removed.Current
			if wantAV != "" {
				// Only a version the input wrote is recorded, not one a
				// list or a capture's layout implied.
				d.writtenAs = av
			}
		}
		*out = append(*out, d)
		return nil
	}
}

// decodeTyped decodes js into a new object of its kind with the fast
// decoder; when that fails it asks encoding/json, whose verdict and
// message are the reference.
func decodeTyped(js []byte, apiVersion, kind string) (any, error) {
	obj := newObject(apiVersion, kind)
	if err := fastJSON.Unmarshal(js, obj); err == nil {
		return obj, nil
	}
	obj = newObject(apiVersion, kind)
	return obj, json.Unmarshal(js, obj)
}

type objectKind interface {
	GetObjectKind() schema.ObjectKind
}

func typeOf(obj any) (apiVersion, kind string) {
	if ok, is := obj.(objectKind); is {
		return ok.GetObjectKind().GroupVersionKind().ToAPIVersionAndKind()
	}
	return "", ""
}

func setTypeMeta(obj any, apiVersion, kind string) {
	if ok, is := obj.(objectKind); is {
		ok.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	}
}

// nameOf names the object in an error message, when its metadata can be
// read.
func nameOf(js []byte) string {
	var m struct {
		Metadata struct{ Name, Namespace string }
	}
	if json.Unmarshal(js, &m) != nil || m.Metadata.Name == "" {
		return ""
	}
	if m.Metadata.Namespace == "" {
		return " " + m.Metadata.Name
	}
	return " " + m.Metadata.Namespace + "/" + m.Metadata.Name
}

func notObject(js []byte) *notObjectError {
	what := "a scalar"
	s := &jsonScanner{data: js}
	if i := s.skipSpace(0); i < len(js) && js[i] == '[' {
		what = "a list"
	}
	return &notObjectError{what: "the document is " + what + ", not a mapping with apiVersion and kind"}
}

func countLines(b []byte) int { return bytes.Count(b, []byte{'\n'}) }

// yamlLineRe finds the line numbers in the reference decoder's messages,
// which count from the start of the text it was given.
var yamlLineRe = regexp.MustCompile(`\bline (\d+)`)

// yamlError rewrites the reference decoder's error for a document starting
// at absolute line first: line numbers become the file's, and the first
// one is returned.
func yamlError(err error, first int) (int, error) {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	line := 0
	msg = yamlLineRe.ReplaceAllStringFunc(msg, func(m string) string {
		n, convErr := strconv.Atoi(m[len("line "):])
		if convErr != nil {
			return m
		}
		abs := first + n - 1
		if line == 0 {
			line = abs
		}
		return "line " + strconv.Itoa(abs)
	})
	msg = strings.TrimPrefix(msg, "yaml: ")
	// The line is reported beside the file; do not repeat it, and put a
	// list of errors on one line.
	var parts []string
	for _, p := range strings.Split(msg, "\n") {
		p = strings.TrimSpace(p)
		if p == "" || p == "unmarshal errors:" {
			continue
		}
		parts = append(parts, strings.TrimPrefix(p, "line "+strconv.Itoa(line)+": "))
	}
	return line, errors.New(strings.Join(parts, "; "))
}

// firstContentLine is the absolute line of the first line of body that is
// not blank or a comment; first when there is none.
func firstContentLine(body []byte, first int) int {
	if n, ok := contentLineIndex(body); ok {
		return first + n
	}
	return first
}

// fieldError is a decoding error at an offset of the unit's JSON.
type fieldError struct {
	offset int
	err    error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// fieldLine finds the input line of an offset of a unit's JSON: for JSON
// input by counting lines, for YAML by converting the YAML again while
// recording where each key came from.
func fieldLine(g *group, u *unit, offset int) int {
	var marks []lineMark
	switch {
	case u.yaml != nil:
		var buf itemBuffers
		if _, err := convertItemMarked(u.yaml, u.line, u.col, &buf, &marks); err != nil {
			return 0
		}
	case g.yamlBody != nil && u.item < 0:
		if _, err := convertYAMLMarked(g.yamlBody, g.yamlLine, false, &marks); err != nil {
			return 0
		}
	case u.json != nil && g.yamlBody == nil:
		return u.line + countLines(u.json[:min(offset, len(u.json))])
	default:
		return 0
	}
	return lineOfOffset(marks, offset)
}
