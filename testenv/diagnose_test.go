package testenv_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
	snap, err := source.NewLiveForConfig(cluster.Config, ns).Load(context.Background())
	if err != nil {
		t.Fatalf("live scan of namespace %q: %v", ns, err)
	}
	res, err := diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{})
	if err != nil {
		t.Fatalf("diagnose: %v", err)
	}
	return snap, res
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
