package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// apiStatusBody is what the API server writes when it fails a proxied
// request itself.
func apiStatusBody(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code)
}

// fakeAPIServer answers proxy paths from routes; any other path fails the
// test.
func fakeAPIServer(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := routes[r.URL.Path]
		if !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			t.Errorf("level 0 sent %s %s: it must only GET", r.Method, r.URL.Path)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	apiPodPath = "/api/v1/namespaces/shop/pods/api-1:8080/proxy/"
	apiSvcPath = "/api/v1/namespaces/shop/services/api-svc:http/proxy/"
	ordersPath = "/api/v1/namespaces/shop/services/orders-svc:80/proxy/"
)

// TestLevel0PlansBrokenPathsOnly: without named paths only the broken
// path is probed, and a Service selecting no pod gets a "not run" pod
// probe that says why.
func TestLevel0PlansBrokenPathsOnly(t *testing.T) {
	res, s := shop(t)
	plan := Build(res, s, Options{})
	if len(plan.Proxies) != 1 || plan.Proxies[0].URLPath() != ordersPath {
		t.Fatalf("proxies = %+v, want only the GET of %s", plan.Proxies, ordersPath)
	}
	if len(plan.NotRun) != 1 || plan.NotRun[0].Test != diagnose.ProbeTestPodHTTP || plan.NotRun[0].Detail != "no pod matches the Service's selector" {
		t.Errorf("not run = %+v, want the pod probe of orders-svc with why", plan.NotRun)
	}
	if len(plan.Clients) != 0 {
		t.Errorf("level 0 planned %d client runs", len(plan.Clients))
	}
	for _, r := range plan.Requests() {
		if r.Write || r.Method != "GET" {
			t.Errorf("level 0 request %s %s: level 0 only reads", r.Method, r.Path)
		}
	}
}

// TestLevel0ComparesWithStaticVerdict: the healthy path's pod refuses on
// its target port (an app bound to 127.0.0.1): the probe contradicts the
// declared state and says where to look; the broken path's Service has no
// endpoints, which confirms the static verdict.
func TestLevel0ComparesWithStaticVerdict(t *testing.T) {
	res, s := shop(t)
	srv := fakeAPIServer(t, map[string]http.HandlerFunc{
		apiPodPath: func(w http.ResponseWriter, _ *http.Request) {
			apiStatusBody(w, 503, "ServiceUnavailable", "error trying to reach service: dial tcp 10.244.0.7:8080: connect: connection refused")
		},
		apiSvcPath: func(w http.ResponseWriter, _ *http.Request) {
			apiStatusBody(w, 503, "ServiceUnavailable", "error trying to reach service: dial tcp 10.244.0.7:8080: connect: connection refused")
		},
		ordersPath: func(w http.ResponseWriter, _ *http.Request) {
			apiStatusBody(w, 503, "ServiceUnavailable", `no endpoints available for service "orders-svc"`)
		},
	})
	got, err := Prober{HTTP: srv.Client(), Server: srv.URL}.Run(context.Background(), Build(res, s, Options{AllPaths: true}))
	if err != nil {
		t.Fatal(err)
	}
	pod := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestPodHTTP)
	if pod.Outcome != diagnose.ProbeRefused || pod.Agreement != diagnose.ProbeContradicts || !strings.Contains(pod.Note, "127.0.0.1") {
		t.Errorf("api-1 probe = %+v, want refused, contradicting the Ready pod, pointing at the listen address", pod)
	}
	if pod.Target.Name != "api-1" || pod.Address != "10.244.0.7:8080" || pod.Request != "GET "+apiPodPath {
		t.Errorf("api-1 probe names %v %s %q", pod.Target, pod.Address, pod.Request)
	}
	orders := diagnosetest.ProbeOf(t, got, "Service/shop/orders-svc", diagnose.ProbeTestServiceHTTP)
	if orders.Outcome != diagnose.ProbeNoEndpoints || orders.Agreement != diagnose.ProbeConfirms {
		t.Errorf("orders-svc probe = %+v, want no endpoints, confirming", orders)
	}
}

// TestLevel0AnswerConfirmsHealthyPath: any HTTP answer from the app, even
// a 404, proves it listens.
func TestLevel0AnswerConfirmsHealthyPath(t *testing.T) {
	pod := apiSvcPodProbe(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, "<h1>Not   Found</h1>\n")
	})
	if pod.Outcome != diagnose.ProbeAnswered || pod.Agreement != diagnose.ProbeConfirms || pod.Detail != "HTTP 404, 21 bytes: <h1>Not Found</h1>" {
		t.Errorf("probe = %+v, want answered (HTTP 404 quoted on one line), confirming", pod)
	}
}

// apiSvcPodProbe probes the shop's api-svc path (its Service and pod
// GETs), both answered by app, and returns the pod's probe.
func apiSvcPodProbe(t *testing.T, app http.HandlerFunc) diagnose.Probe {
	t.Helper()
	res, s := shop(t)
	srv := fakeAPIServer(t, map[string]http.HandlerFunc{apiPodPath: app, apiSvcPath: app})
	plan := Build(res, s, Options{AllPaths: true})
	plan.Proxies = plan.Proxies[:2] // api-svc's two GETs
	got, err := Prober{HTTP: srv.Client(), Server: srv.URL}.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	return diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestPodHTTP)
}

// TestLevel0PlainHTTPToTLSPort: a 400 whose body is a TLS-only port's
// refusal of plain HTTP (Go's net/http, nginx) is a failure of the path,
// not an answer, and contradicts a Ready pod; any other 400 is the app's
// own answer.
func TestLevel0PlainHTTPToTLSPort(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       diagnose.ProbeOutcome
	}{
		{"go", "Client sent an HTTP request to an HTTPS server.\n", diagnose.ProbeWrongScheme},
		{"nginx", "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>", diagnose.ProbeWrongScheme},
		{"app", `{"error":"missing parameter id"}`, diagnose.ProbeAnswered},
	} {
		t.Run(c.name, func(t *testing.T) {
			pod := apiSvcPodProbe(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, c.body)
			})
			if pod.Outcome != c.want {
				t.Fatalf("outcome %q, want %q: %+v", pod.Outcome, c.want, pod)
			}
			if c.want == diagnose.ProbeWrongScheme && (pod.Agreement != diagnose.ProbeContradicts || !strings.Contains(pod.Note, "only TLS")) {
				t.Errorf("a Ready pod whose port serves only TLS: agreement %s, note %q; want a contradiction naming TLS", pod.Agreement, pod.Note)
			}
		})
	}
}

// TestLevel0Timeout: an app that accepts and never answers costs the
// per-request timeout, and a path the state calls healthy is contradicted
// with the places to look.
func TestLevel0Timeout(t *testing.T) {
	res, s := shop(t)
	release := make(chan struct{})
	defer close(release)
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	srv := fakeAPIServer(t, map[string]http.HandlerFunc{apiPodPath: hang, apiSvcPath: hang})
	plan := Build(res, s, Options{AllPaths: true})
	plan.Proxies = plan.Proxies[:2]
	start := time.Now()
	got, err := Prober{HTTP: srv.Client(), Server: srv.URL, Timeout: 200 * time.Millisecond}.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("two probes took %s with a 200ms timeout", el)
	}
	svc := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestServiceHTTP)
	if svc.Outcome != diagnose.ProbeTimeout || svc.Agreement != diagnose.ProbeContradicts || !strings.Contains(svc.Note, "declared state says this works") {
		t.Errorf("probe = %+v, want a timeout contradicting the healthy state", svc)
	}
}

// TestLevel0Forbidden: a user without get pods/proxy learns nothing, and
// is told so, never that the path is broken.
func TestLevel0Forbidden(t *testing.T) {
	res, s := shop(t)
	deny := func(w http.ResponseWriter, _ *http.Request) {
		apiStatusBody(w, 403, "Forbidden", `pods "api-1" is forbidden: User "dev" cannot get resource "pods/proxy"`)
	}
	srv := fakeAPIServer(t, map[string]http.HandlerFunc{apiPodPath: deny, apiSvcPath: deny})
	plan := Build(res, s, Options{AllPaths: true})
	plan.Proxies = plan.Proxies[:2]
	got, err := Prober{HTTP: srv.Client(), Server: srv.URL}.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	pod := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestPodHTTP)
	if pod.Outcome != diagnose.ProbeForbidden || pod.Agreement != diagnose.ProbeInconclusive || pod.Note != "not checked: forbidden" ||
		!strings.Contains(pod.Detail, "needs get pods/proxy in namespace shop") {
		t.Errorf("probe = %+v, want forbidden, not checked, naming the permission", pod)
	}
}

// countingTransport counts the body bytes the prober reads.
type countingTransport struct {
	next http.RoundTripper
	read *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	read *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read.Add(int64(n))
	return n, err
}

// TestLevel0BodyIsBounded: an endless, hostile body costs at most the
// bound in bytes read, and the Detail quotes only its start; escaping is
// the report's boundary (the report's hostile test covers Probes).
func TestLevel0BodyIsBounded(t *testing.T) {
	res, s := shop(t)
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat("\x1b]0;pwned\x07 password=Hunter2 ", 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	srv := fakeAPIServer(t, map[string]http.HandlerFunc{apiPodPath: endless, apiSvcPath: endless})
	plan := Build(res, s, Options{AllPaths: true})
	plan.Proxies = plan.Proxies[:2]
	var read atomic.Int64
	hc := &http.Client{Transport: countingTransport{srv.Client().Transport, &read}}
	got, err := Prober{HTTP: hc, Server: srv.URL, MaxBody: 1024}.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if n := read.Load(); n > 2*1025 {
		t.Errorf("read %d body bytes for two probes bounded to 1024 each", n)
	}
	pod := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestPodHTTP)
	if pod.Outcome != diagnose.ProbeAnswered || !strings.Contains(pod.Detail, "more than 1024 bytes") || len(pod.Detail) > 300 {
		t.Errorf("detail = %q, want the bound named and a short quote", pod.Detail)
	}
}
