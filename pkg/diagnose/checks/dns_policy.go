package checks

// Pods whose dnsPolicy bypasses the cluster DNS while their configuration
// names cluster Services.

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsPolicyBypassesClusterDNS catches pods whose resolver is not the cluster
// DNS (dnsPolicy Default, None, or hostNetwork without
// ClusterFirstWithHostNet) while their configuration names cluster Services.
var dnsPolicyBypassesClusterDNS = &diagnose.Check{
	ID:       "dns-policy-bypasses-cluster-dns",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "A workload's pods do not use the cluster DNS (dnsPolicy Default/None, hostNetwork without ClusterFirstWithHostNet) yet name cluster Services.",
	Run:      runDNSPolicyBypassesClusterDNS,
}

// configValue is one configuration value a pod reads: an env value, or a
// ConfigMap entry it loads.
type configValue struct {
	Var, Value, From string
}

// podConfigValues lists the values a pod's containers read: literal env
// values and the entries of ConfigMaps they load (envFrom, configMapKeyRef).
func podConfigValues(s *snapshot.Snapshot, p *corev1.Pod) []configValue {
	var out []configValue
	for _, c := range containersOf(p) {
		for _, e := range c.Spec.Env {
			switch {
			case e.ValueFrom == nil && e.Value != "":
				out = append(out, configValue{e.Name, e.Value, c.Label() + " env " + e.Name})
			case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
				if cm := s.ConfigMap(p.Namespace, e.ValueFrom.ConfigMapKeyRef.Name); cm != nil {
					if v, ok := cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]; ok {
						out = append(out, configValue{e.Name, v, "ConfigMap " + cm.Name + " key " + e.ValueFrom.ConfigMapKeyRef.Key})
					}
				}
			}
		}
		for _, ef := range c.Spec.EnvFrom {
			if ef.ConfigMapRef == nil {
				continue
			}
			if cm := s.ConfigMap(p.Namespace, ef.ConfigMapRef.Name); cm != nil {
				for _, k := range sortedKeys(cm.Data) {
					out = append(out, configValue{k, cm.Data[k], "ConfigMap " + cm.Name + " key " + k})
				}
			}
		}
	}
	return out
}

// clusterServiceNames returns the cluster Service names a pod's configuration
// uses (names that only the cluster DNS resolves), as "name (where)".
func clusterServiceNames(s *snapshot.Snapshot, p *corev1.Pod, namespaces map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range podConfigValues(s, p) {
		ref, ok := parseServiceHost(s, v.Var, v.Value, p.Namespace, namespaces)
		if !ok || s.Service(ref.Namespace, ref.Service) == nil || seen[ref.Host] {
			continue
		}
		seen[ref.Host] = true
		out = append(out, fmt.Sprintf("%s (%s)", ref.Host, v.From))
	}
	return out
}

func runDNSPolicyBypassesClusterDNS(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := namespaceSet(s)
	seen := map[snapshot.ObjectRef]bool{}
	dnsIP := ""
	if svc := dnsService(s); svc != nil {
		dnsIP = svc.Spec.ClusterIP
	}
	for _, p := range s.Pods {
		policy := p.Spec.DNSPolicy
		if policy == "" {
			policy = corev1.DNSClusterFirst
		}
		var how, want string
		switch {
		case policy == corev1.DNSDefault:
			how, want = "dnsPolicy: Default, which gives the pod the node's resolv.conf (\"Default\" is not the default policy; ClusterFirst is)", string(corev1.DNSClusterFirst)
			if p.Spec.HostNetwork {
				want = string(corev1.DNSClusterFirstWithHostNet)
			}
		case policy == corev1.DNSNone:
			if p.Spec.DNSConfig != nil && dnsIP != "" && slices.Contains(p.Spec.DNSConfig.Nameservers, dnsIP) {
				continue
			}
			ns := "none"
			if p.Spec.DNSConfig != nil && len(p.Spec.DNSConfig.Nameservers) > 0 {
				ns = strings.Join(p.Spec.DNSConfig.Nameservers, ", ")
			}
			how, want = "dnsPolicy: None with nameservers "+ns+", none of them the cluster DNS", string(corev1.DNSClusterFirst)
		case p.Spec.HostNetwork && policy == corev1.DNSClusterFirst:
			how, want = "hostNetwork: true with dnsPolicy ClusterFirst, which falls back to the node's resolv.conf for host-network pods", string(corev1.DNSClusterFirstWithHostNet)
		default:
			continue
		}
		names := clusterServiceNames(s, p, namespaces)
		if len(names) == 0 {
			continue
		}
		target, specPath := fixTarget(s, p)
		if seen[target] {
			continue
		}
		seen[target] = true
		ev := []string{how, "names that only the cluster DNS resolves: " + joinLimit(names, 4)}
		if dnsIP != "" {
			ev = append(ev, "the cluster DNS is the kube-dns Service at "+dnsIP)
		}
		r.Report(diagnose.Finding{
			Object:   target,
			Symptom:  fmt.Sprintf("lookups of cluster Service names fail inside %s (\"Name does not resolve\", NXDOMAIN) while the same names resolve in other pods", target),
			Cause:    fmt.Sprintf("the pods of %s do not use the cluster DNS (%s) but connect to cluster Services by name", target, how),
			Evidence: ev,
			Fix:      diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{Op: "add", Path: specPath + "/dnsPolicy", Value: want}),
			Verify:   verifyPod(s, p),
			Origin:   originOf(s, target),
		})
	}
}
