package checks

// The ingress controller's own log as evidence for the Ingress hop: when it
// cannot get an answer from a backend it says so ("connect() failed (111:
// Connection refused) while connecting to upstream, ... upstream:
// "http://10.244.1.7:8080/"", Envoy's 503 UF), naming the pod address it
// tried. A line is quoted on an Ingress only when the address or upstream
// name it gives is one of that Ingress's backends, so an old error about
// another app never lands on a healthy path.

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var ingressControllerLogUpstream = &diagnose.Check{
	ID:       "ingress-controller-log-upstream",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityWarning,
	Doc: "The ingress controller's log shows it failing to reach one of the Ingress's backends: a refused or timed-out connection " +
		"\"while connecting to upstream\", no live upstreams, a TLS handshake with a plain-HTTP backend, resets, Envoy's 503 UF/UH. " +
		"Only lines that name the backend's pod or Service address (or ingress-nginx's upstream name for it) are quoted.",
	Run: runIngressControllerLogUpstream,
}

// upstreamOf is what a proxy's log line may name for one backend of an
// Ingress: the Service, and the pod behind the address when it is a pod's.
type upstreamOf struct {
	service snapshot.ObjectRef
	pod     *corev1.Pod
}

// ingressUpstreams maps the addresses and names a proxy's log may use for
// the Service backends of ing to the backend: the Services' cluster IPs,
// the addresses their endpoints publish and their pods' IPs, and
// ingress-nginx's upstream names (NAMESPACE-SERVICE-PORT).
func ingressUpstreams(s *snapshot.Snapshot, ing *networkingv1.Ingress) map[string]upstreamOf {
	out := map[string]upstreamOf{}
	for _, b := range snapshot.IngressBackends(ing) {
		if b.Backend == nil || b.Backend.Service == nil {
			continue
		}
		name := b.Backend.Service.Name
		ref := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ing.Namespace, Name: name}
		port := b.Backend.Service.Port.Name
		if port == "" {
			port = strconv.Itoa(int(b.Backend.Service.Port.Number))
		}
		out[ing.Namespace+"-"+name+"-"+port] = upstreamOf{service: ref}
		svc := s.Service(ing.Namespace, name)
		if svc == nil {
			continue
		}
		for _, ip := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
			if ip != "" && ip != corev1.ClusterIPNone {
				out[ip] = upstreamOf{service: ref}
			}
		}
		addrs, _ := serviceAddresses(s, ing.Namespace, name)
		for _, a := range addrs {
			out[a.IP] = upstreamOf{service: ref, pod: s.Pod(ing.Namespace, a.Pod)}
		}
		if routesToPods(svc) {
			for _, p := range s.PodsMatching(ing.Namespace, svc.Spec.Selector) {
				if p.Status.PodIP != "" {
					out[p.Status.PodIP] = upstreamOf{service: ref, pod: p}
				}
			}
		}
	}
	return out
}

// upstreamNamed finds the backend a log line's target names.
func upstreamNamed(ups map[string]upstreamOf, target string) (upstreamOf, bool) {
	if target == "" {
		return upstreamOf{}, false
	}
	if u, ok := ups[target]; ok {
		return u, true
	}
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	u, ok := ups[strings.Trim(host, "[]")]
	return u, ok
}

func runIngressControllerLogUpstream(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.Logs) == 0 {
		return
	}
	idx := indexLogs(s)
	controllers, _ := runningControllers(s)
	type reading struct {
		hl         hopLog
		ok         bool
		notChecked string
	}
	read := map[string]*reading{}
	for _, ing := range s.Ingresses {
		_, ctrl, ok := classController(s, ing)
		if !ok || len(controllers[ctrl]) == 0 {
			continue
		}
		rd := read[ctrl]
		if rd == nil {
			hl, ok, notChecked := readHopLog(s, idx, controllers[ctrl], ingressControllerContainer, logscan.ProxyCatalogue)
			rd = &reading{hl: hl, ok: ok, notChecked: notChecked}
			read[ctrl] = rd
		}
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		if rd.notChecked != "" {
			r.NotChecked(ref, "ingress controller "+rd.notChecked)
		}
		if !rd.ok {
			continue
		}
		if f, ok := ingressUpstreamFinding(s, ing, rd.hl); ok {
			r.Report(f)
		}
	}
}

// ingressUpstreamFinding quotes the lines of the controller's log that
// name a backend of ing; the most recent one says what fails.
func ingressUpstreamFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, hl hopLog) (diagnose.Finding, bool) {
	ups := ingressUpstreams(s, ing)
	var mine []logscan.Match
	var primary logscan.Match
	var to upstreamOf
	for _, m := range hl.matches {
		u, ok := upstreamNamed(ups, m.Target)
		if !ok {
			continue
		}
		mine = append(mine, m)
		if len(mine) == 1 || m.LastLine > primary.LastLine {
			primary, to = m, u
		}
	}
	if len(mine) == 0 {
		return diagnose.Finding{}, false
	}
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	ctrl := fmt.Sprintf("the ingress controller (pod %s/%s)", hl.pod.Namespace, hl.pod.Name)
	backend := to.service.String()
	if to.pod != nil {
		backend += fmt.Sprintf(" (%s is pod %s/%s)", primary.Target, to.pod.Namespace, to.pod.Name)
	}
	cause := fmt.Sprintf("%s cannot get an answer from backend %s: %s", ctrl, backend, primary.Signature.Meaning)
	fix := diagnose.EditCmd(to.service)
	switch {
	case primary.Signature.ID == "upstream-tls-mismatch":
		cause += "; make the Ingress's backend protocol match what the pod serves"
		fix = diagnose.EditCmd(ref)
	case to.pod != nil:
		if strings.Contains(primary.Text, "Connection refused") {
			cause += "; the pod refuses the connection: nothing listens on that address and port (an app bound to 127.0.0.1 only, or a targetPort the app does not serve)"
		}
		target, _ := fixTarget(s, to.pod)
		fix = diagnose.EditCmd(target)
	}
	ev := []string{logReadLine(s, hl.c, hl.pod, hl.run, hl.log)}
	ev = append(ev, logQuotes(hl.tail, primary, mine)...)
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("requests the Ingress routes to %s fail at the ingress controller (502, 503 or 504): its log shows why", to.service),
		Cause:    cause,
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.KubectlOn([]string{"logs", "-n", hl.pod.Namespace, "-c", hl.c.Spec.Name, "--since=5m"}, hl.pod.Name),
		Origin:   originOf(s, ref),
	}, true
}
