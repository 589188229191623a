package checks

// The Corefile's kubernetes plugin against the cluster domain pods use.

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsCorefileClusterZone catches a Corefile whose kubernetes plugin does not
// serve the cluster domain: CoreDNS is healthy and every Service name fails.
var dnsCorefileClusterZone = &diagnose.Check{
	ID:       "dns-corefile-cluster-zone",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "The coredns ConfigMap's Corefile has no kubernetes plugin for the cluster domain that pods use (cluster.local): Service names do not resolve.",
	Run:      runDNSCorefileClusterZone,
}

var (
	corefileKubernetesLine = regexp.MustCompile(`(?m)^\s*kubernetes(\s+[^{\n]*)?`)
	serviceDomainRE        = regexp.MustCompile(`\.svc\.([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)`)
	kubeletClusterDomainRE = regexp.MustCompile(`(?m)^\s*clusterDomain:\s*"?([a-z0-9.-]+)"?`)
)

// corefileConfigMap is the ConfigMap holding the cluster DNS's Corefile.
func corefileConfigMap(s *snapshot.Snapshot) *corev1.ConfigMap {
	for _, name := range []string{"coredns", "coredns-custom"} {
		if cm := s.ConfigMap(dnsNamespace, name); cm != nil && cm.Data["Corefile"] != "" {
			return cm
		}
	}
	return nil
}

func runDNSCorefileClusterZone(s *snapshot.Snapshot, r *diagnose.Reporter) {
	cm := corefileConfigMap(s)
	if cm == nil {
		return
	}
	corefile := cm.Data["Corefile"]
	var zones []string
	var lines []string
	for _, m := range corefileKubernetesLine.FindAllStringSubmatch(corefile, -1) {
		lines = append(lines, strings.TrimSpace(m[0]))
		fields := strings.Fields(m[1])
		if len(fields) == 0 {
			zones = append(zones, ".")
		}
		zones = append(zones, fields...)
	}
	domain, why := clusterDomainOf(s)
	if domain == "" {
		return
	}
	covered := false
	for _, z := range zones {
		z = strings.TrimSuffix(z, ".")
		if z == "" || z == domain || strings.HasSuffix(domain, "."+z) {
			covered = true
		}
	}
	if covered {
		return
	}
	ref := snapshot.Ref(snapshot.KindConfigMap, cm)
	ev := []string{why}
	cause := fmt.Sprintf("the Corefile in ConfigMap %s/%s has no kubernetes plugin, so CoreDNS does not answer for Services at all", cm.Namespace, cm.Name)
	if len(lines) > 0 {
		ev = append(ev, "Corefile: "+strings.Join(lines, "; "))
		cause = fmt.Sprintf("the Corefile's kubernetes plugin serves %s, not the cluster domain %s that pods search and name Services with; CoreDNS forwards *.svc.%s upstream, which answers NXDOMAIN", strings.Join(zones, " "), domain, domain)
	}
	r.Report(diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("CoreDNS is running and ready, yet every Service name (kubernetes.default.svc.%s, and the names apps use) fails to resolve", domain),
		Cause:    cause,
		Evidence: ev,
		Fix:      diagnose.EditCmd(ref),
		Verify:   diagnose.KubectlOn([]string{"run", "--rm", "-i", "--restart=Never", "--image=busybox:1.36"}, "dns-check", "nslookup", "kubernetes.default.svc."+domain),
		Origin:   originOf(s, ref),
	})
}

// clusterDomainOf finds the cluster domain pods use: the kubelet's
// clusterDomain from kubeadm's kubelet-config, else the domain of the
// *.svc.<domain> names in env values and ConfigMaps. Empty when the input
// does not say.
func clusterDomainOf(s *snapshot.Snapshot) (string, string) {
	if domain, cm := kubeletSetting(s, kubeletClusterDomainRE, "kubelet-config", "kubelet-config-1.32", "kubelet-config-1.31"); cm != nil {
		return domain, fmt.Sprintf("ConfigMap %s/%s: clusterDomain %s", cm.Namespace, cm.Name, domain)
	}
	count := map[string]int{}
	example := map[string]string{}
	note := func(v, where string) {
		for _, m := range serviceDomainRE.FindAllStringSubmatch(v, -1) {
			d := strings.TrimSuffix(m[1], ".")
			if i := strings.IndexAny(d, ":/"); i >= 0 {
				d = d[:i]
			}
			count[d]++
			if example[d] == "" {
				example[d] = where + ": " + clip(v)
			}
		}
	}
	for _, cm := range s.ConfigMaps {
		if cm.Namespace == dnsNamespace {
			continue
		}
		for _, k := range sortedKeys(cm.Data) {
			note(cm.Data[k], fmt.Sprintf("ConfigMap %s/%s key %s", cm.Namespace, cm.Name, k))
		}
	}
	for _, p := range s.Pods {
		for _, c := range p.Spec.Containers {
			for _, e := range c.Env {
				note(e.Value, fmt.Sprintf("%s env %s", s.SubjectOf(p), e.Name))
			}
		}
	}
	best := ""
	for d, n := range count {
		if n > count[best] || n == count[best] && d < best {
			best = d
		}
	}
	if best == "" {
		return "", ""
	}
	return best, fmt.Sprintf("the cluster's configuration names Services under *.svc.%s (%d use(s)), e.g. %s", best, count[best], example[best])
}
