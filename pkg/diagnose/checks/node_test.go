package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestNodeNotReadyEvidence(t *testing.T) {
	f := backFinding(t, nodeNotReady, "node-not-ready/bad-dump.yaml", "Node/worker-2")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s, want error: a pod runs there", f.Severity)
	}
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		"condition Ready=Unknown (NodeStatusUnknown)", "last heartbeat 2025-03-01T10:04:12Z",
		"node.kubernetes.io/unreachable:NoExecute",
		"1 pod(s) on the node: default/api-7d9f8c6b5-x2k4p (Running, not ready)")
	backWant(t, "cause", f.Cause, "stopped posting its status")
	backWant(t, "fix", f.Fix, "kubectl drain worker-2 --ignore-daemonsets --delete-emptydir-data")

	f = backFinding(t, nodeNotReady, "node-not-ready/bad-dump.yaml", "Node/worker-3")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("severity %s, want warning: no pod of the input runs there", f.Severity)
	}
	backWant(t, "cause", f.Cause, "cni plugin not initialized")
}
