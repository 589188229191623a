package checks

// The networkpolicy layer: the registry of its checks, and the one model of
// how policies admit a connection (isolation, peers, ports, and a maybe when
// the input cannot tell).

import (
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// netpolChecks are the checks that report on the networkpolicy layer; All sorts them.
var netpolChecks = []*diagnose.Check{netpolBlocksIngressController, netpolEgressBlocksDNS, netpolPortNotTargetPort}

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
	s    *snapshot.Snapshot
	t    networkingv1.PolicyType
	byNS map[string]map[*corev1.Pod][]*networkingv1.NetworkPolicy
}

// netpolIndexOf indexes the policies of s that isolate pods in direction t.
func netpolIndexOf(s *snapshot.Snapshot, t networkingv1.PolicyType) *netpolIndex {
	return &netpolIndex{s: s, t: t, byNS: map[string]map[*corev1.Pod][]*networkingv1.NetworkPolicy{}}
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
	if snapshot.NameLabelOnly(sel) {
		return netpolNo
	}
	return netpolMaybe
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
		set, complete := s.NamespaceLabels(e.Namespace)
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
