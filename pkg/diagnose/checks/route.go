package checks

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The route layer: a route carries traffic only when a parentRef names a
// Gateway listener that accepts it (kind, namespace, hostname) and its
// backendRefs name Services and ports that exist, in the route's namespace or
// in one whose ReferenceGrant lets the route in. Each check is an analysis of
// one route; route-status-rejected runs them all to quote the controller only
// where the specification explains nothing.

var routeChecks = []*diagnose.Check{
	routeParentMissing, routeNotAllowed, routeHostnameMismatch, routeBackendServiceMissing,
	routeBackendPortMissing, routeBackendNotPermitted, routeBackendWeightsZero, routeStatusRejected,
}

// routeAnalysis judges one route; notChecked records what the input cannot
// tell.
type routeAnalysis func(s *snapshot.Snapshot, r *snapshot.Route, notChecked func(why string)) *diagnose.Finding

// perRoute runs an analysis over every route.
func perRoute(analyze routeAnalysis) func(*snapshot.Snapshot, *diagnose.Reporter) {
	return func(s *snapshot.Snapshot, rep *diagnose.Reporter) {
		for _, r := range s.Routes() {
			if f := analyze(s, r, func(why string) { rep.NotChecked(r.Ref, why) }); f != nil {
				rep.Report(*f)
			}
		}
	}
}

var routeParentMissing = &diagnose.Check{
	ID:       "route-parent-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A route has no parentRefs, or a parentRef names a Gateway (or ListenerSet) that does not exist or a sectionName/port no listener of it has.",
	Run:      perRoute(analyzeParentMissing),
}

var routeNotAllowed = &diagnose.Check{
	ID:       "route-not-allowed",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "No listener a parentRef selects admits the route: allowedRoutes.namespaces (Same, All, or a Selector on the route's Namespace labels) or the route kinds its protocol and allowedRoutes.kinds allow. One accepting listener is enough.",
	Run:      perRoute(analyzeNotAllowed),
}

var routeHostnameMismatch = &diagnose.Check{
	ID:       "route-hostname-mismatch",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "The listeners that would admit a route have hostnames that intersect none of the route's hostnames, so it is not accepted (NoMatchingListenerHostname).",
	Run:      perRoute(analyzeHostnameMismatch),
}

var routeBackendServiceMissing = &diagnose.Check{
	ID:       "route-backend-service-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A route backendRef names a Service that does not exist in its namespace: requests for that backend get HTTP 500.",
	Run:      perRoute(analyzeBackendServiceMissing),
}

var routeBackendPortMissing = &diagnose.Check{
	ID:       "route-backend-port-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A route backendRef to a Service has no port, or a port the Service does not expose (backendRefs name the Service port, not the targetPort).",
	Run:      perRoute(analyzeBackendPortMissing),
}

var routeBackendNotPermitted = &diagnose.Check{
	ID:       "route-backend-not-permitted",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A route backendRef names a Service in another namespace and no ReferenceGrant there permits the route: requests for it get HTTP 500 (RefNotPermitted); the fix is the ReferenceGrant.",
	Run:      perRoute(analyzeBackendNotPermitted),
}

var routeBackendWeightsZero = &diagnose.Check{
	ID:       "route-backend-weights-zero",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "Every backendRef of a route rule has weight 0, so the rule sends nothing anywhere and answers HTTP 500.",
	Run:      perRoute(analyzeBackendWeightsZero),
}

var routeStatusRejected = &diagnose.Check{
	ID:       "route-status-rejected",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "The controller's status says a parent did not accept the route or its refs do not resolve, for a reason the other route checks do not find in the spec (implementation-specific, or objects the input lacks); a stale verdict is a warning.",
	Run:      perRoute(analyzeStatusRejected),
}

// routeVerdict is what one analysis gathers while it reads a route's
// parents or backends: the first failure found is the headline cause, every
// failure adds its evidence and the objects it affects, and patch operations
// are kept where the fix is certain.
type routeVerdict struct {
	cause    string
	evidence []string
	affects  []snapshot.ObjectRef
	ops      []diagnose.JSONPatchOp
}

// because sets the headline cause unless an earlier failure set it.
func (v *routeVerdict) because(format string, args ...any) {
	if v.cause == "" {
		v.cause = fmt.Sprintf(format, args...)
	}
}

// finding is the verdict as a finding on route r, nil when nothing failed.
func (v *routeVerdict) finding(r *snapshot.Route, symptom, fix, verify string) *diagnose.Finding {
	if v.cause == "" {
		return nil
	}
	return &diagnose.Finding{Object: r.Ref, Affects: v.affects, Symptom: symptom, Cause: v.cause, Evidence: v.evidence, Fix: fix, Verify: verify}
}

// routeSymptom404 is what clients see when a route is attached nowhere.
const routeSymptom404 = "requests for the route's hostnames and paths get HTTP 404 from the Gateway: the route is not attached"

// nonForeign counts the parentRefs of r that name Gateway API parents.
func nonForeign(atts []snapshot.ParentAttachment) int {
	n := 0
	for _, a := range atts {
		if !a.Foreign {
			n++
		}
	}
	return n
}

// parentAffects narrows a finding about some parentRefs to the paths through
// them; a route with one parent needs no narrowing.
func parentAffects(atts []snapshot.ParentAttachment, targets []snapshot.ObjectRef) []snapshot.ObjectRef {
	if nonForeign(atts) <= 1 {
		return nil
	}
	return targets
}

// parentText describes parentRef i for evidence.
func parentText(a snapshot.ParentAttachment) string {
	t := fmt.Sprintf("spec.parentRefs[%d] → %s", a.Index, a.Target)
	if a.Parent.SectionName != nil {
		t += fmt.Sprintf(" sectionName %q", *a.Parent.SectionName)
	}
	if a.Parent.Port != nil {
		t += fmt.Sprintf(" port %d", *a.Parent.Port)
	}
	return t
}

// listenersText lists listeners for evidence.
func listenersText(ls []snapshot.Listener) string {
	if len(ls) == 0 {
		return "none"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.String()
	}
	return strings.Join(parts, "; ")
}

func analyzeParentMissing(s *snapshot.Snapshot, r *snapshot.Route, notChecked func(string)) *diagnose.Finding {
	if len(r.ParentRefs) == 0 {
		if r.DefaultGateways == gwv1.GatewayDefaultScopeAll {
			return nil
		}
		v := routeVerdict{evidence: []string{"spec.parentRefs is empty (and spec.useDefaultGateways is not All)"}}
		v.because("%s %s names no parent Gateway, so no Gateway serves it", r.Ref.Kind, r.Ref.Name)
		fix := diagnose.EditCmd(r.Ref)
		if len(s.Gateways) == 1 {
			gw := s.Gateways[0]
			v.evidence = append(v.evidence, fmt.Sprintf("the only Gateway in the input is %s/%s", gw.Namespace, gw.Name))
			fix = diagnose.MergePatchCmd(r.Ref, map[string]any{"spec": map[string]any{"parentRefs": []any{map[string]any{"name": gw.Name, "namespace": gw.Namespace}}}})
		}
		return v.finding(r, routeSymptom404, fix, diagnose.GetCmd(r.Ref, "-o", "yaml"))
	}
	atts := s.Attachments(r)
	var v routeVerdict
	for _, a := range atts {
		var why []string
		switch {
		case a.Foreign || (a.Set != nil && a.Gateway == nil):
			continue
		case a.Gateway == nil:
			if !s.Knows(a.Target.Kind, a.Target.Namespace) {
				notChecked(fmt.Sprintf("the input has no %s objects in namespace %s: cannot tell whether parent %s exists", a.Target.Kind, a.Target.Namespace, a.Target.Name))
				continue
			}
			why = append(why, fmt.Sprintf("%s: no %s %q in namespace %s", parentText(a), a.Target.Kind, a.Target.Name, a.Target.Namespace))
			why = append(why, gatewaysNear(s, a)...)
			v.because("%s %s names parent %s, which does not exist", r.Ref.Kind, r.Ref.Name, a.Target)
		case a.SetNotAllowed != "":
			why = append(why, fmt.Sprintf("%s: Gateway %s/%s does not attach the ListenerSet: allowedListeners.namespaces %s", parentText(a), a.Gateway.Namespace, a.Gateway.Name, a.SetNotAllowed))
			v.because("the route's parent ListenerSet %s is not attached to Gateway %s/%s, whose allowedListeners do not admit it", a.Target, a.Gateway.Namespace, a.Gateway.Name)
		case a.SelectsNothing():
			all := parentListeners(s, a)
			why = append(why, fmt.Sprintf("%s: no listener has that name and port", parentText(a)), "listeners: "+listenersText(all))
			v.because("%s %s names a listener of %s that does not exist", r.Ref.Kind, r.Ref.Name, a.Target)
			if fit := kindListeners(all, r.Ref.Kind); a.Parent.SectionName != nil && a.Parent.Port == nil && len(fit) == 1 {
				why = append(why, fmt.Sprintf("the only listener that carries %s is %q", r.Ref.Kind, fit[0].Spec.Name))
				p := fmt.Sprintf("/spec/parentRefs/%d/sectionName", a.Index)
				v.ops = append(v.ops, diagnose.JSONPatchOp{Op: "test", Path: p, Value: string(*a.Parent.SectionName)},
					diagnose.JSONPatchOp{Op: "replace", Path: p, Value: string(fit[0].Spec.Name)})
			}
		default:
			continue
		}
		v.evidence = append(v.evidence, why...)
		v.affects = append(v.affects, a.Target)
	}
	if v.cause == "" {
		return nil
	}
	fix := diagnose.EditCmd(r.Ref)
	if len(v.ops) > 0 && len(v.affects) == 1 {
		fix = diagnose.JSONPatchCmd(r.Ref, v.ops...)
	}
	v.affects = parentAffects(atts, v.affects)
	return v.finding(r, routeSymptom404, fix, diagnose.DescribeCmd(r.Ref))
}

// gatewaysNear says which Gateways a missing parent could have meant: those
// of its namespace, and one of that name elsewhere.
// namesInNamespace is the evidence line naming what a namespace holds of
// the kind a reference missed: closest to the wanted name first and
// bounded, since a shared namespace may hold dozens and the evidence must
// stay readable.
func namesInNamespace(kinds, none, ns, want string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf("namespace %s %s", ns, none)
	}
	return fmt.Sprintf("%s in namespace %s: %s", kinds, ns, joinLimit(closestNames(want, names, len(names)), maxListed))
}

func gatewaysNear(s *snapshot.Snapshot, a snapshot.ParentAttachment) []string {
	if a.Target.Kind != snapshot.KindGateway {
		return nil
	}
	var out []string
	var here []string
	for _, gw := range s.GatewaysIn(a.Target.Namespace) {
		here = append(here, gw.Name)
	}
	out = append(out, namesInNamespace("Gateways", "holds no Gateway", a.Target.Namespace, a.Target.Name, here))
	for _, gw := range s.Gateways {
		if gw.Name == a.Target.Name && gw.Namespace != a.Target.Namespace {
			out = append(out, fmt.Sprintf("Gateway %s exists in namespace %s: set spec.parentRefs[%d].namespace to %s (a parentRef defaults to the route's own namespace)", gw.Name, gw.Namespace, a.Index, gw.Namespace))
		}
	}
	return out
}

// parentListeners are the listeners a parentRef could select: those of the
// ListenerSet it names, or the Gateway's own.
func parentListeners(s *snapshot.Snapshot, a snapshot.ParentAttachment) []snapshot.Listener {
	var out []snapshot.Listener
	for _, l := range s.Listeners(a.Gateway) {
		if l.Set == a.Set {
			out = append(out, l)
		}
	}
	return out
}

// kindListeners are the listeners whose protocol and allowedRoutes carry kind.
func kindListeners(ls []snapshot.Listener, kind string) []snapshot.Listener {
	var out []snapshot.Listener
	for _, l := range ls {
		if ok, _ := snapshot.ListenerAllowsKind(l.Spec, kind); ok {
			out = append(out, l)
		}
	}
	return out
}

// unattached is a parentRef whose Gateway exists and whose selected
// listeners all reject the route, with the reason that decides which check
// reports it: a hostname rejection is the closest to working, then a
// namespace the input cannot judge, then kind or namespace.
type unattached struct {
	a       snapshot.ParentAttachment
	verdict snapshot.Rejection
}

func unattachedParents(s *snapshot.Snapshot, r *snapshot.Route) []unattached {
	var out []unattached
	for _, a := range s.Attachments(r) {
		if a.Foreign || a.Gateway == nil || a.SetNotAllowed != "" || len(a.Candidates) == 0 || a.Attached() {
			continue
		}
		v := snapshot.RejectedNamespace
		for _, rej := range a.Rejected {
			switch {
			case rej.Reason == snapshot.RejectedHostname:
				v = snapshot.RejectedHostname
			case rej.Reason == snapshot.RejectedNamespaceUnknown && v != snapshot.RejectedHostname:
				v = snapshot.RejectedNamespaceUnknown
			}
		}
		out = append(out, unattached{a: a, verdict: v})
	}
	return out
}

func analyzeNotAllowed(s *snapshot.Snapshot, r *snapshot.Route, notChecked func(string)) *diagnose.Finding {
	var v routeVerdict
	fix := ""
	nsLabelsShown := false
	for _, u := range unattachedParents(s, r) {
		switch u.verdict {
		case snapshot.RejectedHostname:
			continue
		case snapshot.RejectedNamespaceUnknown:
			notChecked(fmt.Sprintf("%s: a listener admits routes by the labels of namespace %s, which the input does not hold", parentText(u.a), r.Ref.Namespace))
			continue
		}
		v.evidence = append(v.evidence, parentText(u.a)+": no selected listener admits the route")
		byNamespace, bySelector := true, false
		for _, rej := range u.a.Rejected {
			v.evidence = append(v.evidence, rej.Why)
			byNamespace = byNamespace && rej.Reason == snapshot.RejectedNamespace
			bySelector = bySelector || (rej.Reason == snapshot.RejectedNamespace && selectsNamespaces(rej.Listener))
		}
		if bySelector && !nsLabelsShown {
			nsLabelsShown = true
			lbls, _ := s.NamespaceLabels(r.Ref.Namespace)
			v.evidence = append(v.evidence, fmt.Sprintf("namespace %s has labels %s (a Selector is matched against these, not the route's own labels)", r.Ref.Namespace, labels.Set(lbls).String()))
		}
		v.evidence = append(v.evidence, routeStatusEvidence(r, u.a, false)...)
		v.affects = append(v.affects, u.a.Target)
		if v.cause == "" {
			what := "kind"
			if byNamespace {
				what = "namespace"
				fix = namespaceFix(s, r, u.a.Rejected[0].Listener)
			}
			v.because("no listener of %s that the route selects admits %s %s/%s: their allowedRoutes reject its %s", u.a.Target, r.Ref.Kind, r.Ref.Namespace, r.Ref.Name, what)
		}
	}
	if v.cause == "" {
		return nil
	}
	if fix == "" {
		fix = diagnose.EditCmd(r.Ref)
	}
	v.affects = parentAffects(s.Attachments(r), v.affects)
	return v.finding(r, routeSymptom404, fix, diagnose.DescribeCmd(r.Ref))
}

// selectsNamespaces reports whether a listener admits routes by a
// namespace Selector.
func selectsNamespaces(l snapshot.Listener) bool {
	ar := l.Spec.AllowedRoutes
	return ar != nil && ar.Namespaces != nil && ar.Namespaces.From != nil && *ar.Namespaces.From == gwv1.NamespacesFromSelector
}

// namespaceFix admits the route's namespace on listener l: label the
// namespace when the listener selects namespaces by plain labels, else
// widen the listener to the route's namespace as well as its own.
func namespaceFix(s *snapshot.Snapshot, r *snapshot.Route, l snapshot.Listener) string {
	if ar := l.Spec.AllowedRoutes; selectsNamespaces(l) && ar.Namespaces.Selector != nil &&
		len(ar.Namespaces.Selector.MatchExpressions) == 0 && len(ar.Namespaces.Selector.MatchLabels) > 0 {
		args := []string{"label", "namespace", r.Ref.Namespace}
		keys := make([]string, 0, len(ar.Namespaces.Selector.MatchLabels))
		for k := range ar.Namespaces.Selector.MatchLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, k+"="+ar.Namespaces.Selector.MatchLabels[k])
		}
		return diagnose.Kubectl(args...)
	}
	owner := l.Owner()
	allowed := map[string]any{"namespaces": map[string]any{
		"from": string(gwv1.NamespacesFromSelector),
		"selector": map[string]any{"matchExpressions": []any{map[string]any{
			"key": corev1.LabelMetadataName, "operator": "In", "values": []string{owner.Namespace, r.Ref.Namespace},
		}}},
	}}
	if ar := l.Spec.AllowedRoutes; ar != nil && len(ar.Kinds) > 0 {
		allowed["kinds"] = ar.Kinds
	}
	p := fmt.Sprintf("/spec/listeners/%d", l.Index)
	return diagnose.JSONPatchCmd(owner,
		diagnose.JSONPatchOp{Op: "test", Path: p + "/name", Value: string(l.Spec.Name)},
		diagnose.JSONPatchOp{Op: "add", Path: p + "/allowedRoutes", Value: allowed})
}

func analyzeHostnameMismatch(s *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	var v routeVerdict
	var hostListener *snapshot.Listener
	for _, u := range unattachedParents(s, r) {
		if u.verdict != snapshot.RejectedHostname {
			continue
		}
		v.evidence = append(v.evidence, parentText(u.a)+": no selected listener serves the route's hostnames")
		for _, rej := range u.a.Rejected {
			v.evidence = append(v.evidence, rej.Why)
			if rej.Reason == snapshot.RejectedHostname && hostListener == nil {
				l := rej.Listener
				hostListener = &l
			}
		}
		v.evidence = append(v.evidence, routeStatusEvidence(r, u.a, false)...)
		v.affects = append(v.affects, u.a.Target)
		v.because("the hostnames of %s %s (%s) intersect no hostname of the listeners of %s that admit it", r.Ref.Kind, r.Ref.Name, hostnamesText(r.Hostnames), u.a.Target)
	}
	if v.cause == "" {
		return nil
	}
	fix := diagnose.EditCmd(r.Ref)
	if hostListener != nil && len(r.Hostnames) == 1 && !strings.HasPrefix(hostListener.Hostname(), "*") && len(v.affects) == 1 {
		fix = diagnose.JSONPatchCmd(r.Ref,
			diagnose.JSONPatchOp{Op: "test", Path: "/spec/hostnames/0", Value: string(r.Hostnames[0])},
			diagnose.JSONPatchOp{Op: "replace", Path: "/spec/hostnames/0", Value: hostListener.Hostname()})
	}
	v.affects = parentAffects(s.Attachments(r), v.affects)
	return v.finding(r, "requests for the route's hostnames get HTTP 404: no listener serves those names (the route is not Accepted: NoMatchingListenerHostname)", fix, diagnose.DescribeCmd(r.Ref))
}

func hostnamesText(hosts []gwv1.Hostname) string {
	if len(hosts) == 0 {
		return "any host"
	}
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = string(h)
	}
	return strings.Join(parts, ", ")
}

// routeStatusEvidence quotes the controller's verdict on parentRef a, and
// says when it contradicts the specification's (attached is what the spec
// implies).
func routeStatusEvidence(r *snapshot.Route, a snapshot.ParentAttachment, attached bool) []string {
	st := parentStatus(r, a)
	if st == nil {
		return nil
	}
	what := fmt.Sprintf("status.parents[%s] (%s)", a.Target, st.ControllerName)
	var out []string
	acc := condition(st.Conditions, string(gwv1.RouteConditionAccepted))
	if acc != nil {
		out = append(out, statusConditionLine(what, acc, r.Meta.Generation))
		if isTrue(acc) && !attached && !stale(acc, r.Meta.Generation) {
			out = append(out, "the controller reports Accepted=True for this parent, which contradicts the Gateway API rules above (an older controller, or a status left over from before the listener changed)")
		}
	}
	return out
}

// parentStatus finds the status entry of parentRef a, written by any
// controller.
func parentStatus(r *snapshot.Route, a snapshot.ParentAttachment) *gwv1.RouteParentStatus {
	if r.Status == nil {
		return nil
	}
	for i := range r.Status.Parents {
		st := &r.Status.Parents[i]
		ref, _ := snapshot.ParentTarget(r.Ref.Namespace, st.ParentRef)
		if ref == a.Target && sameSection(st.ParentRef, a.Parent) {
			return st
		}
	}
	return nil
}

func sameSection(a, b gwv1.ParentReference) bool {
	sa, sb := "", ""
	if a.SectionName != nil {
		sa = string(*a.SectionName)
	}
	if b.SectionName != nil {
		sb = string(*b.SectionName)
	}
	var pa, pb int32
	if a.Port != nil {
		pa = *a.Port
	}
	if b.Port != nil {
		pb = *b.Port
	}
	return sa == sb && pa == pb
}

// routeBackend is one Service backend of a route.
type routeBackend struct {
	rule    snapshot.RouteRule
	index   int
	ref     gwv1.BackendRef
	service snapshot.ObjectRef
}

func (b routeBackend) field() string { return b.rule.BackendField(b.index) }

// serviceBackends lists the backendRefs of r that name Services.
func serviceBackends(r *snapshot.Route) []routeBackend {
	var out []routeBackend
	for _, rule := range r.Rules {
		for i, b := range rule.Backends {
			if ref, ok := snapshot.BackendTarget(r.Ref.Namespace, b.BackendObjectReference); ok {
				out = append(out, routeBackend{rule: rule, index: i, ref: b, service: ref})
			}
		}
	}
	return out
}

// portText is a backendRef's port for evidence.
func routeBackendPortText(p *gwv1.PortNumber) string {
	if p == nil {
		return "(no port)"
	}
	return fmt.Sprint(*p)
}

func analyzeBackendServiceMissing(s *snapshot.Snapshot, r *snapshot.Route, notChecked func(string)) *diagnose.Finding {
	var v routeVerdict
	seen := map[snapshot.ObjectRef]bool{}
	for _, b := range serviceBackends(r) {
		if s.Service(b.service.Namespace, b.service.Name) != nil {
			continue
		}
		if !s.Knows(snapshot.KindService, b.service.Namespace) {
			notChecked(fmt.Sprintf("the input has no Services in namespace %s: cannot tell whether backend %s exists", b.service.Namespace, b.service.Name))
			continue
		}
		v.evidence = append(v.evidence, fmt.Sprintf("%s → Service %s port %s: no Service %q in namespace %s", b.field(), b.service.Name, routeBackendPortText(b.ref.Port), b.service.Name, b.service.Namespace))
		v.because("%s %s forwards to %s, which does not exist", r.Ref.Kind, r.Ref.Name, b.service)
		if seen[b.service] {
			continue
		}
		seen[b.service] = true
		v.affects = append(v.affects, b.service)
		var names []string
		for _, svc := range s.ServicesIn(b.service.Namespace) {
			names = append(names, svc.Name)
		}
		v.evidence = append(v.evidence, namesInNamespace("Services", "has no Services", b.service.Namespace, b.service.Name, names))
		for _, ns := range s.NamespaceNames() {
			if ns != b.service.Namespace && s.Service(ns, b.service.Name) != nil {
				v.evidence = append(v.evidence, fmt.Sprintf("a Service %q exists in namespace %s: set %s.namespace to %s, with a ReferenceGrant there that lets %s from %s in", b.service.Name, ns, b.field(), ns, r.Ref.Kind, r.Ref.Namespace))
			}
		}
	}
	return v.finding(r, "requests the rule sends to the missing backend get HTTP 500 from the Gateway (ResolvedRefs False, BackendNotFound)", diagnose.EditCmd(r.Ref), diagnose.DescribeCmd(r.Ref))
}

func analyzeBackendPortMissing(s *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	var v routeVerdict
	fixable := true
	for _, b := range serviceBackends(r) {
		svc := s.Service(b.service.Namespace, b.service.Name)
		if svc == nil || (svc.Spec.Type == corev1.ServiceTypeExternalName && len(svc.Spec.Ports) == 0) {
			continue
		}
		if b.ref.Port != nil && servicePort(svc, *b.ref.Port) != nil {
			continue
		}
		var ports []string
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, servicePortText(sp))
		}
		v.evidence = append(v.evidence, fmt.Sprintf("%s → %s port %s", b.field(), b.service, routeBackendPortText(b.ref.Port)),
			fmt.Sprintf("%s ports: %s", b.service, strings.Join(ports, "; ")))
		if b.ref.Port == nil {
			v.because("%s %s forwards to %s without a port; a Service backendRef must name one of its ports", r.Ref.Kind, r.Ref.Name, b.service)
		} else {
			v.because("%s %s forwards to %s on port %s, which the Service does not expose", r.Ref.Kind, r.Ref.Name, b.service, routeBackendPortText(b.ref.Port))
		}
		v.affects = append(v.affects, b.service)
		want, why, ok := suggestServicePort(svc, b.ref.Port)
		if !ok {
			fixable = false
			continue
		}
		v.evidence = append(v.evidence, why)
		p := b.rule.BackendPointer(b.index)
		v.ops = append(v.ops, diagnose.JSONPatchOp{Op: "test", Path: p + "/name", Value: string(b.ref.Name)},
			diagnose.JSONPatchOp{Op: "add", Path: p + "/port", Value: want})
	}
	fix := diagnose.EditCmd(r.Ref)
	if fixable && len(v.ops) > 0 {
		fix = diagnose.JSONPatchCmd(r.Ref, v.ops...)
	}
	return v.finding(r, "requests for that backend get HTTP 500 (or the route is rejected): the Gateway has no port to send them to", fix, diagnose.DescribeCmd(r.Ref))
}

func servicePort(svc *corev1.Service, port int32) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			return &svc.Spec.Ports[i]
		}
	}
	return nil
}

// suggestServicePort picks the Service port a backendRef meant: the port
// whose targetPort is the number given (a container port written where the
// Service port belongs), or the Service's only port.
func suggestServicePort(svc *corev1.Service, given *gwv1.PortNumber) (int32, string, bool) {
	if given != nil {
		var match []corev1.ServicePort
		for _, sp := range svc.Spec.Ports {
			if t := snapshot.TargetPortOf(sp); t.IntValue() == int(*given) {
				match = append(match, sp)
			}
		}
		if len(match) == 1 {
			return match[0].Port, fmt.Sprintf("%d is the targetPort of Service port %d: backendRefs name the Service port", *given, match[0].Port), true
		}
	}
	if len(svc.Spec.Ports) == 1 {
		return svc.Spec.Ports[0].Port, fmt.Sprintf("Service %s has one port, %d", svc.Name, svc.Spec.Ports[0].Port), true
	}
	return 0, "", false
}

func analyzeBackendNotPermitted(s *snapshot.Snapshot, r *snapshot.Route, notChecked func(string)) *diagnose.Finding {
	var v routeVerdict
	var manifests []string
	seen := map[snapshot.ObjectRef]bool{}
	for _, b := range serviceBackends(r) {
		if b.service.Namespace == r.Ref.Namespace || seen[b.service] {
			continue
		}
		seen[b.service] = true
		if s.ReferenceGrantFor(snapshot.GatewayGroup, r.Ref.Kind, r.Ref.Namespace, "", snapshot.KindService, b.service.Namespace, b.service.Name) != nil {
			continue
		}
		if !grantsKnown(s, b.service.Namespace) {
			notChecked(fmt.Sprintf("backend %s is in another namespace; the input holds nothing of namespace %s, so whether a ReferenceGrant permits it is unknown", b.service, b.service.Namespace))
			continue
		}
		v.evidence = append(v.evidence, fmt.Sprintf("%s → Service %s in namespace %s, not the route's namespace %s", b.field(), b.service.Name, b.service.Namespace, r.Ref.Namespace))
		v.evidence = append(v.evidence, grantsEvidence(s, b.service.Namespace)...)
		v.affects = append(v.affects, b.service)
		manifests = append(manifests, referenceGrant{fromKind: r.Ref.Kind, fromNS: r.Ref.Namespace, toKind: snapshot.KindService, toNS: b.service.Namespace, toName: b.service.Name}.yaml())
		v.because("%s %s/%s forwards to %s in another namespace, and no ReferenceGrant in %s lets %ss from %s refer to it", r.Ref.Kind, r.Ref.Namespace, r.Ref.Name, b.service, b.service.Namespace, r.Ref.Kind, r.Ref.Namespace)
	}
	if v.cause == "" {
		return nil
	}
	for _, a := range s.Attachments(r) {
		if st := parentStatus(r, a); st != nil {
			if c := condition(st.Conditions, string(gwv1.RouteConditionResolvedRefs)); c != nil {
				v.evidence = append(v.evidence, statusConditionLine(fmt.Sprintf("status.parents[%s]", a.Target), c, r.Meta.Generation))
			}
		}
	}
	return v.finding(r, "requests for the cross-namespace backend get HTTP 500: the Gateway may not send them there (ResolvedRefs False, RefNotPermitted)", diagnose.ApplyCmd(strings.Join(manifests, "---\n")), diagnose.DescribeCmd(r.Ref))
}

func analyzeBackendWeightsZero(_ *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	var v routeVerdict
	for _, rule := range r.Rules {
		if len(rule.Backends) == 0 {
			continue
		}
		zero := true
		for _, b := range rule.Backends {
			zero = zero && snapshot.BackendWeight(b) == 0
		}
		if !zero {
			continue
		}
		for i, b := range rule.Backends {
			ref, _ := snapshot.BackendTarget(r.Ref.Namespace, b.BackendObjectReference)
			v.evidence = append(v.evidence, fmt.Sprintf("%s %s weight 0", rule.BackendField(i), ref))
			v.affects = append(v.affects, ref)
		}
		p := rule.BackendPointer(0) + "/weight"
		v.ops = append(v.ops, diagnose.JSONPatchOp{Op: "test", Path: p, Value: 0}, diagnose.JSONPatchOp{Op: "replace", Path: p, Value: 1})
		v.because("every backend of %s of %s %s has weight 0, so the rule forwards nothing", rule.Field(), r.Ref.Kind, r.Ref.Name)
	}
	if v.cause == "" {
		return nil
	}
	return v.finding(r, "every request the rule matches gets HTTP 500 from the Gateway", diagnose.JSONPatchCmd(r.Ref, v.ops...), diagnose.GetCmd(r.Ref, "-o", "yaml"))
}

// listenerExplains reports whether a listener the parentRef selects is
// broken itself (a conflict, or a status that says it is not accepted,
// programmed or resolved): then the gateway layer's finding explains the
// route's rejection, and the route is only affected.
func listenerExplains(s *snapshot.Snapshot, a snapshot.ParentAttachment) bool {
	if a.Gateway == nil {
		return false
	}
	all := s.Listeners(a.Gateway)
	conflicts := listenerConflicts(all)
	selected := map[snapshot.ObjectRef]bool{}
	for _, l := range a.Candidates {
		selected[l.Ref()] = true
	}
	for i, l := range all {
		if !selected[l.Ref()] {
			continue
		}
		if _, ok := conflicts[i]; ok || isTrue(condition(l.Conditions, string(gwv1.ListenerConditionConflicted))) {
			return true
		}
		for _, t := range []gwv1.ListenerConditionType{gwv1.ListenerConditionAccepted, gwv1.ListenerConditionProgrammed, gwv1.ListenerConditionResolvedRefs} {
			if isFalse(condition(l.Conditions, string(t))) {
				return true
			}
		}
	}
	return false
}

// specAnalyses are the route checks that read the spec; the status check
// stays quiet when one of them explains the route.
var specAnalyses = []routeAnalysis{
	analyzeParentMissing, analyzeNotAllowed, analyzeHostnameMismatch, analyzeBackendServiceMissing,
	analyzeBackendPortMissing, analyzeBackendNotPermitted, analyzeBackendWeightsZero,
}

func analyzeStatusRejected(s *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	if r.Status == nil || len(r.Status.Parents) == 0 {
		return nil
	}
	quiet := func(string) {}
	for _, analyze := range specAnalyses {
		if analyze(s, r, quiet) != nil {
			return nil
		}
	}
	var v routeVerdict
	allStale := true
	atts := s.Attachments(r)
	for _, a := range atts {
		if a.Foreign {
			continue
		}
		st := parentStatus(r, a)
		if st == nil || listenerExplains(s, a) {
			continue
		}
		what := fmt.Sprintf("status.parents[%s] (%s)", a.Target, st.ControllerName)
		for _, t := range []gwv1.RouteConditionType{gwv1.RouteConditionAccepted, gwv1.RouteConditionResolvedRefs} {
			c := condition(st.Conditions, string(t))
			if !isFalse(c) {
				continue
			}
			v.evidence = append(v.evidence, statusConditionLine(what, c, r.Meta.Generation))
			allStale = allStale && stale(c, r.Meta.Generation)
			v.because("the controller %s reports %s=False (%s) for parent %s", st.ControllerName, t, c.Reason, a.Target)
			v.affects = append(v.affects, a.Target)
		}
	}
	if v.cause == "" {
		return nil
	}
	v.evidence = append(v.evidence, "the spec as hopscope reads it breaks no Gateway API rule: the reason is the implementation's own, or lies in objects the input does not hold")
	v.affects = parentAffects(atts, v.affects)
	f := v.finding(r, "requests for the route fail (HTTP 404 when it is not accepted, 500 for unresolved backends)", diagnose.EditCmd(r.Ref), diagnose.DescribeCmd(r.Ref))
	if allStale {
		f.Severity = diagnose.SeverityWarning
		f.Cause += "; that verdict is about an older generation of the route, so it may already be fixed"
	}
	return f
}
