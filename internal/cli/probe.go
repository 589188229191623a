package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/probe"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ProbeFlags are the settings of the active probes that `hopscope probe`
// runs and `diagnose --probe` adds to a diagnosis (docs/probes.md).
type ProbeFlags struct {
	// Enabled runs probes after the diagnosis: always for `probe`, with
	// --probe for diagnose.
	Enabled bool
	// Level 0 reads through the API server's proxy; level 1 also adds an
	// ephemeral container to a client pod (a write).
	Level int
	// DryRun prints the requests, writes and RBAC of the probes, with the
	// API server's answer to an access review of each permission, and
	// sends nothing else.
	DryRun  bool
	Image   string
	FromPod string
	Timeout time.Duration
	Wait    time.Duration

	// given records the probe flags on the command line, so that diagnose
	// refuses them without --probe instead of ignoring them.
	given []string
	// restConfig reaches the cluster; Complete sets it from the kubectl
	// flags, tests directly.
	restConfig func() (*rest.Config, error)
}

func newProbeCommand(g *Globals, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiagnoseOptions{IOStreams: streams, Globals: g}
	o.Probe.Enabled = true
	cmd := &cobra.Command{
		Use:   "probe [ingress/NAME | service/NAME | gateway/NAME | httproute/NAME]...",
		Short: "Test broken and degraded paths actively: GET through the API server's proxy (level 0), or connect from a client pod (level 1, a write)",
		Long: `Diagnose, then test the paths the declared state calls broken or degraded (or the paths named as
arguments, whatever their verdict) and set each probe beside the static verdict.

Level 0 (the default) writes nothing: an HTTP GET through the API server's pods/proxy to one or two
of the Service's pods on the target port, and through services/proxy to the Service port.
Level 1 (--probe-level=1) also adds an ephemeral container to a client pod that looks up the
Service's name and connects to the name, the ClusterIP and a pod IP, telling DNS, kube-proxy,
NetworkPolicy and the app apart. Before that write every permission it needs is checked with a
SelfSubjectAccessReview; --dry-run prints every request and write, and the RBAC they need.`,
		Example: `  hopscope probe -n shop                              # level 0 on the broken and degraded paths
  hopscope probe service/api-svc -n shop             # a path the declared state calls healthy
  hopscope probe -n shop --probe-level=1 --dry-run   # what level 1 would write, and the RBAC it needs
  hopscope probe -n shop --probe-level=1 --from-pod web-1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Entries = args
			o.flagsGiven(cmd)
			return runE(o.Run, o.Complete, o.Validate)(cmd, args)
		},
	}
	o.AddFlags(cmd)
	o.Probe.AddFlags(cmd)
	return cmd
}

// AddFlags binds the probe flags shared by `probe` and `diagnose`.
func (p *ProbeFlags) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&p.Level, "probe-level", 0, "0: GET through the API server's proxy, no write; 1: also run DNS and TCP tests from a client pod in an ephemeral container (a write)")
	f.BoolVar(&p.DryRun, "dry-run", false, "print every request and write the probes would make and the RBAC they need (checked with access reviews); send nothing else")
	f.StringVar(&p.Image, "probe-image", probe.DefaultImage, "level 1: the image of the ephemeral container; it needs sh, nslookup, nc and timeout")
	f.StringVar(&p.FromPod, "from-pod", "", "level 1: the client pod to probe from, NAME in the Service's namespace or NAMESPACE/NAME (default: a Ready pod in any scanned namespace whose env or ConfigMaps name the Service, else the first Ready pod of its namespace not behind it)")
	f.DurationVar(&p.Timeout, "probe-timeout", probe.DefaultTimeout, "bound on each GET through the API server's proxy")
	f.DurationVar(&p.Wait, "probe-wait", probe.DefaultWait, "level 1: bound on the wait for the ephemeral container to finish")
}

// addDiagnoseFlags adds --probe and the probe flags to diagnose.
func (p *ProbeFlags) addDiagnoseFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&p.Enabled, "probe", false, "after the diagnosis, probe the broken and degraded paths (level 0: GET through the API server's proxy, no write); see 'hopscope probe'")
	p.AddFlags(cmd)
}

// probeFlagNames are the flags that mean nothing without probes.
var probeFlagNames = []string{"probe-level", "dry-run", "probe-image", "from-pod", "probe-timeout", "probe-wait"}

// flagsGiven records the probe flags on the command line.
func (p *ProbeFlags) flagsGiven(cmd *cobra.Command) {
	p.given = nil
	for _, name := range probeFlagNames {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			p.given = append(p.given, "--"+name)
		}
	}
}

// validate rejects probe flags that cannot work: without --probe, on
// files, an unknown level, level-1 flags at level 0, non-positive bounds.
func (p *ProbeFlags) validate(files []string) error {
	if !p.Enabled {
		if len(p.given) > 0 {
			return usageErrorf("%s needs --probe (or use 'hopscope probe')", p.given[0])
		}
		return nil
	}
	switch {
	case len(files) > 0:
		return usageErrorf("probes test a live cluster: -f reads files, which nothing can probe; drop -f to use the current kubectl context")
	case p.Level != 0 && p.Level != 1:
		return usageErrorf("--probe-level %d: want 0 (through the API server, no write) or 1 (from a client pod, a write)", p.Level)
	case p.Level == 0 && p.FromPod != "":
		return usageErrorf("--from-pod is for --probe-level=1; level 0 probes through the API server")
	case p.FromPod != "" && !validClientPod(p.FromPod):
		return usageErrorf("--from-pod %q: want NAME (a pod in the Service's namespace) or NAMESPACE/NAME", p.FromPod)
	case p.Level == 0 && p.Image != probe.DefaultImage:
		return usageErrorf("--probe-image is for --probe-level=1; level 0 runs no container")
	case p.Image == "":
		return usageErrorf("--probe-image: empty; name an image with sh, nslookup, nc and timeout")
	case p.Timeout <= 0:
		return usageErrorf("--probe-timeout %s: want a positive duration such as 5s", p.Timeout)
	case p.Wait <= 0:
		return usageErrorf("--probe-wait %s: want a positive duration such as 60s", p.Wait)
	}
	return nil
}

// validClientPod reports whether --from-pod is NAME or NAMESPACE/NAME,
// each a DNS name as Kubernetes requires of namespaces and pod names.
func validClientPod(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if len(validation.IsDNS1123Subdomain(p)) > 0 {
			return false
		}
	}
	return true
}

// complete sets the cluster connection the probes use.
func (p *ProbeFlags) complete(g *Globals) {
	if p.restConfig == nil && p.Enabled {
		p.restConfig = g.Kube.ToRESTConfig
	}
}

// run plans the probes of res and, in a dry run, prints the plan and
// stops (done); otherwise runs them and adds them to res.
func (p *ProbeFlags) run(ctx context.Context, o *DiagnoseOptions, snap *snapshot.Snapshot, res *diagnose.Result) (done bool, err error) {
	cfg, err := p.restConfig()
	if err != nil {
		return false, &ExitError{Code: ExitUsage, Err: fmt.Errorf("probe: read kubeconfig: %w", err)}
	}
	plan := probe.Build(res, snap, probe.Options{Level: p.Level, AllPaths: len(o.Entries) > 0, ClientPod: p.FromPod, Image: p.Image})
	if len(plan.Proxies)+len(plan.Clients)+len(plan.NotRun) == 0 {
		fmt.Fprintf(o.ErrOut, "probe: no broken or degraded path to probe; name a path to probe one the declared state calls healthy (hopscope probe service/NAME)\n")
	}
	if p.DryRun {
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return false, fmt.Errorf("probe: connect to %s: %w", cfg.Host, err)
		}
		if err := probe.Describe(o.Out, plan, probe.Review(ctx, cs, plan.Permissions())); err != nil {
			return false, fmt.Errorf("probe: print the dry run: %w", err)
		}
		return true, nil
	}
	pr, err := probe.NewProber(cfg)
	if err != nil {
		return false, err
	}
	pr.Timeout, pr.Wait = p.Timeout, p.Wait
	probes, err := pr.Run(ctx, plan)
	if err != nil {
		return false, err
	}
	res.Probes = probes
	return false, nil
}

// unexpectedFailure reports whether a probe failed where the declared
// state says traffic works: a fault the static diagnosis could not see,
// which fails the run like an error finding.
func unexpectedFailure(probes []diagnose.Probe) bool {
	for _, p := range probes {
		if p.Agreement == diagnose.ProbeContradicts && p.Outcome.Failed() {
			return true
		}
	}
	return false
}
