// Package apiservertest starts stand-ins for the Kubernetes API server in
// unit tests that count what hopscope asks of a cluster: each request is
// recorded before the test's handler answers it, so a test can say that a
// scan or a probe cost exactly the requests it should.
//
//	srv, requests := apiservertest.Recording(t, func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}`)
//	})
//	// ... point a rest.Config at srv.URL, run the code under test ...
//	// requests() is ["GET /api/v1/namespaces/shop"]
package apiservertest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// Recording starts an API server stand-in that records every request as
// "METHOD PATH", sets the JSON content type the API server answers with,
// and hands the request to answer. requests returns what it got so far;
// the server closes when the test ends.
func Recording(t testing.TB, answer http.HandlerFunc) (srv *httptest.Server, requests func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}
