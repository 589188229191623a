//go:build unix

package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadReadsRegularFilesOnly: devices, named pipes, sockets and symlinks
// to them are skipped inside a directory and refused when named; a named
// pipe is never opened (the test would hang).
func TestLoadReadsRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n")
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	mustSymlink(t, "/dev/zero", filepath.Join(dir, "zero.yaml"))
	mustSymlink(t, filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "broken.yaml"))
	sub := filepath.Join(t.TempDir(), "more")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, sub, filepath.Join(dir, "linked-dir"))
	mustSymlink(t, filepath.Join(dir, "pod.yaml"), filepath.Join(dir, "z-link.yaml"))

	s, err := Files{Paths: []string{dir}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, f := range s.SkippedFiles {
		reasons[filepath.Base(f.Path)] = f.Reason
	}
	want := map[string]string{
		"pipe.yaml":  "a named pipe: not read",
		"zero.yaml":  "symlink to a character device",
		"linked-dir": "symlink to a directory: not followed",
	}
	for name, reason := range want {
		if reasons[name] != reason {
			t.Errorf("%s: skipped as %q, want %q", name, reasons[name], reason)
		}
	}
	if !strings.HasPrefix(reasons["broken.yaml"], "broken symlink") {
		t.Errorf("broken.yaml: %q", reasons["broken.yaml"])
	}
	if len(s.Pods) != 1 || len(s.Duplicates) != 1 {
		t.Errorf("pods %d duplicates %v: the symlink to a regular file is read", len(s.Pods), s.Duplicates)
	}

	for _, named := range []string{fifo, filepath.Join(dir, "zero.yaml"), "/dev/zero"} {
		_, err := Files{Paths: []string{named}}.Load()
		var ie *InputError
		if !errors.As(err, &ie) || ie.File != named || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: err = %v, want it refused as not a regular file", named, err)
		}
	}
	// A symlink to a directory named directly is read as the directory.
	link := filepath.Join(t.TempDir(), "manifests")
	mustSymlink(t, filepath.Join("..", "..", "..", "..", mustAbs(t, filepath.Join("testdata", "dirs", "not-objects"))), link)
	mustSymlink(t, mustAbs(t, filepath.Join("testdata", "dirs", "not-objects")), link+"-abs")
	s, err = Files{Paths: []string{link + "-abs"}}.Load()
	if err != nil || len(s.Pods) != 1 {
		t.Fatalf("symlink to a directory: %v", err)
	}
	if f := s.SkippedFiles[0].Path; !strings.HasPrefix(f, link+"-abs"+string(filepath.Separator)) {
		t.Errorf("paths under the symlink read %q, want them under the name given", f)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
