package source

import (
	"os"
	"testing"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// benchLoad loads a generated dump of pods pods in format f with Files,
// reporting MB/s over the file's size and objects per run.
func benchLoad(b *testing.B, cfg synth.Config, f synth.Format, workers int) {
	path, err := synth.CachedFile("", cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	var s *snapshot.Snapshot
	for b.Loop() {
		s, err = Files{Paths: []string{path}, Workers: workers}.Load()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.ObjectCount()), "objects")
}

// BenchmarkLoad20kPods is the loader's share of the project's speed target:
// the 20k-pod `kubectl get -A -o yaml` dump.
func BenchmarkLoad20kPods(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 20000, Seed: 1}, synth.YAML, 0)
}

func BenchmarkLoad20kPodsOneWorker(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 20000, Seed: 1}, synth.YAML, 1)
}

func BenchmarkLoad20kPodsJSON(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 20000, Seed: 1}, synth.JSON, 0)
}

func BenchmarkLoad20kPodsFull(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 20000, Seed: 1, Full: true}, synth.YAML, 0)
}

func BenchmarkLoad100kPods(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 100000, Seed: 1}, synth.YAML, 0)
}
