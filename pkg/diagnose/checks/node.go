package checks

// The node layer: Nodes that are not Ready, and the pods that stop serving
// with them.

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// nodeChecks are the checks that report on the node layer; All sorts them.
var nodeChecks = []*diagnose.Check{nodeNotReady}

// nodeNotReady is the floor under every pod: when the kubelet stops
// reporting, the node controller marks its pods not ready and, after the
// eviction timeout, evicts them; until then Services lose those endpoints.
var nodeNotReady = &diagnose.Check{
	ID:       "node-not-ready",
	Layer:    diagnose.LayerNode,
	Severity: diagnose.SeverityError,
	Doc:      "A Node whose Ready condition is not True (NotReady, Unknown, unreachable): the pods on it stop serving.",
	Run:      runNodeNotReady,
}

// nodeMaxPods bounds how many pods of a node one finding names.
const nodeMaxPods = 10

func runNodeNotReady(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.Nodes) == 0 {
		return
	}
	var byNode map[string][]*corev1.Pod
	for _, n := range s.Nodes {
		ready := nodeCondition(n, corev1.NodeReady)
		if ready == nil || ready.Status == corev1.ConditionTrue {
			// No conditions: a Node manifest without status says nothing.
			continue
		}
		if byNode == nil {
			byNode = map[string][]*corev1.Pod{}
			for _, p := range s.Pods {
				if p.Spec.NodeName != "" {
					byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
				}
			}
		}
		r.Report(nodeNotReadyFinding(s, n, ready, byNode[n.Name], nodeNoneReady(s)))
	}
}

// nodeNoneReady reports whether no Node of the input is Ready: then no pod
// can be scheduled or run anywhere (a cluster whose CNI never came up), so
// a NotReady node is an outage even with no pod on it.
func nodeNoneReady(s *snapshot.Snapshot) bool {
	for _, n := range s.Nodes {
		if c := nodeCondition(n, corev1.NodeReady); c == nil || c.Status == corev1.ConditionTrue {
			return false
		}
	}
	return true
}

func nodeNotReadyFinding(s *snapshot.Snapshot, n *corev1.Node, ready *corev1.NodeCondition, pods []*corev1.Pod, noneReady bool) diagnose.Finding {
	ref := snapshot.ObjectRef{Kind: snapshot.KindNode, Name: n.Name}
	line := "condition " + conditionText(ready.Type, ready.Status, ready.Reason, ready.Message)
	if !ready.LastHeartbeatTime.IsZero() {
		line += "; last heartbeat " + ready.LastHeartbeatTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !ready.LastTransitionTime.IsZero() {
		line += ", last transition " + ready.LastTransitionTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	ev := []string{line}
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ev = append(ev, fmt.Sprintf("condition %s=True (%s): %s", c.Type, c.Reason, clip(c.Message)))
		}
	}
	var taints []string
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.ToString())
	}
	if len(taints) > 0 {
		ev = append(ev, "taints: "+strings.Join(taints, ", "))
	}
	if n.Spec.Unschedulable {
		ev = append(ev, "the node is cordoned (unschedulable)")
	}
	ev = append(ev, eventLines(s, ref, nil)...)

	names := make([]string, 0, len(pods))
	for _, p := range pods {
		st := string(p.Status.Phase)
		if c := podCondition(p, corev1.PodReady); c != nil && c.Status != corev1.ConditionTrue {
			st += ", not ready"
		}
		names = append(names, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, st))
	}
	sort.Strings(names)
	sev := diagnose.SeverityError
	symptom := fmt.Sprintf("node %s is NotReady: the %d pod(s) on it are marked not ready and dropped from their Services' endpoints, then evicted", n.Name, len(pods))
	switch {
	case len(pods) == 0 && noneReady:
		ev = append(ev, fmt.Sprintf("pods on the node: none in the input; none of the %d node(s) is Ready", len(s.Nodes)))
		symptom = fmt.Sprintf("node %s is NotReady, and so is every other node: no pod can be scheduled anywhere, so nothing in the cluster serves", n.Name)
	case len(pods) == 0:
		ev = append(ev, "pods on the node: none in the input")
		// Nothing the input shows runs there: capacity is lost, no path is.
		sev = diagnose.SeverityWarning
		symptom = fmt.Sprintf("node %s is NotReady: nothing can be scheduled on it", n.Name)
	default:
		ev = append(ev, fmt.Sprintf("%d pod(s) on the node: %s", len(pods), joinLimit(names, nodeMaxPods)))
	}

	cause := "the kubelet on node " + n.Name + " "
	switch ready.Reason {
	case "NodeStatusUnknown":
		cause += "stopped posting its status: the node is down, the kubelet stopped, or the node cannot reach the API server"
	case "KubeletNotReady":
		cause += "reports NotReady: " + clip(ready.Message)
	default:
		cause += "reports " + conditionText(ready.Type, ready.Status, ready.Reason, ready.Message)
	}
	if noneReady {
		cause += "; repair the kubelet, container runtime or CNI on every node: no node is Ready, so draining one would only move its pods nowhere"
	} else {
		cause += "; repair the node (kubelet, container runtime, CNI) or drain it so its pods run elsewhere"
	}
	return diagnose.Finding{
		Object:   ref,
		Severity: sev,
		Symptom:  symptom,
		Cause:    cause,
		Evidence: ev,
		Fix:      nodeFix(n.Name, noneReady),
		Verify:   diagnose.GetCmd(ref),
		Origin:   originOf(s, ref),
	}
}

// nodeFix is the fix for a NotReady node: drain it so that its pods run
// elsewhere while the node is repaired. Findings whose cause is that node
// propose the same. When no node is Ready a drain cannot help (every node
// would end up cordoned and the pods Pending): the node agents themselves
// must be repaired, most often the CNI that never came up, whose DaemonSet
// pods in kube-system show why.
func nodeFix(name string, noneReady bool) string {
	if noneReady {
		return diagnose.Kubectl("get", "pods", "-n", "kube-system", "-o", "wide")
	}
	return diagnose.KubectlOn([]string{"drain", "--ignore-daemonsets", "--delete-emptydir-data"}, name)
}
