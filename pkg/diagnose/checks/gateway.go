package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The gateway layer: a Gateway takes traffic only when its GatewayClass is
// accepted by a running controller, the controller has programmed it with an
// address, and the listener a request arrives on is valid (no conflict, its
// port available, its certificate present and permitted).

var gatewayChecks = []*diagnose.Check{
	gatewayClassMissing, gatewayControllerUnavailable, gatewayNotProgrammed, gatewayListenerRejected,
	gatewayTLSCertificateMissing, gatewayCertificateRefNotPermitted,
}

var gatewayClassMissing = &diagnose.Check{
	ID:       "gateway-class-missing",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "A Gateway names a GatewayClass that does not exist, so no controller programs it.",
	Run:      runGatewayClassMissing,
}

var gatewayControllerUnavailable = &diagnose.Check{
	ID:       "gateway-controller-unavailable",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "A Gateway's GatewayClass is not Accepted (or still waits for a controller), or no pod of its controller runs and is ready.",
	Run:      runGatewayControllerUnavailable,
}

var gatewayNotProgrammed = &diagnose.Check{
	ID:       "gateway-not-programmed",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "A Gateway's status says it is not Accepted or not Programmed (no address, no resources); a Programmed Gateway without an address, or a stale status, is a warning.",
	Run:      runGatewayNotProgrammed,
}

var gatewayListenerRejected = &diagnose.Check{
	ID:       "gateway-listener-rejected",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "A Gateway listener conflicts with another on its port (protocol or hostname), or its status says Conflicted, not Accepted (port unavailable, unsupported protocol) or not Programmed.",
	Run:      runGatewayListenerRejected,
}

var gatewayTLSCertificateMissing = &diagnose.Check{
	ID:       "gateway-tls-certificate-missing",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "An HTTPS (or terminating TLS) listener has no certificateRefs, names a Secret that does not exist, or the controller rejects its certificate.",
	Run:      runGatewayTLSCertificateMissing,
}

var gatewayCertificateRefNotPermitted = &diagnose.Check{
	ID:       "gateway-certificate-ref-not-permitted",
	Layer:    diagnose.LayerGateway,
	Severity: diagnose.SeverityError,
	Doc:      "A listener's certificateRef names a Secret in another namespace and no ReferenceGrant there permits it; the fix is the ReferenceGrant.",
	Run:      runGatewayCertificateRefNotPermitted,
}

func gatewayVerify(ref snapshot.ObjectRef) string { return diagnose.GetCmd(ref) }

func runGatewayClassMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		name := string(gw.Spec.GatewayClassName)
		if s.GatewayClass(name) != nil {
			continue
		}
		ref := snapshot.Ref(snapshot.KindGateway, gw)
		if !s.Knows(snapshot.KindGatewayClass, "") {
			r.NotChecked(ref, fmt.Sprintf("the input has no GatewayClass objects: cannot tell whether class %q exists", name))
			continue
		}
		var classes []string
		for _, c := range s.GatewayClasses {
			classes = append(classes, fmt.Sprintf("%s (controller %s)", c.Name, c.Spec.ControllerName))
		}
		evidence := []string{fmt.Sprintf("spec.gatewayClassName: %q", name)}
		fix := diagnose.EditCmd(ref)
		switch len(s.GatewayClasses) {
		case 0:
			evidence = append(evidence, "the input holds no GatewayClass at all")
		case 1:
			evidence = append(evidence, "the only GatewayClass is "+classes[0])
			fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"gatewayClassName": s.GatewayClasses[0].Name}})
		default:
			evidence = append(evidence, "GatewayClasses: "+strings.Join(classes, ", "))
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "the Gateway never gets an address and every route attached to it is unreachable: no controller picks it up",
			Cause:    fmt.Sprintf("Gateway %s names GatewayClass %q, which does not exist", gw.Name, name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   gatewayVerify(ref),
		})
	}
}

// classProblem says why gw's GatewayClass serves nothing: it is not
// accepted, still waits for a controller, or its controller does not run.
// ok is false when the class looks served (or the input cannot tell).
func classProblem(s *snapshot.Snapshot, gw *gwv1.Gateway) (cause string, evidence []string, explainedBy []snapshot.ObjectRef, ok bool) {
	class := s.GatewayClass(string(gw.Spec.GatewayClassName))
	if class == nil {
		return "", nil, nil, false
	}
	what := "GatewayClass " + class.Name
	acc := condition(class.Status.Conditions, string(gwv1.GatewayClassConditionStatusAccepted))
	ctrl := string(class.Spec.ControllerName)
	evidence = append(evidence, fmt.Sprintf("%s: controllerName %s", what, ctrl))
	if acc != nil {
		evidence = append(evidence, statusConditionLine(what, acc, class.Generation))
	}
	switch {
	case isFalse(acc):
		return fmt.Sprintf("the controller %s does not accept GatewayClass %s (%s), so it programs none of its Gateways", ctrl, class.Name, acc.Reason), evidence, nil, true
	case pendingDefault(acc):
		return fmt.Sprintf("no controller has accepted GatewayClass %s: its status is still the default the CRD gives (nothing runs with controllerName %s)", class.Name, ctrl), evidence, nil, true
	}
	impl, known := controllerOf(ctrl)
	if !known || !seesEveryPod(s) {
		return "", nil, nil, false
	}
	pods := impl.pods(s)
	if len(pods) == 0 {
		if isTrue(acc) {
			evidence = append(evidence, "the Accepted condition was written by a controller that no longer runs: it is left over, not current")
		}
		return fmt.Sprintf("no %s pod runs in the cluster, so nothing serves controllerName %s", impl.name, ctrl), evidence, nil, true
	}
	ready := 0
	seenNode := map[string]bool{}
	for _, p := range pods {
		if podServing(p) {
			ready++
		}
		evidence = append(evidence, s.SubjectOf(p).String()+": "+podStateText(p))
		if n := p.Spec.NodeName; n != "" && !seenNode[n] {
			seenNode[n] = true
			explainedBy = append(explainedBy, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: n})
		}
	}
	if ready > 0 {
		return "", nil, nil, false
	}
	return fmt.Sprintf("the %s controller is down: none of its %d pod(s) is ready, so nothing programs Gateways of class %s", impl.name, len(pods), class.Name), evidence, explainedBy, true
}

// seesEveryPod reports whether the input shows the pods of every namespace,
// so that a controller's absence is a fact.
func seesEveryPod(s *snapshot.Snapshot) bool {
	return s.ClusterDump() || (s.Live && s.Knows(snapshot.KindPod, ""))
}

// gatewayImplementation is a Gateway API controller hopscope can recognise
// by its controllerName prefix and the image its pods run.
type gatewayImplementation struct {
	prefix, name string
	images       []string
}

// gatewayImplementations are the controllers whose pods run in the cluster
// itself; cloud-managed Gateways (GKE, AWS, Azure) run outside it and are
// judged by their status only.
var gatewayImplementations = []gatewayImplementation{
	{prefix: "gateway.envoyproxy.io/", name: "Envoy Gateway", images: []string{"envoyproxy/gateway"}},
	{prefix: "io.cilium/", name: "Cilium", images: []string{"cilium/operator"}},
	{prefix: "istio.io/", name: "Istio", images: []string{"istio/pilot", "istio/istiod"}},
	{prefix: "gateway.nginx.org/", name: "NGINX Gateway Fabric", images: []string{"nginx-gateway-fabric"}},
	{prefix: "kgateway.dev/", name: "kgateway", images: []string{"kgateway"}},
	{prefix: "projectcontour.io/", name: "Contour", images: []string{"projectcontour/contour"}},
	{prefix: "traefik.io/", name: "Traefik", images: []string{"traefik"}},
	{prefix: "konghq.com/", name: "Kong", images: []string{"kong/kubernetes-ingress-controller"}},
}

func controllerOf(controllerName string) (gatewayImplementation, bool) {
	for _, impl := range gatewayImplementations {
		if strings.HasPrefix(controllerName, impl.prefix) {
			return impl, true
		}
	}
	return gatewayImplementation{}, false
}

// pods returns the pods (not made from templates) that run the
// implementation's controller image.
func (impl gatewayImplementation) pods(s *snapshot.Snapshot) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range s.Pods {
		if snapshot.IsTemplatePod(p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			if containsAny(c.Image, impl.images) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// podStateText says in a few words what a controller pod is doing.
func podStateText(p *corev1.Pod) string {
	parts := []string{"phase " + string(p.Status.Phase)}
	if podServing(p) {
		parts = append(parts, "ready")
	}
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("container %s waiting: %s", c.Name, c.State.Waiting.Reason))
		case c.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("container %s terminated: %s (exit %d)", c.Name, c.State.Terminated.Reason, c.State.Terminated.ExitCode))
		}
		if c.RestartCount > 0 {
			parts = append(parts, fmt.Sprintf("%d restarts", c.RestartCount))
		}
		if t := c.LastTerminationState.Terminated; t != nil && t.Message != "" {
			parts = append(parts, fmt.Sprintf("last exit: %q", clipMessage(t.Message)))
		}
	}
	return strings.Join(parts, ", ")
}

func runGatewayControllerUnavailable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		cause, evidence, explainedBy, ok := classProblem(s, gw)
		if !ok {
			continue
		}
		ref := snapshot.Ref(snapshot.KindGateway, gw)
		if prog := condition(gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed)); prog != nil {
			evidence = append(evidence, statusConditionLine("Gateway "+gw.Namespace+"/"+gw.Name, prog, gw.Generation))
		}
		classRef := snapshot.ObjectRef{Kind: snapshot.KindGatewayClass, Name: string(gw.Spec.GatewayClassName)}
		r.Report(diagnose.Finding{
			Object:      ref,
			ExplainedBy: explainedBy,
			Symptom:     "the Gateway has no working data plane: requests to its hostnames time out or are refused, and its routes never become Accepted",
			Cause:       cause,
			Evidence:    evidence,
			Fix:         diagnose.DescribeCmd(classRef),
			Verify:      diagnose.GetCmd(classRef),
		})
	}
}

func runGatewayNotProgrammed(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		if s.GatewayClass(string(gw.Spec.GatewayClassName)) == nil && s.Knows(snapshot.KindGatewayClass, "") {
			continue // gateway-class-missing explains it
		}
		if _, _, _, ok := classProblem(s, gw); ok {
			continue // gateway-controller-unavailable explains it
		}
		if len(gw.Status.Conditions) == 0 {
			continue // a manifest: no status to judge
		}
		ref := snapshot.Ref(snapshot.KindGateway, gw)
		what := "Gateway " + gw.Namespace + "/" + gw.Name
		acc := condition(gw.Status.Conditions, string(gwv1.GatewayConditionAccepted))
		prog := condition(gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed))
		var evidence []string
		for _, c := range []string{string(gwv1.GatewayConditionAccepted), string(gwv1.GatewayConditionProgrammed)} {
			if cond := condition(gw.Status.Conditions, c); cond != nil {
				evidence = append(evidence, statusConditionLine(what, cond, gw.Generation))
			}
		}
		evidence = append(evidence, addressesText(gw))
		f := diagnose.Finding{Object: ref, Evidence: evidence, Fix: diagnose.DescribeCmd(ref), Verify: gatewayVerify(ref)}
		switch {
		case isFalse(acc):
			f.Symptom = "the Gateway serves nothing: its controller rejected it"
			f.Cause = fmt.Sprintf("the controller did not accept Gateway %s (%s)", gw.Name, acc.Reason)
			f.Fix = diagnose.EditCmd(ref)
		case isFalse(prog):
			f.Symptom = "requests to the Gateway fail (no address, or connection refused): its data plane is not configured"
			f.Cause = fmt.Sprintf("Gateway %s is not Programmed (%s)", gw.Name, prog.Reason)
			if prog.Reason == string(gwv1.GatewayReasonAddressNotAssigned) {
				f.Cause = fmt.Sprintf("Gateway %s has no address: the controller could not assign one (%s)", gw.Name, prog.Reason)
			}
		case pendingDefault(acc) || pendingDefault(prog):
			f.Symptom = "the Gateway serves nothing yet: no controller has reconciled it"
			f.Cause = fmt.Sprintf("Gateway %s's status is still the default the CRD gives: the controller of class %s has not reconciled it", gw.Name, gw.Spec.GatewayClassName)
		case isTrue(prog) && len(gw.Status.Addresses) == 0:
			f.Severity = diagnose.SeverityWarning
			f.Symptom = "clients may have no address to reach the Gateway: its status lists none"
			f.Cause = fmt.Sprintf("Gateway %s is Programmed but status.addresses is empty, which contradicts a programmed data plane (the implementation may publish the address only on its Service)", gw.Name)
		case stale(prog, gw.Generation) || stale(acc, gw.Generation):
			f.Severity = diagnose.SeverityWarning
			f.Symptom = "the latest change to the Gateway may not be live yet"
			f.Cause = fmt.Sprintf("Gateway %s's status was written for an older spec: the controller has not confirmed generation %d", gw.Name, gw.Generation)
		default:
			continue
		}
		r.Report(f)
	}
}

// addressesText lists a Gateway's addresses for evidence.
func addressesText(gw *gwv1.Gateway) string {
	if len(gw.Status.Addresses) == 0 {
		return fmt.Sprintf("Gateway %s/%s status.addresses: none", gw.Namespace, gw.Name)
	}
	var out []string
	for _, a := range gw.Status.Addresses {
		out = append(out, a.Value)
	}
	return fmt.Sprintf("Gateway %s/%s status.addresses: %s", gw.Namespace, gw.Name, strings.Join(out, ", "))
}

// listenerFamily groups protocols that may share a port: HTTPS and TLS
// listeners share one by hostname (SNI), HTTP, TCP and UDP listeners do not
// share theirs with another family. ok is false for implementation-specific
// protocols.
func listenerFamily(p gwv1.ProtocolType) (family string, udp bool, ok bool) {
	switch p {
	case gwv1.HTTPProtocolType:
		return "HTTP", false, true
	case gwv1.HTTPSProtocolType, gwv1.TLSProtocolType:
		return "TLS", false, true
	case gwv1.TCPProtocolType:
		return "TCP", false, true
	case gwv1.UDPProtocolType:
		return "UDP", true, true
	}
	return "", false, false
}

// listenerConflicts finds, in a Gateway's merged listeners, those that
// conflict with an earlier one on the same port: another protocol family
// (ProtocolConflict) or the same hostname (HostnameConflict). Among a
// Gateway's own listeners a protocol conflict marks both; a ListenerSet's
// listener yields to the Gateway's and to older sets'.
func listenerConflicts(ls []snapshot.Listener) map[int]string {
	out := map[int]string{}
	for i, a := range ls {
		fa, ua, ok := listenerFamily(a.Spec.Protocol)
		if !ok {
			continue
		}
		for j := 0; j < i; j++ {
			b := ls[j]
			fb, ub, ok := listenerFamily(b.Spec.Protocol)
			if !ok || a.Spec.Port != b.Spec.Port || ua != ub {
				continue
			}
			switch {
			case fa != fb:
				why := fmt.Sprintf("%s and %s share port %d with protocols %s and %s: a port carries one protocol (ProtocolConflict)", b, a, a.Spec.Port, b.Spec.Protocol, a.Spec.Protocol)
				out[i] = why
				if a.Set == nil && b.Set == nil {
					out[j] = why
				}
			case strings.EqualFold(a.Hostname(), b.Hostname()):
				out[i] = fmt.Sprintf("%s repeats the hostname of %s on port %d (HostnameConflict)", a, b, a.Spec.Port)
			}
		}
	}
	return out
}

func runGatewayListenerRejected(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		listeners := s.Listeners(gw)
		conflicts := listenerConflicts(listeners)
		var found listenerFindings
		for i, l := range listeners {
			gen := listenerGeneration(l)
			var evidence []string
			cause := ""
			if why, ok := conflicts[i]; ok {
				evidence = append(evidence, why)
				cause = fmt.Sprintf("listener %q conflicts with another listener on port %d", l.Spec.Name, l.Spec.Port)
			}
			what := fmt.Sprintf("%s status", l)
			if c := condition(l.Conditions, string(gwv1.ListenerConditionConflicted)); isTrue(c) {
				evidence = append(evidence, statusConditionLine(what, c, gen))
				if cause == "" {
					cause = fmt.Sprintf("the controller marks listener %q Conflicted (%s)", l.Spec.Name, c.Reason)
				}
			}
			if c := condition(l.Conditions, string(gwv1.ListenerConditionAccepted)); isFalse(c) {
				evidence = append(evidence, statusConditionLine(what, c, gen))
				if cause == "" {
					cause = fmt.Sprintf("the controller does not accept listener %q (%s)", l.Spec.Name, c.Reason)
					if c.Reason == string(gwv1.ListenerReasonPortUnavailable) {
						cause = fmt.Sprintf("port %d of listener %q is unavailable on the Gateway's address (PortUnavailable)", l.Spec.Port, l.Spec.Name)
					}
				}
			}
			if c := condition(l.Conditions, string(gwv1.ListenerConditionResolvedRefs)); isFalse(c) && c.Reason == string(gwv1.ListenerReasonInvalidRouteKinds) {
				evidence = append(evidence, statusConditionLine(what, c, gen))
				if cause == "" {
					cause = fmt.Sprintf("listener %q names route kinds its protocol %s cannot carry (InvalidRouteKinds)", l.Spec.Name, l.Spec.Protocol)
				}
			}
			if c := condition(l.Conditions, string(gwv1.ListenerConditionProgrammed)); isFalse(c) && cause == "" && !certificateReason(l.Conditions) {
				evidence = append(evidence, statusConditionLine(what, c, gen))
				cause = fmt.Sprintf("listener %q is not Programmed (%s)", l.Spec.Name, c.Reason)
			}
			if cause == "" {
				continue
			}
			found.add(l, evidence, func(owner snapshot.ObjectRef) diagnose.Finding {
				return diagnose.Finding{
					Object:  owner,
					Symptom: "requests arriving on the listener get no route (connection refused, or another listener's answer)",
					Cause:   cause,
					Fix:     diagnose.EditCmd(owner),
					Verify:  diagnose.DescribeCmd(owner),
				}
			})
		}
		found.report(r)
	}
}

// listenerFindings gathers, for one Gateway, one finding per object that
// declares listeners (the Gateway, each ListenerSet) in listener order; each
// finding's Affects names the listeners it is about, so that it breaks only
// the paths that enter through them.
type listenerFindings struct {
	byOwner map[snapshot.ObjectRef]*diagnose.Finding
	owners  []snapshot.ObjectRef
}

// add records evidence about listener l; first makes the owner's finding
// when l is the first of its listeners with something to report.
func (lf *listenerFindings) add(l snapshot.Listener, evidence []string, first func(owner snapshot.ObjectRef) diagnose.Finding) {
	owner := l.Owner()
	if lf.byOwner == nil {
		lf.byOwner = map[snapshot.ObjectRef]*diagnose.Finding{}
	}
	f := lf.byOwner[owner]
	if f == nil {
		made := first(owner)
		f = &made
		lf.byOwner[owner] = f
		lf.owners = append(lf.owners, owner)
	}
	f.Evidence = append(f.Evidence, evidence...)
	if ref := l.Ref(); len(f.Affects) == 0 || f.Affects[len(f.Affects)-1] != ref {
		f.Affects = append(f.Affects, ref)
	}
}

func (lf *listenerFindings) report(r *diagnose.Reporter) {
	for _, o := range lf.owners {
		r.Report(*lf.byOwner[o])
	}
}

// listenerGeneration is the generation of the object that declares l, which
// its status conditions' observedGeneration is compared with.
func listenerGeneration(l snapshot.Listener) int64 {
	if l.Set != nil {
		return l.Set.Generation
	}
	return l.Gateway.Generation
}

// certificateReason reports whether a listener's refs fail on its
// certificate, which gateway-tls-certificate-missing reports.
func certificateReason(conds []metav1.Condition) bool {
	c := condition(conds, string(gwv1.ListenerConditionResolvedRefs))
	return isFalse(c) && (c.Reason == string(gwv1.ListenerReasonInvalidCertificateRef) || c.Reason == string(gwv1.ListenerReasonRefNotPermitted))
}

// terminatesTLS reports whether a listener holds certificates: HTTPS, and
// TLS unless it passes connections through.
func terminatesTLS(l gwv1.Listener) bool {
	switch l.Protocol {
	case gwv1.HTTPSProtocolType:
		return true
	case gwv1.TLSProtocolType:
		return l.TLS != nil && (l.TLS.Mode == nil || *l.TLS.Mode == gwv1.TLSModeTerminate)
	}
	return false
}

// certificateTarget resolves a certificateRef with the API defaults (core
// Secret in the listener owner's namespace); ok is false for other kinds.
func certificateTarget(ownerNS string, c gwv1.SecretObjectReference) (snapshot.ObjectRef, bool) {
	if (c.Group != nil && *c.Group != "") || (c.Kind != nil && *c.Kind != snapshot.KindSecret) {
		return snapshot.ObjectRef{}, false
	}
	ns := ownerNS
	if c.Namespace != nil && *c.Namespace != "" {
		ns = string(*c.Namespace)
	}
	return snapshot.ObjectRef{Kind: snapshot.KindSecret, Namespace: ns, Name: string(c.Name)}, true
}

// certManagerIssuer returns the cert-manager annotation that makes
// cert-manager's gateway-shim create a Gateway's certificate Secrets, or "".
func certManagerIssuer(gw *gwv1.Gateway) string {
	for _, a := range []string{"cert-manager.io/cluster-issuer", "cert-manager.io/issuer"} {
		if v := gw.Annotations[a]; v != "" {
			return a + ": " + v
		}
	}
	return ""
}

// readFromCluster reports whether gw was read from a cluster (a live scan,
// a dump, or an object the API server stamped), not from a manifest about to
// be applied.
func readFromCluster(s *snapshot.Snapshot, gw *gwv1.Gateway) bool {
	return s.Live || s.ClusterDump() || !gw.CreationTimestamp.IsZero()
}

func runGatewayTLSCertificateMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		issuer := certManagerIssuer(gw)
		if issuer != "" && !readFromCluster(s, gw) {
			continue // cert-manager creates the Secrets once the Gateway is applied
		}
		var found listenerFindings
		for _, l := range s.Listeners(gw) {
			if !terminatesTLS(l.Spec) {
				continue
			}
			owner := l.Owner()
			var evidence []string
			cause := ""
			var missing snapshot.ObjectRef
			switch {
			case l.Spec.TLS == nil || len(l.Spec.TLS.CertificateRefs) == 0:
				evidence = append(evidence, fmt.Sprintf("%s: %s.tls.certificateRefs is empty", l, l.Field()))
				cause = fmt.Sprintf("%s listener %q has no certificate to present", l.Spec.Protocol, l.Spec.Name)
			default:
				for i, c := range l.Spec.TLS.CertificateRefs {
					target, ok := certificateTarget(owner.Namespace, c)
					if !ok || s.Secret(target.Namespace, target.Name) != nil {
						continue
					}
					if !s.Knows(snapshot.KindSecret, target.Namespace) {
						r.NotChecked(owner, fmt.Sprintf("%s: the input has no Secrets in namespace %s, so whether certificate %s exists is unknown", l, target.Namespace, target.Name))
						continue
					}
					evidence = append(evidence, fmt.Sprintf("%s: %s.tls.certificateRefs[%d] → Secret %s/%s: not in namespace %s", l, l.Field(), i, target.Namespace, target.Name, target.Namespace))
					if cause == "" {
						cause = fmt.Sprintf("listener %q presents certificate Secret %s/%s, which does not exist", l.Spec.Name, target.Namespace, target.Name)
						missing = target
					}
				}
			}
			if c := condition(l.Conditions, string(gwv1.ListenerConditionResolvedRefs)); isFalse(c) && c.Reason == string(gwv1.ListenerReasonInvalidCertificateRef) {
				evidence = append(evidence, statusConditionLine(l.String()+" status", c, listenerGeneration(l)))
				if cause == "" {
					cause = fmt.Sprintf("the controller rejects the certificate of listener %q (InvalidCertificateRef): the Secret exists but is not a usable kubernetes.io/tls Secret", l.Spec.Name)
				}
			}
			if cause == "" {
				continue
			}
			if missing.Name != "" && issuer != "" {
				evidence = append(evidence, fmt.Sprintf("annotation %s: cert-manager has not issued the certificate", issuer))
			}
			found.add(l, evidence, func(owner snapshot.ObjectRef) diagnose.Finding {
				f := diagnose.Finding{
					Object:  owner,
					Symptom: "TLS handshakes on the listener fail, or clients get the implementation's fallback certificate",
					Cause:   cause,
					Fix:     diagnose.EditCmd(owner),
					Verify:  diagnose.DescribeCmd(owner),
				}
				switch {
				case missing.Name != "" && issuer != "":
					// cert-manager owns the Secret: its Certificate says why
					// it was not issued.
					f.Fix = diagnose.DescribeCmd(snapshot.ObjectRef{Kind: "Certificate", Namespace: missing.Namespace, Name: missing.Name})
					f.Verify = diagnose.GetCmd(missing)
				case missing.Name != "":
					f.Fix = diagnose.Kubectl("create", "secret", "tls", missing.Name, "-n", missing.Namespace, "--cert=tls.crt", "--key=tls.key")
					f.Verify = diagnose.GetCmd(missing)
				}
				return f
			})
		}
		found.report(r)
	}
}

func runGatewayCertificateRefNotPermitted(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, gw := range s.Gateways {
		var found listenerFindings
		grantsListed := map[string]bool{}
		for _, l := range s.Listeners(gw) {
			if l.Spec.TLS == nil {
				continue
			}
			owner := l.Owner()
			for i, c := range l.Spec.TLS.CertificateRefs {
				target, ok := certificateTarget(owner.Namespace, c)
				if !ok || target.Namespace == owner.Namespace {
					continue
				}
				if s.ReferenceGrantFor(snapshot.GatewayGroup, owner.Kind, owner.Namespace, "", snapshot.KindSecret, target.Namespace, target.Name) != nil {
					continue
				}
				if !grantsKnown(s, target.Namespace) {
					r.NotChecked(owner, fmt.Sprintf("%s refers to Secret %s/%s; the input holds nothing of namespace %s, so whether a ReferenceGrant permits it is unknown", l, target.Namespace, target.Name, target.Namespace))
					continue
				}
				grant := referenceGrant{fromKind: owner.Kind, fromNS: owner.Namespace, toKind: snapshot.KindSecret, toNS: target.Namespace, toName: target.Name}
				evidence := []string{fmt.Sprintf("%s: %s.tls.certificateRefs[%d] → Secret %s/%s", l, l.Field(), i, target.Namespace, target.Name)}
				if !grantsListed[target.Namespace] {
					grantsListed[target.Namespace] = true
					evidence = append(evidence, grantsEvidence(s, target.Namespace)...)
				}
				if st := condition(l.Conditions, string(gwv1.ListenerConditionResolvedRefs)); st != nil {
					evidence = append(evidence, statusConditionLine(l.String()+" status", st, listenerGeneration(l)))
				}
				found.add(l, evidence, func(owner snapshot.ObjectRef) diagnose.Finding {
					return diagnose.Finding{
						Object:  owner,
						Symptom: "TLS handshakes on the listener fail: the controller may not read the certificate (ResolvedRefs False, RefNotPermitted)",
						Cause:   fmt.Sprintf("listener %q uses Secret %s/%s from another namespace, and no ReferenceGrant in %s permits %s %s/%s to read it", l.Spec.Name, target.Namespace, target.Name, target.Namespace, owner.Kind, owner.Namespace, owner.Name),
						Fix:     diagnose.ApplyCmd(grant.yaml()),
						Verify:  diagnose.DescribeCmd(owner),
					}
				})
			}
		}
		found.report(r)
	}
}
