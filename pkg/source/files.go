// Package source builds snapshots: from files (manifests, `kubectl get -o
// yaml` dumps, captures such as must-gathers, sonobuoy results, support
// bundles and `kubectl cluster-info dump` directories, stdin) and from a
// live cluster.
//
// The file source reads multi-document YAML (LF, CRLF or CR line breaks),
// JSON (one object, a List, an array of objects, or a stream of objects as
// `kubectl cluster-info dump` prints them), `kind: List` and typed lists
// whose items lack apiVersion and kind; in a capture directory the layout
// names the kind of items that name none (layout.go), and container logs
// are recorded in Snapshot.Logs. Objects are decoded into the k8s.io/api
// types, those of removed API versions (extensions/v1beta1...) converted to
// the current ones with the written version kept in their Origin; Secrets
// keep only their metadata; kinds hopscope does not model are skipped and
// counted. Files of a directory that hold no Kubernetes object, and entries
// that are not regular files, are skipped and named in
// Snapshot.SkippedFiles.
//
// Every read is bounded: regular files only, Files.MaxFileBytes per file,
// what YAML aliases may add, nesting depth; object names are held to the
// API server's rules. Malformed or refused input is an *InputError naming
// the file, document and line.
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

// DefaultMaxFileBytes bounds the size of one input file (and of standard
// input). 256 MiB holds a 100,000-pod `kubectl get -A -o yaml` dump (184 MB)
// with room to spare; loading takes about 7 times a file's size in memory,
// so a larger file is more likely a mistake (a log, a disk image, a device)
// than a dump, and is refused before it is read.
const DefaultMaxFileBytes = 256 << 20

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
	// MaxFileBytes bounds each file and standard input;
	// DefaultMaxFileBytes when 0. A larger input is an *InputError whose
	// Err is a *TooLargeError.
	MaxFileBytes int64
}

// TooLargeError is an input larger than Files.MaxFileBytes.
type TooLargeError struct {
	Size  int64 // bytes; at least Limit+1 when the input is a stream
	Limit int64
}

func (e *TooLargeError) Error() string {
	size := "more than " + mib(e.Limit)
	if e.Size > e.Limit+1 {
		size = mib(e.Size)
	}
	return fmt.Sprintf("the input is %s, above the %s read limit (loading takes about 7 times its size in memory); raise the limit with --max-input-size if this is a dump to read", size, mib(e.Limit))
}

// mib formats a size for messages.
func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Load reads every path into one indexed snapshot. Objects keep input
// order: files in the order given (a directory's files in lexical order),
// documents and List items in file order. Files of a directory that hold
// no Kubernetes object, and entries that are not regular files, are
// skipped and named in Snapshot.SkippedFiles; a file named directly must
// hold objects.
func (f Files) Load() (*snapshot.Snapshot, error) {
	if len(f.Paths) == 0 {
		return nil, &InputError{File: "-f", Err: errors.New("no input files given")}
	}
	limit := f.MaxFileBytes
	if limit <= 0 {
		limit = DefaultMaxFileBytes
	}
	b := newBatch(f.DefaultNamespace)
	var found scan
	for _, p := range f.Paths {
		if b.failed {
			break
		}
		if p == "-" {
			if f.Stdin == nil {
				return nil, &InputError{File: "<stdin>", Err: errors.New("no standard input")}
			}
			data, err := readBounded(f.Stdin, 0, limit)
			if err != nil {
				return nil, &InputError{File: "<stdin>", Err: err}
			}
			b.addFile("<stdin>", data, fileOptions{})
			continue
		}
		files, err := found.expand(p)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			data, err := readRegular(file.path, limit)
			if err != nil {
				return nil, &InputError{File: file.path, Err: err}
			}
			b.addFile(file.path, data, file.options)
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
	for _, sk := range append(found.skipped, b.skipped...) {
		s.SkipFile(sk.Path, sk.Reason)
	}
	s.Logs = append(found.logs, b.logs...)
	s.Index()
	return s, nil
}

// inputFile is one file to read and how.
type inputFile struct {
	path    string
	options fileOptions
}

// scan is what expanding directories found besides the files to read:
// entries skipped, and container logs of capture layouts.
type scan struct {
	skipped []snapshot.SkippedFile
	logs    []snapshot.ContainerLog
}

// expand turns a path into the files to read: the file itself, or every
// .yaml/.yml/.json file below a directory, in lexical order. Container log
// files of a capture layout are recorded, not read. Other files in a
// directory (READMEs, other logs) are not read. A path named directly must
// be a regular file or a directory (or a symlink to one); inside a
// directory, entries that are not regular files (devices, named pipes,
// sockets, symlinks to them or to directories, broken symlinks) are
// skipped and recorded.
func (sc *scan) expand(p string) ([]inputFile, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &InputError{File: p, Err: err}
	}
	if !info.IsDir() {
		if err := regular(info); err != nil {
			return nil, &InputError{File: p, Err: err}
		}
		return []inputFile{{path: p}}, nil
	}
	root := p
	if l, err := os.Lstat(p); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not follow a symlink at its root; a trailing
		// separator makes the walk start at the directory it points to
		// while paths still begin with the name the user gave.
		root = p + string(filepath.Separator)
	}
	var out []inputFile
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			switch {
			case err != nil:
				sc.skip(path, "broken symlink: "+err.Error())
				return nil
			case target.IsDir():
				sc.skip(path, "symlink to a directory: not followed")
				return nil
			}
			if regular(target) != nil {
				sc.skip(path, "symlink to "+fileKind(target.Mode()))
				return nil
			}
		} else if !d.Type().IsRegular() {
			sc.skip(path, fileKind(d.Type())+": not read")
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			out = append(out, inputFile{path: path, options: fileOptions{inDirectory: true, hint: layoutKind(path)}})
		default:
			if l, ok := layoutLog(path); ok {
				sc.logs = append(sc.logs, l)
			}
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
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func (sc *scan) skip(path, reason string) {
	sc.skipped = append(sc.skipped, snapshot.SkippedFile{Path: path, Reason: reason})
}

// regular refuses anything but a regular file: reading a device, a named
// pipe or a socket can block forever or never end.
func regular(info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("not a regular file (%s): hopscope reads files, directories and standard input (-)", fileKind(info.Mode()))
}

// fileKind names what a file mode is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "an irregular file"
}

// readRegular reads a regular file of at most limit bytes. The file is
// checked before it is opened (opening a named pipe blocks until a writer
// comes) and again once open, in case it was replaced in between; the read
// itself is bounded, so a file that grows while it is read still ends.
func readRegular(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(info); err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, &TooLargeError{Size: info.Size(), Limit: limit}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(info, opened) {
		return nil, errors.New("the file was replaced while it was opened")
	}
	return readBounded(f, opened.Size(), limit)
}

// readBounded reads r to its end, refusing more than limit bytes. size,
// when known, sizes the buffer at once.
func readBounded(r io.Reader, size, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(max(size, 0), limit)+512)
	lr := io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &TooLargeError{Size: int64(len(buf)), Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
	}
}

// DecodeBytes decodes every document of one file's content into s, in
// order. name is used in errors and origins. s is not indexed.
func DecodeBytes(s *snapshot.Snapshot, name string, data []byte, defaultNS string) error {
	b := newBatch(defaultNS)
	b.addFile(name, data, fileOptions{})
	b.decode(0)
	if err := b.apply(s); err != nil {
		return err
	}
	s.Logs = append(s.Logs, b.logs...)
	return nil
}
