// Gateway API objects (gateway.networking.k8s.io): the classes, Gateways and
// ListenerSets that accept traffic, the routes that attach to their listeners
// and forward to backends, and the ReferenceGrants that let a route or a
// listener reach into another namespace. Every API version is held in its v1
// form: the Gateway API CRDs convert between versions without a webhook, so
// every served version has the same fields.

package snapshot

import (
	"fmt"
	"sort"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GatewayGroup is the API group of the Gateway API kinds; parentRefs and
// allowedRoutes.kinds default to it.
const GatewayGroup = "gateway.networking.k8s.io"

// Gateway API kind names, as they appear in ObjectRef.
const (
	KindGatewayClass     = "GatewayClass"
	KindGateway          = "Gateway"
	KindListenerSet      = "ListenerSet"
	KindHTTPRoute        = "HTTPRoute"
	KindGRPCRoute        = "GRPCRoute"
	KindTLSRoute         = "TLSRoute"
	KindTCPRoute         = "TCPRoute"
	KindUDPRoute         = "UDPRoute"
	KindReferenceGrant   = "ReferenceGrant"
	KindBackendTLSPolicy = "BackendTLSPolicy"
)

// KindListener names one listener of a Gateway in an ObjectRef
// (Listener/NAMESPACE/GATEWAY/LISTENER). It is no Kubernetes kind: findings
// about one listener use it in Affects, so that they break only the paths
// that enter through that listener.
const KindListener = "Listener"

// KindServicePort names one port of a Service in an ObjectRef
// (ServicePort/NAMESPACE/SERVICE/PORT). Like KindListener it is no
// Kubernetes kind: a finding about what one port of a backend speaks uses
// it in Affects, so that it breaks only the paths to that port.
const KindServicePort = "ServicePort"

// ServicePortRef names port (its number) of Service svc.
func ServicePortRef(svc ObjectRef, port int32) ObjectRef {
	return ObjectRef{Kind: KindServicePort, Namespace: svc.Namespace, Name: svc.Name + "/" + strconv.Itoa(int(port))}
}

// RouteKinds lists the route kinds in the order the snapshot walks them.
var RouteKinds = []string{KindHTTPRoute, KindGRPCRoute, KindTLSRoute, KindTCPRoute, KindUDPRoute}

// GatewayKind is one Gateway API kind the snapshot models: where the API
// serves it, which versions hold it, and the list of the snapshot that
// keeps its objects.
type GatewayKind struct {
	Kind string
	// Resource is the kind's resource name (gatewayclasses).
	Resource string
	// ClusterScoped kinds have no namespace (only GatewayClass).
	ClusterScoped bool
	// Versions are the API versions a release of the Gateway API has
	// served the kind in with the shape of today's v1. The CRDs convert
	// between their versions without a webhook (strategy None), so an
	// object of any of them decodes into the v1 type unchanged.
	Versions []string
	// New returns an empty v1 object of the kind to decode into.
	New func() any

	add      func(g *GatewayAPI, obj any) (ObjectRef, bool)
	keepLast func(g *GatewayAPI, dup map[ObjectRef]int)
	count    func(g *GatewayAPI) int
	// note calls seen with the namespace of every object of the kind.
	note func(g *GatewayAPI, seen func(kind, ns string))
}

// gatewayKind describes a Gateway API kind held in the list of g that
// list returns.
func gatewayKind[T any, PT interface {
	*T
	metav1.Object
}](kind, resource string, clusterScoped bool, versions []string, list func(g *GatewayAPI) *[]PT) GatewayKind {
	return GatewayKind{
		Kind: kind, Resource: resource, ClusterScoped: clusterScoped, Versions: versions,
		New: func() any { return PT(new(T)) },
		add: func(g *GatewayAPI, obj any) (ObjectRef, bool) {
			o, ok := obj.(PT)
			if !ok {
				return ObjectRef{}, false
			}
			return appendRef(list(g), o, kind), true
		},
		keepLast: func(g *GatewayAPI, dup map[ObjectRef]int) { *list(g) = keepLast(*list(g), kind, dup) },
		count:    func(g *GatewayAPI) int { return len(*list(g)) },
		note: func(g *GatewayAPI, seen func(kind, ns string)) {
			for _, o := range *list(g) {
				if clusterScoped {
					seen(kind, "")
				} else {
					seen(kind, o.GetNamespace())
				}
			}
		},
	}
}

// GatewayKinds is the table of the Gateway API kinds the snapshot models,
// in the order it lists them. BackendTLSPolicy v1alpha2 had another shape
// (a single targetRef, a tls field) and is not among its versions, nor is
// the experimental XListenerSet a kind here: the loaders skip and count
// them.
var GatewayKinds = []GatewayKind{
	gatewayKind(KindGatewayClass, "gatewayclasses", true, []string{"v1", "v1beta1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.GatewayClass { return &g.GatewayClasses }),
	gatewayKind(KindGateway, "gateways", false, []string{"v1", "v1beta1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.Gateway { return &g.Gateways }),
	gatewayKind(KindListenerSet, "listenersets", false, []string{"v1"}, func(g *GatewayAPI) *[]*gwv1.ListenerSet { return &g.ListenerSets }),
	gatewayKind(KindHTTPRoute, "httproutes", false, []string{"v1", "v1beta1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.HTTPRoute { return &g.HTTPRoutes }),
	gatewayKind(KindGRPCRoute, "grpcroutes", false, []string{"v1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.GRPCRoute { return &g.GRPCRoutes }),
	gatewayKind(KindTLSRoute, "tlsroutes", false, []string{"v1", "v1alpha3", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.TLSRoute { return &g.TLSRoutes }),
	gatewayKind(KindTCPRoute, "tcproutes", false, []string{"v1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.TCPRoute { return &g.TCPRoutes }),
	gatewayKind(KindUDPRoute, "udproutes", false, []string{"v1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.UDPRoute { return &g.UDPRoutes }),
	gatewayKind(KindReferenceGrant, "referencegrants", false, []string{"v1", "v1beta1", "v1alpha2"}, func(g *GatewayAPI) *[]*gwv1.ReferenceGrant { return &g.ReferenceGrants }),
	gatewayKind(KindBackendTLSPolicy, "backendtlspolicies", false, []string{"v1", "v1alpha3"}, func(g *GatewayAPI) *[]*gwv1.BackendTLSPolicy { return &g.BackendTLSPolicies }),
}

// GatewayAPIKinds lists every Gateway API kind the snapshot models, in the
// order of GatewayKinds.
var GatewayAPIKinds = func() []string {
	out := make([]string, 0, len(GatewayKinds))
	for _, k := range GatewayKinds {
		out = append(out, k.Kind)
	}
	return out
}()

// GatewayKindOf returns the row of GatewayKinds for kind.
func GatewayKindOf(kind string) (GatewayKind, bool) {
	for _, k := range GatewayKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return GatewayKind{}, false
}

// GatewayAPI holds the Gateway API objects of a snapshot in input order. It is
// embedded in Snapshot, so s.Gateways and s.HTTPRoutes read as the other
// kinds do.
type GatewayAPI struct {
	GatewayClasses     []*gwv1.GatewayClass
	Gateways           []*gwv1.Gateway
	ListenerSets       []*gwv1.ListenerSet
	HTTPRoutes         []*gwv1.HTTPRoute
	GRPCRoutes         []*gwv1.GRPCRoute
	TLSRoutes          []*gwv1.TLSRoute
	TCPRoutes          []*gwv1.TCPRoute
	UDPRoutes          []*gwv1.UDPRoute
	ReferenceGrants    []*gwv1.ReferenceGrant
	BackendTLSPolicies []*gwv1.BackendTLSPolicy
}

// add appends a Gateway API object and returns its ref; false when obj is
// not one.
func (g *GatewayAPI) add(obj any) (ObjectRef, bool) {
	for _, k := range GatewayKinds {
		if ref, ok := k.add(g, obj); ok {
			return ref, true
		}
	}
	return ObjectRef{}, false
}

// count is the number of Gateway API objects.
func (g *GatewayAPI) count() int {
	n := 0
	for _, k := range GatewayKinds {
		n += k.count(g)
	}
	return n
}

// dropDuplicates keeps the last definition of every object, as the other
// kinds do.
func (g *GatewayAPI) dropDuplicates(d map[ObjectRef]int) {
	for _, k := range GatewayKinds {
		k.keepLast(g, d)
	}
}

// Route is one route of any kind, seen the way attachment and forwarding
// work for all of them: parentRefs, hostnames (none for TCP and UDP) and
// rules with backendRefs. HTTP and GRPC point at the typed route for their
// matches.
type Route struct {
	Ref        ObjectRef
	Meta       *metav1.ObjectMeta
	ParentRefs []gwv1.ParentReference
	Hostnames  []gwv1.Hostname
	Rules      []RouteRule
	// DefaultGateways is spec.useDefaultGateways: with "All" a route
	// without parentRefs attaches to the cluster's default Gateways.
	DefaultGateways gwv1.GatewayDefaultScope
	Status          *gwv1.RouteStatus
	HTTP            *gwv1.HTTPRoute
	GRPC            *gwv1.GRPCRoute
}

// RouteRule is one rule of a route with its backends.
type RouteRule struct {
	Index    int
	Name     string // the rule's optional name
	Backends []gwv1.BackendRef
}

// Field is the rule's field path, for evidence.
func (r RouteRule) Field() string { return fmt.Sprintf("spec.rules[%d]", r.Index) }

// BackendField is the field path of backend i of the rule.
func (r RouteRule) BackendField(i int) string {
	return fmt.Sprintf("spec.rules[%d].backendRefs[%d]", r.Index, i)
}

// BackendPointer is the JSON pointer of backend i of the rule, for patches.
func (r RouteRule) BackendPointer(i int) string {
	return fmt.Sprintf("/spec/rules/%d/backendRefs/%d", r.Index, i)
}

// HasHostnames reports whether the route kind matches on hostnames at all
// (TCP and UDP routes do not).
func (r *Route) HasHostnames() bool {
	return r.Ref.Kind != KindTCPRoute && r.Ref.Kind != KindUDPRoute
}

// routeOf builds the uniform view of a typed route.
func routeOf(obj any) *Route {
	switch o := obj.(type) {
	case *gwv1.HTTPRoute:
		r := newRoute(KindHTTPRoute, &o.ObjectMeta, o.Spec.CommonRouteSpec, o.Spec.Hostnames, &o.Status.RouteStatus, rulesOf(o.Spec.Rules, httpRuleParts))
		r.HTTP = o
		return r
	case *gwv1.GRPCRoute:
		r := newRoute(KindGRPCRoute, &o.ObjectMeta, o.Spec.CommonRouteSpec, o.Spec.Hostnames, &o.Status.RouteStatus, rulesOf(o.Spec.Rules, grpcRuleParts))
		r.GRPC = o
		return r
	case *gwv1.TLSRoute:
		return newRoute(KindTLSRoute, &o.ObjectMeta, o.Spec.CommonRouteSpec, o.Spec.Hostnames, &o.Status.RouteStatus, rulesOf(o.Spec.Rules, plainRuleParts))
	case *gwv1.TCPRoute:
		return newRoute(KindTCPRoute, &o.ObjectMeta, o.Spec.CommonRouteSpec, nil, &o.Status.RouteStatus, rulesOf(o.Spec.Rules, plainRuleParts))
	case *gwv1.UDPRoute:
		return newRoute(KindUDPRoute, &o.ObjectMeta, o.Spec.CommonRouteSpec, nil, &o.Status.RouteStatus, rulesOf(o.Spec.Rules, plainRuleParts))
	}
	return nil
}

// newRoute fills in what every route kind shares.
func newRoute(kind string, meta *metav1.ObjectMeta, common gwv1.CommonRouteSpec, hosts []gwv1.Hostname, status *gwv1.RouteStatus, rules []RouteRule) *Route {
	return &Route{Ref: Ref(kind, meta), Meta: meta, ParentRefs: common.ParentRefs, Hostnames: hosts,
		DefaultGateways: common.UseDefaultGateways, Status: status, Rules: rules}
}

// httpRuleParts is an HTTPRoute rule's name and backends.
func httpRuleParts(rule gwv1.HTTPRouteRule) (*gwv1.SectionName, []gwv1.BackendRef) {
	return rule.Name, backendRefsOf(rule.BackendRefs, func(b gwv1.HTTPBackendRef) gwv1.BackendRef { return b.BackendRef })
}

// grpcRuleParts is a GRPCRoute rule's name and backends.
func grpcRuleParts(rule gwv1.GRPCRouteRule) (*gwv1.SectionName, []gwv1.BackendRef) {
	return rule.Name, backendRefsOf(rule.BackendRefs, func(b gwv1.GRPCBackendRef) gwv1.BackendRef { return b.BackendRef })
}

// plainRule is the rule shape TLS, TCP and UDP routes share: a name and
// backendRefs, nothing to match on.
type plainRule = struct {
	Name        *gwv1.SectionName `json:"name,omitempty"`
	BackendRefs []gwv1.BackendRef `json:"backendRefs,omitempty"`
}

// plainRuleParts is the name and backends of a TLS, TCP or UDP route rule.
func plainRuleParts[R ~plainRule](rule R) (*gwv1.SectionName, []gwv1.BackendRef) {
	return plainRule(rule).Name, plainRule(rule).BackendRefs
}

// rulesOf lists the rules of any route kind with their names and backends.
func rulesOf[R any](rules []R, parts func(R) (*gwv1.SectionName, []gwv1.BackendRef)) []RouteRule {
	out := make([]RouteRule, 0, len(rules))
	for i, rule := range rules {
		name, backends := parts(rule)
		out = append(out, RouteRule{Index: i, Name: sectionName(name), Backends: backends})
	}
	return out
}

// backendRefsOf takes the BackendRef out of HTTP and GRPC backendRefs,
// which add filters to it.
func backendRefsOf[B any](refs []B, ref func(B) gwv1.BackendRef) []gwv1.BackendRef {
	out := make([]gwv1.BackendRef, 0, len(refs))
	for _, b := range refs {
		out = append(out, ref(b))
	}
	return out
}

func sectionName(n *gwv1.SectionName) string {
	if n == nil {
		return ""
	}
	return string(*n)
}

// ParentTarget resolves a parentRef of a route in namespace routeNS with the
// API defaults (group gateway.networking.k8s.io, kind Gateway, the route's
// namespace). ok is false for a parent of another group (a mesh Service,
// an implementation's own kind), which the Gateway API checks leave alone.
func ParentTarget(routeNS string, p gwv1.ParentReference) (ref ObjectRef, ok bool) {
	group, ref := resolveRef(p.Group, p.Kind, p.Namespace, p.Name, GatewayGroup, KindGateway, routeNS)
	return ref, group == GatewayGroup && (ref.Kind == KindGateway || ref.Kind == KindListenerSet)
}

// BackendTarget resolves a backendRef of a route in namespace routeNS with
// the API defaults (core group, kind Service, the route's namespace).
// service is false for other backend kinds (ServiceImport, an
// implementation's own Backend), which the walk does not follow.
func BackendTarget(routeNS string, b gwv1.BackendObjectReference) (ref ObjectRef, service bool) {
	group, ref := resolveRef(b.Group, b.Kind, b.Namespace, b.Name, "", KindService, routeNS)
	return ref, group == "" && ref.Kind == KindService
}

// resolveRef applies the API defaults to the group, kind and namespace of
// a Gateway API reference; an empty namespace takes the default too.
func resolveRef(group *gwv1.Group, kind *gwv1.Kind, ns *gwv1.Namespace, name gwv1.ObjectName, defGroup, defKind, defNS string) (string, ObjectRef) {
	ref := ObjectRef{Kind: defKind, Namespace: defNS, Name: string(name)}
	if group != nil {
		defGroup = string(*group)
	}
	if kind != nil {
		ref.Kind = string(*kind)
	}
	if ns != nil && *ns != "" {
		ref.Namespace = string(*ns)
	}
	return defGroup, ref
}

// BackendWeight is a backendRef's weight with the API default of 1.
func BackendWeight(b gwv1.BackendRef) int32 {
	if b.Weight == nil {
		return 1
	}
	return *b.Weight
}

// Listener is one listener a Gateway serves: one of its own, or one of a
// ListenerSet attached to it.
type Listener struct {
	Gateway *gwv1.Gateway
	// Set is the ListenerSet the listener comes from; nil for the
	// Gateway's own listeners.
	Set   *gwv1.ListenerSet
	Index int
	Spec  gwv1.Listener
	// Conditions are the listener's status conditions, nil when the input
	// holds no status for it.
	Conditions []metav1.Condition
	// HasStatus is true when the owner's status lists this listener.
	HasStatus bool
}

// Ref names the listener for Affects: Listener/NAMESPACE/GATEWAY/NAME, or
// Listener/NAMESPACE/LISTENERSET/NAME for a ListenerSet's listener.
func (l Listener) Ref() ObjectRef {
	owner := l.Owner()
	return ObjectRef{Kind: KindListener, Namespace: owner.Namespace, Name: owner.Name + "/" + string(l.Spec.Name)}
}

// Owner is the object that declares the listener: the Gateway or the
// ListenerSet.
func (l Listener) Owner() ObjectRef {
	if l.Set != nil {
		return Ref(KindListenerSet, l.Set)
	}
	return Ref(KindGateway, l.Gateway)
}

// Field is the listener's field path in its owner.
func (l Listener) Field() string { return fmt.Sprintf("spec.listeners[%d]", l.Index) }

// Hostname is the listener's hostname, "" when it matches every host.
func (l Listener) Hostname() string {
	if l.Spec.Hostname == nil {
		return ""
	}
	return string(*l.Spec.Hostname)
}

// String describes the listener for evidence: `listener "https" (HTTPS
// :443, *.example.com)`.
func (l Listener) String() string {
	host := l.Hostname()
	if host == "" {
		host = "any host"
	}
	where := ""
	if l.Set != nil {
		where = " of ListenerSet " + l.Set.Namespace + "/" + l.Set.Name
	}
	return fmt.Sprintf("listener %q%s (%s :%d, %s)", l.Spec.Name, where, l.Spec.Protocol, l.Spec.Port, host)
}

// listenerOf turns a ListenerSet entry into the Gateway listener shape.
func listenerOf(e gwv1.ListenerEntry) gwv1.Listener {
	return gwv1.Listener(e)
}

// gatewayIndex holds the Gateway API lookups Index builds.
type gatewayIndex struct {
	classes    map[string]*gwv1.GatewayClass
	gateways   map[nsName]*gwv1.Gateway
	gatewaysNS map[string][]*gwv1.Gateway
	sets       map[nsName]*gwv1.ListenerSet
	setsOf     map[nsName][]*gwv1.ListenerSet // by parent Gateway
	routes     []*Route
	routeBy    map[ObjectRef]*Route
	byParent   map[ObjectRef][]*Route // by Gateway or ListenerSet a parentRef names
	byBackend  map[nsName][]*Route    // by Service a backendRef names
	grants     map[string][]*gwv1.ReferenceGrant
	listeners  map[nsName][]Listener
	attached   map[*Route][]ParentAttachment
}

// indexGatewayAPI builds the Gateway API lookups; seen records the kinds and
// namespaces the input holds, for Knows. Attachments are computed last:
// they read the Namespaces, Gateways and ListenerSets indexed before.
func (s *Snapshot) indexGatewayAPI(x *index, seen func(kind, ns string)) {
	g := &gatewayIndex{
		classes: map[string]*gwv1.GatewayClass{}, gateways: map[nsName]*gwv1.Gateway{}, gatewaysNS: map[string][]*gwv1.Gateway{},
		sets: map[nsName]*gwv1.ListenerSet{}, setsOf: map[nsName][]*gwv1.ListenerSet{}, routeBy: map[ObjectRef]*Route{},
		byParent: map[ObjectRef][]*Route{}, byBackend: map[nsName][]*Route{}, grants: map[string][]*gwv1.ReferenceGrant{},
		listeners: map[nsName][]Listener{}, attached: map[*Route][]ParentAttachment{},
	}
	x.gw = g
	for _, k := range GatewayKinds {
		k.note(&s.GatewayAPI, seen)
	}
	for _, o := range s.GatewayClasses {
		g.classes[o.Name] = o
	}
	for _, o := range s.Gateways {
		g.gateways[nsName{o.Namespace, o.Name}] = o
		g.gatewaysNS[o.Namespace] = append(g.gatewaysNS[o.Namespace], o)
	}
	for _, o := range s.ListenerSets {
		g.sets[nsName{o.Namespace, o.Name}] = o
		parent := o.Spec.ParentRef
		if group, ref := resolveRef(parent.Group, parent.Kind, parent.Namespace, parent.Name, GatewayGroup, KindGateway, o.Namespace); group == GatewayGroup && ref.Kind == KindGateway {
			k := nsName{ref.Namespace, ref.Name}
			g.setsOf[k] = append(g.setsOf[k], o)
		}
	}
	for _, o := range s.ReferenceGrants {
		g.grants[o.Namespace] = append(g.grants[o.Namespace], o)
	}
	for _, list := range [][]any{anySlice(s.HTTPRoutes), anySlice(s.GRPCRoutes), anySlice(s.TLSRoutes), anySlice(s.TCPRoutes), anySlice(s.UDPRoutes)} {
		for _, o := range list {
			r := routeOf(o)
			g.routes = append(g.routes, r)
			g.routeBy[r.Ref] = r
			parents := map[ObjectRef]bool{}
			for _, p := range r.ParentRefs {
				if ref, ok := ParentTarget(r.Ref.Namespace, p); ok && !parents[ref] {
					parents[ref] = true
					g.byParent[ref] = append(g.byParent[ref], r)
				}
			}
			backends := map[nsName]bool{}
			for _, rule := range r.Rules {
				for _, b := range rule.Backends {
					if ref, svc := BackendTarget(r.Ref.Namespace, b.BackendObjectReference); svc && !backends[nsName{ref.Namespace, ref.Name}] {
						k := nsName{ref.Namespace, ref.Name}
						backends[k] = true
						g.byBackend[k] = append(g.byBackend[k], r)
					}
				}
			}
		}
	}
	for _, gw := range s.Gateways {
		g.listeners[nsName{gw.Namespace, gw.Name}] = s.collectListeners(gw)
	}
	for _, r := range g.routes {
		g.attached[r] = s.attach(r)
	}
}

// anySlice turns a typed slice into []any for one loop over every route
// kind.
func anySlice[T any](items []*T) []any {
	out := make([]any, len(items))
	for i, o := range items {
		out[i] = o
	}
	return out
}

// collectListeners lists a Gateway's own listeners, then those of the
// ListenerSets the Gateway lets attach (spec.allowedListeners, which allows
// none by default).
func (s *Snapshot) collectListeners(gw *gwv1.Gateway) []Listener {
	var out []Listener
	for i, l := range gw.Spec.Listeners {
		ln := Listener{Gateway: gw, Index: i, Spec: l}
		for _, st := range gw.Status.Listeners {
			if st.Name == l.Name {
				ln.Conditions, ln.HasStatus = st.Conditions, true
			}
		}
		out = append(out, ln)
	}
	// ListenerSets merge in precedence order: oldest first, then by
	// namespace/name; a later listener yields to an earlier one.
	sets := append([]*gwv1.ListenerSet(nil), s.indexed().gw.setsOf[nsName{gw.Namespace, gw.Name}]...)
	sort.SliceStable(sets, func(i, j int) bool {
		a, b := sets[i], sets[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	for _, set := range sets {
		if ok, _ := s.gatewayAllowsListenerSet(gw, set); !ok {
			continue
		}
		for i, e := range set.Spec.Listeners {
			ln := Listener{Gateway: gw, Set: set, Index: i, Spec: listenerOf(e)}
			for _, st := range set.Status.Listeners {
				if st.Name == e.Name {
					ln.Conditions, ln.HasStatus = st.Conditions, true
				}
			}
			out = append(out, ln)
		}
	}
	return out
}

// gatewayAllowsListenerSet applies a Gateway's spec.allowedListeners to a
// ListenerSet; why says what decided.
func (s *Snapshot) gatewayAllowsListenerSet(gw *gwv1.Gateway, set *gwv1.ListenerSet) (bool, string) {
	var rule *gwv1.RouteNamespaces
	if al := gw.Spec.AllowedListeners; al != nil {
		rule = (*gwv1.RouteNamespaces)(al.Namespaces)
	}
	v := s.namespaceAllowed(rule, gwv1.NamespacesFromNone, gw.Namespace, set.Namespace)
	return v.Allowed, v.Why
}
