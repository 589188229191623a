package labs_test

import (
	"testing"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// TestOfflineDiagnosis runs the real engine with every registered check on
// each lab's manifests, with no cluster: a lab marked offline must report its
// expected finding first, a lab not marked offline must not (or the mark is
// wrong), and every fixed lab must leave no error at all.
func TestOfflineDiagnosis(t *testing.T) {
	all, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		t.Run(l.ID+"-"+l.Slug, func(t *testing.T) {
			broken, err := l.BrokenObjects()
			if err != nil {
				t.Fatal(err)
			}
			s, res := labObjects(t, broken)
			v := l.Judge(res, s)
			switch {
			case l.Offline && (len(res.Findings) == 0 || !l.Matches(res.Findings[0], s)):
				t.Errorf("broken manifests: want %s on %s/%s first", l.Expect.Check, l.Expect.Kind, l.Expect.Name)
				logFindings(t, res)
			case !l.Offline && v.FaultPresent:
				t.Errorf("the expected finding shows offline although the lab says %q: set offline: true", l.OfflineWhy)
			}
			if l.Offline && v.Solved {
				t.Errorf("the broken lab judges as solved")
			}

			fixed, err := l.FixedObjects()
			if err != nil {
				t.Fatal(err)
			}
			s, res = labObjects(t, fixed)
			v = l.Judge(res, s)
			if v.FaultPresent {
				t.Errorf("fixed manifests still report %s", l.Expect.Check)
			}
			for _, f := range res.Findings {
				if f.Severity == diagnose.SeverityError {
					t.Errorf("fixed manifests: error %s on %s: %s", f.Check, f.Object, f.Cause)
				}
			}
			if !v.Solved {
				t.Errorf("the fixed lab does not judge as solved: layers %v", v.BrokenLayers)
			}
		})
	}
}

// labObjects diagnoses placed lab objects, failing t on any error.
func labObjects(t *testing.T, objs []labs.PlacedObject) (*snapshot.Snapshot, *diagnose.Result) {
	t.Helper()
	s, res, err := diagnosetest.LabObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	return s, res
}

func logFindings(t *testing.T, res *diagnose.Result) {
	t.Helper()
	for i, f := range res.Findings {
		t.Logf("  finding %d: %s %s on %s: %s", i, f.Severity, f.Check, f.Object, f.Cause)
	}
}
