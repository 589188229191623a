package mcpserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// crashingCluster fakes an API server whose namespace shop holds one pod
// that crash-loops because a lookup fails, and whose every other list is
// empty. It counts the GET pods/log requests.
func crashingCluster(t *testing.T) (*genericclioptions.ConfigFlags, func() int) {
	t.Helper()
	var mu sync.Mutex
	logReads := 0
	pod := `{"metadata":{"name":"api-1","namespace":"shop","labels":{"app":"api"}},
		"spec":{"containers":[{"name":"api","image":"example/api:1"}]},
		"status":{"phase":"Running","podIP":"10.244.1.7","conditions":[{"type":"Ready","status":"False"}],
		"containerStatuses":[{"name":"api","ready":false,"restartCount":5,"image":"example/api:1","imageID":"",
		"state":{"waiting":{"reason":"CrashLoopBackOff"}},
		"lastState":{"terminated":{"exitCode":1,"reason":"Error"}}}]}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v1/namespaces/shop/pods/api-1/log":
			mu.Lock()
			logReads++
			mu.Unlock()
			fmt.Fprint(w, "starting\npanic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host\n")
		case r.URL.Path == "/api/v1/namespaces/shop/pods":
			fmt.Fprintf(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[%s]}`, pod)
		case r.URL.Path == "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"shop"}},{"metadata":{"name":"kube-system"}}]}`)
		case strings.HasSuffix(r.URL.Path, "/secrets"):
			fmt.Fprint(w, `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[]}`)
		case r.URL.Path == "/api" || r.URL.Path == "/apis" || strings.HasPrefix(r.URL.Path, "/apis/gateway"):
			http.NotFound(w, r)
		default:
			// Every other LIST of the scan: an empty list of the kind asked.
			fmt.Fprint(w, `{"metadata":{},"items":[]}`)
		}
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: x\n", srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &kubeconfig
	return flags, func() int { mu.Lock(); defer mu.Unlock(); return logReads }
}

// The diagnose tool reads logs only when asked (logs: true), bounded like
// the CLI's, and then the crash's finding quotes the line that explains it.
func TestDiagnoseReadsLogsOnlyWhenAsked(t *testing.T) {
	flags, logReads := crashingCluster(t)
	cs := connect(t, Config{Source: Source{Kube: flags, Namespace: "shop", ExplicitNamespace: true}})

	var plain Diagnosis
	callTool(t, cs, 0, "diagnose", DiagnoseInput{}, &plain)
	if n := logReads(); n != 0 {
		t.Fatalf("%d log reads without logs: true", n)
	}
	for _, f := range plain.Findings {
		if f.Check == "container-log-failure" {
			t.Errorf("a log finding without reading logs: %+v", f)
		}
	}

	var withLogs Diagnosis
	callTool(t, cs, 0, "diagnose", DiagnoseInput{Logs: true}, &withLogs)
	if n := logReads(); n != 1 {
		t.Errorf("%d log reads, want 1 (one failing container)", n)
	}
	found := false
	for _, f := range withLogs.Findings {
		if f.Check == "container-log-failure" && strings.Contains(strings.Join(f.Evidence, "\n"), "line 2: panic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host") {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding quotes the log; findings: %+v", withLogs.Findings)
	}
}
