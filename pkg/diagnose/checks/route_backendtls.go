package checks

// TLS from the Gateway to its backends: a BackendTLSPolicy tells the
// Gateway to open TLS to a Service (or one port of it, sectionName being
// the port's name), which CA to trust and which hostname to verify.
// Without a policy that applies, every Gateway API implementation speaks
// plain HTTP to the backend; a backend that only serves TLS then answers
// 400 or resets the connection. A policy whose target or CA does not
// resolve protects nothing and, for a missing CA, makes the connection
// fail with a 5xx as the specification demands.

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// backendTLSChecks are the route layer's checks of TLS to backends.
var backendTLSChecks = []*diagnose.Check{
	routeBackendTLSMissing, backendTLSPolicyTargetMissing, backendTLSPolicyCAMissing, backendTLSPolicyRejected, routeBackendTLSPlain,
}

var backendTLSPolicyTargetMissing = &diagnose.Check{
	ID:       "backend-tls-policy-target-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A BackendTLSPolicy targetRef names a Service that does not exist in the policy's namespace, or a sectionName no port of the Service has (sectionName is the port's name, not its number): the policy applies to nothing and the Gateway speaks plain HTTP to the backend it was meant for. A warning when no route forwards to a backend it could have been meant for.",
	Run:      runBackendTLSPolicyTargetMissing,
}

var backendTLSPolicyCAMissing = &diagnose.Check{
	ID:       "backend-tls-policy-ca-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "A BackendTLSPolicy caCertificateRef names a ConfigMap that does not exist or holds no ca.crt key (or a Secret that does not exist): ResolvedRefs False (InvalidCACertificateRef), and connections to the backend fail with HTTP 5xx. A warning when no route forwards to the Services it targets.",
	Run:      runBackendTLSPolicyCAMissing,
}

var backendTLSPolicyRejected = &diagnose.Check{
	ID:       "backend-tls-policy-rejected",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "The controller's status on a BackendTLSPolicy says Accepted False or ResolvedRefs False for a reason the spec checks do not find (an implementation-specific limit, a conflict, objects the input lacks); a stale verdict, or one on a policy no route's backend uses, is a warning.",
	Run:      runBackendTLSPolicyRejected,
}

var routeBackendTLSMissing = &diagnose.Check{
	ID:       "route-backend-tls-missing",
	Layer:    diagnose.LayerRoute,
	Severity: diagnose.SeverityError,
	Doc:      "An HTTPRoute or GRPCRoute forwards to a Service port whose backend serves only TLS (appProtocol https, an HTTPS probe on the target port, or a port named https on 443/8443) and no BackendTLSPolicy applies to that port, or the ones that apply are not in effect (no CA resolves, or the controller rejects them): the route's requests fail. Quiet when a probe shows plain HTTP working there.",
	Run:      perRoute(analyzeBackendTLSMissing),
}

// policyRef names a BackendTLSPolicy.
func policyRef(p *gwv1.BackendTLSPolicy) snapshot.ObjectRef {
	return snapshot.Ref(snapshot.KindBackendTLSPolicy, p)
}

// serviceTarget reports whether a policy targetRef names a core Service;
// other kinds (ServiceImport, an implementation's Backend) are not judged.
func serviceTarget(t gwv1.LocalPolicyTargetReferenceWithSectionName) bool {
	return coreGroup(t.Group) && t.Kind == snapshot.KindService
}

// coreGroup reports whether a policy reference names the core API group.
// The Gateway API spells it "", and Kong's controller also reads "core" (its
// published BackendTLSPolicy example writes it): taking "core" as core keeps
// such a policy in effect instead of calling its backend unprotected. A
// controller that refuses "core" says so in the policy's status, which
// backend-tls-policy-rejected quotes.
func coreGroup(g gwv1.Group) bool {
	return g == "" || g == "core"
}

// servicePortNamed returns the port of svc with that name, or nil.
func servicePortNamed(svc *corev1.Service, name string) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Name == name {
			return &svc.Spec.Ports[i]
		}
	}
	return nil
}

// policyStatusEvidence quotes the policy's Accepted and ResolvedRefs
// conditions that are not True, for every ancestor the controller wrote.
func policyStatusEvidence(p *gwv1.BackendTLSPolicy) (lines []string, allStale bool) {
	allStale = true
	for _, a := range p.Status.Ancestors {
		what := fmt.Sprintf("status.ancestors[%s] (%s)", ancestorText(p.Namespace, a.AncestorRef), a.ControllerName)
		for _, t := range []gwv1.PolicyConditionType{gwv1.PolicyConditionAccepted, gwv1.BackendTLSPolicyConditionResolvedRefs} {
			c := condition(a.Conditions, string(t))
			if !isFalse(c) {
				continue
			}
			lines = append(lines, statusConditionLine(what, c, p.Generation))
			allStale = allStale && stale(c, p.Generation)
		}
	}
	return lines, allStale
}

// ancestorText names a policy's ancestor (usually the Gateway) for evidence.
func ancestorText(ns string, ref gwv1.ParentReference) string {
	target, _ := snapshot.ParentTarget(ns, ref)
	return target.String()
}

// policyProblem is one reference of a policy that does not resolve, with
// the patch that repairs it when the meant value is clear.
type policyProblem struct {
	evidence []string
	patch    []diagnose.JSONPatchOp
}

// problemsText gathers the evidence and patches of a policy's problems;
// fixable is true when every problem has its patch.
func problemsText(problems []policyProblem) (evidence []string, ops []diagnose.JSONPatchOp, fixable bool) {
	fixable = true
	for _, pr := range problems {
		evidence = append(evidence, pr.evidence...)
		ops = append(ops, pr.patch...)
		fixable = fixable && len(pr.patch) > 0
	}
	return evidence, ops, fixable
}

// targetProblem is why one targetRef of a policy resolves to nothing.
type targetProblem struct {
	policyProblem
	index int
	ref   gwv1.LocalPolicyTargetReferenceWithSectionName
	// service is the Service the targetRef names, when it exists.
	service *corev1.Service
}

// unresolvedTargets lists the Service targetRefs of p that name no Service,
// or a port name the Service does not have. notChecked records the
// targets the input cannot judge.
func unresolvedTargets(s *snapshot.Snapshot, p *gwv1.BackendTLSPolicy, notChecked func(string)) []targetProblem {
	var out []targetProblem
	for i, t := range p.Spec.TargetRefs {
		if !serviceTarget(t) {
			continue
		}
		field := fmt.Sprintf("spec.targetRefs[%d]", i)
		pointer := fmt.Sprintf("/spec/targetRefs/%d", i)
		svc := s.Service(p.Namespace, string(t.Name))
		if svc == nil {
			if !s.Knows(snapshot.KindService, p.Namespace) {
				notChecked(fmt.Sprintf("the input has no Services in namespace %s: cannot tell whether target %s exists", p.Namespace, t.Name))
				continue
			}
			pr := targetProblem{index: i, ref: t}
			pr.evidence = append(pr.evidence, fmt.Sprintf("%s → Service %s: no Service %q in namespace %s (a BackendTLSPolicy targets Services in its own namespace)", field, t.Name, t.Name, p.Namespace))
			var names []string
			for _, other := range s.ServicesIn(p.Namespace) {
				names = append(names, other.Name)
			}
			if len(names) == 0 {
				pr.evidence = append(pr.evidence, fmt.Sprintf("namespace %s has no Services", p.Namespace))
			} else {
				pr.evidence = append(pr.evidence, fmt.Sprintf("Services in namespace %s: %s", p.Namespace, joinLimit(names, 8)))
				if near, _, ok := nearestName(string(t.Name), names); ok && (typoOrSuffix(string(t.Name), near) || typoOrStem(string(t.Name), near)) {
					pr.evidence = append(pr.evidence, fmt.Sprintf("Service %s is the nearest name", near))
					pr.patch = []diagnose.JSONPatchOp{{Op: "test", Path: pointer + "/name", Value: string(t.Name)}, {Op: "replace", Path: pointer + "/name", Value: near}}
				}
			}
			out = append(out, pr)
			continue
		}
		if t.SectionName == nil || servicePortNamed(svc, string(*t.SectionName)) != nil {
			continue
		}
		section := string(*t.SectionName)
		pr := targetProblem{index: i, ref: t, service: svc}
		pr.evidence = append(pr.evidence,
			fmt.Sprintf("%s → Service %s sectionName %q: the Service has no port named %q (for a Service, sectionName is the port's name)", field, svc.Name, section, section),
			fmt.Sprintf("Service %s ports: %s", svc.Name, strings.Join(servicePortsText(svc), "; ")))
		if want, why, ok := meantPortName(svc, section); ok {
			pr.evidence = append(pr.evidence, why)
			pr.patch = []diagnose.JSONPatchOp{{Op: "test", Path: pointer + "/sectionName", Value: section}, {Op: "replace", Path: pointer + "/sectionName", Value: want}}
		}
		out = append(out, pr)
	}
	return out
}

// meantPortName is the port name a wrong sectionName meant: the name of the
// port whose number or targetPort it gives, or the nearest port name.
func meantPortName(svc *corev1.Service, section string) (string, string, bool) {
	var names []string
	for _, sp := range svc.Spec.Ports {
		if sp.Name == "" {
			continue
		}
		names = append(names, sp.Name)
		if target := snapshot.TargetPortOf(sp); fmt.Sprint(sp.Port) == section || target.String() == section {
			return sp.Name, fmt.Sprintf("%s is the number of port %q: sectionName takes the name", section, sp.Name), true
		}
	}
	if near, _, ok := nearestName(section, names); ok && typoOrSuffix(section, near) {
		return near, fmt.Sprintf("port %q is the nearest name", near), true
	}
	return "", "", false
}

// backendTLSSymptom is what clients see when the Gateway speaks plain HTTP
// to a backend that serves TLS.
const backendTLSSymptom = "requests the Gateway forwards to the backend fail: it speaks plain HTTP to a port that serves TLS, " +
	"so the backend answers 400 (\"Client sent an HTTP request to an HTTPS server\", \"The plain HTTP request was sent to HTTPS port\") " +
	"or resets the connection (502/503 \"upstream connect error or disconnect/reset before headers\")"

func runBackendTLSPolicyTargetMissing(s *snapshot.Snapshot, rep *diagnose.Reporter) {
	for _, p := range s.BackendTLSPolicies {
		ref := policyRef(p)
		problems := unresolvedTargets(s, p, func(why string) { rep.NotChecked(ref, why) })
		if len(problems) == 0 {
			continue
		}
		common := make([]policyProblem, len(problems))
		for i, pr := range problems {
			common[i] = pr.policyProblem
		}
		evidence, ops, fixable := problemsText(common)
		status, _ := policyStatusEvidence(p)
		evidence = append(evidence, status...)
		first := problems[0]
		cause := fmt.Sprintf("BackendTLSPolicy %s targets Service %s, which does not exist, so the policy applies to no backend", p.Name, first.ref.Name)
		if first.service != nil {
			cause = fmt.Sprintf("BackendTLSPolicy %s targets port %q of Service %s, which has no port of that name, so the policy applies to no port", p.Name, *first.ref.SectionName, first.service.Name)
		}
		fix := diagnose.EditCmd(ref)
		if fixable {
			fix = diagnose.JSONPatchCmd(ref, ops...)
		}
		f := diagnose.Finding{
			Object:   ref,
			Symptom:  backendTLSSymptom,
			Cause:    cause,
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.DescribeCmd(ref),
		}
		if !targetsBreakTraffic(s, p.Namespace, problems) {
			// A policy left behind for a deleted Service or port fails
			// no request: worth cleaning up, not an outage.
			f.Severity = diagnose.SeverityWarning
			f.Cause += "; no route forwards to a backend it could have been meant for, so no request fails because of it yet"
		}
		rep.Report(f)
	}
}

// targetsBreakTraffic reports whether a policy's unresolved targets can
// break requests: a route forwards to the Service whose port name is wrong,
// or, for a Service that does not exist, some route forwards to a TLS
// backend of the namespace that no policy covers.
func targetsBreakTraffic(s *snapshot.Snapshot, ns string, problems []targetProblem) bool {
	for _, pr := range problems {
		if pr.service != nil {
			if len(s.RoutesToService(ns, pr.service.Name)) > 0 {
				return true
			}
			continue
		}
		for _, svc := range s.ServicesIn(ns) {
			if len(s.RoutesToService(ns, svc.Name)) == 0 {
				continue
			}
			for _, sp := range svc.Spec.Ports {
				if tls, _ := backendServesTLS(s, svc, sp); tls > 0 && len(policiesFor(s, svc, sp)) == 0 {
					return true
				}
			}
		}
	}
	return false
}

// caRefProblems says which caCertificateRefs of p do not resolve: a
// ConfigMap that is missing or has no ca.crt key, a Secret that is missing
// (Secrets are read as metadata only, so their keys are not judged).
// resolved counts the references that do resolve or cannot be judged.
func caRefProblems(s *snapshot.Snapshot, p *gwv1.BackendTLSPolicy, notChecked func(string)) (problems []policyProblem, resolved int) {
	for i, c := range p.Spec.Validation.CACertificateRefs {
		field := fmt.Sprintf("spec.validation.caCertificateRefs[%d]", i)
		pointer := fmt.Sprintf("/spec/validation/caCertificateRefs/%d/name", i)
		name := string(c.Name)
		switch {
		case coreGroup(c.Group) && c.Kind == snapshot.KindConfigMap:
			if !s.Knows(snapshot.KindConfigMap, p.Namespace) {
				notChecked(fmt.Sprintf("the input has no ConfigMaps in namespace %s: cannot tell whether CA ConfigMap %s exists", p.Namespace, name))
				resolved++
				continue
			}
			if cm := s.ConfigMap(p.Namespace, name); cm != nil {
				if hasCAKey(cm) {
					resolved++
					continue
				}
				problems = append(problems, policyProblem{evidence: []string{fmt.Sprintf("%s → ConfigMap %s exists but has no key ca.crt (its keys: %s); the CA certificate must be under ca.crt", field, name, configMapKeys(cm))}})
				continue
			}
			pr := policyProblem{evidence: []string{fmt.Sprintf("%s → ConfigMap %s: no ConfigMap %q in namespace %s (CA references stay in the policy's namespace)", field, name, name, p.Namespace)}}
			candidates := caConfigMaps(s, p.Namespace)
			if len(candidates) == 0 {
				pr.evidence = append(pr.evidence, fmt.Sprintf("no ConfigMap in namespace %s holds a ca.crt key", p.Namespace))
			} else {
				pr.evidence = append(pr.evidence, fmt.Sprintf("ConfigMaps in namespace %s with a ca.crt key: %s", p.Namespace, joinLimit(candidates, 8)))
				if near, _, ok := nearestName(name, candidates); ok && (typoOrSuffix(name, near) || typoOrStem(name, near)) {
					pr.patch = []diagnose.JSONPatchOp{{Op: "test", Path: pointer, Value: name}, {Op: "replace", Path: pointer, Value: near}}
				}
			}
			problems = append(problems, pr)
		case coreGroup(c.Group) && c.Kind == snapshot.KindSecret:
			if !s.Knows(snapshot.KindSecret, p.Namespace) {
				notChecked(fmt.Sprintf("the input has no Secrets in namespace %s: cannot tell whether CA Secret %s exists", p.Namespace, name))
				resolved++
				continue
			}
			if s.Secret(p.Namespace, name) != nil {
				resolved++
				continue
			}
			problems = append(problems, policyProblem{evidence: []string{fmt.Sprintf("%s → Secret %s: no Secret %q in namespace %s (a Secret as CA is implementation-specific; ConfigMap is the core kind)", field, name, name, p.Namespace)}})
		default:
			// Another group or kind is implementation-specific: the status
			// says whether the controller resolves it.
			resolved++
		}
	}
	return problems, resolved
}

// hasCAKey reports whether a ConfigMap holds the ca.crt key a
// BackendTLSPolicy reads.
func hasCAKey(cm *corev1.ConfigMap) bool {
	_, inData := cm.Data["ca.crt"]
	_, inBinary := cm.BinaryData["ca.crt"]
	return inData || inBinary
}

// configMapKeys lists a ConfigMap's keys for evidence.
func configMapKeys(cm *corev1.ConfigMap) string {
	var keys []string
	for k := range cm.Data {
		keys = append(keys, k)
	}
	for k := range cm.BinaryData {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "none"
	}
	sort.Strings(keys)
	return joinLimit(keys, 8)
}

// caConfigMaps names the ConfigMaps of ns that hold a ca.crt key, sorted.
func caConfigMaps(s *snapshot.Snapshot, ns string) []string {
	var out []string
	for _, cm := range s.ConfigMaps {
		if cm.Namespace != ns {
			continue
		}
		if hasCAKey(cm) {
			out = append(out, cm.Name)
		}
	}
	sort.Strings(out)
	return out
}

func runBackendTLSPolicyCAMissing(s *snapshot.Snapshot, rep *diagnose.Reporter) {
	for _, p := range s.BackendTLSPolicies {
		ref := policyRef(p)
		problems, resolved := caRefProblems(s, p, func(why string) { rep.NotChecked(ref, why) })
		if len(problems) == 0 {
			continue
		}
		evidence, ops, fixable := problemsText(problems)
		if resolved == 0 {
			evidence = append(evidence, "no caCertificateRef resolves: the policy cannot be Accepted (NoValidCACertificate)")
		}
		status, _ := policyStatusEvidence(p)
		evidence = append(evidence, status...)
		var targets []string
		for _, t := range p.Spec.TargetRefs {
			targets = append(targets, fmt.Sprintf("%s %s", t.Kind, t.Name))
		}
		fix := diagnose.EditCmd(ref)
		if fixable {
			fix = diagnose.JSONPatchCmd(ref, ops...)
		}
		f := diagnose.Finding{
			Object:   ref,
			Symptom:  "requests the Gateway forwards to " + strings.Join(targets, ", ") + " get HTTP 5xx: it cannot verify the backend's certificate (ResolvedRefs False, InvalidCACertificateRef)",
			Cause:    fmt.Sprintf("BackendTLSPolicy %s names a CA certificate that does not resolve, so the Gateway has no CA to verify the backend with", p.Name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.DescribeCmd(ref),
		}
		if !policyRouted(s, p) {
			f.Severity = diagnose.SeverityWarning
			f.Cause += "; no route forwards to the Services it targets, so no request fails because of it yet"
		}
		rep.Report(f)
	}
}

// policyRouted reports whether some route forwards to a Service the policy
// targets: only then do its faults fail requests.
func policyRouted(s *snapshot.Snapshot, p *gwv1.BackendTLSPolicy) bool {
	for _, t := range p.Spec.TargetRefs {
		if !serviceTarget(t) || len(s.RoutesToService(p.Namespace, string(t.Name))) > 0 {
			// A target of another kind is routed to in ways the input
			// may not show: assume it carries traffic.
			return true
		}
	}
	return false
}

func runBackendTLSPolicyRejected(s *snapshot.Snapshot, rep *diagnose.Reporter) {
	quiet := func(string) {}
	for _, p := range s.BackendTLSPolicies {
		status, allStale := policyStatusEvidence(p)
		if len(status) == 0 {
			continue
		}
		if len(unresolvedTargets(s, p, quiet)) > 0 {
			continue
		}
		if problems, _ := caRefProblems(s, p, quiet); len(problems) > 0 {
			continue
		}
		ref := policyRef(p)
		evidence := status
		evidence = append(evidence, precedingPolicies(s, p)...)
		for i, c := range p.Spec.Validation.CACertificateRefs {
			if c.Group != "" || c.Kind != snapshot.KindConfigMap {
				evidence = append(evidence, fmt.Sprintf("spec.validation.caCertificateRefs[%d] names %s %s: only a ConfigMap with the CA under key ca.crt is core, every other kind is implementation-specific", i, c.Kind, c.Name))
			}
		}
		evidence = append(evidence, "the spec as hopscope reads it resolves every Service target and CA reference: the reason is the implementation's own, or lies in objects the input does not hold")
		f := diagnose.Finding{
			Object:   ref,
			Symptom:  "the Gateway does not apply the policy: it speaks plain HTTP to the backend or refuses to forward to it (HTTP 5xx)",
			Cause:    fmt.Sprintf("the controller reports that BackendTLSPolicy %s is not accepted or its references do not resolve", p.Name),
			Evidence: evidence,
			Fix:      diagnose.EditCmd(ref),
			Verify:   diagnose.DescribeCmd(ref),
		}
		switch {
		case allStale:
			f.Severity = diagnose.SeverityWarning
			f.Cause += "; that verdict is about an older generation of the policy, so it may already be fixed"
		case !policyRouted(s, p):
			f.Severity = diagnose.SeverityWarning
			f.Cause += "; no route forwards to the Services it targets, so no request fails because of it yet"
		}
		rep.Report(f)
	}
}

// precedingPolicies names the policies that select a target and
// sectionName p selects too and take precedence over it (older, then first
// by namespace/name): the specification has p Conflicted for that target.
func precedingPolicies(s *snapshot.Snapshot, p *gwv1.BackendTLSPolicy) []string {
	var out []string
	for _, t := range p.Spec.TargetRefs {
		for _, o := range s.BackendTLSPolicies {
			if o == p || o.Namespace != p.Namespace || !policyBefore(o, p) || !slices.ContainsFunc(o.Spec.TargetRefs, func(ot gwv1.LocalPolicyTargetReferenceWithSectionName) bool {
				return ot.Group == t.Group && ot.Kind == t.Kind && ot.Name == t.Name && sectionName(ot.SectionName) == sectionName(t.SectionName)
			}) {
				continue
			}
			where := fmt.Sprintf("%s %s", t.Kind, t.Name)
			if t.SectionName != nil {
				where += fmt.Sprintf(" port %q", *t.SectionName)
			}
			out = append(out, fmt.Sprintf("BackendTLSPolicy %s/%s (created %s) also selects %s and takes precedence as the older policy: this one is Conflicted there; merge them into one policy or target different ports",
				o.Namespace, o.Name, o.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z"), where))
		}
	}
	return out
}

// policyBefore reports whether policy a takes precedence over b for a
// target both select: the older, then the first by namespace/name.
func policyBefore(a, b *gwv1.BackendTLSPolicy) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// sectionName is an optional section name, "" when unset.
func sectionName(n *gwv1.SectionName) string {
	if n == nil {
		return ""
	}
	return string(*n)
}

// policiesFor returns the BackendTLSPolicies that apply to port sp of svc:
// a Service targetRef naming svc with no sectionName or the port's name.
func policiesFor(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) []*gwv1.BackendTLSPolicy {
	var out []*gwv1.BackendTLSPolicy
	for _, p := range s.BackendTLSPolicies {
		if p.Namespace != svc.Namespace {
			continue
		}
		for _, t := range p.Spec.TargetRefs {
			if serviceTarget(t) && string(t.Name) == svc.Name && (t.SectionName == nil || string(*t.SectionName) == sp.Name) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// backendServesTLS judges whether a Service port's backend serves only
// TLS: appProtocol and probes first (backendTLSEvidence), then, when they
// say nothing, the two naming conventions together (a port named https on
// 443 or 8443). +1 TLS, -1 plain HTTP seen working, 0 unknown.
func backendServesTLS(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) (int, string) {
	if v, why := backendTLSEvidence(s, svc, sp); v != 0 {
		return v, why
	}
	name := strings.ToLower(sp.Name)
	target := snapshot.TargetPortOf(sp)
	if (name == "https" || strings.HasPrefix(name, "https-")) && (target.IntValue() == 443 || target.IntValue() == 8443) {
		return 1, fmt.Sprintf("Service %s port %d is named %s and targets port %d, the HTTPS conventions", svc.Name, sp.Port, sp.Name, target.IntValue())
	}
	return 0, ""
}

// dialsTLSByAppProtocol reports whether every Gateway the route attaches
// to is run by an implementation known to open TLS for appProtocol https
// without a policy (Traefik).
func dialsTLSByAppProtocol(s *snapshot.Snapshot, r *snapshot.Route) bool {
	found := false
	for _, a := range s.Attachments(r) {
		if a.Gateway == nil {
			continue
		}
		class := s.GatewayClass(string(a.Gateway.Spec.GatewayClassName))
		if class == nil || !strings.Contains(string(class.Spec.ControllerName), "traefik") {
			return false
		}
		found = true
	}
	return found
}

// brokenPoliciesIn lists the policies of ns whose Service targets do not
// resolve: one of them was likely meant for the backend.
func brokenPoliciesIn(s *snapshot.Snapshot, ns string) []*gwv1.BackendTLSPolicy {
	quiet := func(string) {}
	var out []*gwv1.BackendTLSPolicy
	for _, p := range s.BackendTLSPolicies {
		if p.Namespace == ns && len(unresolvedTargets(s, p, quiet)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// routedPort is one Service port a route's backendRef sends requests to.
type routedPort struct {
	backend routeBackend
	svc     *corev1.Service
	sp      *corev1.ServicePort
}

// httpRoutedPorts lists the Service ports an HTTPRoute or GRPCRoute sends
// requests to, each once, in backendRef order: the ports whose backends
// the Gateway opens HTTP (or TLS) connections to. TLS, TCP and UDP routes
// pass the client's bytes through, so they have none.
func httpRoutedPorts(s *snapshot.Snapshot, r *snapshot.Route) []routedPort {
	if r.HTTP == nil && r.GRPC == nil {
		return nil
	}
	var out []routedPort
	seen := map[string]bool{}
	for _, b := range serviceBackends(r) {
		svc := s.Service(b.service.Namespace, b.service.Name)
		if svc == nil || b.ref.Port == nil {
			continue
		}
		sp := servicePort(svc, *b.ref.Port)
		key := fmt.Sprintf("%s:%d", b.service, *b.ref.Port)
		if sp == nil || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, routedPort{backend: b, svc: svc, sp: sp})
	}
	return out
}

func analyzeBackendTLSMissing(s *snapshot.Snapshot, r *snapshot.Route, _ func(string)) *diagnose.Finding {
	var evidence []string
	var affects, explainedBy []snapshot.ObjectRef
	var manifests []string
	cause := ""
	for _, rp := range httpRoutedPorts(s, r) {
		b, svc, sp := rp.backend, rp.svc, rp.sp
		tls, why := backendServesTLS(s, svc, *sp)
		if policies := policiesFor(s, svc, *sp); len(policies) > 0 {
			lines, refs := policiesNotInEffect(s, policies, tls < 0)
			if len(refs) < len(policies) {
				continue
			}
			evidence = append(evidence, fmt.Sprintf("%s → Service %s port %s", b.field(), svc.Name, servicePortText(*sp)))
			evidence = append(evidence, lines...)
			explainedBy = append(explainedBy, refs...)
			affects = append(affects, b.service)
			if cause == "" {
				cause = fmt.Sprintf("%s %s forwards to Service %s port %d, and the BackendTLSPolicy that applies to it is not in effect", r.Ref.Kind, r.Ref.Name, svc.Name, sp.Port)
			}
			continue
		}
		if tls <= 0 {
			continue
		}
		if sp.AppProtocol != nil && strings.EqualFold(*sp.AppProtocol, "https") && dialsTLSByAppProtocol(s, r) {
			continue
		}
		evidence = append(evidence, fmt.Sprintf("%s → Service %s port %s", b.field(), svc.Name, servicePortText(*sp)), why,
			fmt.Sprintf("no BackendTLSPolicy in namespace %s targets Service %s (or its port %q)", svc.Namespace, svc.Name, sp.Name))
		for _, p := range brokenPoliciesIn(s, svc.Namespace) {
			var names []string
			for _, t := range p.Spec.TargetRefs {
				n := string(t.Name)
				if t.SectionName != nil {
					n += " sectionName " + string(*t.SectionName)
				}
				names = append(names, n)
			}
			evidence = append(evidence, fmt.Sprintf("BackendTLSPolicy %s/%s targets %s, which does not resolve: was it meant for this Service?", p.Namespace, p.Name, strings.Join(names, ", ")))
			explainedBy = append(explainedBy, policyRef(p))
		}
		affects = append(affects, b.service)
		manifests = append(manifests, backendTLSPolicyYAML(s, svc, *sp))
		if cause == "" {
			cause = fmt.Sprintf("%s %s forwards to Service %s port %d, whose backend serves TLS, and no BackendTLSPolicy tells the Gateway to open TLS to it", r.Ref.Kind, r.Ref.Name, svc.Name, sp.Port)
		}
	}
	if cause == "" {
		return nil
	}
	var fix string
	if len(manifests) > 0 {
		evidence = append(evidence, "validation.hostname must be a name in the backend's certificate; the fix uses the external name of an ExternalName Service, else the Service's cluster DNS name")
		fix = diagnose.ApplyCmd(strings.Join(manifests, "---\n"))
	} else {
		// Every backend has a policy that is not in effect: the fix is
		// the policy's, and its own finding says which.
		fix = diagnose.EditCmd(explainedBy[0])
	}
	return &diagnose.Finding{
		Object:      r.Ref,
		Affects:     affects,
		ExplainedBy: explainedBy,
		Symptom:     backendTLSSymptom,
		Cause:       cause,
		Evidence:    evidence,
		Fix:         fix,
		Verify:      diagnose.Kubectl("get", "backendtlspolicies.gateway.networking.k8s.io", "-n", affects[0].Namespace),
	}
}

// policiesNotInEffect says which of the policies that apply to a backend
// port the Gateway cannot use: no CA reference resolves (the connection must
// then fail with a 5xx), or the controller's current status rejects it.
// plain is true when a probe shows the backend serving plain HTTP there: a
// rejected policy then breaks nothing.
func policiesNotInEffect(s *snapshot.Snapshot, policies []*gwv1.BackendTLSPolicy, plain bool) (lines []string, refs []snapshot.ObjectRef) {
	quiet := func(string) {}
	for _, p := range policies {
		ref := policyRef(p)
		if problems, resolved := caRefProblems(s, p, quiet); len(problems) > 0 && resolved == 0 {
			lines = append(lines, fmt.Sprintf("BackendTLSPolicy %s/%s applies to this port, but none of its CA references resolves: the Gateway must fail these connections", p.Namespace, p.Name))
			refs = append(refs, ref)
			continue
		}
		if status, allStale := policyStatusEvidence(p); len(status) > 0 && !allStale && !plain {
			lines = append(lines, fmt.Sprintf("BackendTLSPolicy %s/%s applies to this port, but its controller does not accept it", p.Namespace, p.Name))
			refs = append(refs, ref)
		}
	}
	return lines, refs
}

// tlsHostname is the name the Gateway verifies a backend's certificate
// against in the policy a fix writes: an ExternalName Service's external
// name, which its certificate carries, else the Service's cluster DNS name.
func tlsHostname(svc *corev1.Service) string {
	if svc.Spec.Type == corev1.ServiceTypeExternalName && svc.Spec.ExternalName != "" {
		return strings.TrimSuffix(svc.Spec.ExternalName, ".")
	}
	return svc.Name + "." + svc.Namespace + ".svc.cluster.local"
}

// backendTLSPolicyYAML is the BackendTLSPolicy that makes the Gateway open
// TLS to port sp of svc: the port by name when the Service has several,
// tlsHostname as the hostname, and the namespace's CA ConfigMap when exactly
// one (other than the cluster's kube-root-ca.crt) holds a ca.crt key and the
// backend is in the cluster, else the system CAs.
func backendTLSPolicyYAML(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) string {
	target := map[string]any{"group": "", "kind": snapshot.KindService, "name": svc.Name}
	if sp.Name != "" && len(svc.Spec.Ports) > 1 {
		target["sectionName"] = sp.Name
	}
	validation := map[string]any{"hostname": tlsHostname(svc)}
	cas := slices.DeleteFunc(caConfigMaps(s, svc.Namespace), func(n string) bool { return n == "kube-root-ca.crt" })
	if len(cas) == 1 && svc.Spec.Type != corev1.ServiceTypeExternalName {
		validation["caCertificateRefs"] = []any{map[string]any{"group": "", "kind": snapshot.KindConfigMap, "name": cas[0]}}
	} else {
		validation["wellKnownCACertificates"] = string(gwv1.WellKnownCACertificatesSystem)
	}
	manifest := map[string]any{
		"apiVersion": snapshot.GatewayGroup + "/v1",
		"kind":       snapshot.KindBackendTLSPolicy,
		"metadata":   map[string]any{"name": svc.Name + "-backend-tls", "namespace": svc.Namespace},
		"spec":       map[string]any{"targetRefs": []any{target}, "validation": validation},
	}
	out, err := yaml.Marshal(manifest)
	if err != nil {
		// Maps of strings always marshal; failing here is a bug.
		panic("checks: cannot marshal a BackendTLSPolicy: " + err.Error())
	}
	return string(out)
}
