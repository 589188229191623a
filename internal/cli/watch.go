package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/watch"
)

// WatchOptions is `hopscope watch`: keep the diagnosis of the whole cluster
// current and serve it as Prometheus metrics.
type WatchOptions struct {
	genericiooptions.IOStreams
	Globals *Globals

	// Listen is the address of /metrics, /healthz and /readyz.
	Listen string
	// Options are the watcher's, set from the flags; Complete fills in
	// Config, Run the version and the log.
	watch.Options
}

func newWatchCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &WatchOptions{IOStreams: streams, Globals: g}
	cmd := &cobra.Command{
		Use:   "watch [--listen ADDR]",
		Short: "Keep the cluster's diagnosis current and serve it as Prometheus metrics",
		Long: `Watch every kind the diagnosis reads (one LIST and one WATCH per kind, read-only, Secrets as metadata
only), diagnose again after each change once the cluster is quiet for --debounce (only the namespaces the
change touched when it stays in them), and serve the findings and path verdicts on /metrics, with /healthz
and /readyz. Read-only unless --emit-events. Runs in a cluster (in-cluster config) or against
a kubeconfig. See docs/watch.md for the metrics and deploy/ for the manifests.`,
		Example: `  hopscope watch                                 # the current kubectl context, metrics on :8080
  hopscope watch --listen 127.0.0.1:9090 --debounce 2s`,
		Args: cobra.NoArgs,
		RunE: runE(o.Run, o.Complete, o.Validate),
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", ":8080", "address to serve /metrics, /healthz and /readyz on")
	f.StringSliceVar(&o.Namespaces, "namespaces", nil, "diagnose only these namespaces (the watch stays cluster-wide: DNS and nodes are on every path)")
	f.DurationVar(&o.Debounce, "debounce", watch.DefaultDebounce, "quiet time after a change before the diagnosis runs again")
	f.DurationVar(&o.Reconcile, "reconcile", watch.DefaultReconcile, "after a diagnosis of only the namespaces a change touched, diagnose the whole cluster this much later to check it")
	f.BoolVar(&o.EmitEvents, "emit-events", false, "record a Kubernetes Event on the root-cause object when a path breaks and when it recovers (needs create on events.k8s.io events: deploy/kustomize/events)")
	f.IntVar(&o.EventsPerMinute, "events-per-minute", watch.DefaultEventsPerMinute, "most Events written per minute with --emit-events; the rest are counted in hopscope_kube_events_total{result=\"rate_limited\"}")
	f.IntVar(&o.MaxBrokenPaths, "max-broken-paths", watch.DefaultMaxBrokenPaths, "most hopscope_path_broken_info series exported; the rest are counted in hopscope_path_broken_info_omitted")
	return cmd
}

// Complete reads the cluster's connection: the in-cluster ServiceAccount
// when running in a pod, else the kubectl flags.
func (o *WatchOptions) Complete() error {
	if o.Config != nil {
		return nil
	}
	if cfg, err := rest.InClusterConfig(); err == nil {
		o.Config = cfg
		return nil
	}
	if o.Globals == nil || o.Globals.Kube == nil {
		return usageErrorf("watch: no cluster: not in a pod and no kubeconfig flags")
	}
	cfg, err := o.Globals.Kube.ToRESTConfig()
	if err != nil {
		return usageErrorf("read kubeconfig: %v (set --kubeconfig or KUBECONFIG, or run hopscope watch in the cluster)", err)
	}
	o.Config = cfg
	return nil
}

// Validate rejects values that would make the watcher useless.
func (o *WatchOptions) Validate() error {
	if o.Debounce <= 0 {
		return usageErrorf("--debounce must be positive, got %s", o.Debounce)
	}
	if o.MaxBrokenPaths <= 0 {
		return usageErrorf("--max-broken-paths must be positive, got %d", o.MaxBrokenPaths)
	}
	if o.Reconcile <= 0 {
		return usageErrorf("--reconcile must be positive, got %s", o.Reconcile)
	}
	if o.EventsPerMinute <= 0 {
		return usageErrorf("--events-per-minute must be positive, got %d", o.EventsPerMinute)
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return usageErrorf("--listen %q: %v", o.Listen, err)
	}
	return nil
}

// Run serves the metrics and watches until ctx ends.
func (o *WatchOptions) Run(ctx context.Context) error {
	opts := o.Options
	opts.Version, opts.Log = Version(), o.ErrOut
	w, err := watch.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("listen on %s: %w", o.Listen, err)}
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(o.ErrOut, "hopscope watch: serving /metrics on %s\n", ln.Addr())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watched := make(chan error, 1)
	go func() { watched <- w.Run(ctx) }()
	select {
	case err = <-served:
		cancel()
		<-watched
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	case err = <-watched:
	}
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
