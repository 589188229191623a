package testenv_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/hopscope/hopscope/internal/servetest"
	"github.com/hopscope/hopscope/pkg/watch"
)

// TestDeployKustomizeIsAcceptedAndSufficient sends every object of the
// shipped kustomize overlay for the Prometheus Operator (the base, a
// ServiceMonitor and the PrometheusRule) to the real API server with
// server-side dry-run, the two custom resources against the Prometheus
// Operator's own CRDs: the server validates and defaults each object and
// persists nothing. The ServiceAccount and its RBAC are created for real,
// and the watcher runs as that ServiceAccount: every kind must be listed,
// none "not checked". A pod of the Deployment's template passes the
// namespace's Pod Security "restricted" admission.
func TestDeployKustomizeIsAcceptedAndSufficient(t *testing.T) {
	installPrometheusOperatorCRDs(t)
	objs := kustomizeObjects(t, "../deploy/kustomize/prometheus-operator")
	for _, kind := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceMonitor", "PrometheusRule"} {
		if findObject(objs, kind) == nil {
			t.Fatalf("the overlay has no %s", kind)
		}
	}
	ns := findObject(objs, "Namespace").GetName()
	c := newShippedClient(ns)
	c.apply(t, objs)
	if t.Failed() {
		return
	}
	c.requireRestrictedPod(t, findObject(objs, "Deployment"), ns)
	requireWatcherListsEveryKind(t, ns, findObject(objs, "ServiceAccount").GetName())
}

// kustomizeObjects builds a kustomize directory.
func kustomizeObjects(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range m.Resources() {
		raw, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: raw})
	}
	return objs
}

// findObject is the first object of kind in objs, or nil.
func findObject(objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	for _, obj := range objs {
		if obj.GetKind() == kind {
			return obj
		}
	}
	return nil
}

// shippedClient sends shipped manifests to the test's API server through
// the cluster's applier, which learns the kinds of CRDs a test installed.
type shippedClient struct {
	// namespace is where a namespaced object without one goes, as
	// `helm install -n` or `kubectl apply -n` would put it.
	namespace string
}

func newShippedClient(namespace string) *shippedClient {
	return &shippedClient{namespace: namespace}
}

func (c *shippedClient) resource(t *testing.T, obj *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	target, err := cluster.Target(obj, c.namespace)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// createdForReal are the kinds the tests create rather than dry-run: the
// watcher runs as the ServiceAccount with the shipped RBAC, and the pod of
// the Pod Security check needs its ServiceAccount to exist.
var createdForReal = map[string]bool{"Namespace": true, "ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true}

// apply server-side-applies objs in order: the kinds of createdForReal for
// real (deleted when the test ends), every other one with dry-run, which
// runs validation, defaulting and admission and stores nothing.
func (c *shippedClient) apply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	for _, obj := range objs {
		opts := metav1.ApplyOptions{FieldManager: "hopscope-test", Force: true}
		if createdForReal[obj.GetKind()] {
			target := c.resource(t, obj)
			t.Cleanup(func() {
				if err := target.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("delete %s %s: %v", obj.GetKind(), obj.GetName(), err)
				}
			})
		} else {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := c.resource(t, obj).Apply(ctx, obj.GetName(), obj, opts); err != nil {
			t.Errorf("server-side apply (dry-run %v) of %s %s: %v", opts.DryRun != nil, obj.GetKind(), obj.GetName(), err)
		}
	}
}

// requireRestrictedPod creates (dry-run) a pod of the Deployment's template
// in namespace, whose Pod Security admission enforces "restricted": the
// Deployment itself is only warned about, its pods are refused. A copy
// without runAsNonRoot must be refused, or the check proves nothing.
func (c *shippedClient) requireRestrictedPod(t *testing.T, deployment *unstructured.Unstructured, namespace string) {
	t.Helper()
	nsObj, err := cluster.Client.CoreV1().Namespaces().Get(context.Background(), namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := nsObj.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Fatalf("namespace %s enforces Pod Security %q, want restricted", namespace, got)
	}
	// NoCopy: kustomize's objects hold int, which a deep copy refuses.
	field, found, err := unstructured.NestedFieldNoCopy(deployment.Object, "spec", "template")
	template, isMap := field.(map[string]any)
	if err != nil || !found || !isMap {
		t.Fatalf("Deployment %s has no pod template: %v", deployment.GetName(), err)
	}
	var pod corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(template, &pod); err != nil {
		t.Fatalf("Deployment %s pod template: %v", deployment.GetName(), err)
	}
	pod.Name, pod.Namespace = deployment.GetName()+"-pod-security", namespace
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	if _, err := cluster.Client.CoreV1().Pods(namespace).Create(context.Background(), &pod, dryRun); err != nil {
		t.Errorf("a pod of Deployment %s is refused in a restricted namespace: %v", deployment.GetName(), err)
	}
	rooted := pod.DeepCopy()
	if rooted.Spec.SecurityContext != nil {
		rooted.Spec.SecurityContext.RunAsNonRoot = nil
	}
	for i := range rooted.Spec.Containers {
		if sc := rooted.Spec.Containers[i].SecurityContext; sc != nil {
			sc.RunAsNonRoot = nil
		}
	}
	if _, err := cluster.Client.CoreV1().Pods(namespace).Create(context.Background(), rooted, dryRun); !apierrors.IsForbidden(err) {
		t.Errorf("a pod without runAsNonRoot was not refused (err %v): Pod Security admission is not enforcing", err)
	}
}

// requireWatcherListsEveryKind runs the watcher as the ServiceAccount and
// reads its metrics: every kind listed, none refused by the RBAC.
func requireWatcherListsEveryKind(t *testing.T, namespace, serviceAccount string) {
	t.Helper()
	srv := runWatcher(t, impersonating("system:serviceaccount:"+namespace+":"+serviceAccount))
	_, body := servetest.Get(t, srv.URL+"/metrics")
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

// prometheusOperatorModule is the Prometheus Operator release whose CRDs
// the ServiceMonitor and PrometheusRule are checked against: the Go module
// carries them as YAML (example/prometheus-operator-crd). monitoring.coreos.com/v1
// has been stable for years; this is the release the Go proxy serves here.
const prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator@v0.85.0"

// installPrometheusOperatorCRDs downloads the Prometheus Operator's module
// (outside any go.mod: nothing of it is built), applies its ServiceMonitor
// and PrometheusRule CRDs and waits until they serve. They stay installed:
// applying them again is a no-op.
func installPrometheusOperatorCRDs(t *testing.T) {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", prometheusOperatorModule)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v %s\n%s", prometheusOperatorModule, err, mod.Error, out)
	}
	ctx := context.Background()
	for _, resource := range []string{"servicemonitors", "prometheusrules"} {
		f := filepath.Join(mod.Dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_"+resource+".yaml")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("the Prometheus Operator's %s CRD: %v", resource, err)
		}
		if err := cluster.Apply(ctx, data, ""); err != nil {
			t.Fatalf("apply %s: %v", f, err)
		}
	}
	served := func() bool {
		list, err := cluster.Client.Discovery().ServerResourcesForGroupVersion("monitoring.coreos.com/v1")
		if err != nil {
			return false
		}
		n := 0
		for _, r := range list.APIResources {
			if r.Name == "servicemonitors" || r.Name == "prometheusrules" {
				n++
			}
		}
		return n == 2
	}
	if !eventually(time.Minute, 200*time.Millisecond, served) {
		t.Fatal("the ServiceMonitor and PrometheusRule CRDs do not serve after a minute")
	}
}
