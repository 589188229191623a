package watch

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Kubernetes Events are opt-in (Options.EmitEvents): without it the watcher
// never writes to the cluster. With it, it records one events.k8s.io/v1
// Event on the root-cause object when a traffic path breaks (or its root
// cause moves to another object) and one when it recovers, and nothing
// while a state holds: a state is announced once, not every diagnosis.
//
// events.k8s.io/v1 rather than core/v1: it is the API new emitters are
// meant to use, it names the emitter (reportingController and
// reportingInstance are required there) and the object (regarding), and
// the API server serves the same Events through core/v1, so `kubectl
// describe` and `kubectl get events` show them as they show the kubelet's.

// Event reasons and the controller name hopscope reports as.
const (
	EventReasonPathBroken    = "PathBroken"
	EventReasonPathRecovered = "PathRecovered"
	EventController          = "hopscope.dev/watch"
	eventAction              = "Diagnose"
)

// DefaultEventsPerMinute bounds the Events one watcher writes: a cluster
// where every path breaks at once (DNS down) must not flood the API server.
const DefaultEventsPerMinute = 30

// maxEventNote is the longest note the API server accepts (1 kB).
const maxEventNote = 1024

// pathState is one broken path as Events announce it.
type pathState struct {
	entry     string
	rootCause snapshot.ObjectRef
	check     string
	cause     string
}

// announcer turns published diagnoses into Events on state changes.
type announcer struct {
	client   kubernetes.Interface
	instance string
	limit    flowcontrol.RateLimiter
	metrics  *metrics
	log      func(string, ...any)
	// uid finds the UID of the root-cause object in the watch caches, so
	// that `kubectl describe` of the object lists the Event.
	uid func(snapshot.ObjectRef) (types.UID, string, bool)
	// announced holds the broken paths already announced, by entry.
	announced map[string]pathState
	queue     chan *eventsv1.Event
}

func newAnnouncer(client kubernetes.Interface, perMinute int, m *metrics, log func(string, ...any), uid func(snapshot.ObjectRef) (types.UID, string, bool)) *announcer {
	if perMinute <= 0 {
		perMinute = DefaultEventsPerMinute
	}
	instance := os.Getenv("POD_NAME")
	if instance == "" {
		instance, _ = os.Hostname()
	}
	if instance == "" {
		instance = "hopscope-watch"
	}
	return &announcer{
		client: client, instance: instance, metrics: m, log: log, uid: uid,
		limit:     flowcontrol.NewTokenBucketRateLimiter(float32(perMinute)/60, perMinute),
		announced: map[string]pathState{},
		queue:     make(chan *eventsv1.Event, 256),
	}
}

// brokenPaths lists the broken paths of a diagnosis by entry.
func brokenPaths(res *diagnose.Result) map[string]pathState {
	byKey := map[string]*diagnose.Finding{}
	for i := range res.Findings {
		byKey[res.Findings[i].Key()] = &res.Findings[i]
	}
	out := map[string]pathState{}
	for _, t := range res.Traces {
		if t.Status != diagnose.TraceBroken {
			continue
		}
		f := byKey[t.RootCause]
		if f == nil {
			continue
		}
		out[t.Entry] = pathState{entry: t.Entry, rootCause: f.Object, check: f.Check, cause: f.Cause}
	}
	return out
}

// diagnosed compares a published diagnosis with the announced state and
// queues an Event for each path that broke, moved its root cause, or
// recovered. The first call announces what is broken at start, except
// what an Event of this controller in the watch cache already says (a
// restarted watcher does not repeat itself).
func (a *announcer) diagnosed(res *diagnose.Result, first bool, cached func(pathState) bool) {
	now := brokenPaths(res)
	entries := make([]string, 0, len(now)+len(a.announced))
	for e := range now {
		entries = append(entries, e)
	}
	for e := range a.announced {
		if _, ok := now[e]; !ok {
			entries = append(entries, e)
		}
	}
	sort.Strings(entries)
	for _, e := range entries {
		cur, broken := now[e]
		prev, was := a.announced[e]
		switch {
		case broken && (!was || prev.rootCause != cur.rootCause):
			a.announced[e] = cur
			if first && cached(cur) {
				continue
			}
			a.send(cur, EventReasonPathBroken, corev1.EventTypeWarning,
				fmt.Sprintf("traffic path %s is broken here: %s: %s", cur.entry, cur.check, cur.cause))
		case !broken && was:
			delete(a.announced, e)
			a.send(prev, EventReasonPathRecovered, corev1.EventTypeNormal,
				fmt.Sprintf("traffic path %s recovered (it was broken here: %s)", prev.entry, prev.check))
		}
	}
}

// send queues one Event, unless the rate bound or a full queue refuses it.
func (a *announcer) send(p pathState, reason, typ, note string) {
	if !a.limit.TryAccept() {
		a.metrics.kubeEvent(reason, "rate_limited")
		a.log("event %s on %s not sent: more than the events-per-minute bound", reason, p.rootCause)
		return
	}
	uid, apiVersion, _ := a.uid(p.rootCause)
	ns := p.rootCause.Namespace
	if ns == "" {
		// Events about cluster-scoped objects live in default, as the
		// kubelet's about Nodes do.
		ns = metav1.NamespaceDefault
	}
	note = safetext.Sanitize(note)
	if len(note) > maxEventNote {
		// Cut on a character boundary: the API server wants valid UTF-8.
		note = strings.ToValidUTF8(note[:maxEventNote-3], "") + "..."
	}
	now := time.Now()
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", p.rootCause.Name, now.UnixNano()),
			Namespace: ns,
		},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: EventController,
		ReportingInstance:   a.instance,
		Action:              eventAction,
		Reason:              reason,
		Type:                typ,
		Note:                note,
		Regarding: corev1.ObjectReference{
			Kind: p.rootCause.Kind, Namespace: p.rootCause.Namespace, Name: p.rootCause.Name,
			UID: uid, APIVersion: apiVersion,
		},
	}
	select {
	case a.queue <- ev:
	default:
		a.metrics.kubeEvent(reason, "rate_limited")
	}
}

// run writes the queued Events until ctx ends.
func (a *announcer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-a.queue:
			_, err := a.client.EventsV1().Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
			if err != nil {
				a.metrics.kubeEvent(ev.Reason, "failed")
				a.log("event %s on %s/%s: %v", ev.Reason, ev.Regarding.Kind, ev.Regarding.Name, err)
				continue
			}
			a.metrics.kubeEvent(ev.Reason, "sent")
		}
	}
}

// ownEvent reports whether a cached core/v1 Event is one this controller
// wrote: its changes are no reason to diagnose again.
func ownEvent(obj any) bool {
	e, ok := obj.(*corev1.Event)
	return ok && e.ReportingController == EventController
}

// announcedBefore reports whether the Event cache holds a PathBroken Event
// of this controller for p on its root-cause object.
func announcedBefore(events []any, p pathState) bool {
	for _, obj := range events {
		e, ok := obj.(*corev1.Event)
		if !ok || e.ReportingController != EventController || e.Reason != EventReasonPathBroken {
			continue
		}
		r := e.InvolvedObject
		if r.Kind == p.rootCause.Kind && r.Name == p.rootCause.Name && r.Namespace == p.rootCause.Namespace &&
			containsEntry(e.Message, p.entry) {
			return true
		}
	}
	return false
}

func containsEntry(note, entry string) bool {
	return entry != "" && strings.Contains(note, safetext.Sanitize(entry))
}

// objectUID reads an object's UID and API version from the watch caches.
func (w *Watcher) objectUID(ref snapshot.ObjectRef) (types.UID, string, bool) {
	for _, k := range w.kinds {
		if k.kind != ref.Kind {
			continue
		}
		key := ref.Name
		if ref.Namespace != "" {
			key = ref.Namespace + "/" + ref.Name
		}
		obj, ok, err := k.informer.GetStore().GetByKey(key)
		if err != nil || !ok {
			return "", k.resource.GroupVersion().String(), false
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return "", k.resource.GroupVersion().String(), false
		}
		return m.GetUID(), k.resource.GroupVersion().String(), true
	}
	return "", "", false
}
