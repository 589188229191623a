package mcpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Path is where the streamable HTTP transport is served.
const Path = "/mcp"

// sessionIdle closes an HTTP session nobody used for this long, so that
// clients that vanish do not pile up sessions.
const sessionIdle = 30 * time.Minute

// HTTPHandler serves srv over the streamable HTTP transport at Path.
// With a token, every request must carry it as "Authorization: Bearer
// TOKEN". The SDK's DNS-rebinding protection stays on (a request reaching
// a loopback address with a non-loopback Host is refused), and browsers'
// cross-origin requests are refused too: a web page the user visits must
// not reach a server that reads their cluster.
func HTTPHandler(srv *mcp.Server, token string) http.Handler {
	var h http.Handler = mcp.NewStreamableHTTPHandler(
		func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{SessionTimeout: sessionIdle},
	)
	if token != "" {
		h = auth.RequireBearerToken(tokenVerifier(token), &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	}
	h = http.NewCrossOriginProtection().Handler(h)
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	return mux
}

// tokenVerifier accepts exactly token, compared in constant time so that
// response timing does not reveal how much of a guess was right.
func tokenVerifier(token string) auth.TokenVerifier {
	want := []byte(token)
	return func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return nil, fmt.Errorf("%w: the bearer token does not match the server's --token", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{}, nil
	}
}

// ServeHTTP serves srv on l until ctx ends, then shuts down, letting
// calls in flight finish for a few seconds before it closes what is left
// (open event streams).
func ServeHTTP(ctx context.Context, srv *mcp.Server, l net.Listener, token string) error {
	hs := &http.Server{
		Handler:           HTTPHandler(srv, token),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve MCP on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shut down the MCP server on %s: %w", l.Addr(), err)
		}
		_ = hs.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve MCP on %s: %w", l.Addr(), err)
	}
	return nil
}

// Loopback reports whether a listen address only accepts connections from
// this machine: 127.0.0.0/8, ::1 or localhost. ":8080" and "0.0.0.0:8080"
// listen on every interface.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
