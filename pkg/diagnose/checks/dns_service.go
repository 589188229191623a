package checks

// The kube-dns Service that every pod's resolv.conf points at: deleted, or
// without a ready endpoint.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var dnsServiceMissing = &diagnose.Check{
	ID:       "dns-service-missing",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "The kube-dns Service in kube-system is missing or has no ready endpoints: pods' resolv.conf points at nothing.",
	Run:      runDNSServiceMissing,
}

var dnsClusterIPRE = regexp.MustCompile(`clusterDNS:\s*\n\s*-\s*"?([0-9a-fA-F.:]+)`)

// dnsKubeletClusterIP reads the address the kubelet writes into every pod's
// resolv.conf from kubeadm's kubelet-config ConfigMap, when the input has it.
func dnsKubeletClusterIP(s *snapshot.Snapshot) string {
	ip, _ := kubeletSetting(s, dnsClusterIPRE, "kubelet-config", "kubelet-config-1.0")
	return ip
}

func runDNSServiceMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if !s.Knows(snapshot.KindService, dnsNamespace) || !dnsClusterState(s) {
		return
	}
	svc := dnsService(s)
	if svc == nil {
		dnsReportMissingService(s, r)
		return
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if !s.Knows(snapshot.KindEndpoints, dnsNamespace) && !s.Knows(snapshot.KindEndpointSlice, dnsNamespace) {
		return
	}
	if _, has := serviceAddresses(s, dnsNamespace, svc.Name); !has {
		// The endpoints controllers write an Endpoints object and a slice
		// for every Service with a selector, empty or not: when neither is
		// in the input, the dump left them out.
		r.NotChecked(snapshot.Ref(snapshot.KindService, svc), fmt.Sprintf("the input holds no Endpoints or EndpointSlices of Service kube-system/%s: cannot tell whether it has ready endpoints", svc.Name))
		return
	}
	ready, notReady := dnsEndpointCounts(s, svc)
	if ready > 0 {
		return
	}
	selected := s.PodsMatching(dnsNamespace, svc.Spec.Selector)
	readyPods := 0
	for _, p := range selected {
		if podServing(p) {
			readyPods++
		}
	}
	if down, _ := dnsServersDown(dnsPods(s, svc), dnsDeployment(s)); down && (s.Live || s.ClusterDump()) {
		// No DNS server runs: dns-coredns-unavailable names that cause.
		return
	}
	ref := snapshot.Ref(snapshot.KindService, svc)
	ev := []string{
		fmt.Sprintf("Service kube-system/%s selector: %s; clusterIP %s", svc.Name, selectorText(svc.Spec.Selector), svc.Spec.ClusterIP),
		fmt.Sprintf("endpoints: %d ready, %d not ready", ready, notReady),
		fmt.Sprintf("pods matching the selector: %d (%d ready)", len(selected), readyPods),
	}
	fix := diagnose.KubectlOn([]string{"rollout", "restart", "-n", dnsNamespace}, "deployment/coredns")
	if d := dnsDeployment(s); d != nil {
		fix = diagnose.KubectlOn([]string{"rollout", "restart", "-n", dnsNamespace}, "deployment/"+d.Name)
	}
	cause := "the kube-dns Service has no ready endpoint"
	if len(selected) == 0 {
		cause += ": its selector matches no pod in kube-system"
		if near := s.ClosestPods(dnsNamespace, svc.Spec.Selector, 1); len(near) > 0 {
			patch := map[string]string{}
			var diffs []string
			for _, d := range near[0].Diff {
				if d.Missing {
					diffs = append(diffs, fmt.Sprintf("%s=%s (pod has no such label)", d.Key, d.Want))
					continue
				}
				diffs = append(diffs, fmt.Sprintf("%s=%s (pod has %s)", d.Key, d.Want, d.Have))
				patch[d.Key] = d.Have
			}
			ev = append(ev, fmt.Sprintf("closest pod %s differs in: %s", near[0].Pod.Name, strings.Join(diffs, ", ")))
			if len(patch) > 0 && len(patch) == len(near[0].Diff) {
				fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": patch}})
			} else {
				fix = diagnose.EditCmd(ref)
			}
		} else {
			fix = diagnose.EditCmd(ref)
		}
	}
	r.Report(dnsOutageFinding(s, ref, cause, ev, fix, diagnose.GetCmd(endpointsRef(svc))))
}

// dnsEndpointCounts counts the ready and not-ready addresses behind svc in
// its Endpoints and EndpointSlices.
func dnsEndpointCounts(s *snapshot.Snapshot, svc *corev1.Service) (ready, notReady int) {
	if ep := s.EndpointsFor(svc.Namespace, svc.Name); ep != nil {
		for _, ss := range ep.Subsets {
			ready += len(ss.Addresses)
			notReady += len(ss.NotReadyAddresses)
		}
	}
	sliceReady, sliceNot := 0, 0
	for _, sl := range s.EndpointSlicesFor(svc.Namespace, svc.Name) {
		for _, e := range sl.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				sliceReady++
			} else {
				sliceNot++
			}
		}
	}
	// Endpoints and slices describe the same addresses: take the larger view.
	return max(ready, sliceReady), max(notReady, sliceNot)
}

// dnsReportMissingService reports an absent kube-dns Service, unless the
// cluster evidently runs its DNS elsewhere (OpenShift's openshift-dns).
func dnsReportMissingService(s *snapshot.Snapshot, r *diagnose.Reporter) {
	ref := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: dnsNamespace, Name: "kube-dns"}
	pods := dnsPods(s, nil)
	deploy := dnsDeployment(s)
	if len(pods) == 0 && deploy == nil {
		for _, svc := range s.Services {
			for _, p := range svc.Spec.Ports {
				if p.Port == 53 {
					r.NotChecked(ref, fmt.Sprintf("no kube-dns in kube-system; Service %s/%s serves port 53", svc.Namespace, svc.Name))
					return
				}
			}
		}
	}
	var names []string
	for _, svc := range s.ServicesIn(dnsNamespace) {
		names = append(names, svc.Name)
	}
	sort.Strings(names)
	ev := []string{
		"Services in kube-system: " + joinLimit(names, 10),
		fmt.Sprintf("%d DNS pod(s) (k8s-app=kube-dns) in kube-system", len(pods)),
	}
	for i, p := range pods {
		if i == 3 {
			break
		}
		ev = append(ev, dnsPodLine(p))
	}
	ip := dnsKubeletClusterIP(s)
	if ip != "" {
		ev = append(ev, "kubelet clusterDNS (ConfigMap kube-system/kubelet-config): "+ip)
	}
	cause := "the kube-dns Service is deleted: pods send their DNS queries to its old cluster IP and nothing answers"
	var fix string
	if deploy != nil {
		args := []string{"expose", "deployment", "-n", dnsNamespace, "--name=kube-dns", "--port=53", "--protocol=UDP"}
		if ip != "" {
			args = append(args, "--cluster-ip="+ip)
		} else {
			cause += "; the recreated Service must get the address the kubelets use (their --cluster-dns), or pods keep asking the old one"
		}
		fix = diagnose.KubectlOn(args, deploy.Name)
	} else {
		fix = diagnose.Kubectl("get", "pods", "-n", dnsNamespace, "-l", dnsPodSelector, "--show-labels")
		cause += "; and no CoreDNS Deployment is in the input: reinstall the cluster DNS add-on (kubeadm: `kubeadm init phase addon coredns`)"
	}
	// The Service does not exist, so the finding has no origin.
	r.Report(dnsOutageFinding(s, ref, cause, ev, fix, diagnose.GetCmd(ref)))
}
