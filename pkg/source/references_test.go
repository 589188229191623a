package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/internal/apiservertest"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// namespaceServer fakes the API server for FollowReferences and records
// every request as "METHOD PATH": namespace shop holds Service orders,
// namespace locked refuses both requests, any other namespace is not
// found.
func namespaceServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	return apiservertest.Recording(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/namespaces/shop":
			fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}`)
		case "/api/v1/namespaces/shop/services":
			fmt.Fprint(w, `{"kind":"ServiceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"orders","namespace":"shop"},"spec":{"ports":[{"port":80}]}}]}`)
		case "/api/v1/namespaces/locked", "/api/v1/namespaces/locked/services":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"User \"dev\" cannot get this in namespace \"locked\""}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"namespaces not found"}`)
		}
	})
}

func liveScopedSnapshot() *snapshot.Snapshot {
	s := snapshot.New()
	s.Live = true
	s.Listed[snapshot.KindService+"/web"] = true
	s.Index()
	return s
}

// Each namespace a name points into costs one GET of the Namespace and,
// when it may exist, one LIST of its Services; nothing is asked of the
// whole cluster, and a refusal is a note, not an error.
func TestFollowReferencesAsksEachNamespaceOnce(t *testing.T) {
	srv, reqs := namespaceServer(t)
	s := liveScopedSnapshot()
	live := NewLiveForConfig(&rest.Config{Host: srv.URL}, "web")
	if err := live.FollowReferences(context.Background(), s, []string{"gone", "locked", "shop"}); err != nil {
		t.Fatal(err)
	}
	got := reqs()
	slices.Sort(got)
	want := []string{
		"GET /api/v1/namespaces/gone",
		"GET /api/v1/namespaces/locked",
		"GET /api/v1/namespaces/locked/services",
		"GET /api/v1/namespaces/shop",
		"GET /api/v1/namespaces/shop/services",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.Service("shop", "orders") == nil || s.Namespace("shop") == nil || !s.Knows(snapshot.KindService, "shop") {
		t.Errorf("shop's Service and Namespace not in the snapshot: listed %v", s.Listed)
	}
	if !s.Listed[snapshot.KindNamespace+"/gone"] || s.Namespace("gone") != nil || s.Knows(snapshot.KindService, "gone") {
		t.Errorf("gone: want looked up and absent, listed %v", s.Listed)
	}
	if why := s.Forbidden[snapshot.KindService+"/locked"]; !strings.HasPrefix(why, "forbidden: ") || s.Knows(snapshot.KindService, "locked") {
		t.Errorf("locked Services: %q", why)
	}
	if why := s.Forbidden[snapshot.KindNamespace+"/locked"]; !strings.HasPrefix(why, "forbidden: ") {
		t.Errorf("locked Namespace: %q", why)
	}
}

// When the scan listed the cluster's Namespaces they answer whether one
// exists: only the LIST of Services is sent.
func TestFollowReferencesTrustsListedNamespaces(t *testing.T) {
	srv, reqs := namespaceServer(t)
	s := liveScopedSnapshot()
	s.Listed[snapshot.KindNamespace] = true
	if err := s.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, snapshot.Origin{}); err != nil {
		t.Fatal(err)
	}
	s.Index()
	if err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "web").FollowReferences(context.Background(), s, []string{"gone", "shop"}); err != nil {
		t.Fatal(err)
	}
	if got := reqs(); !slices.Equal(got, []string{"GET /api/v1/namespaces/shop/services"}) {
		t.Errorf("requests %v, want only the LIST of shop's Services", got)
	}
}

func TestFollowReferencesStopsAtTheBound(t *testing.T) {
	srv, reqs := namespaceServer(t)
	s := liveScopedSnapshot()
	var names []string
	for i := range MaxFollowedNamespaces + 3 {
		names = append(names, fmt.Sprintf("ns-%02d", i))
	}
	if err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "web").FollowReferences(context.Background(), s, names); err != nil {
		t.Fatal(err)
	}
	if n := len(reqs()); n != MaxFollowedNamespaces {
		t.Errorf("%d requests, want %d", n, MaxFollowedNamespaces)
	}
	last := names[len(names)-1]
	if why := s.Forbidden[snapshot.KindService+"/"+last]; !strings.Contains(why, "not followed") || !strings.Contains(why, "-n "+last) {
		t.Errorf("namespace past the bound: %q", why)
	}
}

func TestFollowReferencesWithNothingNamedSendsNothing(t *testing.T) {
	srv, reqs := namespaceServer(t)
	if err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "web").FollowReferences(context.Background(), liveScopedSnapshot(), nil); err != nil {
		t.Fatal(err)
	}
	if got := reqs(); len(got) != 0 {
		t.Errorf("requests for no namespace: %v", got)
	}
}

// LoadAndFollow: the scan, the namespaces the follow-up names, then the
// logs it wants, asked twice and read once.
func TestLoadAndFollowReadsEachWantedLogOnce(t *testing.T) {
	var mu sync.Mutex
	var reqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/namespaces/web/pods", "/api/v1/namespaces/kube-system/pods":
			fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`)
		case "/api/v1/namespaces/shop":
			fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}`)
		case "/api/v1/namespaces/shop/services":
			fmt.Fprint(w, `{"kind":"ServiceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"orders","namespace":"shop"}}]}`)
		case "/api/v1/namespaces/web/pods/api-1/log":
			fmt.Fprint(w, "dial tcp: lookup orders.shop on 10.96.0.10:53: i/o timeout\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	live := NewLiveForConfig(&rest.Config{Host: srv.URL}, "web")
	live.Kinds = map[string]bool{snapshot.KindPod: true}
	asked := 0
	s, err := live.LoadAndFollow(context.Background(), FollowUp{
		Namespaces: func(*snapshot.Snapshot) []string { return []string{"shop"} },
		Logs: func(s *snapshot.Snapshot) []snapshot.ContainerLog {
			asked++
			if s.Service("shop", "orders") == nil {
				t.Error("logs picked before the references were followed")
			}
			return []snapshot.ContainerLog{{Namespace: "web", Pod: "api-1", Container: "api"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if asked != 2 || len(s.Logs) != 1 {
		t.Errorf("logs asked %d times, %d read; want asked twice, read once", asked, len(s.Logs))
	}
	mu.Lock()
	defer mu.Unlock()
	if n := slices.Index(reqs, "/api/v1/namespaces/web/pods/api-1/log"); n < 0 || slices.Index(reqs[n+1:], reqs[n]) >= 0 {
		t.Errorf("requests %v: want the log read exactly once", reqs)
	}
}
