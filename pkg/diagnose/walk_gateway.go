// The walk of a Gateway API path: the Gateway (and the ListenerSet) whose
// listener takes the request, the route, then the backend Service and
// everything below it exactly as behind an Ingress (walk.go). A backend with
// no ready endpoint is the Service path's finding: the route answers 503 for
// it because the layers below are broken, not because the route is wrong.

package diagnose

import (
	"fmt"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// walkGatewayPath follows one Gateway API entry down the layers.
func (d *diagnosis) walkGatewayPath(en entry) Trace {
	p := en.gw
	t := Trace{Entry: en.label}
	d.scope = d.gatewayScope(p)

	switch {
	case p.gateway != nil:
		gwRef := snapshot.Ref(snapshot.KindGateway, p.gateway)
		h := d.hop(LayerGateway, gwRef)
		h.Reason = joinReason(h.Reason, d.listenerReason(p))
		t.Hops = append(t.Hops, h)
		if p.attach != nil && p.attach.Set != nil {
			t.Hops = append(t.Hops, d.hop(LayerGateway, snapshot.Ref(snapshot.KindListenerSet, p.attach.Set)))
		}
	case p.attach != nil:
		t.Hops = append(t.Hops, Hop{Layer: LayerGateway, Object: p.attach.Target, Status: StatusNotChecked, Reason: d.missingParentWhy(p.attach)})
	}
	if p.route == nil {
		return d.judge(t, false)
	}
	rh := d.hop(LayerRoute, p.route.Ref)
	rh.Reason = joinReason(rh.Reason, routeReason(p))
	t.Hops = append(t.Hops, rh)
	if p.backend < 0 {
		return d.judge(t, false)
	}
	svcRef, isService := p.backendService()
	if !isService {
		t.Hops[len(t.Hops)-1].Reason = joinReason(rh.Reason, fmt.Sprintf("backend is a %s, not a Service: not followed", svcRef.Kind))
		return d.judge(t, false)
	}
	svc := d.s.Service(svcRef.Namespace, svcRef.Name)
	if svc == nil {
		h := d.missingServiceHop(svcRef)
		if d.s.Live && !d.s.Knows(snapshot.KindService, svcRef.Namespace) {
			h.Reason += fmt.Sprintf(" (the scan did not read namespace %s: add -A or -n %s)", svcRef.Namespace, svcRef.Namespace)
		}
		t.Hops = append(t.Hops, h)
		return d.judge(t, false)
	}
	return d.judge(t, d.walkService(&t, svc))
}

// gatewayScope is what the path's findings may concern: the parent, the
// Gateway, the listeners the request can enter through, the route and the
// backend. Listener findings (Affects naming a listener) break only paths
// through that listener; route findings about one parentRef or one backend
// (or one port of a backend Service) break only the paths through those.
func (d *diagnosis) gatewayScope(p *gatewayPath) map[snapshot.ObjectRef]bool {
	scope := map[snapshot.ObjectRef]bool{}
	if p.gateway != nil {
		scope[snapshot.Ref(snapshot.KindGateway, p.gateway)] = true
	}
	if p.attach != nil {
		scope[p.attach.Target] = true
	}
	var listeners []snapshot.Listener
	switch {
	case p.listener != nil:
		listeners = []snapshot.Listener{*p.listener}
	case p.attach != nil:
		for _, a := range p.attach.Accepted {
			listeners = append(listeners, a.Listener)
		}
		if len(listeners) == 0 {
			listeners = p.attach.Candidates
		}
	case p.gateway != nil:
		listeners = d.s.Listeners(p.gateway)
	}
	for _, l := range listeners {
		scope[l.Ref()] = true
	}
	if p.route != nil {
		scope[p.route.Ref] = true
	}
	if p.route != nil && p.backend >= 0 {
		ref, _ := p.backendService()
		scope[ref] = true
		if port := p.route.Rules[p.rule].Backends[p.backend].Port; port != nil {
			scope[snapshot.ServicePortRef(ref, int32(*port))] = true
		}
	}
	return scope
}

// listenerReason says which listeners take the path's traffic.
func (d *diagnosis) listenerReason(p *gatewayPath) string {
	switch {
	case p.listener != nil:
		return p.listener.String() + " takes the request"
	case p.attach == nil:
		n := len(d.s.Listeners(p.gateway))
		return fmt.Sprintf("%d listener(s); no route names this Gateway", n)
	case p.attach.SetNotAllowed != "":
		return "ListenerSet " + p.attach.Target.Name + " is not attached: " + p.attach.SetNotAllowed
	case len(p.attach.Accepted) == 0:
		return "no listener accepts the route"
	}
	var names []string
	for _, a := range p.attach.Accepted {
		names = append(names, a.Listener.String())
	}
	return strings.Join(names, "; ") + " accept(s) the route"
}

// routeReason says what the walked rule does with the request.
func routeReason(p *gatewayPath) string {
	if len(p.route.Rules) == 0 {
		return "the route has no rules"
	}
	rule := p.route.Rules[p.rule]
	if p.backend < 0 {
		return rule.Field() + " has no backendRefs: nothing is forwarded"
	}
	b := rule.Backends[p.backend]
	target, _ := snapshot.BackendTarget(p.route.Ref.Namespace, b.BackendObjectReference)
	port := ""
	if b.Port != nil {
		port = fmt.Sprintf(" port %d", *b.Port)
	}
	out := fmt.Sprintf("%s → %s%s", rule.BackendField(p.backend), target, port)
	if len(rule.Backends) > 1 {
		var total int32
		for _, o := range rule.Backends {
			total += snapshot.BackendWeight(o)
		}
		out += fmt.Sprintf(" (weight %d of %d)", snapshot.BackendWeight(b), total)
	}
	return out
}

// missingParentWhy says why a route's parent has no hop of its own.
func (d *diagnosis) missingParentWhy(a *snapshot.ParentAttachment) string {
	ref := a.Target
	if a.Set != nil {
		// The ListenerSet exists; its Gateway does not.
		return fmt.Sprintf("ListenerSet %s/%s names Gateway %s, which is not in the input", a.Set.Namespace, a.Set.Name, a.Set.Spec.ParentRef.Name)
	}
	if !d.s.Knows(ref.Kind, ref.Namespace) {
		return d.unknownWhy(ref.Kind, ref.Namespace)
	}
	return fmt.Sprintf("no %s %q in namespace %s", ref.Kind, ref.Name, ref.Namespace)
}
