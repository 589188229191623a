// Package checks holds every diagnosis check, one file per layer, and the one
// registry that lists them. Adding a check is one variable in its layer's
// file, one line in its layer's slice, and a folder of test cases in
// testdata/<check-id>/.
package checks

import "github.com/hopscope/hopscope/pkg/diagnose"

// All returns every registered check, ordered by layer then ID.
func All() []*diagnose.Check {
	var out []*diagnose.Check
	for _, layer := range [][]*diagnose.Check{
		exposureChecks, ingressChecks, gatewayChecks, routeChecks, serviceChecks, endpointsChecks, netpolChecks,
		podChecks, containerChecks, nodeChecks, dnsChecks, incidentChecks,
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
