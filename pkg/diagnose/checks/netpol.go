package checks

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var netpolChecks = []*diagnose.Check{netpolBlocksIngressController, netpolEgressBlocksDNS}

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

// netpolEgressBlocksDNS catches egress allow-lists that forget DNS: the
// pods can reach their allowed peers by IP, but no name resolves.
var netpolEgressBlocksDNS = &diagnose.Check{
	ID:       "netpol-egress-blocks-dns",
	Layer:    diagnose.LayerNetworkPolicy,
	Severity: diagnose.SeverityError,
	Doc:      "An egress NetworkPolicy isolates pods and allows no egress to port 53 (UDP/TCP): every DNS lookup from them fails.",
	Run:      runNetpolEgressBlocksDNS,
}

// netpolMatch is a three-valued answer: the input may be unable to tell
// whether a peer matches (a namespace whose labels it does not hold).
type netpolMatch int

const (
	netpolNo netpolMatch = iota
	netpolMaybe
	netpolYes
)

func netpolAnd(a, b netpolMatch) netpolMatch { return min(a, b) }

// netpolIsolates reports whether a policy isolates its pods for a direction,
// with the API server's defaulting of an empty policyTypes.
func netpolIsolates(np *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	if len(np.Spec.PolicyTypes) == 0 {
		return t == networkingv1.PolicyTypeIngress || t == networkingv1.PolicyTypeEgress && len(np.Spec.Egress) > 0
	}
	for _, x := range np.Spec.PolicyTypes {
		if x == t {
			return true
		}
	}
	return false
}

// netpolIndex maps each pod of a namespace to the policies isolating it in
// one direction, built once per namespace through the pod index.
type netpolIndex struct {
	s     *snapshot.Snapshot
	t     networkingv1.PolicyType
	byNS  map[string]map[*corev1.Pod][]*networkingv1.NetworkPolicy
	peers map[string]labels.Set // namespace labels cache
}

func newNetpolIndex(s *snapshot.Snapshot, t networkingv1.PolicyType) *netpolIndex {
	return &netpolIndex{s: s, t: t, byNS: map[string]map[*corev1.Pod][]*networkingv1.NetworkPolicy{}, peers: map[string]labels.Set{}}
}

func (x *netpolIndex) policiesFor(p *corev1.Pod) []*networkingv1.NetworkPolicy {
	m, ok := x.byNS[p.Namespace]
	if !ok {
		m = map[*corev1.Pod][]*networkingv1.NetworkPolicy{}
		pols := append([]*networkingv1.NetworkPolicy(nil), x.s.NetworkPoliciesIn(p.Namespace)...)
		sort.Slice(pols, func(i, j int) bool { return pols[i].Name < pols[j].Name })
		for _, np := range pols {
			if !netpolIsolates(np, x.t) {
				continue
			}
			for _, q := range x.s.PodsMatchingSelector(np.Namespace, &np.Spec.PodSelector) {
				m[q] = append(m[q], np)
			}
		}
		x.byNS[p.Namespace] = m
	}
	return m[p]
}

// netpolNamespaceLabels returns a namespace's labels and whether they are
// all known. Without the Namespace object only kubernetes.io/metadata.name
// is certain: the API server sets it on every namespace.
func netpolNamespaceLabels(s *snapshot.Snapshot, ns string) (labels.Set, bool) {
	if o := s.Namespace(ns); o != nil {
		set := labels.Set{}
		for k, v := range o.Labels {
			set[k] = v
		}
		set[corev1.LabelMetadataName] = ns
		return set, true
	}
	return labels.Set{corev1.LabelMetadataName: ns}, false
}

// netpolSelects evaluates a label selector against a label set that may be
// incomplete: a non-match on an incomplete set is only a maybe, unless the
// selector looks at nothing but the namespace name.
func netpolSelects(sel *metav1.LabelSelector, set labels.Set, complete bool) netpolMatch {
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return netpolMaybe
	}
	if selector.Matches(set) {
		return netpolYes
	}
	if complete {
		return netpolNo
	}
	for k := range sel.MatchLabels {
		if k != corev1.LabelMetadataName {
			return netpolMaybe
		}
	}
	for _, e := range sel.MatchExpressions {
		if e.Key != corev1.LabelMetadataName {
			return netpolMaybe
		}
	}
	return netpolNo
}

// netpolEndpoint is one side of a connection as policies see it: a pod's
// namespace, labels and IP. Labels may be incomplete for a pod the input
// does not hold (the cluster DNS when kube-system is absent).
type netpolEndpoint struct {
	Namespace      string
	Labels         labels.Set
	LabelsComplete bool
	IPs            []string
}

func netpolPodEndpoint(p *corev1.Pod) netpolEndpoint {
	e := netpolEndpoint{Namespace: p.Namespace, Labels: labels.Set(p.Labels), LabelsComplete: true}
	for _, ip := range p.Status.PodIPs {
		e.IPs = append(e.IPs, ip.IP)
	}
	if len(e.IPs) == 0 && p.Status.PodIP != "" {
		e.IPs = []string{p.Status.PodIP}
	}
	return e
}

// netpolPeerMatches decides whether a peer of a policy in namespace polNS
// covers endpoint e.
func netpolPeerMatches(s *snapshot.Snapshot, peer networkingv1.NetworkPolicyPeer, polNS string, e netpolEndpoint) netpolMatch {
	if peer.IPBlock != nil {
		return netpolIPBlockMatches(peer.IPBlock, e.IPs)
	}
	m := netpolYes
	if peer.NamespaceSelector != nil {
		set, complete := netpolNamespaceLabels(s, e.Namespace)
		m = netpolSelects(peer.NamespaceSelector, set, complete)
	} else if e.Namespace != polNS {
		return netpolNo
	}
	if peer.PodSelector != nil {
		m = netpolAnd(m, netpolSelects(peer.PodSelector, e.Labels, e.LabelsComplete))
	}
	return m
}

// netpolIPBlockMatches judges an ipBlock peer by the endpoint's known IPs;
// without them the answer is maybe (whether ipBlocks apply to pod IPs also
// depends on the network plugin).
func netpolIPBlockMatches(b *networkingv1.IPBlock, ips []string) netpolMatch {
	_, cidr, err := net.ParseCIDR(b.CIDR)
	if err != nil || len(ips) == 0 {
		return netpolMaybe
	}
	for _, raw := range ips {
		ip := net.ParseIP(raw)
		if ip == nil || !cidr.Contains(ip) {
			continue
		}
		excluded := false
		for _, ex := range b.Except {
			if _, exNet, err := net.ParseCIDR(ex); err == nil && exNet.Contains(ip) {
				excluded = true
			}
		}
		if !excluded {
			return netpolYes
		}
	}
	return netpolNo
}

// netpolPeersMatch is the best answer over a rule's peers; an empty list
// admits every endpoint.
func netpolPeersMatch(s *snapshot.Snapshot, peers []networkingv1.NetworkPolicyPeer, polNS string, e netpolEndpoint) netpolMatch {
	if len(peers) == 0 {
		return netpolYes
	}
	best := netpolNo
	for _, p := range peers {
		best = max(best, netpolPeerMatches(s, p, polNS, e))
	}
	return best
}

// netpolTarget is the destination port of a connection: its number, the
// name the container gives it (for named ports in rules), and protocol.
type netpolTarget struct {
	Port     int32
	Name     string
	Protocol corev1.Protocol
	// NameUnknown is true when named rule ports cannot be judged (the
	// destination pods are not in the input).
	NameUnknown bool
}

func (t netpolTarget) String() string {
	return portText(t.Port, t.Protocol, t.Name)
}

// netpolPortsMatch decides whether a rule's ports admit the target; an empty
// list admits every port.
func netpolPortsMatch(ports []networkingv1.NetworkPolicyPort, t netpolTarget) netpolMatch {
	if len(ports) == 0 {
		return netpolYes
	}
	best := netpolNo
	for _, p := range ports {
		proto := protocolOrDefault(p.Protocol)
		if proto != t.Protocol {
			continue
		}
		switch {
		case p.Port == nil:
			return netpolYes
		case p.Port.Type == intstr.Int:
			end := p.Port.IntVal
			if p.EndPort != nil {
				end = *p.EndPort
			}
			if t.Port >= p.Port.IntVal && t.Port <= end {
				return netpolYes
			}
		case t.Name != "" && p.Port.StrVal == t.Name:
			return netpolYes
		case t.NameUnknown:
			best = netpolMaybe
		}
	}
	return best
}

// netpolAdmits is the best answer over the rules of all policies: they are
// additive, so any rule admitting the connection lets it through.
func netpolAdmits(s *snapshot.Snapshot, pols []*networkingv1.NetworkPolicy, ingress bool, e netpolEndpoint, t netpolTarget) netpolMatch {
	best := netpolNo
	for _, np := range pols {
		if ingress {
			for _, rule := range np.Spec.Ingress {
				best = max(best, netpolAnd(netpolPortsMatch(rule.Ports, t), netpolPeersMatch(s, rule.From, np.Namespace, e)))
			}
		} else {
			for _, rule := range np.Spec.Egress {
				best = max(best, netpolAnd(netpolPortsMatch(rule.Ports, t), netpolPeersMatch(s, rule.To, np.Namespace, e)))
			}
		}
		if best == netpolYes {
			return best
		}
	}
	return best
}

// netpolRulesLine describes a policy's rules in one direction for evidence.
func netpolRulesLine(np *networkingv1.NetworkPolicy, ingress bool) string {
	var rules []string
	if ingress {
		for _, r := range np.Spec.Ingress {
			rules = append(rules, "from "+netpolPeersText(r.From)+" on "+netpolPortsText(r.Ports))
		}
	} else {
		for _, r := range np.Spec.Egress {
			rules = append(rules, "to "+netpolPeersText(r.To)+" on "+netpolPortsText(r.Ports))
		}
	}
	dir := "ingress"
	if !ingress {
		dir = "egress"
	}
	head := fmt.Sprintf("NetworkPolicy %s/%s (podSelector %s) %s rules: ", np.Namespace, np.Name, netpolSelectorText(&np.Spec.PodSelector), dir)
	if len(rules) == 0 {
		return head + "none (deny all)"
	}
	return head + strings.Join(rules, "; ")
}

func netpolPeersText(peers []networkingv1.NetworkPolicyPeer) string {
	if len(peers) == 0 {
		return "anywhere"
	}
	var out []string
	for _, p := range peers {
		var parts []string
		if p.IPBlock != nil {
			part := "ipBlock " + p.IPBlock.CIDR
			if len(p.IPBlock.Except) > 0 {
				part += " except " + strings.Join(p.IPBlock.Except, ",")
			}
			parts = append(parts, part)
		}
		if p.NamespaceSelector != nil {
			parts = append(parts, "namespaceSelector "+netpolSelectorText(p.NamespaceSelector))
		}
		if p.PodSelector != nil {
			parts = append(parts, "podSelector "+netpolSelectorText(p.PodSelector))
		}
		out = append(out, "["+strings.Join(parts, " + ")+"]")
	}
	return strings.Join(out, ", ")
}

func netpolPortsText(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return "all ports"
	}
	var out []string
	for _, p := range ports {
		proto := string(protocolOrDefault(p.Protocol))
		switch {
		case p.Port == nil:
			out = append(out, "all/"+proto)
		case p.EndPort != nil:
			out = append(out, fmt.Sprintf("%s-%d/%s", p.Port.String(), *p.EndPort, proto))
		default:
			out = append(out, p.Port.String()+"/"+proto)
		}
	}
	return "ports " + strings.Join(out, ", ")
}

func netpolSelectorText(sel *metav1.LabelSelector) string {
	if sel == nil {
		return "{}"
	}
	s := metav1.FormatLabelSelector(sel)
	if s == "<none>" {
		return "{} (all)"
	}
	return "{" + s + "}"
}

// netpolReportTarget picks the one policy a fix should change among those
// isolating the pods: the one that already has rules in this direction (an
// allow-list that forgot a peer), else the first by name.
func netpolReportTarget(pols []*networkingv1.NetworkPolicy, ingress bool) *networkingv1.NetworkPolicy {
	for _, np := range pols {
		if ingress && len(np.Spec.Ingress) > 0 || !ingress && len(np.Spec.Egress) > 0 {
			return np
		}
	}
	return pols[0]
}

// netpolAddRule is a JSON patch appending one rule to a policy's ingress or
// egress list (creating the list when the policy has none).
func netpolAddRule(np *networkingv1.NetworkPolicy, ingress bool, rule any) string {
	field, n := "/spec/egress", len(np.Spec.Egress)
	if ingress {
		field, n = "/spec/ingress", len(np.Spec.Ingress)
	}
	op := diagnose.JSONPatchOp{Op: "add", Path: field + "/-", Value: rule}
	if n == 0 {
		op = diagnose.JSONPatchOp{Op: "add", Path: field, Value: []any{rule}}
	}
	return diagnose.JSONPatchCmd(snapshot.Ref(snapshot.KindNetworkPolicy, np), op)
}

// --- ingress controller ---

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

// netpolIngressClassController is the controller string of an Ingress's
// class, or "" when the input cannot tell.
func netpolIngressClassController(s *snapshot.Snapshot, ing *networkingv1.Ingress) string {
	name := ""
	if ing.Spec.IngressClassName != nil {
		name = *ing.Spec.IngressClassName
	} else if a := ing.Annotations["kubernetes.io/ingress.class"]; a != "" {
		name = a
	}
	if name != "" {
		if c := s.IngressClass(name); c != nil {
			return c.Spec.Controller
		}
		return ""
	}
	if defs := s.DefaultIngressClasses(); len(defs) == 1 {
		return defs[0].Spec.Controller
	}
	return ""
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
	idx := newNetpolIndex(s, networkingv1.PolicyTypeIngress)
	blocked := map[*networkingv1.NetworkPolicy]*netpolBlocked{}
	var order []*networkingv1.NetworkPolicy
	for _, ing := range s.Ingresses {
		ctrlString := netpolIngressClassController(s, ing)
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
		for _, np := range pols {
			for _, rule := range np.Spec.Ingress {
				if netpolPortsMatch(rule.Ports, t) == netpolNo {
					continue
				}
				if len(rule.From) == 0 {
					return true
				}
				for _, peer := range rule.From {
					if peer.IPBlock != nil {
						return true
					}
				}
			}
		}
		return false
	}
	if ctrl != nil && len(ctrl.Pods) > 0 {
		for _, cp := range ctrl.Pods {
			if netpolAdmits(s, pols, true, netpolPodEndpoint(cp), t) != netpolNo {
				return true
			}
		}
		return false
	}
	for _, np := range pols {
		for _, rule := range np.Spec.Ingress {
			if netpolPortsMatch(rule.Ports, t) == netpolNo {
				continue
			}
			if len(rule.From) == 0 {
				return true
			}
			for _, peer := range rule.From {
				if peer.NamespaceSelector != nil || peer.IPBlock != nil {
					return true
				}
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

func netpolIngressBackends(ing *networkingv1.Ingress) []netpolBackend {
	var out []netpolBackend
	add := func(b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			return
		}
		nb := netpolBackend{Name: b.Service.Name, Port: b.Service.Port}
		for _, x := range out {
			if x == nb {
				return
			}
		}
		out = append(out, nb)
	}
	add(ing.Spec.DefaultBackend)
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for i := range rule.HTTP.Paths {
			add(&rule.HTTP.Paths[i].Backend)
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
		nsLabels, _ := netpolNamespaceLabels(s, cp.Namespace)
		ev = append(ev, fmt.Sprintf("ingress controller %s: %s (labels %s); namespace %s labels: %s",
			ctrl.Family, s.SubjectOf(cp), selectorText(ctrl.Selector), cp.Namespace, nsLabels.String()))
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
				from = strings.ToLower(owner.Kind) + "/" + owner.Name
			}
			verify = diagnose.Kubectl("exec", "-n", cp.Namespace, from, "--", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", "-m", "5",
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

// --- egress DNS ---

// netpolDNSEndpoints are the cluster DNS pods as policies see them; when the
// input holds none, a stand-in with the label every common distribution
// uses, marked incomplete so that other pod selectors are a maybe.
func netpolDNSEndpoints(s *snapshot.Snapshot) ([]netpolEndpoint, []*corev1.Pod) {
	pods := s.PodsMatching(dnsNamespace, dnsPodLabels)
	if len(pods) == 0 {
		if svc := dnsService(s); svc != nil && len(svc.Spec.Selector) > 0 {
			pods = s.PodsMatching(dnsNamespace, svc.Spec.Selector)
		}
	}
	if len(pods) == 0 {
		return []netpolEndpoint{{Namespace: dnsNamespace, Labels: labels.Set(dnsPodLabels)}}, nil
	}
	var out []netpolEndpoint
	for _, p := range pods {
		e := netpolPodEndpoint(p)
		if svc := dnsService(s); svc != nil && svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone {
			// Some plugins judge egress before the Service address is
			// translated: an ipBlock holding the cluster IP then admits.
			e.IPs = append(e.IPs, svc.Spec.ClusterIP)
		}
		out = append(out, e)
	}
	return out, pods
}

// netpolDNSTargets are port 53 over UDP and TCP, with the names CoreDNS
// gives them when its pods are in the input.
func netpolDNSTargets(pods []*corev1.Pod) []netpolTarget {
	udp := netpolTarget{Port: 53, Protocol: corev1.ProtocolUDP, NameUnknown: len(pods) == 0}
	tcp := netpolTarget{Port: 53, Protocol: corev1.ProtocolTCP, NameUnknown: len(pods) == 0}
	for _, p := range pods {
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.ContainerPort != 53 || cp.Name == "" {
					continue
				}
				if cp.Protocol == corev1.ProtocolUDP {
					udp.Name = cp.Name
				} else {
					tcp.Name = cp.Name
				}
			}
		}
	}
	return []netpolTarget{udp, tcp}
}

func runNetpolEgressBlocksDNS(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.NetworkPolicies) == 0 {
		return
	}
	dnsEnds, dnsPodList := netpolDNSEndpoints(s)
	targets := netpolDNSTargets(dnsPodList)
	idx := newNetpolIndex(s, networkingv1.PolicyTypeEgress)
	blocked := map[*networkingv1.NetworkPolicy]*netpolBlocked{}
	var order []*networkingv1.NetworkPolicy
	nsWithPolicies := map[string]bool{}
	for _, np := range s.NetworkPolicies {
		if netpolIsolates(np, networkingv1.PolicyTypeEgress) {
			nsWithPolicies[np.Namespace] = true
		}
	}
	namespaces := make([]string, 0, len(nsWithPolicies))
	for ns := range nsWithPolicies {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		for _, p := range s.PodsIn(ns) {
			if p.Spec.HostNetwork {
				continue
			}
			pols := idx.policiesFor(p)
			if len(pols) == 0 || netpolDNSAdmitted(s, pols, dnsEnds, targets) {
				continue
			}
			np := netpolReportTarget(pols, false)
			bl := blocked[np]
			if bl == nil {
				bl = &netpolBlocked{policy: np, all: pols}
				blocked[np] = bl
				order = append(order, np)
			}
			subj := s.SubjectOf(p)
			if !slices.Contains(bl.subjects, subj.String()) {
				bl.subjects = append(bl.subjects, subj.String())
				if bl.testLabels == "" {
					bl.testLabels = replicaSelector(p.Labels)
				}
			}
		}
	}
	for _, np := range order {
		r.Report(netpolDNSFinding(s, blocked[np], dnsPodList))
	}
}

func netpolDNSAdmitted(s *snapshot.Snapshot, pols []*networkingv1.NetworkPolicy, dnsEnds []netpolEndpoint, targets []netpolTarget) bool {
	for _, e := range dnsEnds {
		for _, t := range targets {
			if netpolAdmits(s, pols, false, e, t) != netpolNo {
				return true
			}
		}
	}
	return false
}

func netpolDNSFinding(s *snapshot.Snapshot, bl *netpolBlocked, dnsPodList []*corev1.Pod) diagnose.Finding {
	np := bl.policy
	ref := snapshot.Ref(snapshot.KindNetworkPolicy, np)
	ev := []string{fmt.Sprintf("NetworkPolicy %s/%s isolates egress of %s", np.Namespace, np.Name, joinLimit(bl.subjects, 5))}
	for _, p := range bl.all {
		ev = append(ev, netpolRulesLine(p, false))
	}
	if len(dnsPodList) > 0 {
		p := dnsPodList[0]
		nsLabels, _ := netpolNamespaceLabels(s, p.Namespace)
		ev = append(ev, fmt.Sprintf("cluster DNS: %s (labels %s) listening on 53/UDP and 53/TCP; namespace %s labels: %s",
			s.SubjectOf(p), replicaSelector(p.Labels), p.Namespace, nsLabels.String()))
	} else {
		ev = append(ev, "cluster DNS: kube-system pods labelled k8s-app=kube-dns on 53/UDP and 53/TCP (not in the input)")
	}
	ev = append(ev, "no egress rule admits port 53 over UDP or TCP to the cluster DNS")
	rule := map[string]any{
		"to": []any{map[string]any{
			"namespaceSelector": map[string]any{"matchLabels": map[string]string{corev1.LabelMetadataName: dnsNamespace}},
			"podSelector":       map[string]any{"matchLabels": dnsPodLabels},
		}},
		"ports": []any{
			map[string]any{"protocol": "UDP", "port": 53},
			map[string]any{"protocol": "TCP", "port": 53},
		},
	}
	verify := diagnose.DescribeCmd(ref)
	if bl.testLabels != "" {
		verify = diagnose.Kubectl("run", "dns-check", "-n", np.Namespace, "--rm", "-i", "--restart=Never", "--image=busybox:1.36",
			"--labels="+bl.testLabels, "--", "nslookup", "kubernetes.default")
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  "the selected pods cannot resolve any name: `nslookup api-svc` ends in \";; connection timed out; no servers could be reached\" and every connection by Service name fails before it starts",
		Cause:    fmt.Sprintf("the %d egress NetworkPolic(ies) selecting these pods allow no traffic to port 53 (UDP or TCP) of the cluster DNS: once a policy isolates egress, DNS must be allowed explicitly", len(bl.all)),
		Evidence: ev,
		Fix:      netpolAddRule(np, false, rule),
		Verify:   verify,
		Origin:   originOf(s, ref),
	}
}
