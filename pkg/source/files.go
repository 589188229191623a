// Package source builds snapshots: from files (manifests, `kubectl get -o
// yaml` dumps, `kubectl cluster-info dump` directories, stdin) and from a live
// cluster.
package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// InputError is a problem with the user's input. The CLI maps it to exit
// code 2. It names the file, and the document and line when known.
type InputError struct {
	File     string
	Document int // 1-based; 0 when the problem is with the file as a whole
	Line     int // 1-based; 0 when unknown
	Err      error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Document > 0 {
		fmt.Fprintf(&b, " (document %d", e.Document)
		if e.Line > 0 {
			fmt.Fprintf(&b, ", line %d", e.Line)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// Files loads manifests and dumps from disk or stdin.
type Files struct {
	// Paths are files or directories; "-" reads Stdin.
	Paths []string
	Stdin io.Reader
	// DefaultNamespace is given to namespaced objects that have none, as
	// `kubectl apply -n` would; "default" when empty.
	DefaultNamespace string
}

// Load reads every path into one indexed snapshot.
func (f Files) Load() (*snapshot.Snapshot, error) {
	s := snapshot.New()
	if len(f.Paths) == 0 {
		return nil, &InputError{File: "-f", Err: errors.New("no input files given")}
	}
	for _, p := range f.Paths {
		if p == "-" {
			if f.Stdin == nil {
				return nil, &InputError{File: "<stdin>", Err: errors.New("no standard input")}
			}
			data, err := io.ReadAll(f.Stdin)
			if err != nil {
				return nil, &InputError{File: "<stdin>", Err: err}
			}
			if err := DecodeBytes(s, "<stdin>", data, f.DefaultNamespace); err != nil {
				return nil, err
			}
			continue
		}
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, &InputError{File: file, Err: err}
			}
			if err := DecodeBytes(s, file, data, f.DefaultNamespace); err != nil {
				return nil, err
			}
		}
	}
	s.Index()
	return s, nil
}

// expand turns a path into the list of files to read: the file itself, or
// every .yaml/.yml/.json file below a directory, in lexical order.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &InputError{File: p, Err: err}
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, &InputError{File: p, Err: err}
	}
	sort.Strings(out)
	return out, nil
}

// DecodeBytes decodes every document of one file's content into s. name is
// used in errors and origins.
func DecodeBytes(s *snapshot.Snapshot, name string, data []byte, defaultNS string) error {
	docs := splitDocuments(data)
	for i, d := range docs {
		if len(bytes.TrimSpace(stripComments(d.body))) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(d.body)
		if err != nil {
			return &InputError{File: name, Document: i + 1, Line: d.line, Err: err}
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		origin := snapshot.Origin{File: name, Document: i + 1, Line: d.line}
		if err := addJSON(s, js, origin, defaultNS); err != nil {
			return &InputError{File: name, Document: i + 1, Line: d.line, Err: err}
		}
	}
	return nil
}

type document struct {
	body []byte
	line int // 1-based line of the document's first line
}

// splitDocuments cuts a YAML stream at "---" separator lines, remembering the
// line each document starts on.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for pos := 0; pos <= len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		var l []byte
		next := len(data) + 1
		if end < 0 {
			l = data[pos:]
		} else {
			l = data[pos : pos+end]
			next = pos + end + 1
		}
		if isSeparator(l) {
			docs = append(docs, document{body: data[start:pos], line: startLine})
			start, startLine = min(next, len(data)), line+1
		}
		pos = next
		line++
	}
	docs = append(docs, document{body: data[start:], line: startLine})
	return docs
}

func isSeparator(l []byte) bool {
	l = bytes.TrimRight(l, " \t\r")
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := l[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '#'
}

func stripComments(d []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(d, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		out = append(out, t...)
		out = append(out, '\n')
	}
	return out
}
