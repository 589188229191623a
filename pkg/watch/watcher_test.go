package watch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/hopscope/hopscope/internal/servetest"
)

const selectorCheck = "service-selector-matches-no-pods"

// apiService selects app=api; the pods carry app=api-v1 (the seed's lab 1).
func apiService(selector string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api-svc", Namespace: "lab1", ResourceVersion: "1"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": selector},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

func apiPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "lab1", Labels: map[string]string{"app": "api-v1"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			Annotations:   map[string]string{LastAppliedAnnotation: `{"huge":"copy"}`, "keep": "me"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "echo",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.5",
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
}

func fakeClients(objs ...runtime.Object) (*Clients, *fake.Clientset) {
	typed := fake.NewClientset(objs...)
	sch := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(sch)
	md := metadatafake.NewSimpleMetadataClient(sch)
	return &Clients{Typed: typed, Metadata: md}, typed
}

// start runs a watcher on clients until the test ends and returns it once
// its first diagnosis is published.
func start(t *testing.T, cl *Clients) (*Watcher, *httptest.Server) {
	t.Helper()
	w := startWith(t, Options{Clients: cl, Version: "test"})
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return w, srv
}

// settled starts a watcher's informers, without its loop, and waits until
// every kind is listed: tests then drive its diagnoses themselves.
func settled(t *testing.T, opt Options) *Watcher {
	t.Helper()
	w, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := w.watchGatewayAPI(); err != nil {
		t.Fatal(err)
	}
	w.typed.Start(ctx.Done())
	w.md.Start(ctx.Done())
	if w.dyn != nil {
		w.dyn.Start(ctx.Done())
	}
	if err := w.waitSettled(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func scrape(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	code, body := servetest.Get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	return body
}

// seriesWith returns the lines of metric name that contain every part.
func seriesWith(body, name string, parts ...string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// TestFixedFindingLeavesMetrics breaks lab 1 on fake clients, sees the
// finding and the broken path in /metrics, fixes the Service's selector
// through the API and sees both gone after the next diagnosis.
func TestFixedFindingLeavesMetrics(t *testing.T) {
	cl, typed := fakeClients(apiService("api"), apiPod())
	w, srv := start(t, cl)

	if code, _ := servetest.Get(t, srv.URL+"/readyz"); code != http.StatusOK || !w.Ready() {
		t.Fatalf("/readyz = %d after the first diagnosis", code)
	}
	if code, _ := servetest.Get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	body := scrape(t, srv)
	if got := seriesWith(body, MetricFindings, `check="`+selectorCheck+`"`, `namespace="lab1"`, `severity="error"`, `layer="service"`); len(got) != 1 || !strings.HasSuffix(got[0], " 1") {
		t.Fatalf("broken lab: want one %s finding series of value 1, got %q\n%s", selectorCheck, got, body)
	}
	broken := seriesWith(body, MetricPathBrokenInfo, `entry="Service/lab1/api-svc"`, `root_cause_object="Service/lab1/api-svc"`, `check="`+selectorCheck+`"`)
	if len(broken) != 1 {
		t.Fatalf("broken lab: want one %s series for Service/lab1/api-svc, got %q\n%s", MetricPathBrokenInfo, broken, body)
	}
	if got := seriesWith(body, MetricPaths, `status="broken"`, `entry_kind="Service"`, `namespace="lab1"`); len(got) != 1 {
		t.Fatalf("want a broken Service path count, got %q", got)
	}
	for _, want := range []string{MetricBuildInfo + `{goversion="`, MetricDiagnosisDuration + "_count 1", MetricWatchEvents + `{kind="Pod",type="ADDED"} 1`, MetricKindListed + `{kind="Secret"} 1`, MetricObjects + `{kind="Pod"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q\n%s", want, body)
		}
	}

	fixed := apiService("api-v1")
	fixed.ResourceVersion = "2"
	if _, err := typed.CoreV1().Services("lab1").Update(context.Background(), fixed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The diagnosis that follows the fix is the one whose metrics show an
	// ok path; the scrape after it must show nothing of the finding.
	waitFor(t, "an ok lab1 path after the fix", func() bool {
		body = scrape(t, srv)
		return len(seriesWith(body, MetricPaths, `status="ok"`, `namespace="lab1"`)) == 1
	})
	if got := seriesWith(body, MetricFindings, `check="`+selectorCheck+`"`); len(got) != 0 {
		t.Errorf("fixed lab: finding still exported: %q", got)
	}
	if got := seriesWith(body, MetricPathBrokenInfo); len(got) != 0 {
		t.Errorf("fixed lab: broken path still exported: %q", got)
	}
	if got := seriesWith(body, MetricPaths, `status="ok"`, `entry_kind="Service"`, `namespace="lab1"`); len(got) != 1 {
		t.Errorf("fixed lab: want an ok Service path, got %q\n%s", got, body)
	}
	if !strings.Contains(body, MetricWatchEvents+`{kind="Service",type="MODIFIED"} 1`) {
		t.Errorf("the Service update is not counted\n%s", body)
	}
}

// TestCacheHoldsTrimmedObjects: managedFields and the last-applied copy
// never reach the cache; other annotations stay; the kind is stamped.
func TestCacheHoldsTrimmedObjects(t *testing.T) {
	cl, _ := fakeClients(apiService("api"), apiPod())
	w, _ := start(t, cl)
	for _, k := range w.kinds {
		if k.kind != "Pod" {
			continue
		}
		objs := k.informer.GetStore().List()
		if len(objs) != 1 {
			t.Fatalf("cache holds %d pods, want 1", len(objs))
		}
		p := objs[0].(*corev1.Pod)
		if p.ManagedFields != nil || p.Annotations[LastAppliedAnnotation] != "" {
			t.Errorf("pod not trimmed: managedFields %v, annotations %v", p.ManagedFields, p.Annotations)
		}
		if p.Annotations["keep"] != "me" || p.Kind != "Pod" || p.APIVersion != "v1" {
			t.Errorf("trim removed too much or left the kind empty: %+v %v", p.TypeMeta, p.Annotations)
		}
		return
	}
	t.Fatal("no Pod informer")
}

// TestForbiddenKindIsNotChecked: a kind the ServiceAccount may not list is
// exported as not listed, the rest is diagnosed, and the watcher is ready.
func TestForbiddenKindIsNotChecked(t *testing.T) {
	cl, typed := fakeClients(apiService("api"), apiPod())
	typed.PrependReactor("list", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("RBAC: access denied"))
	})
	w, srv := start(t, cl)
	body := scrape(t, srv)
	if !strings.Contains(body, MetricKindListed+`{kind="ConfigMap"} 0`) || !strings.Contains(body, MetricKindListed+`{kind="Pod"} 1`) {
		t.Errorf("want ConfigMap not listed and Pod listed\n%s", body)
	}
	if !w.Ready() {
		t.Error("a refused kind keeps the watcher unready; it should be reported, not waited for")
	}
	if got := seriesWith(body, MetricFindings, `check="`+selectorCheck+`"`); len(got) != 1 {
		t.Errorf("the diagnosis of the listed kinds did not run: %q", got)
	}
}

// TestBrokenPathSeriesAreCapped: more broken paths than the cap export the
// cap's worth, the same ones each time, and count the rest.
func TestBrokenPathSeriesAreCapped(t *testing.T) {
	var objs []runtime.Object
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		s := apiService("nothing")
		s.Name = name
		objs = append(objs, s)
	}
	cl, _ := fakeClients(objs...)
	w := settled(t, Options{Clients: cl, MaxBrokenPaths: 2})
	w.diagnoseCluster("test", false)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	body := scrape(t, srv)
	got := seriesWith(body, MetricPathBrokenInfo)
	if len(got) != 2 || !strings.Contains(got[0], `entry="Service/lab1/a"`) || !strings.Contains(got[1], `entry="Service/lab1/b"`) {
		t.Errorf("want the first two broken paths by name, got %q", got)
	}
	if !strings.Contains(body, MetricPathBrokenOmitted+" 3") {
		t.Errorf("want 3 omitted broken paths\n%s", body)
	}
}

// TestLabelValuesPassTheOutputBoundary: a name with a terminal escape is
// exported escaped, as `hopscope diagnose` prints it.
func TestLabelValuesPassTheOutputBoundary(t *testing.T) {
	if got := label("api\x1b[31m"); got != `api\x1b[31m` {
		t.Errorf("label = %q", got)
	}
	if got := statusLabel("not checked"); got != "not_checked" {
		t.Errorf("statusLabel = %q", got)
	}
}
