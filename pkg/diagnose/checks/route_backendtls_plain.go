package checks

// A BackendTLSPolicy that reaches a port speaking plain HTTP: a policy
// without sectionName applies to every port of its Service, so when a
// Service has an http port beside its https one (or gains one later) the
// Gateway opens TLS to both, and the handshake with the plain one fails.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var routeBackendTLSPlain = &diagnose.Check{
	ID:       "route-backend-tls-plain",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "An HTTPRoute or GRPCRoute forwards to a Service port that a BackendTLSPolicy in effect covers, and the backend there speaks plain HTTP (appProtocol http, h2c or ws, or an HTTP probe on the target port; a warning when only the port's name http and number 80 say so): the Gateway opens TLS to it and the handshake fails. A policy without sectionName covers every port of its Service.",
	Run:      perRoute(analyzeBackendTLSPlain),
}

func analyzeBackendTLSPlain(s *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	var v routeVerdict
	// policy is what the fix changes: the policy the cause names, or the
	// one v.ops patch.
	var policy snapshot.ObjectRef
	proven := false
	for _, rp := range httpRoutedPorts(s, r) {
		b, svc, sp := rp.backend, rp.svc, rp.sp
		policies := policiesInEffect(s, policiesFor(s, svc, *sp))
		if len(policies) == 0 {
			continue
		}
		plain, sure, why := backendSpeaksPlain(s, svc, *sp)
		if !plain {
			continue
		}
		proven = proven || sure
		v.evidence = append(v.evidence, fmt.Sprintf("%s → Service %s port %s", b.field(), svc.Name, servicePortText(*sp)), why)
		for _, p := range policies {
			v.evidence = append(v.evidence, policyScopeLine(p, svc, *sp))
		}
		// Only the paths to this port break: the Service's TLS port is
		// what the policy is for.
		v.affects = append(v.affects, snapshot.ServicePortRef(b.service, sp.Port))
		if v.cause == "" {
			policy = policyRef(policies[0])
		}
		v.because("%s %s forwards to Service %s port %d, whose backend speaks plain HTTP, and BackendTLSPolicy %s makes the Gateway open TLS to it", r.Ref.Kind, r.Ref.Name, svc.Name, sp.Port, policies[0].Name)
		if len(v.ops) > 0 || len(policies) != 1 {
			continue
		}
		p := policies[0]
		for i, t := range p.Spec.TargetRefs {
			if !serviceTarget(t) || string(t.Name) != svc.Name || t.SectionName != nil {
				continue
			}
			if name, ok := onlyTLSPort(s, svc); ok {
				path := fmt.Sprintf("/spec/targetRefs/%d", i)
				v.ops = []diagnose.JSONPatchOp{{Op: "test", Path: path + "/name", Value: svc.Name}, {Op: "add", Path: path + "/sectionName", Value: name}}
				policy = policyRef(p)
				v.evidence = append(v.evidence, fmt.Sprintf("port %q is the only port of Service %s that serves TLS: sectionName %s limits the policy to it", name, svc.Name, name))
			}
			break
		}
	}
	if v.cause == "" {
		return nil
	}
	// The fix is the policy's: limit it to the TLS port, or edit it.
	fix := diagnose.EditCmd(policy)
	if len(v.ops) > 0 {
		fix = diagnose.JSONPatchCmd(policy, v.ops...)
	}
	f := v.finding(r, "requests the route sends to that backend fail (HTTP 502 or 503 from the Gateway): the TLS handshake with a plain-HTTP backend cannot succeed", fix, diagnose.DescribeCmd(r.Ref))
	if !proven {
		f.Severity = diagnose.SeverityWarning
		f.Cause += " (judged by the port's name and number only: nothing else the input holds says what it speaks)"
	}
	return f
}

// policiesInEffect keeps the policies the Gateway applies: those whose CA
// resolves and whose controller has not rejected them (a policy not in
// effect makes the Gateway speak plain HTTP, which a plain backend wants).
func policiesInEffect(s *snapshot.Snapshot, policies []*gwv1.BackendTLSPolicy) []*gwv1.BackendTLSPolicy {
	var out []*gwv1.BackendTLSPolicy
	for _, p := range policies {
		if _, refs := policiesNotInEffect(s, []*gwv1.BackendTLSPolicy{p}, false); len(refs) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// policyScopeLine says how policy p comes to cover port sp of svc.
func policyScopeLine(p *gwv1.BackendTLSPolicy, svc *corev1.Service, sp corev1.ServicePort) string {
	for i, t := range p.Spec.TargetRefs {
		if !serviceTarget(t) || string(t.Name) != svc.Name {
			continue
		}
		if t.SectionName == nil {
			return fmt.Sprintf("BackendTLSPolicy %s spec.targetRefs[%d] names Service %s without sectionName, so it covers every port, %s among them", p.Name, i, svc.Name, sp.Name)
		}
		return fmt.Sprintf("BackendTLSPolicy %s spec.targetRefs[%d] names Service %s sectionName %s", p.Name, i, svc.Name, *t.SectionName)
	}
	return "BackendTLSPolicy " + p.Name + " targets Service " + svc.Name
}

// backendSpeaksPlain judges whether a Service port's backend speaks plain
// HTTP; sure when its appProtocol or an HTTP probe on the target port says
// so, not when only the conventions do (a port named http on 80).
func backendSpeaksPlain(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) (plain, sure bool, why string) {
	switch v, why := backendServesTLS(s, svc, sp); {
	case v < 0:
		return true, true, why
	case v > 0:
		return false, false, ""
	}
	name := strings.ToLower(sp.Name)
	target := snapshot.TargetPortOf(sp)
	if (name == "http" || strings.HasPrefix(name, "http-")) && sp.Port == 80 && target.IntValue() == 80 {
		return true, false, fmt.Sprintf("Service %s port %d is named %s and targets port 80, the plain HTTP conventions", svc.Name, sp.Port, sp.Name)
	}
	return false, false, ""
}

// onlyTLSPort is the name of the one port of svc that serves TLS, when
// exactly one does and it has a name a sectionName can give.
func onlyTLSPort(s *snapshot.Snapshot, svc *corev1.Service) (string, bool) {
	var names []string
	for _, sp := range svc.Spec.Ports {
		if v, _ := backendServesTLS(s, svc, sp); v > 0 {
			names = append(names, sp.Name)
		}
	}
	if len(names) != 1 || names[0] == "" {
		return "", false
	}
	return names[0], true
}
