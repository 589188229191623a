// Gateway API entry points: every Gateway with the routes its listeners
// accept, one path per route rule and backend, and the routes that attach to
// no Gateway at all (their path starts at the route). gateway/NAME and
// httproute/NAME (grpcroute, tlsroute, tcproute, udproute) name them.

package diagnose

import (
	"fmt"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// gatewayPath is where a Gateway API entry starts: the Gateway a parentRef
// leads to (with the listeners that accept the route), the route, and one
// rule and backend of it.
type gatewayPath struct {
	// gateway is nil when the route's parent is not in the input.
	gateway *gwv1.Gateway
	// attach is how the route attaches through the parentRef walked; nil
	// for a Gateway without routes and for a route without parentRefs.
	attach *snapshot.ParentAttachment
	// route is nil for a Gateway that no route names.
	route *snapshot.Route
	// rule and backend index the route's rules and the rule's backendRefs;
	// backend is -1 for a rule without backends.
	rule, backend int
	// listener, when set, is the listener a URL entry chose.
	listener *snapshot.Listener
}

// backendService is the Service the path forwards to, if its backend is one.
func (p *gatewayPath) backendService() (snapshot.ObjectRef, bool) {
	if p.route == nil || p.backend < 0 {
		return snapshot.ObjectRef{}, false
	}
	b := p.route.Rules[p.rule].Backends[p.backend]
	return snapshot.BackendTarget(p.route.Ref.Namespace, b.BackendObjectReference)
}

// gatewayEntries lists the Gateway API paths of the namespaces asked about
// and marks the Services they reach as covered, so that those are not walked
// a second time on their own. A route is walked once per Gateway it names;
// its parentRefs to Gateways the input does not hold are walked from the
// route.
func (d *diagnosis) gatewayEntries(covered map[snapshot.ObjectRef]bool) []entry {
	type routeVia struct {
		route   *snapshot.Route
		gateway *gwv1.Gateway
	}
	var out []entry
	walked := map[routeVia]bool{}
	for _, gw := range d.s.Gateways {
		for _, en := range d.entriesOfGateway(gw) {
			if en.gw.route != nil {
				walked[routeVia{en.gw.route, gw}] = true
			}
			if d.inNS(gw.Namespace) || (en.gw.route != nil && d.inNS(en.gw.route.Ref.Namespace)) {
				out = append(out, en)
			}
		}
	}
	for _, r := range d.s.Routes() {
		if !d.inNS(r.Ref.Namespace) {
			continue
		}
		for _, en := range d.entriesOfRoute(r) {
			if !walked[routeVia{r, en.gw.gateway}] {
				out = append(out, en)
			}
		}
	}
	for _, en := range out {
		if ref, ok := en.backendService(); ok {
			covered[ref] = true
		}
	}
	return out
}

// entriesOfGateway lists the paths through gw: each route that names it (or
// one of its ListenerSets), once per rule and backend; a Gateway that no
// route names is one path of its own.
func (d *diagnosis) entriesOfGateway(gw *gwv1.Gateway) []entry {
	gwRef := snapshot.Ref(snapshot.KindGateway, gw)
	parents := []snapshot.ObjectRef{gwRef}
	for _, set := range d.s.ListenerSetsOf(gw) {
		parents = append(parents, snapshot.Ref(snapshot.KindListenerSet, set))
	}
	var out []entry
	seen := map[*snapshot.Route]bool{}
	for _, parent := range parents {
		for _, r := range d.s.RoutesOf(parent) {
			if seen[r] {
				continue
			}
			seen[r] = true
			if a := chooseAttachment(d.s.Attachments(r), parents); a != nil {
				out = append(out, routePaths(gw, a, r)...)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, entry{label: gwRef.String() + " (no route attaches to it)", gw: &gatewayPath{gateway: gw, backend: -1}})
	}
	return out
}

// chooseAttachment picks, among a route's parentRefs naming one of parents,
// the one to walk: the first that some listener accepts, else the first.
func chooseAttachment(all []snapshot.ParentAttachment, parents []snapshot.ObjectRef) *snapshot.ParentAttachment {
	var first *snapshot.ParentAttachment
	for i := range all {
		a := &all[i]
		named := false
		for _, p := range parents {
			named = named || a.Target == p
		}
		if !named {
			continue
		}
		if a.Attached() {
			return a
		}
		if first == nil {
			first = a
		}
	}
	return first
}

// entriesOfRoute lists the paths of a route: one set per Gateway (or
// missing parent) its parentRefs name, or one without a Gateway when it
// names none the Gateway API knows.
func (d *diagnosis) entriesOfRoute(r *snapshot.Route) []entry {
	var out []entry
	atts := d.s.Attachments(r)
	seen := map[snapshot.ObjectRef]bool{}
	for i := range atts {
		a := &atts[i]
		if a.Foreign {
			continue
		}
		key := a.Target
		if a.Gateway != nil {
			key = snapshot.Ref(snapshot.KindGateway, a.Gateway)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if a.Gateway != nil {
			a = chooseAttachment(atts, []snapshot.ObjectRef{key, a.Target})
		}
		out = append(out, routePaths(a.Gateway, a, r)...)
	}
	if len(out) == 0 {
		out = routePaths(nil, nil, r)
	}
	return out
}

// routePaths makes one entry per rule and backend of r reached through
// attachment a of Gateway gw (either may be nil).
func routePaths(gw *gwv1.Gateway, a *snapshot.ParentAttachment, r *snapshot.Route) []entry {
	var out []entry
	for i, rule := range r.Rules {
		if len(rule.Backends) == 0 {
			p := &gatewayPath{gateway: gw, attach: a, route: r, rule: i, backend: -1}
			out = append(out, entry{label: pathLabel(p), gw: p})
			continue
		}
		for j := range rule.Backends {
			p := &gatewayPath{gateway: gw, attach: a, route: r, rule: i, backend: j}
			out = append(out, entry{label: pathLabel(p), gw: p})
		}
	}
	if len(out) == 0 {
		p := &gatewayPath{gateway: gw, attach: a, route: r, backend: -1}
		out = append(out, entry{label: pathLabel(p), gw: p})
	}
	return out
}

// pathLabel names a Gateway API path the way an engineer reads it:
// `HTTPRoute/shop/store via Gateway/infra/eg www.example.com/api → Service/shop/api:8080`.
func pathLabel(p *gatewayPath) string {
	var b strings.Builder
	b.WriteString(p.route.Ref.String())
	switch {
	case p.attach != nil:
		b.WriteString(" via " + p.attach.Target.String())
		if p.gateway == nil {
			b.WriteString(" (not found)")
		}
	case len(p.route.ParentRefs) == 0:
		b.WriteString(" (no parentRefs)")
	}
	if len(p.route.Rules) == 0 {
		return b.String() + " (no rules)"
	}
	b.WriteString(" " + ruleWhere(p))
	if p.backend < 0 {
		return b.String() + " (no backendRefs)"
	}
	rule := p.route.Rules[p.rule]
	back := rule.Backends[p.backend]
	target, _ := snapshot.BackendTarget(p.route.Ref.Namespace, back.BackendObjectReference)
	b.WriteString(" → " + target.String())
	if back.Port != nil {
		fmt.Fprintf(&b, ":%d", *back.Port)
	}
	if len(rule.Backends) > 1 {
		fmt.Fprintf(&b, " (weight %d)", snapshot.BackendWeight(back))
	}
	return b.String()
}

// ruleWhere says what requests a rule serves: host and first path for an
// HTTPRoute, host and first method for a GRPCRoute, host for a TLSRoute,
// the rule index for TCP and UDP.
func ruleWhere(p *gatewayPath) string {
	r := p.route
	host := "*"
	if p.attach != nil && len(p.attach.Accepted) > 0 && len(p.attach.Accepted[0].Hostnames) > 0 {
		host = p.attach.Accepted[0].Hostnames[0]
	} else if len(r.Hostnames) > 0 {
		host = string(r.Hostnames[0])
	}
	switch {
	case r.HTTP != nil:
		path := "/"
		if rule := r.HTTP.Spec.Rules[p.rule]; len(rule.Matches) > 0 && rule.Matches[0].Path != nil && rule.Matches[0].Path.Value != nil {
			path = *rule.Matches[0].Path.Value
		}
		return host + path
	case r.GRPC != nil:
		method := "/*"
		if rule := r.GRPC.Spec.Rules[p.rule]; len(rule.Matches) > 0 && rule.Matches[0].Method != nil {
			m := rule.Matches[0].Method
			method = "/" + deref(m.Service, "*") + "/" + deref(m.Method, "*")
		}
		return host + method
	case r.HasHostnames():
		return host
	}
	name := r.Rules[p.rule].Name
	if name == "" {
		name = fmt.Sprint(p.rule)
	}
	return "rule " + name
}

func deref(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

// routeKindOf maps the kinds a user types to a route kind.
func routeKindOf(kind string) (string, bool) {
	switch strings.ToLower(kind) {
	case "httproute", "httproutes":
		return snapshot.KindHTTPRoute, true
	case "grpcroute", "grpcroutes":
		return snapshot.KindGRPCRoute, true
	case "tlsroute", "tlsroutes":
		return snapshot.KindTLSRoute, true
	case "tcproute", "tcproutes":
		return snapshot.KindTCPRoute, true
	case "udproute", "udproutes":
		return snapshot.KindUDPRoute, true
	}
	return "", false
}

// namedGatewayEntries resolves gateway/NAME and ROUTEKIND/NAME in namespace
// ns; ok is false when kind is none of them.
func (d *diagnosis) namedGatewayEntries(raw, kind, name, ns string) (out []entry, ok bool, err error) {
	if k := strings.ToLower(kind); k == "gateway" || k == "gateways" || k == "gtw" {
		gw := d.s.Gateway(ns, name)
		if gw == nil {
			return nil, true, &EntryError{Entry: raw, Why: fmt.Sprintf("no Gateway %q in namespace %q%s%s", name, ns, existsIn(d.s.Gateways, name), d.gatewayAPIMissing())}
		}
		return d.entriesOfGateway(gw), true, nil
	}
	routeKind, isRoute := routeKindOf(kind)
	if !isRoute {
		return nil, false, nil
	}
	r := d.s.Route(snapshot.ObjectRef{Kind: routeKind, Namespace: ns, Name: name})
	if r == nil {
		var elsewhere []string
		for _, other := range d.s.Routes() {
			if other.Ref.Kind == routeKind && other.Ref.Name == name {
				elsewhere = append(elsewhere, other.Ref.Namespace)
			}
		}
		hint := ""
		if len(elsewhere) > 0 {
			hint = fmt.Sprintf(" (it exists in namespace %s: add -n %s)", strings.Join(elsewhere, ", "), elsewhere[0])
		}
		return nil, true, &EntryError{Entry: raw, Why: fmt.Sprintf("no %s %q in namespace %q%s%s", routeKind, name, ns, hint, d.gatewayAPIMissing())}
	}
	return d.entriesOfRoute(r), true, nil
}

// gatewayAPIMissing explains an empty Gateway API input: a cluster without
// the CRDs, or a scan that could not list them.
func (d *diagnosis) gatewayAPIMissing() string {
	if why, ok := d.s.NotServed[snapshot.GatewayGroup]; ok {
		return ": " + why
	}
	if why, ok := d.s.Forbidden[snapshot.KindGateway]; ok {
		return ": " + why
	}
	return ""
}
