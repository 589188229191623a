package testenv_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/internal/clusterstate"
	"github.com/hopscope/hopscope/testenv"
)

// TestKubeletStandIn checks, pod by pod, the state the stand-in writes for
// each rule its doc comment promises, and the Events that go with it.
func TestKubeletStandIn(t *testing.T) {
	ctx := context.Background()
	const ns = "kubelet"
	tempNamespace(t, ns)
	probe := func(port intstr.IntOrString) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: port}}}
	}
	cases := []struct {
		name        string
		annotation  string
		probe       *corev1.Probe
		selector    map[string]string
		phase       corev1.PodPhase
		ready       bool
		waiting     string // container waiting reason
		restarts    int32
		eventReason string // a Warning Event with this reason must exist
		eventText   string
	}{
		{name: "healthy", phase: corev1.PodRunning, ready: true},
		{name: "numeric-probe-port", probe: probe(intstr.FromInt32(9999)), phase: corev1.PodRunning, ready: true},
		{name: "named-probe-port", probe: probe(intstr.FromString("health")), phase: corev1.PodRunning,
			eventReason: "Unhealthy", eventText: "couldn't find port: health"},
		{name: "crashloop", annotation: testenv.SimulateCrashLoop, phase: corev1.PodRunning, waiting: "CrashLoopBackOff", restarts: 5,
			eventReason: "BackOff", eventText: "Back-off restarting failed container app"},
		{name: "not-ready", annotation: testenv.SimulateNotReady, probe: probe(intstr.FromInt32(8080)), phase: corev1.PodRunning,
			eventReason: "Unhealthy", eventText: "Readiness probe failed"},
		{name: "image-pull", annotation: testenv.SimulateImagePull, phase: corev1.PodPending, waiting: "ImagePullBackOff",
			eventReason: "Failed", eventText: "Failed to pull image"},
		{name: "unschedulable", selector: map[string]string{"disktype": "ssd"}, phase: corev1.PodPending,
			eventReason: "FailedScheduling", eventText: "didn't match Pod's node affinity/selector"},
	}
	for _, c := range cases {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: c.name, Labels: map[string]string{"case": c.name}},
			Spec: corev1.PodSpec{
				NodeSelector: c.selector,
				Containers: []corev1.Container{{
					Name: "app", Image: "hashicorp/http-echo:0.2.3", ReadinessProbe: c.probe,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}},
			},
		}
		if c.annotation != "" {
			pod.Annotations = map[string]string{testenv.SimulateAnnotation: c.annotation}
		}
		if _, err := cluster.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cluster.WaitSettled(ctx, ns); err != nil {
		t.Fatal(err)
	}
	events := eventsOnceRecorded(t, ns, func(evs []corev1.Event) bool {
		for _, c := range cases {
			if c.eventReason != "" && !hasEvent(evs, c.name, c.eventReason, c.eventText) {
				return false
			}
		}
		return true
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := cluster.Client.CoreV1().Pods(ns).Get(ctx, c.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status.Phase != c.phase {
				t.Errorf("phase %s, want %s", p.Status.Phase, c.phase)
			}
			if got := clusterstate.PodReady(p); got != c.ready {
				t.Errorf("ready %v, want %v (conditions %+v)", got, c.ready, p.Status.Conditions)
			}
			if c.selector == nil {
				if p.Spec.NodeName == "" || !strings.HasPrefix(p.Status.PodIP, "10.244.") {
					t.Errorf("node %q, pod IP %q: want bound with an IP from 10.244.0.0/16", p.Spec.NodeName, p.Status.PodIP)
				}
				if len(p.Status.ContainerStatuses) != 1 {
					t.Fatalf("container statuses %+v, want one", p.Status.ContainerStatuses)
				}
				cs := p.Status.ContainerStatuses[0]
				waiting := ""
				if cs.State.Waiting != nil {
					waiting = cs.State.Waiting.Reason
				}
				if waiting != c.waiting || cs.RestartCount != c.restarts {
					t.Errorf("container waiting %q restarts %d, want %q and %d", waiting, cs.RestartCount, c.waiting, c.restarts)
				}
			} else if p.Spec.NodeName != "" {
				t.Errorf("bound to %s although no Node matches its nodeSelector", p.Spec.NodeName)
			}
			if c.eventReason != "" && !hasEvent(events, c.name, c.eventReason, c.eventText) {
				t.Errorf("no Warning Event %s %q for pod %s; events: %s", c.eventReason, c.eventText, c.name, eventLines(events, c.name))
			}
		})
	}

	// Changing the annotation of a running pod changes its state, as a
	// fault appearing in a real container would.
	p, err := cluster.Client.CoreV1().Pods(ns).Get(ctx, "healthy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip := p.Status.PodIP
	p.Annotations = map[string]string{testenv.SimulateAnnotation: testenv.SimulateCrashLoop}
	if _, err := cluster.Client.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, ns, "healthy", func(p *corev1.Pod) bool { return !clusterstate.PodReady(p) && p.Status.PodIP == ip })

	// A deleted pod goes away at once: nothing waits for a grace period.
	if err := cluster.Client.CoreV1().Pods(ns).Delete(ctx, "healthy", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitSettled(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Client.CoreV1().Pods(ns).Get(ctx, "healthy", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deleted pod still there (err %v): the stand-in must finish graceful deletion", err)
	}
}
