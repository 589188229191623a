package watch

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// A diagnosis covers the whole cluster or only the namespaces a batch of
// changes touched. The partial one reads a snapshot of those namespaces,
// the namespaces whose traces walk through them, the context namespaces
// (contextNamespaces) and every cluster-scoped object, diagnoses the
// touched namespaces in it and puts their parts in place of the old ones.
// Changes that reach beyond their namespace (changes.go) take the whole
// diagnosis, and a whole diagnosis follows every partial one after
// Reconcile to check it.

// diagnoseCluster diagnoses every namespace and publishes the result.
// When check is set (no change arrived since the published diagnosis),
// a difference from the published diagnosis is a partial diagnosis that
// missed a read across namespaces: it is counted and logged.
func (w *Watcher) diagnoseCluster(why string, check bool) {
	start := time.Now()
	s, err := w.snapshotOf(nil)
	var res *diagnose.Result
	if err == nil {
		res, err = diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespaces: w.opt.Namespaces})
	}
	took := time.Since(start)
	if err != nil {
		w.metrics.failed()
		w.logf("diagnosis failed after %s: %v", took.Round(time.Millisecond), err)
		return
	}
	if check && w.parts != nil && w.pending.empty() && !sameDiagnosis(w.parts.result(), res) {
		w.metrics.mismatch()
		w.logf("the whole diagnosis differs from the partial ones published since the last: replaced")
	}
	w.parts = split(res, nil)
	w.context = w.contextOf()
	w.partialSince = false
	w.publish(res, took, start, scopeCluster)
	w.logf("diagnosed the cluster (%s): %d objects in %s, %d findings, %d paths, %d kinds not checked",
		why, s.ObjectCount(), took.Round(time.Millisecond), len(res.Findings), len(res.Traces), len(s.Forbidden))
}

// diagnoseNamespaces diagnoses the namespaces of a batch of changes that
// stay in their namespaces, and the namespaces whose traces walk through
// them, and publishes the result joined with the other namespaces' parts.
func (w *Watcher) diagnoseNamespaces(b batch) {
	start := time.Now()
	redo := w.parts.coupled(b.namespaces)
	read := map[string]bool{}
	for ns := range redo {
		read[ns] = true
		if p := w.parts[ns]; p != nil {
			for r := range p.reaches {
				read[r] = true
			}
		}
	}
	for ns := range w.context.namespaces {
		read[ns] = true
	}
	s, err := w.snapshotOf(read)
	var res *diagnose.Result
	if err == nil {
		res, err = diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespaces: w.scoped(redo)})
	}
	took := time.Since(start)
	if err != nil {
		w.metrics.failed()
		w.logf("diagnosis of %s failed after %s: %v", strings.Join(b.sortedNamespaces(), ", "), took.Round(time.Millisecond), err)
		// A whole diagnosis follows after the debounce.
		w.pending.widen("the previous partial diagnosis failed")
		w.poke()
		return
	}
	w.parts.replace(redo, split(res, redo))
	w.partialSince = true
	w.publish(w.parts.result(), took, start, scopeNamespaces)
	w.logf("diagnosed %d namespaces (changed: %s) from %d objects in %s",
		len(redo), strings.Join(b.sortedNamespaces(), ", "), s.ObjectCount(), took.Round(time.Millisecond))
}

// scoped is the namespaces a partial diagnosis walks: the changed and
// coupled ones, within the user's --namespaces when given. It is never
// empty: an empty list means every namespace to the engine, so a batch
// entirely outside --namespaces walks a namespace no object has.
func (w *Watcher) scoped(redo map[string]bool) []string {
	var out []string
	for ns := range redo {
		if len(w.opt.Namespaces) == 0 || slices.Contains(w.opt.Namespaces, ns) {
			out = append(out, ns)
		}
	}
	if len(out) == 0 {
		return []string{"\x00none"}
	}
	sort.Strings(out)
	return out
}

// publish exports a diagnosis with the object counts and listing state of
// the caches.
func (w *Watcher) publish(res *diagnose.Result, took time.Duration, started time.Time, scope string) {
	st := cacheState{listed: map[string]bool{}, objects: map[string]int{}}
	for _, k := range w.kinds {
		synced, _ := k.state()
		st.listed[k.kind] = synced
		if synced {
			st.objects[k.kind] = int(k.objects.Load())
		}
	}
	w.metrics.publish(st, res, took, started, scope)
	if w.announcer != nil {
		w.announcer.diagnosed(res, w.diagnoses.Load() == 0, w.announcedBefore)
	}
	w.diagnoses.Add(1)
	w.ready.Store(len(w.kinds) > 0 && w.anyListed(st))
}

func (w *Watcher) anyListed(st cacheState) bool {
	for _, ok := range st.listed {
		if ok {
			return true
		}
	}
	return false
}

// announcedBefore reports whether the Event cache holds this controller's
// PathBroken Event for p (events.go).
func (w *Watcher) announcedBefore(p pathState) bool {
	ns := p.rootCause.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	for _, k := range w.kinds {
		if k.kind != snapshot.KindEvent {
			continue
		}
		events, err := k.informer.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
		return err == nil && announcedBefore(events, p)
	}
	return false
}

// readContext is what every partial diagnosis reads beside the changed
// namespaces: the context namespaces whole, and the objects read across
// namespaces (changes.go) wherever they are. A change to either is
// diagnosed whole, so both stay valid until the next whole diagnosis.
type readContext struct {
	namespaces map[string]bool
	objects    map[string][]any // by kind
}

// contextOf collects the read context from the caches.
func (w *Watcher) contextOf() readContext {
	rc := readContext{namespaces: map[string]bool{dnsNamespace: true}, objects: map[string][]any{}}
	for _, k := range w.kinds {
		if clusterScopedKinds[k.kind] {
			continue
		}
		for _, obj := range k.informer.GetStore().List() {
			ns, ok := namespaceOf(obj)
			if !ok {
				continue
			}
			if contextNamespace(k.kind, ns, obj) != "" {
				rc.namespaces[ns] = true
			} else if readAcross(k.kind, obj) != "" {
				rc.objects[k.kind] = append(rc.objects[k.kind], obj)
			}
		}
	}
	return rc
}

// snapshotOf copies the caches into a snapshot: every object, or (when
// namespaces is set) the objects of those namespaces, every cluster-scoped
// object and the objects read across namespaces. Objects are added in namespace and name order,
// so that a partial snapshot holds the objects of its namespaces in the
// order the whole one does. The objects are shared with the caches, not
// copied: the diagnosis only reads them (pkg/snapshot's contract), and the
// informers replace an object on change, never edit it.
func (w *Watcher) snapshotOf(namespaces map[string]bool) (*snapshot.Snapshot, error) {
	s := snapshot.New()
	s.Live = true
	if w.gatewayNotServed != "" {
		s.NotServed[snapshot.GatewayGroup] = w.gatewayNotServed
	}
	if w.gatewayNotChecked != "" {
		s.Forbidden[snapshot.KindGateway] = w.gatewayNotChecked
	}
	var nsOrder []string
	for ns := range namespaces {
		nsOrder = append(nsOrder, ns)
	}
	sort.Strings(nsOrder)
	for _, k := range w.kinds {
		synced, why := k.state()
		if !synced {
			if why == "" {
				why = "not yet listed"
			}
			s.Forbidden[k.kind] = why
			continue
		}
		s.Listed[k.kind] = true
		var objs []any
		if namespaces == nil || clusterScopedKinds[k.kind] {
			objs = sortedByName(k.informer.GetStore().List())
		} else {
			for _, ns := range nsOrder {
				in, err := k.informer.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
				if err != nil {
					return nil, fmt.Errorf("watch %s in %s: %w", k.resource.Resource, ns, err)
				}
				objs = append(objs, in...)
			}
			for _, obj := range w.context.objects[k.kind] {
				if ns, _ := namespaceOf(obj); !namespaces[ns] {
					objs = append(objs, obj)
				}
			}
			objs = sortedByName(objs)
		}
		for _, obj := range objs {
			if ownEvent(obj) {
				// The watcher's own Events are not evidence.
				continue
			}
			if u, ok := obj.(*unstructured.Unstructured); ok {
				// A Gateway API object that did not decode (gateway.go).
				s.Skip(u.GetAPIVersion(), u.GetKind())
				continue
			}
			if err := s.Add(obj, snapshot.Origin{}); err != nil {
				return nil, fmt.Errorf("watch %s: %w", k.resource.Resource, err)
			}
		}
	}
	s.Index()
	return s, nil
}

// sortedByName orders objects by namespace, then name.
func sortedByName(objs []any) []any {
	type named struct {
		ns, name string
		obj      any
	}
	keyed := make([]named, len(objs))
	for i, o := range objs {
		keyed[i].obj = o
		if m, err := meta.Accessor(o); err == nil {
			keyed[i].ns, keyed[i].name = m.GetNamespace(), m.GetName()
		}
	}
	sort.Slice(keyed, func(i, j int) bool {
		if keyed[i].ns != keyed[j].ns {
			return keyed[i].ns < keyed[j].ns
		}
		return keyed[i].name < keyed[j].name
	})
	for i := range keyed {
		objs[i] = keyed[i].obj
	}
	return objs
}
