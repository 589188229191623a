package watch

import (
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// The Gateway API is a set of CRDs a cluster may not have. When the watch
// starts it asks the API server which Gateway API kinds it serves, and in
// which version, and watches each served kind through the dynamic client,
// decoding every object into the v1 type the snapshot holds (the CRDs of
// every version hopscope reads share that shape; see pkg/source). A
// cluster without the CRDs gets no Gateway API informer and its diagnosis
// notes "not installed", as `hopscope diagnose` does. CRDs installed after
// the watch started are picked up at its next restart.

// gatewayKindsServed asks discovery for the Gateway API kinds the server
// serves, each in the first version (preferred first) that hopscope
// decodes into its v1 type.
func gatewayKindsServed(d discovery.DiscoveryInterface) (map[string]schema.GroupVersionResource, error) {
	groups, err := d.ServerGroups()
	if err != nil {
		return nil, err
	}
	served := map[string]schema.GroupVersionResource{}
	for _, g := range groups.Groups {
		if g.Name != snapshot.GatewayGroup {
			continue
		}
		versions := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if !slices.Contains(versions, v.Version) {
				versions = append(versions, v.Version)
			}
		}
		for _, v := range versions {
			gv := schema.GroupVersion{Group: g.Name, Version: v}
			list, err := d.ServerResourcesForGroupVersion(gv.String())
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, r := range list.APIResources {
				if _, done := served[r.Kind]; done || source.NewGatewayObject(gv.String(), r.Kind) == nil {
					continue
				}
				if r.Name != "" && !strings.Contains(r.Name, "/") {
					served[r.Kind] = gv.WithResource(r.Name)
				}
			}
		}
	}
	return served, nil
}

// gatewayKinds are the watched kinds for the served Gateway API kinds, in
// the snapshot's order of Gateway API kinds.
func gatewayKinds(served map[string]schema.GroupVersionResource) []*watchedKind {
	var out []*watchedKind
	for _, kind := range snapshot.GatewayAPIKinds {
		if gvr, ok := served[kind]; ok {
			out = append(out, &watchedKind{kind: kind, resource: gvr, dynamic: true})
		}
	}
	return out
}

// bindDynamic creates a Gateway API kind's informer on the dynamic
// factory and returns its transform: it decodes each object into the v1
// type, then trims it as every other kind is. An object that does not
// decode stays unstructured in the cache and the snapshot counts it as
// skipped (an error here would make the reflector list again and again).
func (k *watchedKind) bindDynamic(f dynamicinformer.DynamicSharedInformerFactory) cache.TransformFunc {
	k.informer = f.ForResource(k.resource).Informer()
	gvk := k.resource.GroupVersion().WithKind(k.kind)
	trimmed := trim(gvk)
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return trimmed(obj)
		}
		typed := source.NewGatewayObject(gvk.GroupVersion().String(), k.kind)
		if typed == nil || runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), typed) != nil {
			return trimmed(u)
		}
		return trimmed(typed)
	}
}

// GatewayResources lists the Gateway API resources a watch lists and
// watches where they are served, for the RBAC rules that must allow it
// (RBAC names no version; the one here is v1).
func GatewayResources() []schema.GroupVersionResource {
	out := make([]schema.GroupVersionResource, 0, len(snapshot.GatewayKinds))
	for _, k := range snapshot.GatewayKinds {
		out = append(out, schema.GroupVersionResource{Group: snapshot.GatewayGroup, Version: "v1", Resource: k.Resource})
	}
	return out
}
