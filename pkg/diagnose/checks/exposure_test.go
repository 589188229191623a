package checks

import (
	"strings"
	"testing"
)

// TestLab3BothWays: the seed's LAB 3 is caught as written (no readiness
// probe, a warning) and with a wrong targetPort (an error).
func TestLab3BothWays(t *testing.T) {
	asWritten := frontOne(t, exposureLBNoReadinessProbe, "testdata/exposure-lb-no-readiness-probe/bad-lab3.yaml")
	frontHasEvidence(t, asWritten, "Deployment/default/api (pod template): container app has no readinessProbe")
	want := `kubectl patch deployment api -n default --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/readinessProbe","value":{"periodSeconds":5,"tcpSocket":{"port":8080}}}]'`
	if asWritten.Fix != want {
		t.Errorf("fix %q\nwant %q", asWritten.Fix, want)
	}
	if got := runCheckFile(t, serviceTargetPortMissing, "testdata/exposure-lb-no-readiness-probe/bad-lab3.yaml"); len(got) != 0 {
		t.Errorf("LAB 3 as written has the right targetPort, got %v", got)
	}
	wrong := frontOne(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-lab3-wrong-target-port.yaml")
	if wrong.Object.String() != "Service/default/lb-svc" {
		t.Errorf("object %s", wrong.Object)
	}
}

func TestProbeFixUsesPortName(t *testing.T) {
	f := frontOne(t, exposureLBNoReadinessProbe, "testdata/exposure-lb-no-readiness-probe/bad-sidecar-probed.yaml")
	frontHasEvidence(t, f, "container web has no readinessProbe")
	if !strings.Contains(f.Fix, `"tcpSocket":{"port":"http"}`) {
		t.Errorf("fix %q does not probe the named port", f.Fix)
	}
}

func TestNodePortLab2(t *testing.T) {
	f := frontOne(t, exposureNodePort, "testdata/exposure-nodeport/bad-lab2.yaml")
	frontHasEvidence(t, f, "nodePort 30080 is open on every node")
	if !strings.Contains(f.Symptom, "30080/TCP") {
		t.Errorf("symptom %q does not quote the port", f.Symptom)
	}
	if f.Fix != `kubectl patch service node-svc -n default --type=merge -p '{"spec":{"type":"ClusterIP"}}'` {
		t.Errorf("fix %q", f.Fix)
	}
}

func TestLBPendingQuotesEvents(t *testing.T) {
	f := frontOne(t, exposureLBPending, "testdata/exposure-lb-pending/bad-pending-dump.yaml")
	frontHasEvidence(t, f, "SyncLoadBalancerFailed (x7)", "TooManyLoadBalancers")
	frontHasEvidence(t, f, "EXTERNAL-IP <pending>")

	f = frontOne(t, exposureLBPending, "testdata/exposure-lb-pending/bad-aws-subnets-dump.yaml")
	want := "kubectl annotate service ingress-nginx-controller -n ingress-nginx 'service.beta.kubernetes.io/aws-load-balancer-subnets=<subnet-id>,<subnet-id in another zone>'"
	if f.Fix != want {
		t.Errorf("fix %q, want %q", f.Fix, want)
	}
	frontHasEvidence(t, f, "kubernetes.io/role/elb=1")
}

func TestLocalTrafficPolicyNodes(t *testing.T) {
	f := frontOne(t, exposureLocalTrafficPolicy, "testdata/exposure-local-traffic-policy/bad-local.yaml")
	frontHasEvidence(t, f, "nodes with a ready endpoint (1): worker-1")
	frontHasEvidence(t, f, "nodes without (2): worker-2, worker-3")
	frontHasEvidence(t, f, "healthCheckNodePort 32100")
}
