package checks

// Policies that shut the ingress controller out of an Ingress's backend
// pods: finding the controller's pods, judging the policies against them,
// and the allow policy that repairs it.

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// netpolBlocksIngressController catches the default-deny policy rolled out
// without an exception for the ingress controller: every layer looks
// healthy, and the controller's connections to the pods time out.
var netpolBlocksIngressController = &diagnose.Check{
	ID:       "netpol-blocks-ingress-controller",
	Layer:    diagnose.LayerNetworkPolicy,
	Severity: diagnose.SeverityError,
	Doc:      "NetworkPolicies isolating an Ingress's backend pods admit no traffic from the ingress controller (its namespace/pods, on the target port).",
	Run:      runNetpolBlocksIngressController,
}

// netpolControllerFamily is one ingress controller implementation: the
// label sets its traffic-carrying pods wear in the common install methods,
// and how its IngressClass controller string reads.
type netpolControllerFamily struct {
	Name      string
	Match     string // substring of IngressClass spec.controller
	PodLabels []map[string]string
}

var netpolControllerFamilies = []netpolControllerFamily{
	{Name: "ingress-nginx", Match: "nginx", PodLabels: []map[string]string{
		{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
		{"app.kubernetes.io/name": "ingress-nginx"},
		{"app.kubernetes.io/name": "nginx-ingress"},
		{"app": "ingress-nginx"},
		{"app": "nginx-ingress"},
	}},
	{Name: "traefik", Match: "traefik", PodLabels: []map[string]string{
		{"app.kubernetes.io/name": "traefik"},
		{"app": "traefik"},
	}},
	{Name: "haproxy", Match: "haproxy", PodLabels: []map[string]string{
		{"app.kubernetes.io/name": "haproxy-ingress"},
		{"app.kubernetes.io/name": "kubernetes-ingress"},
		{"run": "haproxy-ingress"},
	}},
	{Name: "contour", Match: "contour", PodLabels: []map[string]string{
		// Contour configures Envoy; Envoy pods carry the traffic.
		{"app.kubernetes.io/name": "contour", "app.kubernetes.io/component": "envoy"},
		{"app": "envoy"},
	}},
	{Name: "kong", Match: "kong", PodLabels: []map[string]string{
		{"app.kubernetes.io/name": "kong"},
		{"app": "kong"},
	}},
}

// netpolOutsideControllers are IngressClass controllers that send traffic
// from a cloud load balancer, not from pods: pod and namespace peers cannot
// describe them, only ipBlocks can.
var netpolOutsideControllers = []string{"ingress-gce", "ingress.k8s.aws", "application-gateway", "azure", "oci"}

// netpolController is what the input shows of one controller family.
type netpolController struct {
	Family   string
	Pods     []*corev1.Pod // pods that carry traffic, not host-network
	Selector map[string]string
	HostNet  bool
	// Outside says why traffic comes from addresses no pod or namespace
	// selector describes (a cloud load balancer, host-network pods): only
	// ipBlock peers or unrestricted rules admit it.
	Outside string
}

// netpolFindControllers looks up every known controller family's pods in
// every namespace through the label index.
func netpolFindControllers(s *snapshot.Snapshot) map[string]*netpolController {
	out := map[string]*netpolController{}
	for _, fam := range netpolControllerFamilies {
		for _, ns := range s.NamespaceNames() {
			for _, sel := range fam.PodLabels {
				pods := s.PodsMatching(ns, sel)
				if len(pods) == 0 {
					continue
				}
				c := out[fam.Name]
				if c == nil {
					c = &netpolController{Family: fam.Name, Selector: sel}
					out[fam.Name] = c
				}
				for _, p := range pods {
					if p.Spec.HostNetwork {
						c.HostNet = true
						continue
					}
					if !slices.Contains(c.Pods, p) {
						c.Pods = append(c.Pods, p)
					}
				}
				break
			}
		}
	}
	return out
}

// netpolBlocked gathers, per policy a finding is reported on, what it
// blocks.
type netpolBlocked struct {
	policy   *networkingv1.NetworkPolicy
	all      []*networkingv1.NetworkPolicy // every policy isolating the pods
	paths    []string                      // Ingress → Service → port
	subjects []string
	targets  []netpolTarget
	ctrl     *netpolController
	// services are the Ingress backends whose pods the controller cannot
	// reach, with the target ports it is refused on.
	services []*netpolBlockedService
	// testLabels are the labels of the first blocked pod: a test pod
	// wearing them is selected by the same policies.
	testLabels string
}

// netpolBlockedService is one backend Service the ingress controller
// cannot reach, and on which target ports.
type netpolBlockedService struct {
	svc     *corev1.Service
	port    int32 // the Service port an Ingress sends to, for the verify command
	targets []netpolTarget
}

// service returns the entry for svc, adding it on first use.
func (bl *netpolBlocked) service(svc *corev1.Service, port int32) *netpolBlockedService {
	for _, b := range bl.services {
		if b.svc == svc {
			return b
		}
	}
	b := &netpolBlockedService{svc: svc, port: port}
	bl.services = append(bl.services, b)
	return b
}

// netpolIsolatingPolicy picks the policy an ingress-controller finding is
// reported on among those isolating the pods. No policy is the cause on its
// own — the missing allow rule is — so the finding names them all and its
// fix adds a policy of its own; the one named is the one a reader should
// look at first: a policy meant to admit traffic from other namespaces (a
// namespaceSelector or ipBlock peer) that misses the controller, else a
// deny-all (no ingress rules), else the first by name.
func netpolIsolatingPolicy(pols []*networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	for _, np := range pols {
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.NamespaceSelector != nil || peer.IPBlock != nil {
					return np
				}
			}
		}
	}
	for _, np := range pols {
		if len(np.Spec.Ingress) == 0 {
			return np
		}
	}
	return pols[0]
}

func runNetpolBlocksIngressController(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.NetworkPolicies) == 0 || len(s.Ingresses) == 0 {
		return
	}
	controllers := netpolFindControllers(s)
	idx := netpolIndexOf(s, networkingv1.PolicyTypeIngress)
	blocked := map[*networkingv1.NetworkPolicy]*netpolBlocked{}
	var order []*networkingv1.NetworkPolicy
	for _, ing := range s.Ingresses {
		_, ctrlString, _ := classController(s, ing)
		ctrl := netpolControllerFor(controllers, ctrlString)
		switch {
		case containsAny(ctrlString, netpolOutsideControllers):
			ctrl = &netpolController{Family: ctrlString, Outside: "a cloud load balancer outside the cluster"}
		case ctrl != nil && len(ctrl.Pods) == 0 && ctrl.HostNet:
			ctrl = &netpolController{Family: ctrl.Family, Outside: "controller pods on the host network (their connections come from node addresses)"}
		}
		for _, b := range netpolIngressBackends(ing) {
			svc := s.Service(ing.Namespace, b.Name)
			if svc == nil || len(svc.Spec.Selector) == 0 {
				continue
			}
			sp, ok := backendServicePort(svc, b.Port)
			if !ok && b.Port == (networkingv1.ServiceBackendPort{}) && len(svc.Spec.Ports) == 1 {
				// A backend without a port is rejected by the API server
				// (ingress-backend-invalid); a one-port Service still
				// says where it was meant to go.
				sp, ok = svc.Spec.Ports[0], true
			}
			if !ok {
				continue
			}
			for _, p := range s.PodsMatching(ing.Namespace, svc.Spec.Selector) {
				pols := idx.policiesFor(p)
				if len(pols) == 0 {
					continue
				}
				t := netpolTargetOf(p, sp)
				if netpolControllerAdmitted(s, pols, ctrl, t) {
					continue
				}
				np := netpolIsolatingPolicy(pols)
				bl := blocked[np]
				if bl == nil {
					bl = &netpolBlocked{policy: np, all: pols, ctrl: ctrl}
					blocked[np] = bl
					order = append(order, np)
				}
				if bs := bl.service(svc, sp.Port); !netpolHasTarget(bs.targets, t) {
					bs.targets = append(bs.targets, t)
				}
				path := fmt.Sprintf("Ingress %s/%s → Service %s port %s → target %s", ing.Namespace, ing.Name, svc.Name, backendPortText(b.Port), t)
				if !slices.Contains(bl.paths, path) {
					bl.paths = append(bl.paths, path)
				}
				subj := s.SubjectOf(p).String()
				if !slices.Contains(bl.subjects, subj) {
					bl.subjects = append(bl.subjects, subj)
				}
				if !netpolHasTarget(bl.targets, t) {
					bl.targets = append(bl.targets, t)
				}
			}
		}
	}
	for _, np := range order {
		r.Report(netpolIngressFinding(s, blocked[np]))
	}
}

func netpolHasTarget(list []netpolTarget, t netpolTarget) bool {
	for _, x := range list {
		if x.Port == t.Port && x.Protocol == t.Protocol {
			return true
		}
	}
	return false
}

// netpolControllerFor picks the controller that serves an Ingress: the one
// its class names, or the only one in the input.
func netpolControllerFor(controllers map[string]*netpolController, ctrlString string) *netpolController {
	if ctrlString != "" {
		for _, fam := range netpolControllerFamilies {
			if strings.Contains(ctrlString, fam.Match) {
				return controllers[fam.Name]
			}
		}
		return nil
	}
	if len(controllers) == 1 {
		for _, c := range controllers {
			return c
		}
	}
	return nil
}

// netpolControllerAdmitted decides whether any policy rule lets the
// controller reach the pod on the target port. With the controller unknown,
// any rule that could admit another namespace counts (a namespaceSelector,
// an ipBlock or no peer restriction): only a policy that shuts out every
// other namespace is then provably in the way.
func netpolControllerAdmitted(s *snapshot.Snapshot, pols []*networkingv1.NetworkPolicy, ctrl *netpolController, t netpolTarget) bool {
	if ctrl != nil && ctrl.Outside != "" {
		return netpolRuleAdmitsPeer(pols, t, func(peer networkingv1.NetworkPolicyPeer) bool { return peer.IPBlock != nil })
	}
	if ctrl != nil && len(ctrl.Pods) > 0 {
		for _, cp := range ctrl.Pods {
			if netpolAdmits(s, pols, true, netpolPodEndpoint(cp), t) != netpolNo {
				return true
			}
		}
		return false
	}
	return netpolRuleAdmitsPeer(pols, t, func(peer networkingv1.NetworkPolicyPeer) bool {
		return peer.NamespaceSelector != nil || peer.IPBlock != nil
	})
}

// netpolRuleAdmitsPeer reports whether an ingress rule of pols admits port
// t from anywhere (no peers) or from a peer that counts.
func netpolRuleAdmitsPeer(pols []*networkingv1.NetworkPolicy, t netpolTarget, counts func(networkingv1.NetworkPolicyPeer) bool) bool {
	for _, np := range pols {
		for _, rule := range np.Spec.Ingress {
			if netpolPortsMatch(rule.Ports, t) == netpolNo {
				continue
			}
			if len(rule.From) == 0 || slices.ContainsFunc(rule.From, counts) {
				return true
			}
		}
	}
	return false
}

// netpolBackend is one Service backend of an Ingress.
type netpolBackend struct {
	Name string
	Port networkingv1.ServiceBackendPort
}

// netpolIngressBackends lists the Service backends of ing once each, the
// default backend first.
func netpolIngressBackends(ing *networkingv1.Ingress) []netpolBackend {
	all := snapshot.IngressBackends(ing)
	if n := len(all); n > 0 && all[n-1].IsDefault() {
		all = slices.Concat(all[n-1:], all[:n-1])
	}
	var out []netpolBackend
	for _, b := range all {
		if b.Backend.Service == nil {
			continue
		}
		if nb := (netpolBackend{Name: b.Backend.Service.Name, Port: b.Backend.Service.Port}); !slices.Contains(out, nb) {
			out = append(out, nb)
		}
	}
	return out
}

// netpolTargetOf is the destination a connection through Service port sp
// reaches on pod p, as policies see it: the pod port and the name the pod
// gives it. A named targetPort no container declares keeps its name: rules
// that name the port still match it.
func netpolTargetOf(p *corev1.Pod, sp corev1.ServicePort) netpolTarget {
	port, name, ok := resolveTarget(p, sp)
	if !ok {
		port, name = sp.Port, snapshot.TargetPortOf(sp).StrVal
	}
	return netpolTarget{Port: port, Name: name, Protocol: snapshot.ProtocolOrTCP(sp.Protocol)}
}

func netpolIngressFinding(s *snapshot.Snapshot, bl *netpolBlocked) diagnose.Finding {
	np := bl.policy
	ref := snapshot.Ref(snapshot.KindNetworkPolicy, np)
	var names []string
	for _, p := range bl.all {
		names = append(names, p.Name)
	}
	ev := []string{fmt.Sprintf("NetworkPolic(ies) %s isolate ingress of %s", strings.Join(names, ", "), joinLimit(bl.subjects, 5))}
	for _, p := range bl.all {
		ev = append(ev, netpolRulesLine(p, true))
	}
	ev = append(ev, bl.paths...)
	policies := fmt.Sprintf("the %d NetworkPolic(ies) selecting the backend pods (%s)", len(bl.all), strings.Join(names, ", "))
	var cause, fix, verify string
	ctrl := bl.ctrl
	switch {
	case ctrl != nil && ctrl.Outside != "":
		ev = append(ev, fmt.Sprintf("ingress controller %s: traffic comes from %s", ctrl.Family, ctrl.Outside))
		cause = fmt.Sprintf("no rule of %s admits traffic from outside the pod network on port %s (no ipBlock peer, no rule without peers), and the %s controller's traffic comes from %s",
			policies, bl.targets[0], ctrl.Family, ctrl.Outside)
		// Load-balancer and node addresses are not known here: the new
		// policy admits any source, on the target ports only.
		fix = netpolAllowPolicies(s, bl, "allow-load-balancer", nil)
		ev = append(ev, "the fix admits any source on the target port(s) only; narrow it to the load balancer's subnet with an ipBlock if that is known")
	case ctrl != nil && len(ctrl.Pods) > 0:
		cp := ctrl.Pods[0]
		nsLabels, _ := s.NamespaceLabels(cp.Namespace)
		ev = append(ev, fmt.Sprintf("ingress controller %s: %s (labels %s); namespace %s labels: %s",
			ctrl.Family, s.SubjectOf(cp), selectorText(ctrl.Selector), cp.Namespace, labels.Set(nsLabels).String()))
		cause = fmt.Sprintf("no rule of %s admits the %s controller (namespace %s) on port %s: the allow rule for the ingress controller is missing, so its connections are dropped",
			policies, ctrl.Family, cp.Namespace, bl.targets[0])
		peer := map[string]any{
			"namespaceSelector": map[string]any{"matchLabels": map[string]string{corev1.LabelMetadataName: cp.Namespace}},
			"podSelector":       map[string]any{"matchLabels": ctrl.Selector},
		}
		fix = netpolAllowPolicies(s, bl, "allow-"+ctrl.Family, peer)
		// The check runs from the controller itself: a test pod wearing its
		// labels would also join the controller's Service and take live
		// traffic. The ingress-nginx image ships curl.
		if b := bl.services[0]; b.port != 0 && ctrl.Family == "ingress-nginx" {
			from := "pod/" + cp.Name
			if owner, ok := s.OwnerOf(cp); ok && owner.Kind == snapshot.KindDeployment || ok && owner.Kind == snapshot.KindDaemonSet {
				from = typedName(owner)
			}
			verify = diagnose.KubectlOn([]string{"exec", "-n", cp.Namespace}, from, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", "-m", "5",
				fmt.Sprintf("http://%s.%s.svc:%d/", b.svc.Name, b.svc.Namespace, b.port))
		}
	default:
		ev = append(ev, "ingress controller: none of the known controllers (ingress-nginx, traefik, haproxy, contour, kong) is in the input")
		cause = fmt.Sprintf("%s admit no traffic from any other namespace on port %s, so no ingress controller outside namespace %s can reach them",
			strings.ToUpper(policies[:1])+policies[1:], bl.targets[0], np.Namespace)
		fix = diagnose.EditCmd(ref)
	}
	if verify == "" {
		verify = diagnose.DescribeCmd(ref)
	}
	var affects []snapshot.ObjectRef
	for _, b := range bl.services {
		affects = append(affects, snapshot.Ref(snapshot.KindService, b.svc))
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  "requests through the Ingress hang and end in 504 Gateway Time-out (or 502) from the ingress controller: its connections to the pods are dropped",
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   verify,
		// Only the Ingress backends are cut off: other paths through the
		// same policies (in-namespace clients of a database) are not.
		Affects: affects,
		Origin:  originOf(s, ref),
	}
}

// netpolNamed reports whether namespace ns holds a NetworkPolicy named name.
func netpolNamed(s *snapshot.Snapshot, ns, name string) bool {
	for _, np := range s.NetworkPoliciesIn(ns) {
		if np.Name == name {
			return true
		}
	}
	return false
}

// netpolAllowPolicies is a `kubectl apply` of one new NetworkPolicy per
// blocked backend Service: it selects the Service's pods and admits peer
// (any source when nil) on the target ports. A policy of its own leaves the
// existing ones as they are: policies are additive.
func netpolAllowPolicies(s *snapshot.Snapshot, bl *netpolBlocked, prefix string, peer map[string]any) string {
	var docs []string
	for _, b := range bl.services {
		var ports []any
		for _, t := range b.targets {
			ports = append(ports, map[string]any{"protocol": string(t.Protocol), "port": t.Port})
		}
		rule := map[string]any{"ports": ports}
		if peer != nil {
			rule["from"] = []any{peer}
		}
		name := prefix + "-to-" + b.svc.Name
		for i := 2; netpolNamed(s, b.svc.Namespace, name); i++ {
			name = fmt.Sprintf("%s-to-%s-%d", prefix, b.svc.Name, i)
		}
		doc, err := yaml.Marshal(map[string]any{
			"apiVersion": "networking.k8s.io/v1",
			"kind":       snapshot.KindNetworkPolicy,
			"metadata":   map[string]any{"name": name, "namespace": b.svc.Namespace},
			"spec": map[string]any{
				"podSelector": map[string]any{"matchLabels": b.svc.Spec.Selector},
				"policyTypes": []string{string(networkingv1.PolicyTypeIngress)},
				"ingress":     []any{rule},
			},
		})
		if err != nil {
			// Built from strings and numbers only; failing here is a bug.
			panic("checks: cannot marshal a NetworkPolicy: " + err.Error())
		}
		docs = append(docs, string(doc))
	}
	ns := bl.services[0].svc.Namespace
	return diagnose.Kubectl("apply", "-n", ns, "-f", "-") + " <<'EOF'\n" + strings.Join(docs, "---\n") + "EOF"
}
