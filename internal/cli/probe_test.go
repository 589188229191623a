package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/internal/apiservertest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

const probeShop = "../../pkg/probe/testdata/shop.yaml"

// unreachableKubeconfig is a kubeconfig whose server nothing answers:
// flag validation must fail before any request.
func unreachableKubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	cfg := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
		"contexts: [{name: c, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t}}]\n"
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProbeFlagErrors(t *testing.T) {
	kc := unreachableKubeconfig(t)
	runCases(t, []commandCase{
		{name: "dry-run without --probe", args: []string{"diagnose", "-f", probeShop, "--dry-run"}, code: ExitUsage, wantErr: "--dry-run needs --probe"},
		{name: "probe level without --probe", args: []string{"diagnose", "--kubeconfig", kc, "--probe-level=1"}, code: ExitUsage, wantErr: "--probe-level needs --probe"},
		{name: "probe on files", args: []string{"probe", "-f", probeShop}, code: ExitUsage, wantErr: "probes test a live cluster"},
		{name: "diagnose --probe on files", args: []string{"diagnose", "--probe", "-f", probeShop}, code: ExitUsage, wantErr: "probes test a live cluster"},
		{name: "unknown level", args: []string{"probe", "--kubeconfig", kc, "--probe-level=2"}, code: ExitUsage, wantErr: "--probe-level 2: want 0"},
		{name: "from-pod at level 0", args: []string{"probe", "--kubeconfig", kc, "--from-pod", "web-1"}, code: ExitUsage, wantErr: "--from-pod is for --probe-level=1"},
		{name: "from-pod path", args: []string{"probe", "--kubeconfig", kc, "--probe-level=1", "--from-pod", "shop/web/1"}, code: ExitUsage, wantErr: `--from-pod "shop/web/1": want NAME`},
		{name: "from-pod empty namespace", args: []string{"probe", "--kubeconfig", kc, "--probe-level=1", "--from-pod", "/web-1"}, code: ExitUsage, wantErr: `--from-pod "/web-1": want NAME`},
		{name: "image at level 0", args: []string{"probe", "--kubeconfig", kc, "--probe-image", "alpine"}, code: ExitUsage, wantErr: "--probe-image is for --probe-level=1"},
		{name: "zero timeout", args: []string{"probe", "--kubeconfig", kc, "--probe-timeout=0s"}, code: ExitUsage, wantErr: "--probe-timeout 0s"},
		{name: "bad duration", args: []string{"probe", "--kubeconfig", kc, "--probe-wait=soon"}, code: ExitUsage, wantErr: "probe-wait"},
	})
}

// probeServer is an API server that answers the shop's proxy GETs (api-1
// refuses, as an app bound to 127.0.0.1 does) and access reviews, and
// records every request.
func probeServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	return apiservertest.Recording(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
			fmt.Fprint(w, `{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{},"status":{"allowed":true}}`)
		case strings.HasSuffix(r.URL.Path, "/proxy/"):
			w.WriteHeader(503)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"error trying to reach service: dial tcp 10.244.0.7:8080: connect: connection refused","reason":"ServiceUnavailable","code":503}`)
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			w.WriteHeader(404)
		}
	})
}

// probeOptions is `hopscope probe service/api-svc -n shop` on the shop
// fixture without its broken orders-svc (so no finding is an error), read
// from the file as a live scan would have read it.
func probeOptions(t *testing.T, srv *httptest.Server, out *bytes.Buffer) *DiagnoseOptions {
	t.Helper()
	o := &DiagnoseOptions{IOStreams: genericiooptions.IOStreams{Out: out, ErrOut: io.Discard}, Globals: &Globals{},
		Output: "json", FailOn: "error", Entries: []string{"service/api-svc"}, namespace: "shop", explicitNS: true}
	raw, err := os.ReadFile(probeShop)
	if err != nil {
		t.Fatal(err)
	}
	var healthy []string
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		if !strings.Contains(doc, "{name: orders") {
			healthy = append(healthy, doc)
		}
	}
	o.loadSnapshot = func(context.Context) (*snapshot.Snapshot, error) {
		return source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(strings.Join(healthy, "\n---\n"))}.Load()
	}
	o.Probe = ProbeFlags{Enabled: true, Image: "busybox:1.36", Timeout: probeTimeoutForTests, Wait: probeTimeoutForTests,
		restConfig: func() (*rest.Config, error) { return &rest.Config{Host: srv.URL}, nil }}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o
}

const probeTimeoutForTests = 2 * time.Second

// TestProbeReportsAndFailsOnUnseenFault: the path the declared state calls
// healthy is refused by its pod; the JSON report carries the probe and the
// run exits 1 though no finding is an error.
func TestProbeReportsAndFailsOnUnseenFault(t *testing.T) {
	srv, seen := probeServer(t)
	var out bytes.Buffer
	err := probeOptions(t, srv, &out).Run(context.Background())
	if code := ExitCode(err); code != ExitFindings {
		t.Errorf("exit %d (%v), want 1 for a probe failing where the state says it works", code, err)
	}
	var res diagnose.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if res.MaxSeverity() == diagnose.SeverityError {
		t.Errorf("fixture has an error finding: the exit code would not prove the probe decides it")
	}
	var refused bool
	for _, p := range res.Probes {
		refused = refused || (p.Test == diagnose.ProbeTestPodHTTP && p.Outcome == diagnose.ProbeRefused && p.Agreement == diagnose.ProbeContradicts)
	}
	if !refused {
		t.Errorf("probes = %+v, want api-1 refused, contradicting the state", res.Probes)
	}
	for _, r := range seen() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("level 0 sent %s", r)
		}
	}
}

// TestProbeDryRunSendsOnlyReviews: the dry run prints the plan and the
// RBAC and sends nothing but access reviews.
func TestProbeDryRunSendsOnlyReviews(t *testing.T) {
	srv, seen := probeServer(t)
	var out bytes.Buffer
	o := probeOptions(t, srv, &out)
	o.Probe.DryRun, o.Probe.Level = true, 1
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantAll(t, "dry run", out.String(), "DRY RUN — probe level 1", "PUT  /api/v1/namespaces/shop/pods/web-1/ephemeralcontainers", "allowed     update pods/ephemeralcontainers in namespace shop")
	if len(seen()) == 0 {
		t.Errorf("no access review was sent")
	}
	for _, r := range seen() {
		if r != "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews" {
			t.Errorf("dry run sent %s", r)
		}
	}
}
