package source

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The Gateway API is a set of CRDs a cluster may not have. A scan asks the
// API server once which Gateway API kinds it serves and in which version,
// then makes one paged LIST per served kind. A cluster without the CRDs is
// noted ("not checked: Gateway API is not installed"), never an error.
//
// Gateway API objects are listed in every namespace whatever the scan's
// scope: a route's Gateway, the ListenerSets of that Gateway and the
// ReferenceGrants for its backends usually live in other namespaces than the
// route. A user who may not list them cluster-wide gets "not checked".

// GatewayAPINotInstalled is the not-checked note of a cluster that serves no
// Gateway API kind.
const GatewayAPINotInstalled = "Gateway API: not checked: the Gateway API is not installed (the API server serves no " + snapshot.GatewayGroup + " resources)"

// aggregatedDiscovery asks /apis for every group with its resources in one
// response; servers without aggregated discovery answer the plain group list.
const aggregatedDiscovery = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

// servedKind is where the API server serves one Gateway API kind.
type servedKind struct {
	version, resource string
}

// wantsGatewayAPI reports whether the scan reads any Gateway API kind.
func (l Live) wantsGatewayAPI() bool {
	if l.Kinds == nil {
		return true
	}
	for _, k := range snapshot.GatewayAPIKinds {
		if l.Kinds[k] {
			return true
		}
	}
	return false
}

// addGatewayAPI discovers and lists the Gateway API kinds into s.
func (l Live) addGatewayAPI(ctx context.Context, sc scope, cs kubernetes.Interface, s *snapshot.Snapshot) error {
	if !l.wantsGatewayAPI() {
		return nil
	}
	rc := cs.Discovery().RESTClient()
	served, err := gatewayKindsServed(ctx, cs)
	if err != nil {
		s.Forbidden[snapshot.KindGateway] = "not checked: cannot discover the Gateway API: " + APIMessage(err)
		return nil
	}
	if len(served) == 0 {
		s.NotServed[snapshot.GatewayGroup] = GatewayAPINotInstalled
		return nil
	}
	var listings []listing
	for _, kind := range snapshot.GatewayAPIKinds {
		where, ok := served[kind]
		if !ok || (l.Kinds != nil && !l.Kinds[kind]) {
			continue
		}
		listings = append(listings, listing{kind: kind, resource: where.resource + "." + snapshot.GatewayGroup, fetch: gatewayFetch(rc, kind, where)})
	}
	// These listings name no namespace, so each kind is marked listed (or
	// not checked) by its kind alone.
	return l.listInto(ctx, sc, s, listings)
}

// gatewayKindsServed asks the API server which Gateway API kinds it serves,
// each in its preferred version.
func gatewayKindsServed(ctx context.Context, cs kubernetes.Interface) (map[string]servedKind, error) {
	var contentType string
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/apis").SetHeader("Accept", aggregatedDiscovery).
		Do(ctx).ContentType(&contentType).Raw()
	if err != nil {
		return nil, err
	}
	served := map[string]servedKind{}
	if strings.Contains(contentType, "as=APIGroupDiscoveryList") {
		g, err := gatewayGroup(body, func(l *apidiscoveryv2.APIGroupDiscoveryList) []apidiscoveryv2.APIGroupDiscovery { return l.Items },
			func(g apidiscoveryv2.APIGroupDiscovery) string { return g.Name })
		if err != nil {
			return nil, err
		}
		for _, v := range g.Versions {
			for _, r := range v.Resources {
				if r.ResponseKind != nil {
					noteServed(served, r.ResponseKind.Kind, v.Version, r.Resource)
				}
			}
		}
		return served, nil
	}
	// An API server without aggregated discovery: find the group's
	// versions, then ask each for its resources.
	g, err := gatewayGroup(body, func(l *metav1.APIGroupList) []metav1.APIGroup { return l.Groups },
		func(g metav1.APIGroup) string { return g.Name })
	if err != nil {
		return nil, err
	}
	for _, v := range g.Versions {
		list, err := cs.Discovery().ServerResourcesForGroupVersion(v.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range list.APIResources {
			noteServed(served, r.Kind, v.Version, r.Name)
		}
	}
	return served, nil
}

// gatewayGroup decodes the API server's answer to /apis into a list L of
// groups G and returns the Gateway API group, empty when the server serves
// none (group names are unique in discovery).
func gatewayGroup[L, G any](body []byte, groups func(*L) []G, name func(G) string) (G, error) {
	var list L
	var none G
	if err := json.Unmarshal(body, &list); err != nil {
		return none, fmt.Errorf("decode discovery: %w", err)
	}
	all := groups(&list)
	if i := slices.IndexFunc(all, func(g G) bool { return name(g) == snapshot.GatewayGroup }); i >= 0 {
		return all[i], nil
	}
	return none, nil
}

// noteServed records the first (preferred) version that serves a kind
// hopscope models in the version's shape.
func noteServed(served map[string]servedKind, kind, version, resource string) {
	if _, done := served[kind]; done || strings.Contains(resource, "/") {
		return
	}
	if newGatewayObject(snapshot.GatewayGroup+"/"+version, kind) == nil {
		return
	}
	served[kind] = servedKind{version: version, resource: resource}
}

// gatewayFetch lists one Gateway API kind across all namespaces. The items
// of any served version decode into the v1 type (see snapshot.GatewayKinds).
func gatewayFetch(rc rest.Interface, kind string, where servedKind) func(context.Context, string, metav1.ListOptions) (page, error) {
	gvk := schema.GroupVersionKind{Group: snapshot.GatewayGroup, Version: where.version, Kind: kind}
	decode := gatewayPageDecoders[kind]
	return func(ctx context.Context, _ string, o metav1.ListOptions) (page, error) {
		body, err := rc.Get().AbsPath("/apis", snapshot.GatewayGroup, where.version, where.resource).
			VersionedParams(&o, metav1.ParameterCodec).Do(ctx).Raw()
		if err != nil {
			return page{}, err
		}
		return decode(body, gvk)
	}
}

// gatewayPageDecoders decode one LIST response per kind.
var gatewayPageDecoders = map[string]func([]byte, schema.GroupVersionKind) (page, error){
	snapshot.KindGatewayClass:     decodeGatewayPage[gwv1.GatewayClass],
	snapshot.KindGateway:          decodeGatewayPage[gwv1.Gateway],
	snapshot.KindListenerSet:      decodeGatewayPage[gwv1.ListenerSet],
	snapshot.KindHTTPRoute:        decodeGatewayPage[gwv1.HTTPRoute],
	snapshot.KindGRPCRoute:        decodeGatewayPage[gwv1.GRPCRoute],
	snapshot.KindTLSRoute:         decodeGatewayPage[gwv1.TLSRoute],
	snapshot.KindTCPRoute:         decodeGatewayPage[gwv1.TCPRoute],
	snapshot.KindUDPRoute:         decodeGatewayPage[gwv1.UDPRoute],
	snapshot.KindReferenceGrant:   decodeGatewayPage[gwv1.ReferenceGrant],
	snapshot.KindBackendTLSPolicy: decodeGatewayPage[gwv1.BackendTLSPolicy],
}

// decodeGatewayPage decodes a LIST response into typed objects.
func decodeGatewayPage[T any, PT interface {
	*T
	runtime.Object
}](body []byte, gvk schema.GroupVersionKind) (page, error) {
	var list struct {
		Metadata metav1.ListMeta `json:"metadata"`
		Items    []T             `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return page{}, fmt.Errorf("decode %s list: %w", gvk.Kind, err)
	}
	p := page{objects: make([]any, 0, len(list.Items)), next: list.Metadata.Continue}
	for i := range list.Items {
		obj := PT(&list.Items[i])
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		p.objects = append(p.objects, obj)
	}
	return p, nil
}
