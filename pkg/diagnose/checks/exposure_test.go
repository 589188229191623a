package checks

// Exposure-layer checks: NodePorts, LoadBalancers and traffic policy, held
// to their evidence and fixes (the seed's LAB 2 and LAB 3 among them).

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestLab3BothWays: the seed's LAB 3 is caught as written (no readiness
// probe, a warning) and with a wrong targetPort (an error).
func TestLab3BothWays(t *testing.T) {
	asWritten := onlyFinding(t, exposureLBNoReadinessProbe, "testdata/exposure-lb-no-readiness-probe/bad-lab3.yaml")
	wantEvidenceLine(t, asWritten, "Deployment/default/api (pod template): container app has no readinessProbe")
	want := `kubectl patch deployment -n default --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/readinessProbe","value":{"periodSeconds":5,"tcpSocket":{"port":8080}}}]' -- api`
	wantEqual(t, "fix", asWritten.Fix, want)
	if got := runCheckFile(t, serviceTargetPortMissing, "testdata/exposure-lb-no-readiness-probe/bad-lab3.yaml"); len(got) != 0 {
		t.Errorf("LAB 3 as written has the right targetPort, got %v", got)
	}
	wrong := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-lab3-wrong-target-port.yaml")
	if wrong.Object.String() != "Service/default/lb-svc" {
		t.Errorf("object %s", wrong.Object)
	}
}

func TestProbeFixUsesPortName(t *testing.T) {
	f := onlyFinding(t, exposureLBNoReadinessProbe, "testdata/exposure-lb-no-readiness-probe/bad-sidecar-probed.yaml")
	wantEvidenceLine(t, f, "container web has no readinessProbe")
	if !strings.Contains(f.Fix, `"tcpSocket":{"port":"http"}`) {
		t.Errorf("fix %q does not probe the named port", f.Fix)
	}
}

func TestNodePortLab2(t *testing.T) {
	f := onlyFinding(t, exposureNodePort, "testdata/exposure-nodeport/bad-lab2.yaml")
	wantEvidenceLine(t, f, "nodePort 30080 is open on every node")
	if !strings.Contains(f.Symptom, "30080/TCP") {
		t.Errorf("symptom %q does not quote the port", f.Symptom)
	}
	wantEqual(t, "fix", f.Fix, `kubectl patch service -n default --type=merge -p '{"spec":{"type":"ClusterIP"}}' -- node-svc`)
}

func TestLBPendingQuotesEvents(t *testing.T) {
	f := onlyFinding(t, exposureLBPending, "testdata/exposure-lb-pending/bad-pending-dump.yaml")
	wantEvidenceLine(t, f, "SyncLoadBalancerFailed (x7)", "TooManyLoadBalancers")
	wantEvidenceLine(t, f, "EXTERNAL-IP <pending>")

	f = onlyFinding(t, exposureLBPending, "testdata/exposure-lb-pending/bad-aws-subnets-dump.yaml")
	want := "kubectl annotate service -n ingress-nginx -- ingress-nginx-controller 'service.beta.kubernetes.io/aws-load-balancer-subnets=<subnet-id>,<subnet-id in another zone>'"
	wantEqual(t, "fix", f.Fix, want)
	wantEvidenceLine(t, f, "kubernetes.io/role/elb=1")
}

// TestLocalTrafficPolicyNodes: where clients use the node ports directly,
// Local on nodes without a ready pod is an info naming the nodes; a
// LoadBalancer without an address says nothing health-checks them.
func TestLocalTrafficPolicyNodes(t *testing.T) {
	file := "testdata/exposure-local-traffic-policy/bad-nodeport-local.yaml"
	f := findingOn(t, exposureLocalTrafficPolicy, file, "Service/default/web-np")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityInfo)
	wantEvidenceLine(t, f, "nodes with a ready endpoint (1): worker-1")
	wantEvidenceLine(t, f, "nodes without (2): worker-2, worker-3")
	pending := findingOn(t, exposureLocalTrafficPolicy, file, "Service/default/gw-pending")
	wantEvidenceLine(t, pending, "no load balancer address", "healthCheckNodePort 32101")
}

func TestNodePortInvalidQuotesTheAPIError(t *testing.T) {
	f := onlyFinding(t, exposureNodePortInvalid, "testdata/exposure-nodeport-invalid/bad-out-of-range.yaml")
	wantContains(t, "symptom", f.Symptom, "provided port is not in the valid range")
	f = onlyFinding(t, exposureNodePortInvalid, "testdata/exposure-nodeport-invalid/bad-duplicate.yaml")
	wantContains(t, "cause", f.Cause, "Service/default/api")
	wantContains(t, "fix", f.Fix, `"op":"remove"`, `/spec/ports/0/nodePort`)
}

// The readiness probe suggested for a LoadBalancer's pods goes to the port
// the container declares, not to the Service's wrong targetPort.
func TestLBProbeFixUsesTheDeclaredPort(t *testing.T) {
	s := loadScenario(t, "lb-probe-declared-port.yaml", false)
	f := soleFinding(t, ByID("exposure-lb-no-readiness-probe"), s, "the inline case")
	if fix := f.Fix; !strings.Contains(fix, `"port":8080`) {
		t.Fatalf("fix probes the wrong port: %s", fix)
	}
}

// TestLBPendingQuotesTheWarningFirst: the Warning holding the cause comes
// before newer routine Events, and a quota message is named as such.
func TestLBPendingQuotesTheWarningFirst(t *testing.T) {
	f := onlyFinding(t, exposureLBPending, "testdata/exposure-lb-pending/bad-public-ip-quota-dump.yaml")
	var events []string
	for _, line := range f.Evidence {
		if strings.HasPrefix(line, "Event ") {
			events = append(events, line)
		}
	}
	if len(events) != 3 || !strings.HasPrefix(events[0], "Event Warning SyncLoadBalancerFailed") {
		t.Fatalf("events %q, want the Warning first of 3", events)
	}
	wantContains(t, "cause", f.Cause, "the cloud controller reports a failure", "quota is used up")
}
