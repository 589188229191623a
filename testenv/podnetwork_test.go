package testenv_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podNetworkManifest is a namespace's worth of pods and Services, one per
// behaviour the pod network promises.
const podNetworkManifest = `
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  containers:
  - {name: app, image: hashicorp/http-echo:0.2.3, ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
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
apiVersion: v1
kind: Pod
metadata:
  name: local-only
  annotations: {hopscope.dev/app: localhost}
spec:
  containers:
  - {name: app, image: shop/api:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: secure
  annotations: {hopscope.dev/app: tls}
spec:
  containers:
  - {name: app, image: shop/api:1.0, ports: [{containerPort: 8443}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: slow
  annotations: {hopscope.dev/app: slow-start=3s}
spec:
  containers:
  - {name: app, image: shop/api:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: moved
  annotations: {hopscope.dev/app: port=8081}
spec:
  containers:
  - {name: app, image: shop/api:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: crash
  annotations:
    hopscope.dev/simulate: crashloop
    hopscope.dev/logs: |
      starting orders-api 2.3.1
      connecting to postgres://orders-db:5432/orders
      dial tcp: lookup orders-db on 10.96.0.10:53: no such host
spec:
  containers:
  - {name: app, image: shop/orders:2.3.1, ports: [{containerPort: 8080}]}
---
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
	tempNamespace(t, ns)
	deploy(t, ns, podNetworkManifest)
	ctx := context.Background()
	pods := cluster.Client.CoreV1().Pods(ns)
	get := func(scheme, pod, port, path string) (string, error) {
		body, err := pods.ProxyGet(scheme, pod, port, path, nil).DoRaw(ctx)
		return string(body), err
	}

	body, err := get("http", "web-1", "8080", "/hello")
	if err != nil || !strings.Contains(body, "pod "+ns+"/web-1 container app port 8080 answered GET /hello with 200") {
		t.Errorf("pods/proxy to web-1:8080: body %q, err %v", body, err)
	}
	// No port: the API server picks the first declared one.
	if body, err := get("", "web-2", "", "/"); err != nil || !strings.Contains(body, "/web-2 ") {
		t.Errorf("pods/proxy to web-2 without a port: body %q, err %v", body, err)
	}

	// services/proxy picks a ready endpoint at random: both pods answer.
	seen := map[string]bool{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		body, err := cluster.Client.CoreV1().Services(ns).ProxyGet("http", "web", "http", "/", nil).DoRaw(ctx)
		if err != nil {
			t.Fatalf("services/proxy to web: %v", err)
		}
		for _, p := range []string{"web-1", "web-2"} {
			if strings.Contains(string(body), "/"+p+" ") {
				seen[p] = true
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("services/proxy reached %v, want both web-1 and web-2", seen)
	}

	refused := []struct{ what, scheme, pod, port string }{
		{"undeclared port", "http", "web-1", "9090"},
		{"app bound to 127.0.0.1", "http", "local-only", "8080"},
		{"app listening on another port", "http", "moved", "8080"},
		{"crash-looping container", "http", "crash", "8080"},
		{"image never pulled", "http", "no-image", "80"},
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
	tempNamespace(t, ns)
	deploy(t, ns, podNetworkManifest)
	ctx := context.Background()
	pods := cluster.Client.CoreV1().Pods(ns)
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
	got, err := logs("web-1", corev1.PodLogOptions{Timestamps: true})
	if err != nil || !strings.HasSuffix(got, " listening on 0.0.0.0:8080 (http)\n") {
		t.Fatalf("web-1 log: %q, err %v", got, err)
	}
	if _, err := time.Parse(time.RFC3339Nano, strings.Fields(got)[0]); err != nil {
		t.Errorf("web-1 log with timestamps: %q: %v", got, err)
	}
	if got, err := logs("local-only", corev1.PodLogOptions{}); err != nil || got != "listening on 127.0.0.1:8080 (http)\n" {
		t.Errorf("local-only log: %q, err %v", got, err)
	}
	// The kubelet's own refusals reach the client as BadRequest.
	for pod, want := range map[string]string{
		"web-1":    `previous terminated container "app" in pod "web-1" not found`,
		"no-image": `container "app" in pod "no-image" is waiting to start: trying and failing to pull image`,
	} {
		_, err := logs(pod, corev1.PodLogOptions{Previous: pod == "web-1"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("logs of %s: err %v, want %q", pod, err, want)
		}
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cluster.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", "crash", "--previous", "--tail=2").CombinedOutput()
	if err != nil || string(out) != "connecting to postgres://orders-db:5432/orders\n"+lookup {
		t.Errorf("kubectl logs --previous --tail=2: %q, err %v", out, err)
	}
	out, err = exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", "web-1", "--previous").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `previous terminated container "app" in pod "web-1" not found`) {
		t.Errorf("kubectl logs --previous of a running container: %q, err %v", out, err)
	}
	// --follow on a running container keeps the stream open until the
	// client leaves.
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, _ = exec.CommandContext(fctx, kubectl, "--kubeconfig", kubeconfig, "-n", ns, "logs", "-f", "web-2").Output()
	if fctx.Err() == nil || string(out) != "listening on 0.0.0.0:8080 (http)\n" {
		t.Errorf("kubectl logs -f web-2: %q (ended before the timeout: %v)", out, fctx.Err() == nil)
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
	const manifest = `
apiVersion: v1
kind: Pod
metadata:
  name: local-probed
  annotations: {hopscope.dev/app: localhost}
spec:
  containers:
  - name: app
    image: shop/api:1.0
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {tcpSocket: {port: http}}
---
apiVersion: v1
kind: Pod
metadata:
  name: local-unprobed
  annotations: {hopscope.dev/app: localhost}
spec:
  containers:
  - {name: app, image: shop/api:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: tls-probed-http
  annotations: {hopscope.dev/app: tls}
spec:
  containers:
  - name: app
    image: shop/api:1.0
    ports: [{containerPort: 8443}]
    readinessProbe: {httpGet: {path: /healthz, port: 8443}}
---
apiVersion: v1
kind: Pod
metadata:
  name: tls-probed-https
  annotations: {hopscope.dev/app: tls}
spec:
  containers:
  - name: app
    image: shop/api:1.0
    ports: [{containerPort: 8443}]
    readinessProbe: {httpGet: {path: /healthz, port: 8443, scheme: HTTPS}}
---
apiVersion: v1
kind: Pod
metadata:
  name: slow-probed
  annotations: {hopscope.dev/app: slow-start=4s}
spec:
  containers:
  - name: app
    image: shop/api:1.0
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /ready, port: 8080}}
`
	if err := cluster.Apply(ctx, []byte(manifest), ns); err != nil {
		t.Fatal(err)
	}
	waitPod(t, ns, "slow-probed", func(p *corev1.Pod) bool { return p.Status.PodIP != "" && !podReady(p) })
	cases := []struct {
		pod, event string // event: the Unhealthy message, "" for a Ready pod
	}{
		{"local-probed", ":8080: connect: connection refused"},
		{"local-unprobed", ""},
		{"tls-probed-http", "HTTP probe failed with statuscode: 400"},
		{"tls-probed-https", ""},
	}
	for _, c := range cases {
		waitPod(t, ns, c.pod, func(p *corev1.Pod) bool { return len(p.Status.ContainerStatuses) > 0 && podReady(p) == (c.event == "") })
	}
	var events *corev1.EventList
	eventually(10*time.Second, 100*time.Millisecond, func() bool {
		var err error
		if events, err = cluster.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
		return hasEvent(events.Items, "local-probed", "Unhealthy", cases[0].event) && hasEvent(events.Items, "tls-probed-http", "Unhealthy", cases[2].event)
	})
	for _, c := range cases {
		if c.event != "" && !hasEvent(events.Items, c.pod, "Unhealthy", c.event) {
			t.Errorf("%s: no Unhealthy Event saying %q; events: %s", c.pod, c.event, eventLines(events.Items, c.pod))
		}
	}
	// The slow starter becomes Ready once its app listens.
	waitPod(t, ns, "slow-probed", podReady)
	body, err := cluster.Client.CoreV1().Pods(ns).ProxyGet("http", "slow-probed", "8080", "/ready", nil).DoRaw(ctx)
	if err != nil || !strings.Contains(string(body), "answered GET /ready with 200") {
		t.Errorf("slow-probed once Ready: body %q, err %v", body, err)
	}
}
