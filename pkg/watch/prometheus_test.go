package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/testbinary"
)

// RequirePrometheusEnv makes a missing prometheus binary a failure instead
// of a skip; CI sets it, where the binary is installed.
const RequirePrometheusEnv = "HOPSCOPE_REQUIRE_PROMETHEUS"

// prometheusBinary finds the named Prometheus tool or skips the test
// (fails it when RequirePrometheusEnv is 1).
func prometheusBinary(t *testing.T, name string) string {
	return testbinary.Find(t, RequirePrometheusEnv, "apt-get install prometheus", name)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPrometheusScrapesTheWatcher starts a real Prometheus server on
// loopback, with its own data directory and port, scraping a watcher that
// diagnoses the seed's lab 1, and queries its HTTP API until the finding
// is stored with the labels a dashboard and an alert select on.
func TestPrometheusScrapesTheWatcher(t *testing.T) {
	bin := prometheusBinary(t, "prometheus")
	cl, _ := fakeClients(apiService("api"), apiPod())
	_, target := start(t, cl)

	dir := t.TempDir()
	targetURL, err := url.Parse(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
- job_name: hopscope
  static_configs:
  - targets: [%q]
    labels:
      cluster: test
`, targetURL.Host)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			_ = cmd.Wait()
		}
	})

	query := "http://" + listen + "/api/v1/query?query=" + url.QueryEscape(`hopscope_findings{check="`+selectorCheck+`"}`)
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		resp, err := http.Get(query)
		if err != nil {
			last = err.Error()
			continue
		}
		var answer struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  []any             `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil || answer.Status != "success" || len(answer.Data.Result) == 0 {
			last = fmt.Sprintf("status %q, %d series, err %v", answer.Status, len(answer.Data.Result), err)
			continue
		}
		m := answer.Data.Result[0].Metric
		if m["namespace"] != "lab1" || m["severity"] != "error" || m["layer"] != "service" || m["cluster"] != "test" || m["job"] != "hopscope" {
			t.Fatalf("stored series has labels %v, want namespace=lab1 severity=error layer=service cluster=test job=hopscope", m)
		}
		if v := answer.Data.Result[0].Value; len(v) != 2 || v[1] != "1" {
			t.Fatalf("stored value %v, want 1", v)
		}
		return
	}
	// Stop the server before reading its log: it writes until it exits.
	cancel()
	_ = cmd.Wait()
	stopped = true
	t.Fatalf("Prometheus never stored hopscope_findings for %s (last answer: %s)\nprometheus log:\n%s", selectorCheck, last, logs.String())
}
