package checks

// Reading and quoting the conditions of pods and nodes: the one place that
// decides what "ready" means for each.

import (
	corev1 "k8s.io/api/core/v1"
)

// conditionOf returns the first of conds that is wanted, or nil.
func conditionOf[C any](conds []C, wanted func(*C) bool) *C {
	for i := range conds {
		if wanted(&conds[i]) {
			return &conds[i]
		}
	}
	return nil
}

// podCondition returns the pod condition of type t, or nil.
func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	return conditionOf(p.Status.Conditions, func(c *corev1.PodCondition) bool { return c.Type == t })
}

// nodeCondition returns the node condition of type t, or nil.
func nodeCondition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	return conditionOf(n.Status.Conditions, func(c *corev1.NodeCondition) bool { return c.Type == t })
}

// nodeReady reports whether a node's Ready condition is True; a node
// without one is not ready.
func nodeReady(n *corev1.Node) bool {
	c := nodeCondition(n, corev1.NodeReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// podServing reports whether p runs and is Ready: a pod that serves.
func podServing(p *corev1.Pod) bool {
	c := podCondition(p, corev1.PodReady)
	return p.Status.Phase == corev1.PodRunning && c != nil && c.Status == corev1.ConditionTrue
}

// conditionText is a condition as evidence reads it: "Ready=False
// (ContainersNotReady): message".
func conditionText[T, S ~string](t T, status S, reason, message string) string {
	line := string(t) + "=" + string(status)
	if reason != "" {
		line += " (" + reason + ")"
	}
	if message != "" {
		line += ": " + clip(message)
	}
	return line
}

// conditionLine formats a pod condition with its reason, message and when
// it last changed.
func conditionLine(c *corev1.PodCondition) string {
	line := "condition " + conditionText(c.Type, c.Status, c.Reason, c.Message)
	if !c.LastTransitionTime.IsZero() {
		line += " since " + c.LastTransitionTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	return line
}
