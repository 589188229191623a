package checks

// The ingress layer: the registry of its checks, and an Ingress's routes to
// its backends (a missing Service or port, a backend the API server rejects,
// no rules, two Ingresses claiming one route).

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ingressChecks are the checks that report on the ingress layer; All sorts them.
var ingressChecks = []*diagnose.Check{
	ingressBackendServiceMissing, ingressBackendPortMissing, ingressClassMissing,
	ingressTLSSecretMissing, ingressDuplicateHostPath, ingressNoRules, ingressBackendInvalid,
	ingressControllerUnavailable, ingressRewriteTargetCapture, ingressBackendProtocolMismatch, ingressCloudBackendType,
	ingressControllerLogUpstream,
}

var ingressBackendInvalid = &diagnose.Check{
	ID:       "ingress-backend-invalid",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress backend names neither a Service nor a resource, or a Service without a name or port: the API server rejects the Ingress.",
	Run:      runIngressBackendInvalid,
}

var ingressBackendServiceMissing = &diagnose.Check{
	ID:       "ingress-backend-service-missing",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress backend (rule path or defaultBackend) names a Service that is not in the Ingress's namespace.",
	Run:      runIngressBackendServiceMissing,
}

var ingressBackendPortMissing = &diagnose.Check{
	ID:       "ingress-backend-port-missing",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress backend names a port number or name that its Service does not have.",
	Run:      runIngressBackendPortMissing,
}

var ingressDuplicateHostPath = &diagnose.Check{
	ID:       "ingress-duplicate-host-path",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityWarning,
	Doc:      "Two Ingresses of the same class serve the same host, path and pathType; the controller routes to only one of them.",
	Run:      runIngressDuplicateHostPath,
}

var ingressNoRules = &diagnose.Check{
	ID:       "ingress-no-rules",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress has no rule with paths and no defaultBackend: it routes nothing.",
	Run:      runIngressNoRules,
}

// ingressBackendAt is one backend of an Ingress with where it sits: a rule
// path or the default backend, as text for evidence and as a JSON pointer
// for patches.
type ingressBackendAt struct {
	Where   string
	Pointer string
	Backend *networkingv1.IngressBackend
}

// ingressBackends lists every backend of ing that names a Service, rule
// paths first, then the default backend.
func ingressBackends(ing *networkingv1.Ingress) []ingressBackendAt {
	var out []ingressBackendAt
	for _, b := range snapshot.IngressBackends(ing) {
		if b.Backend.Service == nil || b.Backend.Service.Name == "" {
			// No Service to look up: ingress-backend-invalid reports it.
			continue
		}
		out = append(out, ingressBackendAt{Where: b.Where(), Pointer: b.Pointer(), Backend: b.Backend})
	}
	return out
}

func ingressPathText(p string) string {
	if p == "" {
		return "(any)"
	}
	return p
}

// ingressRoutes lists where backends sit, for a symptom line.
func ingressRoutes(backends []ingressBackendAt) string {
	var parts []string
	for _, b := range backends {
		parts = append(parts, b.Where)
	}
	return joinLimit(parts, maxListed)
}

func runIngressBackendServiceMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		ns := ing.Namespace
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		var missing []ingressBackendAt
		for _, b := range ingressBackends(ing) {
			if s.Service(ns, b.Backend.Service.Name) == nil {
				missing = append(missing, b)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if !s.Knows(snapshot.KindService, ns) {
			r.NotChecked(ref, fmt.Sprintf("the input has no Services in namespace %s: cannot tell whether backend %q exists", ns, missing[0].Backend.Service.Name))
			continue
		}
		r.Report(ingressServiceMissingFinding(s, ing, missing))
	}
}

func ingressServiceMissingFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, missing []ingressBackendAt) diagnose.Finding {
	ns := ing.Namespace
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	var existing []string
	for _, svc := range s.ServicesIn(ns) {
		existing = append(existing, svc.Name)
	}
	sort.Strings(existing)

	var evidence []string
	var ops []diagnose.JSONPatchOp
	allClose := true
	seen := keySet{}
	for _, b := range missing {
		name := b.Backend.Service.Name
		evidence = append(evidence, fmt.Sprintf("%s → Service %q port %s: no Service %q in namespace %s",
			b.Where, name, quotedBackendPort(b.Backend.Service.Port), name, ns))
		best, dist, ok := nearestName(name, existing)
		near := ok && typoOrSuffix(name, best)
		if near {
			ops = append(ops,
				diagnose.JSONPatchOp{Op: "test", Path: b.Pointer + "/service/name", Value: name},
				diagnose.JSONPatchOp{Op: "replace", Path: b.Pointer + "/service/name", Value: best})
		} else {
			allClose = false
		}
		if !seen.add(name) {
			continue
		}
		switch {
		case near:
			evidence = append(evidence, fmt.Sprintf("closest existing name: %q (edit distance %d from %q)", best, dist, name))
		case ok:
			evidence = append(evidence, fmt.Sprintf("closest existing name: %q (edit distance %d from %q: too far to assume it was meant)", best, dist, name))
		}
		for _, other := range s.NamespaceNames() {
			if other != ns && s.Service(other, name) != nil {
				evidence = append(evidence, fmt.Sprintf("a Service %q exists in namespace %s, but an Ingress can only route to Services in its own namespace (%s)", name, other, ns))
			}
		}
	}
	if len(existing) == 0 {
		evidence = append(evidence, fmt.Sprintf("namespace %s has no Services at all", ns))
	} else {
		evidence = append(evidence, fmt.Sprintf("Services in namespace %s: %s", ns, joinLimit(existing, maxListed)))
	}
	fix := diagnose.EditCmd(ref)
	if allClose && len(ops) > 0 {
		fix = diagnose.JSONPatchCmd(ref, ops...)
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("requests for %s fail at the ingress controller (HTTP 404 or 503, depending on the controller)", ingressRoutes(missing)),
		Cause:    fmt.Sprintf("Ingress %s routes to Service %q, which does not exist in namespace %s", ing.Name, missing[0].Backend.Service.Name, ns),
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.DescribeCmd(ref),
		Affects:  missingBackendsOnly(ing, missing),
		Origin:   originOf(s, ref),
	}
}

// missingBackendsOnly names the missing Services when other backends of ing
// exist: only the paths to the missing ones fail, and the paths to the
// others keep working. When every backend is missing, nil: the whole
// Ingress is broken.
func missingBackendsOnly(ing *networkingv1.Ingress, missing []ingressBackendAt) []snapshot.ObjectRef {
	if len(missing) == len(ingressBackends(ing)) {
		return nil
	}
	var refs []snapshot.ObjectRef
	seen := map[string]bool{}
	for _, b := range missing {
		name := b.Backend.Service.Name
		if !seen[name] {
			seen[name] = true
			refs = append(refs, snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ing.Namespace, Name: name})
		}
	}
	return refs
}

func runIngressBackendPortMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		var evidence []string
		var ops []diagnose.JSONPatchOp
		allFixed := true
		var first *ingressBackendAt
		for _, b := range ingressBackends(ing) {
			svc := s.Service(ing.Namespace, b.Backend.Service.Name)
			if svc == nil || (svc.Spec.Type == corev1.ServiceTypeExternalName && len(svc.Spec.Ports) == 0) {
				continue
			}
			port := b.Backend.Service.Port
			if port.Name == "" && port.Number == 0 {
				continue
			}
			if _, ok := backendServicePort(svc, port); ok {
				continue
			}
			if first == nil {
				b := b
				first = &b
			}
			evidence = append(evidence, fmt.Sprintf("%s → Service %s port %s", b.Where, svc.Name, quotedBackendPort(port)))
			evidence = append(evidence, fmt.Sprintf("Service %s ports: %s", svc.Name, strings.Join(servicePortsText(svc), "; ")))
			want, why, ok := ingressSuggestPort(svc, port)
			if !ok {
				allFixed = false
				continue
			}
			evidence = append(evidence, why)
			ops = append(ops,
				diagnose.JSONPatchOp{Op: "test", Path: b.Pointer + "/service/name", Value: svc.Name},
				diagnose.JSONPatchOp{Op: "replace", Path: b.Pointer + "/service/port", Value: map[string]int32{"number": want}})
		}
		if first == nil {
			continue
		}
		fix := diagnose.EditCmd(ref)
		if allFixed {
			fix = diagnose.JSONPatchCmd(ref, ops...)
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("requests for %s fail at the ingress controller (typically HTTP 503: it has no upstream for that port)", first.Where),
			Cause:    fmt.Sprintf("Ingress %s routes to port %s of Service %s, which the Service does not have", ing.Name, quotedBackendPort(first.Backend.Service.Port), first.Backend.Service.Name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.DescribeCmd(ref),
			Origin:   originOf(s, ref),
		})
	}
}

// ingressSuggestPort picks the Service port a wrong backend port most likely
// meant: the port whose targetPort is the number given (an Ingress names the
// Service port, not the container port), the port whose name is a typo of
// the name given, or the only port.
func ingressSuggestPort(svc *corev1.Service, port networkingv1.ServiceBackendPort) (int32, string, bool) {
	if port.Name == "" {
		for _, sp := range svc.Spec.Ports {
			t := snapshot.TargetPortOf(sp)
			if t.Type == intstr.Int && t.IntVal == port.Number {
				return sp.Port, fmt.Sprintf("%d is the targetPort of Service port %d: an Ingress backend names the Service port, not the container port", port.Number, sp.Port), true
			}
		}
	} else {
		for _, sp := range svc.Spec.Ports {
			if typoOrSuffix(port.Name, sp.Name) {
				return sp.Port, fmt.Sprintf("port name %q is close to the Service's port %q (%d)", port.Name, sp.Name, sp.Port), true
			}
		}
	}
	if len(svc.Spec.Ports) == 1 {
		return svc.Spec.Ports[0].Port, fmt.Sprintf("Service %s has one port, %d", svc.Name, svc.Spec.Ports[0].Port), true
	}
	return 0, "", false
}

// ingressInvalidBackend returns the API server's validation error for the
// backend at field, or "" when the backend is valid.
func ingressInvalidBackend(field string, b *networkingv1.IngressBackend) string {
	switch {
	case b.Service == nil && b.Resource == nil:
		return field + `: Invalid value: "": resource or service backend is required`
	case b.Service != nil && b.Resource != nil:
		return field + `: Invalid value: "": cannot set both resource and service backends`
	case b.Service == nil:
		return ""
	case b.Service.Name == "":
		return field + ".service.name: Required value"
	case b.Service.Port.Name != "" && b.Service.Port.Number != 0:
		return field + `: Invalid value: "": cannot set both port name & port number`
	case b.Service.Port.Name == "" && b.Service.Port.Number == 0:
		return field + ": Required value: port name or number is required"
	}
	return ""
}

func runIngressBackendInvalid(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		var evidence []string
		var first string
		check := func(where, field string, b *networkingv1.IngressBackend) {
			why := ingressInvalidBackend(field, b)
			if why == "" {
				return
			}
			if first == "" {
				first = why
			}
			evidence = append(evidence, where+": "+why)
		}
		for _, b := range snapshot.IngressBackends(ing) {
			check(b.Where(), b.Field(), b.Backend)
		}
		if len(evidence) == 0 {
			continue
		}
		evidence = append(evidence, "correct the backend where the Ingress is written, then apply it: a backend is `service: {name: <Service>, port: {number: <port>}}` (or `port: {name: <port name>}`), or a `resource` reference")
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("`kubectl apply` fails with `The Ingress %q is invalid: %s`: the Ingress is never created and routes nothing", ing.Name, first),
			Cause:    fmt.Sprintf("Ingress %s has a backend the API server rejects, so the whole Ingress is never created", ing.Name),
			Evidence: evidence,
			Fix:      rejectedManifestFix(s, ref),
			Verify:   diagnose.GetCmd(ref),
			Origin:   originOf(s, ref),
		})
	}
}

// ingressRoute is one host+path+pathType an Ingress serves.
type ingressRoute struct {
	ingress *networkingv1.Ingress
	class   string
	text    string
}

func runIngressDuplicateHostPath(s *snapshot.Snapshot, r *diagnose.Reporter) {
	byKey := map[string][]ingressRoute{}
	var keys []string
	for _, ing := range s.Ingresses {
		// A canary Ingress duplicates its main Ingress's routes on purpose.
		if ing.Annotations[nginxCanary] == "true" {
			continue
		}
		class, _, _ := classController(s, ing)
		seen := keySet{}
		for _, b := range snapshot.IngressBackends(ing) {
			if b.IsDefault() {
				continue
			}
			pt := networkingv1.PathTypeImplementationSpecific
			if b.Path.PathType != nil {
				pt = *b.Path.PathType
			}
			key := class + "\x00" + b.Host + "\x00" + b.Path.Path + "\x00" + string(pt)
			if !seen.add(key) {
				continue
			}
			if _, ok := byKey[key]; !ok {
				keys = append(keys, key)
			}
			byKey[key] = append(byKey[key], ingressRoute{ingress: ing, class: class,
				text: fmt.Sprintf("host %s path %s (%s)", b.Host, ingressPathText(b.Path.Path), pt)})
		}
	}
	conflicts := map[*networkingv1.Ingress][]string{}
	for _, key := range keys {
		routes := byKey[key]
		if len(routes) < 2 {
			continue
		}
		for _, rt := range routes {
			var others []string
			for _, o := range routes {
				if o.ingress != rt.ingress {
					others = append(others, snapshot.Ref(snapshot.KindIngress, o.ingress).String())
				}
			}
			class := rt.class
			if class == "" {
				class = "(none)"
			}
			conflicts[rt.ingress] = append(conflicts[rt.ingress],
				fmt.Sprintf("%s, class %s, is also served by %s", rt.text, class, joinLimit(others, maxListed)))
		}
	}
	for _, ing := range s.Ingresses {
		lines := conflicts[ing]
		if len(lines) == 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "requests for the shared host and path reach only one of the Ingresses' backends; the other Ingress's route is silently ignored",
			Cause:    fmt.Sprintf("Ingress %s and another Ingress of the same class serve the same host, path and pathType; the controller keeps one (ingress-nginx: the oldest)", ing.Name),
			Evidence: append(lines, "mark a deliberate canary with nginx.ingress.kubernetes.io/canary: \"true\", otherwise give each route one owner"),
			Fix:      diagnose.EditCmd(ref),
			Verify:   diagnose.Kubectl("get", "ingress", "-A", "-o", "wide"),
			Origin:   originOf(s, ref),
		})
	}
}

func runIngressNoRules(s *snapshot.Snapshot, r *diagnose.Reporter) {
	routed := ingressRoutedHosts(s)
	for _, ing := range s.Ingresses {
		if ing.Spec.DefaultBackend != nil {
			continue
		}
		paths := 0
		var hosts []string
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP != nil {
				paths += len(rule.HTTP.Paths)
			}
			if rule.Host != "" {
				hosts = append(hosts, rule.Host)
			}
		}
		if paths > 0 {
			continue
		}
		// An Ingress that only carries the certificate (or the host) for
		// hosts whose paths other Ingresses of its class route is a
		// common split: ingress-nginx merges every Ingress of a host into
		// one server, so the hosts are served and their TLS applies.
		if ingressHostsSupplied(s, ing, routed) {
			continue
		}
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		rules := "spec.rules: none"
		if len(ing.Spec.Rules) > 0 {
			rules = fmt.Sprintf("spec.rules: %d rule(s) without http paths", len(ing.Spec.Rules))
			if len(hosts) > 0 {
				rules += " (hosts " + joinLimit(hosts, maxListed) + ")"
			}
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "every request for this Ingress gets HTTP 404 from the ingress controller's default backend",
			Cause:    fmt.Sprintf("Ingress %s has no rule with paths and no defaultBackend, so it routes nothing", ing.Name),
			Evidence: []string{rules, "spec.defaultBackend: not set"},
			Fix:      diagnose.EditCmd(ref),
			Verify:   diagnose.DescribeCmd(ref),
			Origin:   originOf(s, ref),
		})
	}
}

// ingressHostKey is a host as one ingress class serves it.
type ingressHostKey struct{ class, host string }

// ingressRoutedHosts maps each host some Ingress routes paths for, per
// class, to the Ingresses that route it.
func ingressRoutedHosts(s *snapshot.Snapshot) map[ingressHostKey][]snapshot.ObjectRef {
	out := map[ingressHostKey][]snapshot.ObjectRef{}
	for _, ing := range s.Ingresses {
		class := ingressEffectiveClass(s, ing)
		for _, rule := range ing.Spec.Rules {
			if rule.Host != "" && rule.HTTP != nil && len(rule.HTTP.Paths) > 0 {
				k := ingressHostKey{class, rule.Host}
				out[k] = append(out[k], snapshot.Ref(snapshot.KindIngress, ing))
			}
		}
	}
	return out
}

// ingressEffectiveClass is the class an Ingress is served by: its own, or
// the cluster's one default class.
func ingressEffectiveClass(s *snapshot.Snapshot, ing *networkingv1.Ingress) string {
	if class, _ := ingressClassOf(ing); class != "" {
		return class
	}
	if defs := s.DefaultIngressClasses(); len(defs) == 1 {
		return defs[0].Name
	}
	return ""
}

// ingressHostsSupplied reports whether every host an Ingress names (in its
// rules or its TLS section) is routed by another Ingress of its class; false
// when it names no host.
func ingressHostsSupplied(s *snapshot.Snapshot, ing *networkingv1.Ingress, routed map[ingressHostKey][]snapshot.ObjectRef) bool {
	var hosts []string
	for _, rule := range ing.Spec.Rules {
		if rule.Host != "" {
			hosts = append(hosts, rule.Host)
		}
	}
	for _, t := range ing.Spec.TLS {
		hosts = append(hosts, t.Hosts...)
	}
	class := ingressEffectiveClass(s, ing)
	self := snapshot.Ref(snapshot.KindIngress, ing)
	for _, h := range hosts {
		byOther := false
		for _, ref := range routed[ingressHostKey{class, h}] {
			byOther = byOther || ref != self
		}
		if !byOther {
			return false
		}
	}
	return len(hosts) > 0
}
