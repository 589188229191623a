package checks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// countLogReads replaces the log file reader for one test and returns the
// paths read, in order.
func countLogReads(t *testing.T) func() []string {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	orig := readLogFile
	readLogFile = func(path string) (logscan.Tail, error) {
		mu.Lock()
		paths = append(paths, path)
		mu.Unlock()
		return orig(path)
	}
	t.Cleanup(func() { readLogFile = orig })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(paths)
	}
}

func loadCapture(t *testing.T, path string) *snapshot.Snapshot {
	t.Helper()
	s, err := source.Files{Paths: []string{path}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// findingOf returns the first finding of check in res, failing when none.
func findingOf(t *testing.T, res *diagnose.Result, check string) diagnose.Finding {
	t.Helper()
	i := slices.IndexFunc(res.Findings, func(f diagnose.Finding) bool { return f.Check == check })
	if i < 0 {
		t.Fatalf("no %s finding; findings: %v", check, findingKeys(res))
	}
	return res.Findings[i]
}

func findingKeys(res *diagnose.Result) []string {
	var keys []string
	for _, f := range res.Findings {
		keys = append(keys, f.Key()+" ("+string(f.Severity)+")")
	}
	return keys
}

func traceOf(t *testing.T, res *diagnose.Result, entry string) diagnose.Trace {
	t.Helper()
	i := slices.IndexFunc(res.Traces, func(tr diagnose.Trace) bool { return tr.Entry == entry })
	if i < 0 {
		t.Fatalf("no trace %q", entry)
	}
	return res.Traces[i]
}

func hasEvidence(f diagnose.Finding, part string) bool {
	return slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, part) })
}

// The crash and the log's failure are one root cause, on the layer the log
// names; the crash is its consequence and leaves the report.
func TestContainerLogsMoveTheRootCause(t *testing.T) {
	type logCase struct {
		name, input string
		entry       string
		layer       diagnose.Layer
		object      string
		cause       []string
		quotes      []string
		absent      []string // must appear in no finding
		readOnly    []string // the only log files read (base paths under input)
	}
	// orders-api crashes on a lookup of orders-db, a name no Service
	// answers: the same root cause whichever form the capture takes.
	lookup := logCase{
		entry:  "Service/shop/orders-api",
		layer:  diagnose.LayerDNS,
		object: "Deployment/shop/orders-api",
		cause:  []string{"does not resolve (orders-db)", "namespace shop has no Service named orders-db"},
		absent: []string{"s3cret-pw", "cache warm-up"},
	}
	lookupIn := func(name, input string, quotes, readOnly []string) logCase {
		c := lookup
		c.name, c.input, c.quotes, c.readOnly = name, input, quotes, readOnly
		return c
	}
	const lookupLine = "log line 4: panic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host"
	cases := []logCase{
		lookupIn("cluster-info dump: the crash is a lookup of a name that does not resolve", "testdata/container-log-failure/bad-dump-lookup.yaml",
			[]string{lookupLine, "2 pods fail alike"}, nil),
		// logs.txt holds every container's log between markers; line
		// numbers are the file's.
		lookupIn("cluster-info dump directory: logs.txt says the lookup fails", "testdata/logs/cluster-info-dump-lookup",
			[]string{lookupLine, "current run (the capture has no log of the previous run)"}, []string{"orders-api-7d9f8c6b5-x2k4q/logs.txt"}),
		{
			name:     "must-gather: the previous run's connections to the database are refused",
			input:    "testdata/logs/must-gather-refused",
			entry:    "Service/shop/cart",
			layer:    diagnose.LayerContainer,
			object:   "Deployment/shop/cart",
			cause:    []string{"refuses the connection", "(10.96.40.2:5432)", "that is Service shop/orders-db"},
			quotes:   []string{"log line 3: 2024-05-01T10:00:10Z WARN dial tcp 10.96.40.2:5432: connect: connection refused; retrying in 10s (3 lines like it)", "previous run"},
			absent:   []string{"hunter2", "cache warm-up", "unknown authority"},
			readOnly: []string{"cart-5c8d7f9b4d-q7w2e/cart/cart/logs/previous.log"},
		},
		{
			// Modelled on https://igaurab.github.io/blogs/kubernetes_host.html:
			// a Flask app started on 127.0.0.1:5000, its readiness probe
			// on the pod IP refused, the pod never Ready.
			name:   "public report: Flask listens on 127.0.0.1, the readiness probe is refused",
			input:  "testdata/logs/incident-flask-loopback-dump.json",
			entry:  "Service/default/db-api",
			layer:  diagnose.LayerContainer,
			object: "Pod/default/db-api-6f7c9d8b7-8hq2n",
			cause:  []string{"is not ready", "listens on the loopback address only", "(127.0.0.1:5000)", "must listen on 0.0.0.0"},
			quotes: []string{"log line 4: * Running on http://127.0.0.1:5000"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reads := countLogReads(t)
			s := loadCapture(t, c.input)
			res, err := diagnose.Engine{Checks: All()}.Run(s, diagnose.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := findingOf(t, res, containerLogFailure.ID)
			if f.Layer != c.layer || f.Object.String() != c.object || f.Severity != diagnose.SeverityError {
				t.Errorf("finding %s at %s (%s), want %s at %s", f.Object, f.Layer, f.Severity, c.object, c.layer)
			}
			for _, part := range c.cause {
				if !strings.Contains(f.Cause, part) {
					t.Errorf("cause %q lacks %q", f.Cause, part)
				}
			}
			for _, part := range c.quotes {
				if !hasEvidence(f, part) {
					t.Errorf("evidence lacks %q:\n%s", part, strings.Join(f.Evidence, "\n"))
				}
			}
			for _, g := range res.Findings {
				if g.Check == containerCrashLoop.ID || g.Check == podNotReady.ID {
					t.Errorf("the symptom %s stays beside the log's root cause", g.Key())
				}
				for _, secret := range c.absent {
					if strings.Contains(strings.Join(append(g.Evidence, g.Cause, g.Symptom), "\n"), secret) {
						t.Errorf("finding %s quotes %q", g.Key(), secret)
					}
				}
			}
			if tr := traceOf(t, res, c.entry); tr.RootCause != f.Key() {
				t.Errorf("trace %s: root cause %q, want %q; findings %v", c.entry, tr.RootCause, f.Key(), findingKeys(res))
			}
			if c.readOnly != nil {
				for _, p := range reads() {
					if !slices.ContainsFunc(c.readOnly, func(want string) bool { return strings.HasSuffix(filepath.ToSlash(p), want) }) {
						t.Errorf("read the log %s, which belongs to no failing container", p)
					}
				}
				if len(reads()) == 0 {
					t.Error("no log file read")
				}
			}
		})
	}
}

// A healthy pod's log is never read, even when it is full of errors.
func TestContainerLogsOfHealthyPodsAreNotRead(t *testing.T) {
	reads := countLogReads(t)
	s := loadCapture(t, "testdata/logs/must-gather-refused")
	for _, l := range LogsToRead(s) {
		if l.Pod == "web-1" {
			t.Errorf("LogsToRead asks for the healthy pod's log: %+v", l)
		}
	}
	runCheck(containerLogFailure, s)
	wantNoLineWith(t, "read the healthy pod's log", reads(), "web-1")
}

// When the env already names the unresolvable Service, dns-name-unresolvable
// is the root cause and the log's finding its evidence, not a second cause.
func TestContainerLogLookupDefersToTheUnresolvableName(t *testing.T) {
	s := loadCase(t, "testdata/container-log-failure/bad-dump-lookup.yaml")
	// The same pods with an env value naming orders-db.
	for _, p := range podsNamed(s, "orders-api-") {
		p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1EnvVar("DB_HOST", "orders-db"))
	}
	got := runCheck(containerLogFailure, s)
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	if dns := runCheck(dnsNameUnresolvable, s); len(dns) == 0 {
		t.Skip("dns-name-unresolvable does not report this case; nothing to defer to")
	}
	if !slices.Contains(got[0].ExplainedBy, got[0].Object) {
		t.Errorf("log finding not explained by dns-name-unresolvable: %+v", got[0].ExplainedBy)
	}
}

// Forbidden pods/log: the container is "not checked", nothing is invented.
func TestContainerLogForbiddenIsNotChecked(t *testing.T) {
	s := loadCase(t, "testdata/container-log-failure/bad-dump-lookup.yaml")
	want := LogsToRead(s)
	if len(want) != 1 || want[0].Pod != "orders-api-7d9f8c6b5-x2k4q" || want[0].Container != "api" || !want[0].Previous {
		t.Fatalf("LogsToRead = %+v, want the first replica's previous api run", want)
	}
	var logs []snapshot.ContainerLog
	for _, l := range s.Logs {
		if l.Pod != want[0].Pod {
			logs = append(logs, l)
		}
	}
	forbidden := want[0]
	forbidden.Unread = "forbidden: User \"dev\" cannot get resource \"pods/log\""
	s.Logs = append(logs, forbidden)
	r := diagnose.NewReporter(containerLogFailure)
	containerLogFailure.Run(s, r)
	if len(r.Findings()) != 0 {
		t.Errorf("findings without a log: %v", r.Findings())
	}
	nc := r.NotCheckedItems()
	if len(nc) != 1 || !strings.Contains(nc[0].Why, "not checked: forbidden") {
		t.Errorf("not checked = %+v", nc)
	}
}

func corev1EnvVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

// A crash-looping container whose previous run left a 1 GiB log costs at
// most the bound in bytes read, and its last lines still explain it.
func TestContainerLogOfOneGiBIsReadWithinTheBound(t *testing.T) {
	root := t.TempDir()
	src := "testdata/logs/must-gather-refused/namespaces/shop"
	dst := filepath.Join(root, "namespaces", "shop")
	for _, f := range []string{"core/pods.yaml", "core/services.yaml", "apps/replicasets.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logDir := filepath.Join(dst, "pods", "cart-5c8d7f9b4d-q7w2e", "cart", "cart", "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(logDir, "previous.log"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 30
	last := "\ndial tcp 10.96.40.2:5432: connect: connection refused\n"
	if err := f.Truncate(size - int64(len(last))); err != nil { // sparse
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(last), size-int64(len(last))); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var read int
	orig := readLogFile
	readLogFile = func(path string) (logscan.Tail, error) {
		tail, err := orig(path)
		read += len(tail.Text)
		return tail, err
	}
	t.Cleanup(func() { readLogFile = orig })
	s := loadCapture(t, root)
	got := runCheck(containerLogFailure, s)
	if read == 0 || read > logscan.MaxBytes {
		t.Errorf("%d bytes of a 1 GiB log kept, bound %d", read, logscan.MaxBytes)
	}
	if len(got) != 1 || !hasEvidence(got[0], "counted from the start of the tail read") || !strings.Contains(got[0].Cause, "10.96.40.2:5432") {
		t.Errorf("findings %+v", got)
	}
}

// A bare pod's crash and the log's failure share the pod's container hop:
// a lookup failure still moves to the DNS layer, any other failure stays
// the crash's evidence (a warning) so the hop names one root cause.
func TestContainerLogOfABarePod(t *testing.T) {
	for _, c := range []struct {
		name     string
		logLine  string
		layer    diagnose.Layer
		severity diagnose.Severity
	}{
		{"lookup", "panic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host", diagnose.LayerDNS, diagnose.SeverityError},
		{"refused", "panic: dial tcp 10.96.9.9:5432: connect: connection refused", diagnose.LayerContainer, diagnose.SeverityWarning},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := loadCase(t, "testdata/container-log-failure/bad-dump-lookup.yaml")
			p := s.Pod("shop", "orders-api-7d9f8c6b5-x2k4q")
			p.OwnerReferences = nil
			for i, l := range s.Logs {
				if l.Pod == p.Name {
					s.Logs[i].Tail = "starting\n" + c.logLine + "\n"
				}
			}
			var got *diagnose.Finding
			for _, f := range runCheck(containerLogFailure, s) {
				if f.Object.Kind == snapshot.KindPod && f.Object.Name == p.Name {
					got = &f
				}
			}
			if got == nil || got.Layer != c.layer || got.Severity != c.severity {
				t.Fatalf("finding on the bare pod = %+v, want %s %s", got, c.layer, c.severity)
			}
			crash := soleFindingOn(t, containerCrashLoop, s, p.Name)
			explained := slices.Contains(crash.ExplainedBy, got.Object)
			if explained != (c.severity == diagnose.SeverityError) {
				t.Errorf("crash ExplainedBy %v", crash.ExplainedBy)
			}
		})
	}
}

// soleFindingOn returns check c's finding on the pod named pod.
func soleFindingOn(t *testing.T, c *diagnose.Check, s *snapshot.Snapshot, pod string) diagnose.Finding {
	t.Helper()
	got := runCheck(c, s)
	i := slices.IndexFunc(got, func(f diagnose.Finding) bool { return f.Object.Name == pod })
	if i < 0 {
		t.Fatalf("%s: no finding on %s", c.ID, pod)
	}
	return got[i]
}

// A networking error long before a crash does not explain it; one that
// repeats up to the end does.
func TestCrashIsExplainedOnlyByAFailureNearItsEnd(t *testing.T) {
	s := loadCase(t, "testdata/container-log-failure/bad-dump-lookup.yaml")
	early := "dial tcp 10.96.9.9:5432: connect: connection refused\n" + strings.Repeat("loading catalogue\n", crashWindow) + "FATAL config: unknown key\n"
	repeating := strings.Repeat("dial tcp 10.96.9.9:5432: connect: connection refused\n"+strings.Repeat("retrying\n", 9), 8)
	for _, c := range []struct {
		log  string
		want bool
	}{{early, false}, {repeating, true}} {
		for i := range s.Logs {
			if strings.HasPrefix(s.Logs[i].Pod, "orders-api-") {
				s.Logs[i].Tail = c.log
			}
		}
		if got := len(runCheck(containerLogFailure, s)) > 0; got != c.want {
			t.Errorf("log of %d lines: finding %v, want %v", strings.Count(c.log, "\n"), got, c.want)
		}
	}
}
