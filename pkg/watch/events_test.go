package watch

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hopscope/hopscope/internal/servetest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// startWith runs a watcher with opt on clients until the test ends; it
// returns once the first diagnosis is published.
func startWith(t *testing.T, opt Options) *Watcher {
	t.Helper()
	if opt.Debounce == 0 {
		opt.Debounce = 20 * time.Millisecond
	}
	w, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Background(t, "Run", w.Run)
	waitFor(t, "first diagnosis", func() bool { return w.Diagnoses() > 0 })
	return w
}

func hopscopeEvents(t *testing.T, typed *fake.Clientset) []eventsv1.Event {
	t.Helper()
	list, err := typed.EventsV1().Events("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// setSelector points the lab's Service at selector and waits for the
// diagnosis that follows.
func setSelector(t *testing.T, w *Watcher, typed *fake.Clientset, selector, version string) {
	t.Helper()
	n := w.Diagnoses()
	svc := apiService(selector)
	svc.ResourceVersion = version
	if _, err := typed.CoreV1().Services("lab1").Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the diagnosis after the change", func() bool { return w.Diagnoses() > n })
}

// TestEventsOnBreakAndRecovery: with EmitEvents, breaking lab 1 writes one
// Warning Event on the root-cause object, a change that keeps it broken
// writes none, fixing it writes one Normal Event; a steady cluster none.
func TestEventsOnBreakAndRecovery(t *testing.T) {
	cl, typed := fakeClients(apiService("api-v1"), apiPod())
	w := startWith(t, Options{Clients: cl, EmitEvents: true})
	if got := hopscopeEvents(t, typed); len(got) != 0 {
		t.Fatalf("a healthy cluster got Events: %v", got)
	}

	setSelector(t, w, typed, "api", "2")
	waitFor(t, "the PathBroken Event", func() bool { return len(hopscopeEvents(t, typed)) > 0 })
	setSelector(t, w, typed, "api-v0", "3") // still broken, same root cause
	time.Sleep(100 * time.Millisecond)      // the announcer writes asynchronously
	evs := hopscopeEvents(t, typed)
	if len(evs) != 1 {
		t.Fatalf("want one Event while the path stays broken, got %d: %v", len(evs), evs)
	}
	ev := evs[0]
	want := corev1.ObjectReference{Kind: snapshot.KindService, Namespace: "lab1", Name: "api-svc", APIVersion: "v1"}
	if ev.Reason != EventReasonPathBroken || ev.Type != corev1.EventTypeWarning || ev.Regarding != want ||
		ev.ReportingController != EventController || ev.ReportingInstance == "" || ev.Namespace != "lab1" {
		t.Errorf("PathBroken Event = %+v", ev)
	}

	setSelector(t, w, typed, "api-v1", "4")
	waitFor(t, "the PathRecovered Event", func() bool { return len(hopscopeEvents(t, typed)) == 2 })
	for _, e := range hopscopeEvents(t, typed) {
		if e.Name != ev.Name && (e.Reason != EventReasonPathRecovered || e.Type != corev1.EventTypeNormal || e.Regarding != want) {
			t.Errorf("PathRecovered Event = %+v", e)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if got := len(hopscopeEvents(t, typed)); got != 2 {
		t.Errorf("%d Events after the recovery, want 2", got)
	}
}

// TestNoEventsWithoutTheFlag: without EmitEvents the watcher sends no
// write request at all, whatever breaks.
func TestNoEventsWithoutTheFlag(t *testing.T) {
	cl, typed := fakeClients(apiService("api-v1"), apiPod())
	w := startWith(t, Options{Clients: cl})
	typed.ClearActions()
	setSelector(t, w, typed, "api", "2")
	setSelector(t, w, typed, "api-v1", "3")
	for _, a := range typed.Actions() {
		if a.GetVerb() != "list" && a.GetVerb() != "watch" && a.GetVerb() != "update" {
			t.Errorf("the watcher sent %s %s", a.GetVerb(), a.GetResource().Resource)
		}
		// The test's own two updates are the only writes.
		if a.GetVerb() == "update" && a.GetResource().Resource != "services" {
			t.Errorf("unexpected update of %s", a.GetResource().Resource)
		}
	}
	if got := hopscopeEvents(t, typed); len(got) != 0 {
		t.Errorf("Events written without the flag: %v", got)
	}
}

// TestEventsAreRateBounded: when more paths break at once than the bound
// allows, the rest are counted as rate limited, not sent.
func TestEventsAreRateBounded(t *testing.T) {
	typed := fake.NewClientset()
	m := newMetrics("test", DefaultMaxBrokenPaths)
	a := newAnnouncer(typed, 2, m, func(string, ...any) {}, func(snapshot.ObjectRef) (types.UID, string, bool) { return "", "v1", false })
	res := &diagnose.Result{}
	for i := range 5 {
		svc := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: "ns", Name: fmt.Sprintf("svc-%d", i)}
		f := diagnose.Finding{Check: selectorCheck, Object: svc, Cause: "no pods"}
		res.Findings = append(res.Findings, f)
		res.Traces = append(res.Traces, diagnose.Trace{Entry: svc.String(), Status: diagnose.TraceBroken, RootCause: f.Key()})
	}
	a.diagnosed(res, false, func(pathState) bool { return false })
	if len(a.queue) != 2 {
		t.Errorf("%d Events queued, want the bound of 2", len(a.queue))
	}
	a.diagnosed(res, false, func(pathState) bool { return false })
	if len(a.queue) != 2 {
		t.Errorf("the same broken paths were announced again: %d queued", len(a.queue))
	}
}

// TestRestartDoesNotRepeatABreak: at the first diagnosis, a broken path
// whose PathBroken Event the watch cache already holds (written before a
// restart) is not announced again; another broken path is.
func TestRestartDoesNotRepeatABreak(t *testing.T) {
	svc := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: "lab1", Name: "api-svc"}
	cached := []any{&corev1.Event{
		ReportingController: EventController, Reason: EventReasonPathBroken,
		InvolvedObject: corev1.ObjectReference{Kind: svc.Kind, Namespace: svc.Namespace, Name: svc.Name},
		Message:        "traffic path Service/lab1/api-svc is broken here: " + selectorCheck + ": no pods",
	}}
	res := &diagnose.Result{}
	for _, name := range []string{"api-svc", "web-svc"} {
		ref := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: "lab1", Name: name}
		f := diagnose.Finding{Check: selectorCheck, Object: ref, Cause: "no pods"}
		res.Findings = append(res.Findings, f)
		res.Traces = append(res.Traces, diagnose.Trace{Entry: ref.String(), Status: diagnose.TraceBroken, RootCause: f.Key()})
	}
	a := newAnnouncer(fake.NewClientset(), 10, newMetrics("test", 1), func(string, ...any) {},
		func(snapshot.ObjectRef) (types.UID, string, bool) { return "", "v1", false })
	a.diagnosed(res, true, func(p pathState) bool { return announcedBefore(cached, p) })
	if len(a.queue) != 1 {
		t.Fatalf("%d Events queued, want 1 (web-svc only)", len(a.queue))
	}
	if ev := <-a.queue; ev.Regarding.Name != "web-svc" {
		t.Errorf("announced %s again", ev.Regarding.Name)
	}
}
