package checks

// Init containers that wait for a Service that does not exist or has no
// ready endpoint, so the pod never leaves Init.

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// initContainerBlocked catches pods stuck in Init because an init container
// waits for a Service that does not exist or has no ready endpoint.
var initContainerBlocked = &diagnose.Check{
	ID:       "init-container-blocked",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "An init container waits for a Service (nslookup, nc, curl loops) that does not exist or has no ready endpoint: the pod never leaves Init.",
	Run:      runInitContainerBlocked,
}

// waitedHostRE matches the host an init container waits for: nslookup/host/
// dig/getent hosts NAME, nc [-z] [-w N] NAME PORT, and http(s) URLs.
var waitedHostRE = regexp.MustCompile(`(?:nslookup|getent\s+hosts|\bhost|\bdig)\s+([A-Za-z0-9$()./_-]+)|\bnc\s+(?:-[a-z]+\s+(?:[0-9]+\s+)?)*([A-Za-z0-9.-]+)\s+[0-9]+|https?://([A-Za-z0-9.-]+)`)

// waitedHosts lists the hosts a container's command waits for, with the
// service-account namespace expansion resolved to the pod's namespace.
func waitedHosts(c *corev1.Container, podNS string) []string {
	cmd := commandLine(c)
	cmd = strings.ReplaceAll(cmd, "$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)", podNS)
	var out []string
	for _, m := range waitedHostRE.FindAllStringSubmatch(cmd, -1) {
		for _, h := range m[1:] {
			if h != "" && !strings.ContainsAny(h, "$()") {
				out = append(out, strings.TrimSuffix(h, "."))
			}
		}
	}
	return out
}

func runInitContainerBlocked(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := namespaceSet(s)
	seen := map[snapshot.ObjectRef]bool{}
	for _, p := range s.Pods {
		live := hasStatus(p)
		if live && p.Status.Phase != corev1.PodPending {
			continue
		}
		for _, c := range containersOf(p) {
			if !c.Init || c.Sidecar() {
				continue
			}
			if live && (c.Status == nil || c.Status.State.Running == nil) {
				continue
			}
			var missing, empty []string
			for _, h := range waitedHosts(c.Spec, p.Namespace) {
				ref, ok := parseServiceHost(s, "WAIT_HOST", h, p.Namespace, namespaces)
				if !ok || !s.Knows(snapshot.KindService, ref.Namespace) {
					continue
				}
				svc := s.Service(ref.Namespace, ref.Service)
				switch {
				case svc == nil:
					missing = append(missing, fmt.Sprintf("%s: no Service %s in namespace %s", h, ref.Service, ref.Namespace))
				case live && len(svc.Spec.Selector) > 0 && svc.Spec.ClusterIP == corev1.ClusterIPNone && !serviceHasReadyAddress(s, svc):
					empty = append(empty, fmt.Sprintf("%s: headless Service %s/%s has no ready endpoint, so the name has no address yet", h, svc.Namespace, svc.Name))
				}
			}
			if len(missing)+len(empty) == 0 {
				continue
			}
			subj := s.SubjectOf(p)
			if seen[subj] {
				continue
			}
			seen[subj] = true
			r.Report(initContainerFinding(s, p, c, missing, empty, live, namespaces))
		}
	}
}

func initContainerFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, missing, empty []string, live bool, namespaces map[string]bool) diagnose.Finding {
	subj := s.SubjectOf(p)
	ev := []string{c.Label() + " command: " + clip(commandLine(c.Spec))}
	ev = append(ev, missing...)
	ev = append(ev, empty...)
	sev := diagnose.SeverityError
	symptom := fmt.Sprintf("%s stays in Init (STATUS Init:0/%d): its app containers never start, so it never serves", subj, len(p.Spec.InitContainers))
	if live {
		if cond := podCondition(p, corev1.PodInitialized); cond != nil {
			ev = append(ev, conditionLine(cond))
		}
		ev = append(ev, stateLine(c))
	} else {
		symptom = fmt.Sprintf("pods of %s would wait in Init: %s loops until a Service that the input does not hold appears", subj, c.Label())
		sev = diagnose.SeverityWarning
	}
	var names []string
	for _, svc := range s.ServicesIn(p.Namespace) {
		names = append(names, svc.Name)
	}
	if close := closestNames(strings.SplitN(strings.SplitN(firstHost(missing), ".", 2)[0], ":", 2)[0], names, 3); len(close) > 0 && len(missing) > 0 {
		ev = append(ev, "Services in namespace "+p.Namespace+": "+strings.Join(close, ", "))
	}
	target, _ := fixTarget(s, p)
	return diagnose.Finding{
		Object:   subj,
		Severity: sev,
		Symptom:  symptom,
		Cause:    fmt.Sprintf("%s of %s waits for a Service name to resolve or answer, and that will not happen: %s", c.Label(), subj, strings.Join(append(missing, empty...), "; ")),
		Evidence: ev,
		Fix:      diagnose.EditCmd(target),
		Verify:   verifyPod(s, p),
		Origin:   originOf(s, subj),
	}
}

// firstHost is the host of the first "host: why" line.
func firstHost(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	h, _, _ := strings.Cut(lines[0], ":")
	return h
}
