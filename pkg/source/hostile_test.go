//go:build unix

package source

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileInputsUnderMemoryLimit runs the hopscope binary, limited to 2
// GiB of address space as `prlimit --as` sets it, over inputs of at most 10
// MB made to exhaust memory, time or the stack. Each must end in exit code 2
// with a message naming the file, never in a Go runtime crash or a hang; a
// valid but dense input must be diagnosed.
//
// The binary is built with CGO_ENABLED=0, as it must be released: the Go
// runtime alone reserves about 1.1 GiB of address space, and with cgo
// glibc's per-thread malloc arenas and thread stacks reserve another 0.5
// GiB, which leaves too little of a 2 GiB limit for a 10 MB dump.
func TestHostileInputsUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hopscope")
	build := exec.Command(goTool, "build", "-o", bin, "../../cmd/hopscope")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	const mb = 1 << 20
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n"
	big := strings.Repeat("x", mb)
	var aliases strings.Builder
	aliases.WriteString(cm + "  a: &a \"" + big + "\"\n  b: [")
	for i := 0; i < 300000; i++ {
		aliases.WriteString("*a,")
	}
	aliases.WriteString("*a]\n")
	laughs := cm + "  l0: &l0 \"" + strings.Repeat("y", 1000) + "\"\n"
	for i := 1; i < 30; i++ {
		laughs += "  l" + itoa(i) + ": &l" + itoa(i) + " [" + strings.Repeat("*l"+itoa(i-1)+",", 9) + "*l" + itoa(i-1) + "]\n"
	}
	var listAliases strings.Builder
	listAliases.WriteString("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: bomb\n  data:\n    a: &a \"" + big + "\"\n    b: [")
	listAliases.WriteString(strings.Repeat("*a,", 200000) + "*a]\n")

	inputs := map[string][]byte{
		"alias-of-large-scalar.yaml": []byte(aliases.String()),
		"nested-aliases.yaml":        []byte(laughs),
		"aliases-in-list-item.yaml":  []byte(listAliases.String()),
		"deep-flow.yaml":             bytes.Repeat([]byte("["), 10*mb),
		"deep-block.yaml":            []byte(strings.Repeat("- ", 5*mb-2) + "x\n"),
		"deep-mapping.yaml":          []byte(strings.Repeat("{a: ", 2*mb)),
		"deep-json.json":             []byte(strings.Repeat(`{"a":`, 2*mb)),
		"huge-scalar.yaml":           []byte("a: \"" + strings.Repeat("z", 10*mb-8) + "\"\n"),
		"huge-plain-scalar.yaml":     []byte(strings.Repeat("word ", 2*mb-1) + "\n"),
		"many-documents.yaml":        bytes.Repeat([]byte("---\n"), 10*mb/4),
		"many-scalar-documents.yaml": bytes.Repeat([]byte("--- x\n"), 10*mb/6),
		"many-keys.json":             []byte("{" + strings.Repeat(`"k":1,`, 10*mb/6-1) + `"k":1}`),
		"items-without-kind.json":    []byte(`{"apiVersion":"v1","kind":"List","items":[` + strings.Repeat(`{"metadata":{}},`, 10*mb/16-4) + `{}]}`),
		"binary.yaml":                bytes.Repeat([]byte{0, 0xff, 0xfe, '\n'}, 10*mb/4),
	}
	// About 134,000 Pods in 10 MB: read, not refused.
	var dense bytes.Buffer
	dense.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
	for i := 0; dense.Len() < 10*mb-200; i++ {
		if i > 0 {
			dense.WriteByte(',')
		}
		dense.WriteString(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p` + itoa(i) + `","namespace":"n"}}`)
	}
	dense.WriteString("]}")
	inputs["dense-valid-pods.json"] = dense.Bytes()
	var paths []string
	for name, data := range inputs {
		if len(data) > 10*mb {
			t.Fatalf("%s is %d bytes, more than 10 MB", name, len(data))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sparse := filepath.Join(dir, "sparse-2g.yaml")
	if f, err := os.Create(sparse); err == nil {
		if f.Truncate(2<<30) == nil {
			paths = append(paths, sparse)
		}
		f.Close()
	}
	fifo := filepath.Join(dir, "pipe.yaml")
	if syscall.Mkfifo(fifo, 0o644) == nil {
		paths = append(paths, fifo)
	}
	paths = append(paths, "/dev/zero")

	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, prlimit, "--as=2147483648", "--", bin, "diagnose", "-f", p, "-o", "json")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			msg := stderr.String()
			for _, crash := range []string{"goroutine ", "runtime.", "fatal error", "panic:"} {
				if strings.Contains(msg, crash) {
					t.Fatalf("Go runtime crash (%q): %.500s", crash, msg)
				}
			}
			var exit *exec.ExitError
			if strings.HasPrefix(filepath.Base(p), "dense-valid") {
				if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
					t.Fatalf("exit %v after %v, want a diagnosis (0 or 1); stderr: %.500s", err, time.Since(start), msg)
				}
				return
			}
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("exit %v after %v, want 2; stderr: %.500s", err, time.Since(start), msg)
			}
			if !strings.Contains(msg, p) {
				t.Errorf("the message does not name %s: %.300s", p, msg)
			}
			t.Logf("%v: %.200s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(msg))
		})
	}
}
