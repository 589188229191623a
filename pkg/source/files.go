// Package source builds snapshots: from files (manifests, `kubectl get -o
// yaml` dumps, `kubectl cluster-info dump` directories, stdin) and from a live
// cluster.
//
// The file source reads multi-document YAML, JSON (one object, a List, or a
// stream of objects as `kubectl cluster-info dump` prints them, log sections
// included), `kind: List` and typed lists whose items lack apiVersion and
// kind. Objects are decoded into the k8s.io/api types; Secrets keep only
// their metadata; kinds hopscope does not model are skipped and counted.
// Malformed input is an *InputError naming the file, document and line.
//
// Decoding means what sigs.k8s.io/yaml and encoding/json mean (YAML 1.1
// scalars; a duplicate key is an error in YAML, the last one wins in JSON
// as in encoding/json), but a large dump is read about 8 times faster than
// through them: List items are cut apart and decoded on every core, through
// a fast YAML-to-JSON path for the YAML kubectl writes, falling back to
// sigs.k8s.io/yaml for anything else. BENCHMARKS.md has the numbers.
//
//	s, err := source.Files{Paths: []string{"dump.yaml"}}.Load()
package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

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
	// Workers is how many goroutines decode objects; GOMAXPROCS when 0.
	// The result is the same for any value.
	Workers int
}

// Load reads every path into one indexed snapshot. Objects keep input
// order: files in the order given (a directory's files in lexical order),
// documents and List items in file order.
func (f Files) Load() (*snapshot.Snapshot, error) {
	if len(f.Paths) == 0 {
		return nil, &InputError{File: "-f", Err: errors.New("no input files given")}
	}
	b := &batch{defaultNS: f.DefaultNamespace}
	for _, p := range f.Paths {
		if b.failed {
			break
		}
		if p == "-" {
			if f.Stdin == nil {
				return nil, &InputError{File: "<stdin>", Err: errors.New("no standard input")}
			}
			data, err := io.ReadAll(f.Stdin)
			if err != nil {
				return nil, &InputError{File: "<stdin>", Err: fmt.Errorf("read: %w", err)}
			}
			b.addFile("<stdin>", data)
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
			b.addFile(file, data)
			if b.failed {
				break
			}
		}
	}
	b.decode(f.Workers)
	s := snapshot.New()
	if err := b.apply(s); err != nil {
		return nil, err
	}
	s.Index()
	return s, nil
}

// expand turns a path into the list of files to read: the file itself, or
// every .yaml/.yml/.json file below a directory, in lexical order. Other
// files in a directory (the logs of a `kubectl cluster-info dump`
// directory, READMEs) are not read.
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
	if len(out) == 0 {
		// A CI gate pointed at a renamed or mistyped folder must fail, not
		// pass green on nothing.
		return nil, &InputError{File: p, Err: errors.New("no .yaml, .yml or .json files in this directory")}
	}
	sort.Strings(out)
	return out, nil
}

// DecodeBytes decodes every document of one file's content into s, in
// order. name is used in errors and origins. s is not indexed.
func DecodeBytes(s *snapshot.Snapshot, name string, data []byte, defaultNS string) error {
	b := &batch{defaultNS: defaultNS}
	b.addFile(name, data)
	b.decode(0)
	return b.apply(s)
}
