// Command hopscope finds the first broken layer of a Kubernetes traffic path.
// Installed as kubectl-hopscope on PATH it is also a kubectl plugin.
package main

import (
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/hopscope/hopscope/internal/cli"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := cli.NewRootCommand(streams).Execute()
	if err != nil && err.Error() != "" {
		var ee *cli.ExitError
		if !asExit(err, &ee) || ee.Err != nil {
			fmt.Fprintln(os.Stderr, "hopscope:", err)
		}
	}
	os.Exit(cli.ExitCode(err))
}

func asExit(err error, target **cli.ExitError) bool {
	e, ok := err.(*cli.ExitError)
	if ok {
		*target = e
	}
	return ok
}
