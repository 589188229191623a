package checks

// Startup and liveness probes that cannot reach their container: a named
// port the container does not define, or a TCP probe on a port the pod
// declares only for UDP. How the kubelet reacts differs per case, and the
// finding says which: a named port it cannot resolve makes the probe
// error, and errored results are discarded — a startup probe then never
// succeeds (the container never counts as started, its readiness probe
// never runs, the pod is never Ready), a liveness probe never fails (a hung
// container is never restarted). A TCP connection to a UDP-only port is
// refused: a real failure, so a startup or liveness probe restarts the
// container forever and a readiness probe keeps the pod out of every
// Service. A readiness probe naming an undefined port is
// pod-readiness-probe-port's.

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var containerProbePort = &diagnose.Check{
	ID:       "container-probe-port",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A startup or liveness probe names a port its container does not define (the probe errors: never started, or never restarted), or a probe connects over TCP to a port declared only for UDP.",
	Run:      runContainerProbePort,
}

// containerProbeKind is one of a container's three probes, with the field
// name a patch addresses and the word the kubelet's Events use.
type containerProbeKind struct {
	Field string // startupProbe, livenessProbe, readinessProbe
	Event string // Startup, Liveness, Readiness
	Probe *corev1.Probe
}

func containerProbes(c *corev1.Container) []containerProbeKind {
	return []containerProbeKind{
		{"startupProbe", "Startup", c.StartupProbe},
		{"livenessProbe", "Liveness", c.LivenessProbe},
		{"readinessProbe", "Readiness", c.ReadinessProbe},
	}
}

// containerProbeProblem is what a probe's port does wrong.
type containerProbeProblem struct {
	Kind   containerProbeKind
	Target probeTarget
	// Undefined is true for a named port the container does not define;
	// false for a named port declared only for UDP.
	Undefined bool
	Declared  corev1.ContainerPort // the UDP port, when !Undefined
}

// containerProbeProblems lists the probe ports of container c of p that
// cannot work, judged from the spec alone.
func containerProbeProblems(p *corev1.Pod, c podContainer) []containerProbeProblem {
	tcpPorts := map[int32]bool{}
	for _, d := range snapshot.DeclaredPorts(p) {
		if d.Protocol() == corev1.ProtocolTCP {
			tcpPorts[d.Port.ContainerPort] = true
		}
	}
	var out []containerProbeProblem
	for _, k := range containerProbes(c.Spec) {
		t, ok := probeTargetOf(k.Probe)
		if !ok || t.Host != "" || t.Port.Type != intstr.String {
			continue
		}
		// The kubelet tries a name it cannot find as a number last.
		if _, err := strconv.Atoi(t.Port.StrVal); err == nil {
			continue
		}
		var found *corev1.ContainerPort
		for i := range c.Spec.Ports {
			if c.Spec.Ports[i].Name == t.Port.StrVal {
				found = &c.Spec.Ports[i]
				break
			}
		}
		switch {
		case found == nil && k.Field != "readinessProbe":
			out = append(out, containerProbeProblem{Kind: k, Target: t, Undefined: true})
		case found != nil && snapshot.ProtocolOrTCP(found.Protocol) == corev1.ProtocolUDP && !tcpPorts[found.ContainerPort]:
			out = append(out, containerProbeProblem{Kind: k, Target: t, Declared: *found})
		}
	}
	return out
}

// containerProbeContradicted reports whether the cluster shows the probe
// working after all: a started, ready container that never restarted.
func containerProbeContradicted(c podContainer, pr containerProbeProblem) bool {
	cs := c.Status
	if cs == nil {
		return false
	}
	if pr.Undefined && pr.Kind.Field == "livenessProbe" {
		// An errored liveness probe is silent by nature: nothing to contradict.
		return false
	}
	return cs.Ready && cs.RestartCount == 0
}

func runContainerProbePort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	seen := keySet{}
	for _, p := range s.Pods {
		if hasStatus(p) && !containerLive(p) {
			continue
		}
		for _, c := range containersOf(p) {
			if c.Init && !c.Sidecar() {
				continue
			}
			for _, pr := range containerProbeProblems(p, c) {
				if hasStatus(p) && containerProbeContradicted(c, pr) {
					continue
				}
				key := s.SubjectOf(p).String() + "/" + c.Spec.Name + "/" + pr.Kind.Field
				if !seen.add(key) {
					continue
				}
				r.Report(containerProbePortFinding(s, p, c, pr))
			}
		}
	}
}

func containerProbePortFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, pr containerProbeProblem) diagnose.Finding {
	subject := s.SubjectOf(p)
	name := pr.Target.Port.StrVal
	ev := []string{
		fmt.Sprintf("%s %s: %s", c.Label(), pr.Kind.Field, pr.Target),
		fmt.Sprintf("%s declares ports: %s", c.Label(), containerPortsText(c.Spec)),
	}
	for _, d := range snapshot.DeclaredPorts(p) {
		if d.Container != c.Spec.Name && d.Port.Name == name {
			ev = append(ev, fmt.Sprintf("container %s of the same pod declares %s, but the kubelet resolves a probe's named port only among the probed container's own ports", d.Container, podPortText(d.Port)))
		}
	}
	if c.Status != nil {
		ev = append(ev, stateLine(c))
	}
	ev = append(ev, eventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"Unhealthy"}, pr.Kind.Event+" probe")...)

	// A pod read from a cluster is named; a template stands for every
	// pod of its workload.
	pods, runs, becomes, restarts, stays := fmt.Sprintf("pod %s/%s", p.Namespace, p.Name), "runs", "becomes", "restarts", "it stays"
	if !hasStatus(p) {
		pods, runs, becomes, restarts, stays = "pods of "+subject.String(), "run", "become", "restart", "they stay"
	}
	severity := diagnose.SeverityError
	var symptom, cause string
	switch {
	case pr.Undefined && pr.Kind.Field == "startupProbe":
		symptom = fmt.Sprintf("%s %s but never %s Ready, and never %s: %s out of every Service's endpoints", pods, runs, becomes, restarts, stays)
		cause = fmt.Sprintf("the startup probe names port %q, which %s does not define: the kubelet cannot resolve it, the probe errors (\"Startup probe errored\") and errored results are discarded, so the container never counts as started and its readiness probe never runs", name, c.Label())
	case pr.Undefined:
		severity = diagnose.SeverityWarning
		symptom = fmt.Sprintf("the liveness probe of %s in %s never acts: a hung process is never restarted", c.Label(), pods)
		cause = fmt.Sprintf("the liveness probe names port %q, which %s does not define: the probe errors on every period (\"Liveness probe errored\") and the kubelet discards errored results, so the probe can never fail", name, c.Label())
	case pr.Kind.Field == "readinessProbe":
		symptom = fmt.Sprintf("%s never %s Ready: %s out of every Service's endpoints", pods, becomes, stays)
		cause = fmt.Sprintf("the readiness probe connects over TCP to port %q (%d), which %s declares for UDP only: the connection is refused and the probe always fails", name, pr.Declared.ContainerPort, c.Label())
	default:
		symptom = fmt.Sprintf("%s in %s is killed and restarted again and again (CrashLoopBackOff)", c.Label(), pods)
		cause = fmt.Sprintf("the %s connects over TCP to port %q (%d), which %s declares for UDP only: the connection is refused, the probe fails and the kubelet restarts the container", pr.Kind.Field, name, pr.Declared.ContainerPort, c.Label())
	}
	target, specPath := fixTarget(s, p)
	fix := diagnose.EditCmd(target)
	if port, why, ok := containerProbeSuggestion(p, c, pr); ok {
		ev = append(ev, "suggested probe port: "+why)
		if target.Kind != snapshot.KindPod {
			var value any = port.IntVal
			if port.Type == intstr.String {
				value = port.StrVal
			}
			fix = diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{Op: "replace", Path: specPath + c.specPath() + "/" + pr.Kind.Field + pr.Target.field, Value: value})
		}
	}
	if target.Kind == snapshot.KindPod {
		cause += "; " + immutablePodNote
	}
	f := containerFinding(s, p, c, symptom, cause, ev, fix)
	f.Severity = severity
	return f
}

// containerProbeSuggestion picks the port the probe most likely meant: the
// number another container of the pod declares under the probe's name
// (the pod shares one network); for an undefined name, the port the
// container's other probes reach or its only client port
// (podSuggestProbePort); for a UDP port, the container's only TCP client
// port.
func containerProbeSuggestion(p *corev1.Pod, c podContainer, pr containerProbeProblem) (intstr.IntOrString, string, bool) {
	for _, d := range snapshot.DeclaredPorts(p) {
		if d.Container != c.Spec.Name && d.Port.Name == pr.Target.Port.StrVal && d.Protocol() == corev1.ProtocolTCP {
			return intstr.FromInt32(d.Port.ContainerPort), fmt.Sprintf("%d, the number container %s declares as %s", d.Port.ContainerPort, d.Container, d.Port.Name), true
		}
	}
	if pr.Undefined {
		return podSuggestProbePort(c, pr.Target)
	}
	var tcp []corev1.ContainerPort
	for _, cp := range c.Spec.Ports {
		if snapshot.ProtocolOrTCP(cp.Protocol) == corev1.ProtocolTCP && !snapshot.IsMetricsPort(cp) {
			tcp = append(tcp, cp)
		}
	}
	if len(tcp) != 1 {
		return intstr.IntOrString{}, "", false
	}
	port := intstr.FromInt32(tcp[0].ContainerPort)
	if tcp[0].Name != "" {
		port = intstr.FromString(tcp[0].Name)
	}
	return port, fmt.Sprintf("%s, the only TCP client port of %s", podPortText(tcp[0]), c.Label()), true
}
