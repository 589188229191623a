package watch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// markerAnnotation tells the test which of its changes an object in the
// watch cache carries.
const markerAnnotation = "hopscope.test/change"

// TestPartialDiagnosisEqualsWhole applies random batches of changes to a
// generated cluster (pods turning unready or crash-looping, relabelled or
// deleted, Service selectors and target ports drifting, Endpoints
// emptied, workloads scaled, ConfigMaps edited, Events recorded, and now
// and then a Node or an Ingress changed) and, after each batch, compares
// the diagnosis the watcher publishes with a whole diagnosis of the same
// caches: of every namespace, and of a --namespaces selection.
func TestPartialDiagnosisEqualsWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("diagnoses a generated cluster 90 times")
	}
	for _, tc := range []struct {
		name       string
		namespaces []string
		steps      int
	}{
		{"every namespace", nil, 60},
		{"--namespaces", []string{"billing-0", "checkout-0", "media-0"}, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, typed := syntheticClients(t, 1500, 7)
			w := settled(t, Options{Clients: cl, Namespaces: tc.namespaces})
			ctx := context.Background()
			w.pending.take()
			w.diagnoseCluster("first diagnosis", false)

			rng := rand.New(rand.NewPCG(7, 14))
			scopes := map[string]int{}
			for step := 1; step <= tc.steps; step++ {
				var did []string
				for i := range 1 + rng.IntN(3) {
					did = append(did, change(t, ctx, w, typed, rng, fmt.Sprintf("%d.%d", step, i)))
				}
				scope := w.rediagnose(w.pending.take(), false)
				scopes[scope]++
				s, err := w.snapshotOf(nil)
				if err != nil {
					t.Fatal(err)
				}
				whole, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespaces: tc.namespaces})
				if err != nil {
					t.Fatal(err)
				}
				if got := w.parts.result(); !sameDiagnosis(got, whole) {
					t.Fatalf("step %d (%s, diagnosed: %s): the published diagnosis differs from a whole one:\n%s",
						step, strings.Join(did, "; "), scope, diffLines(canonical(got), canonical(whole)))
				}
			}
			t.Logf("diagnoses by scope: %v", scopes)
			if scopes[scopeNamespaces] < tc.steps/2 {
				t.Errorf("only %d of %d batches were diagnosed by namespace: the test no longer exercises partial diagnoses", scopes[scopeNamespaces], tc.steps)
			}
		})
	}
}

// change applies one random change and waits until the watch cache holds
// it; it returns what it did.
func change(t *testing.T, ctx context.Context, w *Watcher, typed *fake.Clientset, rng *rand.Rand, marker string) string {
	t.Helper()
	core := typed.CoreV1()
	pods, err := core.Pods("").List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("list pods: %v", err)
	}
	pod := pods.Items[rng.IntN(len(pods.Items))]
	// Half the pod changes hit a NotReady node, whose finding names the
	// pods on it: a change there reaches beyond the pod's namespace.
	if down := podsOnNotReadyNodes(t, ctx, typed, pods.Items); len(down) > 0 && rng.IntN(2) == 0 {
		pod = down[rng.IntN(len(down))]
	}
	mark := func(m *metav1.ObjectMeta) {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[markerAnnotation] = marker
		m.ResourceVersion = ""
	}
	seen := watchEvents(t, w)
	var what string
	var err2 error
	kind, ns, name := snapshot.KindPod, pod.Namespace, pod.Name
	switch pick := rng.IntN(100); {
	case pick < 20:
		what = "pod unready"
		ready := corev1.ConditionFalse
		if rng.IntN(3) == 0 {
			ready = corev1.ConditionTrue
		}
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		for i := range pod.Status.ContainerStatuses {
			pod.Status.ContainerStatuses[i].Ready = ready == corev1.ConditionTrue
		}
		mark(&pod.ObjectMeta)
		_, err2 = core.Pods(ns).Update(ctx, &pod, metav1.UpdateOptions{})
	case pick < 30:
		what = "pod crash-looping"
		for i := range pod.Status.ContainerStatuses {
			cs := &pod.Status.ContainerStatuses[i]
			cs.Ready, cs.RestartCount = false, 7
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
		}
		mark(&pod.ObjectMeta)
		_, err2 = core.Pods(ns).Update(ctx, &pod, metav1.UpdateOptions{})
	case pick < 40:
		what = "pod relabelled"
		for k, v := range pod.Labels {
			pod.Labels[k] = v + "-x"
			break
		}
		mark(&pod.ObjectMeta)
		_, err2 = core.Pods(ns).Update(ctx, &pod, metav1.UpdateOptions{})
	case pick < 47:
		what = "pod deleted"
		err2 = core.Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
		marker = ""
	case pick < 62:
		svcs, err := core.Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(svcs.Items) == 0 {
			return change(t, ctx, w, typed, rng, marker)
		}
		svc := svcs.Items[rng.IntN(len(svcs.Items))]
		kind, name = snapshot.KindService, svc.Name
		if rng.IntN(2) == 0 {
			what = "service selector drift"
			for k, v := range svc.Spec.Selector {
				svc.Spec.Selector[k] = v + "-v2"
				break
			}
		} else if len(svc.Spec.Ports) > 0 {
			what = "service target port"
			svc.Spec.Ports[0].TargetPort = intstr.FromInt32(9999)
		}
		mark(&svc.ObjectMeta)
		_, err2 = core.Services(ns).Update(ctx, &svc, metav1.UpdateOptions{})
	case pick < 70:
		eps, err := core.Endpoints(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(eps.Items) == 0 {
			return change(t, ctx, w, typed, rng, marker)
		}
		ep := eps.Items[rng.IntN(len(eps.Items))]
		what, kind, name = "endpoints emptied", snapshot.KindEndpoints, ep.Name
		ep.Subsets = nil
		mark(&ep.ObjectMeta)
		_, err2 = core.Endpoints(ns).Update(ctx, &ep, metav1.UpdateOptions{})
	case pick < 77:
		deps, err := typed.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(deps.Items) == 0 {
			return change(t, ctx, w, typed, rng, marker)
		}
		d := deps.Items[rng.IntN(len(deps.Items))]
		what, kind, name = "deployment scaled", snapshot.KindDeployment, d.Name
		n := int32(rng.IntN(4))
		d.Spec.Replicas = &n
		mark(&d.ObjectMeta)
		_, err2 = typed.AppsV1().Deployments(ns).Update(ctx, &d, metav1.UpdateOptions{})
	case pick < 82:
		what, kind, name = "configmap written", snapshot.KindConfigMap, "app-settings-"+marker
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"k": marker}}
		mark(&cm.ObjectMeta)
		_, err2 = core.ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	case pick < 92:
		what, kind, name = "event recorded", snapshot.KindEvent, "ev-"+marker
		ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name},
			Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: "Back-off restarting failed container",
			LastTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Count: 3}
		mark(&ev.ObjectMeta)
		_, err2 = core.Events(ns).Create(ctx, ev, metav1.CreateOptions{})
	case pick < 96:
		nodes, err := core.Nodes().List(ctx, metav1.ListOptions{})
		if err != nil || len(nodes.Items) == 0 {
			return change(t, ctx, w, typed, rng, marker)
		}
		n := nodes.Items[rng.IntN(len(nodes.Items))]
		what, kind, ns, name = "node not ready", snapshot.KindNode, "", n.Name
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady"}}
		mark(&n.ObjectMeta)
		_, err2 = core.Nodes().Update(ctx, &n, metav1.UpdateOptions{})
	default:
		ings, err := typed.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
		if err != nil || len(ings.Items) == 0 {
			return change(t, ctx, w, typed, rng, marker)
		}
		ing := ings.Items[rng.IntN(len(ings.Items))]
		what, kind, ns, name = "ingress class removed", snapshot.KindIngress, ing.Namespace, ing.Name
		ing.Spec.IngressClassName = nil
		mark(&ing.ObjectMeta)
		_, err2 = typed.NetworkingV1().Ingresses(ns).Update(ctx, &ing, metav1.UpdateOptions{})
	}
	if err2 != nil {
		t.Fatalf("%s %s/%s: %v", what, ns, name, err2)
	}
	waitCached(t, w, kind, ns, name, marker)
	// The cache holds a change before the handlers hear of it; the event
	// counter moves after the change is noted for the next diagnosis.
	waitFor(t, "the watch event of "+what, func() bool { return watchEvents(t, w) > seen })
	return fmt.Sprintf("%s %s/%s", what, ns, name)
}

func podsOnNotReadyNodes(t *testing.T, ctx context.Context, typed *fake.Clientset, pods []corev1.Pod) []corev1.Pod {
	nodes, err := typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	down := map[string]bool{}
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
				down[n.Name] = true
			}
		}
	}
	var out []corev1.Pod
	for _, p := range pods {
		if down[p.Spec.NodeName] {
			out = append(out, p)
		}
	}
	return out
}

// watchEvents is the sum of hopscope_watch_events_total.
func watchEvents(t *testing.T, w *Watcher) float64 { return counterValue(t, w, MetricWatchEvents) }

// waitCached waits until the watch cache of kind holds the object with
// marker, or (marker empty) no longer holds it.
func waitCached(t *testing.T, w *Watcher, kind, ns, name, marker string) {
	t.Helper()
	key := name
	if ns != "" {
		key = ns + "/" + name
	}
	for _, k := range w.kinds {
		if k.kind != kind {
			continue
		}
		waitFor(t, kind+" "+key+" in the watch cache", func() bool {
			obj, ok, _ := k.informer.GetStore().GetByKey(key)
			if marker == "" {
				return !ok
			}
			if !ok {
				return false
			}
			m, ok := obj.(metav1.Object)
			return ok && m.GetAnnotations()[markerAnnotation] == marker
		})
		return
	}
	t.Fatalf("kind %s is not watched", kind)
}

// diffLines lists the lines only one side holds.
func diffLines(got, want []string) string {
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	g, wnt := in(got), in(want)
	var b strings.Builder
	for _, l := range got {
		if !wnt[l] {
			fmt.Fprintf(&b, "- published only: %.600s\n", l)
		}
	}
	for _, l := range want {
		if !g[l] {
			fmt.Fprintf(&b, "+ whole only:     %.600s\n", l)
		}
	}
	return b.String()
}

// TestReconcileCountsAndReplacesAWrongPartialDiagnosis: when the reconcile
// timer's whole diagnosis differs from what partial diagnoses published,
// the difference is counted and the whole diagnosis replaces it.
func TestReconcileCountsAndReplacesAWrongPartialDiagnosis(t *testing.T) {
	cl, _ := fakeClients(apiService("api"), apiPod())
	w := settled(t, Options{Clients: cl})
	w.pending.take() // the initial list, which the first diagnosis reads
	w.diagnoseCluster("first diagnosis", false)
	if len(w.parts["lab1"].findings) == 0 {
		t.Fatal("lab 1 is broken, yet its namespace has no finding")
	}
	// A partial diagnosis that missed the broken Service.
	w.parts["lab1"] = &part{reaches: map[string]bool{}}
	w.partialSince = true
	if scope := w.rediagnose(w.pending.take(), true); scope != scopeCluster {
		t.Fatalf("the reconcile timer diagnosed %q, want the cluster", scope)
	}
	if got := counterValue(t, w, MetricPartialMismatches); got != 1 {
		t.Errorf("%s = %v, want 1", MetricPartialMismatches, got)
	}
	if len(w.parts["lab1"].findings) == 0 || w.partialSince {
		t.Error("the whole diagnosis did not replace the partial one")
	}
	// The same again, now right: nothing more is counted.
	w.rediagnose(w.pending.take(), true)
	if got := counterValue(t, w, MetricPartialMismatches); got != 1 {
		t.Errorf("%s = %v after an agreeing reconcile, want still 1", MetricPartialMismatches, got)
	}
}

// counterValue sums the series of a counter in the watcher's registry.
func counterValue(t *testing.T, w *Watcher, name string) float64 {
	t.Helper()
	families, err := w.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range families {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
