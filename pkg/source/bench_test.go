package source

import (
	"os"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// benchLoad loads a generated dump of pods pods in format f with Files,
// reporting MB/s over the file's size and objects per run.
func benchLoad(b *testing.B, cfg synth.Config, f synth.Format, workers int) {
	path := synth.BenchInput(b, cfg, f)
	var s *snapshot.Snapshot
	var err error
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

// BenchmarkRawYAMLv3Parse20kPods is the yardstick: go.yaml.in/yaml/v3
// parsing the same dump into untyped values on one core, without typed
// decoding or indexing.
func BenchmarkRawYAMLv3Parse20kPods(b *testing.B) {
	data := readDump(b, synth.Config{Pods: 20000, Seed: 1}, synth.YAML)
	for b.Loop() {
		var v any
		if err := yamlv3.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReferenceDecode20kPods is the loader before the fast path:
// sigs.k8s.io/yaml to JSON, then encoding/json, on one core.
func BenchmarkReferenceDecode20kPods(b *testing.B) {
	data := readDump(b, synth.Config{Pods: 20000, Seed: 1}, synth.YAML)
	for b.Loop() {
		if err := referenceDecode(snapshot.New(), "dump", data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func readDump(b *testing.B, cfg synth.Config, f synth.Format) []byte {
	path, err := synth.CachedFile("", cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return data
}

// BenchmarkLoad20kPodsMultiDoc reads the dump as a stream of 33k
// `---`-separated documents, as `helm template` or a manifest repository
// writes them.
func BenchmarkLoad20kPodsMultiDoc(b *testing.B) {
	benchLoad(b, synth.Config{Pods: 20000, Seed: 1}, synth.MultiDoc, 0)
}
