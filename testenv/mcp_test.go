package testenv_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/hopscope/hopscope/internal/cli/clitest"
)

// apiCounter is a reverse proxy in front of the real API server that
// records the method and URL of every request passing through it, so a
// test sees exactly what a client asked the cluster for.
type apiCounter struct {
	mu       sync.Mutex
	requests []string
}

func (c *apiCounter) record(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, r.Method+" "+r.URL.RequestURI())
}

func (c *apiCounter) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// countingKubeconfig starts the proxy and writes a kubeconfig that reaches
// the cluster only through it; the proxy authenticates upstream as the
// cluster's admin, so nothing the client may do is hidden by RBAC.
func countingKubeconfig(t *testing.T) (string, *apiCounter) {
	t.Helper()
	upstream, err := url.Parse(cluster.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	counter := &apiCounter{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Header.Del("Authorization")
		},
		Transport: transport,
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.record(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	kc := clientcmdapi.NewConfig()
	kc.Clusters["counted"] = &clientcmdapi.Cluster{
		Server:                   srv.URL,
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
	}
	kc.AuthInfos["anyone"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["counted"] = &clientcmdapi.Context{Cluster: "counted", AuthInfo: "anyone", Namespace: "default"}
	kc.CurrentContext = "counted"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path, counter
}

// shopIngress routes shop.test to the web Service of webApp.
const shopIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  ingressClassName: nginx
  rules:
  - host: shop.test
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
`

// TestMCPToolsOnlyRead runs `hopscope mcp` against the real API server
// through a request counter and calls every tool, the way an assistant
// would, with the arguments that make each one read the cluster. The
// counter must see requests, and every one a GET (a get or a list): no
// tool can write, patch, delete or even watch.
func TestMCPToolsOnlyRead(t *testing.T) {
	const ns = "mcp-reads"
	namespaceWith(t, ns, webApp+"---"+orphanService+"---"+shopIngress)
	kubeconfig, counter := countingKubeconfig(t)

	bin := clitest.Build(t, "hopscope")
	cmd := exec.Command(bin, "mcp", "--kubeconfig", kubeconfig, "-n", ns)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "hopscope-testenv", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("start hopscope mcp: %v\nstderr: %s", err, stderr.String())
	}
	defer cs.Close()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string][]map[string]any{
		"diagnose": {
			{},
			{"allNamespaces": true, "includeHealthy": true},
			{"namespace": "kube-system", "severity": "warning"},
			{"namespace": "no-such-namespace"},
		},
		"trace": {
			{"entries": []string{"service/orphan", "ingress/shop"}},
			{"entries": []string{"http://shop.test/"}},
			{"entries": []string{"service/web"}, "namespace": ns},
		},
		"explain_check": {{"id": "service-selector-matches-no-pods"}},
		"list_checks":   {{}},
		"list_labs":     {{}},
		"show_lab":      {{"id": "1", "reveal": "solution"}},
	}
	for _, tool := range tools.Tools {
		args, ok := calls[tool.Name]
		if !ok {
			t.Errorf("tool %s is not exercised by this test: add its calls", tool.Name)
			continue
		}
		for _, a := range args {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool.Name, Arguments: a})
			if err != nil {
				t.Fatalf("%s %v: %v", tool.Name, a, err)
			}
			text := ""
			if len(res.Content) > 0 {
				text = res.Content[0].(*mcp.TextContent).Text
			}
			wantError := a["namespace"] == "no-such-namespace"
			if res.IsError != wantError {
				t.Errorf("%s %v: error %v, want %v: %s", tool.Name, a, res.IsError, wantError, text)
			}
			if tool.Name == "diagnose" && len(a) == 0 && !strings.Contains(text, "Service/"+ns+"/orphan") {
				t.Errorf("diagnose of namespace %s does not find the orphan Service, so the cluster was not read:\n%s", ns, text)
			}
		}
	}
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}

	requests := counter.seen()
	if len(requests) == 0 {
		t.Fatal("no request reached the API server: the tools did not read the cluster")
	}
	var lists bool
	for _, r := range requests {
		method, uri, _ := strings.Cut(r, " ")
		if method != http.MethodGet || strings.Contains(uri, "watch=true") {
			t.Errorf("a tool call made %s: only gets and lists are allowed", r)
		}
		lists = lists || strings.Contains(uri, "/pods")
	}
	if !lists {
		t.Errorf("no pod list among %d requests: the counter did not see the scans", len(requests))
	}
	t.Logf("%d requests reached the API server, every one a GET", len(requests))
}

// TestMCPRequestCounterSeesWrites proves the counter of TestMCPToolsOnlyRead
// can fail it: a write through the same proxy is recorded as one.
func TestMCPRequestCounterSeesWrites(t *testing.T) {
	const ns = "mcp-counter"
	tempNamespace(t, ns)
	kubeconfig, counter := countingKubeconfig(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "written"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create through the counting proxy: %v", err)
	}
	if !slices.ContainsFunc(counter.seen(), func(r string) bool { return strings.HasPrefix(r, http.MethodPost+" ") }) {
		t.Errorf("the counter did not record the create: %q", counter.seen())
	}
}
