// Package checks holds every diagnosis check and the one registry that
// lists them. A check lives in the file of the layer it reports on
// (service.go, pod.go...), or in a file of that layer named for its concern
// when the layer has many (ingress_class.go, dns_names.go); each layer file
// holds the layer's slice of checks. The helpers the checks share are named
// for the concept they serve: ports.go, selectors.go, names.go,
// hostnames.go, evidence.go, containers.go, probes.go, workloads.go,
// addresses.go, conditions.go, origin.go.
//
// Adding a check is one variable next to its Run function, one line in its
// layer's slice, and a folder of test cases in testdata/<check-id>/.
package checks

import "github.com/hopscope/hopscope/pkg/diagnose"

// All returns every registered check, ordered by layer then ID.
func All() []*diagnose.Check {
	var out []*diagnose.Check
	for _, layer := range [][]*diagnose.Check{
		exposureChecks, ingressChecks, gatewayChecks, routeChecks, backendTLSChecks, serviceChecks, endpointsChecks, netpolChecks,
		podChecks, containerChecks, nodeChecks, dnsChecks, apiVersionChecks,
	} {
		out = append(out, layer...)
	}
	return diagnose.SortChecks(out)
}

// ByID returns the registered check with that ID, or nil.
func ByID(id string) *diagnose.Check {
	for _, c := range All() {
		if c.ID == id {
			return c
		}
	}
	return nil
}
