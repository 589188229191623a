package checks

// Ingress rules written with a Service's port instead of the pod port the
// Service translates it to.

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// netpolPortNotTargetPort catches ingress rules written with the Service's
// port: policies see the pod port after the Service translated it.
var netpolPortNotTargetPort = &diagnose.Check{
	ID:       "netpol-port-not-target-port",
	Layer:    diagnose.LayerNetworkPolicy,
	Severity: diagnose.SeverityError,
	Doc:      "A NetworkPolicy admits a Service's port number instead of its targetPort: policies match pod ports, so the Service's traffic is dropped.",
	Run:      runNetpolPortNotTargetPort,
}

func runNetpolPortNotTargetPort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	idx := netpolIndexOf(s, networkingv1.PolicyTypeIngress)
	reported := map[snapshot.ObjectRef]bool{}
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		pods := s.PodsMatching(svc.Namespace, svc.Spec.Selector)
		if len(pods) == 0 {
			continue
		}
		p := pods[0]
		pols := idx.policiesFor(p)
		if len(pols) == 0 {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			num, name, ok := resolveTarget(p, sp)
			if !ok || num == sp.Port {
				continue
			}
			proto := snapshot.ProtocolOrTCP(sp.Protocol)
			target := netpolTarget{Port: num, Name: name, Protocol: proto}
			admitted := false
			for _, np := range pols {
				for _, rule := range np.Spec.Ingress {
					admitted = admitted || netpolPortsMatch(rule.Ports, target) != netpolNo
				}
			}
			if admitted {
				continue
			}
			for _, np := range pols {
				ref := snapshot.Ref(snapshot.KindNetworkPolicy, np)
				if reported[ref] {
					continue
				}
				ri, pi, ok := ingressRulePort(np, sp.Port, proto)
				if !ok {
					continue
				}
				reported[ref] = true
				value := any(num)
				if name != "" {
					value = name
				}
				r.Report(diagnose.Finding{
					Object:  ref,
					Symptom: fmt.Sprintf("connections to Service %s port %d time out although its pods are ready: the pods never see them", svc.Name, sp.Port),
					Cause: fmt.Sprintf("NetworkPolicy %s admits port %d, the Service's port; policies match the pod's port after the Service has translated %d to targetPort %s, and no rule of the policies isolating these pods admits %s",
						np.Name, sp.Port, sp.Port, target, target),
					Evidence: []string{
						fmt.Sprintf("Service %s port %s", svc.Name, servicePortText(sp)),
						fmt.Sprintf("pods of %s declare %s", s.SubjectOf(p), declaredPortsText(p)),
						netpolRulesLine(np, true),
					},
					Fix:    diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "replace", Path: fmt.Sprintf("/spec/ingress/%d/ports/%d/port", ri, pi), Value: value}),
					Verify: diagnose.DescribeCmd(ref),
					Origin: originOf(s, ref),
				})
			}
		}
	}
}

// ingressRulePort finds the ingress rule port of np that names port number n.
func ingressRulePort(np *networkingv1.NetworkPolicy, n int32, proto corev1.Protocol) (int, int, bool) {
	for i, rule := range np.Spec.Ingress {
		for j, p := range rule.Ports {
			pp := protocolOrDefault(p.Protocol)
			if p.Port != nil && p.Port.Type == intstr.Int && p.Port.IntVal == n && pp == proto {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}
