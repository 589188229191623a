package testenv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/internal/testbinary"
	"github.com/hopscope/hopscope/testenv"
)

const (
	chartDir = "../deploy/helm/hopscope"
	// helmNamespace is the namespace the chart is installed into: its own,
	// so that it never meets the kustomize test's namespace while that one
	// terminates.
	helmNamespace = "hopscope-helm"
	helmRelease   = "hopscope"
)

// chartValues is one install of the chart: the --set arguments and what
// they must turn on.
type chartValues struct {
	name                           string
	set                            []string
	events, monitor, rule, secrets bool
	size                           string
	namespaces                     string
	// image is the container image the Deployment must run; empty: the
	// repository at the chart's appVersion.
	image string
}

// TestHelmChartIsAcceptedAndMatchesKustomize lints and renders the chart
// (`helm lint --strict`, `helm template`) with its defaults, with every
// toggle on and without the Secrets rule, and sends each rendering to the
// real API server with server-side dry-run, the ServiceMonitor and
// PrometheusRule against the Prometheus Operator's CRDs. Each rendering
// must carry the kustomize base's RBAC rules and the kustomize overlay's
// alert rules unchanged, the measured size it asks for (the kustomize base
// asks for the medium one), and a pod template that Pod Security
// "restricted" admits; with the defaults the watcher, run as the chart's
// ServiceAccount, lists every kind. Values the chart refuses fail with a
// message naming them.
func TestHelmChartIsAcceptedAndMatchesKustomize(t *testing.T) {
	helm := helmBinary(t)
	installPrometheusOperatorCRDs(t)
	kustomized := kustomizeObjects(t, "../deploy/kustomize/prometheus-operator")
	baseRules := clusterRoleRules(t, findObject(kustomized, "ClusterRole"))
	var eventRules []rbacv1.PolicyRule
	for _, o := range kustomizeObjects(t, "../deploy/kustomize/events") {
		if o.GetKind() == "ClusterRole" && o.GetName() == "hopscope-watch-events" {
			eventRules = clusterRoleRules(t, o)
		}
	}
	if len(eventRules) == 0 {
		t.Fatal("deploy/kustomize/events has no ClusterRole hopscope-watch-events")
	}
	alerts := findObject(kustomized, "PrometheusRule").Object["spec"]
	sizes := chartSizes(t)
	var kustomizeDeployment appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(findObject(kustomized, "Deployment").Object, &kustomizeDeployment); err != nil {
		t.Fatal(err)
	}
	checkSized(t, "the kustomize base's Deployment", kustomizeDeployment.Spec.Template.Spec.Containers[0], "medium", sizes)

	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: helmNamespace,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}
	if _, err := cluster.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", helmNamespace, err)
	}
	t.Cleanup(func() {
		if err := cluster.Client.CoreV1().Namespaces().Delete(ctx, helmNamespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", helmNamespace, err)
		}
	})

	installs := []chartValues{
		{name: "defaults", secrets: true, size: "medium"},
		{name: "every toggle on", set: []string{"events.enabled=true", "serviceMonitor.enabled=true", "prometheusRule.enabled=true",
			"watch.namespaces={shop,payments}", "clusterSize=xlarge",
			"serviceMonitor.labels.release=kube-prometheus-stack", "prometheusRule.labels.release=kube-prometheus-stack"},
			events: true, monitor: true, rule: true, secrets: true, size: "xlarge", namespaces: "shop,payments"},
		{name: "no Secrets rule, small", set: []string{"rbac.secrets=false", "clusterSize=small"}, size: "small"},
		{name: "pinned by digest", set: []string{"image.digest=" + pinnedDigest}, secrets: true, size: "medium", image: "hopscope@" + pinnedDigest},
	}
	for i, v := range installs {
		t.Run(v.name, func(t *testing.T) {
			args := []string{"--namespace", helmNamespace}
			for _, s := range v.set {
				args = append(args, "--set", s)
			}
			runHelm(t, helm, append([]string{"lint", "--strict", chartDir}, args...)...)
			objs := decodeRendered(t, runHelm(t, helm, append([]string{"template", helmRelease, chartDir}, args...)...))
			checkRendering(t, v, objs, baseRules, eventRules, alerts, sizes)
			if t.Failed() {
				return
			}
			c := newShippedClient(helmNamespace)
			c.apply(t, objs)
			if t.Failed() {
				return
			}
			c.requireRestrictedPod(t, findObject(objs, "Deployment"), helmNamespace)
			if i == 0 {
				requireWatcherListsEveryKind(t, helmNamespace, findObject(objs, "ServiceAccount").GetName())
			}
		})
	}

	// Values the chart refuses, with a message naming the value: a
	// misspelt toggle must not be ignored.
	for set, want := range map[string]string{
		"clusterSize=huge":           `clusterSize "huge" is not one of large, medium, small, xlarge`,
		"serviceMonitor.enable=true": `at '/serviceMonitor': additional properties 'enable' not allowed`,
		"watch.debounce=fast":        `at '/watch/debounce': 'fast' does not match`,
		"image.digest=latest":        `at '/image/digest': 'latest' does not match`,
	} {
		out, err := exec.Command(helm, "template", helmRelease, chartDir, "--set", set).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("helm template --set %s: err %v, want an error containing %q\n%s", set, err, want, out)
		}
	}
}

// checkRendering compares one rendering with what its values ask for and
// with the kustomize manifests.
func checkRendering(t *testing.T, v chartValues, objs []*unstructured.Unstructured, baseRules, eventRules []rbacv1.PolicyRule, alerts any, sizes map[string]corev1.ResourceRequirements) {
	t.Helper()
	for kind, want := range map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Service": true,
		"Deployment": true, "ServiceMonitor": v.monitor, "PrometheusRule": v.rule, "Namespace": false} {
		if got := findObject(objs, kind) != nil; got != want {
			t.Errorf("%s rendered: %v, want %v", kind, got, want)
		}
	}
	if t.Failed() {
		return
	}

	var wantRules []rbacv1.PolicyRule
	for _, r := range baseRules {
		if v.secrets || !slices.Contains(r.Resources, "secrets") {
			wantRules = append(wantRules, r)
		}
	}
	if v.events {
		wantRules = append(wantRules, eventRules...)
	}
	if got := clusterRoleRules(t, findObject(objs, "ClusterRole")); !reflect.DeepEqual(got, wantRules) {
		t.Errorf("ClusterRole rules\n got %+v\nwant %+v (deploy/kustomize/base/clusterrole.yaml)", got, wantRules)
	}

	var dep appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(findObject(objs, "Deployment").Object, &dep); err != nil {
		t.Fatal(err)
	}
	ctr := dep.Spec.Template.Spec.Containers[0]
	wantImage := v.image
	if wantImage == "" {
		wantImage = "hopscope:" + chartAppVersion(t)
	}
	if ctr.Image != wantImage {
		t.Errorf("image %q, want %q", ctr.Image, wantImage)
	}
	if got := slices.Contains(ctr.Args, "--emit-events"); got != v.events {
		t.Errorf("--emit-events in %v: %v, want %v", ctr.Args, got, v.events)
	}
	podName := slices.ContainsFunc(ctr.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
	})
	if podName != v.events {
		t.Errorf("POD_NAME from metadata.name in %v: %v, want %v (the Events name the pod that wrote them)", ctr.Env, podName, v.events)
	}
	if got := slices.Contains(ctr.Args, "--namespaces="+v.namespaces); got != (v.namespaces != "") {
		t.Errorf("--namespaces=%s in %v: %v", v.namespaces, ctr.Args, got)
	}
	checkSized(t, "the chart's Deployment", ctr, v.size, sizes)

	if v.rule {
		got, _ := json.Marshal(findObject(objs, "PrometheusRule").Object["spec"])
		want, _ := json.Marshal(alerts)
		if !bytes.Equal(got, want) {
			t.Errorf("PrometheusRule spec differs from deploy/kustomize/prometheus-operator/prometheusrule.yaml\n got %s\nwant %s", got, want)
		}
	}
	if v.monitor {
		// Prometheus takes the job from the Service label named by jobLabel;
		// HopscopeWatcherDown looks for that job.
		monitor := findObject(objs, "ServiceMonitor")
		jobLabel, _, _ := unstructured.NestedString(monitor.Object, "spec", "jobLabel")
		job := findObject(objs, "Service").GetLabels()[jobLabel]
		if job == "" || !strings.Contains(fmt.Sprint(alerts), `up{job="`+job+`"}`) {
			t.Errorf("the ServiceMonitor's job (label %q of the Service: %q) is not the job HopscopeWatcherDown looks for", jobLabel, job)
		}
		selector, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
		for k, want := range selector {
			if got := findObject(objs, "Service").GetLabels()[k]; got != want {
				t.Errorf("the ServiceMonitor selects %s=%s, the Service has %q", k, want, got)
			}
		}
	}
}

// checkSized: the container asks for the chart's measured size, and
// GOMEMLIMIT is 90% of its memory limit.
func checkSized(t *testing.T, what string, ctr corev1.Container, size string, sizes map[string]corev1.ResourceRequirements) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(ctr.Resources, sizes[size]) {
		t.Errorf("%s: resources %+v, want clusterSizes.%s %+v", what, ctr.Resources, size, sizes[size])
	}
	limit := ctr.Resources.Limits[corev1.ResourceMemory]
	want := fmt.Sprintf("%dMiB", limit.Value()*9/10>>20)
	var got string
	for _, e := range ctr.Env {
		if e.Name == "GOMEMLIMIT" {
			got = e.Value
		}
	}
	if got != want {
		t.Errorf("%s: GOMEMLIMIT %q, want %s (90%% of the memory limit %s)", what, got, want, limit.String())
	}
}

// helmBinary finds helm or skips (fails when HOPSCOPE_REQUIRE_HELM=1, as in
// CI, which installs it with `go install helm.sh/helm/v4/cmd/helm`).
func helmBinary(t *testing.T) string {
	return testbinary.Find(t, "HOPSCOPE_REQUIRE_HELM", "go install helm.sh/helm/v4/cmd/helm@v4.3.2", "helm")
}

// runHelm runs helm and returns its standard output; helm's log lines
// (the chart's links to the kustomize files are reported there) go to
// standard error and appear only when it fails.
func runHelm(t *testing.T, helm string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// decodeRendered splits helm's output into objects.
func decodeRendered(t *testing.T, out []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := testenv.DecodeManifest(out)
	if err != nil {
		t.Fatalf("helm template output: %v", err)
	}
	return objs
}

func clusterRoleRules(t *testing.T, obj *unstructured.Unstructured) []rbacv1.PolicyRule {
	t.Helper()
	var role rbacv1.ClusterRole
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &role); err != nil {
		t.Fatalf("ClusterRole %s: %v", obj.GetName(), err)
	}
	return role.Rules
}

// chartSizes reads the measured sizes of the chart's values.yaml.
func chartSizes(t *testing.T) map[string]corev1.ResourceRequirements {
	t.Helper()
	raw, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		ClusterSizes map[string]struct {
			Resources corev1.ResourceRequirements `json:"resources"`
		} `json:"clusterSizes"`
	}
	if err := sigsyaml.Unmarshal(raw, &values); err != nil {
		t.Fatalf("%s/values.yaml: %v", chartDir, err)
	}
	sizes := map[string]corev1.ResourceRequirements{}
	for name, s := range values.ClusterSizes {
		if s.Resources.Requests.Memory().IsZero() || s.Resources.Limits.Memory().Cmp(*s.Resources.Requests.Memory()) < 0 {
			t.Errorf("clusterSizes.%s: memory request %v, limit %v: want a request and a limit at least as large", name, s.Resources.Requests.Memory(), s.Resources.Limits.Memory())
		}
		sizes[name] = s.Resources
	}
	if len(sizes) == 0 {
		t.Fatalf("%s/values.yaml has no clusterSizes", chartDir)
	}
	return sizes
}

// pinnedDigest is a well-formed image digest: the chart renders it, it need
// not exist.
const pinnedDigest = "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// chartAppVersion is the appVersion in Chart.yaml: the image tag the chart
// runs when neither a tag nor a digest is set.
func chartAppVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(chartDir + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := sigsyaml.Unmarshal(raw, &chart); err != nil || chart.AppVersion == "" {
		t.Fatalf("%s/Chart.yaml: appVersion %q, err %v", chartDir, chart.AppVersion, err)
	}
	return chart.AppVersion
}
