package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// A fake API server for GET pods/log: it records every request, answers
// Forbidden for the pod "locked", and a log far above the bound for the
// pod "chatty" (honouring limitBytes as the kubelet does, so the test sees
// the client ask for it).
func podLogServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var reqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		if q.Get("tailLines") != fmt.Sprint(logscan.MaxLines) || q.Get("limitBytes") != fmt.Sprint(logscan.MaxBytes) {
			http.Error(w, "unbounded log request", http.StatusTeapot)
			return
		}
		switch r.URL.Path {
		case "/api/v1/namespaces/shop/pods/locked/log":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,`+
				`"message":"pods \"locked\" is forbidden: User \"dev\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"shop\""}`)
		case "/api/v1/namespaces/shop/pods/api-1/log":
			if q.Get("container") != "api" || q.Get("previous") != "true" {
				http.Error(w, "wrong container or run", http.StatusTeapot)
				return
			}
			fmt.Fprint(w, "starting\npanic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host\n")
		case "/api/v1/namespaces/shop/pods/chatty/log":
			line := strings.Repeat("x", 99) + "\n"
			body := strings.Repeat(line, 1<<14) // 1.6 MB
			limit := logscan.MaxBytes
			fmt.Fprint(w, body[:limit])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), reqs...) }
}

func TestReadLogsFetchesOnlyTheWantedLogsBounded(t *testing.T) {
	srv, reqs := podLogServer(t)
	live := NewLiveForConfig(&rest.Config{Host: srv.URL}, "shop")
	s := snapshot.New()
	wanted := []snapshot.ContainerLog{
		{Namespace: "shop", Pod: "api-1", Container: "api", Previous: true},
		{Namespace: "shop", Pod: "locked", Container: "web"},
		{Namespace: "shop", Pod: "chatty", Container: "app"},
	}
	if err := live.ReadLogs(context.Background(), s, wanted); err != nil {
		t.Fatal(err)
	}
	if got := reqs(); len(got) != len(wanted) {
		t.Fatalf("%d requests, want one per wanted log: %v", len(got), got)
	}
	if len(s.Logs) != 3 {
		t.Fatalf("logs = %+v", s.Logs)
	}
	if l := s.Logs[0]; !strings.Contains(l.Tail, "no such host") || l.Unread != "" || l.Truncated {
		t.Errorf("api-1 log = %+v", l)
	}
	if l := s.Logs[1]; !strings.HasPrefix(l.Unread, "forbidden: ") || l.Tail != "" {
		t.Errorf("forbidden log = %+v", l)
	}
	if l := s.Logs[2]; len(l.Tail) > logscan.MaxBytes || !l.Truncated || !strings.HasSuffix(l.Tail, "\n") {
		t.Errorf("chatty log: %d bytes, truncated %v", len(l.Tail), l.Truncated)
	}
}

func TestReadLogsWithNothingWantedSendsNothing(t *testing.T) {
	srv, reqs := podLogServer(t)
	if err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "shop").ReadLogs(context.Background(), snapshot.New(), nil); err != nil {
		t.Fatal(err)
	}
	if got := reqs(); len(got) != 0 {
		t.Errorf("requests for no wanted log: %v", got)
	}
}

// A log the API server cannot serve (its kubelet is unreachable) is "not
// read", with the server's words; the diagnosis goes on.
func TestReadLogsKeepsWhyALogWasNotRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","code":500,"message":"Get \"https://10.0.0.4:10250/containerLogs/shop/api-1/api\": dial tcp 10.0.0.4:10250: connect: connection refused"}`)
	}))
	defer srv.Close()
	s := snapshot.New()
	err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "shop").ReadLogs(context.Background(), s,
		[]snapshot.ContainerLog{{Namespace: "shop", Pod: "api-1", Container: "api"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Logs) != 1 || !strings.HasPrefix(s.Logs[0].Unread, "not read: ") || !strings.Contains(s.Logs[0].Unread, "10250") {
		t.Errorf("logs = %+v", s.Logs)
	}
}

// A server that does not answer at all ends the pass with an error that
// names the pod.
func TestReadLogsNamesThePodWhenTheServerIsGone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := NewLiveForConfig(&rest.Config{Host: url}, "shop").ReadLogs(context.Background(), snapshot.New(),
		[]snapshot.ContainerLog{{Namespace: "shop", Pod: "api-1", Container: "api"}})
	if err == nil || !strings.Contains(err.Error(), "pod shop/api-1") {
		t.Errorf("err = %v", err)
	}
}

func TestReadLogsStopsAtMaxLogRequests(t *testing.T) {
	srv, reqs := podLogServer(t)
	var wanted []snapshot.ContainerLog
	for i := 0; i < MaxLogRequests+3; i++ {
		wanted = append(wanted, snapshot.ContainerLog{Namespace: "shop", Pod: fmt.Sprintf("gone-%d", i), Container: "app"})
	}
	s := snapshot.New()
	if err := NewLiveForConfig(&rest.Config{Host: srv.URL}, "shop").ReadLogs(context.Background(), s, wanted); err != nil {
		t.Fatal(err)
	}
	if n := len(reqs()); n != MaxLogRequests {
		t.Errorf("%d requests, want %d", n, MaxLogRequests)
	}
	if len(s.Logs) != len(wanted) || !strings.HasPrefix(s.Logs[len(wanted)-1].Unread, "not fetched: ") {
		t.Errorf("last log = %+v", s.Logs[len(s.Logs)-1])
	}
}
