package checks

// Egress policies that forget DNS: the cluster DNS pods as policies see
// them, and the rule that admits port 53.

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

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
	Doc:      "An egress allow-list NetworkPolicy admits no traffic to port 53 (UDP/TCP) of the cluster DNS: every DNS lookup from its pods fails. A deny-all egress policy blocks DNS by design: an info, or a warning when the pods' env names hosts to reach.",
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
	// named holds, for a deny-all policy, the hosts the pods it isolates are
	// configured to reach: whether blocked DNS matters to them.
	named := map[*networkingv1.NetworkPolicy][]string{}
	allNamespaces := namespaceSet(s)
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
				if netpolDeniesAllEgress(np) {
					named[np] = append(named[np], podNamedHosts(s, p, allNamespaces)...)
				}
			}
		}
	}
	for _, np := range order {
		f := netpolDNSFinding(s, blocked[np], dnsPodList)
		if netpolDeniesAllEgress(np) {
			netpolDenyAllDNS(&f, np, dedupe(named[np]))
		}
		r.Report(f)
	}
}

// netpolDeniesAllEgress reports whether np isolates egress and allows none:
// isolation on purpose, not an allow-list that forgot DNS. It is the report
// target only when no other policy selecting the pods allows anything.
func netpolDeniesAllEgress(np *networkingv1.NetworkPolicy) bool {
	return netpolIsolates(np, networkingv1.PolicyTypeEgress) && len(np.Spec.Egress) == 0
}

// netpolDenyAllDNS turns the finding on a deny-all egress policy into what
// it is: DNS blocked by design along with every other connection. An info
// when nothing in the pods' spec names a host to reach (a server that only
// answers); a warning when their env names hosts, since those lookups and
// connections fail, but not an error: the policy says the isolation is
// wanted, and only the owner knows whether the names are still used.
func netpolDenyAllDNS(f *diagnose.Finding, np *networkingv1.NetworkPolicy, hosts []string) {
	design := fmt.Sprintf("NetworkPolicy %s denies all egress of these pods on purpose (policyTypes: [Egress] and no egress rule, and no other policy allows any): DNS is blocked along with every other outbound connection", np.Name)
	if len(hosts) == 0 {
		f.Severity = diagnose.SeverityInfo
		f.Symptom = "none while the pods only answer requests: any lookup or outbound connection they make fails"
		f.Cause = design + "; nothing in their spec names a host to reach"
		f.Evidence = append(f.Evidence, "no env value of these pods names a Service or URL")
		return
	}
	f.Severity = diagnose.SeverityWarning
	f.Symptom = "lookups of the hosts these pods are configured with time out (\";; connection timed out; no servers could be reached\"), and connections to them would be denied too"
	f.Cause = design + "; yet their spec names hosts to reach: if they should, allow DNS and each of those destinations"
	f.Evidence = append(f.Evidence, "hosts these pods are configured to reach: "+joinLimit(hosts, maxListed))
}

// podNamedHosts quotes the env values of p that name a host to connect to:
// a Service name or an http(s) URL.
func podNamedHosts(s *snapshot.Snapshot, p *corev1.Pod, namespaces map[string]bool) []string {
	var out []string
	for _, c := range containersOf(p) {
		for _, e := range c.Spec.Env {
			if e.ValueFrom != nil || e.Value == "" {
				continue
			}
			_, service := parseServiceHost(s, e.Name, e.Value, p.Namespace, namespaces)
			u, err := url.Parse(e.Value)
			external := err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.Contains(u.Hostname(), ".")
			if service || external {
				out = append(out, fmt.Sprintf("%s env %s=%q", c.Label(), e.Name, e.Value))
			}
		}
	}
	return out
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
		nsLabels, _ := s.NamespaceLabels(p.Namespace)
		ev = append(ev, fmt.Sprintf("cluster DNS: %s (labels %s) listening on 53/UDP and 53/TCP; namespace %s labels: %s",
			s.SubjectOf(p), replicaSelector(p.Labels), p.Namespace, labels.Set(nsLabels).String()))
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
