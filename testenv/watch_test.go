package testenv_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hopscope/hopscope/internal/servetest"
	"github.com/hopscope/hopscope/pkg/watch"
	"github.com/hopscope/hopscope/testenv"
)

// collectionPath is a request for a whole collection across namespaces:
// /api/v1/pods, /apis/apps/v1/deployments. A request naming a namespace or
// an object would be per-object work the watch must never do.
var collectionPath = regexp.MustCompile(`^/apis?(/[a-z0-9.-]+)?/v1[a-z0-9]*/[a-z]+$`)

// watchDiscoveryPath is a discovery request: the watch asks once at start which
// Gateway API kinds the server serves (/apis, then the group's versions).
var watchDiscoveryPath = regexp.MustCompile(`^/(api|apis)(/[a-z0-9.-]+/v1[a-z0-9]*)?$`)

// TestWatchPublishesLabOneAndItsFix runs the watcher in-process against
// the real API server, behind the request counter. It breaks the seed's lab
// 1, reads /metrics until the finding and the broken path show, fixes the
// lab and reads /metrics until both are gone. Then it checks what reached
// the API server: one LIST and one WATCH per kind, each across all
// namespaces, Secrets as metadata only, nothing per object.
func TestWatchPublishesLabOneAndItsFix(t *testing.T) {
	lab := testenv.Labs()[0]
	if lab.Number != 1 {
		t.Fatalf("Labs()[0] is lab %d, want lab 1", lab.Number)
	}
	kubeconfig, counter := countingKubeconfig(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(cfg, false)

	srv := runWatcher(t, cfg)
	if code, body := servetest.Get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s after Ready", code, body)
	}

	fix := breakLab(t, lab)
	finding := `hopscope_findings{check="` + lab.Check + `",layer="service",namespace="lab1",severity="error"} 1`
	brokenPath := `hopscope_path_broken_info{check="` + lab.Check + `",entry="Service/lab1/api-svc",layer="service",namespace="lab1",root_cause_object="` + lab.Object.String() + `"} 1`
	var body string
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool {
		_, body = servetest.Get(t, srv.URL+"/metrics")
		return strings.Contains(body, finding) && strings.Contains(body, brokenPath)
	}) {
		t.Fatalf("broken lab 1: /metrics never showed\n  %s\n  %s\nlast scrape:\n%s", finding, brokenPath, lab1Lines(body))
	}

	fix()
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool {
		_, body = servetest.Get(t, srv.URL+"/metrics")
		// Other tests of this binary may leave their own broken Services
		// behind: only lab 1's series count.
		return !strings.Contains(body, finding) && !strings.Contains(body, `entry="Service/lab1/api-svc"`) &&
			strings.Contains(body, `hopscope_paths{entry_kind="Service",namespace="lab1",status="ok"} 1`)
	}) {
		t.Fatalf("fixed lab 1: the finding did not leave /metrics or the path is not ok; last scrape:\n%s", lab1Lines(body))
	}

	perResource := map[string][2]int{} // path -> {lists, watches}
	discoveries := 0
	for _, r := range counter.seen() {
		method, uri, _ := strings.Cut(r, " ")
		path, query, _ := strings.Cut(uri, "?")
		if method != http.MethodGet {
			t.Errorf("the watcher sent %s: it must only read", r)
		}
		if watchDiscoveryPath.MatchString(path) {
			discoveries++
			continue
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
	// The 19 built-in kinds, and the Gateway API kinds when another test
	// of this binary installed the CRDs: as many as the metrics list.
	if want := len(seriesLines(body, watch.MetricKindListed)); len(perResource) != want || want < 19 {
		t.Errorf("requests reached %d collections, want the %d kinds the watcher lists: %v", len(perResource), want, perResource)
	}
	if discoveries > 6 {
		t.Errorf("%d discovery requests: the watch asks discovery once, at start", discoveries)
	}
	for path, n := range perResource {
		// A streaming list (WATCH with sendInitialEvents) replaces the LIST
		// where the client uses it; either way one stream per kind.
		if n[0] > 1 || n[1] != 1 {
			t.Errorf("%s: %d LISTs and %d WATCHes, want at most one LIST and exactly one WATCH", path, n[0], n[1])
		}
	}
	secrets := 0
	for _, r := range rec.recorded() {
		if !strings.HasSuffix(r.URL.Path, "/secrets") {
			continue
		}
		secrets++
		if a := r.Header.Get("Accept"); !strings.Contains(a, "as=PartialObjectMetadata") {
			t.Errorf("a Secrets request accepted %q: Secrets must be read as metadata only", a)
		}
	}
	if secrets == 0 {
		t.Error("no Secrets request seen")
	}
	t.Logf("%d collections, requests per collection (lists, watches): %v", len(perResource), perResource)
}

// seriesLines are the lines of a scrape of metric name.
func seriesLines(body, name string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+"{") {
			out = append(out, l)
		}
	}
	return out
}

// runWatcher runs a watcher on cfg until the test ends and serves its
// handler; it returns once the watcher is ready.
func runWatcher(t *testing.T, cfg *rest.Config) *httptest.Server {
	t.Helper()
	return runWatcherWith(t, watch.Options{Config: cfg})
}

// runWatcherWith is runWatcher with options (Config set by the caller).
func runWatcherWith(t *testing.T, opt watch.Options) *httptest.Server {
	t.Helper()
	opt.Debounce, opt.Version = 200*time.Millisecond, "testenv"
	w, err := watch.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Background(t, "watcher", w.Run)
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

// TestWatchEventsOnLabOne runs the watcher with EmitEvents against the real
// API server: breaking lab 1 records one PathBroken Event on the lab's
// root-cause object, a steady cluster records nothing more, fixing it
// records one PathRecovered Event, and nothing after.
func TestWatchEventsOnLabOne(t *testing.T) {
	ctx := context.Background()
	lab := testenv.Labs()[0]
	runWatcherWith(t, watch.Options{Config: cluster.Config, EmitEvents: true})
	ours := func() []eventsv1.Event {
		list, err := cluster.Client.EventsV1().Events(lab.Object.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []eventsv1.Event
		for _, e := range list.Items {
			r := e.Regarding
			if e.ReportingController == watch.EventController && r.Kind == lab.Object.Kind && r.Name == lab.Object.Name {
				out = append(out, e)
			}
		}
		return out
	}
	before := len(ours())

	fix := breakLab(t, lab)
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool { return len(ours()) > before }) {
		t.Fatalf("no Event on %s after breaking lab 1", lab.Object)
	}
	time.Sleep(2 * time.Second) // steady: later diagnoses must not repeat it
	evs := ours()
	if len(evs) != before+1 {
		t.Fatalf("%d Events on %s while lab 1 stays broken, want 1: %v", len(evs)-before, lab.Object, evs)
	}
	broke := evs[len(evs)-1]
	if broke.Reason != watch.EventReasonPathBroken || broke.Type != corev1.EventTypeWarning || broke.Regarding.UID == "" {
		t.Errorf("PathBroken Event = reason %s, type %s, regarding %+v", broke.Reason, broke.Type, broke.Regarding)
	}

	fix()
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool { return len(ours()) > before+1 }) {
		t.Fatalf("no recovery Event on %s after fixing lab 1", lab.Object)
	}
	time.Sleep(2 * time.Second)
	evs = ours()
	if len(evs) != before+2 {
		t.Fatalf("%d Events on %s after the fix, want 2", len(evs)-before, lab.Object)
	}
	var recovered *eventsv1.Event
	for i := range evs {
		if evs[i].Reason == watch.EventReasonPathRecovered {
			recovered = &evs[i]
		}
	}
	if recovered == nil || recovered.Type != corev1.EventTypeNormal {
		t.Errorf("no Normal PathRecovered Event among %v", evs)
	}
}
