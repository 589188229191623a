package probe

import (
	"os"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// shop diagnoses testdata/shop.yaml: api-svc healthy, orders-svc broken
// at its selector.
func shop(t *testing.T) (*diagnose.Result, *snapshot.Snapshot) {
	t.Helper()
	return diagnoseFile(t, "testdata/shop.yaml")
}

// diagnoseFile loads a manifest file and diagnoses its namespace shop.
func diagnoseFile(t *testing.T, path string) (*diagnose.Result, *snapshot.Snapshot) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := source.Files{Paths: []string{"-"}, Stdin: f}.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespace: "shop", Namespaces: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	return res, s
}

func traceOf(t *testing.T, res *diagnose.Result, entry string) diagnose.Trace {
	t.Helper()
	for _, tr := range res.Traces {
		if tr.Entry == entry {
			return tr
		}
	}
	t.Fatalf("no trace %q among %d", entry, len(res.Traces))
	return diagnose.Trace{}
}

func TestFixtureVerdicts(t *testing.T) {
	res, _ := shop(t)
	if got := traceOf(t, res, "Service/shop/api-svc").Status; got != diagnose.TraceOK {
		t.Errorf("api-svc: %s, want ok", got)
	}
	if got := traceOf(t, res, "Service/shop/orders-svc").Status; got != diagnose.TraceBroken {
		t.Errorf("orders-svc: %s, want broken", got)
	}
}
