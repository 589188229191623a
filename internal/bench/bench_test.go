package bench

import (
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/source"
)

// benchDiagnose measures load + index + engine on a generated
// `kubectl get -A -o yaml` dump, written once to the dump cache.
func benchDiagnose(b *testing.B, cfg synth.Config) {
	path := synth.BenchInput(b, cfg, synth.YAML)
	engine := diagnose.Engine{Checks: checks.All()}
	var load, run time.Duration
	var res *diagnose.Result
	for b.Loop() {
		start := time.Now()
		s, err := source.Files{Paths: []string{path}}.Load()
		if err != nil {
			b.Fatal(err)
		}
		loaded := time.Now()
		res, err = engine.Run(s, diagnose.Options{})
		if err != nil {
			b.Fatal(err)
		}
		load += loaded.Sub(start)
		run += time.Since(loaded)
	}
	n := float64(b.N)
	b.ReportMetric(float64(load.Milliseconds())/n, "load-ms/op")
	b.ReportMetric(float64(run.Milliseconds())/n, "engine-ms/op")
	b.ReportMetric(float64(res.Summary.Objects), "objects")
	b.ReportMetric(float64(res.Summary.Findings), "findings")
}

// BenchmarkDiagnose20kPods is the project's speed target: under 2.5 s.
func BenchmarkDiagnose20kPods(b *testing.B) {
	benchDiagnose(b, synth.Config{Pods: 20000, Seed: 1})
}

// BenchmarkDiagnose100kPods checks that cost stays linear: under 10 s.
func BenchmarkDiagnose100kPods(b *testing.B) {
	benchDiagnose(b, synth.Config{Pods: 100000, Seed: 1})
}

// BenchmarkDiagnose20kPodsFull uses pods with every field a real API
// server fills in (2.25 times the bytes).
func BenchmarkDiagnose20kPodsFull(b *testing.B) {
	benchDiagnose(b, synth.Config{Pods: 20000, Seed: 1, Full: true})
}
