// Command hopscope-lab runs a local Kubernetes control plane in the
// foreground for practising with hopscope, without Docker, kind or a cloud:
// etcd, kube-apiserver and the endpoints, EndpointSlice, deployment,
// replicaset, garbage-collector and namespace controllers run inside this
// process, and a kubelet stand-in gives pods a status and answers kubectl
// logs and the API server's pod and service proxy with simulated apps (no
// container runs; see package testenv). The Gateway API's standard-channel
// CRDs are installed, with no controller behind them.
//
//	hopscope-lab up [--data-dir DIR] [--kubeconfig-out PATH]
//	hopscope-lab demo [--keep]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/source"
	"github.com/hopscope/hopscope/testenv"
)

const usage = `hopscope-lab runs a local Kubernetes control plane for practising with hopscope.

Usage:
  hopscope-lab up [--data-dir DIR] [--kubeconfig-out PATH] [--nodes N] [-v]
      Start the cluster in the foreground and print the KUBECONFIG line.
      Ctrl-C stops it; --data-dir keeps its state for the next start.
  hopscope-lab demo [--keep] [-v]
      Start a throw-away cluster, break it the way the five labs of the
      networking incident article do, print hopscope's live diagnosis, stop.
      --keep leaves it running (Ctrl-C stops it) to explore with kubectl.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C starts a clean shutdown, a second one
		// kills the process at once.
		<-ctx.Done()
		stop()
	}()
	var err error
	switch args[0] {
	case "up":
		err = up(ctx, args[1:], stdout, stderr)
	case "demo":
		err = demo(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hopscope-lab: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "hopscope-lab: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "hopscope-lab: %v\n", err)
		return 1
	}
}

type usageError struct{ error }

// common are the flags both commands share.
type common struct {
	nodes   int
	verbose bool
}

func (c *common) bind(fs *flag.FlagSet) {
	fs.IntVar(&c.nodes, "nodes", 2, "how many Nodes the kubelet stand-in registers")
	fs.BoolVar(&c.verbose, "v", false, "print control-plane logs to stderr")
}

func (c *common) options(stderr io.Writer) testenv.Options {
	o := testenv.Options{Nodes: c.nodes}
	if c.verbose {
		o.Log = stderr
	}
	return o
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	var c common
	c.bind(fs)
	dataDir := fs.String("data-dir", "", "keep the cluster's state (etcd data, certificates) in DIR across restarts")
	kubeconfig := fs.String("kubeconfig-out", "", "where to write the kubeconfig (default: DIR/kubeconfig with --data-dir, else a file in the temp dir)")
	if err := parse(fs, args); err != nil {
		return err
	}
	opt := c.options(stderr)
	if *dataDir != "" {
		abs, err := filepath.Abs(*dataDir)
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		opt.DataDir = abs
	}
	path := *kubeconfig
	removeKubeconfig := false
	switch {
	case path == "" && opt.DataDir != "":
		path = filepath.Join(opt.DataDir, "kubeconfig")
	case path == "":
		path = filepath.Join(os.TempDir(), fmt.Sprintf("hopscope-lab-%d.kubeconfig", os.Getpid()))
		removeKubeconfig = true
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("kubeconfig path: %w", err)
	}

	fmt.Fprintln(stderr, "hopscope-lab: starting etcd, kube-apiserver, controllers and the kubelet stand-in...")
	began := time.Now()
	cl, err := testenv.Start(ctx, opt)
	if err != nil {
		return err
	}
	defer cl.Stop()
	if err := cl.WriteKubeconfig(path); err != nil {
		return err
	}
	if removeKubeconfig {
		defer os.Remove(path)
	}
	fmt.Fprintf(stderr, "hopscope-lab: cluster up in %s: %d nodes, CoreDNS (kube-dns 10.96.0.10), ingress-nginx (IngressClass nginx), Gateway API %s CRDs (GatewayClass %s)\n",
		time.Since(began).Round(100*time.Millisecond), len(cl.Kubelet.NodeNames()), labs.GatewayAPIRelease, labs.LabGatewayClass)
	if opt.DataDir != "" {
		fmt.Fprintf(stderr, "hopscope-lab: state kept in %s\n", opt.DataDir)
	}
	fmt.Fprintln(stderr, "hopscope-lab: no containers run here: pods get a status from a stand-in, not from a real kubelet.")
	fmt.Fprintln(stderr, "hopscope-lab: no Gateway API controller runs either: Gateways get no address and no status; the Gateway labs are judged from their spec.")
	fmt.Fprintln(stderr, "Point kubectl and hopscope at it:")
	fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", path)
	fmt.Fprintln(stderr, "then: kubectl get pods -A    hopscope diagnose -A")
	fmt.Fprintln(stderr, "Ctrl-C stops the cluster.")
	<-ctx.Done()
	fmt.Fprintln(stderr, "hopscope-lab: stopping...")
	return nil
}

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var c common
	c.bind(fs)
	keep := fs.Bool("keep", false, "keep the broken cluster running after the diagnosis (Ctrl-C stops it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "hopscope-lab: starting a local cluster...")
	began := time.Now()
	cl, err := testenv.Start(ctx, c.options(stderr))
	if err != nil {
		return err
	}
	defer cl.Stop()
	fmt.Fprintf(stderr, "hopscope-lab: cluster up in %s\n", time.Since(began).Round(100*time.Millisecond))
	for _, lab := range testenv.Labs() {
		fmt.Fprintf(stderr, "hopscope-lab: breaking lab %d in namespace %s: %s\n", lab.Number, lab.Namespace, lab.Title)
		if err := cl.Break(ctx, lab); err != nil {
			return err
		}
	}
	fmt.Fprintln(stderr, "hopscope-lab: running hopscope diagnose -A against it...")
	fmt.Fprintln(stderr)
	scanned := time.Now()
	snap, err := source.NewLiveForConfig(cl.Config, "").Load(ctx)
	if err != nil {
		return err
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{})
	if err != nil {
		return err
	}
	if err := report.Render(stdout, "text", res, report.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "\nhopscope-lab: live scan and diagnosis took %s\n", time.Since(scanned).Round(time.Millisecond))
	if !*keep {
		return nil
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("hopscope-lab-%d.kubeconfig", os.Getpid()))
	if err := cl.WriteKubeconfig(path); err != nil {
		return err
	}
	defer os.Remove(path)
	fmt.Fprintln(stderr, "hopscope-lab: the broken cluster keeps running; explore it:")
	fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", path)
	fmt.Fprintln(stderr, "Ctrl-C stops it.")
	<-ctx.Done()
	fmt.Fprintln(stderr, "hopscope-lab: stopping...")
	return nil
}
