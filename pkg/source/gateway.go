package source

import (
	"slices"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// NewGatewayObject returns an empty v1 object for a Gateway API
// apiVersion/kind, or nil when it is not one hopscope models; the watch
// decodes the objects of its Gateway API informers into it.
func NewGatewayObject(apiVersion, kind string) any { return newGatewayObject(apiVersion, kind) }

// newGatewayObject returns an empty v1 object for a Gateway API
// apiVersion/kind, or nil when it is not one hopscope models: a kind of
// snapshot.GatewayKinds in one of the versions that share the v1 shape.
func newGatewayObject(apiVersion, kind string) any {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok || group != snapshot.GatewayGroup {
		return nil
	}
	k, ok := snapshot.GatewayKindOf(kind)
	if !ok || !slices.Contains(k.Versions, version) {
		return nil
	}
	return k.New()
}

// gatewayClusterScoped reports whether a Gateway API kind is cluster-scoped
// (only GatewayClass is).
func gatewayClusterScoped(kind string) bool {
	k, ok := snapshot.GatewayKindOf(kind)
	return ok && k.ClusterScoped
}

// addGatewayTraceKinds adds what a Gateway API path reads to the kinds of a
// trace (TraceKinds): every Gateway API kind and the Secrets' metadata for
// listener certificates, when the entry starts at a Gateway, a route or a
// URL.
func addGatewayTraceKinds(kinds map[string]bool, entry string) {
	kind, _, _ := strings.Cut(entry, "/")
	switch {
	case strings.HasPrefix(entry, "http://"), strings.HasPrefix(entry, "https://"):
	case kind == "gateway" || kind == "gateways" || kind == "gtw":
	case strings.HasSuffix(strings.TrimSuffix(kind, "s"), "route"):
	default:
		return
	}
	for _, k := range snapshot.GatewayAPIKinds {
		kinds[k] = true
	}
	kinds[snapshot.KindSecret] = true
}
