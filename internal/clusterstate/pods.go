package clusterstate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RunningConditions are the conditions the kubelet reports for a Running
// and Ready pod, in its order: scheduled at scheduled, sandbox and init
// containers done at started, every container ready at ready.
func RunningConditions(scheduled, started, ready metav1.Time) []corev1.PodCondition {
	return []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: started},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: started},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: scheduled},
	}
}

// SetCondition sets a pod condition's status, reason, message and
// transition time, adding the condition when the pod has none of its type.
func SetCondition(p *corev1.Pod, t corev1.PodConditionType, status corev1.ConditionStatus, reason, message string, at metav1.Time) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			p.Status.Conditions[i].Status = status
			p.Status.Conditions[i].Reason = reason
			p.Status.Conditions[i].Message = message
			p.Status.Conditions[i].LastTransitionTime = at
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: at})
}

// ContainersNotReady turns the pod's Ready and ContainersReady conditions
// False since at, naming the unready containers (space-separated names) as
// the kubelet does.
func ContainersNotReady(p *corev1.Pod, names string, at metav1.Time) {
	msg := "containers with unready status: [" + names + "]"
	SetCondition(p, corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", msg, at)
	SetCondition(p, corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", msg, at)
}

// PodReady reports whether the pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, cd := range p.Status.Conditions {
		if cd.Type == corev1.PodReady {
			return cd.Status == corev1.ConditionTrue
		}
	}
	return false
}

// CrashLoopBackOff puts container status cs of pod p into the kubelet's
// back-off after its run last ended and restarts restarts: last is kept as
// lastState and the container waits, not started and not ready.
func CrashLoopBackOff(p *corev1.Pod, cs *corev1.ContainerStatus, last corev1.ContainerStateTerminated, restarts int32) {
	cs.RestartCount = restarts
	cs.LastTerminationState = corev1.ContainerState{Terminated: &last}
	cs.Ready, cs.Started = false, ptr(false)
	cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
		Message: fmt.Sprintf("back-off 5m0s restarting failed container=%s pod=%s_%s(%s)", cs.Name, p.Name, p.Namespace, p.UID)}}
}

// BackOffMessage is the message of the kubelet's BackOff Event for a
// container of p in CrashLoopBackOff.
func BackOffMessage(p *corev1.Pod, container string) string {
	return fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)", container, p.Name, p.Namespace, p.UID)
}

// QOSClass is the quality-of-service class the API server gives a pod of
// spec: BestEffort without requests or limits, Guaranteed when every
// container limits CPU and memory, Burstable otherwise.
func QOSClass(s *corev1.PodSpec) corev1.PodQOSClass {
	some, guaranteed := false, true
	for _, ct := range s.Containers {
		if len(ct.Resources.Requests) > 0 || len(ct.Resources.Limits) > 0 {
			some = true
		}
		if len(ct.Resources.Limits) == 0 || ct.Resources.Limits.Cpu().IsZero() || ct.Resources.Limits.Memory().IsZero() {
			guaranteed = false
		}
	}
	switch {
	case !some:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// DefaultTolerations appends the tolerations the DefaultTolerationSeconds
// admission plugin adds to every pod: five minutes on a NotReady or
// unreachable node before eviction.
func DefaultTolerations(s *corev1.PodSpec) {
	s.Tolerations = append(s.Tolerations,
		corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
		corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))})
}
