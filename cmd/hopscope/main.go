// Command hopscope finds the first broken layer of a Kubernetes traffic path.
// Installed as kubectl-hopscope on PATH it is also a kubectl plugin.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/cli"
)

func main() {
	// HOPSCOPE_CPUPROFILE=file writes a CPU profile of the whole run, so a
	// user whose cluster is slow to diagnose can send us where time went.
	if path := os.Getenv("HOPSCOPE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := cli.NewRootCommand(streams).Execute()
	if err != nil && err.Error() != "" {
		var ee *cli.ExitError
		if !asExit(err, &ee) || ee.Err != nil {
			fmt.Fprintln(os.Stderr, "hopscope:", err)
		}
	}
	code := cli.ExitCode(err)
	pprof.StopCPUProfile()
	os.Exit(code)
}

func asExit(err error, target **cli.ExitError) bool {
	e, ok := err.(*cli.ExitError)
	if ok {
		*target = e
	}
	return ok
}
