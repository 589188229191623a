package checks

// The pod layer: the registry of its checks, and pods that run but are not
// Ready (the symptom, with the container, probe, node or gate behind it).

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// podChecks are the checks of pod readiness and scheduling; All sorts them.
// pod-readiness-probe-port reports on the container layer, below
// pod-not-ready, whose cause it names; it lives beside the readiness checks
// because the two share one judgement of a probe's port.
var podChecks = []*diagnose.Check{podNotReady, podReadinessProbePort, podPending}

// podNotReady is the layer the seed's playbook checks fourth ("Check Pod
// readiness"): a Running pod that is not Ready is dropped from every
// Service's endpoints, whatever its labels say. It is a symptom: the cause
// usually lies in a container (crash loop, probe on the wrong port) or node.
var podNotReady = &diagnose.Check{
	ID:       "pod-not-ready",
	Layer:    diagnose.LayerPod,
	Severity: diagnose.SeverityError,
	Symptom:  true,
	Doc:      "A Running pod whose Ready condition is False: Services send it no traffic.",
	Run:      runPodNotReady,
}

func runPodNotReady(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, p := range s.Pods {
		if !hasStatus(p) || p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		ready := podCondition(p, corev1.PodReady)
		if ready == nil || ready.Status == corev1.ConditionTrue {
			continue
		}
		f := podNotReadyFinding(s, p, ready)
		if selected, known := podSelectedByService(s, p); known && !selected {
			// A pod no Service sends traffic to (a one-off job, Rancher's
			// helm-operation pods) is on no traffic path: its readiness
			// drops nothing. Reported for completeness, as pod-pending
			// stays quiet about pods that are merely starting.
			f.Severity = diagnose.SeverityInfo
			f.Symptom = fmt.Sprintf("pod %s/%s is Running but not Ready (READY %s); no Service selects it, so no traffic path depends on it", p.Namespace, p.Name, podReadyCount(p))
			f.Evidence = append(f.Evidence, fmt.Sprintf("no Service in namespace %s selects the pod's labels (%s) or lists it in its endpoints", p.Namespace, labelsText(appLabels(p.Labels))))
		}
		r.Report(f)
	}
}

// podSelectedByService reports whether a Service sends traffic to p: its
// selector matches p's labels, or its Endpoints (a Service without
// selector) name p. known is false when the input holds no Services of p's
// namespace and cannot tell.
func podSelectedByService(s *snapshot.Snapshot, p *corev1.Pod) (selected, known bool) {
	if !s.Knows(snapshot.KindService, p.Namespace) {
		return false, false
	}
	for _, svc := range s.ServicesIn(p.Namespace) {
		if routesToPods(svc) {
			if selectorMatches(svc.Spec.Selector, p.Labels) {
				return true, true
			}
			continue
		}
		addrs, _ := serviceAddresses(s, svc.Namespace, svc.Name)
		for _, a := range addrs {
			if a.Pod == p.Name {
				return true, true
			}
		}
	}
	return false, true
}

func podNotReadyFinding(s *snapshot.Snapshot, p *corev1.Pod, ready *corev1.PodCondition) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	ev := []string{conditionLine(ready)}
	if cr := podCondition(p, corev1.ContainersReady); cr != nil {
		ev = append(ev, conditionLine(cr))
	}
	var (
		probeCause  string // a probe port that cannot work
		probeFix    string
		waiting     []string
		unready     []string
		probeFailed = eventLines(s, ref, []string{"Unhealthy"}, "Readiness probe")
	)
	for _, c := range containersOf(p) {
		if c.Init && !c.Sidecar() {
			if c.Status != nil && c.Status.State.Terminated == nil {
				ev = append(ev, stateLine(c))
			}
			continue
		}
		ev = append(ev, stateLine(c))
		if c.Status != nil && !c.Status.Ready {
			unready = append(unready, c.Spec.Name)
			if w := c.Status.State.Waiting; w != nil {
				waiting = append(waiting, fmt.Sprintf("%s is waiting (%s)", c.Label(), w.Reason))
			}
		}
		pr, ok := probeTargetOf(c.Spec.ReadinessProbe)
		if !ok {
			if c.Spec.ReadinessProbe == nil {
				ev = append(ev, c.Label()+" has no readiness probe: it is ready once it runs")
			} else {
				ev = append(ev, c.Label()+" readinessProbe: exec "+strings.Join(c.Spec.ReadinessProbe.Exec.Command, " "))
			}
			continue
		}
		line := fmt.Sprintf("%s readinessProbe: %s; declared ports: %s", c.Label(), pr, containerPortsText(c.Spec))
		if v, ok := podProbePortVerdict(s, p, c); ok {
			line += " — " + v.Problem + ": that is why the pod is not ready"
			if probeCause == "" {
				probeCause = fmt.Sprintf("the readiness probe of %s never passes: %s", c.Label(), v.Problem)
				probeFix, _ = podProbePortFix(s, p, c, pr)
			}
		}
		ev = append(ev, line)
	}
	var gates []string
	for _, g := range p.Spec.ReadinessGates {
		st := "missing"
		if c := podCondition(p, g.ConditionType); c != nil {
			st = string(c.Status)
		}
		ev = append(ev, fmt.Sprintf("readiness gate %s: %s", g.ConditionType, st))
		if st != string(corev1.ConditionTrue) {
			gates = append(gates, string(g.ConditionType))
		}
	}
	var nodeDown string
	if n := s.Node(p.Spec.NodeName); n != nil {
		if c := nodeCondition(n, corev1.NodeReady); c != nil && c.Status != corev1.ConditionTrue {
			nodeDown = fmt.Sprintf("node %s is not Ready (Ready=%s %s): the node controller marked its pods not ready", n.Name, c.Status, c.Reason)
			ev = append(ev, nodeDown)
		}
	}
	ev = append(ev, probeFailed...)
	subject := s.SubjectOf(p)
	target, _ := fixTarget(s, p)
	f := diagnose.Finding{
		Object:   subject,
		Symptom:  fmt.Sprintf("pod %s/%s is Running but not Ready (READY %s): every Service selecting it lists it under notReadyAddresses and sends it no traffic", p.Namespace, p.Name, podReadyCount(p)),
		Evidence: ev,
		Fix:      diagnose.EditCmd(target),
		Verify:   verifyPod(s, p),
		Origin:   originOf(s, subject),
	}
	switch {
	case probeCause != "":
		f.Cause = probeCause
		f.Fix = probeFix
		if target.Kind == snapshot.KindPod {
			f.Cause += "; " + immutablePodNote
		}
	case nodeDown != "":
		f.Cause = nodeDown
		f.Fix = diagnose.KubectlOn([]string{"drain", "--ignore-daemonsets", "--delete-emptydir-data"}, p.Spec.NodeName)
	case len(waiting) > 0:
		f.Cause = strings.Join(waiting, "; ") + ": a container that does not run cannot be ready"
	case len(probeFailed) > 0:
		f.Cause = "the readiness probe fails: " + strings.TrimPrefix(probeFailed[0], "Event ")
	case len(gates) > 0:
		f.Cause = fmt.Sprintf("readiness gate(s) %s not True: the controller that owns them (often a load balancer controller) has not admitted the pod", strings.Join(gates, ", "))
	case len(unready) > 0:
		f.Cause = fmt.Sprintf("containers not ready: %s", strings.Join(unready, ", "))
	default:
		f.Cause = "condition Ready is " + string(ready.Status)
		if ready.Reason != "" {
			f.Cause += " (" + ready.Reason + ")"
		}
	}
	return f
}

func podReadyCount(p *corev1.Pod) string {
	ready := 0
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
	}
	return fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers))
}
