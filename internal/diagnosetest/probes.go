package diagnosetest

import (
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// ProbeOf is the probe of test on path among probes, failing t when there
// is none: tests of the probes and of live probing look one up by what it
// tested.
func ProbeOf(t testing.TB, probes []diagnose.Probe, path string, test diagnose.ProbeTest) diagnose.Probe {
	t.Helper()
	for _, p := range probes {
		if p.Path == path && p.Test == test {
			return p
		}
	}
	t.Fatalf("no %s probe of %s among %+v", test, path, probes)
	return diagnose.Probe{}
}
