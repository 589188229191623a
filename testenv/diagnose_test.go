package testenv_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// tempNamespace creates namespace ns for one test and deletes it (the
// namespace controller removes its contents) when the test ends, so that
// no test leaves a broken object behind for the diagnoses of others.
func tempNamespace(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	nss := cluster.Client.CoreV1().Namespaces()
	if _, err := nss.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nss.Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", ns, err)
			return
		}
		if !eventually(time.Minute, 200*time.Millisecond, func() bool { return namespaceGone(ns) == nil }) {
			t.Errorf("namespace %s still exists a minute after its deletion", ns)
		}
	})
}

// namespaceGone is nil once the API server answers NotFound for namespace
// ns, and otherwise says what it answered.
func namespaceGone(ns string) error {
	got, err := cluster.Client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("namespace %s exists (phase %s)", ns, got.Status.Phase)
}

// deploy applies manifest into ns, as `kubectl apply` would, and waits
// until the controllers and the kubelet stand-in caught up with it.
func deploy(t *testing.T, ns, manifest string) {
	t.Helper()
	ctx := context.Background()
	if err := cluster.Apply(ctx, []byte(manifest), ns); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitSettled(ctx, ns); err != nil {
		t.Fatal(err)
	}
}
