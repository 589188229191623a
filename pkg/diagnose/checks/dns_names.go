package checks

// Service names in env values and ConfigMaps that do not resolve: a wrong
// namespace, a typo or renamed Service, or a deleted one.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var dnsNameUnresolvable = &diagnose.Check{
	ID:       "dns-name-unresolvable",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc: "An env value or ConfigMap entry names a Service (name, name.ns, name.ns.svc...) that does not exist where the name resolves. " +
		"A live scan scoped with -n looks into the namespace a name points to with one GET of the Namespace and one LIST of its Services.",
	Run: runDNSNameUnresolvable,
}

// dnsSource is where a name was found: an env var of a container, or a key
// of a ConfigMap.
type dnsSource struct {
	Object    snapshot.ObjectRef // the workload, pod or ConfigMap a fix changes
	Var       string
	Value     string
	Container string
	// patchPath is the JSON pointer of the env value in Object, empty when
	// the object cannot be patched there (a bare pod).
	patchPath string
	configMap bool
	// authoritative is true when the namespace's Services in the input are
	// all of them (cluster state rather than manifests).
	authoritative bool
	// namespaceAbsent is true when the name's namespace does not exist
	// (dnsNamespaceAbsent).
	namespaceAbsent bool
}

func runDNSNameUnresolvable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := namespaceSet(s)
	stateNS := map[string]bool{}
	for _, p := range s.Pods {
		if hasStatus(p) {
			stateNS[p.Namespace] = true
		}
	}
	authoritative := func(ns string) bool { return s.Live || s.ClusterDump() || stateNS[ns] }
	namespacesListed := dnsNamespacesListed(s)
	seen := keySet{}
	judge := func(src dnsSource, podNS string) {
		ref, ok := parseServiceHost(s, src.Var, src.Value, podNS, namespaces)
		if !ok {
			return
		}
		src.namespaceAbsent = dnsNamespaceAbsent(s, ref, podNS, namespaces, namespacesListed || dnsNamespaceLookedUp(s, ref.Namespace))
		if !src.namespaceAbsent && !s.Knows(snapshot.KindService, ref.Namespace) {
			// A live scan looked into the namespace and was refused (or
			// the bound on namespaces to follow cut it): say so where
			// the name is, not only in the scan's summary.
			if why, refused := s.Forbidden[snapshot.KindService+"/"+ref.Namespace]; refused && s.Live && seen.add("refused/"+src.Object.String()+"/"+src.Var) {
				r.NotChecked(src.Object, fmt.Sprintf("%s=%s names Service %s in namespace %s, whose Services were not checked: %s",
					src.Var, src.Value, ref.Service, ref.Namespace, why))
			}
			return
		}
		if !src.namespaceAbsent && s.Service(ref.Namespace, ref.Service) != nil {
			return
		}
		// A file that holds no Service of the namespace at all says
		// nothing about it, even in a dump: it may have been left out.
		if !src.namespaceAbsent && !s.Live && len(s.ServicesIn(ref.Namespace)) == 0 {
			return
		}
		key := src.Object.String() + "/" + src.Container + "/" + src.Var
		if !seen.add(key) {
			return
		}
		src.authoritative = authoritative(ref.Namespace)
		dnsJudge(s, r, src, ref, podNS, namespaces)
	}
	dnsNameSources(s, judge)
}

// dnsNameSources calls judge with every value that may name a Service and
// the namespace a bare name in it resolves in: the env values of the
// containers of pods that use the cluster DNS, and the entries of
// ConfigMaps outside kube-* namespaces.
func dnsNameSources(s *snapshot.Snapshot, judge func(src dnsSource, podNS string)) {
	for _, p := range s.Pods {
		if !dnsUsesClusterDNS(p) {
			continue
		}
		target, specPath := fixTarget(s, p)
		for _, c := range containersOf(p) {
			for j, e := range c.Spec.Env {
				if e.ValueFrom != nil || e.Value == "" {
					continue
				}
				src := dnsSource{Object: target, Var: e.Name, Value: e.Value, Container: c.Spec.Name}
				if target.Kind != snapshot.KindPod {
					src.patchPath = fmt.Sprintf("%s%s/env/%d/value", specPath, c.specPath(), j)
				}
				judge(src, p.Namespace)
			}
		}
	}
	for _, cm := range s.ConfigMaps {
		if strings.HasPrefix(cm.Namespace, "kube-") {
			continue
		}
		for _, k := range sortedKeys(cm.Data) {
			judge(dnsSource{Object: snapshot.Ref(snapshot.KindConfigMap, cm), Var: k, Value: cm.Data[k], configMap: true}, cm.Namespace)
		}
	}
}

// dnsUsesClusterDNS reports whether p resolves names through the cluster
// DNS with its namespace's search path; pods on the node's resolver (dnsPolicy
// Default, host network without ClusterFirstWithHostNet) or with their own
// (None) resolve names some other way.
func dnsUsesClusterDNS(p *corev1.Pod) bool {
	switch p.Spec.DNSPolicy {
	case corev1.DNSDefault, corev1.DNSNone:
		return false
	case corev1.DNSClusterFirstWithHostNet:
		return true
	}
	return !p.Spec.HostNetwork
}

// dnsJudge reports a name whose Service is absent where it resolves, when
// the input proves it: the Service exists in another namespace (wrong
// namespace), one with a near-identical name exists (a typo), or the input
// is cluster state that lists every Service (deleted). Manifests that simply
// do not include the Service prove nothing.
func dnsJudge(s *snapshot.Snapshot, r *diagnose.Reporter, src dnsSource, ref serviceHost, podNS string, namespaces map[string]bool) {
	var elsewhere []string
	nsNames := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		nsNames = append(nsNames, ns)
	}
	sort.Strings(nsNames)
	for _, ns := range nsNames {
		if ns != ref.Namespace && s.Service(ns, ref.Service) != nil {
			elsewhere = append(elsewhere, ns)
		}
	}
	var existing []string
	for _, svc := range s.ServicesIn(ref.Namespace) {
		existing = append(existing, svc.Name)
	}
	closest := closestNames(ref.Service, existing, 3)
	typo := len(closest) > 0 && typoOrStem(ref.Service, closest[0])
	var renamed []string
	if !typo {
		if ext, why := dnsRenamedService(s, ref); ext != "" {
			// Charts name a component's Services after it with a suffix
			// (redis → redis-master, redis-headless); an upgrade that adds
			// one leaves clients on the old, bare name.
			closest = dedupe(append([]string{ext}, closest...))
			typo, renamed = true, why
		}
	}
	if len(elsewhere) == 0 && !typo && !(src.authoritative && ref.Strong) && !src.namespaceAbsent {
		if !src.authoritative && ref.Strong {
			r.NotChecked(src.Object, fmt.Sprintf("%s=%s names Service %s in namespace %s, which is not in the input (it may be deployed separately)",
				src.Var, src.Value, ref.Service, ref.Namespace))
		}
		return
	}

	where := fmt.Sprintf("env %s=%q in container %s", src.Var, src.Value, src.Container)
	if src.configMap {
		where = fmt.Sprintf("ConfigMap %s/%s key %s=%q", src.Object.Namespace, src.Object.Name, src.Var, src.Value)
	}
	fqdn := ref.Service + "." + ref.Namespace + ".svc.cluster.local"
	how := fmt.Sprintf("%q resolves to %s", ref.Host, fqdn)
	if !ref.Explicit {
		how += fmt.Sprintf(": a bare name resolves in the pod's own namespace (%s)", podNS)
	}
	ev := []string{where, how}
	if len(existing) > 0 {
		sort.Strings(existing)
		near := "none is close to " + strconv.Quote(ref.Service)
		if typo {
			near = fmt.Sprintf("closest to %q: %s", ref.Service, strings.Join(closest, ", "))
		}
		ev = append(ev, fmt.Sprintf("%s in namespace %s: %s; %s", dnsServicesSeen(s), ref.Namespace, joinLimit(existing, 8), near))
	} else if s.Live {
		ev = append(ev, fmt.Sprintf("LIST services in namespace %s returned none", ref.Namespace))
	} else {
		ev = append(ev, fmt.Sprintf("namespace %s has no Services in the input", ref.Namespace))
	}

	var cause, correctedHost string
	verify := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ref.Namespace, Name: ref.Service}
	switch {
	case src.namespaceAbsent:
		var more []string
		cause, correctedHost, verify, more = dnsAbsentNamespaceCause(s, ref, podNS, namespaces)
		ev = append(ev, more...)
	case len(elsewhere) > 0:
		ns := elsewhere[0]
		ev = append(ev, fmt.Sprintf("Service %s exists in namespace %s: use %s.%s (%s.%s.svc.cluster.local)", ref.Service, strings.Join(elsewhere, ", "), ref.Service, ns, ref.Service, ns))
		if ref.Explicit {
			cause = fmt.Sprintf("wrong namespace: there is no Service %s in namespace %s; it lives in namespace %s", ref.Service, ref.Namespace, ns)
		} else {
			cause = fmt.Sprintf("wrong namespace: %q is looked up in the pod's namespace %s, but Service %s lives in namespace %s", ref.Host, podNS, ref.Service, ns)
		}
		correctedHost = rewriteServiceHost(ref, ref.Service, ns)
		verify.Namespace = ns
	case typo && (strings.HasPrefix(closest[0], ref.Service+"-") || len(renamed) > 0):
		ev = append(ev, renamed...)
		cause = fmt.Sprintf("no Service %s in namespace %s; Service %s exists there: the Service was most likely renamed (a chart upgrade or a new release name) and this client still uses the old name", ref.Service, ref.Namespace, closest[0])
		correctedHost = rewriteServiceHost(ref, closest[0], ref.Namespace)
		verify.Name = closest[0]
	case typo:
		cause = fmt.Sprintf("no Service %s in namespace %s; Service %s exists there: the name is most likely misspelt", ref.Service, ref.Namespace, closest[0])
		correctedHost = rewriteServiceHost(ref, closest[0], ref.Namespace)
		verify.Name = closest[0]
	default:
		cause = fmt.Sprintf("Service %s does not exist in namespace %s (deleted or never created): %s has no DNS record", ref.Service, ref.Namespace, fqdn)
	}

	fix := diagnose.EditCmd(src.Object)
	severity := diagnose.SeverityError
	if correctedHost != "" {
		correctedValue := strings.Replace(src.Value, ref.Host, correctedHost, 1)
		ev = append(ev, fmt.Sprintf("corrected value: %s", correctedValue))
		switch {
		case holdsCredential(correctedValue):
			var line, note string
			fix, line, note = credentialHostFix(src, ref.Host, correctedHost)
			ev = append(ev, line)
			cause += note
		case src.configMap:
			fix = diagnose.MergePatchCmd(src.Object, map[string]any{"data": map[string]string{src.Var: correctedValue}})
			cause += "; pods read ConfigMap values at start: restart them after the change"
		case src.patchPath != "":
			fix = diagnose.JSONPatchCmd(src.Object, diagnose.JSONPatchOp{Op: "replace", Path: src.patchPath, Value: correctedValue})
		default:
			cause += "; " + immutablePodNote
		}
	} else if w := dnsWorkloadNamed(s, ref.Namespace, ref.Service); w != nil {
		// The workload behind the deleted Service is still there: expose it
		// again on the port the value asks for.
		port := ref.Port
		if port == "" {
			port = dnsFirstPort(w)
		}
		if port != "" && dnsExposable(w.Ref.Kind) {
			fix = diagnose.KubectlOn([]string{"expose", strings.ToLower(w.Ref.Kind), "-n", w.Ref.Namespace, "--name=" + ref.Service, "--port=" + port}, w.Ref.Name)
			ev = append(ev, fmt.Sprintf("%s still runs: the Service in front of it is what is missing", w.Ref))
		}
	} else {
		// Nothing says the name is needed: apps carry addresses of optional
		// parts (microservices-demo's shopping assistant). The lookup fails
		// for sure; whether that breaks a path, the input cannot tell.
		severity = diagnose.SeverityWarning
		cause += "; nothing in the input runs under that name, so this may be an optional dependency — if it is needed, recreate the Service"
	}
	r.Report(diagnose.Finding{
		Object:   src.Object,
		Severity: severity,
		Symptom:  fmt.Sprintf("lookups of %q from %s fail with NXDOMAIN (\"no such host\"): connections to it never start", ref.Host, src.Object),
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(verify),
		Origin:   originOf(s, src.Object),
	})
}

// dnsServicesSeen says where the Services a finding lists come from: a
// live scan's LIST of the namespace (the scanned one, or one a name points
// into), or the input's files.
func dnsServicesSeen(s *snapshot.Snapshot) string {
	if s.Live {
		return "LIST services"
	}
	return "Services"
}

// dnsExtendedName finds the Service of namespace ns whose name is name plus
// a dash suffix ("open-webui-redis" → "open-webui-redis-master"), the one
// clients are meant to use: not a headless Service (those address single
// pods), the shortest name when several match; "" when none or when two
// are equally likely.
func dnsExtendedName(s *snapshot.Snapshot, ns, name string) string {
	var best string
	tie := false
	for _, svc := range s.ServicesIn(ns) {
		if !strings.HasPrefix(svc.Name, name+"-") || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		switch {
		case best == "" || len(svc.Name) < len(best):
			best, tie = svc.Name, false
		case len(svc.Name) == len(best):
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// dnsWorkloadNamed finds a workload named like the missing Service.
func dnsWorkloadNamed(s *snapshot.Snapshot, ns, name string) *snapshot.Workload {
	for _, kind := range []string{snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindReplicaSet, snapshot.KindReplicationController} {
		if w := s.Workload(snapshot.ObjectRef{Kind: kind, Namespace: ns, Name: name}); w != nil {
			return w
		}
	}
	return nil
}

func dnsExposable(kind string) bool {
	return kind == snapshot.KindDeployment || kind == snapshot.KindReplicaSet || kind == snapshot.KindReplicationController
}

func dnsFirstPort(w *snapshot.Workload) string {
	if w.Template == nil {
		return ""
	}
	for _, c := range w.Template.Spec.Containers {
		for _, p := range c.Ports {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	return ""
}
