package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/cli/clitest"
	"github.com/hopscope/hopscope/internal/mcpserver"
)

// TestMCPOverStdioProcess runs `hopscope mcp -f lab1` as an assistant
// does: a child process spoken to over its stdin and stdout by the SDK's
// client. It lists the tools, diagnoses the seed's lab 1 and gets the
// Service root cause with its fix, then hangs up and expects a clean exit.
func TestMCPOverStdioProcess(t *testing.T) {
	bin := clitest.Build(t, "hopscope")
	lab1, err := filepath.Abs(seed + "lab1-as-written.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "mcp", "-f", lab1)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "hopscope-test", Version: "1"}, nil)
	ctx := context.Background()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to hopscope mcp: %v\nstderr: %s", err, stderr.String())
	}

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("tool %s is not annotated read-only", tool.Name)
		}
	}
	slices.Sort(names)
	if want := []string{"diagnose", "explain_check", "list_checks", "list_labs", "show_lab", "trace"}; !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "diagnose", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("diagnose: error %v, content %v", res.IsError, res.Content)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if n := mcpserver.Tokens([]byte(text)); n > mcpserver.DefaultBudget {
		t.Errorf("diagnose reply takes %d tokens, over the default budget", n)
	}
	var got mcpserver.Diagnosis
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("diagnose reply: %v\n%s", err, text)
	}
	if len(got.Findings) == 0 {
		t.Fatalf("no findings on lab 1: %s", text)
	}
	root := got.Findings[0]
	if root.Check != "service-selector-matches-no-pods" || root.Object.Name != "api-svc" ||
		!strings.HasPrefix(root.Fix, "kubectl ") || !strings.Contains(root.Verify, "endpoints -n default -- api-svc") {
		t.Errorf("root cause %s (fix %q, verify %q): want the Service api-svc's selector with a kubectl fix and the endpoints check", root.Key(), root.Fix, root.Verify)
	}

	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("hopscope mcp exited %d after the client hung up, want 0\nstderr: %s", code, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("hopscope mcp wrote to stderr: %s", stderr.String())
	}
}

// TestMCPStdioInProcess speaks raw JSON-RPC lines to the command through
// its injected streams, as an assistant writes them, and reads hopscope's
// answers line by line; hanging up ends the command with exit 0.
func TestMCPStdioInProcess(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var errOut strings.Builder
	root := NewRootCommand(genericiooptions.IOStreams{In: stdinR, Out: stdoutW, ErrOut: &errOut})
	root.SetArgs([]string{"mcp", "-f", seed + "lab1-as-written.yaml"})
	exited := make(chan error, 1)
	go func() {
		err := root.Execute()
		stdoutW.Close()
		exited <- err
	}()

	lines := bufio.NewScanner(stdoutR)
	lines.Buffer(nil, 1<<20)
	// answer sends one message and returns the answer with the same id.
	answer := func(id int, msg string) map[string]any {
		t.Helper()
		if _, err := io.WriteString(stdinW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
		for lines.Scan() {
			var got map[string]any
			if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
				t.Fatalf("stdout carries a line that is not JSON-RPC: %q", lines.Text())
			}
			if got["id"] == float64(id) {
				return got
			}
		}
		t.Fatalf("no answer to message %d; stderr: %s", id, errOut.String())
		return nil
	}
	answer(1, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if _, err := io.WriteString(stdinW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	got := answer(2, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"trace","arguments":{"entries":["service/api-svc"]}}}`)
	b, _ := json.Marshal(got["result"])
	if !strings.Contains(string(b), `"rootCause":"service-selector-matches-no-pods Service/default/api-svc"`) {
		t.Errorf("trace reply does not name the Service's root cause: %s", b)
	}

	stdinW.Close()
	if err := <-exited; ExitCode(err) != ExitOK {
		t.Errorf("hanging up: exit %d (%v), want 0", ExitCode(err), err)
	}
}

func TestMCPFlagErrors(t *testing.T) {
	lab1 := seed + "lab1-as-written.yaml"
	t.Setenv(TokenEnv, "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"open address without a token", []string{"mcp", "-f", lab1, "--listen", ":0"}, TokenEnv},
		{"token without HTTP", []string{"mcp", "-f", lab1, "--token", "x"}, "--listen"},
		{"stdin as input", []string{"mcp", "-f", "-"}, "standard input"},
		{"tiny budget", []string{"mcp", "-f", lab1, "--budget", "10"}, "--budget"},
		{"both scopes", []string{"mcp", "-f", lab1, "-A", "-n", "shop"}, "contradict"},
		{"missing file", []string{"mcp", "-f", "no/such/file.yaml"}, "no/such/file.yaml"},
		{"no objects", []string{"mcp", "-f", "testdata/no-objects.yaml"}, "no Kubernetes objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("hopscope %s: exit %d, stderr %q, stdout %q; want exit 2 naming %q and nothing on stdout", strings.Join(tc.args, " "), code, errOut, out, tc.want)
			}
		})
	}
}

// TestMCPTokenFromEnvironment: the token can come from the environment, so
// that it never shows in the process list.
func TestMCPTokenFromEnvironment(t *testing.T) {
	t.Setenv(TokenEnv, "from-env")
	o := &MCPOptions{Globals: &Globals{}, Files: []string{seed + "lab1-as-written.yaml"}, Listen: "0.0.0.0:0", Budget: mcpserver.DefaultBudget}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("listen beyond loopback with $%s set: %v", TokenEnv, err)
	}
	if o.Token != "from-env" {
		t.Errorf("token %q, want the environment's", o.Token)
	}
}
