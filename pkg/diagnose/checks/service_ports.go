package checks

// A Service's ports against the pods it selects: targetPorts no selected pod
// declares, and protocols that differ from the container port's.

import (
	"fmt"

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
}

// serviceJudgePorts resolves every port of svc on every selected pod.
func serviceJudgePorts(svc *corev1.Service, pods []*corev1.Pod) []servicePortVerdict {
	out := make([]servicePortVerdict, 0, len(svc.Spec.Ports))
	probes := make([]map[int32]bool, len(pods))
	for i, p := range pods {
		probes[i] = probedPorts(p)
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
			case len(snapshot.AppPorts(p)) == 0 || probes[j][target.IntVal]:
				// A numeric targetPort is valid declared or not: it is only
				// judged when the app containers declare where they serve.
				// Without such a port (only a mesh proxy's or a metrics
				// port), or with a probe on the target, the app listens
				// where the input cannot see.
				v.serving++
			default:
				v.missing = append(v.missing, p)
			}
		}
		out = append(out, v)
	}
	return out
}

func runServiceTargetPortMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, pods := range servicesWithPods(s) {
		var bad []servicePortVerdict
		noneServe := false
		for _, v := range serviceJudgePorts(svc, pods) {
			if len(v.missing) == 0 {
				continue
			}
			named := snapshot.TargetPortOf(v.sp).Type == intstr.String
			// A number is only judged when no selected pod serves it:
			// containerPorts are informational and one replica set may
			// simply declare less than another.
			if !named && v.serving > 0 {
				continue
			}
			if v.serving == 0 && len(v.wrongProto) == 0 {
				noneServe = true
			}
			bad = append(bad, v)
		}
		if len(bad) == 0 {
			continue
		}
		r.Report(serviceTargetPortFinding(s, svc, pods, bad, noneServe))
	}
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
		if value, why, ok := serviceSuggestTarget(v); ok {
			evidence = append(evidence, why)
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
		Evidence: evidence,
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

// serviceSuggestTarget proposes a targetPort for a port that resolves
// nowhere: a declared name close to the one given, or the one port (same
// number and protocol) every pod that lacks the target declares. Only the
// app containers' client ports are candidates: retargeting a Service to a
// mesh proxy's or a metrics port sends its clients to the wrong server.
func serviceSuggestTarget(v servicePortVerdict) (any, string, bool) {
	target := snapshot.TargetPortOf(v.sp)
	proto := snapshot.ProtocolOrTCP(v.sp.Protocol)
	if target.Type == intstr.String {
		names := map[string]bool{}
		for _, p := range v.missing {
			for _, d := range snapshot.AppPorts(p) {
				if d.Port.Name != "" && d.Protocol() == proto {
					names[d.Port.Name] = true
				}
			}
		}
		var list []string
		for n := range names {
			list = append(list, n)
		}
		if best, dist, ok := nearestName(target.StrVal, list); ok && typoOrSuffix(target.StrVal, best) {
			return best, fmt.Sprintf("the pods declare a port named %q (edit distance %d from %q)", best, dist, target.StrVal), true
		}
	}
	var only *snapshot.DeclaredPort
	for _, p := range v.missing {
		var mine []snapshot.DeclaredPort
		for _, d := range snapshot.AppPorts(p) {
			if d.Protocol() == proto {
				mine = append(mine, d)
			}
		}
		if len(mine) != 1 || only != nil && (mine[0].Port.ContainerPort != only.Port.ContainerPort || mine[0].Port.Name != only.Port.Name) {
			return nil, "", false
		}
		only = &mine[0]
	}
	if only == nil {
		return nil, "", false
	}
	if target.Type == intstr.String && only.Port.Name != "" {
		return only.Port.Name, fmt.Sprintf("the pods declare one %s port: %d (%s)", proto, only.Port.ContainerPort, only.Port.Name), true
	}
	return only.Port.ContainerPort, fmt.Sprintf("the pods declare one %s port: %d in container %s", proto, only.Port.ContainerPort, only.Container), true
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
