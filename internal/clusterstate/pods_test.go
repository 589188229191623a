package clusterstate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestQOSClass(t *testing.T) {
	res := func(req, lim corev1.ResourceList) corev1.PodSpec {
		return corev1.PodSpec{Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}}}
	}
	both := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	mem := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
	for spec, want := range map[*corev1.PodSpec]corev1.PodQOSClass{
		ptr(res(nil, nil)):   corev1.PodQOSBestEffort,
		ptr(res(both, both)): corev1.PodQOSGuaranteed,
		ptr(res(mem, mem)):   corev1.PodQOSBurstable,
		ptr(res(both, nil)):  corev1.PodQOSBurstable,
	} {
		if got := QOSClass(spec); got != want {
			t.Errorf("%+v: %s, want %s", spec.Containers[0].Resources, got, want)
		}
	}
}

func TestCrashLoopBackOff(t *testing.T) {
	p := webPod("web-1", "10.244.1.2")
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", Ready: true, Started: ptr(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	cs := &p.Status.ContainerStatuses[0]
	CrashLoopBackOff(p, cs, corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}, 7)
	ContainersNotReady(p, cs.Name, metav1.Time{})
	w := cs.State.Waiting
	if w == nil || w.Reason != "CrashLoopBackOff" || !strings.HasSuffix(w.Message, "container=web pod=web-1_shop(uid-web-1)") {
		t.Errorf("waiting %+v", w)
	}
	if cs.Ready || *cs.Started || cs.RestartCount != 7 || cs.State.Running != nil || cs.LastTerminationState.Terminated.Reason != "OOMKilled" {
		t.Errorf("status %+v", cs)
	}
	if PodReady(p) {
		t.Error("the pod is still Ready")
	}
	if got := BackOffMessage(p, "web"); got != "Back-off restarting failed container web in pod web-1_shop(uid-web-1)" {
		t.Errorf("event message %q", got)
	}
}
