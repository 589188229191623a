package testenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/hopscope/hopscope/internal/cli"
	"github.com/hopscope/hopscope/pkg/labs"
)

// These tests drive the real `hopscope lab` commands against the real API
// server, controllers and kubelet stand-in of the local cluster: every lab
// of the catalog is started, must fail `lab check` with exactly its expected
// finding, is fixed with `lab solution --apply`, must then pass, and its
// reset must leave no lab namespace and the cluster as it was. A change of
// any lab's expected finding fails here.

// labVerdict is the part of `lab check -o json` the test reads.
type labVerdict struct {
	Solved       bool `json:"solved"`
	FaultPresent bool `json:"faultPresent"`
	Expected     *struct {
		Check  string `json:"check"`
		Object struct {
			Kind, Namespace, Name string
		} `json:"object"`
	} `json:"expected"`
	// ExpectedProbe is set for a lab whose fault only a probe shows.
	ExpectedProbe *struct {
		Test    string `json:"test"`
		Outcome string `json:"outcome"`
		Target  struct {
			Kind, Namespace, Name string
		} `json:"target"`
	} `json:"expectedProbe"`
	BrokenLayers []string `json:"brokenLayers"`
	Notes        []struct {
		Check string `json:"check"`
	} `json:"notes"`
	Remaining []struct {
		Check  string `json:"check"`
		Object struct {
			Kind, Namespace, Name string
		} `json:"object"`
		Cause string `json:"cause"`
	} `json:"remaining"`
}

func checkLab(t *testing.T, kubeconfig, id string, extra ...string) (labVerdict, int, string) {
	t.Helper()
	out, errOut, code := hopscope(t, kubeconfig, append([]string{"lab", "check", id, "-o", "json"}, extra...)...)
	var v labVerdict
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("lab check %s: exit %d, not JSON (%v)\nstdout:\n%s\nstderr:\n%s", id, code, err, out, errOut)
	}
	return v, code, out
}

// markLocal puts the local-cluster marker in place for the test and removes
// it afterwards if the test created it. hopscope-lab (`hopscope lab up`)
// writes the same ConfigMap.
func markLocal(t *testing.T, ctx context.Context) {
	t.Helper()
	cms := cluster.Client.CoreV1().ConfigMaps(labs.LocalClusterMarkerNamespace)
	_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: labs.LocalClusterMarkerName},
		Data: map[string]string{"purpose": "hopscope's local practice cluster"}}, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		return
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cms.Delete(context.Background(), labs.LocalClusterMarkerName, metav1.DeleteOptions{})
	})
}

func unmarkLocalForTest(t *testing.T, ctx context.Context) {
	t.Helper()
	cms := cluster.Client.CoreV1().ConfigMaps(labs.LocalClusterMarkerNamespace)
	old, err := cms.Get(ctx, labs.LocalClusterMarkerName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, old.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		old.ResourceVersion = ""
		_, _ = cms.Create(context.Background(), old, metav1.CreateOptions{})
	})
}

func corednsReplicas(t *testing.T, ctx context.Context) (int32, map[string]string) {
	t.Helper()
	d, err := cluster.Client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas, d.Annotations
}

func TestLabsEndToEnd(t *testing.T) {
	ctx := context.Background()
	kubeconfig := writeKubeconfig(t)
	markLocal(t, ctx)
	// What `hopscope lab up` installs for the Gateway API labs.
	if err := cluster.InstallGatewayAPI(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	wantReplicas, _ := corednsReplicas(t, ctx)
	for _, l := range all {
		t.Run(l.ID+"-"+l.Slug, func(t *testing.T) {
			t.Setenv(labs.StateDirEnv, t.TempDir())
			out, errOut, code := hopscope(t, kubeconfig, "lab", "start", l.ID)
			if code != 0 {
				t.Fatalf("lab start: exit %d\n%s\n%s", code, out, errOut)
			}
			t.Cleanup(func() { hopscope(t, kubeconfig, "lab", "reset", l.ID) })
			if l.ID == "1" {
				// Starting again is harmless and leaves the lab broken.
				if _, errOut, code := hopscope(t, kubeconfig, "lab", "start", l.ID); code != 0 {
					t.Fatalf("second lab start: exit %d %s", code, errOut)
				}
			}

			// The controllers and the kubelet stand-in need a moment after
			// start; the fault must show within it and stay.
			var v labVerdict
			eventually(60*time.Second, 500*time.Millisecond, func() bool {
				v, code, out = checkLab(t, kubeconfig, l.ID)
				return v.Expected != nil || v.ExpectedProbe != nil
			})
			if code != cli.ExitFindings || v.Solved || !v.FaultPresent || v.Expected == nil && v.ExpectedProbe == nil {
				t.Fatalf("broken lab: exit %d, want 1 with %s reported:\n%s", code, l.Expect.Reported(), out)
			}
			var obj struct{ Kind, Namespace, Name string }
			if l.Expect.Probe != "" {
				// A fault only traffic shows: the probe is refused or gets the
				// wrong answer where the declared state says the path works.
				p := v.ExpectedProbe
				if p == nil || p.Test != string(l.Expect.Probe) || p.Outcome != string(l.Expect.Outcome) {
					t.Fatalf("broken lab: no probe %s with outcome %s:\n%s", l.Expect.Probe, l.Expect.Outcome, out)
				}
				obj = p.Target
			} else {
				if v.Expected == nil || v.Expected.Check != l.Expect.Check || v.Remaining[0].Check != l.Expect.Check {
					t.Fatalf("broken lab does not report %s first:\n%s", l.Expect.Check, out)
				}
				obj = v.Expected.Object
			}
			if obj.Namespace != l.ExpectedNamespace() || !(obj.Kind == l.Expect.Kind && obj.Name == l.Expect.Name ||
				obj.Kind == "Pod" && strings.HasPrefix(obj.Name, l.Expect.Name+"-")) {
				t.Fatalf("expected finding on %s/%s/%s, want %s %s/%s (or one of its pods)", obj.Kind, obj.Namespace, obj.Name,
					l.Expect.Kind, l.ExpectedNamespace(), l.Expect.Name)
			}
			if len(v.BrokenLayers) == 0 {
				t.Errorf("a failing check names no broken layer:\n%s", out)
			}
			// What a lab tolerates is what the local cluster lacks (no
			// Gateway API controller, no load balancer): where it shows, it
			// is a note, never a reason to fail.
			for _, n := range v.Notes {
				if why := l.Toleration(n.Check); why != "" {
					t.Logf("tolerated: %s (%s)", n.Check, why)
				}
			}
			for _, r := range v.Remaining {
				if l.Toleration(r.Check) != "" {
					t.Errorf("tolerated finding %s keeps the lab unsolved:\n%s", r.Check, out)
				}
			}
			if l.Toleration(gatewayControllerUnavailable) != "" && !hasNote(v, gatewayControllerUnavailable) {
				t.Errorf("no Gateway API controller runs here, yet %s is not among the notes:\n%s", gatewayControllerUnavailable, out)
			}
			text, _, _ := hopscope(t, kubeconfig, "lab", "check", l.ID)
			if !strings.Contains(text, "FAIL  lab "+l.ID) || strings.Contains(text, l.Expect.Reported()) {
				t.Errorf("text check of the broken lab must fail without naming the check:\n%s", text)
			}

			if out, errOut, code := hopscope(t, kubeconfig, "lab", "solution", l.ID, "--apply"); code != 0 {
				t.Fatalf("lab solution --apply: exit %d\n%s\n%s", code, out, errOut)
			}
			v, code, out = checkLab(t, kubeconfig, l.ID, "--wait", "60s")
			if code != 0 || !v.Solved || v.FaultPresent {
				t.Fatalf("fixed lab: exit %d, want a PASS:\n%s", code, out)
			}

			if out, errOut, code := hopscope(t, kubeconfig, "lab", "reset", l.ID); code != 0 {
				t.Fatalf("lab reset: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, ns := range l.Namespaces() {
				if err := namespaceGone(ns); err != nil {
					t.Errorf("namespace %s still exists after reset (%v)", ns, err)
				}
			}
			if replicas, ann := corednsReplicas(t, ctx); replicas != wantReplicas || ann[labs.RestoreReplicasAnnotation] != "" {
				t.Errorf("after reset coredns has %d replicas (want %d) and annotations %v", replicas, wantReplicas, ann)
			}
			if l.ClusterWide {
				if err := cluster.WaitDeployment(ctx, "kube-system", "coredns"); err != nil {
					t.Errorf("CoreDNS does not come back after reset: %v", err)
				}
			}
			if _, _, code := hopscope(t, kubeconfig, "lab", "check", l.ID); code != cli.ExitUsage {
				t.Errorf("check of a reset lab: exit %d, want 2 (not running)", code)
			}
		})
	}
}

// gatewayControllerUnavailable is reported on every Gateway of the local
// cluster, where no Gateway API controller runs.
const gatewayControllerUnavailable = "gateway-controller-unavailable"

func hasNote(v labVerdict, check string) bool {
	for _, n := range v.Notes {
		if n.Check == check {
			return true
		}
	}
	return false
}

// TestGatewayLabNeedsLabGatewayClass: the lab GatewayClass is cluster-scoped,
// so a lab never creates it; where it is missing, `lab start` exits 2 saying
// how to add it, and writes nothing.
func TestGatewayLabNeedsLabGatewayClass(t *testing.T) {
	ctx := context.Background()
	if err := cluster.InstallGatewayAPI(ctx); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	classes := dyn.Resource(schema.GroupVersionResource{Group: labs.GatewayAPIGroup, Version: "v1", Resource: "gatewayclasses"})
	if err := classes.Delete(ctx, labs.LabGatewayClass, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.InstallGatewayAPI(context.Background()); err != nil {
			t.Errorf("put GatewayClass %s back: %v", labs.LabGatewayClass, err)
		}
	})
	eventually(10*time.Second, 100*time.Millisecond, func() bool {
		_, err := classes.Get(ctx, labs.LabGatewayClass, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	t.Setenv(labs.StateDirEnv, t.TempDir())
	_, errOut, code := hopscope(t, writeKubeconfig(t), "lab", "start", "19")
	if code != cli.ExitUsage || !strings.Contains(errOut, "GatewayClass "+labs.LabGatewayClass) || !strings.Contains(errOut, "hopscope lab up") {
		t.Fatalf("lab start 19 without GatewayClass %s: exit %d, %s; want 2 naming the class", labs.LabGatewayClass, code, errOut)
	}
	for _, ns := range []string{"hopscope-lab-19", "hopscope-lab-19-store"} {
		if err := namespaceGone(ns); err != nil {
			t.Errorf("a refused start created namespace %s (%v)", ns, err)
		}
	}
}

// TestLabStartRefusesForeignNamespace: a namespace of the lab's name that
// lab start did not create is left exactly as it was.
func TestLabStartRefusesForeignNamespace(t *testing.T) {
	ctx := context.Background()
	kubeconfig := writeKubeconfig(t)
	l, err := labs.Get("2")
	if err != nil {
		t.Fatal(err)
	}
	nss := cluster.Client.CoreV1().Namespaces()
	if _, err := nss.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: l.Namespace(),
		Labels: map[string]string{"team": "payments"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nss.Delete(context.Background(), l.Namespace(), metav1.DeleteOptions{}) })

	for _, args := range [][]string{{"lab", "start", "2"}, {"lab", "reset", "2"}, {"lab", "solution", "2", "--apply"}} {
		_, errOut, code := hopscope(t, kubeconfig, args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, "refusing to touch it") {
			t.Errorf("%v: exit %d, %s; want a refusal", args, code, errOut)
		}
	}
	ns, err := nss.Get(ctx, l.Namespace(), metav1.GetOptions{})
	if err != nil || ns.DeletionTimestamp != nil || ns.Labels["team"] != "payments" || ns.Labels[labs.ManagedByLabel] != "" {
		t.Fatalf("the foreign namespace changed: %+v, %v", ns, err)
	}
	deps, err := cluster.Client.AppsV1().Deployments(l.Namespace()).List(ctx, metav1.ListOptions{})
	if err != nil || len(deps.Items) != 0 {
		t.Fatalf("refused start created %d Deployments (%v)", len(deps.Items), err)
	}
	svcs, err := cluster.Client.CoreV1().Services(l.Namespace()).List(ctx, metav1.ListOptions{})
	if err != nil || len(svcs.Items) != 0 {
		t.Fatalf("refused start created %d Services (%v)", len(svcs.Items), err)
	}
}

// TestClusterWideLabRefusedWithoutMarker: on a cluster that is not marked
// as the local practice cluster, the CoreDNS lab refuses without the flag
// and changes nothing.
func TestClusterWideLabRefusedWithoutMarker(t *testing.T) {
	ctx := context.Background()
	kubeconfig := writeKubeconfig(t)
	unmarkLocalForTest(t, ctx)
	before, _ := corednsReplicas(t, ctx)
	_, errOut, code := hopscope(t, kubeconfig, "lab", "start", "5")
	if code != cli.ExitUsage || !strings.Contains(errOut, "--i-know-this-breaks-cluster-dns") {
		t.Fatalf("exit %d, %s; want a refusal naming the flag", code, errOut)
	}
	if after, ann := corednsReplicas(t, ctx); after != before || ann[labs.RestoreReplicasAnnotation] != "" {
		t.Fatalf("coredns changed: %d → %d replicas, annotations %v", before, after, ann)
	}
	if err := namespaceGone("hopscope-lab-5"); err != nil {
		t.Fatalf("a refused start created its namespace (%v)", err)
	}

	// With the flag it runs, and reset restores CoreDNS.
	t.Setenv(labs.StateDirEnv, t.TempDir())
	if out, errOut, code := hopscope(t, kubeconfig, "lab", "start", "5", "--i-know-this-breaks-cluster-dns"); code != 0 {
		t.Fatalf("start with the flag: exit %d\n%s\n%s", code, out, errOut)
	}
	if replicas, ann := corednsReplicas(t, ctx); replicas != 0 || ann[labs.RestoreReplicasAnnotation] != fmt.Sprint(before) {
		t.Fatalf("after start coredns has %d replicas, annotations %v", replicas, ann)
	}
	if _, errOut, code := hopscope(t, kubeconfig, "lab", "reset", "5"); code != 0 {
		t.Fatalf("reset: exit %d %s", code, errOut)
	}
	if after, ann := corednsReplicas(t, ctx); after != before || ann[labs.RestoreReplicasAnnotation] != "" {
		t.Fatalf("reset left coredns at %d replicas (want %d), annotations %v", after, before, ann)
	}
	if err := cluster.WaitDeployment(ctx, "kube-system", "coredns"); err != nil {
		t.Fatal(err)
	}
}

// TestAdviseReviewsLiveCluster: `advise --cluster` reads the real cluster
// (read-only) and holds its Services against the decision matrix: the
// NodePort lab gets advice, and the cluster's own Services none.
func TestAdviseReviewsLiveCluster(t *testing.T) {
	kubeconfig := writeKubeconfig(t)
	t.Setenv(labs.StateDirEnv, t.TempDir())
	if _, errOut, code := hopscope(t, kubeconfig, "lab", "start", "2"); code != 0 {
		t.Fatalf("lab start 2: exit %d %s", code, errOut)
	}
	t.Cleanup(func() { hopscope(t, kubeconfig, "lab", "reset", "2") })

	out, errOut, code := hopscope(t, kubeconfig, "advise", "--cluster", "-A", "-o", "json")
	var rv struct {
		Advice []struct {
			Rule   string `json:"rule"`
			Object struct{ Kind, Namespace, Name string }
		} `json:"advice"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rv) != nil {
		t.Fatalf("advise --cluster: exit %d %s\n%s", code, errOut, out)
	}
	var got []string
	for _, a := range rv.Advice {
		got = append(got, a.Rule+" "+a.Object.Kind+"/"+a.Object.Namespace+"/"+a.Object.Name)
	}
	if strings.Join(got, ",") != "nodeport-in-production Service/hopscope-lab-2/node-svc" {
		t.Errorf("advice %v, want exactly the lab's NodePort", got)
	}
}

// TestLabCheckReadsWhatTheLabNeeds: `lab check` reads container logs and
// probes paths only for the labs whose lab.yaml asks for them, and only
// reads: a crash-loop lab without `needs` costs no GET pods/log, a lab that
// needs logs no proxy request, and every request of a check is a GET.
func TestLabCheckReadsWhatTheLabNeeds(t *testing.T) {
	ctx := context.Background()
	kubeconfig := writeKubeconfig(t)
	markLocal(t, ctx)
	for _, c := range []struct {
		id           string
		logs, probes bool
	}{
		{id: "16"},               // a crash loop judged from its state
		{id: "26", logs: true},   // a crash loop whose log names the fault
		{id: "24", probes: true}, // an app only a probe shows
	} {
		t.Run("lab"+c.id, func(t *testing.T) {
			t.Setenv(labs.StateDirEnv, t.TempDir())
			if out, errOut, code := hopscope(t, kubeconfig, "lab", "start", c.id); code != 0 {
				t.Fatalf("lab start: exit %d\n%s\n%s", code, out, errOut)
			}
			t.Cleanup(func() { hopscope(t, kubeconfig, "lab", "reset", c.id) })
			// Wait for the fault, then count one check through the proxy.
			eventually(60*time.Second, 500*time.Millisecond, func() bool {
				v, _, _ := checkLab(t, kubeconfig, c.id)
				return v.FaultPresent
			})
			counted, counter := countingKubeconfig(t)
			if _, code, out := checkLab(t, counted, c.id); code != cli.ExitFindings {
				t.Fatalf("lab check through the counter: exit %d, want 1:\n%s", code, out)
			}
			var logs, proxies int
			for _, r := range counter.seen() {
				method, uri, _ := strings.Cut(r, " ")
				if method != http.MethodGet {
					t.Errorf("lab check made %s: it only reads", r)
				}
				path, _, _ := strings.Cut(uri, "?")
				switch {
				case strings.HasSuffix(path, "/log"):
					logs++
				case strings.Contains(path, "/proxy"):
					proxies++
				}
			}
			if (logs > 0) != c.logs || (proxies > 0) != c.probes {
				t.Errorf("lab %s: %d log reads and %d proxy requests; want logs %v, probes %v", c.id, logs, proxies, c.logs, c.probes)
			}
		})
	}
}
