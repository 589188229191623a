package checks

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var dnsChecks = []*diagnose.Check{dnsCoreDNSUnavailable, dnsServiceMissing, dnsNameUnresolvable}

// The seed's LAB 5 names three causes of "Services exist, DNS name fails":
// CoreDNS not running, the wrong namespace, the Service deleted. One check
// per cause.

var dnsCoreDNSUnavailable = &diagnose.Check{
	ID:       "dns-coredns-unavailable",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "No CoreDNS/kube-dns pod in kube-system is ready (or its Deployment has 0 available replicas): no Service name resolves.",
	Run:      runDNSCoreDNSUnavailable,
}

var dnsServiceMissing = &diagnose.Check{
	ID:       "dns-service-missing",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "The kube-dns Service in kube-system is missing or has no ready endpoints: pods' resolv.conf points at nothing.",
	Run:      runDNSServiceMissing,
}

var dnsNameUnresolvable = &diagnose.Check{
	ID:       "dns-name-unresolvable",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "An env value or ConfigMap entry names a Service (name, name.ns, name.ns.svc...) that does not exist where the name resolves.",
	Run:      runDNSNameUnresolvable,
}

const dnsNamespace = "kube-system"

// dnsPodLabels is the label every common cluster DNS deployment (CoreDNS
// from kubeadm, EKS, AKS, k3s; kube-dns on GKE) puts on its pods.
var dnsPodLabels = map[string]string{"k8s-app": "kube-dns"}

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
		if ref, ok := s.OwnerOf(pods[0]); ok {
			obj = ref
		} else {
			obj = snapshot.Ref(snapshot.KindPod, pods[0])
		}
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
		ev = append(ev, dnsPodLine(p))
		ev = append(ev, eventLines(s, snapshot.Ref(snapshot.KindPod, p), nil)...)
	}

	cause := "CoreDNS is not running: no cluster DNS pod is ready"
	fix := diagnose.Kubectl("delete", "pod", "-n", dnsNamespace, "-l", "k8s-app=kube-dns")
	switch {
	case deploy != nil && deploy.Spec.Replicas != nil && *deploy.Spec.Replicas == 0:
		cause = fmt.Sprintf("Deployment %s is scaled to 0 replicas: no DNS server runs", deploy.Name)
		fix = diagnose.Kubectl("scale", "deployment", deploy.Name, "-n", dnsNamespace, "--replicas=2")
	case deploy != nil:
		fix = diagnose.Kubectl("rollout", "restart", "deployment/"+deploy.Name, "-n", dnsNamespace)
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
			if c.Status != nil && c.Status.State.Waiting != nil && c.Status.State.Waiting.Reason != "" {
				cause += fmt.Sprintf("; %s of %s is %s", c.Label(), p.Name, c.Status.State.Waiting.Reason)
				break waiting
			}
		}
	}
	if len(pods) > 0 {
		cause += "; a restart helps when the pods are stuck, a crash loop needs its logs (kubectl logs -n kube-system -l k8s-app=kube-dns)"
	}
	r.Report(diagnose.Finding{
		Object:   obj,
		Symptom:  dnsSymptom,
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.Kubectl("get", "pods", "-n", dnsNamespace, "-l", "k8s-app=kube-dns"),
		Origin:   originOf(s, obj),
	})
}

var dnsClusterIPRE = regexp.MustCompile(`clusterDNS:\s*\n\s*-\s*"?([0-9a-fA-F.:]+)`)

// dnsKubeletClusterIP reads the address the kubelet writes into every pod's
// resolv.conf from kubeadm's kubelet-config ConfigMap, when the input has it.
func dnsKubeletClusterIP(s *snapshot.Snapshot) string {
	for _, name := range []string{"kubelet-config", "kubelet-config-1.0"} {
		if cm := s.ConfigMap(dnsNamespace, name); cm != nil {
			if m := dnsClusterIPRE.FindStringSubmatch(cm.Data["kubelet"]); m != nil {
				return m[1]
			}
		}
	}
	return ""
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
	fix := diagnose.Kubectl("rollout", "restart", "deployment/coredns", "-n", dnsNamespace)
	if d := dnsDeployment(s); d != nil {
		fix = diagnose.Kubectl("rollout", "restart", "deployment/"+d.Name, "-n", dnsNamespace)
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
	r.Report(diagnose.Finding{
		Object:   ref,
		Symptom:  dnsSymptom,
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: dnsNamespace, Name: svc.Name}),
		Origin:   originOf(s, ref),
	})
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
		args := []string{"expose", "deployment", deploy.Name, "-n", dnsNamespace, "--name=kube-dns", "--port=53", "--protocol=UDP"}
		if ip != "" {
			args = append(args, "--cluster-ip="+ip)
		} else {
			cause += "; the recreated Service must get the address the kubelets use (their --cluster-dns), or pods keep asking the old one"
		}
		fix = diagnose.Kubectl(args...)
	} else {
		fix = diagnose.Kubectl("get", "pods", "-n", dnsNamespace, "-l", "k8s-app=kube-dns", "--show-labels")
		cause += "; and no CoreDNS Deployment is in the input: reinstall the cluster DNS add-on (kubeadm: `kubeadm init phase addon coredns`)"
	}
	r.Report(diagnose.Finding{
		Object:   ref,
		Symptom:  dnsSymptom,
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref),
	})
}

// dnsRef is a Service name found in a configuration value.
type dnsRef struct {
	Host      string // the host as written
	Service   string
	Namespace string // where the name resolves
	// Explicit is true when the namespace is written in the name.
	Explicit bool
	// Strong is true when the value is unmistakably a network address
	// (URL, host:port, .svc name, or an address-typed variable).
	Strong bool
	Port   string
}

// Variable name endings that say the value is a host.
var (
	dnsHostSuffixes = []string{"_HOST", "_HOSTNAME", "_ADDR", "_ADDRESS", "_SERVER", "_SVC", "_SERVICE_HOST"}
	// A bare word under these names is often a provider name ("sendgrid")
	// rather than a host: judged only with positive evidence.
	dnsWeakSuffixes = []string{"_SERVICE", "_ENDPOINT", "_URL", "_URI"}
)

// dnsVarKind classifies a variable name: 2 address-typed, 1 maybe, 0 not an
// address (or one the check must not judge: images, versions, the pod's own
// listen address).
func dnsVarKind(name string) int {
	n := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	for _, bad := range []string{"IMAGE", "VERSION", "TAG", "LISTEN", "BIND"} {
		if strings.Contains(n, bad) {
			return -1
		}
	}
	// KUBERNETES_SERVICE_HOST overrides where the API server is: usually a
	// node-level name, never a Service of the pod's namespace.
	if strings.HasSuffix(n, "_NAME") || n == "HOSTNAME" || n == "KUBERNETES_SERVICE_HOST" {
		return -1
	}
	for _, suf := range dnsHostSuffixes {
		if strings.HasSuffix(n, suf) {
			return 2
		}
	}
	for _, suf := range dnsWeakSuffixes {
		if strings.HasSuffix(n, suf) {
			return 1
		}
	}
	return 0
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
var dnsServiceRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// dnsParse finds the Service a configuration value names, resolving a bare
// name in podNS as the pod's resolv.conf search path does. namespaces is the
// set of namespaces the input knows.
func dnsParse(s *snapshot.Snapshot, varName, value, podNS string, namespaces map[string]bool) (dnsRef, bool) {
	kind := dnsVarKind(varName)
	value = strings.TrimSpace(value)
	if kind < 0 || value == "" || strings.ContainsAny(value, " \t\n,;$\"'{}") {
		return dnsRef{}, false
	}
	var ref dnsRef
	switch {
	case strings.Contains(value, "://"):
		u, err := url.Parse(value)
		if err != nil || u.Hostname() == "" {
			return dnsRef{}, false
		}
		ref.Host, ref.Port, ref.Strong = u.Hostname(), u.Port(), true
	case strings.ContainsAny(value, "/@"):
		return dnsRef{}, false
	case strings.Count(value, ":") == 1:
		host, port, _ := strings.Cut(value, ":")
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || host == "" {
			return dnsRef{}, false
		}
		ref.Host, ref.Port, ref.Strong = host, port, true
	case strings.Contains(value, ":"):
		return dnsRef{}, false
	default:
		if kind == 0 {
			return dnsRef{}, false
		}
		ref.Host, ref.Strong = value, kind == 2
	}
	host := strings.TrimSuffix(ref.Host, ".")
	if host != strings.ToLower(host) || net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return dnsRef{}, false
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if !dnsLabelRE.MatchString(l) {
			return dnsRef{}, false
		}
	}
	switch {
	case len(labels) == 1:
		ref.Service, ref.Namespace = labels[0], podNS
	case len(labels) == 2:
		// "a.b": pod a behind headless Service b of the pod's namespace
		// (searched first), else Service a in namespace b, else an outside
		// name.
		if s.Service(podNS, labels[1]) != nil || !namespaces[labels[1]] {
			return dnsRef{}, false
		}
		ref.Service, ref.Namespace, ref.Explicit = labels[0], labels[1], true
	case labels[2] == "svc":
		ref.Service, ref.Namespace, ref.Explicit, ref.Strong = labels[0], labels[1], true, true
	case len(labels) >= 4 && labels[3] == "svc":
		// pod.service.namespace.svc...: a pod of a headless Service.
		ref.Service, ref.Namespace, ref.Explicit, ref.Strong = labels[1], labels[2], true, true
	default:
		return dnsRef{}, false
	}
	if !dnsServiceRE.MatchString(ref.Service) || ref.Service == "kubernetes" && ref.Namespace == "default" {
		return dnsRef{}, false
	}
	return ref, true
}

// dnsSource is where a name was found: an env var of a container, or a key
// of a ConfigMap.
type dnsSource struct {
	Object    snapshot.ObjectRef // the workload, pod or ConfigMap a fix changes
	Var       string
	Value     string
	Container string
	// patchPath is the JSON pointer of the env value in Object, empty when
	// the object cannot be patched there (a bare pod).
	patchPath string
	configMap bool
	// authoritative is true when the namespace's Services in the input are
	// all of them (cluster state rather than manifests).
	authoritative bool
}

func runDNSNameUnresolvable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := map[string]bool{}
	for _, ns := range s.NamespaceNames() {
		namespaces[ns] = true
	}
	stateNS := map[string]bool{}
	for _, p := range s.Pods {
		if hasStatus(p) {
			stateNS[p.Namespace] = true
		}
	}
	authoritative := func(ns string) bool { return s.Live || s.ClusterDump() || stateNS[ns] }
	seen := map[string]bool{}
	judge := func(src dnsSource, podNS string) {
		ref, ok := dnsParse(s, src.Var, src.Value, podNS, namespaces)
		if !ok || !s.Knows(snapshot.KindService, ref.Namespace) || s.Service(ref.Namespace, ref.Service) != nil {
			return
		}
		// A file that holds no Service of the namespace at all says
		// nothing about it, even in a dump: it may have been left out.
		if !s.Live && len(s.ServicesIn(ref.Namespace)) == 0 {
			return
		}
		key := src.Object.String() + "/" + src.Container + "/" + src.Var
		if seen[key] {
			return
		}
		seen[key] = true
		src.authoritative = authoritative(ref.Namespace)
		dnsJudge(s, r, src, ref, podNS, namespaces)
	}
	for _, p := range s.Pods {
		if !dnsUsesClusterDNS(p) {
			continue
		}
		target, specPath := fixTarget(s, p)
		for _, c := range containersOf(p) {
			for j, e := range c.Spec.Env {
				if e.ValueFrom != nil || e.Value == "" {
					continue
				}
				src := dnsSource{Object: target, Var: e.Name, Value: e.Value, Container: c.Spec.Name}
				if target.Kind != snapshot.KindPod {
					src.patchPath = fmt.Sprintf("%s%s/env/%d/value", specPath, c.specPath(), j)
				}
				judge(src, p.Namespace)
			}
		}
	}
	for _, cm := range s.ConfigMaps {
		if strings.HasPrefix(cm.Namespace, "kube-") {
			continue
		}
		for _, k := range sortedKeys(cm.Data) {
			judge(dnsSource{Object: snapshot.Ref(snapshot.KindConfigMap, cm), Var: k, Value: cm.Data[k], configMap: true}, cm.Namespace)
		}
	}
}

// dnsUsesClusterDNS reports whether p resolves names through the cluster
// DNS with its namespace's search path; pods on the node's resolver (dnsPolicy
// Default, host network without ClusterFirstWithHostNet) or with their own
// (None) resolve names some other way.
func dnsUsesClusterDNS(p *corev1.Pod) bool {
	switch p.Spec.DNSPolicy {
	case corev1.DNSDefault, corev1.DNSNone:
		return false
	case corev1.DNSClusterFirstWithHostNet:
		return true
	}
	return !p.Spec.HostNetwork
}

// dnsJudge reports a name whose Service is absent where it resolves, when
// the input proves it: the Service exists in another namespace (wrong
// namespace), one with a near-identical name exists (a typo), or the input
// is cluster state that lists every Service (deleted). Manifests that simply
// do not include the Service prove nothing.
func dnsJudge(s *snapshot.Snapshot, r *diagnose.Reporter, src dnsSource, ref dnsRef, podNS string, namespaces map[string]bool) {
	var elsewhere []string
	nsNames := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		nsNames = append(nsNames, ns)
	}
	sort.Strings(nsNames)
	for _, ns := range nsNames {
		if ns != ref.Namespace && s.Service(ns, ref.Service) != nil {
			elsewhere = append(elsewhere, ns)
		}
	}
	var existing []string
	for _, svc := range s.ServicesIn(ref.Namespace) {
		existing = append(existing, svc.Name)
	}
	closest := closestNames(ref.Service, existing, 3)
	typo := len(closest) > 0 && typoOrStem(ref.Service, closest[0])
	if !typo {
		if ext := dnsExtendedName(s, ref.Namespace, ref.Service); ext != "" {
			// Charts name a component's Services after it with a suffix
			// (redis → redis-master, redis-headless); an upgrade that adds
			// one leaves clients on the old, bare name.
			closest = append([]string{ext}, closest...)
			typo = true
		}
	}
	if len(elsewhere) == 0 && !typo && !(src.authoritative && ref.Strong) {
		if !src.authoritative && ref.Strong {
			r.NotChecked(src.Object, fmt.Sprintf("%s=%s names Service %s in namespace %s, which is not in the input (it may be deployed separately)",
				src.Var, src.Value, ref.Service, ref.Namespace))
		}
		return
	}

	where := fmt.Sprintf("env %s=%q in container %s", src.Var, src.Value, src.Container)
	if src.configMap {
		where = fmt.Sprintf("ConfigMap %s/%s key %s=%q", src.Object.Namespace, src.Object.Name, src.Var, src.Value)
	}
	fqdn := ref.Service + "." + ref.Namespace + ".svc.cluster.local"
	how := fmt.Sprintf("%q resolves to %s", ref.Host, fqdn)
	if !ref.Explicit {
		how += fmt.Sprintf(": a bare name resolves in the pod's own namespace (%s)", podNS)
	}
	ev := []string{where, how}
	if len(existing) > 0 {
		sort.Strings(existing)
		ev = append(ev, fmt.Sprintf("Services in namespace %s: %s; closest to %q: %s", ref.Namespace, joinLimit(existing, 8), ref.Service, strings.Join(closest, ", ")))
	} else {
		ev = append(ev, fmt.Sprintf("namespace %s has no Services in the input", ref.Namespace))
	}

	var cause, newHost string
	verify := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ref.Namespace, Name: ref.Service}
	switch {
	case len(elsewhere) > 0:
		ns := elsewhere[0]
		ev = append(ev, fmt.Sprintf("Service %s exists in namespace %s: use %s.%s (%s.%s.svc.cluster.local)", ref.Service, strings.Join(elsewhere, ", "), ref.Service, ns, ref.Service, ns))
		if ref.Explicit {
			cause = fmt.Sprintf("wrong namespace: there is no Service %s in namespace %s; it lives in namespace %s", ref.Service, ref.Namespace, ns)
		} else {
			cause = fmt.Sprintf("wrong namespace: %q is looked up in the pod's namespace %s, but Service %s lives in namespace %s", ref.Host, podNS, ref.Service, ns)
		}
		newHost = dnsRewriteHost(ref, ref.Service, ns)
		verify.Namespace = ns
	case typo && strings.HasPrefix(closest[0], ref.Service+"-"):
		cause = fmt.Sprintf("no Service %s in namespace %s; Service %s exists there: the Service was most likely renamed (a chart upgrade adding a suffix) and this client still uses the old name", ref.Service, ref.Namespace, closest[0])
		newHost = dnsRewriteHost(ref, closest[0], ref.Namespace)
		verify.Name = closest[0]
	case typo:
		cause = fmt.Sprintf("no Service %s in namespace %s; Service %s exists there: the name is most likely misspelt", ref.Service, ref.Namespace, closest[0])
		newHost = dnsRewriteHost(ref, closest[0], ref.Namespace)
		verify.Name = closest[0]
	default:
		cause = fmt.Sprintf("Service %s does not exist in namespace %s (deleted or never created): %s has no DNS record", ref.Service, ref.Namespace, fqdn)
	}

	fix := diagnose.EditCmd(src.Object)
	severity := diagnose.SeverityError
	if newHost != "" {
		newValue := strings.Replace(src.Value, ref.Host, newHost, 1)
		ev = append(ev, fmt.Sprintf("corrected value: %s", newValue))
		switch {
		case src.configMap:
			fix = diagnose.MergePatchCmd(src.Object, map[string]any{"data": map[string]string{src.Var: newValue}})
			cause += "; pods read ConfigMap values at start: restart them after the change"
		case src.patchPath != "":
			fix = diagnose.JSONPatchCmd(src.Object, diagnose.JSONPatchOp{Op: "replace", Path: src.patchPath, Value: newValue})
		default:
			cause += "; " + immutablePodNote
		}
	} else if w := dnsWorkloadNamed(s, ref.Namespace, ref.Service); w != nil {
		// The workload behind the deleted Service is still there: expose it
		// again on the port the value asks for.
		port := ref.Port
		if port == "" {
			port = dnsFirstPort(w)
		}
		if port != "" && dnsExposable(w.Ref.Kind) {
			fix = diagnose.Kubectl("expose", strings.ToLower(w.Ref.Kind), w.Ref.Name, "-n", w.Ref.Namespace, "--name="+ref.Service, "--port="+port)
			ev = append(ev, fmt.Sprintf("%s still runs: the Service in front of it is what is missing", w.Ref))
		}
	} else {
		// Nothing says the name is needed: apps carry addresses of optional
		// parts (microservices-demo's shopping assistant). The lookup fails
		// for sure; whether that breaks a path, the input cannot tell.
		severity = diagnose.SeverityWarning
		cause += "; nothing in the input runs under that name, so this may be an optional dependency — if it is needed, recreate the Service"
	}
	r.Report(diagnose.Finding{
		Object:   src.Object,
		Severity: severity,
		Symptom:  fmt.Sprintf("lookups of %q from %s fail with NXDOMAIN (\"no such host\"): connections to it never start", ref.Host, src.Object),
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(verify),
		Origin:   originOf(s, src.Object),
	})
}

// dnsExtendedName finds the Service of namespace ns whose name is name plus
// a dash suffix ("open-webui-redis" → "open-webui-redis-master"), the one
// clients are meant to use: not a headless Service (those address single
// pods), the shortest name when several match; "" when none or when two
// are equally likely.
func dnsExtendedName(s *snapshot.Snapshot, ns, name string) string {
	var best string
	tie := false
	for _, svc := range s.ServicesIn(ns) {
		if !strings.HasPrefix(svc.Name, name+"-") || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		switch {
		case best == "" || len(svc.Name) < len(best):
			best, tie = svc.Name, false
		case len(svc.Name) == len(best):
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// dnsRewriteHost writes a host naming Service svc in namespace ns in the
// same form as the original (bare names gain the namespace).
func dnsRewriteHost(ref dnsRef, svc, ns string) string {
	host := strings.TrimSuffix(ref.Host, ".")
	labels := strings.Split(host, ".")
	if !ref.Explicit {
		if ns == ref.Namespace {
			return svc
		}
		return svc + "." + ns
	}
	if len(labels) >= 4 && labels[3] == "svc" {
		labels[1], labels[2] = svc, ns
	} else {
		labels[0], labels[1] = svc, ns
	}
	return strings.Join(labels, ".")
}

// dnsWorkloadNamed finds a workload named like the missing Service.
func dnsWorkloadNamed(s *snapshot.Snapshot, ns, name string) *snapshot.Workload {
	for _, kind := range []string{snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindReplicaSet, snapshot.KindReplicationController} {
		if w := s.Workload(snapshot.ObjectRef{Kind: kind, Namespace: ns, Name: name}); w != nil {
			return w
		}
	}
	return nil
}

func dnsExposable(kind string) bool {
	return kind == snapshot.KindDeployment || kind == snapshot.KindReplicaSet || kind == snapshot.KindReplicationController
}

func dnsFirstPort(w *snapshot.Workload) string {
	if w.Template == nil {
		return ""
	}
	for _, c := range w.Template.Spec.Containers {
		for _, p := range c.Ports {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	return ""
}
