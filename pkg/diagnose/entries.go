// Entry points are where the walk starts: every Ingress rule path and every
// Service exposed on its own, or the ingress/NAME, service/NAME and URLs the
// user names. A name that does not exist is a usage error that says where it
// does.

package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

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
}

func (w *walker) entries() ([]entry, error) {
	if len(w.opt.Entries) == 0 {
		return w.allEntries(), nil
	}
	ns := w.opt.Namespace
	if ns == "" {
		ns = "default"
	}
	var out []entry
	for _, raw := range w.opt.Entries {
		en, err := w.namedEntries(raw, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, en...)
	}
	return out, nil
}

func (w *walker) allEntries() []entry {
	var out []entry
	covered := map[snapshot.ObjectRef]bool{}
	for _, ing := range w.s.Ingresses {
		if !w.inNS(ing.Namespace) {
			continue
		}
		for _, en := range ingressEntries(ing) {
			if en.backend != nil && en.backend.Service != nil {
				covered[snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ing.Namespace, Name: en.backend.Service.Name}] = true
			}
			out = append(out, en)
		}
	}
	for _, svc := range w.s.Services {
		if !w.inNS(svc.Namespace) {
			continue
		}
		// A Service already walked behind an Ingress gets its own trace only
		// when it is also exposed on its own (NodePort, LoadBalancer).
		if covered[snapshot.Ref(snapshot.KindService, svc)] && svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		out = append(out, entry{label: snapshot.Ref(snapshot.KindService, svc).String(), service: svc})
	}
	return out
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

func (w *walker) namedEntries(raw, ns string) ([]entry, error) {
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		en, err := w.urlEntry(raw)
		if err != nil {
			return nil, err
		}
		return []entry{en}, nil
	}
	kind, name, ok := strings.Cut(raw, "/")
	if !ok || name == "" {
		return nil, &EntryError{Entry: raw, Why: "want ingress/NAME, service/NAME or an http(s):// URL"}
	}
	switch strings.ToLower(kind) {
	case "ingress", "ingresses", "ing":
		for _, ing := range w.s.IngressesIn(ns) {
			if ing.Name == name {
				return ingressEntries(ing), nil
			}
		}
		var elsewhere []string
		for _, ing := range w.s.Ingresses {
			if ing.Name == name {
				elsewhere = append(elsewhere, ing.Namespace)
			}
		}
		return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Ingress %q in namespace %q%s", name, ns, existsIn(elsewhere))}
	case "service", "services", "svc":
		svc := w.s.Service(ns, name)
		if svc == nil {
			var elsewhere []string
			for _, o := range w.s.Services {
				if o.Name == name {
					elsewhere = append(elsewhere, o.Namespace)
				}
			}
			return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Service %q in namespace %q%s", name, ns, existsIn(elsewhere))}
		}
		return []entry{{label: snapshot.Ref(snapshot.KindService, svc).String(), service: svc}}, nil
	}
	return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("unknown kind %q: want ingress or service", kind)}
}

// existsIn tells the user where a name they looked for does exist.
func existsIn(namespaces []string) string {
	if len(namespaces) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it exists in namespace %s: add -n %s)", strings.Join(namespaces, ", "), namespaces[0])
}
