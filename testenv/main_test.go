package testenv_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/testenv"
)

// cluster is the one control plane every test of this binary shares;
// tests isolate themselves by namespace.
var cluster *testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var log io.Writer
	if os.Getenv("HOPSCOPE_LAB_LOG") != "" {
		log = os.Stderr
	}
	start := time.Now()
	// The cluster starts without the Gateway API, so that a scan of a
	// cluster that lacks it is tested (TestGatewayAPILive); the tests that
	// need it install it as `hopscope lab up` does (InstallGatewayAPI).
	c, err := testenv.Start(context.Background(), testenv.Options{Log: log, NoGatewayAPI: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start local cluster: %v\n", err)
		return 1
	}
	defer c.Stop()
	fmt.Fprintf(os.Stderr, "local cluster ready in %s\n", time.Since(start).Round(10*time.Millisecond))
	cluster = c
	return m.Run()
}

// eventually polls cond every interval until it holds or timeout has
// passed, and says whether it held: for state the controllers and the
// kubelet stand-in write a moment after a change.
func eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
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

// namespaceWith creates namespace ns for one test (tempNamespace) and
// deploys manifest into it.
func namespaceWith(t *testing.T, ns, manifest string) {
	t.Helper()
	tempNamespace(t, ns)
	deploy(t, ns, manifest)
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
