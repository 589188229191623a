// Probes are what `hopscope probe` and `diagnose --probe` add to a Result:
// active tests of a path (package probe runs them), each set beside the
// verdict the declared state gives, so a report can say where the two part.

package diagnose

import "github.com/hopscope/hopscope/pkg/snapshot"

// ProbeTest names what one probe tested.
type ProbeTest string

// The tests. Level 0 goes through the API server's proxy and writes
// nothing; level 1 runs from a client pod in an ephemeral container.
const (
	// ProbeTestPodHTTP: GET through pods/proxy to one pod on the Service's
	// target port.
	ProbeTestPodHTTP ProbeTest = "pod-http"
	// ProbeTestServiceHTTP: GET through services/proxy on the Service port;
	// the API server picks a ready endpoint itself.
	ProbeTestServiceHTTP ProbeTest = "service-http"
	// ProbeTestDNS: the client pod looks up the name it uses.
	ProbeTestDNS ProbeTest = "dns"
	// ProbeTestServiceName, ProbeTestClusterIP and ProbeTestPodIP: TCP
	// connects from the client pod to the Service by name, to its ClusterIP
	// and to one backend pod's IP on the target port.
	ProbeTestServiceName ProbeTest = "tcp-service-name"
	ProbeTestClusterIP   ProbeTest = "tcp-cluster-ip"
	ProbeTestPodIP       ProbeTest = "tcp-pod-ip"
)

// ProbeOutcome is what a probe saw.
type ProbeOutcome string

// Outcomes. Answered is the only success; forbidden and not run say that
// nothing was learned.
const (
	ProbeAnswered    ProbeOutcome = "answered"
	ProbeRefused     ProbeOutcome = "refused"
	ProbeTimeout     ProbeOutcome = "timeout"
	ProbeUnresolved  ProbeOutcome = "unresolved"
	ProbeUnreachable ProbeOutcome = "unreachable"
	ProbeNoEndpoints ProbeOutcome = "no endpoints"
	// ProbeWrongScheme: the target answered plain HTTP with the 400 a
	// TLS-only port gives ("Client sent an HTTP request to an HTTPS
	// server", "The plain HTTP request was sent to HTTPS port"): it is
	// reached, but a client speaking plain HTTP gets nothing from it.
	ProbeWrongScheme ProbeOutcome = "wrong scheme"
	ProbeForbidden   ProbeOutcome = "forbidden"
	ProbeNotRun      ProbeOutcome = "not run"
)

// Failed reports whether the outcome shows traffic failing.
func (o ProbeOutcome) Failed() bool {
	switch o {
	case ProbeRefused, ProbeTimeout, ProbeUnresolved, ProbeUnreachable, ProbeNoEndpoints, ProbeWrongScheme:
		return true
	}
	return false
}

// ProbeAgreement sets a probe beside the static verdict.
type ProbeAgreement string

// Agreements.
const (
	// ProbeConfirms: the probe saw what the declared state predicts.
	ProbeConfirms ProbeAgreement = "confirms"
	// ProbeContradicts: the declared state predicts one thing, the probe saw
	// the other; Note says where to look.
	ProbeContradicts ProbeAgreement = "contradicts"
	// ProbeInconclusive: the probe could not run or was refused.
	ProbeInconclusive ProbeAgreement = "inconclusive"
)

// Probe is one active test of one traced path and what it proved.
type Probe struct {
	// Path is the Entry of the trace the probe tests.
	Path string `json:"path"`
	// Static is that trace's verdict from declared state.
	Static TraceStatus `json:"static"`
	// Level is 0 (read-only, through the API server) or 1 (from a client
	// pod).
	Level int       `json:"level"`
	Test  ProbeTest `json:"test"`
	// Target is the pod or Service probed.
	Target snapshot.ObjectRef `json:"target"`
	// From is the client pod a level-1 probe ran in.
	From *snapshot.ObjectRef `json:"from,omitempty"`
	// Address is what was dialled or looked up: "api-1:8080",
	// "10.96.0.12:80", "api-svc".
	Address string `json:"address"`
	// Request is the API request that carried the probe, as
	// "GET /api/v1/namespaces/shop/pods/api-1:8080/proxy/".
	Request string       `json:"request"`
	Outcome ProbeOutcome `json:"outcome"`
	// Detail quotes what came back: the HTTP status and the start of the
	// body, the error, or the client's own output.
	Detail string `json:"detail"`
	// Expected is what the declared state predicts for this probe, in
	// words ("pod api-1 is Ready: it should answer").
	Expected  string         `json:"expected"`
	Agreement ProbeAgreement `json:"agreement"`
	// Note says what the comparison means and where to look.
	Note string `json:"note"`
}
