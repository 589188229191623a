package testenv_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/report"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// diagnoseLive scans the cluster as `hopscope diagnose -n ns` does (all
// namespaces when ns is "") and runs every check.
func diagnoseLive(t *testing.T, ns string) (*snapshot.Snapshot, *diagnose.Result) {
	t.Helper()
	return diagnoseAs(t, cluster.Config, ns)
}

// diagnoseAs is diagnoseLive through cfg, for a scan as another user
// (impersonating).
func diagnoseAs(t *testing.T, cfg *rest.Config, ns string) (*snapshot.Snapshot, *diagnose.Result) {
	t.Helper()
	snap := scanLive(t, cfg, ns)
	return snap, diagnoseSnapshot(t, snap, diagnose.Options{})
}

// scanLive reads namespace ns (all namespaces when ns is "") through cfg
// as a live scan does.
func scanLive(t *testing.T, cfg *rest.Config, ns string) *snapshot.Snapshot {
	t.Helper()
	snap, err := source.NewLiveForConfig(cfg, ns).Load(context.Background())
	if err != nil {
		t.Fatalf("live scan of namespace %q: %v", ns, err)
	}
	return snap
}

// diagnoseSnapshot runs every check on snap.
func diagnoseSnapshot(t *testing.T, snap *snapshot.Snapshot, opt diagnose.Options) *diagnose.Result {
	t.Helper()
	res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, opt)
	if err != nil {
		t.Fatalf("diagnose: %v", err)
	}
	return res
}

// scopedTo are the options of a diagnosis scoped with -n ns, of the paths
// from entries (every path when there are none) as `hopscope trace` does.
func scopedTo(ns string, entries ...string) diagnose.Options {
	return diagnose.Options{Entries: entries, Namespace: ns, Namespaces: []string{ns}}
}

// impersonating is the cluster's admin config acting as user, as --as does.
func impersonating(user string) *rest.Config {
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}

func findingOf(res *diagnose.Result, check string, obj snapshot.ObjectRef) *diagnose.Finding {
	for i, f := range res.Findings {
		if f.Check == check && f.Object == obj {
			return &res.Findings[i]
		}
	}
	return nil
}

// errorsOf lists error-severity findings as "check object" lines.
func errorsOf(res *diagnose.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Severity == diagnose.SeverityError {
			out = append(out, f.Key())
		}
	}
	return out
}

// brokenTraces lists the entries of traces that have a root cause or a
// broken hop.
func brokenTraces(res *diagnose.Result) []string {
	var out []string
	for _, tr := range res.Traces {
		if tr.RootCause != "" || tr.Broken() {
			out = append(out, tr.Entry+" (root cause: "+tr.RootCause+")")
		}
	}
	return out
}

// rendered is the text report, for failure messages.
func rendered(res *diagnose.Result) string {
	var b bytes.Buffer
	if err := report.Render(&b, "text", res, report.Options{}); err != nil {
		return "render: " + err.Error()
	}
	return b.String()
}

func keys(res *diagnose.Result) string {
	var ks []string
	for _, f := range res.Findings {
		ks = append(ks, string(f.Severity)+" "+f.Key())
	}
	return strings.Join(ks, "\n  ")
}
