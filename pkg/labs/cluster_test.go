package labs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/pkg/labs/labstest"
)

// These tests cover only the refusal logic, with fake clients that record
// every request: a refusal must come with a clear message and no write.
// What the API server really does with lab objects is tested against a real
// control plane in testenv/labs_e2e_test.go.

func foreignNamespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func mustLab(t *testing.T, id string) *labs.Lab {
	t.Helper()
	l, err := labs.Get(id)
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
		{"another tool's", map[string]string{labs.ManagedByLabel: "helm"}},
		{"another lab's", map[string]string{labs.ManagedByLabel: labs.ManagedByValue, labs.LabLabel: "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := labstest.NewCluster(foreignNamespace("hopscope-lab-1", tc.labels))
			err := c.Start(ctx, mustLab(t, "1"), labs.StartOptions{})
			if !labs.IsRefusal(err) || !strings.Contains(err.Error(), "refusing to touch it") {
				t.Fatalf("Start on a foreign namespace: %v, want a refusal", err)
			}
			if w := c.Writes(); len(w) > 0 {
				t.Fatalf("a refused start wrote %v", w)
			}
		})
	}
}

// TestStartRefusesForeignExtraNamespace: a lab with two namespaces checks
// both before it creates either.
func TestStartRefusesForeignExtraNamespace(t *testing.T) {
	c := labstest.NewCluster(foreignNamespace("hopscope-lab-7-orders", nil))
	err := c.Start(context.Background(), mustLab(t, "7"), labs.StartOptions{})
	if !labs.IsRefusal(err) || !strings.Contains(err.Error(), "hopscope-lab-7-orders") {
		t.Fatalf("got %v, want a refusal naming hopscope-lab-7-orders", err)
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("a refused start wrote %v", w)
	}
}

func TestClusterWideLabNeedsLocalClusterOrFlag(t *testing.T) {
	ctx := context.Background()
	l := mustLab(t, "5")
	if !l.ClusterWide {
		t.Fatal("lab 5 must be cluster-wide")
	}
	c := labstest.NewCluster()
	err := c.Start(ctx, l, labs.StartOptions{})
	if !labs.IsRefusal(err) {
		t.Fatalf("cluster-wide lab on a cluster without the marker: %v, want a refusal", err)
	}
	for _, want := range []string{"WHOLE cluster", "--i-know-this-breaks-cluster-dns", "kube-system/coredns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not mention %q", err, want)
		}
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("a refused start wrote %v", w)
	}
}

func TestIsLocal(t *testing.T) {
	ctx := context.Background()
	c := labstest.NewCluster()
	if local, err := c.IsLocal(ctx); err != nil || local {
		t.Fatalf("IsLocal without marker = %v, %v", local, err)
	}
	marker := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: labs.LocalClusterMarkerNamespace, Name: labs.LocalClusterMarkerName}}
	c = labstest.NewCluster(marker)
	if local, err := c.IsLocal(ctx); err != nil || !local {
		t.Fatalf("IsLocal with marker = %v, %v", local, err)
	}
}

func TestResetRefusesForeignNamespace(t *testing.T) {
	c := labstest.NewCluster(foreignNamespace("hopscope-lab-3", map[string]string{"team": "payments"}))
	err := c.Reset(context.Background(), mustLab(t, "3"))
	if !labs.IsRefusal(err) {
		t.Fatalf("Reset of a foreign namespace: %v, want a refusal", err)
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("a refused reset wrote %v", w)
	}
}

func TestApplyFixNeedsRunningLab(t *testing.T) {
	c := labstest.NewCluster()
	err := c.ApplyFix(context.Background(), mustLab(t, "1"))
	var ns *labs.NotStartedError
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "hopscope lab start 1") {
		t.Fatalf("ApplyFix on a lab not started: %v", err)
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("ApplyFix wrote %v", w)
	}
}

// TestResetOfAbsentLab is a no-op: nothing to delete, nothing written.
func TestResetOfAbsentLab(t *testing.T) {
	c := labstest.NewCluster()
	if err := c.Reset(context.Background(), mustLab(t, "1")); err != nil {
		t.Fatal(err)
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("reset of an absent lab wrote %v", w)
	}
}
