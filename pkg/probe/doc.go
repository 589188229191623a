// Package probe tests traffic paths actively, after a diagnosis, and sets
// each result beside the verdict the declared state gave.
//
// Level 0 writes nothing: for each broken or degraded path (or each path
// named on the command line) it sends an HTTP GET through the API server's
// proxy to one or two of the Service's pods on the target port and to the
// Service port. Level 1, behind an explicit flag, adds an ephemeral
// container to a client pod that runs the seed article's own tests from
// inside the cluster — a DNS lookup of the name the client uses, exactly as
// its env or ConfigMap writes it (the client may live in another namespace
// and name the Service wrongly), then TCP connects to that name, the
// Service's ClusterIP and one pod IP — so that DNS,
// kube-proxy, NetworkPolicy and the app are told apart; the container writes
// its results to its termination message, which is read back from the pod's
// status. Before that write, every permission it needs is checked with a
// SelfSubjectAccessReview; a refusal means no write.
//
// Planning is pure (Build reads a Result and its Snapshot); a Prober runs
// the Plan; Describe prints it for --dry-run with the RBAC it needs.
//
//	plan := probe.Build(res, snap, probe.Options{Level: 0})
//	pr, err := probe.NewProber(restConfig)
//	...
//	res.Probes, err = pr.Run(ctx, plan)
//
// Everything a probe brings back (response bodies, error messages,
// termination messages) comes from the cluster and is quoted only through
// the report's sanitising boundary; reads are bounded in time and bytes.
package probe
