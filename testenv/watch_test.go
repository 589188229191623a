package testenv_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hopscope/hopscope/pkg/watch"
	"github.com/hopscope/hopscope/testenv"
)

// collectionPath is a request for a whole collection across namespaces:
// /api/v1/pods, /apis/apps/v1/deployments. A request naming a namespace or
// an object would be per-object work the watch must never do.
var collectionPath = regexp.MustCompile(`^/apis?(/[a-z0-9.-]+)?/v1/[a-z]+$`)

// acceptRecorder remembers the Accept header of every Secrets request, to
// prove they ask for metadata only.
type acceptRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (a *acceptRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/secrets") {
		a.mu.Lock()
		a.seen = append(a.seen, r.Header.Get("Accept"))
		a.mu.Unlock()
	}
	return a.next.RoundTrip(r)
}

// TestWatchPublishesLabOneAndItsFix runs the watcher in-process against
// the real API server, behind the request counter. It breaks the seed's lab
// 1, reads /metrics until the finding and the broken path show, fixes the
// lab and reads /metrics until both are gone. Then it checks what reached
// the API server: one LIST and one WATCH per kind, each across all
// namespaces, Secrets as metadata only, nothing per object.
func TestWatchPublishesLabOneAndItsFix(t *testing.T) {
	ctx := context.Background()
	lab := testenv.Labs()[0]
	if lab.Number != 1 {
		t.Fatalf("Labs()[0] is lab %d, want lab 1", lab.Number)
	}
	kubeconfig, counter := countingKubeconfig(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	accepts := &acceptRecorder{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { accepts.next = rt; return accepts })

	srv := runWatcher(t, cfg)
	if code, body := httpGet(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s after Ready", code, body)
	}

	if err := cluster.Break(ctx, lab); err != nil {
		t.Fatal(err)
	}
	fixed := false
	t.Cleanup(func() {
		if !fixed {
			_ = cluster.Fix(ctx, lab)
		}
	})
	finding := `hopscope_findings{check="` + lab.Check + `",layer="service",namespace="lab1",severity="error"} 1`
	brokenPath := `hopscope_path_broken_info{check="` + lab.Check + `",entry="Service/lab1/api-svc",layer="service",namespace="lab1",root_cause_object="` + lab.Object.String() + `"} 1`
	var body string
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool {
		_, body = httpGet(t, srv.URL+"/metrics")
		return strings.Contains(body, finding) && strings.Contains(body, brokenPath)
	}) {
		t.Fatalf("broken lab 1: /metrics never showed\n  %s\n  %s\nlast scrape:\n%s", finding, brokenPath, lab1Lines(body))
	}

	if err := cluster.Fix(ctx, lab); err != nil {
		t.Fatal(err)
	}
	fixed = true
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool {
		_, body = httpGet(t, srv.URL+"/metrics")
		// Other tests of this binary may leave their own broken Services
		// behind: only lab 1's series count.
		return !strings.Contains(body, finding) && !strings.Contains(body, `entry="Service/lab1/api-svc"`) &&
			strings.Contains(body, `hopscope_paths{entry_kind="Service",namespace="lab1",status="ok"} 1`)
	}) {
		t.Fatalf("fixed lab 1: the finding did not leave /metrics or the path is not ok; last scrape:\n%s", lab1Lines(body))
	}

	perResource := map[string][2]int{} // path -> {lists, watches}
	for _, r := range counter.seen() {
		method, uri, _ := strings.Cut(r, " ")
		path, query, _ := strings.Cut(uri, "?")
		if method != http.MethodGet {
			t.Errorf("the watcher sent %s: it must only read", r)
		}
		if !collectionPath.MatchString(path) {
			t.Errorf("the watcher requested %s: only whole collections may be read, never one namespace or one object", r)
			continue
		}
		n := perResource[path]
		if strings.Contains(query, "watch=true") {
			n[1]++
		} else {
			n[0]++
		}
		perResource[path] = n
	}
	if len(perResource) != 19 {
		t.Errorf("requests reached %d collections, want the 19 kinds the diagnosis reads: %v", len(perResource), perResource)
	}
	for path, n := range perResource {
		// A streaming list (WATCH with sendInitialEvents) replaces the LIST
		// where the client uses it; either way one stream per kind.
		if n[0] > 1 || n[1] != 1 {
			t.Errorf("%s: %d LISTs and %d WATCHes, want at most one LIST and exactly one WATCH", path, n[0], n[1])
		}
	}
	if len(accepts.seen) == 0 {
		t.Error("no Secrets request seen")
	}
	for _, a := range accepts.seen {
		if !strings.Contains(a, "as=PartialObjectMetadata") {
			t.Errorf("a Secrets request accepted %q: Secrets must be read as metadata only", a)
		}
	}
	t.Logf("%d collections, requests per collection (lists, watches): %v", len(perResource), perResource)
}

// runWatcher runs a watcher on cfg until the test ends and serves its
// handler; it returns once the watcher is ready.
func runWatcher(t *testing.T, cfg *rest.Config) *httptest.Server {
	t.Helper()
	w, err := watch.New(watch.Options{Config: cfg, Debounce: 200 * time.Millisecond, Version: "testenv"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	if !eventually(time.Minute, 50*time.Millisecond, w.Ready) {
		t.Fatal("the watcher did not become ready in a minute")
	}
	return srv
}

// lab1Lines keeps the lines of a scrape that concern lab 1, for failure
// messages.
func lab1Lines(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "lab1") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
