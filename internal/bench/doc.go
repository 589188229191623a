// Package bench holds the end-to-end benchmarks: a generated cluster dump
// loaded from disk, indexed and diagnosed by every registered check, as
// `hopscope diagnose -f dump.yaml` does. See BENCHMARKS.md for how to run
// them and the numbers they gave.
package bench
