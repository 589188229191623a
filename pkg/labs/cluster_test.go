package labs

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

// These tests cover only the refusal logic, with fake clients that record
// every request: a refusal must come with a clear message and no write.
// What the API server really does with lab objects is tested against a real
// control plane in testenv/labs_e2e_test.go.

func fakeCluster(objs ...runtime.Object) (*Cluster, *fake.Clientset, *dynamicfake.FakeDynamicClient) {
	cs := fake.NewClientset(objs...)
	dyn := dynamicfake.NewSimpleDynamicClient(scheme.Scheme)
	return &Cluster{Client: cs, Dynamic: dyn, Mapper: testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme)}, cs, dyn
}

// writes lists the recorded requests that change something.
func writes(actions ...[]k8stesting.Action) []string {
	var out []string
	for _, list := range actions {
		for _, a := range list {
			switch a.GetVerb() {
			case "get", "list", "watch":
				continue
			}
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
		}
	}
	return out
}

func foreignNamespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func mustLab(t *testing.T, id string) *Lab {
	t.Helper()
	l, err := Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestStartRefusesForeignNamespace(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		labels map[string]string
	}{
		{"no labels", nil},
		{"another tool's", map[string]string{ManagedByLabel: "helm"}},
		{"another lab's", map[string]string{ManagedByLabel: ManagedByValue, LabLabel: "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cs, dyn := fakeCluster(foreignNamespace("hopscope-lab-1", tc.labels))
			err := c.Start(ctx, mustLab(t, "1"), StartOptions{})
			if !IsRefusal(err) || !strings.Contains(err.Error(), "refusing to touch it") {
				t.Fatalf("Start on a foreign namespace: %v, want a refusal", err)
			}
			if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
				t.Fatalf("a refused start wrote %v", w)
			}
		})
	}
}

// TestStartRefusesForeignExtraNamespace: a lab with two namespaces checks
// both before it creates either.
func TestStartRefusesForeignExtraNamespace(t *testing.T) {
	c, cs, dyn := fakeCluster(foreignNamespace("hopscope-lab-7-orders", nil))
	err := c.Start(context.Background(), mustLab(t, "7"), StartOptions{})
	if !IsRefusal(err) || !strings.Contains(err.Error(), "hopscope-lab-7-orders") {
		t.Fatalf("got %v, want a refusal naming hopscope-lab-7-orders", err)
	}
	if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
		t.Fatalf("a refused start wrote %v", w)
	}
}

func TestClusterWideLabNeedsLocalClusterOrFlag(t *testing.T) {
	ctx := context.Background()
	l := mustLab(t, "5")
	if !l.ClusterWide {
		t.Fatal("lab 5 must be cluster-wide")
	}
	c, cs, dyn := fakeCluster()
	err := c.Start(ctx, l, StartOptions{})
	if !IsRefusal(err) {
		t.Fatalf("cluster-wide lab on a cluster without the marker: %v, want a refusal", err)
	}
	for _, want := range []string{"WHOLE cluster", "--i-know-this-breaks-cluster-dns", "kube-system/coredns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not mention %q", err, want)
		}
	}
	if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
		t.Fatalf("a refused start wrote %v", w)
	}
}

func TestIsLocal(t *testing.T) {
	ctx := context.Background()
	c, _, _ := fakeCluster()
	if local, err := c.IsLocal(ctx); err != nil || local {
		t.Fatalf("IsLocal without marker = %v, %v", local, err)
	}
	marker := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: LocalClusterMarkerNamespace, Name: LocalClusterMarkerName}}
	c, _, _ = fakeCluster(marker)
	if local, err := c.IsLocal(ctx); err != nil || !local {
		t.Fatalf("IsLocal with marker = %v, %v", local, err)
	}
}

func TestResetRefusesForeignNamespace(t *testing.T) {
	c, cs, dyn := fakeCluster(foreignNamespace("hopscope-lab-3", map[string]string{"team": "payments"}))
	err := c.Reset(context.Background(), mustLab(t, "3"))
	if !IsRefusal(err) {
		t.Fatalf("Reset of a foreign namespace: %v, want a refusal", err)
	}
	if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
		t.Fatalf("a refused reset wrote %v", w)
	}
}

func TestApplyFixNeedsRunningLab(t *testing.T) {
	c, cs, dyn := fakeCluster()
	err := c.ApplyFix(context.Background(), mustLab(t, "1"))
	var ns *NotStartedError
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "hopscope lab start 1") {
		t.Fatalf("ApplyFix on a lab not started: %v", err)
	}
	if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
		t.Fatalf("ApplyFix wrote %v", w)
	}
}

// TestResetOfAbsentLab is a no-op: nothing to delete, nothing written.
func TestResetOfAbsentLab(t *testing.T) {
	c, cs, dyn := fakeCluster()
	if err := c.Reset(context.Background(), mustLab(t, "1")); err != nil {
		t.Fatal(err)
	}
	if w := writes(cs.Actions(), dyn.Actions()); len(w) > 0 {
		t.Fatalf("reset of an absent lab wrote %v", w)
	}
}
