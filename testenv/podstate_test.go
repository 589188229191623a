package testenv_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The kubelet stand-in writes a pod's status and the Events that explain it
// a moment after the change that caused them: these helpers wait for that
// state and read it for assertions and failure messages.

// eventsOnceRecorded lists the Events of ns once recorded says all the
// wanted ones are there, or after 10s: the kubelet stand-in records an
// Event right after the status it explains, so a settled namespace may
// not show it yet.
func eventsOnceRecorded(t *testing.T, ns string, recorded func([]corev1.Event) bool) []corev1.Event {
	t.Helper()
	var events []corev1.Event
	eventually(10*time.Second, 100*time.Millisecond, func() bool {
		list, err := cluster.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		events = list.Items
		return recorded(events)
	})
	return events
}

func hasEvent(evs []corev1.Event, pod, reason, text string) bool {
	for _, e := range evs {
		if e.InvolvedObject.Name == pod && e.Reason == reason && e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func eventLines(evs []corev1.Event, pod string) string {
	var out []string
	for _, e := range evs {
		if e.InvolvedObject.Name == pod {
			out = append(out, fmt.Sprintf("%s %s %q", e.Type, e.Reason, e.Message))
		}
	}
	return strings.Join(out, "; ")
}

func waitPod(t *testing.T, ns, name string, cond func(*corev1.Pod) bool) {
	t.Helper()
	reached := eventually(30*time.Second, 100*time.Millisecond, func() bool {
		p, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && cond(p)
	})
	if !reached {
		t.Fatalf("pod %s/%s did not reach the expected state in 30s", ns, name)
	}
}
