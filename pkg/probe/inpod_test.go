package probe

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// kubeletStandIn is a fake clientset that answers access reviews from
// allowed, records the ephemeral container writes and, once a container is
// added, reports it in state, as a kubelet would.
type kubeletStandIn struct {
	*fake.Clientset
	mu      sync.Mutex
	added   []corev1.EphemeralContainer
	reviews []authorizationv1.ResourceAttributes
}

func newKubeletStandIn(t *testing.T, allowed func(authorizationv1.ResourceAttributes) bool, state corev1.ContainerState) *kubeletStandIn {
	t.Helper()
	_, s := shop(t)
	var objs []runtime.Object
	for _, p := range s.PodsIn("shop") {
		objs = append(objs, p.DeepCopy())
	}
	k := &kubeletStandIn{Clientset: fake.NewClientset(objs...)}
	k.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attrs := *r.Spec.ResourceAttributes
		k.mu.Lock()
		k.reviews = append(k.reviews, attrs)
		k.mu.Unlock()
		r.Status.Allowed = allowed(attrs)
		if !r.Status.Allowed {
			r.Status.Reason = "no RBAC policy matched"
		}
		return true, r, nil
	})
	k.PrependReactor("update", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "ephemeralcontainers" {
			return false, nil, nil
		}
		pod := a.(k8stesting.UpdateAction).GetObject().(*corev1.Pod)
		k.mu.Lock()
		k.added = append(k.added, pod.Spec.EphemeralContainers...)
		k.mu.Unlock()
		return true, pod, nil
	})
	k.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		k.mu.Lock()
		defer k.mu.Unlock()
		if len(k.added) == 0 {
			return false, nil, nil
		}
		obj, err := k.Tracker().Get(a.GetResource(), a.GetNamespace(), a.(k8stesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod).DeepCopy()
		for _, c := range k.added {
			pod.Status.EphemeralContainerStatuses = append(pod.Status.EphemeralContainerStatuses, corev1.ContainerStatus{Name: c.Name, State: state})
		}
		return true, pod, nil
	})
	return k
}

func terminated(message string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Message: message}}
}

func level1Plan(t *testing.T) Plan {
	t.Helper()
	res, s := shop(t)
	plan := Build(res, s, Options{Level: 1, AllPaths: true})
	if len(plan.Clients) != 1 {
		t.Fatalf("client runs = %+v, want one for api-svc (orders-svc has no pod to connect to)", plan.Clients)
	}
	plan.Proxies, plan.NotRun = nil, nil
	return plan
}

// TestChooseClientPrefersConsumer: web-1's environment names
// api-svc.shop, so the probe runs there and looks that name up, and the
// dry run says which value names it.
func TestChooseClientPrefersConsumer(t *testing.T) {
	run := level1Plan(t).Clients[0]
	if run.Client.Name != "web-1" || run.LookupName != "api-svc.shop" || run.ChosenBecause != "container web env API_URL of pod shop/web-1 names api-svc.shop" {
		t.Errorf("client = %s looking up %q (%s), want web-1 looking up api-svc.shop", run.Client, run.LookupName, run.ChosenBecause)
	}
	if run.PodIP != "10.244.0.7" || run.TargetPort != 8080 || run.ClusterIP != "10.96.0.12" || run.Port != 80 {
		t.Errorf("run targets %+v", run)
	}
}

// TestLevel1RefusedReviewMeansNoWrite: without update on
// pods/ephemeralcontainers nothing is written and every test says why.
func TestLevel1RefusedReviewMeansNoWrite(t *testing.T) {
	k := newKubeletStandIn(t, func(a authorizationv1.ResourceAttributes) bool { return a.Subresource != "ephemeralcontainers" }, terminated(""))
	got, err := Prober{Client: k}.Run(context.Background(), level1Plan(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range k.Actions() {
		if a.GetVerb() != "create" && a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("request %s %s/%s after a refused review", a.GetVerb(), a.GetResource().Resource, a.GetSubresource())
		}
		if a.GetVerb() == "get" {
			t.Errorf("read the client pod after a refused review")
		}
	}
	if len(got) != 4 {
		t.Fatalf("got %d probes, want the four tests", len(got))
	}
	for _, p := range got {
		if p.Outcome != diagnose.ProbeForbidden || !strings.Contains(p.Detail, "nothing written: update pods/ephemeralcontainers in namespace shop is not allowed") {
			t.Errorf("%s: %s %q", p.Test, p.Outcome, p.Detail)
		}
	}
}

// TestLevel1TellsKubeProxyFromApp: the name resolves and the pod answers
// on its IP, but neither the name nor the ClusterIP connects: the probe
// blames kube-proxy, not DNS or the app.
func TestLevel1TellsKubeProxyFromApp(t *testing.T) {
	msg := "dns 0 Server: 10.96.0.10 Address: 10.96.0.10:53 Name: api-svc.shop.svc.cluster.local Address: 10.96.0.12\n" +
		"tcp-service-name 1 \n" +
		"tcp-cluster-ip 143 \n" +
		"tcp-pod-ip 0 \n"
	k := newKubeletStandIn(t, func(authorizationv1.ResourceAttributes) bool { return true }, terminated(msg))
	got, err := Prober{Client: k, Poll: time.Millisecond, ContainerName: func() string { return "hopscope-probe-test" }}.Run(context.Background(), level1Plan(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.added) != 1 {
		t.Fatalf("added %d containers, want 1", len(k.added))
	}
	c := k.added[0]
	if c.Name != "hopscope-probe-test" || c.Image != DefaultImage || *c.SecurityContext.RunAsNonRoot != true || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container = %+v", c)
	}
	if args := c.Command[3:]; strings.Join(args, " ") != "hopscope-probe api-svc.shop 80 10.96.0.12 10.244.0.7 8080 80" {
		t.Errorf("arguments = %q: values go as positional parameters", args)
	}
	want := map[diagnose.ProbeTest]diagnose.ProbeOutcome{
		diagnose.ProbeTestDNS: diagnose.ProbeAnswered, diagnose.ProbeTestServiceName: diagnose.ProbeTimeout,
		diagnose.ProbeTestClusterIP: diagnose.ProbeTimeout, diagnose.ProbeTestPodIP: diagnose.ProbeAnswered,
	}
	for _, p := range got {
		if p.Outcome != want[p.Test] || p.From == nil || p.From.Name != "web-1" || p.Level != 1 {
			t.Errorf("%s: %s from %v, want %s from web-1", p.Test, p.Outcome, p.From, want[p.Test])
		}
	}
	cip := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestClusterIP)
	if cip.Agreement != diagnose.ProbeContradicts || !strings.Contains(cip.Note, "kube-proxy") {
		t.Errorf("cluster-ip note = %q, want kube-proxy named", cip.Note)
	}
}

// TestLevel1TellsDNSFromRefusal: an unresolvable name is a DNS failure;
// a refused pod IP is the app.
func TestLevel1TellsDNSFromRefusal(t *testing.T) {
	run := level1Plan(t).Clients[0]
	got := run.results("c", "dns 1 Server: 10.96.0.10 ** server can't find api-svc.shop: NXDOMAIN\n"+
		"tcp-service-name 1 nc: bad address 'api-svc.shop'\n"+
		"tcp-cluster-ip 1 nc: can't connect to remote host (10.96.0.12): Connection refused\n"+
		"tcp-pod-ip 1 nc: can't connect to remote host (10.244.0.7): Connection refused\n")
	name := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestServiceName)
	if name.Outcome != diagnose.ProbeUnresolved || !strings.Contains(name.Note, "DNS, not the Service") {
		t.Errorf("by name = %s %q", name.Outcome, name.Note)
	}
	pod := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestPodIP)
	if pod.Outcome != diagnose.ProbeRefused || !strings.Contains(pod.Note, "does not listen") {
		t.Errorf("pod ip = %s %q", pod.Outcome, pod.Note)
	}
	if dns := diagnosetest.ProbeOf(t, got, "Service/shop/api-svc", diagnose.ProbeTestDNS); dns.Outcome != diagnose.ProbeUnresolved {
		t.Errorf("dns = %s", dns.Outcome)
	}
}

// TestLevel1MessageIsHostile: a termination message is parsed strictly:
// unknown tests, bad exit codes and repeats are ignored, a missing test is
// "not run", and a huge message is cut.
func TestLevel1MessageIsHostile(t *testing.T) {
	run := level1Plan(t).Clients[0]
	msg := "dns x lies\nrm 0 -rf\ntcp-pod-ip 0 first\ntcp-pod-ip 1 second\n" + strings.Repeat("A", 1<<20) + "\ntcp-cluster-ip 0\n"
	got := run.results("c", msg)
	if len(got) != 4 {
		t.Fatalf("got %d probes", len(got))
	}
	for _, p := range got {
		switch p.Test {
		case diagnose.ProbeTestPodIP:
			if p.Outcome != diagnose.ProbeAnswered || p.Detail != "exit 0: first" {
				t.Errorf("pod ip = %s %q, want the first line only", p.Outcome, p.Detail)
			}
		default:
			if p.Outcome != diagnose.ProbeNotRun {
				t.Errorf("%s = %s, want not run (no valid line within the bound)", p.Test, p.Outcome)
			}
		}
	}
}

// TestLevel1WaitIsBounded: a container that never terminates (an image
// that cannot be pulled) costs the wait bound, and says its state.
func TestLevel1WaitIsBounded(t *testing.T) {
	pulling := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}
	k := newKubeletStandIn(t, func(authorizationv1.ResourceAttributes) bool { return true }, pulling)
	start := time.Now()
	got, err := Prober{Client: k, Wait: 100 * time.Millisecond, Poll: 10 * time.Millisecond}.Run(context.Background(), level1Plan(t))
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("waited %s with a 100ms bound", el)
	}
	for _, p := range got {
		if p.Outcome != diagnose.ProbeNotRun || !strings.Contains(p.Detail, "ImagePullBackOff") {
			t.Errorf("%s: %s %q", p.Test, p.Outcome, p.Detail)
		}
	}
}

// TestDryRunListsWritesAndRBAC: the dry run names the write, the
// permissions and the review's refusal, and makes no request itself.
func TestDryRunListsWritesAndRBAC(t *testing.T) {
	res, s := shop(t)
	plan := Build(res, s, Options{Level: 1, AllPaths: true})
	access := []Access{{Permission: Permission{"update", "pods", "ephemeralcontainers", "shop"}, Reason: "no RBAC policy matched \x1b[2J"}}
	var out bytes.Buffer
	if err := Describe(&out, plan, access); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"1 of them write(s)",
		"PUT  /api/v1/namespaces/shop/pods/web-1/ephemeralcontainers",
		"GET  " + apiPodPath,
		"needs get pods/proxy in namespace shop",
		"NOT ALLOWED update pods/ephemeralcontainers in namespace shop: no RBAC policy matched \\x1b[2J",
		"needed      get services/proxy in namespace shop",
		"nslookup api-svc.shop",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dry run lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("dry run printed a raw escape")
	}
}

// TestLevel1MissingToolIsNotRun: an image without nc, or whose nc lacks
// -z, learns nothing about the network, and says so.
func TestLevel1MissingToolIsNotRun(t *testing.T) {
	run := level1Plan(t).Clients[0]
	got := run.results("c", "dns 0 Name: api-svc.shop\ntcp-service-name 127 sh: nc: not found\ntcp-cluster-ip 1 nc: unrecognized option: z\ntcp-pod-ip 1 nc: can't connect to remote host (10.244.0.7): Connection refused\n")
	for _, p := range got {
		want := map[diagnose.ProbeTest]diagnose.ProbeOutcome{diagnose.ProbeTestDNS: diagnose.ProbeAnswered, diagnose.ProbeTestServiceName: diagnose.ProbeNotRun,
			diagnose.ProbeTestClusterIP: diagnose.ProbeNotRun, diagnose.ProbeTestPodIP: diagnose.ProbeRefused}[p.Test]
		if p.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", p.Test, p.Outcome, p.Detail, want)
		}
		if p.Outcome == diagnose.ProbeNotRun && p.Agreement != diagnose.ProbeInconclusive {
			t.Errorf("%s: %s, want inconclusive", p.Test, p.Agreement)
		}
	}
}
