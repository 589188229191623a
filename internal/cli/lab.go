package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/source"
)

func newLabCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Broken-on-purpose networking labs: start one, find the fault layer by layer, fix it, check",
		Long: `Each lab breaks a small app in its own namespace (hopscope-lab-N) the way real incidents do.
Find the fault walking Ingress (or Gateway → route) → Service → Endpoints → Pod → Container, fix it with kubectl,
and let 'hopscope lab check N' tell you whether the whole path is healthy again.`,
		Example: `  hopscope lab list
  hopscope lab start 1      # apply the broken app into hopscope-lab-1
  hopscope lab hint 1       # the next hint, a little more each time
  hopscope lab check 1      # PASS once the fault is gone and every path is healthy
  hopscope lab reset 1      # delete the lab's namespace`,
		Args: cobra.NoArgs,
	}
	cluster := LabClusterOptions{IOStreams: streams, Globals: g}
	cmd.AddCommand(
		newLabListCommand(streams),
		newLabShowCommand(streams),
		newLabStartCommand(cluster),
		newLabCheckCommand(cluster),
		newLabHintCommand(streams),
		newLabSolutionCommand(cluster),
		newLabResetCommand(cluster),
		newLabUpCommand(streams),
	)
	return cmd
}

// labArg resolves the lab named on the command line (ID or slug); a wrong
// name is a usage error that points at `lab list`.
func labArg(args []string) (*labs.Lab, error) {
	if len(args) != 1 {
		return nil, usageErrorf("name one lab by its ID, e.g. 1 (see `hopscope lab list`)")
	}
	l, err := labs.Get(args[0])
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return l, nil
}

// labError maps lab errors to exit codes: a refusal, a lab that is not
// running, or a cluster that lacks what the lab needs (the Gateway API) is a
// usage error (2), anything else is passed on.
func labError(err error) error {
	var ns *labs.NotStartedError
	var pre *labs.PrerequisiteError
	if labs.IsRefusal(err) || errors.As(err, &ns) || errors.As(err, &pre) {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	return err
}

// LabClusterOptions is what every lab command that touches a cluster
// shares (start, check, solution --apply, reset): its streams, the lab named
// on the command line, the kubectl flags, and the connection built from
// them. Each command's Options embeds it and adds its own flags (labVerb
// wires them to cobra). These commands validate before they complete,
// unlike kubectl: refusing a foreign --namespace must not depend on reaching
// a cluster.
type LabClusterOptions struct {
	genericiooptions.IOStreams
	Globals *Globals
	Lab     *labs.Lab

	// Cluster is set by Complete from the kubectl flags, or by a test.
	Cluster *labs.Cluster
	// config is the connection Cluster was built from; nil when a test set
	// Cluster.
	config *rest.Config
}

// Validate rejects -n/--namespace naming anything but the lab's own
// namespaces: a lab never writes to or judges another namespace.
func (o *LabClusterOptions) Validate() error {
	ns := o.Globals.namespaceFlag()
	if ns == "" {
		return nil
	}
	for _, own := range o.Lab.Namespaces() {
		if ns == own {
			return nil
		}
	}
	return usageErrorf("lab %s runs only in its own namespace %s; refusing --namespace %s (drop the flag: a lab never writes to or judges another namespace)", o.Lab.ID, o.Lab.Namespace(), ns)
}

// Complete connects to the cluster of the kubectl flags, unless a test set
// Cluster.
func (o *LabClusterOptions) Complete() error {
	if o.Cluster != nil {
		return nil
	}
	return o.connect()
}

// connect builds Cluster and its config from the kubectl flags. A
// kubeconfig that cannot be read is a usage error: the learner has no
// cluster yet, and `lab up` starts one.
func (o *LabClusterOptions) connect() error {
	// A server that accepts and never answers must not hang a lab command:
	// without --request-timeout, each request gets the diagnosis's default.
	if t := o.Globals.Kube.Timeout; t != nil && (*t == "" || *t == "0") {
		*t = labRequestTimeout.String()
	}
	cfg, err := o.Globals.Kube.ToRESTConfig()
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("read kubeconfig: %w (no cluster? `hopscope lab up` starts a local one)", err)}
	}
	mapper, err := o.Globals.Kube.ToRESTMapper()
	if err != nil {
		return fmt.Errorf("discover the cluster's API: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	o.Cluster, o.config = &labs.Cluster{Client: cs, Dynamic: dyn, Mapper: mapper}, cfg
	return nil
}

// labRequestTimeout bounds each request of a lab command when the user set
// no --request-timeout: the diagnosis's own default.
var labRequestTimeout = source.DefaultRequestTimeout

// labVerb is the command `lab VERB ID` (use is "VERB ID"): it resolves the
// lab named on the command line into *lab, then hands over to run (runE or
// runSteps of the command's Options).
func labVerb(use, short, example string, lab **labs.Lab, run func(*cobra.Command, []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Example: example, Args: cobra.ExactArgs(1), RunE: labRunE(lab, run)}
}

// labNamespaces names the namespaces a lab runs in, as the lab commands
// print them.
func labNamespaces(l *labs.Lab) string {
	return strings.Join(l.Namespaces(), ", ")
}

// labRunE is the RunE of a `lab VERB ID` command: it resolves the lab
// named on the command line into *lab, then hands over to next.
func labRunE(lab **labs.Lab, next func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		l, err := labArg(args)
		if err != nil {
			return err
		}
		*lab = l
		return next(cmd, args)
	}
}

// completeProgressPath fills in where hint progress is kept, unless a test
// chose a file.
func completeProgressPath(path *string) error {
	if *path != "" {
		return nil
	}
	p, err := labs.ProgressPath()
	if err != nil {
		return err
	}
	*path = p
	return nil
}
