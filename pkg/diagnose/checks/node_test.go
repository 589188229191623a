package checks

// Node-layer checks: NotReady nodes, and when they are an outage.

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestNodeNotReadyEvidence(t *testing.T) {
	f := findingOn(t, nodeNotReady, "testdata/node-not-ready/bad-dump.yaml", "Node/worker-2")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s, want error: a pod runs there", f.Severity)
	}
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"condition Ready=Unknown (NodeStatusUnknown)", "last heartbeat 2025-03-01T10:04:12Z",
		"node.kubernetes.io/unreachable:NoExecute",
		"1 pod(s) on the node: default/api-7d9f8c6b5-x2k4p (Running, not ready)")
	wantContains(t, "cause", f.Cause, "stopped posting its status")
	wantContains(t, "fix", f.Fix, "kubectl drain --ignore-daemonsets --delete-emptydir-data -- worker-2")

	f = findingOn(t, nodeNotReady, "testdata/node-not-ready/bad-dump.yaml", "Node/worker-3")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("severity %s, want warning: no pod of the input runs there", f.Severity)
	}
	wantContains(t, "cause", f.Cause, "cni plugin not initialized")
}

// TestNodeNoneReadyIsAnOutage: with every node NotReady nothing can be
// scheduled, so an empty NotReady node is an error too, and the Pending pod
// points at the nodes.
func TestNodeNoneReadyIsAnOutage(t *testing.T) {
	f := findingOn(t, nodeNotReady, "testdata/node-not-ready/bad-no-node-ready.yaml", "Node/cp-1")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s, want error: no node is Ready", f.Severity)
	}
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "none of the 2 node(s) is Ready")
	// Draining would cordon the last nodes and schedule nothing: the fix
	// looks at the node agents (the CNI DaemonSet) instead.
	if strings.Contains(f.Fix, "drain") || strings.Contains(f.Cause, "or drain it") {
		t.Errorf("no node is Ready, yet the finding proposes a drain: cause %q, fix %q", f.Cause, f.Fix)
	}
	wantContains(t, "fix", f.Fix, "kubectl get pods -n kube-system -o wide")
	p := findingOn(t, podPending, "testdata/node-not-ready/bad-no-node-ready.yaml", "Pod/kube-system/coredns-7db6d8ff4d-5czzt")
	wantContains(t, "cause", p.Cause, "the nodes are what to repair")
}
