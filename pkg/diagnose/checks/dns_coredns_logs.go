package checks

// CoreDNS's own log as evidence for the DNS hop. It is read only when the
// cluster DNS is on a failing path: a DNS check finds its pods, Service or
// configuration broken, or a failing container's log shows lookups timing
// out or the server failing. A busy cluster's CoreDNS logs upstream
// timeouts now and then; quoting them on a healthy cluster would be noise.

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var dnsCoreDNSLogErrors = &diagnose.Check{
	ID:       "dns-coredns-log-errors",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityWarning,
	Doc: "When the cluster DNS is implicated (a DNS check finds CoreDNS, its Service or its configuration broken, or a failing container's log shows " +
		"lookups timing out or SERVFAIL), CoreDNS's own log is read and its failures quoted: the kubernetes plugin cut off from the API server, " +
		"the upstream resolver not answering, a forwarding loop, queries failing in plugin/errors.",
	Run: runDNSCoreDNSLogErrors,
}

// dnsServerChecks are the DNS checks that find the cluster DNS itself
// broken, as opposed to a client's name or policy.
var dnsServerChecks = []*diagnose.Check{dnsCoreDNSUnavailable, dnsServiceMissing, dnsClusterIPMismatch, dnsCorefileClusterZone}

// dnsImplicated reports whether the cluster DNS is on a failing path: a
// check of dnsServerChecks reports an error, or a failing container's log
// shows its lookups timing out or the server failing (not a name that does
// not exist: CoreDNS answers NXDOMAIN correctly and logs nothing).
func dnsImplicated(s *snapshot.Snapshot) bool {
	for _, c := range dnsServerChecks {
		sub := diagnose.NewReporter(c)
		c.Run(s, sub)
		for _, f := range sub.Findings() {
			if f.Severity == diagnose.SeverityError {
				return true
			}
		}
	}
	if len(s.Logs) == 0 {
		return false
	}
	idx := indexLogs(s)
	for _, g := range failingContainers(s, s.Pods) {
		if rd, ok, _ := readGroupLog(s, idx, g); ok && (rd.primary.Signature.ID == "dns-lookup-timeout" || rd.primary.Signature.ID == "dns-server-failure") {
			return true
		}
	}
	return false
}

// dnsServerContainer names the container of a DNS pod that serves queries.
func dnsServerContainer(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if c.Name == "coredns" || c.Name == "kubedns" {
			return c.Name
		}
	}
	if len(p.Spec.Containers) > 0 {
		return p.Spec.Containers[0].Name
	}
	return ""
}

// dnsLogPods orders the DNS pods for reading: a ready pod first (it serves
// queries now), then the others.
func dnsLogPods(s *snapshot.Snapshot) []*corev1.Pod {
	var ready, others []*corev1.Pod
	for _, p := range dnsPods(s, dnsService(s)) {
		if podServing(p) {
			ready = append(ready, p)
		} else {
			others = append(others, p)
		}
	}
	return append(ready, others...)
}

func runDNSCoreDNSLogErrors(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.Logs) == 0 || !dnsClusterState(s) {
		return
	}
	pods := dnsLogPods(s)
	if len(pods) == 0 || !dnsImplicated(s) {
		return
	}
	obj := ownerOrPod(s, pods[0])
	if d := dnsDeployment(s); d != nil {
		obj = snapshot.Ref(snapshot.KindDeployment, d)
	}
	hl, ok, notChecked := readHopLog(s, indexLogs(s), pods, dnsServerContainer, logscan.ClusterDNSCatalogue)
	if notChecked != "" {
		r.NotChecked(obj, "CoreDNS "+notChecked)
	}
	if !ok || len(hl.matches) == 0 {
		return
	}
	primary := dnsLogPrimary(hl.matches)
	cause := "CoreDNS's log shows why names fail: " + primary.Signature.Meaning
	if primary.Target != "" {
		cause += fmt.Sprintf(" (%s)", primary.Target)
	}
	corefile := snapshot.ObjectRef{Kind: snapshot.KindConfigMap, Namespace: dnsNamespace, Name: "coredns"}
	fix := diagnose.KubectlOn([]string{"rollout", "restart", "-n", dnsNamespace}, typedName(obj))
	switch {
	case primary.Signature.ID == "dns-api-unreachable" && slices.ContainsFunc(hl.matches, func(m logscan.Match) bool {
		return m.Signature == primary.Signature && strings.Contains(m.Text, " is forbidden: ")
	}):
		cause += "; its ServiceAccount may not list what the kubernetes plugin reads: the ClusterRole system:coredns must allow list and watch of endpointslices, services, pods and namespaces"
		// A constant name: RBAC names may hold a colon, which KubectlOn refuses.
		fix = diagnose.Kubectl("edit", "clusterrole", "system:coredns")
	case primary.Signature.ID == "dns-upstream-timeout", primary.Signature.ID == "dns-forwarding-loop":
		cause += "; the Corefile's forward line names the resolver"
		fix = diagnose.EditCmd(corefile)
	}
	if obj.Kind != snapshot.KindDeployment && obj.Kind != snapshot.KindDaemonSet && obj.Kind != snapshot.KindStatefulSet {
		fix = diagnose.Kubectl("delete", "pod", "-n", dnsNamespace, "-l", dnsPodSelector)
	}
	ev := []string{logReadLine(s, hl.c, hl.pod, hl.run, hl.log)}
	ev = append(ev, logQuotes(hl.tail, primary, hl.matches)...)
	r.Report(diagnose.Finding{
		Object:   obj,
		Symptom:  "the cluster DNS is on a failing path and its own log reports failures: lookups from pods fail or time out",
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.KubectlOn([]string{"logs", "-n", hl.pod.Namespace, "-c", hl.c.Spec.Name, "--since=5m"}, hl.pod.Name),
		Origin:   originOf(s, obj),
	})
}

// dnsLogPrimary picks the line that says what fails: the most recent one
// CoreDNS logged as an error ([ERROR], [FATAL]), else the most recent one;
// "still waiting on kubernetes" is the consequence of the error above it.
func dnsLogPrimary(matches []logscan.Match) logscan.Match {
	severe := func(m logscan.Match) bool {
		return strings.Contains(m.Text, "[ERROR]") || strings.Contains(m.Text, "[FATAL]")
	}
	primary := matches[0]
	for _, m := range matches[1:] {
		if severe(m) && !severe(primary) || severe(m) == severe(primary) && m.LastLine > primary.LastLine {
			primary = m
		}
	}
	return primary
}
