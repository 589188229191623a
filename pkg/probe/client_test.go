package probe

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// clientsLab: Service orders of namespace store, behind pod orders-1.
// Four pods could run its level-1 probe: store/idle names nothing;
// store/checkout names orders.store.svc.cluster.local:80 (right); pay/client
// names a bare orders from namespace pay, which has no Service orders; and
// shop/web reads orders.shop:9090 from its ConfigMap, and shop has no
// Service orders either. Each pod is one document, so a test can leave
// some out.
var clientsLab = []string{`
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: store}
spec:
  selector: {app: orders}
  clusterIP: 10.96.1.10
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: orders, namespace: store}
subsets:
- addresses: [{ip: 10.244.1.7, targetRef: {kind: Pod, name: orders-1, namespace: store}}]
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: orders-1, namespace: store, labels: {app: orders}}
spec:
  containers: [{name: app, image: "orders:1", ports: [{containerPort: 8080}]}]
status:
  phase: Running
  podIP: 10.244.1.7
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [{name: app, ready: true, restartCount: 0, image: "orders:1", imageID: "orders@sha256:1", state: {running: {startedAt: "2026-01-01T00:00:00Z"}}}]
---
apiVersion: v1
kind: Service
metadata: {name: pay-api, namespace: pay}
spec:
  selector: {app: pay}
  clusterIP: 10.96.2.10
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  clusterIP: 10.96.3.10
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {ORDERS_URL: "http://orders.shop:9090/api"}
`, clientPod("store", "idle", ""), clientPod("store", "checkout", `env: [{name: ORDERS_URL, value: "http://orders.store.svc.cluster.local:80"}]`),
	clientPod("pay", "client", `env: [{name: ORDERS_HOST, value: "orders"}]`), clientPod("shop", "web", `envFrom: [{configMapRef: {name: web-config}}]`)}

func clientPod(ns, name, config string) string {
	return `
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ` + ns + `, labels: {app: ` + name + `}}
spec:
  containers:
  - name: app
    image: "client:1"
    ` + config + `
status:
  phase: Running
  podIP: 10.244.9.9
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [{name: app, ready: true, restartCount: 0, image: "client:1", imageID: "client@sha256:1", state: {running: {startedAt: "2026-01-01T00:00:00Z"}}}]
`
}

// clientsRun plans the level-1 run of store/orders from clientsLab without
// the pods named in leaveOut.
func clientsRun(t *testing.T, opt Options, leaveOut ...string) ClientRun {
	t.Helper()
	var docs []string
	for _, d := range clientsLab {
		keep := true
		for _, name := range leaveOut {
			if strings.Contains(d, "kind: Pod\nmetadata: {name: "+name+",") {
				keep = false
			}
		}
		if keep {
			docs = append(docs, d)
		}
	}
	s, err := source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(strings.Join(docs, "---\n"))}.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespace: "store", Namespaces: []string{"store", "pay", "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	opt.Level, opt.AllPaths = 1, true
	plan := Build(res, s, opt)
	for _, run := range plan.Clients {
		if run.Service == (snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: "store", Name: "orders"}) {
			return run
		}
	}
	t.Fatalf("no level-1 run of store/orders: %+v, not run %+v", plan.Clients, plan.NotRun)
	return ClientRun{}
}

// TestChooseClientUsesTheClientsExactName: a pod whose env names the
// Service wins over one that names nothing, and the probe looks up the
// name as written, on the port written with it; the ClusterIP and pod IP
// tests stay on the Service's own addresses.
func TestChooseClientUsesTheClientsExactName(t *testing.T) {
	run := clientsRun(t, Options{})
	if run.Client.String() != "Pod/store/checkout" || run.LookupName != "orders.store.svc.cluster.local" || run.NamePort != 80 ||
		run.ChosenBecause != "container app env ORDERS_URL of pod store/checkout names orders.store.svc.cluster.local" {
		t.Errorf("run = %s looking up %s:%d (%s), want checkout's exact name", run.Client, run.LookupName, run.NamePort, run.ChosenBecause)
	}
	if run.ClusterIP != "10.96.1.10" || run.Port != 80 || run.PodIP != "10.244.1.7" || run.TargetPort != 8080 {
		t.Errorf("run targets %+v", run)
	}
	if got := run.Command()[4:]; strings.Join(got, " ") != "orders.store.svc.cluster.local 80 10.96.1.10 10.244.1.7 8080 80" {
		t.Errorf("arguments = %q", got)
	}
	if p := run.base(diagnose.ProbeTestDNS); !strings.HasPrefix(p.Expected, "Service orders exists") {
		t.Errorf("dns expected = %q, want an answer", p.Expected)
	}
}

// TestChooseClientInAnotherNamespace: with no client naming the Service
// rightly, one in another namespace that names it wrongly is picked, and
// its lookup is predicted to fail on the name: a bare orders read in
// namespace pay, then orders.shop from shop's ConfigMap on the port it
// names.
func TestChooseClientInAnotherNamespace(t *testing.T) {
	run := clientsRun(t, Options{}, "checkout")
	if run.Client.String() != "Pod/pay/client" || run.LookupName != "orders" || run.NamePort != 80 ||
		!strings.Contains(run.ChosenBecause, "env ORDERS_HOST of pod pay/client names orders, which finds no Service: orders is looked up in namespace pay, which holds no Service orders; Service orders is in namespace store") {
		t.Errorf("run = %s looking up %s:%d (%s), want pay/client's bare orders", run.Client, run.LookupName, run.NamePort, run.ChosenBecause)
	}
	dns := run.base(diagnose.ProbeTestDNS)
	if !strings.HasSuffix(dns.Expected, ": it should fail") || !strings.Contains(dns.Expected, "namespace pay, which holds no Service orders") ||
		!strings.Contains(dns.Expected, "(finding dns-name-unresolvable on Pod/pay/client)") {
		t.Errorf("dns expected = %q, want a failure on the name", dns.Expected)
	}
	if needs := run.Needs(); needs[1] != (Permission{"update", "pods", "ephemeralcontainers", "pay"}) {
		t.Errorf("needs %v, want the write reviewed in the client's namespace pay", needs)
	}
	var dry strings.Builder
	if err := Describe(&dry, Plan{Level: 1, Clients: []ClientRun{run}}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dry.String(), "PUT  /api/v1/namespaces/pay/pods/client/ephemeralcontainers") ||
		!strings.Contains(dry.String(), "chosen because container app env ORDERS_HOST of pod pay/client names orders, which finds no Service") {
		t.Errorf("dry run does not say which client and name, and why:\n%s", dry.String())
	}
	got := judge(diagnose.Probe{Test: diagnose.ProbeTestDNS, Outcome: diagnose.ProbeUnresolved}, run.predicted[diagnose.ProbeTestDNS], nil)
	if got.Agreement != diagnose.ProbeConfirms || !strings.Contains(got.Note, "Service orders is in namespace store") {
		t.Errorf("judged = %+v, want confirming, pointing at the name", got)
	}

	run = clientsRun(t, Options{}, "checkout", "client")
	if run.Client.String() != "Pod/shop/web" || run.LookupName != "orders.shop" || run.NamePort != 9090 ||
		!strings.HasPrefix(run.ChosenBecause, "ConfigMap web-config key ORDERS_URL of pod shop/web names orders.shop") {
		t.Errorf("run = %s looking up %s:%d (%s), want shop/web's orders.shop:9090", run.Client, run.LookupName, run.NamePort, run.ChosenBecause)
	}
	if p := run.base(diagnose.ProbeTestServiceName); p.Address != "orders.shop:9090" {
		t.Errorf("tcp-service-name address = %q", p.Address)
	}

	run = clientsRun(t, Options{}, "checkout", "client", "web")
	if run.Client.String() != "Pod/store/idle" || run.LookupName != "orders" || !strings.Contains(run.ChosenBecause, "no pod's configuration names it") {
		t.Errorf("run = %s looking up %s (%s), want store/idle and the Service's name", run.Client, run.LookupName, run.ChosenBecause)
	}
}

// TestChooseClientFromPodOverrides: --from-pod wins over every consumer,
// and still looks up the name that pod uses, if any.
func TestChooseClientFromPodOverrides(t *testing.T) {
	run := clientsRun(t, Options{ClientPod: "idle"})
	if run.Client.String() != "Pod/store/idle" || run.LookupName != "orders" || run.ChosenBecause != "named with --from-pod" {
		t.Errorf("run = %s looking up %s (%s), want idle, named", run.Client, run.LookupName, run.ChosenBecause)
	}
	// A client in another namespace, named NAMESPACE/NAME: shop/web's
	// ConfigMap names orders.shop, which finds no Service.
	run = clientsRun(t, Options{ClientPod: "shop/web"})
	if run.Client.String() != "Pod/shop/web" || run.LookupName != "orders.shop" || !strings.Contains(run.ChosenBecause, "named with --from-pod; ConfigMap web-config key ORDERS_URL names orders.shop") {
		t.Errorf("run = %s looking up %s (%s), want shop/web's orders.shop", run.Client, run.LookupName, run.ChosenBecause)
	}
	s, err := source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(strings.Join(clientsLab, "---\n"))}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, why := ChooseClient(s, s.Service("store", "orders"), "shop/nope"); why != "client pod shop/nope does not exist" {
		t.Errorf("missing client in another namespace: %q", why)
	}
	run = clientsRun(t, Options{ClientPod: "checkout"}, "client", "web")
	if run.LookupName != "orders.store.svc.cluster.local" || !strings.Contains(run.ChosenBecause, "named with --from-pod; container app env ORDERS_URL names") {
		t.Errorf("run = %s looking up %s (%s), want checkout's own name", run.Client, run.LookupName, run.ChosenBecause)
	}
}
