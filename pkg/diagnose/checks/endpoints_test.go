package checks

// Endpoints-layer checks: no ready address, stale addresses and hand-written
// port names, held to their evidence and fixes.

import (
	"strings"
	"testing"
)

// TestEndpointsWithoutPodsQuoteEndpoints: when the input holds the Service
// and its endpoints but none of the namespace's pods, the endpoints are
// the evidence: an empty Endpoints object and a slice of not-ready pods
// are both quoted, and the fix looks at the pods the input lacks.
func TestEndpointsWithoutPodsQuoteEndpoints(t *testing.T) {
	f := onlyFinding(t, endpointsNoReadyAddress, "testdata/endpoints-no-ready-address/bad-endpoints-only-empty.yaml")
	wantEvidenceLine(t, f, "Endpoints payments/ledger: 0 subset(s), no address")
	wantContains(t, "cause", f.Cause, "no running pod with an IP matches selector app=ledger")
	wantEqual(t, "fix", f.Fix, "kubectl get pods -n payments -l app=ledger -o wide")

	f = onlyFinding(t, endpointsNoReadyAddress, "testdata/endpoints-no-ready-address/bad-endpoints-only-not-ready.yaml")
	wantEvidenceLine(t, f, "0 ready addresses, 1 not ready: 10.244.1.17 (Pod ledger-5d9c7b8f6d-q2w4e)")
	wantEvidenceLine(t, f, "published in EndpointSlice/payments/ledger-7xk2p")
	wantEqual(t, "fix", f.Fix, "kubectl describe pod -n payments -- ledger-5d9c7b8f6d-q2w4e")
}

// TestNoReadyAddressQuotesProbe: the not-ready addresses, their pods and
// the kubelet's probe failure are the evidence.
func TestNoReadyAddressQuotesProbe(t *testing.T) {
	f := onlyFinding(t, endpointsNoReadyAddress, "testdata/endpoints-no-ready-address/bad-not-ready-dump.yaml")
	wantEvidenceLine(t, f, "0 ready addresses, 2 not ready", "10.244.1.7 (Pod api-6b7f9c8d4-x2x9k)")
	wantEvidenceLine(t, f, "Ready=False (ContainersNotReady)")
	wantEvidenceLine(t, f, "Unhealthy (x42): Readiness probe failed: HTTP probe failed with statuscode: 404")
	wantEqual(t, "fix", f.Fix, "kubectl edit deployment -n default -- api")
	if !endpointsNoReadyAddress.Symptom {
		t.Error("endpoints-no-ready-address must be a Symptom check: a deeper cause explains it")
	}
}

func TestStalePodEvidence(t *testing.T) {
	got := runCheckFile(t, endpointsStalePod, "testdata/endpoints-stale-pod/bad-gone.yaml")
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	wantEvidenceLine(t, got[0], "10.244.2.5 (Pod api-7c9d-old99): the pod no longer exists")
	wantEvidenceLine(t, got[1], "re-created (uid 9c1d-0000-0200")
	wantEqual(t, "fix", got[1].Fix, "kubectl delete endpointslice -n default -- db-q2w3e")
	for _, f := range got {
		if strings.Contains(f.Evidence[0], "api-7c9d-new01") {
			t.Errorf("a current address is called stale: %v", f.Evidence)
		}
	}
}

func TestEndpointsPortNameFixNamesThePort(t *testing.T) {
	f := onlyFinding(t, serviceEndpointsPortNameMismatch, "testdata/service-endpoints-port-name-mismatch/bad-unnamed-endpoints-port.yaml")
	wantContains(t, "fix", f.Fix, `"path":"/subsets/0/ports/0/name"`, `"value":"http"`)
	f = onlyFinding(t, serviceEndpointsPortNameMismatch, "testdata/service-endpoints-port-name-mismatch/bad-slice-port-name.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), `port name "pg"`)
}
