package watch

import (
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/safetext"
)

// Metric names, documented in docs/watch.md.
const (
	MetricFindings          = "hopscope_findings"
	MetricPaths             = "hopscope_paths"
	MetricPathBrokenInfo    = "hopscope_path_broken_info"
	MetricPathBrokenOmitted = "hopscope_path_broken_info_omitted"
	MetricKindListed        = "hopscope_watch_kind_listed"
	MetricObjects           = "hopscope_watch_objects"
	MetricLastDiagnosis     = "hopscope_last_diagnosis_timestamp_seconds"
	MetricDiagnosisDuration = "hopscope_diagnosis_duration_seconds"
	MetricDiagnosisFailures = "hopscope_diagnosis_failures_total"
	MetricWatchEvents       = "hopscope_watch_events_total"
	MetricBuildInfo         = "hopscope_build_info"
	MetricDiagnoses         = "hopscope_diagnoses_total"
	MetricPartialMismatches = "hopscope_partial_diagnosis_mismatches_total"
	MetricKubeEvents        = "hopscope_kube_events_total"
)

var (
	findingsDesc = prometheus.NewDesc(MetricFindings,
		"Findings of the latest diagnosis, by check, layer, severity and the namespace of the object they are on.",
		[]string{"check", "layer", "severity", "namespace"}, nil)
	pathsDesc = prometheus.NewDesc(MetricPaths,
		"Traffic paths of the latest diagnosis, by status (ok, broken, degraded, not_checked), the kind of their entry and its namespace.",
		[]string{"status", "entry_kind", "namespace"}, nil)
	brokenDesc = prometheus.NewDesc(MetricPathBrokenInfo,
		"One series of value 1 per broken path: its entry and the object, check and layer of its root cause. At most --max-broken-paths series; the rest are counted in "+MetricPathBrokenOmitted+".",
		[]string{"entry", "namespace", "root_cause_object", "check", "layer"}, nil)
	omittedDesc = prometheus.NewDesc(MetricPathBrokenOmitted,
		"Broken paths of the latest diagnosis left out of "+MetricPathBrokenInfo+" by its series cap.", nil, nil)
	listedDesc = prometheus.NewDesc(MetricKindListed,
		"1 when the kind is listed and watched, 0 when it is not checked (forbidden, not served, or not yet listed).",
		[]string{"kind"}, nil)
	objectsDesc = prometheus.NewDesc(MetricObjects,
		"Objects of each kind in the snapshot of the latest diagnosis.", []string{"kind"}, nil)
	lastDesc = prometheus.NewDesc(MetricLastDiagnosis,
		"Unix time at which the latest published diagnosis started.", nil, nil)
)

// metrics is the Prometheus view of the latest diagnosis. The per-finding
// and per-path series are computed at scrape time from the latest
// published state, so a series that the latest diagnosis does not produce
// is simply absent: nothing has to be deleted when a finding is fixed.
type metrics struct {
	registry *prometheus.Registry
	duration prometheus.Histogram
	failures prometheus.Counter
	events   *prometheus.CounterVec
	// diagnoses counts published diagnoses by scope (scopeCluster,
	// scopeNamespaces); mismatches counts whole diagnoses that found a
	// partial one wrong.
	diagnoses  *prometheus.CounterVec
	mismatches prometheus.Counter
	// kubeEvents counts the Kubernetes Events written (--emit-events).
	kubeEvents *prometheus.CounterVec
	maxPaths   int

	mu    sync.Mutex
	state *published
}

// published is what one diagnosis exports, aggregated once at publish time
// so that a scrape is cheap.
type published struct {
	findings map[[4]string]float64
	paths    map[[3]string]float64
	broken   [][5]string
	omitted  int
	listed   map[string]float64
	objects  map[string]float64
	started  time.Time
}

func newMetrics(version string, maxPaths int) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		maxPaths: maxPaths,
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricDiagnosisDuration,
			Help:    "Time to build the snapshot from the watch caches and diagnose it (the whole cluster, or the changed namespaces).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		diagnoses:  counterVec(MetricDiagnoses, "Diagnoses published, by scope: cluster (every namespace) or namespaces (only those a change touched).", "scope"),
		mismatches: counter(MetricPartialMismatches, "Whole diagnoses that differed from the partial diagnoses published before them (each replaced them); expected to stay 0."),
		kubeEvents: counterVec(MetricKubeEvents, "Kubernetes Events the watcher wrote (--emit-events), by reason and result: sent, failed, rate_limited.", "reason", "result"),
		failures:   counter(MetricDiagnosisFailures, "Diagnoses that ended in an error; the previous diagnosis stays published."),
		events:     counterVec(MetricWatchEvents, "Watch events received, by kind and type (ADDED, MODIFIED, DELETED). The initial list counts as ADDED.", "kind", "type"),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        MetricBuildInfo,
		Help:        "Always 1; the labels say which hopscope build serves the metrics.",
		ConstLabels: prometheus.Labels{"version": safetext.Sanitize(version), "goversion": runtime.Version()},
	})
	build.Set(1)
	m.registry.MustRegister(m.duration, m.failures, m.events, m.diagnoses, m.mismatches, m.kubeEvents, build, m,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) event(kind, typ string) { m.events.WithLabelValues(kind, typ).Inc() }

func (m *metrics) failed() { m.failures.Inc() }

func (m *metrics) mismatch() { m.mismatches.Inc() }

func (m *metrics) kubeEvent(reason, result string) {
	m.kubeEvents.WithLabelValues(reason, result).Inc()
}

// Scopes of a diagnosis, the label of hopscope_diagnoses_total.
const (
	scopeCluster    = "cluster"
	scopeNamespaces = "namespaces"
)

// cacheState is what the watch caches hold at a diagnosis: which kinds are
// listed and how many objects of each.
type cacheState struct {
	listed  map[string]bool
	objects map[string]int
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{findingsDesc, pathsDesc, brokenDesc, omittedDesc, listedDesc, objectsDesc, lastDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the series of the latest
// diagnosis, none before the first.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	st := m.state
	m.mu.Unlock()
	if st == nil {
		return
	}
	for k, v := range st.findings {
		ch <- prometheus.MustNewConstMetric(findingsDesc, prometheus.GaugeValue, v, k[:]...)
	}
	for k, v := range st.paths {
		ch <- prometheus.MustNewConstMetric(pathsDesc, prometheus.GaugeValue, v, k[:]...)
	}
	for _, b := range st.broken {
		ch <- prometheus.MustNewConstMetric(brokenDesc, prometheus.GaugeValue, 1, b[:]...)
	}
	ch <- prometheus.MustNewConstMetric(omittedDesc, prometheus.GaugeValue, float64(st.omitted))
	for k, v := range st.listed {
		ch <- prometheus.MustNewConstMetric(listedDesc, prometheus.GaugeValue, v, k)
	}
	for k, v := range st.objects {
		ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, v, k)
	}
	ch <- prometheus.MustNewConstMetric(lastDesc, prometheus.GaugeValue, float64(st.started.UnixNano())/1e9)
}

// publish replaces the exported state with that of res.
func (m *metrics) publish(cs cacheState, res *diagnose.Result, took time.Duration, started time.Time, scope string) {
	m.duration.Observe(took.Seconds())
	m.diagnoses.WithLabelValues(scope).Inc()
	st := &published{
		findings: map[[4]string]float64{},
		paths:    map[[3]string]float64{},
		listed:   map[string]float64{},
		objects:  map[string]float64{},
		started:  started,
	}
	for kind, ok := range cs.listed {
		st.listed[kind] = 0
		if ok {
			st.listed[kind] = 1
			st.objects[kind] = float64(cs.objects[kind])
		}
	}
	byKey := map[string]*diagnose.Finding{}
	for i := range res.Findings {
		f := &res.Findings[i]
		byKey[f.Key()] = f
		st.findings[[4]string{label(f.Check), label(string(f.Layer)), label(string(f.Severity)), label(f.Object.Namespace)}]++
	}
	var broken [][5]string
	for _, t := range res.Traces {
		kind, ns := entryScope(t)
		st.paths[[3]string{statusLabel(t.Status), label(kind), label(ns)}]++
		if t.Status != diagnose.TraceBroken {
			continue
		}
		row := [5]string{label(t.Entry), label(ns), "", "", ""}
		if f := byKey[t.RootCause]; f != nil {
			row[2], row[3], row[4] = label(f.Object.String()), label(f.Check), label(string(f.Layer))
		}
		broken = append(broken, row)
	}
	// A stable choice under the cap: the same paths stay exported from one
	// diagnosis to the next, so a series does not flap in and out.
	sort.Slice(broken, func(i, j int) bool {
		if broken[i][1] != broken[j][1] {
			return broken[i][1] < broken[j][1]
		}
		return broken[i][0] < broken[j][0]
	})
	if len(broken) > m.maxPaths {
		st.omitted = len(broken) - m.maxPaths
		broken = broken[:m.maxPaths]
	}
	st.broken = broken
	m.mu.Lock()
	m.state = st
	m.mu.Unlock()
}

// entryScope is the kind and namespace of a trace's entry object.
func entryScope(t diagnose.Trace) (kind, namespace string) {
	if len(t.Hops) > 0 {
		return t.Hops[0].Object.Kind, t.Hops[0].Object.Namespace
	}
	// Entry reads "Kind/namespace/name ..." (see diagnose.Trace).
	parts := strings.SplitN(t.Entry, "/", 3)
	if len(parts) == 3 {
		return parts[0], parts[1]
	}
	return parts[0], ""
}

// statusLabel turns a trace status into a label value without spaces, as
// Prometheus label values conventionally are.
func statusLabel(s diagnose.TraceStatus) string {
	return strings.ReplaceAll(string(s), " ", "_")
}

// label is every label value taken from the cluster: it passes the same
// boundary as every string hopscope prints (credential-shaped text
// redacted, control and invisible characters escaped), so a value on a
// dashboard reads as it does in `hopscope diagnose` and is valid UTF-8,
// which the exposition format requires.
func label(s string) string { return safetext.Sanitize(s) }

// counter is a counter of the watch's metrics.
func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

// counterVec is a counter of the watch's metrics, by labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}
