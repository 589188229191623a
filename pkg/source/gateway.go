package source

import (
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// gatewayVersions lists, per Gateway API kind, every API version a release
// of the Gateway API has served with the shape of today's v1. The CRDs
// convert between their versions without a webhook (strategy None), so an
// object of any of these versions decodes into the v1 type unchanged.
// BackendTLSPolicy v1alpha2 had another shape (a single targetRef, a tls
// field) and is skipped and counted, as is the experimental XListenerSet.
var gatewayVersions = map[string][]string{
	snapshot.KindGatewayClass:     {"v1", "v1beta1", "v1alpha2"},
	snapshot.KindGateway:          {"v1", "v1beta1", "v1alpha2"},
	snapshot.KindListenerSet:      {"v1"},
	snapshot.KindHTTPRoute:        {"v1", "v1beta1", "v1alpha2"},
	snapshot.KindGRPCRoute:        {"v1", "v1alpha2"},
	snapshot.KindTLSRoute:         {"v1", "v1alpha3", "v1alpha2"},
	snapshot.KindTCPRoute:         {"v1", "v1alpha2"},
	snapshot.KindUDPRoute:         {"v1", "v1alpha2"},
	snapshot.KindReferenceGrant:   {"v1", "v1beta1", "v1alpha2"},
	snapshot.KindBackendTLSPolicy: {"v1", "v1alpha3"},
}

// NewGatewayObject returns an empty v1 object for a Gateway API
// apiVersion/kind, or nil when it is not one hopscope models; the watch
// decodes the objects of its Gateway API informers into it.
func NewGatewayObject(apiVersion, kind string) any { return newGatewayObject(apiVersion, kind) }

// newGatewayObject returns an empty v1 object for a Gateway API
// apiVersion/kind, or nil when it is not one hopscope models.
func newGatewayObject(apiVersion, kind string) any {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok || group != snapshot.GatewayGroup {
		return nil
	}
	served := false
	for _, v := range gatewayVersions[kind] {
		served = served || v == version
	}
	if !served {
		return nil
	}
	switch kind {
	case snapshot.KindGatewayClass:
		return &gwv1.GatewayClass{}
	case snapshot.KindGateway:
		return &gwv1.Gateway{}
	case snapshot.KindListenerSet:
		return &gwv1.ListenerSet{}
	case snapshot.KindHTTPRoute:
		return &gwv1.HTTPRoute{}
	case snapshot.KindGRPCRoute:
		return &gwv1.GRPCRoute{}
	case snapshot.KindTLSRoute:
		return &gwv1.TLSRoute{}
	case snapshot.KindTCPRoute:
		return &gwv1.TCPRoute{}
	case snapshot.KindUDPRoute:
		return &gwv1.UDPRoute{}
	case snapshot.KindReferenceGrant:
		return &gwv1.ReferenceGrant{}
	case snapshot.KindBackendTLSPolicy:
		return &gwv1.BackendTLSPolicy{}
	}
	return nil
}

// gatewayClusterScoped reports whether a Gateway API kind is cluster-scoped
// (only GatewayClass is).
func gatewayClusterScoped(kind string) bool {
	return kind == snapshot.KindGatewayClass
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
