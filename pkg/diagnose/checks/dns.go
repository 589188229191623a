package checks

// The DNS layer: the registry of its checks, where the cluster DNS runs (its
// Service, Deployment and pods), and whether its servers answer.

import (
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsChecks are the checks of the DNS layer. The seed's LAB 5 names three
// causes of "Services exist, DNS name fails": CoreDNS not running, the
// wrong namespace, the Service deleted; one check per cause, and the others
// for the incidents that break names another way.
var dnsChecks = []*diagnose.Check{
	dnsCoreDNSUnavailable, dnsServiceMissing, dnsNameUnresolvable,
	dnsCorefileClusterZone, dnsPolicyBypassesClusterDNS, statefulSetGoverningService, dnsClusterIPMismatch,
	dnsCoreDNSLogErrors,
}

var dnsCoreDNSUnavailable = &diagnose.Check{
	ID:       "dns-coredns-unavailable",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "No CoreDNS/kube-dns pod in kube-system is ready (or its Deployment has 0 available replicas): no Service name resolves.",
	Run:      runDNSCoreDNSUnavailable,
}

const dnsNamespace = "kube-system"

// dnsPodLabels is the label every common cluster DNS deployment (CoreDNS
// from kubeadm, EKS, AKS, k3s; kube-dns on GKE) puts on its pods.
var dnsPodLabels = map[string]string{"k8s-app": "kube-dns"}

// dnsPodSelector is dnsPodLabels as kubectl -l takes it.
var dnsPodSelector = selectorText(dnsPodLabels)

// dnsClusterState reports whether the input is cluster state that includes
// kube-system (a dump or a live read), not manifests that merely target it.
func dnsClusterState(s *snapshot.Snapshot) bool {
	if s.Live || s.ClusterDump() {
		return true
	}
	for _, p := range s.PodsIn(dnsNamespace) {
		if hasStatus(p) {
			return true
		}
	}
	return false
}

// dnsService is the Service pods' resolv.conf points at: kube-dns, or a
// Service in kube-system labelled like it (some distributions rename it).
func dnsService(s *snapshot.Snapshot) *corev1.Service {
	if svc := s.Service(dnsNamespace, "kube-dns"); svc != nil {
		return svc
	}
	for _, svc := range s.ServicesIn(dnsNamespace) {
		if svc.Labels["k8s-app"] == "kube-dns" {
			return svc
		}
	}
	return nil
}

// dnsDeployment is the Deployment that runs the cluster DNS server.
func dnsDeployment(s *snapshot.Snapshot) *appsv1.Deployment {
	var labelled *appsv1.Deployment
	for _, d := range s.Deployments {
		if d.Namespace != dnsNamespace {
			continue
		}
		if d.Name == "coredns" || d.Name == "kube-dns" {
			return d
		}
		if labelled == nil && d.Spec.Template.Labels["k8s-app"] == "kube-dns" {
			labelled = d
		}
	}
	return labelled
}

// dnsPods are the cluster DNS pods: those the DNS Service selects and those
// carrying the usual label.
// Only pods with runtime state count: a dump without any Pod gets stand-ins
// made from the Deployment's template, and those say nothing about whether
// DNS runs.
func dnsPods(s *snapshot.Snapshot, svc *corev1.Service) []*corev1.Pod {
	var pods []*corev1.Pod
	seen := map[*corev1.Pod]bool{}
	add := func(list []*corev1.Pod) {
		for _, p := range list {
			if !seen[p] && hasStatus(p) {
				seen[p] = true
				pods = append(pods, p)
			}
		}
	}
	add(s.PodsMatching(dnsNamespace, dnsPodLabels))
	if svc != nil && len(svc.Spec.Selector) > 0 {
		add(s.PodsMatching(dnsNamespace, svc.Spec.Selector))
	}
	return pods
}

// dnsPodLine summarises a DNS pod: phase, readiness and why its containers
// are not running.
func dnsPodLine(p *corev1.Pod) string {
	parts := []string{fmt.Sprintf("pod %s/%s: %s, ready=%t", p.Namespace, p.Name, p.Status.Phase, podServing(p))}
	if p.Spec.NodeName != "" {
		parts[0] += " on node " + p.Spec.NodeName
	}
	for _, c := range containersOf(p) {
		if c.Status == nil || c.Status.Ready || c.Init && c.Status.State.Terminated != nil {
			continue
		}
		parts = append(parts, stateLine(c))
		if last := c.Status.LastTerminationState.Terminated; last != nil {
			parts = append(parts, "last termination "+terminatedLine(last))
		}
	}
	return strings.Join(parts, "; ")
}

// kubeletSetting reads one setting of the kubelet configuration kubeadm
// publishes in kube-system, from the first of the ConfigMaps names that
// holds it: the first group of re, and the ConfigMap it was read from (nil
// when none holds it).
func kubeletSetting(s *snapshot.Snapshot, re *regexp.Regexp, names ...string) (string, *corev1.ConfigMap) {
	for _, name := range names {
		if cm := s.ConfigMap(dnsNamespace, name); cm != nil {
			if m := re.FindStringSubmatch(cm.Data["kubelet"]); m != nil {
				return m[1], cm
			}
		}
	}
	return "", nil
}

// dnsPodsWaitForNodes returns the NotReady nodes every DNS pod waits for:
// each is Pending and the scheduler's only reason for every node is the
// not-ready (or unreachable) taint. msg is the scheduler's message. Nil
// when some pod has another problem.
func dnsPodsWaitForNodes(s *snapshot.Snapshot, pods []*corev1.Pod) (nodes []*corev1.Node, msg string) {
	for _, p := range pods {
		if p.Status.Phase != corev1.PodPending {
			return nil, ""
		}
		m := podSchedulerMessage(s, p)
		if !podOnlyBlockedByNotReadyNodes(m) {
			return nil, ""
		}
		if msg == "" {
			msg = m
		}
	}
	for _, n := range s.Nodes {
		if !nodeReady(n) {
			nodes = append(nodes, n)
		}
	}
	return nodes, msg
}

// dnsOutageFinding is a finding on obj whose symptom is that no Service
// name resolves anywhere in the cluster.
func dnsOutageFinding(s *snapshot.Snapshot, obj snapshot.ObjectRef, cause string, ev []string, fix, verify string) diagnose.Finding {
	return diagnose.Finding{Object: obj, Symptom: dnsSymptom, Cause: cause, Evidence: ev, Fix: fix, Verify: verify, Origin: originOf(s, obj)}
}

const dnsSymptom = "every DNS lookup of a Service name fails: `nslookup api-svc` answers \";; connection timed out; no servers could be reached\", and clients log \"no such host\" or time out"

// dnsServersDown reports whether no cluster DNS server answers: pods exist
// and none is ready, or the Deployment has none available. It also returns
// how many pods are ready.
func dnsServersDown(pods []*corev1.Pod, deploy *appsv1.Deployment) (bool, int) {
	ready := 0
	for _, p := range pods {
		if podServing(p) {
			ready++
		}
	}
	// A Deployment without any status is a manifest, not state.
	deployDown := deploy != nil && deploy.Status.AvailableReplicas == 0 &&
		(deploy.Status.ObservedGeneration > 0 || deploy.Spec.Replicas != nil && *deploy.Spec.Replicas == 0)
	switch {
	case ready > 0 && deployDown:
		// Pods ready but the Deployment says otherwise: the dump caught a
		// moment in between; the pods are what answers queries.
		return false, ready
	case len(pods) > 0:
		return ready == 0, ready
	}
	return deployDown, ready
}

func runDNSCoreDNSUnavailable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if !(s.ClusterDump() || s.Live) {
		return
	}
	// Without Pods in the input only the Deployment's status can tell
	// whether DNS servers run; an absent pod proves nothing.
	podsKnown := s.Knows(snapshot.KindPod, dnsNamespace)
	svc := dnsService(s)
	deploy := dnsDeployment(s)
	var pods []*corev1.Pod
	if podsKnown {
		pods = dnsPods(s, svc)
	}
	if len(pods) == 0 && deploy == nil {
		if podsKnown && svc == nil {
			r.NotChecked(snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: dnsNamespace, Name: "kube-dns"},
				"no CoreDNS/kube-dns pods, Deployment or Service in kube-system: the cluster DNS runs elsewhere")
		}
		return
	}
	down, ready := dnsServersDown(pods, deploy)
	if !down {
		return
	}

	var obj snapshot.ObjectRef
	switch {
	case deploy != nil:
		obj = snapshot.Ref(snapshot.KindDeployment, deploy)
	case svc != nil:
		obj = snapshot.Ref(snapshot.KindService, svc)
	default:
		obj = ownerOrPod(s, pods[0])
	}
	var ev []string
	if deploy != nil {
		want := int32(1)
		if deploy.Spec.Replicas != nil {
			want = *deploy.Spec.Replicas
		}
		ev = append(ev, fmt.Sprintf("Deployment %s/%s: replicas %d, ready %d, available %d",
			deploy.Namespace, deploy.Name, want, deploy.Status.ReadyReplicas, deploy.Status.AvailableReplicas))
		for _, c := range deploy.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				ev = append(ev, fmt.Sprintf("Deployment condition %s=%s (%s): %s", c.Type, c.Status, c.Reason, clip(c.Message)))
			}
		}
	}
	if podsKnown {
		ev = append(ev, fmt.Sprintf("%d DNS pod(s) (k8s-app=kube-dns) in kube-system, %d ready", len(pods), ready))
	} else {
		ev = append(ev, "the input holds no Pods: the Deployment's status is the evidence")
	}
	for i, p := range pods {
		if i == 5 {
			ev = append(ev, fmt.Sprintf("and %d more pod(s)", len(pods)-5))
			break
		}
		line := dnsPodLine(p)
		if c := podCondition(p, corev1.PodScheduled); p.Status.Phase == corev1.PodPending && c != nil && c.Status != corev1.ConditionTrue {
			line += "; " + conditionLine(c)
		}
		ev = append(ev, line)
		ev = append(ev, eventLines(s, snapshot.Ref(snapshot.KindPod, p), nil)...)
	}

	cause := "CoreDNS is not running: no cluster DNS pod is ready"
	fix := diagnose.Kubectl("delete", "pod", "-n", dnsNamespace, "-l", dnsPodSelector)
	switch {
	case deploy != nil && deploy.Spec.Replicas != nil && *deploy.Spec.Replicas == 0:
		cause = fmt.Sprintf("Deployment %s is scaled to 0 replicas: no DNS server runs", deploy.Name)
		fix = diagnose.KubectlOn([]string{"scale", "deployment", "-n", dnsNamespace, "--replicas=2"}, deploy.Name)
	case deploy != nil:
		fix = diagnose.KubectlOn([]string{"rollout", "restart", "-n", dnsNamespace}, "deployment/"+deploy.Name)
		if len(pods) == 0 {
			cause = fmt.Sprintf("Deployment %s has 0 available replicas", deploy.Name)
			if podsKnown {
				cause += " and no DNS pod exists"
			}
		}
	}
waiting:
	for _, p := range pods {
		for _, c := range containersOf(p) {
			if c.waitingReason() != "" {
				cause += fmt.Sprintf("; %s of %s is %s", c.Label(), p.Name, c.waitingReason())
				break waiting
			}
		}
	}
	switch nodes, msg := dnsPodsWaitForNodes(s, pods); {
	case len(nodes) > 0:
		// Pending on the not-ready taint: a restart makes new pods that
		// wait for the same nodes. The nodes are what to repair.
		var names []string
		for _, n := range nodes {
			names = append(names, n.Name)
		}
		cause = fmt.Sprintf("CoreDNS is not running: its pods are Pending because the scheduler rejects every node for the not-ready taint (%s); restarting them does not help: repair the NotReady node(s) %s (kubelet, container runtime, CNI) and they are scheduled",
			clip(msg), joinLimit(names, maxListed))
		fix = nodeFix(nodes[0].Name, nodeNoneReady(s))
	case len(pods) > 0:
		cause += "; a restart helps when the pods are stuck, a crash loop needs its logs (kubectl logs -n kube-system -l k8s-app=kube-dns)"
	}
	r.Report(dnsOutageFinding(s, obj, cause, ev, fix, diagnose.Kubectl("get", "pods", "-n", dnsNamespace, "-l", dnsPodSelector)))
}
