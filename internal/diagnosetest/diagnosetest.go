// Package diagnosetest runs the whole diagnosis, every registered check, on
// a test's input: files read as `hopscope diagnose -f` reads them, or a
// lab's placed objects decoded as the file source decodes its manifests.
// Tests of what consumes a Result (renderers, the MCP tools, lab verdicts,
// the seed labs) start from here instead of each wiring loader and engine
// again, so they all judge what the real command would.
//
//	res := diagnosetest.Files(t, "../../examples/seed/lab1-as-written.yaml")
package diagnosetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// Files loads paths as `hopscope diagnose -f` does and diagnoses them with
// the default options, failing t on any error.
func Files(t testing.TB, paths ...string) *diagnose.Result {
	t.Helper()
	return FilesWith(t, diagnose.Options{}, paths...)
}

// FilesWith is Files with the options a command would pass (a namespace,
// entry points).
func FilesWith(t testing.TB, opt diagnose.Options, paths ...string) *diagnose.Result {
	t.Helper()
	s, err := source.Files{Paths: paths}.Load()
	if err != nil {
		t.Fatalf("load %s: %v", strings.Join(paths, ", "), err)
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(s, opt)
	if err != nil {
		t.Fatalf("diagnose %s: %v", strings.Join(paths, ", "), err)
	}
	return res
}

// LabObjects decodes a lab's placed objects, each as a file named by the
// manifest it came from and defaulting to the namespace the lab places it
// in, and diagnoses them with the default options: what `lab check` would
// see if the cluster held exactly these objects.
func LabObjects(objs []labs.PlacedObject) (*snapshot.Snapshot, *diagnose.Result, error) {
	s := snapshot.New()
	for _, o := range objs {
		data, err := json.Marshal(o.Object.Object)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s: %w", o.Path, err)
		}
		if err := source.DecodeBytes(s, o.Path, data, o.Object.GetNamespace()); err != nil {
			return nil, nil, err
		}
	}
	s.Index()
	res, err := diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{})
	return s, res, err
}
