package testenv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/probe"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// probeLab is the fault only traffic shows: api's app listens on
// 127.0.0.1 (the pod network's "localhost" behaviour), so the pod is Ready
// (no readiness probe), listed in its Service's endpoints and refuses every
// connection to its IP. echo is the same app listening properly; web is a
// client whose environment names api-svc.
var probeLab = probeLabWithAPI(httpPort)

// probeLabWithAPI is probeLab with api's container fields (its ports and
// probes) in apiContainer.
func probeLabWithAPI(apiContainer string) string {
	return simulatedAppPod("api", "localhost", apiContainer) + httpService("api-svc", "api") +
		simulatedAppPod("echo", "", httpPort) + httpService("echo-svc", "echo") + `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: shop/web:1.0
    env: [{name: API_URL, value: "http://api-svc:80/v1"}]
`
}

// probeReader may read the namespace's objects but not proxy to them nor
// add ephemeral containers: RBAC rules on "pods" do not reach pods/proxy
// or pods/ephemeralcontainers.
var probeReader = userRole("carol", "probe-reader", `
- apiGroups: [""]
  resources: [pods, services, endpoints, events, configmaps, namespaces]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]`)

// probeDiagnosis scans ns live and diagnoses it, as `hopscope probe -n ns`
// does before probing.
func probeDiagnosis(t *testing.T, cfg *rest.Config, ns string) (*snapshot.Snapshot, *diagnose.Result) {
	t.Helper()
	snap := scanLive(t, cfg, ns)
	return snap, diagnoseSnapshot(t, snap, scopedTo(ns))
}

// TestProbeLevel0FindsLocalhostOnlyApp: the declared state calls both
// paths healthy; the GET through the real API server's pods/proxy is
// refused by the app bound to 127.0.0.1 and answered by the other.
func TestProbeLevel0FindsLocalhostOnlyApp(t *testing.T) {
	const ns = "probe-level0"
	namespaceWith(t, ns, probeLab)
	snap, res := probeDiagnosis(t, cluster.Config, ns)
	for _, tr := range res.Traces {
		if tr.Status != diagnose.TraceOK {
			t.Fatalf("%s is %s: the lab's fault must be invisible to declared state", tr.Entry, tr.Status)
		}
	}
	plan := probe.Build(res, snap, probe.Options{AllPaths: true})
	for _, r := range plan.Requests() {
		if r.Write {
			t.Errorf("level 0 plans a write: %s %s", r.Method, r.Path)
		}
	}
	got := runProbes(t, cluster.Config, plan)
	api := diagnosetest.ProbeOf(t, got, "Service/"+ns+"/api-svc", diagnose.ProbeTestPodHTTP)
	if api.Outcome != diagnose.ProbeRefused || api.Agreement != diagnose.ProbeContradicts || !strings.Contains(api.Note, "127.0.0.1") {
		t.Errorf("api probe = %+v, want refused, contradicting the Ready pod, naming 127.0.0.1", api)
	}
	svc := diagnosetest.ProbeOf(t, got, "Service/"+ns+"/api-svc", diagnose.ProbeTestServiceHTTP)
	if svc.Outcome != diagnose.ProbeRefused || svc.Agreement != diagnose.ProbeContradicts {
		t.Errorf("api-svc probe = %+v, want refused through services/proxy too", svc)
	}
	echo := diagnosetest.ProbeOf(t, got, "Service/"+ns+"/echo-svc", diagnose.ProbeTestPodHTTP)
	if echo.Outcome != diagnose.ProbeAnswered || echo.Agreement != diagnose.ProbeConfirms || !strings.HasPrefix(echo.Detail, "HTTP 200") {
		t.Errorf("echo probe = %+v, want HTTP 200, confirming", echo)
	}
}

// TestProbeForbiddenWritesNothing: a user who may read the namespace but
// not proxy nor add ephemeral containers gets "not checked: forbidden" at
// level 0, and at level 1 the access review refuses before any write; the
// dry run names the write and the refusal and writes nothing either.
func TestProbeForbiddenWritesNothing(t *testing.T) {
	const ns = "probe-forbidden"
	namespaceWith(t, ns, probeLab+"---\n"+probeReader)
	carol := impersonating("carol")
	snap, res := probeDiagnosis(t, carol, ns)
	plan := probe.Build(res, snap, probe.Options{Level: 1, AllPaths: true})
	if len(plan.Clients) == 0 {
		t.Fatalf("no level-1 run planned: %+v", plan.NotRun)
	}

	cs, err := kubernetes.NewForConfig(carol)
	if err != nil {
		t.Fatal(err)
	}
	var dry bytes.Buffer
	if err := probe.Describe(&dry, plan, probe.Review(context.Background(), cs, plan.Permissions())); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"PUT  /api/v1/namespaces/" + ns + "/pods/web/ephemeralcontainers",
		"NOT ALLOWED update pods/ephemeralcontainers in namespace " + ns,
		"NOT ALLOWED get pods/proxy in namespace " + ns,
		"allowed     get pods in namespace " + ns,
	} {
		if !strings.Contains(dry.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry.String())
		}
	}

	for _, p := range runProbes(t, carol, plan) {
		if p.Outcome == diagnose.ProbeNotRun {
			continue
		}
		if p.Outcome != diagnose.ProbeForbidden || p.Agreement != diagnose.ProbeInconclusive || p.Note != "not checked: forbidden" {
			t.Errorf("%s %s as carol: %s (%s), %s: %q; want forbidden, inconclusive, not checked: forbidden", p.Path, p.Test, p.Outcome, p.Detail, p.Agreement, p.Note)
		}
	}
	web, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(web.Spec.EphemeralContainers); n != 0 {
		t.Errorf("pod web has %d ephemeral container(s) after a refused review and a dry run", n)
	}
}

// levelOneRun plans the level-1 run of Service svc in ns as
// `hopscope probe --level 1` does, and keeps only it.
func levelOneRun(t *testing.T, ns, svc string) (probe.Plan, probe.ClientRun) {
	t.Helper()
	snap, res := probeDiagnosis(t, cluster.Config, ns)
	plan := probe.Build(res, snap, probe.Options{Level: 1, AllPaths: true})
	plan.Proxies, plan.NotRun = nil, nil
	for _, r := range plan.Clients {
		if r.Service.Name == svc {
			plan.Clients = []probe.ClientRun{r}
			return plan, r
		}
	}
	t.Fatalf("no level-1 run of %s planned: %+v", svc, plan.Clients)
	return plan, probe.ClientRun{}
}

// runProbes runs plan through the real API server as the user of cfg: its
// proxy requests reach the simulated apps, and the kubelet stand-in answers
// its level-1 containers.
func runProbes(t *testing.T, cfg *rest.Config, plan probe.Plan) []diagnose.Probe {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pr, err := probe.NewProber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in answers a level-1 container at once: read it back often
	// and give up well before the command's default wait.
	pr.Poll, pr.Wait = 100*time.Millisecond, 30*time.Second
	got, err := pr.Run(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		t.Logf("%s %s %s: %s, %s — %s", p.Path, p.Test, p.Address, p.Outcome, p.Detail, p.Agreement)
	}
	return got
}

// TestProbeLevel1TellsAppFromDNS adds the probe container to the client
// pod through the real API server (which validates and stores it); the
// kubelet stand-in answers its script from the cluster's Services,
// EndpointSlices and apps and writes the termination message. The name
// resolves, every connect is refused because the app listens on
// 127.0.0.1.
func TestProbeLevel1TellsAppFromDNS(t *testing.T) {
	const ns = "probe-level1"
	namespaceWith(t, ns, probeLab)
	plan, run := levelOneRun(t, ns, "api-svc")
	if run.Client.Name != "web" || run.LookupName != "api-svc" {
		t.Fatalf("client run = %+v, want from web (its environment names api-svc)", run)
	}
	got := runProbes(t, cluster.Config, plan)
	web, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(web.Spec.EphemeralContainers); n != 1 || !strings.HasPrefix(web.Spec.EphemeralContainers[0].Name, "hopscope-probe-") {
		t.Errorf("pod web has ephemeral containers %+v, want one hopscope-probe-*", web.Spec.EphemeralContainers)
	}
	path := "Service/" + ns + "/api-svc"
	if dns := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestDNS); dns.Outcome != diagnose.ProbeAnswered || dns.Agreement != diagnose.ProbeConfirms ||
		!strings.Contains(dns.Detail, "Name: api-svc."+ns+".svc.cluster.local Address: "+run.ClusterIP) {
		t.Errorf("dns = %+v, want answered with the ClusterIP, confirming", dns)
	}
	pod := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestPodIP)
	if pod.Outcome != diagnose.ProbeRefused || pod.Agreement != diagnose.ProbeContradicts || !strings.Contains(pod.Note, "does not listen") {
		t.Errorf("pod ip = %+v, want refused: the app, not DNS or kube-proxy", pod)
	}
	if cip := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestClusterIP); cip.Outcome != diagnose.ProbeRefused || !strings.Contains(cip.Note, "pod does not answer on its IP either") {
		t.Errorf("cluster ip = %+v, want refused, pointing at the pod's own refusal", cip)
	}
	// The healthy echo-svc answers on every test.
	plan, _ = levelOneRun(t, ns, "echo-svc")
	for _, p := range runProbes(t, cluster.Config, plan) {
		if p.Outcome != diagnose.ProbeAnswered || p.Agreement != diagnose.ProbeConfirms {
			t.Errorf("echo-svc %s: %s (%s), %s; want answered, confirming", p.Test, p.Outcome, p.Detail, p.Agreement)
		}
	}
}

// dnsLab: orders' app refuses every connection (nothing listens) behind
// a Ready pod; web's environment names orders.
var dnsLab = `
apiVersion: v1
kind: Pod
metadata:
  name: orders
  labels: {app: orders}
  annotations: {hopscope.dev/app: refuse}
spec:
  containers:
  - {name: app, image: shop/orders:2.3.1, ports: [{name: http, containerPort: 8080}]}
---
` + httpService("orders", "orders") + `
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: shop/web:1.0
    env: [{name: ORDERS_URL, value: "http://orders:80"}]
`

// TestProbeLevel1TellsDNSFromRefusal: from one client pod, the name of an
// existing Service whose app refuses resolves and is refused. A client
// that names the same Service in a namespace it is not in (orders.shop)
// is the one the planner picks when it is the only consumer, and the
// probe looks up that name as written: NXDOMAIN, and the connect by name
// fails to resolve while the ClusterIP is still refused: the probe says
// the name, not the app, for the first break.
func TestProbeLevel1TellsDNSFromRefusal(t *testing.T) {
	const ns = "probe-dns"
	namespaceWith(t, ns, dnsLab)
	plan, run := levelOneRun(t, ns, "orders")
	if run.Client.Name != "web" || run.LookupName != "orders" {
		t.Fatalf("client run = %+v, want from web naming orders", run)
	}
	path := "Service/" + ns + "/orders"

	got := runProbes(t, cluster.Config, plan)
	if dns := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestDNS); dns.Outcome != diagnose.ProbeAnswered {
		t.Errorf("orders: dns = %+v, want answered", dns)
	}
	for _, test := range []diagnose.ProbeTest{diagnose.ProbeTestServiceName, diagnose.ProbeTestClusterIP, diagnose.ProbeTestPodIP} {
		if p := diagnosetest.ProbeOf(t, got, path, test); p.Outcome != diagnose.ProbeRefused || !strings.Contains(p.Detail, "Connection refused") {
			t.Errorf("orders: %s = %+v, want refused", test, p)
		}
	}

	const wrongNS = "probe-dns-name"
	tempNamespace(t, wrongNS)
	lab := strings.Replace(dnsLab, `value: "http://orders:80"`, `value: "http://orders.shop:80"`, 1)
	if lab == dnsLab {
		t.Fatal("the client's name was not changed in the manifest")
	}
	deploy(t, wrongNS, lab)
	plan, run = levelOneRun(t, wrongNS, "orders")
	if run.Client.Name != "web" || run.LookupName != "orders.shop" || run.NamePort != 80 ||
		!strings.Contains(run.ChosenBecause, "env ORDERS_URL of pod "+wrongNS+"/web names orders.shop, which finds no Service") {
		t.Fatalf("client run = %+v, want from web looking up orders.shop, saying why", run)
	}
	path = "Service/" + wrongNS + "/orders"
	got = runProbes(t, cluster.Config, plan)
	dns := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestDNS)
	if dns.Outcome != diagnose.ProbeUnresolved || dns.Agreement != diagnose.ProbeConfirms || !strings.Contains(dns.Detail, "NXDOMAIN") ||
		!strings.Contains(dns.Note, "orders.shop is looked up in namespace shop, which holds no Service orders; Service orders is in namespace "+wrongNS) {
		t.Errorf("orders.shop: dns = %+v, want NXDOMAIN, confirming the name finds no Service", dns)
	}
	byName := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestServiceName)
	if byName.Outcome != diagnose.ProbeUnresolved || byName.Address != "orders.shop:80" || !strings.Contains(byName.Note, "holds no Service orders") {
		t.Errorf("orders.shop: tcp-service-name = %+v, want unresolved, pointing at the name", byName)
	}
	if cip := diagnosetest.ProbeOf(t, got, path, diagnose.ProbeTestClusterIP); cip.Outcome != diagnose.ProbeRefused {
		t.Errorf("orders.shop: tcp-cluster-ip = %+v, want refused by the app still", cip)
	}

	// Any other ephemeral container is not run: exit 127, saying why.
	ctx := context.Background()
	pods := cluster.Client.CoreV1().Pods(ns)
	web, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	web.Spec.EphemeralContainers = append(web.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox:1.36", Command: []string{"sh", "-c", "nslookup orders"},
		TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
	}})
	if _, err := pods.UpdateEphemeralContainers(ctx, "web", web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var st *corev1.ContainerStateTerminated
	eventually(30*time.Second, 100*time.Millisecond, func() bool {
		p, err := pods.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == "debugger" {
				st = s.State.Terminated
			}
		}
		return st != nil
	})
	if st == nil || st.ExitCode != 127 || !strings.Contains(st.Message, "runs no images") {
		t.Errorf("debugger container: %+v, want terminated with 127, saying no image runs", st)
	}
}

// TestProbeCommand runs `hopscope probe` and `diagnose --probe` as a user
// does, against the local cluster. api now has a readiness probe, so the
// kubelet stand-in finds it refusing and the path is broken: the probe
// confirms it and says why the pod is not Ready.
func TestProbeCommand(t *testing.T) {
	const ns = "probe-command"
	namespaceWith(t, ns, probeLabWithAPI(httpPort+", readinessProbe: {tcpSocket: {port: 8080}}"))
	kubeconfig := writeKubeconfig(t)

	out, errOut, code := hopscope(t, kubeconfig, "probe", "-n", ns, "--no-color")
	t.Logf("hopscope probe -n %s:\n%s", ns, out)
	if code != 1 || !strings.Contains(out, "PROBES") || !strings.Contains(out, "pod-http Pod/"+ns+"/api") ||
		!strings.Contains(out, "refused — confirms the static verdict (broken)") || !strings.Contains(out, "bound to 127.0.0.1") {
		t.Errorf("hopscope probe -n %s: exit %d\n%s\n%s", ns, code, out, errOut)
	}
	if strings.Contains(out, "echo-svc") && strings.Contains(out, "pod-http Pod/"+ns+"/echo") {
		t.Errorf("the healthy echo-svc path was probed without being named:\n%s", out)
	}

	// Exit 1 still: a trace reports the namespace's other findings too
	// (api's), though only the named path is probed.
	out, errOut, code = hopscope(t, kubeconfig, "probe", "service/echo-svc", "-n", ns, "-o", "json")
	var res diagnose.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || len(res.Probes) != 2 {
		t.Fatalf("hopscope probe service/echo-svc: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	for _, p := range res.Probes {
		if p.Outcome != diagnose.ProbeAnswered || p.Agreement != diagnose.ProbeConfirms {
			t.Errorf("echo-svc %s: %s, %s", p.Test, p.Outcome, p.Agreement)
		}
	}

	out, errOut, code = hopscope(t, kubeconfig, "diagnose", "-n", ns, "--probe", "--probe-level=1", "--dry-run")
	if code != 0 || !strings.Contains(out, "WRITES\n  PUT  /api/v1/namespaces/"+ns+"/pods/web/ephemeralcontainers") ||
		!strings.Contains(out, "allowed     update pods/ephemeralcontainers in namespace "+ns) {
		t.Errorf("diagnose --probe --probe-level=1 --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	web, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(web.Spec.EphemeralContainers); n != 0 {
		t.Errorf("the dry run added %d ephemeral container(s)", n)
	}
}
