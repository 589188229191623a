// Entry points are where the walk starts: every Ingress rule path, every
// Gateway API path (entries_gateway.go), then every Service not already
// walked behind either or exposed on its own; or just the ingress/NAME,
// service/NAME, gateway/NAME, httproute/NAME and URLs the user names. A name that does not
// exist is a usage error that says where it does.

package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// EntryError is a named entry point that does not exist or cannot be parsed;
// the CLI reports it as a usage error.
type EntryError struct{ Entry, Why string }

func (e *EntryError) Error() string { return fmt.Sprintf("entry %q: %s", e.Entry, e.Why) }

// entry is one traffic path's starting point.
type entry struct {
	label   string
	ingress *networkingv1.Ingress
	backend *networkingv1.IngressBackend // nil: an Ingress with nothing to route to
	service *corev1.Service
	gw      *gatewayPath // a Gateway API path (entries_gateway.go)
}

// backendService is the Service an Ingress entry routes to; false for a
// Service entry and for an Ingress whose backend is not a Service.
func (en entry) backendService() (snapshot.ObjectRef, bool) {
	if en.gw != nil {
		return en.gw.backendService()
	}
	if en.ingress == nil || en.backend == nil || en.backend.Service == nil {
		return snapshot.ObjectRef{}, false
	}
	return snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: en.ingress.Namespace, Name: en.backend.Service.Name}, true
}

// exposedOnItsOwn reports whether clients outside the cluster reach svc
// without an Ingress: through a node port or a cloud load balancer.
func exposedOnItsOwn(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// entries lists the entry points to walk: the ones the user named, or every
// one the snapshot holds in the namespaces asked about.
func (d *diagnosis) entries() ([]entry, error) {
	if len(d.opt.Entries) == 0 {
		return d.allEntries(), nil
	}
	ns := d.opt.Namespace
	if ns == "" {
		ns = "default"
	}
	var out []entry
	for _, raw := range d.opt.Entries {
		en, err := d.namedEntries(raw, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, en...)
	}
	return out, nil
}

// allEntries lists every Ingress path, then every Service not already behind
// one of them.
func (d *diagnosis) allEntries() []entry {
	var out []entry
	covered := map[snapshot.ObjectRef]bool{}
	for _, ing := range d.s.Ingresses {
		if !d.inNS(ing.Namespace) {
			continue
		}
		for _, en := range ingressEntries(ing) {
			if ref, ok := en.backendService(); ok {
				covered[ref] = true
			}
			out = append(out, en)
		}
	}
	out = append(out, d.gatewayEntries(covered)...)
	for _, svc := range d.s.Services {
		if !d.inNS(svc.Namespace) {
			continue
		}
		// A Service already walked behind an Ingress gets its own trace only
		// when it is also exposed on its own (NodePort, LoadBalancer).
		if covered[snapshot.Ref(snapshot.KindService, svc)] && !exposedOnItsOwn(svc) {
			continue
		}
		out = append(out, serviceEntry(svc))
	}
	return out
}

// serviceEntry is the entry point of a Service walked on its own.
func serviceEntry(svc *corev1.Service) entry {
	return entry{label: snapshot.Ref(snapshot.KindService, svc).String(), service: svc}
}

// ingressEntries lists every rule path of an Ingress, then its default
// backend; an Ingress with neither is one entry with no backend.
func ingressEntries(ing *networkingv1.Ingress) []entry {
	base := snapshot.Ref(snapshot.KindIngress, ing).String()
	var out []entry
	for _, b := range snapshot.IngressBackends(ing) {
		label := base + " (default backend)"
		if !b.IsDefault() {
			label = base + " " + b.Host + b.Path.Path
		}
		out = append(out, entry{label: label, ingress: ing, backend: b.Backend})
	}
	if len(out) == 0 {
		out = append(out, entry{label: base, ingress: ing})
	}
	return out
}

// namedEntries resolves one entry the user named (ingress/NAME and
// service/NAME in namespace ns, or a URL) to the paths it starts.
func (d *diagnosis) namedEntries(raw, ns string) ([]entry, error) {
	if isURLEntry(raw) {
		return d.urlEntries(raw)
	}
	kind, name, ok := strings.Cut(raw, "/")
	if !ok || name == "" {
		return nil, &EntryError{Entry: raw, Why: "want ingress/NAME, service/NAME, gateway/NAME, httproute/NAME or an http(s):// or grpc(s):// URL"}
	}
	if en, ok, err := d.namedGatewayEntries(raw, kind, name, ns); ok {
		return en, err
	}
	switch strings.ToLower(kind) {
	case "ingress", "ingresses", "ing":
		for _, ing := range d.s.IngressesIn(ns) {
			if ing.Name == name {
				return ingressEntries(ing), nil
			}
		}
		return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Ingress %q in namespace %q%s", name, ns, existsIn(d.s.Ingresses, name))}
	case "service", "services", "svc":
		svc := d.s.Service(ns, name)
		if svc == nil {
			return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Service %q in namespace %q%s", name, ns, existsIn(d.s.Services, name))}
		}
		return []entry{serviceEntry(svc)}, nil
	}
	return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("unknown kind %q: want ingress, service, gateway or a route kind (httproute, grpcroute, tlsroute, tcproute, udproute)", kind)}
}

// existsIn tells the user in which namespaces an object named name does
// exist, when it is not where they looked.
func existsIn[T metav1.Object](objects []T, name string) string {
	var namespaces []string
	for _, o := range objects {
		if o.GetName() == name {
			namespaces = append(namespaces, o.GetNamespace())
		}
	}
	if len(namespaces) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it exists in namespace %s: add -n %s)", strings.Join(namespaces, ", "), namespaces[0])
}
