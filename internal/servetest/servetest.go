// Package servetest runs a long-lived part of hopscope (the watcher, a
// server) for a test: in the background until the test ends, read over
// HTTP. The unit tests of a package and the end-to-end tests of testenv
// run and read it the same way.
//
//	servetest.Background(t, "watcher", w.Run)
//	code, body := servetest.Get(t, srv.URL+"/metrics")
package servetest

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// Background runs run until the test ends, then cancels its context and
// waits for it; an error it returns fails t, named by what.
func Background(t testing.TB, what string, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", what, err)
		}
	})
}

// Get fetches url and returns the status code and body, failing t when
// the request or the read fails.
func Get(t testing.TB, url string) (int, string) {
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
