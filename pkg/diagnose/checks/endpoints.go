package checks

// The endpoints layer: what the endpoints controllers (or a hand) published
// for a Service. No ready address, addresses of pods that are gone, and
// hand-written ports kube-proxy cannot pair with the Service's.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// endpointsChecks are the checks that report on the endpoints layer; All sorts them.
var endpointsChecks = []*diagnose.Check{endpointsNoReadyAddress, endpointsStalePod, serviceEndpointsPortNameMismatch}

var endpointsNoReadyAddress = &diagnose.Check{
	ID:       "endpoints-no-ready-address",
	Layer:    diagnose.LayerEndpoints,
	Severity: diagnose.SeverityError,
	Doc:      "A Service's Endpoints/EndpointSlices hold no ready address: the pods its selector matches are not ready, or (when the input holds none of its namespace's pods) the Endpoints alone show it.",
	Symptom:  true,
	Run:      runEndpointsNoReadyAddress,
}

var endpointsStalePod = &diagnose.Check{
	ID:       "endpoints-stale-pod",
	Layer:    diagnose.LayerEndpoints,
	Severity: diagnose.SeverityError,
	Doc:      "A Service's Endpoints/EndpointSlices point at pods that no longer exist (or at a recreated pod's old IP).",
	Run:      runEndpointsStalePod,
}

func runEndpointsNoReadyAddress(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, pods := range servicesWithPods(s) {
		raw, has := serviceAddresses(s, svc.Namespace, svc.Name)
		if !has {
			continue
		}
		addrs := uniqueAddresses(raw)
		if anyReady(addrs) {
			continue
		}
		r.Report(endpointsNoReadyFinding(s, svc, pods, addrs))
	}
	unseen := namespacesWithoutPods(s)
	for _, svc := range s.Services {
		if !routesToPods(svc) || !unseen[svc.Namespace] {
			continue
		}
		raw, has := serviceAddresses(s, svc.Namespace, svc.Name)
		if !has {
			continue
		}
		if addrs := uniqueAddresses(raw); !anyReady(addrs) {
			r.Report(endpointsWithoutPodsFinding(s, svc, addrs))
		}
	}
}

// namespacesWithoutPods are the namespaces whose pods the input cannot
// show: it holds none of their pods or workloads and does not know pods
// there are absent (`kubectl get svc,endpoints` output, a partial dump).
// The endpoints controllers' view is then the evidence of what serves.
func namespacesWithoutPods(s *snapshot.Snapshot) map[string]bool {
	withWorkloads := map[string]bool{}
	for _, w := range s.Workloads() {
		withWorkloads[w.Ref.Namespace] = true
	}
	out := map[string]bool{}
	for _, ns := range s.NamespaceNames() {
		if len(s.PodsIn(ns)) == 0 && !withWorkloads[ns] && !s.Knows(snapshot.KindPod, ns) {
			out[ns] = true
		}
	}
	return out
}

// endpointsWithoutPodsFinding quotes the Endpoints and EndpointSlices of
// a Service whose pods the input does not hold: no address at all, or
// only addresses of pods that are not ready.
func endpointsWithoutPodsFinding(s *snapshot.Snapshot, svc *corev1.Service, addrs []endpointAddress) diagnose.Finding {
	ns := svc.Namespace
	ref := endpointsRef(svc)
	sel := selectorText(svc.Spec.Selector)
	ev := []string{fmt.Sprintf("the input holds no pods or workloads of namespace %s: the endpoints controllers' view is the evidence", ns)}
	if ep := s.EndpointsFor(ns, svc.Name); ep != nil && len(addrs) == 0 {
		ev = append(ev, fmt.Sprintf("Endpoints %s/%s: %d subset(s), no address (ENDPOINTS <none>)", ns, ep.Name, len(ep.Subsets)))
	}
	for _, sl := range s.EndpointSlicesFor(ns, svc.Name) {
		if len(sl.Endpoints) == 0 {
			ev = append(ev, fmt.Sprintf("EndpointSlice %s/%s: no endpoint", ns, sl.Name))
		}
	}
	cause := fmt.Sprintf("the endpoints controllers publish no address for Service %s: no running pod with an IP matches selector %s", svc.Name, sel)
	fix := diagnose.Kubectl("get", "pods", "-n", ns, "-l", sel, "-o", "wide")
	if len(addrs) > 0 {
		var notReady, sources []string
		seen := map[snapshot.ObjectRef]bool{}
		for _, a := range addrs {
			notReady = append(notReady, addressText(a))
			if !seen[a.Source] {
				seen[a.Source] = true
				sources = append(sources, a.Source.String())
			}
		}
		ev = append(ev, fmt.Sprintf("0 ready addresses, %d not ready: %s", len(addrs), joinLimit(notReady, maxListed)),
			"published in "+joinLimit(sources, maxListed))
		cause = fmt.Sprintf("every address behind Service %s is not ready, so it has no endpoint to send traffic to: the pods its selector %s matches fail their readiness", svc.Name, sel)
		if a := addrs[0]; a.Pod != "" {
			fix = diagnose.DescribeCmd(snapshot.ObjectRef{Kind: snapshot.KindPod, Namespace: ns, Name: a.Pod})
		}
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("`kubectl get endpoints %s -n %s` shows no ready address: connections to the Service are refused", svc.Name, ns),
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   verifyEndpoints(svc),
		Origin:   originOf(s, ref),
	}
}

// endpointsPodState summarises why a real pod may not be a ready endpoint.
func endpointsPodState(p *corev1.Pod) string {
	if snapshot.IsTemplatePod(p) {
		return "pod template: no runtime state in the input"
	}
	var parts []string
	if p.Status.Phase != "" {
		parts = append(parts, "phase "+string(p.Status.Phase))
	}
	if p.DeletionTimestamp != nil {
		parts = append(parts, "terminating")
	}
	if p.Status.PodIP == "" {
		parts = append(parts, "no pod IP yet")
	}
	for _, c := range p.Status.Conditions {
		if c.Type != corev1.PodReady {
			continue
		}
		parts = append(parts, conditionText(c.Type, c.Status, c.Reason, c.Message))
	}
	if len(parts) == 0 {
		return "no status in the input"
	}
	return strings.Join(parts, ", ")
}

func endpointsNoReadyFinding(s *snapshot.Snapshot, svc *corev1.Service, pods []*corev1.Pod, addrs []endpointAddress) diagnose.Finding {
	ref := endpointsRef(svc)
	var evidence []string
	if len(addrs) == 0 {
		evidence = append(evidence, fmt.Sprintf("the Endpoints/EndpointSlices of %s hold no address at all, although %d pod(s) match selector %s", svc.Name, len(pods), selectorText(svc.Spec.Selector)))
	} else {
		var notReady []string
		for _, a := range addrs {
			notReady = append(notReady, addressText(a))
		}
		evidence = append(evidence, fmt.Sprintf("0 ready addresses, %d not ready: %s", len(addrs), joinLimit(notReady, maxListed)))
	}
	var probeEvents []string
	for i, p := range pods {
		if i == maxListed {
			evidence = append(evidence, fmt.Sprintf("and %d more matching pod(s)", len(pods)-maxListed))
			break
		}
		evidence = append(evidence, fmt.Sprintf("%s: %s", podLabel(s, p), endpointsPodState(p)))
		if len(probeEvents) < 3 && !snapshot.IsTemplatePod(p) {
			for _, e := range eventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"Unhealthy"}) {
				probeEvents = append(probeEvents, "Pod "+p.Name+": "+e)
			}
		}
	}
	evidence = append(evidence, probeEvents...)

	// Without a probe failure to point at, the next step is to look at the
	// pod; with one, the probe or the app's configuration in the workload's
	// template is what changes.
	fix := diagnose.DescribeCmd(s.SubjectOf(pods[0]))
	cause := fmt.Sprintf("none of the pods behind Service %s is ready, so the endpoints controllers publish no ready address", svc.Name)
	if len(probeEvents) > 0 {
		cause = fmt.Sprintf("the pods behind Service %s fail their readiness probe, so the endpoints controllers publish no ready address", svc.Name)
		if owner, ok := s.OwnerOf(pods[0]); ok {
			fix = diagnose.EditCmd(owner)
		}
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("`kubectl get endpoints %s -n %s` shows no ready address: connections to the Service are refused although %d pod(s) match", svc.Name, svc.Namespace, len(pods)),
		Cause:    cause,
		Evidence: evidence,
		Fix:      fix,
		Verify:   verifyEndpoints(svc),
		Origin:   originOf(s, ref),
	}
}

func runEndpointsStalePod(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if s.TemplatePods {
		return
	}
	for _, svc := range s.Services {
		ns := svc.Namespace
		// A namespace without a single Pod in the input was left out of the
		// dump's pod listing: its addresses cannot be called stale.
		if svc.Spec.Type == corev1.ServiceTypeExternalName || !s.Knows(snapshot.KindPod, ns) || len(s.PodsIn(ns)) == 0 && !s.Live {
			continue
		}
		raw, has := serviceAddresses(s, ns, svc.Name)
		if !has {
			continue
		}
		var stale []string
		var sources []snapshot.ObjectRef
		seenSource := map[snapshot.ObjectRef]bool{}
		for _, a := range uniqueAddresses(raw) {
			if a.Pod == "" {
				continue
			}
			why := endpointsStaleWhy(s.Pod(ns, a.Pod), a)
			if why == "" {
				continue
			}
			stale = append(stale, addressText(a)+": "+why)
			if !seenSource[a.Source] {
				seenSource[a.Source] = true
				sources = append(sources, a.Source)
			}
		}
		if len(stale) == 0 {
			continue
		}
		r.Report(endpointsStaleFinding(s, svc, stale, sources))
	}
}

// endpointsStaleWhy says why an address no longer points at its pod, or ""
// when it does.
func endpointsStaleWhy(p *corev1.Pod, a endpointAddress) string {
	switch {
	case p == nil:
		return "the pod no longer exists"
	case a.PodUID != "" && p.UID != "" && string(p.UID) != a.PodUID:
		return fmt.Sprintf("the pod was re-created (uid %s, the address names uid %s)", p.UID, a.PodUID)
	case p.Status.PodIP == "":
		return ""
	}
	for _, ip := range p.Status.PodIPs {
		if ip.IP == a.IP {
			return ""
		}
	}
	if p.Status.PodIP == a.IP {
		return ""
	}
	return fmt.Sprintf("the pod's IP is now %s", p.Status.PodIP)
}

func endpointsStaleFinding(s *snapshot.Snapshot, svc *corev1.Service, stale []string, sources []snapshot.ObjectRef) diagnose.Finding {
	ref := endpointsRef(svc)
	evidence := append([]string{}, stale...)
	var srcs []string
	for _, src := range sources {
		srcs = append(srcs, src.String())
	}
	evidence = append(evidence, "published in "+joinLimit(srcs, maxListed))
	var fix string
	if len(svc.Spec.Selector) > 0 {
		// Controller-managed: deleting the object makes the controller
		// rebuild it from the pods that exist now.
		evidence = append(evidence, "Service has a selector: the endpoints controllers should have removed these; check that kube-controller-manager is running")
		src := sources[0]
		fix = diagnose.KubectlOn([]string{"delete", strings.ToLower(src.Kind), "-n", src.Namespace}, src.Name)
	} else {
		evidence = append(evidence, "Service has no selector: these endpoints are maintained by hand or by another controller")
		fix = diagnose.EditCmd(sources[0])
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("some connections to Service %s time out: they are sent to addresses of pods that are gone", svc.Name),
		Cause:    fmt.Sprintf("the endpoints of Service %s name pods that no longer exist at those addresses", svc.Name),
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref, "-o", "wide"),
		Origin:   originOf(s, ref),
	}
}

// serviceEndpointsPortNameMismatch catches hand-written Endpoints of a
// selector-less Service whose port names do not match the Service's: kube-proxy
// pairs them by name and programs no backend.
var serviceEndpointsPortNameMismatch = &diagnose.Check{
	ID:       "service-endpoints-port-name-mismatch",
	Layer:    diagnose.LayerEndpoints,
	Severity: diagnose.SeverityError,
	Doc:      "A selector-less Service's hand-written Endpoints/EndpointSlice ports are not named like the Service's ports, so kube-proxy routes nothing.",
	Run:      runServiceEndpointsPortNameMismatch,
}

func runServiceEndpointsPortNameMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) > 0 || svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Ports) == 0 {
			continue
		}
		epRef := snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
		have := map[string]bool{}
		var haveText []string
		var patchPath string
		if ep := s.EndpointsFor(svc.Namespace, svc.Name); ep != nil {
			for i, sub := range ep.Subsets {
				if len(sub.Addresses)+len(sub.NotReadyAddresses) == 0 {
					continue
				}
				for j, p := range sub.Ports {
					have[p.Name+"/"+string(snapshot.ProtocolOrTCP(p.Protocol))] = true
					haveText = append(haveText, fmt.Sprintf("Endpoints port name %q %d/%s", p.Name, p.Port, snapshot.ProtocolOrTCP(p.Protocol)))
					if patchPath == "" {
						patchPath = fmt.Sprintf("/subsets/%d/ports/%d/name", i, j)
					}
				}
			}
		}
		for _, sl := range s.EndpointSlicesFor(svc.Namespace, svc.Name) {
			if len(sl.Endpoints) == 0 {
				continue
			}
			for _, p := range sl.Ports {
				name := ""
				if p.Name != nil {
					name = *p.Name
				}
				proto := protocolOrDefault(p.Protocol)
				have[name+"/"+string(proto)] = true
				port := int32(0)
				if p.Port != nil {
					port = *p.Port
				}
				haveText = append(haveText, fmt.Sprintf("EndpointSlice %s port name %q %d/%s", sl.Name, name, port, proto))
			}
		}
		if len(have) == 0 {
			continue
		}
		var missing []string
		for _, sp := range svc.Spec.Ports {
			if !have[sp.Name+"/"+string(snapshot.ProtocolOrTCP(sp.Protocol))] {
				missing = append(missing, fmt.Sprintf("%q (%d/%s)", sp.Name, sp.Port, snapshot.ProtocolOrTCP(sp.Protocol)))
			}
		}
		if len(missing) == 0 {
			continue
		}
		ev := []string{"Service " + svc.Name + " ports: " + strings.Join(servicePortsText(svc), ", ")}
		ev = append(ev, dedupe(haveText)...)
		fix := diagnose.EditCmd(epRef)
		if len(svc.Spec.Ports) == 1 && len(have) == 1 && patchPath != "" {
			fix = diagnose.JSONPatchCmd(epRef, diagnose.JSONPatchOp{Op: "add", Path: patchPath, Value: svc.Spec.Ports[0].Name})
		}
		r.Report(diagnose.Finding{
			Object:  epRef,
			Symptom: fmt.Sprintf("kubectl describe service %s shows no endpoints for port %s and connections to its ClusterIP fail, although the Endpoints list addresses", svc.Name, strings.Join(missing, ", ")),
			Cause: fmt.Sprintf("Service %s has no selector, so its endpoints are written by hand; kube-proxy pairs endpoint ports with Service ports by name, and no endpoint port is named %s",
				svc.Name, strings.Join(missing, ", ")),
			Evidence: ev,
			Fix:      fix,
			Verify:   diagnose.DescribeCmd(snapshot.Ref(snapshot.KindService, svc)),
			Origin:   originOf(s, epRef),
		})
	}
}
