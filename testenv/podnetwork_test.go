package testenv_test

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/hopscope/hopscope/internal/clusterstate"
	"github.com/hopscope/hopscope/testenv"
)

// podNetworkManifest is a namespace's worth of pods and Services, one per
// behaviour the pod network promises.
var podNetworkManifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: hashicorp/http-echo:0.2.3, ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-wrong-port}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 9090}]
---
` +
	simulatedAppPod("local-only", "localhost", "ports: [{containerPort: 8080}]") +
	simulatedAppPod("secure", "tls", "ports: [{containerPort: 8443}]") +
	simulatedAppPod("mixed", "tls=8443", "ports: [{containerPort: 8443}, {containerPort: 8080}]") +
	simulatedAppPod("slow", "slow-start=3s", "ports: [{containerPort: 8080}]") +
	simulatedAppPod("moved", "port=8081", "ports: [{containerPort: 8080}]") +
	simulatedAppPod("stuck", "hang", "ports: [{containerPort: 8080}]") + `
apiVersion: v1
kind: Pod
metadata:
  name: crash
  annotations: ` + ordersCrashLoop + `
spec:
  containers:
  - {name: app, image: shop/orders:2.3.1, ports: [{containerPort: 8080}]}
---
` + noisyPod("panic: dial tcp 10.96.0.20:5432: i/o timeout") + `
apiVersion: v1
kind: Pod
metadata:
  name: no-image
  annotations: {hopscope.dev/simulate: image-pull}
spec:
  containers:
  - {name: app, image: shop/orders:9.9.9}
`

// TestPodProxyThroughPodNetwork sends pods/proxy and services/proxy
// requests through the real API server, which reaches the simulated apps
// over its egress selector.
func TestPodProxyThroughPodNetwork(t *testing.T) {
	const ns = "podnet-proxy"
	ctx := context.Background()
	pods, web1, web2 := deployPodNetwork(t, ns)
	get := func(scheme, pod, port, path string) (string, error) {
		body, err := pods.ProxyGet(scheme, pod, port, path, nil).DoRaw(ctx)
		return string(body), err
	}

	body, err := get("http", web1, "8080", "/hello")
	if err != nil || !strings.Contains(body, "pod "+ns+"/"+web1+" container app port 8080 answered GET /hello with 200") {
		t.Errorf("pods/proxy to %s:8080: body %q, err %v", web1, body, err)
	}
	// No port: the API server picks the first declared one.
	if body, err := get("", web2, "", "/"); err != nil || !strings.Contains(body, "/"+web2+" ") {
		t.Errorf("pods/proxy to %s without a port: body %q, err %v", web2, body, err)
	}

	// services/proxy picks a ready endpoint at random: both pods answer.
	seen := map[string]bool{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		body, err := cluster.Client.CoreV1().Services(ns).ProxyGet("http", "web", "http", "/", nil).DoRaw(ctx)
		if err != nil {
			t.Fatalf("services/proxy to web: %v", err)
		}
		for _, p := range []string{web1, web2} {
			if strings.Contains(string(body), "/"+p+" ") {
				seen[p] = true
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("services/proxy reached %v, want both %s and %s", seen, web1, web2)
	}

	refused := []struct{ what, scheme, pod, port string }{
		{"undeclared port", "http", web1, "9090"},
		{"app bound to 127.0.0.1", "http", "local-only", "8080"},
		{"app listening on another port", "http", "moved", "8080"},
		{"crash-looping container", "http", "crash", "8080"},
		{"image never pulled", "http", "no-image", "80"},
	}
	// Without a readiness probe nothing notices the app bound to
	// 127.0.0.1: the pod is Ready, and refuses.
	if p, err := pods.Get(ctx, "local-only", metav1.GetOptions{}); err != nil || !clusterstate.PodReady(p) {
		t.Errorf("local-only without a readiness probe is not Ready (err %v)", err)
	}
	for _, c := range refused {
		body, err := get(c.scheme, c.pod, c.port, "/")
		if err == nil || !strings.Contains(body, "connect: connection refused") {
			t.Errorf("%s (%s:%s): body %q, err %v; want connection refused", c.what, c.pod, c.port, body, err)
		}
	}
	if body, err := get("http", "moved", "8081", "/"); err != nil || !strings.Contains(body, "/moved ") {
		t.Errorf("moved app on 8081: body %q, err %v", body, err)
	}
	// A Service whose targetPort no container listens on fails as in a
	// real cluster.
	raw, err := cluster.Client.CoreV1().Services(ns).ProxyGet("http", "web-wrong-port", "http", "/", nil).DoRaw(ctx)
	if err == nil || !strings.Contains(string(raw), ":9090: connect: connection refused") {
		t.Errorf("services/proxy to web-wrong-port: body %q, err %v; want connection refused", raw, err)
	}

	// TLS: HTTPS answers, plain HTTP gets the HTTPS server's 400.
	if body, err := get("https", "secure", "8443", "/"); err != nil || !strings.Contains(body, "/secure ") {
		t.Errorf("https to secure: body %q, err %v", body, err)
	}
	if body, err := get("http", "secure", "8443", "/"); err == nil || !strings.Contains(body+err.Error(), "HTTP request to an HTTPS server") {
		t.Errorf("plain http to secure: body %q, err %v; want the HTTPS server's 400", body, err)
	}
	// tls=8443: HTTPS on 8443, plain HTTP on the pod's other port.
	if body, err := get("https", "mixed", "8443", "/"); err != nil || !strings.Contains(body, "/mixed ") {
		t.Errorf("https to mixed:8443: body %q, err %v", body, err)
	}
	if body, err := get("http", "mixed", "8080", "/"); err != nil || !strings.Contains(body, "/mixed ") {
		t.Errorf("plain http to mixed:8080: body %q, err %v", body, err)
	}
	if body, err := get("http", "mixed", "8443", "/"); err == nil || !strings.Contains(body+err.Error(), "HTTP request to an HTTPS server") {
		t.Errorf("plain http to mixed:8443: body %q, err %v, want the TLS server's 400", body, err)
	}

	// A hung app accepts and never answers: the client times out.
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if body, err := pods.ProxyGet("http", "stuck", "8080", "/", nil).DoRaw(hctx); err == nil || hctx.Err() == nil {
		t.Errorf("hung app: body %q, err %v; want the client's timeout", body, err)
	}

	// A slow start refuses first, then answers.
	if !eventually(15*time.Second, 250*time.Millisecond, func() bool {
		body, err := get("http", "slow", "8080", "/")
		return err == nil && strings.Contains(body, "/slow ")
	}) {
		t.Error("the slow-starting app never answered")
	}
}

// TestContainerLogsThroughKubelet reads logs through the API server's
// pods/log, which reaches the kubelet stand-in's log server, with
// client-go and the kubectl binary.
func TestContainerLogsThroughKubelet(t *testing.T) {
	const ns = "podnet-logs"
	ctx := context.Background()
	pods, web1, web2 := deployPodNetwork(t, ns)
	// Stream, as kubectl does: an error carries the API server's message.
	logs := func(pod string, opts corev1.PodLogOptions) (string, error) {
		r, err := pods.GetLogs(pod, &opts).Stream(ctx)
		if err != nil {
			return "", err
		}
		defer r.Close()
		body, err := io.ReadAll(r)
		return string(body), err
	}
	tail := func(n int64) *int64 { return &n }

	const lookup = "dial tcp: lookup orders-db on 10.96.0.10:53: no such host\n"
	for _, previous := range []bool{true, false} {
		got, err := logs("crash", corev1.PodLogOptions{Previous: previous})
		if err != nil || !strings.HasPrefix(got, "starting orders-api 2.3.1\n") || !strings.HasSuffix(got, lookup) {
			t.Errorf("crash-loop log (previous %v): %q, err %v", previous, got, err)
		}
	}
	if got, err := logs("crash", corev1.PodLogOptions{Previous: true, TailLines: tail(1)}); err != nil || got != lookup {
		t.Errorf("tailLines=1: %q, err %v", got, err)
	}
	if got, err := logs("crash", corev1.PodLogOptions{LimitBytes: tail(8)}); err != nil || got != "starting" {
		t.Errorf("limitBytes=8: %q, err %v", got, err)
	}
	got, err := logs(web1, corev1.PodLogOptions{Timestamps: true})
	if err != nil || !strings.HasSuffix(got, " listening on 0.0.0.0:8080 (http)\n") {
		t.Fatalf("%s log: %q, err %v", web1, got, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, strings.Fields(got)[0]); err != nil {
		t.Errorf("%s log with timestamps: %q: %v", web1, got, err)
	}
	if got, err := logs("local-only", corev1.PodLogOptions{}); err != nil || got != "listening on 127.0.0.1:8080 (http)\n" {
		t.Errorf("local-only log: %q, err %v", got, err)
	}
	// The kubelet's own refusals reach the client as BadRequest.
	for pod, want := range map[string]string{
		web1:       `previous terminated container "app" in pod "` + web1 + `" not found`,
		"no-image": `container "app" in pod "no-image" is waiting to start: trying and failing to pull image`,
	} {
		_, err := logs(pod, corev1.PodLogOptions{Previous: pod == web1})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("logs of %s: err %v, want %q", pod, err, want)
		}
	}

	// A 1 GiB log costs a bounded reader its bound, and the log server
	// counts what it sent.
	before := len(readsOf(ns, "noisy"))
	if got, err := logs("noisy", corev1.PodLogOptions{Previous: true, LimitBytes: tail(64 << 10)}); err != nil || len(got) != 64<<10 || !strings.HasPrefix(got, "padding line 1 of ") {
		t.Errorf("limitBytes=64KiB of a 1 GiB log: %d bytes starting %.40q, err %v", len(got), got, err)
	}
	if got, err := logs("noisy", corev1.PodLogOptions{Previous: true, TailLines: tail(2)}); err != nil ||
		!strings.HasPrefix(got, "padding line 8388608 of ") || !strings.HasSuffix(got, ".\npanic: dial tcp 10.96.0.20:5432: i/o timeout\n") {
		t.Errorf("tailLines=2 of a 1 GiB log: %q, err %v", got, err)
	}
	reads := readsOf(ns, "noisy")[before:]
	if len(reads) != 2 || reads[0].Bytes != 64<<10 || reads[1].Bytes != int64(128+len("panic: dial tcp 10.96.0.20:5432: i/o timeout\n")) || !reads[0].Previous {
		t.Errorf("log reads of noisy: %+v", reads)
	}

	kubectl := kubectlBinary(t)
	kubeconfig := writeKubeconfig(t)
	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", "crash", "--previous", "--tail=2").CombinedOutput()
	if err != nil || string(out) != "connecting to postgres://orders-db:5432/orders\n"+lookup {
		t.Errorf("kubectl logs --previous --tail=2: %q, err %v", out, err)
	}
	out, err = exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", web1, "--previous").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `previous terminated container "app" in pod "`+web1+`" not found`) {
		t.Errorf("kubectl logs --previous of a running container: %q, err %v", out, err)
	}
	// --follow on a running container keeps the stream open until the
	// client leaves.
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, _ = exec.CommandContext(fctx, kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", "-f", web2).Output()
	if fctx.Err() == nil || string(out) != "listening on 0.0.0.0:8080 (http)\n" {
		t.Errorf("kubectl logs -f %s: %q (ended before the timeout: %v)", web2, out, fctx.Err() == nil)
	}
}

// TestAppBehaviourDrivesReadiness checks that a readiness probe judges the
// simulated app as the kubelet probing the pod IP would: refused on an app
// bound to 127.0.0.1, 400 from a TLS app probed in plain HTTP, passing once
// a slow start is over.
func TestAppBehaviourDrivesReadiness(t *testing.T) {
	const ns = "podnet-readiness"
	tempNamespace(t, ns)
	ctx := context.Background()
	manifest := simulatedAppPod("local-probed", "localhost", "ports: [{name: http, containerPort: 8080}], readinessProbe: {tcpSocket: {port: http}}") +
		simulatedAppPod("tls-probed-http", "tls", "ports: [{containerPort: 8443}], readinessProbe: {httpGet: {path: /healthz, port: 8443}}") +
		simulatedAppPod("tls-probed-https", "tls", "ports: [{containerPort: 8443}], readinessProbe: {httpGet: {path: /healthz, port: 8443, scheme: HTTPS}}") +
		simulatedAppPod("hung-probed", "hang", "ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /healthz, port: 8080}}") +
		simulatedAppPod("slow-probed", "slow-start=4s", "ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /ready, port: 8080}}")
	if err := cluster.Apply(ctx, []byte(manifest), ns); err != nil {
		t.Fatal(err)
	}
	waitPod(t, ns, "slow-probed", func(p *corev1.Pod) bool { return p.Status.PodIP != "" && !clusterstate.PodReady(p) })
	cases := []struct {
		pod, event string // event: the Unhealthy message, "" for a Ready pod
	}{
		{"local-probed", ":8080: connect: connection refused"},
		{"tls-probed-http", "HTTP probe failed with statuscode: 400"},
		{"tls-probed-https", ""},
		{"hung-probed", "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"},
	}
	for _, c := range cases {
		waitPod(t, ns, c.pod, func(p *corev1.Pod) bool {
			return len(p.Status.ContainerStatuses) > 0 && clusterstate.PodReady(p) == (c.event == "")
		})
	}
	events := eventsOnceRecorded(t, ns, func(evs []corev1.Event) bool {
		for _, c := range cases {
			if c.event != "" && !hasEvent(evs, c.pod, "Unhealthy", c.event) {
				return false
			}
		}
		return true
	})
	for _, c := range cases {
		if c.event != "" && !hasEvent(events, c.pod, "Unhealthy", c.event) {
			t.Errorf("%s: no Unhealthy Event saying %q; events: %s", c.pod, c.event, eventLines(events, c.pod))
		}
	}
	// The slow starter becomes Ready once its app listens.
	waitPod(t, ns, "slow-probed", clusterstate.PodReady)
	body, err := cluster.Client.CoreV1().Pods(ns).ProxyGet("http", "slow-probed", "8080", "/ready", nil).DoRaw(ctx)
	if err != nil || !strings.Contains(string(body), "answered GET /ready with 200") {
		t.Errorf("slow-probed once Ready: body %q, err %v", body, err)
	}
}

// readsOf are the kubelet stand-in's log reads of one pod.
func readsOf(ns, pod string) []testenv.LogRead {
	var out []testenv.LogRead
	for _, r := range cluster.Kubelet.LogReads() {
		if r.Namespace == ns && r.Pod == pod {
			out = append(out, r)
		}
	}
	return out
}

// deployPodNetwork deploys podNetworkManifest into a namespace of its own
// and returns its pods and the names of the two pods of Deployment web.
func deployPodNetwork(t *testing.T, ns string) (pods corev1client.PodInterface, web1, web2 string) {
	t.Helper()
	namespaceWith(t, ns, podNetworkManifest)
	pods = cluster.Client.CoreV1().Pods(ns)
	list, err := pods.List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("Deployment web has %d pods, want 2", len(list.Items))
	}
	return pods, list.Items[0].Name, list.Items[1].Name
}
