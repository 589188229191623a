package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// Bounds of a run. A probe never waits or reads without a limit: an app
// that accepts and never answers, or answers forever, costs at most these.
const (
	// DefaultTimeout bounds each GET through the API server's proxy, body
	// included.
	DefaultTimeout = 5 * time.Second
	// DefaultWait bounds how long a level-1 run waits for its container to
	// finish (the image may need pulling first).
	DefaultWait = 60 * time.Second
	// DefaultMaxBody bounds the bytes read of one proxied response.
	DefaultMaxBody = 4 << 10
	// quoted is how much of a response body a probe's Detail quotes.
	quoted = 160
)

// Prober runs a Plan against one cluster.
type Prober struct {
	// HTTP reaches the API server with the user's credentials; Server is
	// its base URL. Level 0 needs only these.
	HTTP   *http.Client
	Server string
	// Client makes the level-1 requests: access reviews, GET pods and the
	// ephemeral container write.
	Client kubernetes.Interface
	// Timeout, Wait and MaxBody default to DefaultTimeout, DefaultWait and
	// DefaultMaxBody; Poll (how often a level-1 run reads the pod back) to
	// two seconds.
	Timeout time.Duration
	Wait    time.Duration
	Poll    time.Duration
	MaxBody int64
	// ContainerName names a level-1 container; a random
	// "hopscope-probe-xxxxx" when nil.
	ContainerName func() string
}

// NewProber connects a Prober to the cluster of cfg.
func NewProber(cfg *rest.Config) (Prober, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return Prober{}, fmt.Errorf("probe: HTTP client for %s: %w", cfg.Host, err)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return Prober{}, fmt.Errorf("probe: API server URL %q: %w", cfg.Host, err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return Prober{}, fmt.Errorf("probe: client for %s: %w", cfg.Host, err)
	}
	return Prober{HTTP: hc, Server: strings.TrimRight(base.String(), "/"), Client: cs}, nil
}

// Run executes the plan: every level-0 GET, then every level-1 run (each
// behind its access review), and returns one Probe per test, "not run"
// ones included, each judged against the static verdict. It fails only when
// the API server itself cannot be reached or ctx ends.
func (pr Prober) Run(ctx context.Context, plan Plan) ([]diagnose.Probe, error) {
	var out []diagnose.Probe
	for _, p := range plan.Proxies {
		got, err := pr.proxyGet(ctx, p)
		if err != nil {
			return out, err
		}
		out = append(out, got)
	}
	if len(plan.Clients) > 0 && pr.Client == nil {
		return out, errors.New("probe: level-1 runs planned but the Prober has no Client")
	}
	for _, run := range plan.Clients {
		got, err := pr.runClient(ctx, run)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return append(out, plan.NotRun...), nil
}

// proxyGet sends one GET through the API server's proxy and classifies
// what came back: the app's own answer (any HTTP status), or the API
// server's error when it could not reach the app.
func (pr Prober) proxyGet(ctx context.Context, p ProxyProbe) (diagnose.Probe, error) {
	timeout := orDefault(pr.Timeout, DefaultTimeout)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, pr.Server+p.URLPath(), nil)
	if err != nil {
		return p.Probe, fmt.Errorf("probe %s: %w", p.Request, err)
	}
	req.Header.Set("Accept", "*/*")
	out := p.Probe
	resp, err := pr.HTTP.Do(req)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return out, fmt.Errorf("probe %s: %w", p.Request, ctx.Err())
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		out.Outcome, out.Detail = diagnose.ProbeTimeout, fmt.Sprintf("no answer within %s through the API server's proxy", timeout)
		return judge(out, p.predicted, nil), nil
	default:
		return out, fmt.Errorf("probe %s on %s: %w", p.Request, pr.Server, err)
	}
	defer resp.Body.Close()
	maxBody := pr.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	truncated := int64(len(body)) > maxBody
	if truncated {
		body = body[:maxBody]
	}
	out.Outcome, out.Detail = classifyProxied(resp, body, truncated, readErr)
	if out.Outcome == diagnose.ProbeForbidden {
		out.Detail += fmt.Sprintf(" (needs get %s/proxy in namespace %s)", p.Resource, p.Namespace)
	}
	return judge(out, p.predicted, nil), nil
}

// apiStatus is the part of a metav1.Status the API server writes when it
// fails a proxied request itself.
type apiStatus struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

// classifyProxied tells the API server's own error (a Status body: it
// could not reach the target, or refused the user) from the target's
// answer, which is any HTTP response at all.
func classifyProxied(resp *http.Response, body []byte, truncated bool, readErr error) (diagnose.ProbeOutcome, string) {
	if resp.StatusCode >= 400 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		var st apiStatus
		if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
			msg := st.Message
			switch {
			case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
				return diagnose.ProbeForbidden, "the API server refused the request: " + msg
			case resp.StatusCode == http.StatusNotFound:
				return diagnose.ProbeNotRun, "the API server does not find the target: " + msg
			}
			return classifyMessage(msg), fmt.Sprintf("the API server could not reach it (HTTP %d): %s", resp.StatusCode, msg)
		}
	}
	outcome := diagnose.ProbeAnswered
	if resp.StatusCode == http.StatusBadRequest && tlsPortAnswer(body) {
		outcome = diagnose.ProbeWrongScheme
	}
	size := fmt.Sprintf("%d bytes", len(body))
	if truncated {
		size = fmt.Sprintf("more than %d bytes (read no further)", len(body))
	}
	detail := fmt.Sprintf("HTTP %d, %s", resp.StatusCode, size)
	if s := snippet(body); s != "" {
		detail += ": " + s
	}
	if readErr != nil {
		detail += "; the body stopped: " + readErr.Error()
	}
	return outcome, detail
}

// tlsPortAnswers are what servers answer a plain HTTP request on a port
// that serves only TLS: Go's net/http, and nginx.
var tlsPortAnswers = []string{"HTTP request to an HTTPS server", "plain HTTP request was sent to HTTPS port"}

// tlsPortAnswer reports whether a 400's body is a TLS-only port refusing
// plain HTTP.
func tlsPortAnswer(body []byte) bool {
	for _, a := range tlsPortAnswers {
		if bytes.Contains(body, []byte(a)) {
			return true
		}
	}
	return false
}

// classifyMessage reads an outcome from an error a dialler or a client
// tool wrote.
func classifyMessage(msg string) diagnose.ProbeOutcome {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "no endpoints available"):
		return diagnose.ProbeNoEndpoints
	case strings.Contains(m, "refused"):
		return diagnose.ProbeRefused
	case strings.Contains(m, "no such host"), strings.Contains(m, "nxdomain"), strings.Contains(m, "can't find"),
		strings.Contains(m, "bad address"), strings.Contains(m, "can't resolve"):
		return diagnose.ProbeUnresolved
	case strings.Contains(m, "timeout"), strings.Contains(m, "timed out"), strings.Contains(m, "deadline exceeded"):
		return diagnose.ProbeTimeout
	}
	return diagnose.ProbeUnreachable
}

// snippet is the start of a body on one line: enough to recognise a
// page, never the whole of it.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(bytes.ToValidUTF8(body, []byte("\uFFFD")))), " ")
	if len(s) <= quoted {
		return s
	}
	cut := quoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
