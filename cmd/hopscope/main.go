// Command hopscope finds the first broken layer of a Kubernetes traffic path.
// Installed as kubectl-hopscope on PATH it is also a kubectl plugin.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/hopscope/hopscope/internal/cli"
	"github.com/hopscope/hopscope/pkg/safetext"
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
	silenceClientLogs()
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	code := run(streams, os.Args[1:])
	pprof.StopCPUProfile()
	os.Exit(code)
}

// run executes the command tree with args, prints its error to the error
// stream and returns the exit code.
func run(streams genericiooptions.IOStreams, args []string) int {
	root := cli.NewRootCommand(streams)
	root.SetArgs(args)
	err := root.Execute()
	printError(streams.ErrOut, err)
	return cli.ExitCode(err)
}

// printError prints what a command failed with, unless the command already
// said it (an ExitError without a message: findings at --fail-on). Errors
// quote file names, server addresses and API server messages, so they are
// escaped and redacted like every report.
func printError(w io.Writer, err error) {
	if err == nil || err.Error() == "" {
		return
	}
	if ee, ok := err.(*cli.ExitError); ok && ee.Err == nil {
		return
	}
	fmt.Fprintln(w, "hopscope:", safetext.SanitizeLines(err.Error()))
}

// silenceClientLogs keeps client-go's own log lines off the terminal: every
// failure it logs (a response body over the read bound, a refused
// connection) also comes back as an error, which hopscope prints once,
// escaped, naming what failed. Raw klog lines would repeat it unescaped.
func silenceClientLogs() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}
