package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/probe"
)

// TestProbeScriptRecognisedExactly: only the command line pkg/probe builds
// is answered as the probe; anything else is a container the stand-in
// cannot run.
func TestProbeScriptRecognisedExactly(t *testing.T) {
	run := probe.ClientRun{LookupName: "api-svc.shop", NamePort: 8080, Port: 80, ClusterIP: "10.96.4.2", PodIP: "10.244.0.7", TargetPort: 8080}
	container := func(edit func(*corev1.EphemeralContainer)) corev1.EphemeralContainer {
		c := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "hopscope-probe-abcde", Command: run.Command(), TerminationMessagePath: corev1.TerminationMessagePathDefault,
		}}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	got, ok := probeScriptArgs(container(nil))
	if want := (probeArgs{name: "api-svc.shop", namePort: 8080, port: 80, clusterIP: "10.96.4.2", podIP: "10.244.0.7", targetPort: 8080}); !ok || got != want {
		t.Errorf("probe container: %+v, %v; want %+v", got, ok, want)
	}
	for why, edit := range map[string]func(*corev1.EphemeralContainer){
		"another script":           func(c *corev1.EphemeralContainer) { c.Command[2] = strings.Replace(c.Command[2], "nslookup", "dig", 1) },
		"extra args":               func(c *corev1.EphemeralContainer) { c.Args = []string{"x"} },
		"another message path":     func(c *corev1.EphemeralContainer) { c.TerminationMessagePath = "/tmp/out" },
		"a port that is no number": func(c *corev1.EphemeralContainer) { c.Command[5] = "http" },
		"a name port no number":    func(c *corev1.EphemeralContainer) { c.Command[9] = "http" },
		"a shell of its own":       func(c *corev1.EphemeralContainer) { c.Command = []string{"sh", "-c", "nslookup api-svc"} },
	} {
		if _, ok := probeScriptArgs(container(edit)); ok {
			t.Errorf("%s: recognised as hopscope's probe", why)
		}
	}
}

// clusterObjects are the Services and EndpointSlices of the resolver
// test: kube-dns with a ready CoreDNS endpoint when dnsReady, a ClusterIP
// Service api with one ready endpoint, a headless Service db, an
// ExternalName alias of api, and down, whose only endpoint is not ready.
func clusterObjects(dnsReady bool) []runtime.Object {
	yes, no := true, false
	svc := func(ns, name, ip string, port int32) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Name: "p", Port: port}}}}
	}
	slice := func(ns, svcName, addr string, port int32, ready *bool) *discoveryv1.EndpointSlice {
		name := "p"
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: svcName + "-x", Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}},
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
		}
	}
	alias := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "alias"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "api.shop.svc.cluster.local"}}
	return []runtime.Object{
		svc(dnsNamespace, dnsService, "10.96.0.10", 53), slice(dnsNamespace, dnsService, "10.244.0.2", 53, &dnsReady),
		svc("shop", "api", "10.96.4.2", 80), slice("shop", "api", "10.244.9.9", 8080, &yes),
		svc("shop", "db", corev1.ClusterIPNone, 5432), slice("shop", "db", "10.244.9.8", 5432, &yes),
		alias,
		svc("shop", "down", "10.96.4.3", 80), slice("shop", "down", "10.244.9.7", 8080, &no),
	}
}

func resolverOf(objs []runtime.Object) *clusterResolver {
	k := &Kubelet{client: fake.NewClientset(objs...), podIndex: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{podIPIndex: indexByPodIP})}
	return &clusterResolver{k: k, ctx: context.Background(), namespace: "shop"}
}

// TestSimulatedDNSAndKubeProxy checks the answers the probe script gets
// without a pod network: what CoreDNS would answer from the Services, what
// kube-proxy's rules would do with a ClusterIP.
func TestSimulatedDNSAndKubeProxy(t *testing.T) {
	now := time.Now()
	r := resolverOf(clusterObjects(true))
	for _, c := range []struct {
		tool       func() toolRun
		exit       int
		output     string // a part of what the tool printed
		notPrinted string
	}{
		{func() toolRun { return r.nslookup("api") }, 0, "Name:\tapi.shop.svc.cluster.local\nAddress: 10.96.4.2\n", ""},
		{func() toolRun { return r.nslookup("api.shop.svc") }, 0, "Address: 10.96.4.2", ""},
		{func() toolRun { return r.nslookup("api.shop.svc.cluster.local.") }, 0, "Address: 10.96.4.2", ""},
		{func() toolRun { return r.nslookup("db") }, 0, "Name:\tdb.shop.svc.cluster.local\nAddress: 10.244.9.8\n", ""},
		{func() toolRun { return r.nslookup("alias") }, 0, "alias.shop.svc.cluster.local\tcanonical name = api.shop.svc.cluster.local\nName:\tapi.shop.svc.cluster.local\nAddress: 10.96.4.2", ""},
		{func() toolRun { return r.nslookup("api.other") }, 1, "** server can't find api.other: NXDOMAIN", "Name:"},
		{func() toolRun { return r.nslookup("example.com") }, 1, "NXDOMAIN", ""},
		{func() toolRun { return r.nc("nope", 80, now) }, 1, "nc: bad address 'nope'", ""},
		{func() toolRun { return r.nc("down", 80, now) }, 1, "nc: can't connect to remote host (10.96.4.3): Connection refused", ""},
		{func() toolRun { return r.nc("10.96.4.2", 81, now) }, 1, "", "nc:"},
		// kube-proxy sends it to the endpoint, which is no pod here.
		{func() toolRun { return r.nc("api", 80, now) }, 1, "No route to host", ""},
	} {
		got := c.tool()
		if got.exit != c.exit || !strings.Contains(got.output, c.output) || (c.notPrinted != "" && strings.Contains(got.output, c.notPrinted)) {
			t.Errorf("exit %d, printed %q; want exit %d, printing %q", got.exit, got.output, c.exit, c.output)
		}
	}

	// CoreDNS not Ready: kube-dns has no ready endpoint, lookups time out.
	r = resolverOf(clusterObjects(false))
	if got := r.nslookup("api"); got.exit != 1 || !strings.Contains(got.output, "connection timed out") {
		t.Errorf("nslookup without a ready CoreDNS: %+v", got)
	}
	if got := r.nc("api", 80, now); got.exit != probeTimeoutExit {
		t.Errorf("nc by name without a ready CoreDNS: %+v, want killed by timeout", got)
	}
	if got := r.nc("10.96.4.3", 80, now); !strings.Contains(got.output, "Connection refused") {
		t.Errorf("nc by ClusterIP needs no DNS: %+v", got)
	}
	line := scriptLine("dns", r.nslookup("api"))
	if line != "dns 1 ;; connection timed out; no servers could be reached\n" {
		t.Errorf("script line %q", line)
	}
}
