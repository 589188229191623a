package synth

import (
	"os"
	"testing"
)

// BenchInput is the one setup of every benchmark that reads a generated
// dump: it returns the cached file of cfg in format f and makes b report
// throughput over its size and allocations.
func BenchInput(b *testing.B, cfg Config, f Format) string {
	b.Helper()
	path, err := CachedFile("", cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	return path
}
