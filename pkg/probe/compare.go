package probe

import (
	"github.com/hopscope/hopscope/pkg/diagnose"
)

// judge sets a probe's result beside what the declared state predicted:
// Agreement says whether the two agree, Note what it means and where to
// look. group holds the other tests of the same level-1 run, which tell
// DNS, kube-proxy, NetworkPolicy and the app apart; nil for level 0.
func judge(p diagnose.Probe, pred prediction, group map[diagnose.ProbeTest]diagnose.Probe) diagnose.Probe {
	p.Expected = pred.text()
	failed := p.Outcome.Failed()
	answered := p.Outcome == diagnose.ProbeAnswered
	switch {
	case p.Outcome == diagnose.ProbeForbidden:
		p.Agreement, p.Note = diagnose.ProbeInconclusive, "not checked: forbidden"
	case !failed && !answered:
		p.Agreement, p.Note = diagnose.ProbeInconclusive, "not checked: the probe did not run to an answer"
	case pred.answer && answered:
		p.Agreement, p.Note = diagnose.ProbeConfirms, "the probe confirms the declared state: "+pred.why+" and it answers"
	case pred.fail && failed:
		p.Agreement, p.Note = diagnose.ProbeConfirms, "the probe confirms the static verdict: "+pred.why+", and the probe "+phrase(p.Outcome)
		if refusedByPod(p) {
			// A readiness failure says the pod does not serve; a refusal on
			// its IP says why.
			p.Note += ": " + notListening
		}
	case pred.answer && failed:
		p.Agreement = diagnose.ProbeContradicts
		p.Note = "declared state says this works (" + pred.why + "), the probe " + phrase(p.Outcome) + ": " + whereFailed(p, group)
	case pred.fail && answered:
		p.Agreement = diagnose.ProbeContradicts
		p.Note = "declared state says this fails (" + pred.why + "), yet the probe got an answer: the state read may be out of date (run the diagnosis again), or the readiness probe tests something this request does not need"
	case answered:
		p.Agreement, p.Note = diagnose.ProbeInconclusive, "the static verdict puts the break above what this probe reaches; the probe shows that part answers"
	default:
		p.Agreement, p.Note = diagnose.ProbeInconclusive, "the static verdict puts the break above what this probe reaches, and the probe "+phrase(p.Outcome)+" too: fix the layer above first, then probe again"
	}
	return p
}

// notListening is what a refusal on a pod's own IP means.
const notListening = "the app does not listen on that port on the pod's IP (bound to 127.0.0.1, or to another port): compare its listen address with the container port"

// tlsOnly is what a TLS-only port's answer to plain HTTP means.
const tlsOnly = "the app serves only TLS on that port and nothing in the declared state says so: clients, ingress controllers and this probe speak plain HTTP to it; " +
	"declare it (Service port appProtocol: https, and the backend protocol of the Ingress or a BackendTLSPolicy) or serve plain HTTP inside the cluster"

// refusedByPod reports whether the probe dialled one pod's IP and was
// refused.
func refusedByPod(p diagnose.Probe) bool {
	return p.Outcome == diagnose.ProbeRefused && (p.Test == diagnose.ProbeTestPodHTTP || p.Test == diagnose.ProbeTestPodIP)
}

// outcomePhrases are the outcomes of a failed probe as the end of "the
// probe ...".
var outcomePhrases = map[diagnose.ProbeOutcome]string{
	diagnose.ProbeRefused:     "is refused",
	diagnose.ProbeTimeout:     "times out",
	diagnose.ProbeUnresolved:  "finds no such name",
	diagnose.ProbeNoEndpoints: "finds no ready endpoint",
	diagnose.ProbeWrongScheme: "gets the 400 a TLS-only port gives plain HTTP",
}

// phrase is an outcome as the end of "the probe ...".
func phrase(o diagnose.ProbeOutcome) string {
	if p, ok := outcomePhrases[o]; ok {
		return p
	}
	return "cannot reach it"
}

// whereFailed says where to look when a probe fails that the declared
// state says should answer.
func whereFailed(p diagnose.Probe, group map[diagnose.ProbeTest]diagnose.Probe) string {
	switch p.Test {
	case diagnose.ProbeTestPodHTTP:
		switch p.Outcome {
		case diagnose.ProbeRefused:
			return notListening
		case diagnose.ProbeWrongScheme:
			return tlsOnly
		case diagnose.ProbeTimeout:
			return "look at the CNI, a mesh or a NetworkPolicy between the API server and the pod, or an app that accepts and never answers"
		}
		return "look at the CNI and the routes from the control plane to the pod's node"
	case diagnose.ProbeTestServiceHTTP:
		switch p.Outcome {
		case diagnose.ProbeWrongScheme:
			return tlsOnly
		case diagnose.ProbeNoEndpoints:
			return "the endpoints changed since the state was read: run the diagnosis again"
		case diagnose.ProbeRefused:
			return "the endpoint the API server picked does not listen on the target port on its IP (bound to 127.0.0.1, or to another port): compare its listen address with the container port"
		}
		return "look at the CNI or a mesh between the API server and the Service's endpoints"
	case diagnose.ProbeTestDNS:
		return "look at CoreDNS, the client pod's dnsPolicy and search path, or an egress NetworkPolicy that blocks port 53"
	case diagnose.ProbeTestServiceName:
		return firstClue(group, "the ClusterIP does not answer either (see the tcp-cluster-ip test)",
			clue{diagnose.ProbeTestDNS, false, "the name does not resolve (see the dns test): DNS, not the Service, is where it breaks"},
			clue{diagnose.ProbeTestClusterIP, true, "the ClusterIP answers but the name does not lead there: the name resolves to another address (the search path, or a Service of that name in another namespace)"})
	case diagnose.ProbeTestClusterIP:
		return firstClue(group, "look at the CNI, kube-proxy or a mesh",
			clue{diagnose.ProbeTestPodIP, true, "the pod answers on its IP but not through the ClusterIP: look at kube-proxy (or the CNI's Service handling) or a mesh"},
			clue{diagnose.ProbeTestPodIP, false, "the pod does not answer on its IP either (see the tcp-pod-ip test)"})
	case diagnose.ProbeTestPodIP:
		if p.Outcome == diagnose.ProbeRefused {
			return notListening
		}
		return "the pod's IP does not answer this client: look at a NetworkPolicy, the CNI or a mesh"
	}
	return "look at the CNI, kube-proxy or a mesh"
}

// clue is what another test of a probe's group says about where the probe
// failed: means holds when that test answered (answered true) or failed.
type clue struct {
	test     diagnose.ProbeTest
	answered bool
	means    string
}

// firstClue is the meaning of the first clue the group bears out, or
// otherwise; a test the group did not run bears out no clue.
func firstClue(group map[diagnose.ProbeTest]diagnose.Probe, otherwise string, clues ...clue) string {
	for _, c := range clues {
		outcome := group[c.test].Outcome
		if (c.answered && outcome == diagnose.ProbeAnswered) || (!c.answered && outcome.Failed()) {
			return c.means
		}
	}
	return otherwise
}
