package checks

// The address every pod's resolv.conf names against the kube-dns Service's
// address. The kubelet writes its clusterDNS setting into each pod it
// starts; the kube-dns Service must hold that cluster IP. When the Service
// is deleted and re-created it gets a new address unless one is pinned, and
// when a cluster is set up with another Service network than the kubelet
// configuration assumes, the two never agreed: either way queries go to an
// address nothing answers.

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var dnsClusterIPMismatch = &diagnose.Check{
	ID:       "dns-cluster-ip-mismatch",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "The kubelets' clusterDNS (the nameserver in every pod's resolv.conf) is not the kube-dns Service's cluster IP: the Service was re-created with a new IP, or the kubelet configuration names another Service network.",
	Run:      runDNSClusterIPMismatch,
}

// kubeletClusterDNS reads the clusterDNS addresses of the kubelet
// configuration kubeadm publishes in kube-system (ConfigMap kubelet-config,
// or kubelet-config-1.N before kubeadm 1.24, newest first), and the
// ConfigMap they were read from.
func kubeletClusterDNS(s *snapshot.Snapshot) ([]string, *corev1.ConfigMap) {
	var names []string
	for _, cm := range s.ConfigMaps {
		if cm.Namespace == dnsNamespace && strings.HasPrefix(cm.Name, "kubelet-config") {
			names = append(names, cm.Name)
		}
	}
	// "kubelet-config" sorts first; then the versioned names, newest first.
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "kubelet-config") != (names[j] == "kubelet-config") {
			return names[i] == "kubelet-config"
		}
		return names[i] > names[j]
	})
	for _, name := range names {
		cm := s.ConfigMap(dnsNamespace, name)
		var conf struct {
			ClusterDNS []string `json:"clusterDNS"`
		}
		if err := yaml.Unmarshal([]byte(cm.Data["kubelet"]), &conf); err == nil && len(conf.ClusterDNS) > 0 {
			return conf.ClusterDNS, cm
		}
	}
	return nil, nil
}

func runDNSClusterIPMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if !dnsClusterState(s) {
		return
	}
	svc := dnsService(s)
	// Both addresses go into the fix's command line: only addresses are
	// judged.
	if svc == nil || net.ParseIP(svc.Spec.ClusterIP) == nil {
		return
	}
	kubelet, cm := kubeletClusterDNS(s)
	if cm == nil {
		return
	}
	held := map[string]*corev1.Service{}
	for _, o := range s.Services {
		for _, ip := range append([]string{o.Spec.ClusterIP}, o.Spec.ClusterIPs...) {
			held[ip] = o
		}
	}
	for _, ip := range kubelet {
		addr := net.ParseIP(ip)
		// A link-local address is NodeLocal DNSCache on every node, which
		// forwards to kube-dns by its own configuration; an address some
		// Service holds is answered by that Service.
		if addr == nil || addr.IsLinkLocalUnicast() || held[ip] != nil {
			return
		}
	}
	r.Report(dnsClusterIPFinding(s, svc, kubelet, cm))
}

func dnsClusterIPFinding(s *snapshot.Snapshot, svc *corev1.Service, kubelet []string, cm *corev1.ConfigMap) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	old, now := kubelet[0], svc.Spec.ClusterIP
	ev := []string{
		fmt.Sprintf("kubelet clusterDNS (ConfigMap %s/%s, key kubelet): %s — the nameserver the kubelet writes into every pod's resolv.conf", cm.Namespace, cm.Name, strings.Join(kubelet, ", ")),
		fmt.Sprintf("Service %s/%s clusterIP: %s", svc.Namespace, svc.Name, now),
		fmt.Sprintf("no Service of the input holds %s: queries sent there are never answered", old),
	}
	recreated := false
	if d := dnsDeployment(s); d != nil {
		if gap := svc.CreationTimestamp.Sub(d.CreationTimestamp.Time); gap > time.Hour {
			recreated = true
			ev = append(ev, fmt.Sprintf("Service %s was created %s, %d day(s) and %d hour(s) after Deployment %s: it was re-created",
				svc.Name, svc.CreationTimestamp.UTC().Format(time.RFC3339), int(gap.Hours())/24, int(gap.Hours())%24, d.Name))
		}
	}
	for _, p := range s.Pods {
		if p.Spec.DNSConfig != nil && p.Spec.DNSPolicy == corev1.DNSNone && slices.Contains(p.Spec.DNSConfig.Nameservers, old) {
			ev = append(ev, fmt.Sprintf("%s sets dnsConfig nameserver %s itself", podLabel(s, p), old))
			break
		}
	}
	verify := diagnose.GetCmd(ref, "-o", "jsonpath={.spec.clusterIP}")
	if api := s.Service("default", "kubernetes"); api != nil && !sameSlash16(api.Spec.ClusterIP, old) {
		ev = append(ev, fmt.Sprintf("the Service network holds Service default/kubernetes at %s: %s lies outside it", api.Spec.ClusterIP, old),
			"fix: set clusterDNS to "+now+" in the ConfigMap, then on every node in /var/lib/kubelet/config.yaml (kubeadm upgrade node phase kubelet-config), restart the kubelets and re-create the pods")
		return dnsOutageFinding(s, ref,
			fmt.Sprintf("the kubelets hand pods nameserver %s, which is not in the cluster's Service network: the kubelet configuration names another Service CIDR than the cluster was set up with, so kube-dns (%s) is never asked", old, now),
			ev, diagnose.Kubectl("edit", "configmap", cm.Name, "-n", cm.Namespace), verify)
	}
	// The Service's other fields stay as they are; only its address goes
	// back to the one the kubelets use. A cluster IP cannot be changed in
	// place, so the Service is replaced.
	fix := diagnose.GetCmd(ref, "-o", "yaml") + " | sed -e 's/" + strings.ReplaceAll(now, ".", `\.`) + "/" + old + "/' -e '/^  resourceVersion:/d' -e '/^  uid:/d' | " + diagnose.Kubectl("replace", "--force", "-f", "-")
	ev = append(ev, "fix: re-create Service "+svc.Name+" with clusterIP "+old+"; pods started meanwhile keep working, as they were handed "+old+" too")
	cause := fmt.Sprintf("the cluster DNS Service %s has cluster IP %s, but the kubelets hand every pod nameserver %s, where nothing answers", svc.Name, now, old)
	if recreated {
		cause = fmt.Sprintf("the cluster DNS Service %s was re-created and got cluster IP %s, but the kubelets still hand every pod nameserver %s, where nothing answers", svc.Name, now, old)
	}
	return dnsOutageFinding(s, ref, cause, ev, fix, verify)
}

// sameSlash16 reports whether two IPv4 addresses share their first two
// bytes: the default Service network (10.96.0.0/12) and the networks
// kubeadm users choose are at least that wide.
func sameSlash16(a, b string) bool {
	x, y := net.ParseIP(a).To4(), net.ParseIP(b).To4()
	if x == nil || y == nil {
		return true
	}
	return x[0] == y[0] && x[1] == y[1]
}
