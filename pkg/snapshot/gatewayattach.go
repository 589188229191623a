// How a route attaches to a Gateway, as the Gateway API specification says
// every implementation must decide it: the parentRef names a Gateway (or a
// ListenerSet), sectionName and port narrow it to some listeners, and each
// of those listeners accepts the route only when its allowedRoutes admit the
// route's kind and namespace (a Selector is matched against the labels of
// the route's Namespace, not the route's own labels) and its hostname
// intersects the route's hostnames. One accepting listener is enough.

package snapshot

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GatewayClass returns the named GatewayClass or nil.
func (s *Snapshot) GatewayClass(name string) *gwv1.GatewayClass {
	return s.indexed().gw.classes[name]
}

// Gateway returns the named Gateway or nil.
func (s *Snapshot) Gateway(ns, name string) *gwv1.Gateway {
	return s.indexed().gw.gateways[nsName{ns, name}]
}

// GatewaysIn returns the Gateways of a namespace in input order.
func (s *Snapshot) GatewaysIn(ns string) []*gwv1.Gateway {
	return s.indexed().gw.gatewaysNS[ns]
}

// ListenerSet returns the named ListenerSet or nil.
func (s *Snapshot) ListenerSet(ns, name string) *gwv1.ListenerSet {
	return s.indexed().gw.sets[nsName{ns, name}]
}

// ListenerSetsOf returns the ListenerSets whose parentRef names gw, whether
// gw allows them or not.
func (s *Snapshot) ListenerSetsOf(gw *gwv1.Gateway) []*gwv1.ListenerSet {
	return s.indexed().gw.setsOf[nsName{gw.Namespace, gw.Name}]
}

// Listeners returns the listeners gw serves: its own, then those of the
// ListenerSets it allows.
func (s *Snapshot) Listeners(gw *gwv1.Gateway) []Listener {
	return s.indexed().gw.listeners[nsName{gw.Namespace, gw.Name}]
}

// Routes returns every route: HTTPRoutes, GRPCRoutes, TLSRoutes, TCPRoutes,
// then UDPRoutes, each kind in input order.
func (s *Snapshot) Routes() []*Route {
	return s.indexed().gw.routes
}

// Route returns the route named by ref, or nil.
func (s *Snapshot) Route(ref ObjectRef) *Route {
	return s.indexed().gw.routeBy[ref]
}

// RoutesOf returns the routes with a parentRef naming parent (a Gateway or a
// ListenerSet), whether or not a listener accepts them.
func (s *Snapshot) RoutesOf(parent ObjectRef) []*Route {
	return s.indexed().gw.byParent[parent]
}

// RoutesToService returns the routes with a backendRef naming the Service.
func (s *Snapshot) RoutesToService(ns, name string) []*Route {
	return s.indexed().gw.byBackend[nsName{ns, name}]
}

// ReferenceGrantsIn returns the ReferenceGrants of a namespace: the grants
// that let objects elsewhere refer to objects in ns.
func (s *Snapshot) ReferenceGrantsIn(ns string) []*gwv1.ReferenceGrant {
	return s.indexed().gw.grants[ns]
}

// Attachments returns how each parentRef of r attaches, in parentRefs order.
func (s *Snapshot) Attachments(r *Route) []ParentAttachment {
	return s.indexed().gw.attached[r]
}

// ParentAttachment is the verdict on one parentRef of a route.
type ParentAttachment struct {
	Index  int
	Parent gwv1.ParentReference
	// Target is the parent the reference names, with the API defaults.
	Target ObjectRef
	// Gateway is the Gateway the parent is or belongs to; nil when the
	// input does not hold it (or the parent is of another group).
	Gateway *gwv1.Gateway
	// Set is the ListenerSet the parentRef names, when it names one.
	Set *gwv1.ListenerSet
	// Foreign is true for a parent outside the Gateway API (a mesh
	// Service, an implementation's own kind): not judged.
	Foreign bool
	// SetNotAllowed says why the named ListenerSet's listeners are not the
	// Gateway's (its allowedListeners do not admit it); empty otherwise.
	SetNotAllowed string
	// Candidates are the listeners sectionName and port select.
	Candidates []Listener
	Accepted   []AcceptedListener
	Rejected   []RejectedListener
}

// AcceptedListener is a listener that accepts the route, with the hostnames
// requests through it may carry: the intersection of the listener's and the
// route's hostnames, nil when any host does.
type AcceptedListener struct {
	Listener  Listener
	Hostnames []string
}

// Rejection is why one listener does not accept a route.
type Rejection string

// Reasons a listener rejects a route.
const (
	// RejectedKind: the listener's protocol or allowedRoutes.kinds do not
	// admit the route's kind.
	RejectedKind Rejection = "kind"
	// RejectedNamespace: allowedRoutes.namespaces does not admit the route's
	// namespace.
	RejectedNamespace Rejection = "namespace"
	// RejectedNamespaceUnknown: allowedRoutes.namespaces uses a selector on
	// labels the input does not show for the route's namespace.
	RejectedNamespaceUnknown Rejection = "namespace unknown"
	// RejectedHostname: the listener's hostname and the route's hostnames
	// do not intersect.
	RejectedHostname Rejection = "hostname"
)

// RejectedListener is a listener that does not accept the route, and why.
type RejectedListener struct {
	Listener Listener
	Reason   Rejection
	Why      string
}

// Attached reports whether some listener accepts the route through this
// parentRef.
func (a ParentAttachment) Attached() bool { return len(a.Accepted) > 0 }

// SelectsNothing reports whether the parent exists but sectionName or port
// name no listener it has.
func (a ParentAttachment) SelectsNothing() bool {
	return a.Gateway != nil && a.SetNotAllowed == "" && len(a.Candidates) == 0 && (a.Parent.SectionName != nil || a.Parent.Port != nil)
}

// attach decides every parentRef of r.
func (s *Snapshot) attach(r *Route) []ParentAttachment {
	out := make([]ParentAttachment, 0, len(r.ParentRefs))
	for i, p := range r.ParentRefs {
		a := ParentAttachment{Index: i, Parent: p}
		target, ours := ParentTarget(r.Ref.Namespace, p)
		a.Target = target
		if !ours {
			a.Foreign = true
			out = append(out, a)
			continue
		}
		var listeners []Listener
		if target.Kind == KindListenerSet {
			a.Set = s.ListenerSet(target.Namespace, target.Name)
			if a.Set == nil {
				out = append(out, a)
				continue
			}
			parent, _ := ParentTarget(a.Set.Namespace, gwv1.ParentReference{Group: a.Set.Spec.ParentRef.Group, Kind: a.Set.Spec.ParentRef.Kind, Namespace: a.Set.Spec.ParentRef.Namespace, Name: a.Set.Spec.ParentRef.Name})
			a.Gateway = s.Gateway(parent.Namespace, parent.Name)
			if a.Gateway == nil {
				out = append(out, a)
				continue
			}
			if ok, why := s.gatewayAllowsListenerSet(a.Gateway, a.Set); !ok {
				a.SetNotAllowed = why
			}
			for _, l := range s.Listeners(a.Gateway) {
				if l.Set == a.Set {
					listeners = append(listeners, l)
				}
			}
		} else {
			a.Gateway = s.Gateway(target.Namespace, target.Name)
			if a.Gateway == nil {
				out = append(out, a)
				continue
			}
			for _, l := range s.Listeners(a.Gateway) {
				if l.Set == nil {
					listeners = append(listeners, l)
				}
			}
		}
		for _, l := range listeners {
			if p.SectionName != nil && *p.SectionName != l.Spec.Name {
				continue
			}
			if p.Port != nil && *p.Port != l.Spec.Port {
				continue
			}
			a.Candidates = append(a.Candidates, l)
		}
		for _, l := range a.Candidates {
			if acc, rej := s.listenerAccepts(l, r); rej == nil {
				a.Accepted = append(a.Accepted, acc)
			} else {
				a.Rejected = append(a.Rejected, *rej)
			}
		}
		out = append(out, a)
	}
	return out
}

// listenerAccepts applies one listener's rules to a route: kind, then
// namespace, then hostname.
func (s *Snapshot) listenerAccepts(l Listener, r *Route) (AcceptedListener, *RejectedListener) {
	if ok, allowed := ListenerAllowsKind(l.Spec, r.Ref.Kind); !ok {
		why := fmt.Sprintf("%s admits route kinds %s, not %s", l, strings.Join(allowed, ", "), r.Ref.Kind)
		if len(allowed) == 0 {
			why = fmt.Sprintf("%s admits no route kind its protocol supports", l)
		}
		return AcceptedListener{}, &RejectedListener{Listener: l, Reason: RejectedKind, Why: why}
	}
	var rule *gwv1.RouteNamespaces
	if l.Spec.AllowedRoutes != nil {
		rule = l.Spec.AllowedRoutes.Namespaces
	}
	owner := l.Owner()
	if v := s.namespaceAllowed(rule, gwv1.NamespacesFromSame, owner.Namespace, r.Ref.Namespace); !v.Allowed {
		reason := RejectedNamespace
		if !v.Known {
			reason = RejectedNamespaceUnknown
		}
		return AcceptedListener{}, &RejectedListener{Listener: l, Reason: reason, Why: fmt.Sprintf("%s: allowedRoutes.namespaces %s", l, v.Why)}
	}
	if !r.HasHostnames() {
		return AcceptedListener{Listener: l}, nil
	}
	hosts, ok := HostnameIntersection(l.Hostname(), r.Hostnames)
	if !ok {
		return AcceptedListener{}, &RejectedListener{Listener: l, Reason: RejectedHostname,
			Why: fmt.Sprintf("%s: hostname %s does not intersect the route's hostnames %s", l, l.Hostname(), hostList(r.Hostnames))}
	}
	return AcceptedListener{Listener: l, Hostnames: hosts}, nil
}

func hostList(hosts []gwv1.Hostname) string {
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = string(h)
	}
	return strings.Join(parts, ", ")
}

// routeKindsOfProtocol are the route kinds each core listener protocol
// carries; other protocols are implementation-specific and not judged.
var routeKindsOfProtocol = map[gwv1.ProtocolType][]string{
	gwv1.HTTPProtocolType:  {KindHTTPRoute, KindGRPCRoute},
	gwv1.HTTPSProtocolType: {KindHTTPRoute, KindGRPCRoute},
	gwv1.TLSProtocolType:   {KindTLSRoute},
	gwv1.TCPProtocolType:   {KindTCPRoute},
	gwv1.UDPProtocolType:   {KindUDPRoute},
}

// terminatingTLSRouteKinds are the route kinds a TLS listener that
// terminates TLS carries: the decrypted stream goes to a TLSRoute or, with
// no SNI routing, to a TCPRoute. The Gateway API route summary lists
// "Passthrough or Terminated" listener TLS for TCPRoute, and a TCP listener
// may not hold tls, so a terminating TLS listener is where a TCPRoute gets
// TLS termination (Envoy Gateway's and Istio's default kinds for it).
var terminatingTLSRouteKinds = []string{KindTLSRoute, KindTCPRoute}

// listenerRouteKinds are the route kinds a listener's protocol carries, and
// false for an implementation-specific protocol.
func listenerRouteKinds(l gwv1.Listener) ([]string, bool) {
	if l.Protocol == gwv1.TLSProtocolType && l.TLS != nil && (l.TLS.Mode == nil || *l.TLS.Mode == gwv1.TLSModeTerminate) {
		return terminatingTLSRouteKinds, true
	}
	kinds, core := routeKindsOfProtocol[l.Protocol]
	return kinds, core
}

// ListenerAllowsKind reports whether a listener admits routes of kind, and
// which kinds it admits: allowedRoutes.kinds when set, narrowed to what the
// protocol carries, else every kind the protocol carries.
func ListenerAllowsKind(l gwv1.Listener, kind string) (bool, []string) {
	supported, core := listenerRouteKinds(l)
	if !core {
		return true, []string{kind}
	}
	if l.AllowedRoutes == nil || len(l.AllowedRoutes.Kinds) == 0 {
		for _, k := range supported {
			if k == kind {
				return true, supported
			}
		}
		return false, supported
	}
	var allowed []string
	ok := false
	for _, k := range l.AllowedRoutes.Kinds {
		if k.Group != nil && *k.Group != GatewayGroup {
			continue
		}
		for _, sk := range supported {
			if string(k.Kind) == sk {
				allowed = append(allowed, sk)
				ok = ok || sk == kind
			}
		}
	}
	return ok, allowed
}

// namespaceVerdict is the outcome of a from: Same/All/Selector/None rule.
type namespaceVerdict struct {
	Allowed bool
	// Known is false when a selector needs labels the input does not show.
	Known bool
	Why   string
}

// namespaceAllowed applies a namespaces rule (allowedRoutes.namespaces of a
// listener, allowedListeners.namespaces of a Gateway: both have this shape)
// of an object in ownerNS to an object in ns; a rule that is unset, or
// names no from, admits from def. A Selector is matched against the labels
// of the Namespace object; without that object only the
// kubernetes.io/metadata.name label, which the API server sets on every
// namespace, is known.
func (s *Snapshot) namespaceAllowed(rule *gwv1.RouteNamespaces, def gwv1.FromNamespaces, ownerNS, ns string) namespaceVerdict {
	from, sel := def, (*metav1.LabelSelector)(nil)
	if rule != nil {
		if rule.From != nil {
			from = *rule.From
		}
		sel = rule.Selector
	}
	switch from {
	case gwv1.NamespacesFromAll:
		return namespaceVerdict{Allowed: true, Known: true, Why: "from: All"}
	case gwv1.NamespacesFromNone:
		return namespaceVerdict{Known: true, Why: "from: None admits no namespace"}
	case gwv1.NamespacesFromSelector:
		if sel == nil {
			return namespaceVerdict{Known: true, Why: "from: Selector without a selector admits no namespace"}
		}
		selector, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return namespaceVerdict{Known: true, Why: fmt.Sprintf("from: Selector with an invalid selector (%v)", err)}
		}
		lbls, complete := s.NamespaceLabels(ns)
		text := metav1.FormatLabelSelector(sel)
		if selector.Matches(labels.Set(lbls)) {
			return namespaceVerdict{Allowed: true, Known: true, Why: fmt.Sprintf("from: Selector %s matches namespace %s", text, ns)}
		}
		if !complete && !NameLabelOnly(sel) {
			return namespaceVerdict{Why: fmt.Sprintf("from: Selector %s: the input holds no Namespace object for %s, so its labels are unknown", text, ns)}
		}
		return namespaceVerdict{Known: true, Why: fmt.Sprintf("from: Selector %s does not match namespace %s (labels: %s)", text, ns, labels.Set(lbls).String())}
	default: // Same, and the API default when unset
		if ns == ownerNS {
			return namespaceVerdict{Allowed: true, Known: true, Why: "from: Same"}
		}
		return namespaceVerdict{Known: true, Why: fmt.Sprintf("from: Same admits only namespace %s, not %s", ownerNS, ns)}
	}
}

// NamespaceLabels returns the labels of namespace ns and whether they are
// complete: from its Namespace object when the input holds it, else only
// the kubernetes.io/metadata.name label every namespace carries. Network
// policies and Gateway listeners select namespaces by these labels.
func (s *Snapshot) NamespaceLabels(ns string) (map[string]string, bool) {
	n := s.Namespace(ns)
	if n == nil {
		return map[string]string{corev1.LabelMetadataName: ns}, false
	}
	out := make(map[string]string, len(n.Labels)+1)
	for k, v := range n.Labels {
		out[k] = v
	}
	// The API server sets this label to the namespace's name, whatever a
	// manifest says.
	out[corev1.LabelMetadataName] = ns
	return out, true
}

// NameLabelOnly reports whether a selector looks at no label but
// kubernetes.io/metadata.name, the one label every namespace is known to
// carry: such a selector's non-match is certain even when the namespace's
// other labels are unknown.
func NameLabelOnly(sel *metav1.LabelSelector) bool {
	for k := range sel.MatchLabels {
		if k != corev1.LabelMetadataName {
			return false
		}
	}
	for _, e := range sel.MatchExpressions {
		if e.Key != corev1.LabelMetadataName {
			return false
		}
	}
	return true
}

// HostnameIntersection returns the hostnames requests may carry when a
// listener with hostname listener ("" for any) serves a route with hostnames
// route (none for any), and whether there is any. A wildcard "*.example.com"
// is a suffix match: it covers a.example.com and a.b.example.com, not
// example.com. A nil result with ok means any host.
func HostnameIntersection(listener string, route []gwv1.Hostname) ([]string, bool) {
	listener = strings.ToLower(listener)
	if len(route) == 0 {
		if listener == "" {
			return nil, true
		}
		return []string{listener}, true
	}
	var out []string
	for _, h := range route {
		rh := strings.ToLower(string(h))
		switch {
		case listener == "":
			out = append(out, rh)
		case HostnameMatches(listener, rh):
			// The route's name is within the listener's: the route's is the
			// narrower.
			out = append(out, rh)
		case HostnameMatches(rh, listener):
			out = append(out, listener)
		}
	}
	return out, len(out) > 0
}

// HostnameMatches reports whether pattern (an exact name or "*.suffix")
// covers host, which may itself be a wildcard: "*.example.com" covers
// "*.a.example.com" and "a.example.com".
func HostnameMatches(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if pattern == host {
		return true
	}
	suffix, wild := strings.CutPrefix(pattern, "*")
	if !wild {
		return false
	}
	// suffix is ".example.com": host must end with it and keep at least one
	// label of its own.
	return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
}

// ReferenceGrantFor returns the ReferenceGrant in toNS that lets an object
// of fromGroup/fromKind in fromNS refer to toGroup/toKind named toName, or
// nil. References within one namespace need no grant; callers check that.
func (s *Snapshot) ReferenceGrantFor(fromGroup, fromKind, fromNS, toGroup, toKind, toNS, toName string) *gwv1.ReferenceGrant {
	for _, g := range s.ReferenceGrantsIn(toNS) {
		if GrantPermits(g, fromGroup, fromKind, fromNS, toGroup, toKind, toName) {
			return g
		}
	}
	return nil
}

// GrantPermits reports whether one ReferenceGrant admits the reference.
func GrantPermits(g *gwv1.ReferenceGrant, fromGroup, fromKind, fromNS, toGroup, toKind, toName string) bool {
	from := false
	for _, f := range g.Spec.From {
		if string(f.Group) == fromGroup && string(f.Kind) == fromKind && string(f.Namespace) == fromNS {
			from = true
			break
		}
	}
	if !from {
		return false
	}
	for _, t := range g.Spec.To {
		if string(t.Group) == toGroup && string(t.Kind) == toKind && (t.Name == nil || *t.Name == "" || string(*t.Name) == toName) {
			return true
		}
	}
	return false
}
