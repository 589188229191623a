package testenv_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/hopscope/hopscope/pkg/watch"
)

// TestDeployBaseIsAcceptedAndSufficient sends every object of the shipped
// kustomize base to the real API server with server-side dry-run (the
// server validates and defaults each one, persists nothing), then creates
// the ServiceAccount and its RBAC for real and runs the watcher as that
// ServiceAccount: every kind must be listed, none "not checked". The
// ServiceMonitor and PrometheusRule are CRDs of the Prometheus Operator,
// which this control plane does not serve; deploy/ checks them offline.
func TestDeployBaseIsAcceptedAndSufficient(t *testing.T) {
	ctx := context.Background()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../deploy/kustomize/base")
	if err != nil {
		t.Fatalf("kustomize build deploy/kustomize/base: %v", err)
	}
	dyn, err := dynamic.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))

	var objs []*unstructured.Unstructured
	for _, r := range m.Resources() {
		raw, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: raw})
	}
	target := func(obj *unstructured.Unstructured) dynamic.ResourceInterface {
		gvk := obj.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			return dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
		}
		return dyn.Resource(mapping.Resource)
	}
	// The namespace must exist for the dry-run of what goes in it.
	for _, obj := range objs {
		if obj.GetKind() == "Namespace" {
			if _, err := target(obj).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "hopscope-test", Force: true}); err != nil {
				t.Fatalf("create namespace %s: %v", obj.GetName(), err)
			}
		}
	}
	created := map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true}
	t.Cleanup(func() {
		for _, obj := range objs {
			if obj.GetKind() == "Namespace" || created[obj.GetKind()] {
				if err := target(obj).Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("delete %s %s: %v", obj.GetKind(), obj.GetName(), err)
				}
			}
		}
	})
	for _, obj := range objs {
		opts := metav1.ApplyOptions{FieldManager: "hopscope-test", Force: true}
		if !created[obj.GetKind()] {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := target(obj).Apply(ctx, obj.GetName(), obj, opts); err != nil {
			t.Errorf("server-side apply (dry-run %v) of %s %s: %v", opts.DryRun != nil, obj.GetKind(), obj.GetName(), err)
		}
	}
	if t.Failed() {
		return
	}

	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:hopscope:hopscope"}
	srv := runWatcher(t, cfg)
	_, body := httpGet(t, srv.URL+"/metrics")
	listed := 0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, watch.MetricKindListed+"{") {
			continue
		}
		if strings.HasSuffix(line, " 1") {
			listed++
		} else {
			t.Errorf("the ClusterRole does not let the watcher read a kind: %s", line)
		}
	}
	// The Gateway API kinds add to these when another test installed the CRDs.
	if listed < len(watch.Resources()) {
		t.Errorf("%d kinds listed as the ServiceAccount, want %d\n%s", listed, len(watch.Resources()), body)
	}
}
