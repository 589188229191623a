package snapshot

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
)

// IngressBackend is one place an Ingress routes to: a rule path, or the
// default backend. It is the one walk over an Ingress's backends that the
// engine's entry points and the ingress checks share.
type IngressBackend struct {
	// Rule and PathIndex locate a rule path; both are -1 for the default
	// backend.
	Rule, PathIndex int
	// Host is the rule's host, "*" when the rule has none.
	Host string
	// Path is the rule path, nil for the default backend.
	Path    *networkingv1.HTTPIngressPath
	Backend *networkingv1.IngressBackend
}

// IngressBackends lists every backend of ing: rule paths in order, then the
// default backend.
func IngressBackends(ing *networkingv1.Ingress) []IngressBackend {
	var out []IngressBackend
	for i, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		host := rule.Host
		if host == "" {
			host = "*"
		}
		for j := range rule.HTTP.Paths {
			p := &ing.Spec.Rules[i].HTTP.Paths[j]
			out = append(out, IngressBackend{Rule: i, PathIndex: j, Host: host, Path: p, Backend: &p.Backend})
		}
	}
	if b := ing.Spec.DefaultBackend; b != nil {
		out = append(out, IngressBackend{Rule: -1, PathIndex: -1, Backend: b})
	}
	return out
}

// IsDefault reports whether b is the Ingress's default backend.
func (b IngressBackend) IsDefault() bool { return b.Path == nil }

// Where says where the backend sits, for evidence: `rule host * path /app`
// or `defaultBackend`.
func (b IngressBackend) Where() string {
	if b.IsDefault() {
		return "defaultBackend"
	}
	p := b.Path.Path
	if p == "" {
		p = "(any)"
	}
	return fmt.Sprintf("rule host %s path %s", b.Host, p)
}

// Field is the backend's field path as the API server names it in
// validation errors.
func (b IngressBackend) Field() string {
	if b.IsDefault() {
		return "spec.defaultBackend"
	}
	return fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", b.Rule, b.PathIndex)
}

// Pointer is the backend's JSON pointer, for patches.
func (b IngressBackend) Pointer() string {
	if b.IsDefault() {
		return "/spec/defaultBackend"
	}
	return fmt.Sprintf("/spec/rules/%d/http/paths/%d/backend", b.Rule, b.PathIndex)
}
