package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/mcpserver"
	"github.com/hopscope/hopscope/pkg/source"
)

// TokenEnv holds the bearer token of `hopscope mcp --listen` when --token
// is not given: an environment variable does not show in the process list.
const TokenEnv = "HOPSCOPE_MCP_TOKEN"

// MCPOptions is `hopscope mcp`: serve the diagnosis as MCP tools to an AI
// assistant, over stdio (the assistant starts hopscope) or streamable HTTP.
type MCPOptions struct {
	genericiooptions.IOStreams
	Globals *Globals

	Files         []string
	AllNamespaces bool
	// Listen is the HTTP address to serve on; empty serves stdio.
	Listen string
	// Token, when set, is the bearer token every HTTP request must carry.
	Token string
	// Budget is a reply's size limit in tokens.
	Budget int

	// Filled in by Complete.
	source mcpserver.Source
}

func newMCPCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &MCPOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "mcp [-f FILE|DIR]... [--listen ADDR]",
		Short: "Serve the diagnosis to AI assistants as read-only MCP tools (stdio, or streamable HTTP with --listen)",
		Long: `Serve hopscope's diagnosis as Model Context Protocol tools: diagnose, trace, explain_check,
list_checks, list_labs and show_lab. Every tool only reads; every reply keeps to a token budget and
says how to get the rest. An assistant starts 'hopscope mcp' and talks to it over stdin/stdout;
--listen serves streamable HTTP instead. See docs/mcp.md for assistant configuration.`,
		Example: `  hopscope mcp                                  # the current kubectl context, over stdio
  hopscope mcp -n shop --context prod           # one namespace of another context
  hopscope mcp -f k8s/                          # manifests, re-read on every call
  HOPSCOPE_MCP_TOKEN=$(openssl rand -hex 32) hopscope mcp --listen 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: runE(o.Run, o.Complete, o.Validate),
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.Files, "filename", "f", nil, "files or directories (recursive) of YAML/JSON manifests or dumps, re-read on every call. Without -f the current kubectl context is read")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "diagnose every namespace unless a call names one (the default for files)")
	f.StringVar(&o.Listen, "listen", "", "serve streamable HTTP on this address (e.g. 127.0.0.1:8080, path "+mcpserver.Path+") instead of stdio")
	f.StringVar(&o.Token, "token", "", "bearer token every HTTP request must carry (default $"+TokenEnv+"); required to listen beyond loopback")
	f.IntVar(&o.Budget, "budget", mcpserver.DefaultBudget, "most tokens (bytes/4 of the JSON) one tool reply may take")
	return cmd
}

// Complete reads the token from the environment and decides where the
// tools read from: the files, or the cluster of the kubectl flags.
func (o *MCPOptions) Complete() error {
	if o.Token == "" {
		o.Token = os.Getenv(TokenEnv)
	}
	ns := o.Globals.namespaceFlag()
	o.source = mcpserver.Source{Files: o.Files, Kube: o.Globals.Kube, Namespace: ns, ExplicitNamespace: ns != "",
		AllNamespaces: o.AllNamespaces, Warnings: o.ErrOut}
	if len(o.Files) > 0 {
		return nil
	}
	if raw, err := o.Globals.Kube.ToRawKubeConfigLoader().RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		(o.Globals.Kube.APIServer == nil || *o.Globals.Kube.APIServer == "") && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return usageErrorf("no cluster to read: no kubeconfig found (KUBECONFIG is unset or empty and ~/.kube/config has no cluster) and not running in a pod; pass --kubeconfig or --context, or -f FILE to serve manifests and dumps")
	}
	if ns == "" {
		kubeNS, _, err := o.Globals.Kube.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("read kubeconfig: %w (use -f to serve files)", err)}
		}
		o.source.Namespace = kubeNS
	}
	return nil
}

// Validate rejects contradictory flags, a token for stdio, an open listen
// address without a token, and (for files) input that does not load, so
// that a mistake shows when the assistant starts the server rather than on
// its first call.
func (o *MCPOptions) Validate() error {
	switch {
	case o.AllNamespaces && o.source.ExplicitNamespace:
		return usageErrorf("--all-namespaces and --namespace %q contradict each other", o.source.Namespace)
	case slices.Contains(o.Files, "-"):
		return usageErrorf("-f -: standard input carries the MCP conversation; pass files or directories")
	case o.Budget < mcpserver.MinBudget:
		return usageErrorf("--budget %d: want at least %d tokens", o.Budget, mcpserver.MinBudget)
	case o.Listen == "" && o.Token != "":
		return usageErrorf("--token (or $%s) protects the HTTP transport: add --listen ADDR, or unset it for stdio", TokenEnv)
	case o.Listen != "" && !mcpserver.Loopback(o.Listen) && o.Token == "":
		return usageErrorf("--listen %s accepts connections from other machines: set $%s (or --token) so that only clients holding it can read the cluster, or listen on 127.0.0.1", o.Listen, TokenEnv)
	}
	if len(o.Files) == 0 {
		return nil
	}
	snap, err := source.Files{Paths: o.Files, DefaultNamespace: o.source.Namespace}.Load()
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	if snap.ObjectCount() == 0 && snap.SkippedTotal() == 0 {
		return usageErrorf("%v: the input holds no Kubernetes objects", o.Files)
	}
	return nil
}

// Run serves until the client hangs up (stdio), or until Ctrl-C (HTTP).
func (o *MCPOptions) Run(ctx context.Context) error {
	srv, err := mcpserver.New(mcpserver.Config{Source: o.source, Budget: o.Budget, Version: Version()})
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	if o.Listen != "" {
		l, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--listen: %w", err)}
		}
		auth := "no token: any local process can call it"
		if o.Token != "" {
			auth = "bearer token required"
		}
		fmt.Fprintf(o.ErrOut, "hopscope mcp: serving MCP (streamable HTTP) at http://%s%s, %s\n", l.Addr(), mcpserver.Path, auth)
		return mcpserver.ServeHTTP(ctx, srv, l, o.Token)
	}
	if f, ok := o.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(o.ErrOut, "hopscope mcp speaks MCP on stdin/stdout for an AI assistant to start; see docs/mcp.md to configure one. Ctrl-C to quit.")
	}
	err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(o.In), Writer: nopWriteCloser{o.Out}})
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("mcp over stdio: %w", err)
}

// nopWriteCloser keeps the command's output stream open when the MCP
// connection closes: the stream belongs to the caller.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
