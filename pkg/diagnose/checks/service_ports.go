package checks

// A Service's ports against the pods it selects: targetPorts no selected pod
// declares, and protocols that differ from the container port's.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var serviceTargetPortMissing = &diagnose.Check{
	ID:       "service-target-port-missing",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service targetPort names a port no selected pod declares (named), or a number none of them declares or probes while they declare others.",
	Run:      runServiceTargetPortMissing,
}

var serviceProtocolMismatch = &diagnose.Check{
	ID:       "service-protocol-mismatch",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service port's protocol (TCP/UDP/SCTP) differs from the protocol of the container port it targets.",
	Run:      runServiceProtocolMismatch,
}

// servicePortVerdict is what one Service port finds on the selected pods.
type servicePortVerdict struct {
	index int
	sp    corev1.ServicePort
	// serving: pods where the port resolves to a declared or probed port
	// (or, for a number, pods that declare no ports: the input cannot tell).
	serving int
	// missing: pods where it resolves to nothing declared (named: the
	// controller drops them; numeric: declared ports are all different).
	missing []*corev1.Pod
	// wrongProto: pods that declare the target only with another protocol.
	wrongProto []*corev1.Pod
	otherProto corev1.Protocol
	// configured: pods counted in serving that do not declare or probe a
	// numeric target but whose own spec tells a container to listen there.
	configured []podListen
}

// podListen is a pod with the setting that makes it listen on a port.
type podListen struct {
	pod     *corev1.Pod
	setting listenSetting
}

// serviceJudgePorts resolves every port of svc on every selected pod.
func serviceJudgePorts(svc *corev1.Service, pods []*corev1.Pod) []servicePortVerdict {
	out := make([]servicePortVerdict, 0, len(svc.Spec.Ports))
	probes := make([]map[int32]bool, len(pods))
	settings := make([][]listenSetting, len(pods))
	for i, p := range pods {
		probes[i] = probedPorts(p)
		settings[i] = listenSettings(p)
	}
	for i, sp := range svc.Spec.Ports {
		v := servicePortVerdict{index: i, sp: sp}
		target := snapshot.TargetPortOf(sp)
		proto := snapshot.ProtocolOrTCP(sp.Protocol)
		for j, p := range pods {
			_, declared, ok := snapshot.ResolveTargetPort(p, sp)
			if ok && (declared != nil || target.Type == intstr.String) {
				v.serving++
				continue
			}
			ports := snapshot.DeclaredPorts(p)
			var other *snapshot.DeclaredPort
			for k := range ports {
				d := &ports[k]
				byName := target.Type == intstr.String && d.Port.Name == target.StrVal
				byNumber := target.Type == intstr.Int && d.Port.ContainerPort == target.IntVal
				if (byName || byNumber) && d.Protocol() != proto {
					other = d
					break
				}
			}
			switch {
			case other != nil:
				v.wrongProto = append(v.wrongProto, p)
				v.otherProto = other.Protocol()
			case target.Type == intstr.String:
				v.missing = append(v.missing, p)
			case probes[j][target.IntVal]:
				// A numeric targetPort is valid declared or not; a probe on
				// it shows the app listens there.
				v.serving++
			default:
				// The app is told to listen there by its own args or env
				// (Jenkins' JNLP_PORT, `--listen=:9376`): observed
				// configuration beats the informational ports list.
				if l, ok := listensOn(settings[j], target.IntVal); ok {
					v.serving++
					v.configured = append(v.configured, podListen{p, l})
					continue
				}
				// A number is only judged when the app containers declare
				// where they serve. Without such a port (only a mesh
				// proxy's or a metrics port) the app listens where the
				// input cannot see.
				if len(snapshot.AppPorts(p)) == 0 {
					v.serving++
					continue
				}
				v.missing = append(v.missing, p)
			}
		}
		out = append(out, v)
	}
	return out
}

func runServiceTargetPortMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, pods := range servicesWithPods(s) {
		var bad, unsure, undeclared []servicePortVerdict
		noneServe := false
		for _, v := range serviceJudgePorts(svc, pods) {
			if len(v.missing) == 0 {
				if len(v.configured) > 0 {
					undeclared = append(undeclared, v)
				}
				continue
			}
			named := snapshot.TargetPortOf(v.sp).Type == intstr.String
			// A number is only judged when no selected pod serves it:
			// containerPorts are informational and one replica set may
			// simply declare less than another.
			if !named && v.serving > 0 {
				continue
			}
			// Pods told to listen on ports they do not declare (Rancher's
			// --https-listen-port=443 beside a lone containerPort 80) show
			// that their declarations are not the full list: an undeclared
			// number may well be served. That is no error to raise against
			// Ready pods.
			if !named && len(v.wrongProto) == 0 && declarationsIncomplete(v.missing) {
				unsure = append(unsure, v)
				continue
			}
			if v.serving == 0 && len(v.wrongProto) == 0 {
				noneServe = true
			}
			bad = append(bad, v)
		}
		switch {
		case len(bad) > 0:
			r.Report(serviceTargetPortFinding(s, svc, pods, bad, noneServe))
		case len(unsure) > 0:
			r.Report(serviceTargetPortUnsureFinding(s, svc, pods, unsure))
		case len(undeclared) > 0:
			r.Report(serviceTargetPortUndeclaredFinding(s, svc, undeclared))
		}
	}
}

// declarationsIncomplete reports whether every one of pods is told to listen
// on some port that none of its containers declares.
func declarationsIncomplete(pods []*corev1.Pod) bool {
	for _, p := range pods {
		if len(undeclaredListens(p, listenSettings(p))) == 0 && len(undeclaredProbes(p)) == 0 {
			return false
		}
	}
	return len(pods) > 0
}

// listenSettingsText quotes settings for evidence: "container rancher: arg
// --https-listen-port=443".
func listenSettingsText(settings []listenSetting) string {
	parts := make([]string, 0, len(settings))
	for _, l := range settings {
		parts = append(parts, "container "+l.Container+": "+l.Setting)
	}
	return joinLimit(dedupe(parts), maxListed)
}

func serviceTargetPortFinding(s *snapshot.Snapshot, svc *corev1.Service, pods []*corev1.Pod, bad []servicePortVerdict, noneServe bool) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	var evidence []string
	var ops []diagnose.JSONPatchOp
	allFixed := true
	for _, v := range bad {
		target := snapshot.TargetPortOf(v.sp)
		line := "port " + servicePortText(v.sp)
		if target.Type == intstr.String {
			line += fmt.Sprintf(": the name resolves in %d of %d selected pod(s); the endpoints controller leaves the others out of this port", v.serving, len(pods))
		} else {
			line += fmt.Sprintf(": no selected pod declares %d/%s or probes it", target.IntVal, snapshot.ProtocolOrTCP(v.sp.Protocol))
		}
		evidence = append(evidence, line)
		for _, g := range groupByOwner(s, v.missing) {
			evidence = append(evidence, fmt.Sprintf("%s declares %s", groupLabel(s, g), declaredPortsText(g.Pods[0])))
		}
		if v.serving > 0 {
			// Other pods serve the port: retargeting would break them. The
			// selector is too wide, or a rollout changed the port's name.
			evidence = append(evidence, fmt.Sprintf("%d selected pod(s) do serve %s: the selector may also pick pods of another workload", v.serving, targetPortText(v.sp)))
			allFixed = false
			continue
		}
		if target.Type == intstr.Int {
			if local := loopbackListens(v.missing, target.IntVal); len(local) > 0 {
				// The app listens on the port, but only inside the pod: the
				// bind address is what changes, not the Service.
				evidence = append(evidence, fmt.Sprintf("%s: it listens on %d on the loopback address only, which no Service reaches; bind it to 0.0.0.0", listenSettingsText(local), target.IntVal))
				allFixed = false
				continue
			}
		}
		value, why, ok := serviceSuggestTarget(svc, v)
		evidence = append(evidence, why)
		if ok {
			ops = append(ops,
				diagnose.JSONPatchOp{Op: "test", Path: fmt.Sprintf("/spec/ports/%d/port", v.index), Value: v.sp.Port},
				// "add" replaces an existing member and also works when
				// targetPort was left to its default.
				diagnose.JSONPatchOp{Op: "add", Path: fmt.Sprintf("/spec/ports/%d/targetPort", v.index), Value: value})
		} else {
			allFixed = false
		}
	}
	fix := diagnose.EditCmd(ref)
	if allFixed {
		fix = diagnose.JSONPatchCmd(ref, ops...)
	}
	first := bad[0]
	symptom := fmt.Sprintf("connections to port %d of Service %s are refused or time out: they reach a pod port nothing listens on", first.sp.Port, svc.Name)
	if snapshot.TargetPortOf(first.sp).Type == intstr.String {
		symptom = fmt.Sprintf("`kubectl get endpoints %s -n %s` lacks port %d for the pods without port %s", svc.Name, svc.Namespace, first.sp.Port, targetPortText(first.sp))
	}
	cause := fmt.Sprintf("Service %s sends port %d to targetPort %s, which the selected pods do not declare", svc.Name, first.sp.Port, targetPortText(first.sp))
	if first.serving > 0 {
		var owners []string
		for _, g := range groupByOwner(s, first.missing) {
			owners = append(owners, g.Owner.String())
		}
		cause = fmt.Sprintf("Service %s also selects pods of %s, which have no port %s: they get no endpoint for port %d", svc.Name, joinLimit(owners, maxListed), targetPortText(first.sp), first.sp.Port)
	}
	f := diagnose.Finding{
		Object:   ref,
		Symptom:  symptom,
		Cause:    cause,
		Evidence: dedupe(evidence),
		Fix:      fix,
		Verify:   diagnose.DescribeCmd(ref),
		Origin:   originOf(s, ref),
	}
	if !noneServe {
		// Some pods serve every port: the Service is degraded, not down.
		f.Severity = diagnose.SeverityWarning
	}
	return f
}

// loopbackListens returns the settings by which pods listen on port on the
// loopback address only.
func loopbackListens(pods []*corev1.Pod, port int32) []listenSetting {
	var out []listenSetting
	for _, p := range pods {
		for _, l := range listenSettings(p) {
			if l.Port == port && l.Loopback {
				out = append(out, l)
			}
		}
	}
	return out
}

// serviceTargetPortUnsureFinding is an info: a numeric targetPort nothing
// declares, on pods that listen, or are probed, on undeclared ports. Whether the target is
// one of them, only a connection shows; no targetPort is proposed.
func serviceTargetPortUnsureFinding(s *snapshot.Snapshot, svc *corev1.Service, pods []*corev1.Pod, unsure []servicePortVerdict) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	first := unsure[0]
	var evidence []string
	var listens []listenSetting
	var probed []string
	for _, v := range unsure {
		evidence = append(evidence, fmt.Sprintf("port %s: no selected pod declares %d/%s, probes it, or is told to listen on it",
			servicePortText(v.sp), snapshot.TargetPortOf(v.sp).IntVal, snapshot.ProtocolOrTCP(v.sp.Protocol)))
		for _, g := range groupByOwner(s, v.missing) {
			evidence = append(evidence, fmt.Sprintf("%s declares %s", groupLabel(s, g), declaredPortsText(g.Pods[0])))
			if undeclared := undeclaredListens(g.Pods[0], listenSettings(g.Pods[0])); len(undeclared) > 0 {
				listens = append(listens, undeclared...)
				evidence = append(evidence, fmt.Sprintf("%s listens on ports it does not declare: %s", groupLabel(s, g), listenSettingsText(undeclared)))
			}
			if undeclared := undeclaredProbes(g.Pods[0]); len(undeclared) > 0 {
				probed = append(probed, undeclared...)
				evidence = append(evidence, fmt.Sprintf("%s is probed on ports it does not declare: %s", groupLabel(s, g), joinLimit(undeclared, maxListed)))
			}
		}
	}
	var incomplete []string
	if len(listens) > 0 {
		incomplete = append(incomplete, fmt.Sprintf("told to listen on undeclared ports (%s)", listenSettingsText(listens)))
	}
	if len(probed) > 0 {
		incomplete = append(incomplete, fmt.Sprintf("probed on undeclared ports (%s)", joinLimit(dedupe(probed), maxListed)))
	}
	if hasStatus(pods[0]) {
		evidence = append(evidence, fmt.Sprintf("%d of %d selected pod(s) are Ready", countServing(pods), len(pods)))
	}
	evidence = append(evidence, "no targetPort is proposed: the declared ports are not the full list of where these pods listen")
	return diagnose.Finding{
		Object:   ref,
		Severity: diagnose.SeverityInfo,
		Symptom:  fmt.Sprintf("none known; if nothing listens on %s, connections to port %d of Service %s are refused", targetPortText(first.sp), first.sp.Port, svc.Name),
		Cause: fmt.Sprintf("Service %s sends port %d to targetPort %s, which the selected pods do not declare; they are %s, so the declarations cannot tell whether %s is served",
			svc.Name, first.sp.Port, targetPortText(first.sp), strings.Join(incomplete, " and "), targetPortText(first.sp)),
		Evidence: dedupe(evidence),
		Fix:      diagnose.EditCmd(ref),
		Verify:   portForwardCmd(first.missing[0], snapshot.TargetPortOf(first.sp).IntVal),
		Origin:   originOf(s, ref),
	}
}

// countServing counts the pods that are Ready and running.
func countServing(pods []*corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if podServing(p) {
			n++
		}
	}
	return n
}

// portForwardCmd is the command that shows whether something answers on a
// pod's port: kubectl picks a free local port and prints it.
func portForwardCmd(p *corev1.Pod, port int32) string {
	if snapshot.IsTemplatePod(p) {
		return diagnose.Kubectl("get", "pods", "-n", p.Namespace, "-l", replicaSelector(p.Labels))
	}
	return diagnose.Kubectl("port-forward", "-n", p.Namespace, "pod/"+p.Name, fmt.Sprintf(":%d", port))
}

// serviceTargetPortUndeclaredFinding is an info: pods serve a numeric
// targetPort that their containers are told to listen on but do not
// declare. Traffic flows; the declaration is for clarity (a named
// targetPort, a NetworkPolicy by port name and a reader of the manifest all
// rely on it).
func serviceTargetPortUndeclaredFinding(s *snapshot.Snapshot, svc *corev1.Service, undeclared []servicePortVerdict) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	first := undeclared[0]
	target := snapshot.TargetPortOf(first.sp).IntVal
	var evidence []string
	for _, v := range undeclared {
		port := snapshot.TargetPortOf(v.sp).IntVal
		evidence = append(evidence, fmt.Sprintf("port %s: no selected pod declares %d/%s", servicePortText(v.sp), port, snapshot.ProtocolOrTCP(v.sp.Protocol)))
		var pods []*corev1.Pod
		settingOf := map[*corev1.Pod]listenSetting{}
		for _, pl := range v.configured {
			pods = append(pods, pl.pod)
			settingOf[pl.pod] = pl.setting
		}
		for _, g := range groupByOwner(s, pods) {
			l := settingOf[g.Pods[0]]
			evidence = append(evidence, fmt.Sprintf("%s: container %s is told to listen on %d (%s); it declares %s", groupLabel(s, g), l.Container, port, l.Setting, declaredPortsText(g.Pods[0])))
		}
	}
	pl := first.configured[0]
	return diagnose.Finding{
		Object:   ref,
		Severity: diagnose.SeverityInfo,
		Symptom:  fmt.Sprintf("none: port %d of Service %s reaches container %s, which listens on %d without declaring it", first.sp.Port, svc.Name, pl.setting.Container, target),
		Cause: fmt.Sprintf("Service %s targets port %d, which the pods serve (%s in container %s) but do not list under ports; declare it for clarity",
			svc.Name, target, pl.setting.Setting, pl.setting.Container),
		Evidence: dedupe(evidence),
		Fix:      declarePortFix(s, pl.pod, pl.setting.Container, target, snapshot.ProtocolOrTCP(first.sp.Protocol)),
		Verify:   verifyEndpoints(svc),
		Origin:   originOf(s, ref),
	}
}

// declarePortFix adds a containerPort to the container of p's workload.
func declarePortFix(s *snapshot.Snapshot, p *corev1.Pod, container string, port int32, proto corev1.Protocol) string {
	target, specPath := fixTarget(s, p)
	c, ok := containerNamed(p, container)
	if !ok || target.Kind == snapshot.KindPod {
		// A pod's ports cannot change in place.
		return diagnose.EditCmd(target)
	}
	value := map[string]any{"containerPort": port, "protocol": string(proto)}
	path := specPath + c.specPath() + "/ports"
	if len(c.Spec.Ports) > 0 {
		return diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{Op: "add", Path: path + "/-", Value: value})
	}
	return diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{Op: "add", Path: path, Value: []any{value}})
}

// serviceSuggestTarget proposes a targetPort for a port that resolves
// nowhere: a declared name close to the one given, or the one port (same
// number and protocol) every pod that lacks the target declares. Only the
// app containers' client ports are candidates: retargeting a Service to a
// mesh proxy's, a metrics or a health port, or to the port another port of
// the same Service already reaches (Rancher's https-internal 443 → 444 must
// not become 443 → 80), sends its clients to the wrong server. why is the
// evidence line for the proposal, or for why there is none.
func serviceSuggestTarget(svc *corev1.Service, v servicePortVerdict) (value any, why string, ok bool) {
	target := snapshot.TargetPortOf(v.sp)
	proto := snapshot.ProtocolOrTCP(v.sp.Protocol)
	var rejected []string
	candidates := func(p *corev1.Pod) []snapshot.DeclaredPort {
		settings := listenSettings(p)
		var out []snapshot.DeclaredPort
		for _, d := range snapshot.AppPorts(p) {
			if d.Protocol() != proto {
				continue
			}
			if why := unsuitableTarget(svc, v, p, d, settings); why != "" {
				rejected = append(rejected, fmt.Sprintf("%d %s", d.Port.ContainerPort, why))
				continue
			}
			out = append(out, d)
		}
		return out
	}
	noProposal := func() (any, string, bool) {
		why := "no targetPort is proposed: the pods declare no single port for clients of this Service"
		if len(rejected) > 0 {
			why = "no targetPort is proposed: " + joinLimit(dedupe(rejected), maxListed)
		}
		return nil, why, false
	}
	perPod := make([][]snapshot.DeclaredPort, len(v.missing))
	for i, p := range v.missing {
		perPod[i] = candidates(p)
	}
	if target.Type == intstr.String {
		names := map[string]bool{}
		for _, ports := range perPod {
			for _, d := range ports {
				if d.Port.Name != "" {
					names[d.Port.Name] = true
				}
			}
		}
		if best, dist, ok := nearestName(target.StrVal, sortedKeys(names)); ok && typoOrSuffix(target.StrVal, best) {
			return best, fmt.Sprintf("the pods declare a port named %q (edit distance %d from %q)", best, dist, target.StrVal), true
		}
	}
	var only *snapshot.DeclaredPort
	for _, mine := range perPod {
		if len(mine) != 1 || only != nil && (mine[0].Port.ContainerPort != only.Port.ContainerPort || mine[0].Port.Name != only.Port.Name) {
			return noProposal()
		}
		only = &mine[0]
	}
	if only == nil {
		return noProposal()
	}
	if target.Type == intstr.String && only.Port.Name != "" {
		return only.Port.Name, fmt.Sprintf("the pods declare one %s port: %d (%s)", proto, only.Port.ContainerPort, only.Port.Name), true
	}
	return only.Port.ContainerPort, fmt.Sprintf("the pods declare one %s port: %d in container %s", proto, only.Port.ContainerPort, only.Container), true
}

// unsuitableTarget says why declared port d of p must not become the
// target of Service port v, or "" when it may.
func unsuitableTarget(svc *corev1.Service, v servicePortVerdict, p *corev1.Pod, d snapshot.DeclaredPort, settings []listenSetting) string {
	if role := declaredPortRole(p, d, settings); role != roleApp && role != servicePortRole(v.sp) {
		return "is " + role.String()
	}
	for i, other := range svc.Spec.Ports {
		if i == v.index || snapshot.ProtocolOrTCP(other.Protocol) != d.Protocol() {
			continue
		}
		if port, _, ok := resolveTarget(p, other); ok && port == d.Port.ContainerPort {
			return "is already the target of Service port " + servicePortText(other)
		}
	}
	for _, l := range settings {
		if l.Port == d.Port.ContainerPort && l.Loopback {
			return "listens on the loopback address only"
		}
	}
	return ""
}

func runServiceProtocolMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, pods := range servicesWithPods(s) {
		var bad []servicePortVerdict
		for _, v := range serviceJudgePorts(svc, pods) {
			// Judged only when no selected pod serves the port with the
			// Service's protocol: one declaring both is fine.
			if len(v.wrongProto) > 0 && v.serving == 0 {
				bad = append(bad, v)
			}
		}
		if len(bad) == 0 {
			continue
		}
		r.Report(serviceProtocolFinding(s, svc, bad))
	}
}

func serviceProtocolFinding(s *snapshot.Snapshot, svc *corev1.Service, bad []servicePortVerdict) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	var evidence []string
	var ops []diagnose.JSONPatchOp
	allFixed := true
	for _, v := range bad {
		evidence = append(evidence, "port "+servicePortText(v.sp))
		for _, g := range groupByOwner(s, v.wrongProto) {
			evidence = append(evidence, fmt.Sprintf("%s declares %s", groupLabel(s, g), declaredPortsText(g.Pods[0])))
		}
		clash := false
		for _, other := range svc.Spec.Ports {
			clash = clash || other.Port == v.sp.Port && snapshot.ProtocolOrTCP(other.Protocol) == v.otherProto
		}
		if clash {
			evidence = append(evidence, fmt.Sprintf("the Service already has port %d/%s: decide which protocol the app speaks", v.sp.Port, v.otherProto))
			allFixed = false
			continue
		}
		ops = append(ops,
			diagnose.JSONPatchOp{Op: "test", Path: fmt.Sprintf("/spec/ports/%d/port", v.index), Value: v.sp.Port},
			diagnose.JSONPatchOp{Op: "add", Path: fmt.Sprintf("/spec/ports/%d/protocol", v.index), Value: string(v.otherProto)})
	}
	fix := diagnose.EditCmd(ref)
	if allFixed {
		fix = diagnose.JSONPatchCmd(ref, ops...)
	}
	first := bad[0]
	proto := snapshot.ProtocolOrTCP(first.sp.Protocol)
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("%s clients of port %d of Service %s get no answer: the pods serve that port over %s", proto, first.sp.Port, svc.Name, first.otherProto),
		Cause:    fmt.Sprintf("Service %s port %d is %s, but the container port it targets (%s) is %s", svc.Name, first.sp.Port, proto, targetPortText(first.sp), first.otherProto),
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref, "-o", "jsonpath={.spec.ports}"),
		Origin:   originOf(s, ref),
	}
}
