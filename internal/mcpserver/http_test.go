package mcpserver

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveLoopback serves a lab-1 server over streamable HTTP on a loopback
// port and returns its endpoint URL; the server stops with the test.
func serveLoopback(t *testing.T, token string) string {
	t.Helper()
	srv, err := New(filesConfig(seedLab1))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTP(ctx, srv, l, token) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeHTTP: %v", err)
		}
	})
	return "http://" + l.Addr().String() + Path
}

// bearer adds an Authorization header to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(req)
}

// connectHTTP connects an SDK client to endpoint, sending token when set.
func connectHTTP(endpoint, token string) (*mcp.ClientSession, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	if token != "" {
		hc.Transport = bearer{token: token, next: http.DefaultTransport}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "hopscope-test", Version: "1"}, nil)
	return client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc, MaxRetries: -1}, nil)
}

// diagnoseOverHTTP connects to endpoint, with token when set, and checks
// that a diagnosis arrives whole.
func diagnoseOverHTTP(t *testing.T, endpoint, token string) {
	t.Helper()
	cs, err := connectHTTP(endpoint, token)
	if err != nil {
		t.Fatalf("connect (with a token: %t): %v", token != "", err)
	}
	defer cs.Close()
	var got Diagnosis
	callTool(t, cs, 0, "diagnose", DiagnoseInput{}, &got)
	if len(got.Findings) == 0 || got.Findings[0].Check != "service-selector-matches-no-pods" {
		t.Errorf("diagnose over HTTP: first finding %v, want the Service's selector", got.Findings)
	}
}

func TestHTTPWithToken(t *testing.T) {
	const token = "s3cret-token-for-the-test"
	endpoint := serveLoopback(t, token)

	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", "guess"}} {
		if cs, err := connectHTTP(endpoint, tc.token); err == nil {
			_ = cs.Close()
			t.Errorf("%s: the client connected, want the server to refuse it", tc.name)
		}
	}
	status := post(t, endpoint, "127.0.0.1", map[string]string{"Authorization": "Bearer guess"})
	if status != http.StatusUnauthorized {
		t.Errorf("initialize with a wrong token: HTTP %d, want 401", status)
	}
	diagnoseOverHTTP(t, endpoint, token)
}

func TestHTTPWithoutToken(t *testing.T) {
	endpoint := serveLoopback(t, "")
	diagnoseOverHTTP(t, endpoint, "")
}

// TestHTTPRefusesRebindingAndCrossOrigin: a web page that resolves its own
// name to 127.0.0.1 (DNS rebinding), or posts cross-origin from the
// user's browser, must not reach the tools.
func TestHTTPRefusesRebindingAndCrossOrigin(t *testing.T) {
	endpoint := serveLoopback(t, "")
	if status := post(t, endpoint, "127.0.0.1", nil); status != http.StatusOK {
		t.Fatalf("initialize from this machine: HTTP %d, want 200 (the refusals below would prove nothing)", status)
	}
	if status := post(t, endpoint, "attacker.example:80", nil); status != http.StatusForbidden {
		t.Errorf("initialize with Host attacker.example on a loopback address: HTTP %d, want 403", status)
	}
	cross := map[string]string{"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}
	if status := post(t, endpoint, "127.0.0.1", cross); status != http.StatusForbidden {
		t.Errorf("cross-origin initialize from a browser: HTTP %d, want 403", status)
	}
}

// post sends an initialize request with host as the Host header and
// returns the HTTP status.
func post(t *testing.T, endpoint, host string, header map[string]string) int {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "example.com:80": false, "8080": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
