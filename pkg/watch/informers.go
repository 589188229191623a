package watch

import (
	"context"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/source"
)

// LastAppliedAnnotation is written by `kubectl apply`: a full copy of the
// object as last applied. The diagnosis never reads it and it can double an
// object's size, so the watch drops it on arrival.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// watchedKind is one kind the diagnosis reads and the informer that keeps it.
type watchedKind struct {
	kind     string
	resource schema.GroupVersionResource
	// metadataOnly kinds are watched through the metadata API (Secrets).
	metadataOnly bool
	// dynamic kinds are watched through the dynamic client and decoded
	// into their v1 types (the Gateway API, gateway.go).
	dynamic  bool
	informer cache.SharedIndexInformer
	// objects counts the cached objects (adds minus deletes), so that
	// publishing a diagnosis does not list every cache to count it.
	objects atomic.Int64

	mu sync.Mutex
	// notChecked says why the kind cannot be listed (forbidden, not
	// served); empty while it lists or once it does again.
	notChecked string
}

// watchedKinds is what a watch keeps: the kinds a live scan lists
// (source.ListedKinds), each watched across every namespace.
func watchedKinds() []*watchedKind {
	listed := source.ListedKinds()
	out := make([]*watchedKind, 0, len(listed))
	for _, k := range listed {
		out = append(out, &watchedKind{kind: k.Kind, resource: k.Resource, metadataOnly: k.MetadataOnly})
	}
	return out
}

// bind creates the kind's informer from the factories, with the trim
// transform and the error handler that records a refused list.
func (k *watchedKind) bind(typed informers.SharedInformerFactory, md metadatainformer.SharedInformerFactory, dyn dynamicinformer.DynamicSharedInformerFactory) error {
	gvk := k.resource.GroupVersion().WithKind(k.kind)
	transform := trim(gvk)
	switch {
	case k.dynamic:
		transform = k.bindDynamic(dyn)
	case k.metadataOnly:
		k.informer = md.ForResource(k.resource).Informer()
	default:
		gi, err := typed.ForResource(k.resource)
		if err != nil {
			return err
		}
		k.informer = gi.Informer()
	}
	// Partial diagnoses read the objects of a few namespaces.
	if _, ok := k.informer.GetIndexer().GetIndexers()[cache.NamespaceIndex]; !ok {
		if err := k.informer.AddIndexers(cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}); err != nil {
			return err
		}
	}
	if err := k.informer.SetTransform(transform); err != nil {
		return err
	}
	return k.informer.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		k.listFailed(err)
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
}

// listFailed records a Forbidden or NotFound answer as "not checked"; the
// reflector keeps retrying with backoff, so a permission granted later is
// picked up without a restart.
func (k *watchedKind) listFailed(err error) {
	why := source.NotListedReason(err)
	if why == "" {
		return
	}
	k.mu.Lock()
	k.notChecked = why
	k.mu.Unlock()
}

// state says whether the kind's cache is complete, or why it cannot be.
func (k *watchedKind) state() (synced bool, notChecked string) {
	if k.informer.HasSynced() {
		return true, ""
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return false, k.notChecked
}

// trim returns the transform every object passes before it is cached: it
// drops managedFields and the last-applied annotation, which the diagnosis
// never reads and which are often most of an object's bytes, and stamps the
// kind, which watch and list responses leave empty on typed items and which
// the snapshot needs (a metadata-only Secret is told apart by it).
func trim(gvk schema.GroupVersionKind) cache.TransformFunc {
	return func(obj any) (any, error) {
		ro, ok := obj.(runtime.Object)
		if !ok {
			// A tombstone (cache.DeletedFinalStateUnknown) carries an
			// object that was already trimmed.
			return obj, nil
		}
		m, err := meta.Accessor(ro)
		if err != nil {
			return obj, nil
		}
		m.SetManagedFields(nil)
		if a := m.GetAnnotations(); a != nil {
			if _, ok := a[LastAppliedAnnotation]; ok {
				delete(a, LastAppliedAnnotation)
				m.SetAnnotations(a)
			}
		}
		ro.GetObjectKind().SetGroupVersionKind(gvk)
		return obj, nil
	}
}

// Resources lists the API resources a watch lists and watches, for the
// RBAC rules that must allow it (deploy/ checks its ClusterRole against it).
func Resources() []schema.GroupVersionResource {
	ks := watchedKinds()
	out := make([]schema.GroupVersionResource, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.resource)
	}
	return out
}
