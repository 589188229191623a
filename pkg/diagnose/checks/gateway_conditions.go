package checks

// Gateway API status conditions (metav1.Condition); pod and node
// conditions are in conditions.go.

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Gateway API objects report their state in metav1.Conditions written by
// the controller. These helpers quote them as evidence and say when one is
// stale (written for an older spec) or still the CRD's default, which means
// no controller ever wrote it.

// condition returns the condition of type t, or nil.
func condition(conds []metav1.Condition, t string) *metav1.Condition {
	return meta.FindStatusCondition(conds, t)
}

// isFalse reports whether the condition exists and is False.
func isFalse(c *metav1.Condition) bool { return c != nil && c.Status == metav1.ConditionFalse }

// isTrue reports whether the condition exists and is True.
func isTrue(c *metav1.Condition) bool { return c != nil && c.Status == metav1.ConditionTrue }

// pendingDefault reports whether c is the status the Gateway API CRDs give
// a new object (Unknown, reason Pending, "Waiting for controller"): no
// controller has written anything since.
func pendingDefault(c *metav1.Condition) bool {
	return c != nil && c.Status == metav1.ConditionUnknown && c.Reason == "Pending"
}

// stale reports whether c was written for an older generation of the spec
// than the object now has.
func stale(c *metav1.Condition, generation int64) bool {
	return c != nil && c.ObservedGeneration > 0 && generation > 0 && c.ObservedGeneration < generation
}

// conditionLine quotes a condition of what for evidence:
// `Gateway infra/eg: Programmed=False (AddressNotAssigned) "no address"`,
// with a note when it is stale.
func statusConditionLine(what string, c *metav1.Condition, generation int64) string {
	line := fmt.Sprintf("%s: %s=%s", what, c.Type, c.Status)
	if c.Reason != "" {
		line += fmt.Sprintf(" (%s)", c.Reason)
	}
	if c.Message != "" {
		line += fmt.Sprintf(" %q", clipMessage(c.Message))
	}
	if stale(c, generation) {
		line += fmt.Sprintf(" — stale: observed generation %d, the spec is at generation %d, so the controller has not judged the current spec yet", c.ObservedGeneration, generation)
	}
	return line
}

// clipMessage keeps a controller's message to a readable length.
func clipMessage(m string) string {
	const limit = 240
	r := []rune(m)
	if len(r) <= limit {
		return m
	}
	return string(r[:limit]) + "…"
}
