package labs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"

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

// TestStartWithoutGatewayAPI: on a cluster that does not serve the Gateway
// API, a Gateway lab names every kind it lacks and how to install them, and
// writes nothing (no namespace, no half-applied app).
func TestStartWithoutGatewayAPI(t *testing.T) {
	c := labstest.NewCluster()
	err := c.Start(context.Background(), mustLab(t, "18"), labs.StartOptions{})
	var pre *labs.PrerequisiteError
	if !errors.As(err, &pre) {
		t.Fatalf("Start without the Gateway API: %v, want a PrerequisiteError", err)
	}
	for _, want := range []string{"the Gateway API", "Gateway (gateway.networking.k8s.io/v1", "HTTPRoute (gateway.networking.k8s.io/v1",
		"hopscope lab up", labs.GatewayAPIInstallCmd} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("a start without the Gateway API wrote %v", w)
	}
}

// gatewayAPICluster is a fake cluster that serves the Gateway API kinds the
// labs use and holds the GatewayClasses named.
func gatewayAPICluster(classes ...string) *labstest.Cluster {
	c := labstest.NewCluster()
	gw := meta.NewDefaultRESTMapper(nil)
	for kind, scope := range map[string]meta.RESTScope{"GatewayClass": meta.RESTScopeRoot, "Gateway": meta.RESTScopeNamespace,
		"HTTPRoute": meta.RESTScopeNamespace, "ReferenceGrant": meta.RESTScopeNamespace} {
		gw.Add(schema.GroupVersionKind{Group: labs.GatewayAPIGroup, Version: "v1", Kind: kind}, scope)
	}
	gw.Add(schema.GroupVersionKind{Group: labs.GatewayAPIGroup, Version: "v1beta1", Kind: "ReferenceGrant"}, meta.RESTScopeNamespace)
	c.Mapper = meta.MultiRESTMapper{c.Mapper, gw}
	var objs []runtime.Object
	for _, name := range classes {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(labs.GatewayAPIGroup + "/v1")
		u.SetKind("GatewayClass")
		u.SetName(name)
		objs = append(objs, u)
	}
	c.FakeDynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme.Scheme,
		map[schema.GroupVersionResource]string{{Group: labs.GatewayAPIGroup, Version: "v1", Resource: "gatewayclasses"}: "GatewayClassList"}, objs...)
	c.Dynamic = c.FakeDynamic
	return c
}

// TestStartWithoutLabGatewayClass: the class is cluster-scoped, so a lab
// never creates it; where it is missing, start says how to add it.
func TestStartWithoutLabGatewayClass(t *testing.T) {
	c := gatewayAPICluster("eg")
	err := c.Start(context.Background(), mustLab(t, "18"), labs.StartOptions{})
	var pre *labs.PrerequisiteError
	if !errors.As(err, &pre) {
		t.Fatalf("Start without GatewayClass %s: %v, want a PrerequisiteError", labs.LabGatewayClass, err)
	}
	for _, want := range []string{"GatewayClass " + labs.LabGatewayClass, "hopscope lab up", `"name":"` + labs.LabGatewayClass + `"`, "controllerName"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if w := c.Writes(); len(w) > 0 {
		t.Fatalf("a start without the GatewayClass wrote %v", w)
	}

	// With the class the prerequisites hold and start goes on to write.
	c = gatewayAPICluster(labs.LabGatewayClass)
	err = c.Start(context.Background(), mustLab(t, "18"), labs.StartOptions{})
	if errors.As(err, &pre) {
		t.Fatalf("Start with GatewayClass %s: %v", labs.LabGatewayClass, err)
	}
	if w := c.Writes(); len(w) == 0 || w[0] != "create namespaces" {
		t.Fatalf("start with every prerequisite wrote %v (error %v), want the namespace first", w, err)
	}
}
