package testenv_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/testenv"
)

// These tests run `hopscope diagnose` as a user does against the real API
// server, whose pods/log requests reach the kubelet stand-in's log server,
// and count what that server sent (Kubelet.LogReads).

// logsLab is a namespace of healthy apps (web: two replicas behind a
// Service; echo: a bare pod behind its own) and one broken workload:
// orders' three replicas crash on a lookup of orders-db, which no Service
// answers. Only orders' log may be read, and only once.
const logsLab = webApp + `---
apiVersion: v1
kind: Pod
metadata:
  name: echo
  labels: {app: echo}
spec:
  containers:
  - {name: app, image: hashicorp/http-echo:0.2.3, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  replicas: 3
  selector: {matchLabels: {app: orders}}
  template:
    metadata:
      labels: {app: orders}
      annotations: ` + ordersCrashLoop + `
    spec:
      containers:
      - {name: app, image: shop/orders:2.3.1, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: orders}
spec:
  selector: {app: orders}
  ports: [{port: 80, targetPort: 8080}]
`

// diagnoseJSON runs `hopscope diagnose -n ns -o json` (no -n when ns is
// "") with extra flags and returns the report, its exit code and stderr.
func diagnoseJSON(t *testing.T, ns string, extra ...string) (diagnose.Result, int, string) {
	t.Helper()
	kubeconfig := writeKubeconfig(t)
	args := []string{"diagnose", "-o", "json"}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	out, errOut, code := hopscope(t, kubeconfig, append(args, extra...)...)
	var res diagnose.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("hopscope diagnose -n %s %v: exit %d, not JSON (%v)\n%s\n%s", ns, extra, code, err, out, errOut)
	}
	return res, code, errOut
}

// logReadsDuring are the log reads the kubelet stand-in answered while f
// ran, in every namespace.
func logReadsDuring(f func()) []testenv.LogRead {
	before := len(cluster.Kubelet.LogReads())
	f()
	return cluster.Kubelet.LogReads()[before:]
}

// findingBy is the finding of check on the object named name, nil when
// there is none.
func findingBy(res diagnose.Result, check, name string) *diagnose.Finding {
	for i, f := range res.Findings {
		if f.Check == check && f.Object.Name == name {
			return &res.Findings[i]
		}
	}
	return nil
}

// serveLogs makes the kubelet stand-in answer log as the log of each of
// pods (testenv.LogsAnnotation) until the test ends.
func serveLogs(t *testing.T, pods []corev1.Pod, log string) {
	t.Helper()
	ctx := context.Background()
	annotate := func(value any) {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{testenv.LogsAnnotation: value}}})
		for _, p := range pods {
			if _, err := cluster.Client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	annotate(log)
	t.Cleanup(func() { annotate(nil) })
}

// TestCrashLoopLogIsReadOnceAndQuoted: the crash loop's finding moves to
// the DNS layer and quotes its previous run's matching line with its line
// number; the diagnosis reads exactly one log, the previous run of one
// orders replica, and none of the healthy web and echo pods nor CoreDNS.
func TestCrashLoopLogIsReadOnceAndQuoted(t *testing.T) {
	const ns = "logs-crash"
	namespaceWith(t, ns, logsLab)
	var res diagnose.Result
	var code int
	var errOut string
	reads := logReadsDuring(func() { res, code, errOut = diagnoseJSON(t, ns) })
	if code != 1 {
		t.Errorf("exit %d, want 1 (findings)\n%s", code, errOut)
	}
	f := findingBy(res, "container-log-failure", "orders")
	if f == nil {
		t.Fatalf("no container-log-failure on Deployment orders; findings:\n  %s", keys(&res))
	}
	evidence := strings.Join(f.Evidence, "\n")
	if f.Layer != diagnose.LayerDNS || !strings.Contains(f.Cause, "orders-db") ||
		!strings.Contains(evidence, "previous run") ||
		!strings.Contains(evidence, "log line 3: dial tcp: lookup orders-db on 10.96.0.10:53: no such host") {
		t.Errorf("finding %s on layer %s, cause %q, evidence:\n%s\nwant the DNS layer, orders-db, and line 3 of the previous run quoted",
			f.Key(), f.Layer, f.Cause, evidence)
	}
	for _, tr := range res.Traces {
		if tr.Entry == "Service/"+ns+"/orders" && tr.RootCause != f.Key() {
			t.Errorf("orders' root cause is %q, want the log's finding %q", tr.RootCause, f.Key())
		}
	}
	if len(reads) != 1 || reads[0].Namespace != ns || !strings.HasPrefix(reads[0].Pod, "orders-") || reads[0].Container != "app" || !reads[0].Previous {
		t.Errorf("log reads during the diagnosis: %+v, want exactly one, of the previous run of one orders pod's container app", reads)
	}
}

// noisyLab is a crash loop whose log is 1 GiB of lines before the one
// that explains it.
var noisyLab = noisyPod("dial tcp: lookup orders-db on 10.96.0.10:53: no such host")

// TestHugeLogCostsTheBound: reading a 1 GiB log costs at most
// logscan.MaxBytes (docs/logs.md: 64 KiB) sent by the kubelet, and its
// last line is still quoted.
func TestHugeLogCostsTheBound(t *testing.T) {
	const ns = "logs-huge"
	namespaceWith(t, ns, noisyLab)
	var res diagnose.Result
	reads := logReadsDuring(func() { res, _, _ = diagnoseJSON(t, ns) })
	if len(reads) != 1 || reads[0].Pod != "noisy" {
		t.Fatalf("log reads: %+v, want one of noisy", reads)
	}
	t.Logf("a 1 GiB log cost %d bytes", reads[0].Bytes)
	if reads[0].Bytes > logscan.MaxBytes || logscan.MaxBytes != 64<<10 {
		t.Errorf("a 1 GiB log cost %d bytes; the documented bound is 64 KiB (logscan.MaxBytes %d)", reads[0].Bytes, logscan.MaxBytes)
	}
	f := findingBy(res, "container-log-failure", "noisy")
	if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), ": dial tcp: lookup orders-db on 10.96.0.10:53: no such host") {
		t.Errorf("the line after 1 GiB of padding is not quoted: %+v", f)
	}
}

// logLessReader may read everything hopscope lists in the namespace but
// not pods/log: RBAC on "pods" does not reach the subresource.
var logLessReader = userRole("dave", "log-less-reader", `
- apiGroups: ["", apps, batch, networking.k8s.io, discovery.k8s.io]
  resources: [pods, services, endpoints, events, configmaps, secrets, replicationcontrollers,
    deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, ingresses, networkpolicies, endpointslices]
  verbs: [get, list, watch]`)

// TestForbiddenLogIsNotChecked: a user without pods/log gets the crash
// loop's own finding, the log "not checked: forbidden" in the summary, the
// exit code of the findings and no error; the kubelet is never asked.
func TestForbiddenLogIsNotChecked(t *testing.T) {
	const ns = "logs-forbidden"
	namespaceWith(t, ns, logsLab+"---\n"+logLessReader)
	var res diagnose.Result
	var code int
	var errOut string
	reads := logReadsDuring(func() { res, code, errOut = diagnoseJSON(t, ns, "--as", "dave") })
	if code != 1 || strings.TrimSpace(errOut) != "exit 1" {
		t.Errorf("exit %d, stderr %q; want 1 for the findings and nothing else", code, errOut)
	}
	if len(reads) != 0 {
		t.Errorf("the kubelet served %+v to a user without pods/log", reads)
	}
	if f := findingBy(res, "container-log-failure", "orders"); f != nil {
		t.Errorf("a log dave may not read was judged: %s", f.Key())
	}
	crash := false
	for _, f := range res.Findings {
		crash = crash || (f.Check == "container-crashloop" && strings.HasPrefix(f.Object.Name, "orders-"))
	}
	if !crash {
		t.Errorf("the crash loop itself is not reported; findings:\n  %s", keys(&res))
	}
	notChecked := strings.Join(res.Summary.NotChecked, "\n")
	if !strings.Contains(notChecked, "log of container app not checked: forbidden: ") || !strings.Contains(notChecked, `User "dave" cannot get resource "pods/log"`) {
		t.Errorf("summary does not say the log was not checked (forbidden):\n%s", notChecked)
	}
	for _, line := range res.Summary.NotChecked {
		if strings.Contains(line, "/"+ns+":") {
			t.Errorf("dave may list every kind in %s, yet: %s", ns, line)
		}
	}
}

// dnsTimeoutLab is a crash loop whose log shows lookups timing out: the
// cluster DNS is implicated, so CoreDNS's log is read too.
const dnsTimeoutLab = `
apiVersion: v1
kind: Pod
metadata:
  name: orders
  annotations:
    hopscope.dev/simulate: crashloop
    hopscope.dev/logs: |
      starting orders-api 2.3.1
      dial tcp: lookup orders-db.logs-dns.svc.cluster.local on 10.96.0.10:53: read udp 10.244.0.9:41234->10.96.0.10:53: i/o timeout
spec:
  containers:
  - {name: app, image: shop/orders:2.3.1}
`

// TestCoreDNSLogReadWhenLookupsTimeOut: a crash whose log shows a lookup
// timing out brings in one CoreDNS pod's log, whose kubernetes plugin is
// cut off from the API server, and the finding on CoreDNS quotes it; two
// reads in all.
func TestCoreDNSLogReadWhenLookupsTimeOut(t *testing.T) {
	const ns = "logs-dns"
	tempNamespace(t, ns)
	ctx := context.Background()
	pods := cluster.Client.CoreV1().Pods("kube-system")
	coredns, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil || len(coredns.Items) == 0 {
		t.Fatalf("CoreDNS pods: %v, %v", coredns, err)
	}
	const failure = `[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go/tools/cache/reflector.go:251: Failed to watch *v1.EndpointSlice: failed to list *v1.EndpointSlice: endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:kube-system:coredns" cannot list resource "endpointslices"`
	serveLogs(t, coredns.Items, ".:53\nCoreDNS-1.12.1\n"+failure)
	deploy(t, ns, dnsTimeoutLab)

	var res diagnose.Result
	reads := logReadsDuring(func() { res, _, _ = diagnoseJSON(t, ns) })
	var crash, dns int
	for _, r := range reads {
		switch {
		case r.Namespace == ns && r.Pod == "orders":
			crash++
		case r.Namespace == "kube-system" && strings.HasPrefix(r.Pod, "coredns-"):
			dns++
		default:
			t.Errorf("unexpected log read %+v", r)
		}
	}
	if crash != 1 || dns != 1 {
		t.Errorf("log reads %+v: want one of orders, one of a CoreDNS pod", reads)
	}
	f := findingBy(res, "dns-coredns-log-errors", "coredns")
	if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), "log line 3: [ERROR] plugin/kubernetes:") {
		t.Errorf("CoreDNS's log finding %+v; findings:\n  %s", f, keys(&res))
	}
}

// upstreamLab: the Ingress shop routes to api, whose app listens on
// 127.0.0.1 only, so its readiness probe fails and the path is broken.
var upstreamLab = simulatedAppPod("api", "localhost", httpPort+", readinessProbe: {tcpSocket: {port: 8080}}") +
	httpService("api", "api") + `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
`

// TestIngressControllerLogReadForBrokenPath: a broken path of an
// ingress-nginx Ingress brings in one controller pod's log, and its line
// about the path's own backend is quoted on the Ingress.
func TestIngressControllerLogReadForBrokenPath(t *testing.T) {
	const ns = "logs-upstream"
	namespaceWith(t, ns, upstreamLab)
	ctx := context.Background()
	api, err := cluster.Client.CoreV1().Pods(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods := cluster.Client.CoreV1().Pods("ingress-nginx")
	controllers, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=ingress-nginx"})
	if err != nil || len(controllers.Items) == 0 {
		t.Fatalf("ingress-nginx pods: %v, %v", controllers, err)
	}
	line := `2026/12/04 18:00:00 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 10.244.0.1, server: shop.example, request: "GET / HTTP/1.1", upstream: "http://` + api.Status.PodIP + `:8080/", host: "shop.example"`
	serveLogs(t, controllers.Items, "NGINX Ingress controller\n"+line)

	var res diagnose.Result
	reads := logReadsDuring(func() { res, _, _ = diagnoseJSON(t, "", "-A") })
	var controller int
	for _, r := range reads {
		if r.Namespace == "ingress-nginx" {
			controller++
		}
	}
	if controller != 1 {
		t.Errorf("log reads %+v: want one of an ingress-nginx pod", reads)
	}
	f := findingBy(res, "ingress-controller-log-upstream", "shop")
	if f != nil {
		t.Logf("%s: %s", f.Key(), strings.Join(f.Evidence, " / "))
	}
	if f == nil || !strings.Contains(strings.Join(f.Evidence, "\n"), "log line 2: "+line) {
		t.Errorf("the controller's log finding %+v; findings:\n  %s", f, keys(&res))
	}
}
