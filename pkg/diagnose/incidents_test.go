package diagnose_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/internal/incidentgen"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// The incident corpus (testdata/incidents, see its README) holds real-world
// networking incidents nobody tuned hopscope to. Each must be diagnosed the
// way an on-call engineer needs it: the root cause first, exit 1, and no
// error about anything the incident does not involve.

const incidentsDir = "../../testdata/incidents"

// minIncidents is the size the corpus must keep.
const minIncidents = 40

type incidentRun struct {
	name   string
	want   incidentgen.Expected // testdata/incidents/NAME/expected.yaml
	snap   *snapshot.Snapshot
	result *diagnose.Result
	err    error
}

var (
	incidentsOnce sync.Once
	incidentRuns  []incidentRun
	incidentsErr  error
)

// runIncidents diagnoses every incident once per test binary; both tests
// below read the results.
func runIncidents(t *testing.T) []incidentRun {
	t.Helper()
	incidentsOnce.Do(func() {
		files, err := filepath.Glob(filepath.Join(incidentsDir, "*", "expected.yaml"))
		if err != nil {
			incidentsErr = err
			return
		}
		sort.Strings(files)
		for _, f := range files {
			incidentRuns = append(incidentRuns, loadIncident(f))
		}
	})
	if incidentsErr != nil {
		t.Fatal(incidentsErr)
	}
	return incidentRuns
}

// loadIncident reads an incident's expected.yaml and diagnoses its
// state.yaml loaded after the shared files (a corpus background). A failure
// is kept in the run, naming the incident's folder, so the incident's own
// subtest reports it.
func loadIncident(expected string, shared ...string) incidentRun {
	dir := filepath.Dir(expected)
	run := incidentRun{name: filepath.Base(dir)}
	data, err := os.ReadFile(expected)
	if err == nil {
		err = yaml.UnmarshalStrict(data, &run.want)
	}
	if err == nil {
		run.snap, err = source.Files{Paths: append(slices.Clip(shared), filepath.Join(dir, "state.yaml"))}.Load()
	}
	if err == nil {
		run.result, err = diagnose.Engine{Checks: checks.All()}.Run(run.snap, diagnose.Options{})
	}
	if err != nil {
		run.err = fmt.Errorf("%s: %w", dir, err)
	}
	return run
}

// TestIncidents holds the engine to the corpus. For every incident:
//   - the expected finding (check, object, layer) is reported first;
//   - the result is an error-level result, so the CLI exits 1;
//   - no other error-level finding names an unrelated object (see related).
//
// It logs a scoreboard of how many incidents were right first.
func TestIncidents(t *testing.T) {
	runs := runIncidents(t)
	if len(runs) < minIncidents {
		t.Errorf("the corpus has %d incidents, want at least %d", len(runs), minIncidents)
	}
	scoreIncidents(t, "incidents", runs, false)
}

// scoreIncidents holds every run to checkIncident in a subtest of its own
// and logs the scoreboard: how many of the corpus's incidents were
// diagnosed right first, and which missed. wholeDump also requires each
// run to be a whole-cluster dump, for corpora whose background makes it one.
func scoreIncidents(t *testing.T, corpus string, runs []incidentRun, wholeDump bool) {
	t.Helper()
	right := 0
	var misses []string
	for _, run := range runs {
		ok := t.Run(run.name, func(t *testing.T) {
			if run.err != nil {
				t.Fatal(run.err)
			}
			if wholeDump && !run.snap.ClusterDump() {
				t.Fatal("background and state together must be a whole-cluster dump")
			}
			checkIncident(t, run)
		})
		if ok {
			right++
		} else {
			misses = append(misses, run.name)
		}
	}
	t.Logf("scoreboard: %d/%d %s diagnosed right first", right, len(runs), corpus)
	for _, m := range misses {
		t.Logf("  miss: %s", m)
	}
}

func checkIncident(t *testing.T, run incidentRun) {
	res, want := run.result, run.want
	if want.Check == "" || want.Object == "" || want.Layer == "" || !strings.HasPrefix(want.Source, "https://") {
		t.Fatalf("expected.yaml is incomplete: %+v", want)
	}
	dump := func() {
		for i, f := range res.Findings {
			t.Logf("  #%d %s %s %s (%s): %s", i+1, f.Severity, f.Check, f.Object, f.Layer, f.Cause)
		}
	}
	if len(res.Findings) == 0 {
		t.Fatalf("no findings; want %s on %s first", want.Check, want.Object)
	}
	first := res.Findings[0]
	if first.Check != want.Check || first.Object.String() != want.Object || string(first.Layer) != want.Layer {
		dump()
		t.Errorf("first finding is %s on %s (%s), want %s on %s (%s)", first.Check, first.Object, first.Layer, want.Check, want.Object, want.Layer)
	}
	if first.Symptom == "" || first.Cause == "" || len(first.Evidence) == 0 || first.Fix == "" || first.Verify == "" {
		t.Errorf("the first finding lacks symptom, cause, evidence, fix or verify: %+v", first)
	}
	if res.MaxSeverity() != diagnose.SeverityError {
		dump()
		t.Errorf("highest severity is %q: the CLI would not exit 1", res.MaxSeverity())
	}
	rel := related(run)
	for _, f := range res.Findings {
		if f.Severity == diagnose.SeverityError && !rel[f.Object.String()] {
			dump()
			t.Errorf("error %s names %s, which is not related to the incident (related: %s)", f.Check, f.Object, strings.Join(slices.Sorted(maps.Keys(rel)), ", "))
		}
	}
}

// related decides which objects an incident involves, so that errors on
// them are not false alarms:
//   - the expected object and the objects listed in expected.yaml's related;
//   - the workload family of each: a pod's owning workload, a workload's
//     pods (a crash-looping pod and its Deployment are one fault);
//   - every hop of every traced path that passes through one of those (the
//     Ingress, Service, Endpoints and pods of the failing path), and their
//     workload families in turn.
//
// Anything else — another app, another namespace's Service, a healthy
// background component — is unrelated, and an error on it is a false alarm.
func related(run incidentRun) map[string]bool {
	s := run.snap
	owners := map[string]string{}
	podsOf := map[string][]string{}
	for _, p := range s.Pods {
		if ref, ok := s.OwnerOf(p); ok {
			pod := s.SubjectOf(p).String()
			owners[pod] = ref.String()
			podsOf[ref.String()] = append(podsOf[ref.String()], pod)
		}
	}
	rel := map[string]bool{}
	var add func(obj string)
	add = func(obj string) {
		if rel[obj] {
			return
		}
		rel[obj] = true
		if o, ok := owners[obj]; ok {
			add(o)
		}
		for _, p := range podsOf[obj] {
			add(p)
		}
	}
	add(run.want.Object)
	for _, r := range run.want.Related {
		add(r)
	}
	seeds := map[string]bool{}
	for k := range rel {
		seeds[k] = true
	}
	for _, tr := range run.result.Traces {
		through := false
		for _, h := range tr.Hops {
			through = through || seeds[h.Object.String()]
		}
		if !through {
			continue
		}
		for _, h := range tr.Hops {
			add(h.Object.String())
		}
	}
	return rel
}

// TestEveryCheckExercised requires each registered check to be exercised by
// at least one incident (it reports a finding on some incident) or by its
// own table-test cases in pkg/diagnose/checks/testdata/<id>/.
func TestEveryCheckExercised(t *testing.T) {
	runs := runIncidents(t)
	seen := map[string][]string{}
	for _, run := range runs {
		if run.result == nil {
			continue
		}
		for _, f := range run.result.Findings {
			seen[f.Check] = append(seen[f.Check], run.name)
		}
	}
	var byIncident, byTable int
	for _, c := range checks.All() {
		if len(seen[c.ID]) > 0 {
			byIncident++
			continue
		}
		bad, _ := filepath.Glob(filepath.Join("checks", "testdata", c.ID, "bad-*.yaml"))
		if len(bad) == 0 {
			t.Errorf("check %s is exercised by no incident and has no table test case", c.ID)
			continue
		}
		byTable++
	}
	t.Logf("%d checks exercised by incidents, %d only by their table tests", byIncident, byTable)
}
