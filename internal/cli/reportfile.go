package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// stdoutPath is the --output-file value that means standard output, as -f -
// means standard input.
const stdoutPath = "-"

// checkReportFile refuses an --output-file that would overwrite what the
// run reads: an input file itself (by path, or the same file through a link),
// or a manifest (.yaml, .yml, .json) inside an input directory, which the
// next run over that directory would read as input. Refusing before
// anything is loaded keeps the input intact and says why at once.
func checkReportFile(out string, inputs []string) error {
	if out == stdoutPath || out == "" {
		return nil
	}
	outInfo, err := os.Stat(out)
	switch {
	case err == nil && outInfo.IsDir():
		return usageErrorf("--output-file %s: is a directory; name a file", out)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return usageErrorf("--output-file %s: %v", out, err)
	case err != nil:
		// Found now rather than after the whole diagnosis.
		if d, err := os.Stat(filepath.Dir(out)); err != nil || !d.IsDir() {
			return usageErrorf("--output-file %s: directory %s does not exist", out, filepath.Dir(out))
		}
	}
	outPaths := pathForms(out)
	manifest := isManifestName(out)
	for _, in := range inputs {
		if in == "-" || in == "" {
			continue
		}
		inInfo, err := os.Stat(in)
		if err != nil {
			continue // the loader names a missing input
		}
		if outInfo != nil && os.SameFile(inInfo, outInfo) {
			return usageErrorf("--output-file %s: is the input file %s; writing the report would overwrite it", out, in)
		}
		if !inInfo.IsDir() || !manifest {
			continue
		}
		for _, dir := range pathForms(in) {
			for _, p := range outPaths {
				if inside(p, dir) {
					return usageErrorf("--output-file %s: is a manifest file inside the input directory %s; the report would be read as input by the next run (write it elsewhere, or with another extension)", out, in)
				}
			}
		}
	}
	return nil
}

// isManifestName reports whether the loader reads a file of this name when
// it walks a directory.
func isManifestName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// pathForms are the absolute forms of path: as written, and with the
// symbolic links of it (or, when it does not exist yet, of its directory)
// resolved, so that a link on either side cannot hide that two paths meet.
func pathForms(path string) []string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	forms := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		forms = append(forms, real)
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		forms = append(forms, filepath.Join(dir, filepath.Base(abs)))
	}
	return forms
}

// inside reports whether path lies below dir (both absolute and clean).
func inside(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writeReportFile renders the report with render and writes it to path only
// when rendering succeeded, so a failed render leaves an earlier report (or
// no file) rather than a truncated one. A regular file is replaced at once:
// the report goes to a temporary file in the same directory, which is then
// renamed over path and keeps path's mode (0644 for a new file). Through a
// symbolic link the link's target is replaced. A device or a pipe
// (/dev/stdout, a FIFO) is written in place.
func writeReportFile(path string, render func(io.Writer) error) error {
	target := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	}
	mode := fs.FileMode(0o644)
	info, err := os.Stat(target)
	switch {
	case err == nil && !info.Mode().IsRegular():
		return writeInPlace(path, render)
	case err == nil:
		mode = info.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--output-file %s: %w", path, err)}
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--output-file %s: %w", path, err)}
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := render(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		os.Remove(tmp.Name())
		done = true
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	done = true
	return nil
}

// writeInPlace renders into memory and then writes to a file that cannot be
// replaced by a rename (a device or a pipe).
func writeInPlace(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--output-file %s: %w", path, err)}
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	return nil
}
