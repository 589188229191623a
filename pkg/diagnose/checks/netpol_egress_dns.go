package checks

// Egress policies that forget DNS: the cluster DNS pods as policies see
// them, and the rule that admits port 53.

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// netpolEgressBlocksDNS catches egress allow-lists that forget DNS: the
// pods can reach their allowed peers by IP, but no name resolves.
var netpolEgressBlocksDNS = &diagnose.Check{
	ID:       "netpol-egress-blocks-dns",
	Layer:    diagnose.LayerNetworkPolicy,
	Severity: diagnose.SeverityError,
	Doc:      "An egress NetworkPolicy isolates pods and allows no egress to port 53 (UDP/TCP): every DNS lookup from them fails.",
	Run:      runNetpolEgressBlocksDNS,
}

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
	idx := netpolIndexOf(s, networkingv1.PolicyTypeEgress)
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
		verify = diagnose.KubectlOn([]string{"run", "-n", np.Namespace, "--rm", "-i", "--restart=Never", "--image=busybox:1.36",
			"--labels=" + bl.testLabels}, "dns-check", "nslookup", "kubernetes.default")
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
