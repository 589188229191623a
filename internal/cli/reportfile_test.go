package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copySeed copies a seed manifest into dir and returns its path.
func copySeed(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(seed + name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// An --output-file that would overwrite what the run reads is refused
// before anything is read, and the input is left as it was.
func TestOutputFileNeverOverwritesInput(t *testing.T) {
	dir := t.TempDir()
	in := copySeed(t, dir, "lab1-as-written.yaml")
	before, _ := os.ReadFile(in)
	link := filepath.Join(t.TempDir(), "report.txt")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard-link.txt")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"the input file", []string{"-f", in, "--output-file", in}, "is the input file"},
		{"the input file by another path", []string{"-f", in, "--output-file", dir + "/./" + filepath.Base(in)}, "is the input file"},
		{"a symbolic link to the input", []string{"-f", in, "--output-file", link}, "is the input file"},
		{"a hard link to the input", []string{"-f", in, "--output-file", hard}, "is the input file"},
		{"a manifest inside the input directory", []string{"-f", dir, "--output-file", filepath.Join(dir, "report.json")}, "inside the input directory"},
		{"a manifest deeper inside the input directory", []string{"-f", dir, "--output-file", filepath.Join(dir, "out", "..", "r.YAML")}, "inside the input directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, "", append([]string{"diagnose", "-o", "json"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, "--output-file") || !strings.Contains(errOut, tc.reason) {
				t.Errorf("exit %d, want 2 naming --output-file and %q:\n%s", code, tc.reason, errOut)
			}
			if after, _ := os.ReadFile(in); string(after) != string(before) {
				t.Errorf("the input changed")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused report was written: %v", err)
	}
}

// A report may sit in the input directory when the loader does not read
// it (another extension), and - is stdout.
func TestOutputFileBesideTheInput(t *testing.T) {
	dir := t.TempDir()
	copySeed(t, dir, "lab1-as-written.yaml")
	out := filepath.Join(dir, "report.sarif")
	stdout, errOut, code := run(t, "", "diagnose", "-f", dir, "-o", "sarif", "--output-file", out)
	if code != ExitFindings || stdout != "" {
		t.Fatalf("exit %d, stdout %q, want 1 and nothing on stdout:\n%s", code, stdout, errOut)
	}
	info, err := os.Stat(out)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("report file: %v, mode %v, want 0644", err, info.Mode())
	}
	if data, _ := os.ReadFile(out); !strings.Contains(string(data), "service-selector-matches-no-pods") {
		t.Errorf("report file lacks the finding:\n%s", data)
	}
	// A second run over the same directory still reads only the manifest.
	if _, errOut, code := run(t, "", "diagnose", "-f", dir, "--output-file", out); code != ExitFindings {
		t.Errorf("second run: exit %d:\n%s", code, errOut)
	}
	stdout, _, code = run(t, "", "diagnose", "-f", dir, "--output-file", "-", "-o", "json")
	if code != ExitFindings || !strings.Contains(stdout, `"findings"`) {
		t.Errorf("--output-file -: exit %d, stdout %q, want the JSON report on stdout", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--output-file - wrote a file named -")
	}
}

// The report replaces an earlier one only once it is complete: a render
// that fails leaves the earlier file whole and no temporary file behind;
// a replaced file keeps its mode.
func TestReportFileWrittenOnlyWhenComplete(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.txt")
	if err := os.WriteFile(out, []byte("earlier report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("render failed half-way")
	err := writeReportFile(out, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a rep")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("err %v, want the render's error", err)
	}
	if data, _ := os.ReadFile(out); string(data) != "earlier report\n" {
		t.Errorf("after a failed render the file holds %q", data)
	}
	if err := writeReportFile(out, func(w io.Writer) error {
		_, err := io.WriteString(w, "new report\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "new report\n" {
		t.Errorf("after a render the file holds %q", data)
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the earlier file's 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the report: %v", len(entries), entries)
	}
	// Through a symbolic link, the link's target is the report.
	target := filepath.Join(dir, "target.txt")
	link := filepath.Join(dir, "link.txt")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := writeReportFile(link, func(w io.Writer) error { _, err := io.WriteString(w, "via link\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(target); string(data) != "via link\n" {
		t.Errorf("link target holds %q", data)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
}

// Empty values that an unset variable in a script produces are refused,
// naming the flag, instead of meaning "read the current cluster" or
// "stdout"; so is a --color the tool does not know.
func TestEmptyAndUnknownFlagValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"-f empty", []string{"diagnose", "-f", ""}, "-f/--filename"},
		{"--filename= empty", []string{"diagnose", "--filename="}, "-f/--filename"},
		{"-f with an empty element", []string{"diagnose", "-f", seed + "lab1-fixed.yaml,"}, "-f/--filename"},
		{"trace -f empty", []string{"trace", "service/api-svc", "-f", ""}, "-f/--filename"},
		{"--output-file empty", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--output-file", ""}, "--output-file"},
		{"--output-file in a missing directory", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--output-file", filepath.Join(t.TempDir(), "no", "r.txt")}, "--output-file"},
		{"--output-file a directory", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--output-file", t.TempDir()}, "--output-file"},
		{"--color unknown", []string{"diagnose", "-f", seed + "lab1-fixed.yaml", "--color", "alwys"}, "--color"},
		{"--color unknown on another command", []string{"checks", "--color=yes"}, "--color"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.flag) {
				t.Errorf("exit %d, want 2 naming %s\nstdout:\n%s\nstderr:\n%s", code, tc.flag, out, errOut)
			}
		})
	}
	for _, c := range []string{"auto", "always", "never"} {
		if _, errOut, code := run(t, "", "diagnose", "-f", seed+"lab1-fixed.yaml", "--color", c); code != ExitOK {
			t.Errorf("--color %s: exit %d:\n%s", c, code, errOut)
		}
	}
}
