package clusterstate

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HealthyNodeConditions are the conditions a kubelet posts for a healthy
// node, in its order: no memory, disk or PID pressure and Ready, each last
// posted at heartbeat and unchanged since since. Ready is the last one.
func HealthyNodeConditions(heartbeat, since metav1.Time) []corev1.NodeCondition {
	return []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available", LastHeartbeatTime: heartbeat, LastTransitionTime: since},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure", LastHeartbeatTime: heartbeat, LastTransitionTime: since},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available", LastHeartbeatTime: heartbeat, LastTransitionTime: since},
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: heartbeat, LastTransitionTime: since},
	}
}
