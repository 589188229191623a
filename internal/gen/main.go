// Command gen writes a synthetic cluster dump for benchmarks and load tests:
//
//	go run ./internal/gen -pods 20000 -o /tmp/dump.yaml
//	go run ./internal/gen -pods 20000 -format json -o /tmp/dump.json
//	go run ./internal/gen -pods 2000 -format cluster-info-dir -o /tmp/dump-dir
//	go run ./internal/gen -pods 20000 -full -o /tmp/dump-full.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hopscope/hopscope/internal/gen/synth"
)

func main() {
	pods := flag.Int("pods", 20000, "number of pods; the other kinds scale with it")
	seed := flag.Uint64("seed", 1, "random seed: the same seed makes the same dump")
	full := flag.Bool("full", false, "write every field a real API server fills in (2.25 times the bytes)")
	format := flag.String("format", "yaml", "yaml (kubectl get -A -o yaml), json, multidoc, cluster-info (stdout stream) or cluster-info-dir")
	out := flag.String("o", "-", "output file (a directory for cluster-info-dir); - for stdout")
	flag.Parse()
	if err := run(synth.Config{Pods: *pods, Seed: *seed, Full: *full}, *format, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(cfg synth.Config, format, out string) error {
	if format == "cluster-info-dir" {
		if out == "-" {
			return fmt.Errorf("cluster-info-dir needs -o DIR")
		}
		return synth.WriteClusterInfoDir(out, synth.Generate(cfg))
	}
	f, err := synth.ParseFormat(format)
	if err != nil {
		return err
	}
	if out == "-" {
		return synth.Write(os.Stdout, cfg, f)
	}
	return synth.WriteFile(out, cfg, f)
}
