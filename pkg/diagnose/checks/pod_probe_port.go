package checks

// Readiness probes that knock on a port the container does not open. They
// are judged only on proof and reported at the container layer, below
// pod-not-ready, so that the engine shows them as its cause.

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// podReadinessProbePort catches the probe that can never pass because it
// knocks on a port the container does not open. It sits at the container
// layer, below pod-not-ready, so that it is shown as the root cause of the
// not-ready pod. An undeclared port alone proves nothing (see
// podProbePortVerdict).
var podReadinessProbePort = &diagnose.Check{
	ID:       "pod-readiness-probe-port",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A readiness probe names a port its container does not define, or (in cluster state) an undeclared port on which the kubelet finds nothing listening.",
	Run:      runPodReadinessProbePort,
}

// podProbePort is what the input proves about one container's readiness
// probe port.
type podProbePort struct {
	Probe probeTarget
	// Problem says why the port cannot work.
	Problem string
	// Named is true for a named port the container does not define.
	Named bool
	// Refused quotes the kubelet's Events that found nothing listening on
	// the probed port.
	Refused []string
}

// podProbePortVerdict judges the readiness probe port of container c of p,
// and is false unless the input proves it wrong. An undeclared port is
// normal — containerPorts are informational, and CoreDNS (8181),
// ingress-nginx (10254) and istio-proxy (15021) all probe one — so a port
// is only blamed on proof: a named port the container does not define (the
// kubelet cannot resolve it), or, for a container that runs and is not
// ready, the kubelet's "connection refused" on that very port. A ready
// container, a pod that has finished (Evicted, Completed) and a container
// that does not run (waiting, crash-looping: that is the cause) are never
// blamed.
func podProbePortVerdict(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) (podProbePort, bool) {
	if c.Init && !c.Sidecar() || p.DeletionTimestamp != nil {
		return podProbePort{}, false
	}
	pr, ok := probeTargetOf(c.Spec.ReadinessProbe)
	if !ok || pr.Host != "" {
		return podProbePort{}, false
	}
	state := hasStatus(p)
	if state {
		cs := c.Status
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded ||
			cs == nil || cs.Ready || cs.State.Running == nil || containerCrashing(p, c) {
			return podProbePort{}, false
		}
	}
	v := podProbePort{Probe: pr}
	if pr.Port.Type == intstr.String {
		for _, port := range c.Spec.Ports {
			if port.Name == pr.Port.StrVal {
				return v, false
			}
		}
		v.Named = true
		v.Problem = fmt.Sprintf("the probe names port %q, which container %s does not define (it declares %s): the kubelet cannot resolve it, so the probe always fails",
			pr.Port.StrVal, c.Spec.Name, containerPortsText(c.Spec))
		return v, true
	}
	// Containers share the pod's network: a port another container
	// declares answers the probe too.
	for _, d := range snapshot.DeclaredPorts(p) {
		if d.Port.ContainerPort == pr.Port.IntVal {
			return v, false
		}
	}
	if !state || len(c.Spec.Ports) == 0 {
		return v, false
	}
	v.Refused = podRefusedOn(s, p, c.Spec.Name, pr.Port.IntVal)
	if len(v.Refused) == 0 {
		return v, false
	}
	v.Problem = fmt.Sprintf("the probe targets port %d, which container %s does not declare (it declares %s), and the kubelet's probe gets \"connection refused\" there: nothing listens on it",
		pr.Port.IntVal, c.Spec.Name, containerPortsText(c.Spec))
	return v, true
}

// podRefusedOn quotes the readiness probe failures of container name that
// got "connection refused" on port, newest first. An Event names its
// container in involvedObject.fieldPath ("spec.containers{app}"); one
// without a fieldPath is matched by the port alone.
func podRefusedOn(s *snapshot.Snapshot, p *corev1.Pod, name string, port int32) []string {
	onPort := regexp.MustCompile(fmt.Sprintf(`:%d\b`, port))
	return eventsWhere(s, snapshot.Ref(snapshot.KindPod, p), func(e *corev1.Event) bool {
		fp := e.InvolvedObject.FieldPath
		return e.Reason == "Unhealthy" && strings.Contains(e.Message, "Readiness probe") &&
			strings.Contains(e.Message, "connection refused") && onPort.MatchString(e.Message) &&
			(fp == "" || strings.HasSuffix(fp, "{"+name+"}"))
	})
}

// podSuggestProbePort picks the port a wrong readiness probe most likely
// meant: the declared port the container's startup or liveness probe
// reaches (the app's health endpoint lives there), else the container's
// only client port (metrics ports left out). The second value says why.
func podSuggestProbePort(c podContainer, wrong probeTarget) (intstr.IntOrString, string, bool) {
	declared := func(port intstr.IntOrString) (corev1.ContainerPort, bool) {
		for _, cp := range c.Spec.Ports {
			if port.Type == intstr.String && cp.Name == port.StrVal || port.Type == intstr.Int && cp.ContainerPort == port.IntVal {
				return cp, true
			}
		}
		return corev1.ContainerPort{}, false
	}
	pick := func(cp corev1.ContainerPort) intstr.IntOrString {
		if wrong.Port.Type == intstr.String && cp.Name != "" {
			return intstr.FromString(cp.Name)
		}
		return intstr.FromInt32(cp.ContainerPort)
	}
	for _, other := range []struct {
		field string
		probe *corev1.Probe
	}{{"startupProbe", c.Spec.StartupProbe}, {"livenessProbe", c.Spec.LivenessProbe}} {
		pr, ok := probeTargetOf(other.probe)
		if !ok || pr.Host != "" {
			continue
		}
		if cp, ok := declared(pr.Port); ok && cp.ContainerPort != wrong.Port.IntVal {
			return pick(cp), fmt.Sprintf("%s, the declared port the %s of %s reaches", podPortText(cp), other.field, c.Label()), true
		}
	}
	var client []corev1.ContainerPort
	for _, cp := range c.Spec.Ports {
		if snapshot.ProtocolOrTCP(cp.Protocol) == corev1.ProtocolTCP && !snapshot.IsMetricsPort(cp) {
			client = append(client, cp)
		}
	}
	if len(client) == 1 {
		return pick(client[0]), fmt.Sprintf("%s, the only client port of %s", podPortText(client[0]), c.Label()), true
	}
	return intstr.IntOrString{}, "", false
}

func podPortText(cp corev1.ContainerPort) string {
	if cp.Name == "" {
		return fmt.Sprint(cp.ContainerPort)
	}
	return fmt.Sprintf("%d (%s)", cp.ContainerPort, cp.Name)
}

// podProbePortFix patches the probe port on the object that owns the pod's
// spec, or opens an editor when a human must choose the port. The second
// value explains the suggested port, if any.
func podProbePortFix(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, pr probeTarget) (string, string) {
	target, specPath := fixTarget(s, p)
	port, why, ok := podSuggestProbePort(c, pr)
	if !ok {
		return diagnose.EditCmd(target), ""
	}
	if target.Kind == snapshot.KindPod {
		return diagnose.EditCmd(target), why
	}
	var value any = port.IntVal
	if port.Type == intstr.String {
		value = port.StrVal
	}
	return diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{
		Op:    "replace",
		Path:  specPath + c.specPath() + "/readinessProbe" + pr.field,
		Value: value,
	}), why
}

func runPodReadinessProbePort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	seen := keySet{}
	for _, p := range s.Pods {
		for _, c := range containersOf(p) {
			v, ok := podProbePortVerdict(s, p, c)
			if !ok {
				continue
			}
			// Replicas of one workload share the mistake: template pods
			// stand for their workload, so report it once per container.
			key := s.SubjectOf(p).String() + "/" + c.Spec.Name
			if !seen.add(key) {
				continue
			}
			r.Report(podProbePortFinding(s, p, c, v))
		}
	}
}

func podProbePortFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, v podProbePort) diagnose.Finding {
	subject := s.SubjectOf(p)
	ev := []string{
		fmt.Sprintf("%s readinessProbe: %s", c.Label(), v.Probe),
		fmt.Sprintf("%s declares ports: %s", c.Label(), containerPortsText(c.Spec)),
	}
	symptom := fmt.Sprintf("pod %s/%s never becomes Ready: it stays out of every Service's endpoints", p.Namespace, p.Name)
	if !hasStatus(p) {
		symptom = fmt.Sprintf("pods of %s never become Ready: they stay out of every Service's endpoints", subject)
	} else {
		ev = append(ev, stateLine(c))
	}
	ev = append(ev, v.Refused...)
	cause := "readiness probe port mismatch: " + v.Problem
	if !v.Named {
		cause += fmt.Sprintf(", so %s never becomes ready", c.Label())
	}
	target, _ := fixTarget(s, p)
	if target.Kind == snapshot.KindPod {
		cause += "; " + immutablePodNote
	}
	fix, why := podProbePortFix(s, p, c, v.Probe)
	if why != "" {
		ev = append(ev, "suggested probe port: "+why)
	}
	return containerFinding(s, p, c, symptom, cause, ev, fix)
}
