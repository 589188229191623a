package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

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

// podReadinessProbePort catches the probe that can never pass because it
// knocks on a port the container does not open. It sits at the container
// layer, below pod-not-ready, so that it is shown as the root cause of the
// not-ready pod.
var podReadinessProbePort = &diagnose.Check{
	ID:       "pod-readiness-probe-port",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A readiness probe targets a port its container does not declare (or names a port it does not define).",
	Run:      runPodReadinessProbePort,
}

// podPending names why a pod never started: the scheduler's verdict, or the
// warnings the kubelet gave while setting it up.
var podPending = &diagnose.Check{
	ID:       "pod-pending",
	Layer:    diagnose.LayerPod,
	Severity: diagnose.SeverityError,
	Doc:      "A pod stuck in Pending: not scheduled (FailedScheduling) or not set up on its node.",
	Run:      runPodPending,
}

func runPodNotReady(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, p := range s.Pods {
		if !backHasStatus(p) || p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		ready := backPodCondition(p, corev1.PodReady)
		if ready == nil || ready.Status == corev1.ConditionTrue {
			continue
		}
		r.Report(podNotReadyFinding(s, p, ready))
	}
}

func podNotReadyFinding(s *snapshot.Snapshot, p *corev1.Pod, ready *corev1.PodCondition) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	ev := []string{backConditionLine(ready)}
	if cr := backPodCondition(p, corev1.ContainersReady); cr != nil {
		ev = append(ev, backConditionLine(cr))
	}
	podPorts := backPodPorts(p)
	var (
		probeCause  string // a probe port that cannot work
		probeFix    string
		waiting     []string
		unready     []string
		probeFailed = backEventLines(s, ref, []string{"Unhealthy"}, "Readiness probe")
	)
	for _, c := range backContainers(p) {
		if c.Init && !c.Sidecar() {
			if c.Status != nil && c.Status.State.Terminated == nil {
				ev = append(ev, backStateLine(c))
			}
			continue
		}
		ev = append(ev, backStateLine(c))
		if c.Status != nil && !c.Status.Ready {
			unready = append(unready, c.Spec.Name)
			if w := c.Status.State.Waiting; w != nil {
				waiting = append(waiting, fmt.Sprintf("%s is waiting (%s)", c.Label(), w.Reason))
			}
		}
		pr, ok := backProbeTarget(c.Spec.ReadinessProbe)
		if !ok {
			if c.Spec.ReadinessProbe == nil {
				ev = append(ev, c.Label()+" has no readiness probe: it is ready once it runs")
			} else {
				ev = append(ev, c.Label()+" readinessProbe: exec "+strings.Join(c.Spec.ReadinessProbe.Exec.Command, " "))
			}
			continue
		}
		line := fmt.Sprintf("%s readinessProbe: %s; declared ports: %s", c.Label(), pr, backPortsLine(c.Spec))
		problem := backProbePortProblem(c.Spec, pr, podPorts)
		if problem != "" && c.Status != nil && !c.Status.Ready && !podProbeAnswered(probeFailed) {
			line += " — " + problem + ": that is why the pod is not ready"
			if probeCause == "" {
				probeCause = fmt.Sprintf("the readiness probe of %s never passes: %s", c.Label(), problem)
				probeFix = podProbePortFix(s, p, c, pr)
			}
		}
		ev = append(ev, line)
	}
	var gates []string
	for _, g := range p.Spec.ReadinessGates {
		st := "missing"
		if c := backPodCondition(p, g.ConditionType); c != nil {
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
	target, _ := backFixTarget(s, p)
	f := diagnose.Finding{
		Object:   subject,
		Symptom:  fmt.Sprintf("pod %s/%s is Running but not Ready (READY %s): every Service selecting it lists it under notReadyAddresses and sends it no traffic", p.Namespace, p.Name, podReadyCount(p)),
		Evidence: ev,
		Fix:      diagnose.EditCmd(target),
		Verify:   backVerifyPod(s, p),
		Origin:   backOrigin(s, subject),
	}
	switch {
	case probeCause != "":
		f.Cause = probeCause
		f.Fix = probeFix
		if target.Kind == snapshot.KindPod {
			f.Cause += "; " + backImmutableNote
		}
	case nodeDown != "":
		f.Cause = nodeDown
		f.Fix = diagnose.Kubectl("drain", p.Spec.NodeName, "--ignore-daemonsets", "--delete-emptydir-data")
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

// podProbeAnswered reports whether the kubelet's probe failures show that
// something answered on the probe port (an HTTP status, a gRPC status): then
// the port is right whatever the declared ports say.
func podProbeAnswered(events []string) bool {
	for _, e := range events {
		if strings.Contains(e, "statuscode") || strings.Contains(e, "status code") || strings.Contains(e, "service unhealthy") ||
			strings.Contains(e, "NOT_SERVING") {
			return true
		}
	}
	return false
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

// podProbePortFix patches the probe port on the object that owns the pod's
// spec, or opens an editor when a human must choose the port.
func podProbePortFix(s *snapshot.Snapshot, p *corev1.Pod, c backContainer, pr backProbe) string {
	target, specPath := backFixTarget(s, p)
	port, ok := backSuggestedPort(c.Spec)
	if !ok || target.Kind == snapshot.KindPod {
		return diagnose.EditCmd(target)
	}
	return diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{
		Op:    "replace",
		Path:  specPath + c.specPath() + "/readinessProbe" + pr.field,
		Value: port,
	})
}

func runPodReadinessProbePort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	seen := map[string]bool{}
	for _, p := range s.Pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		ready := backPodCondition(p, corev1.PodReady)
		if ready != nil && ready.Status == corev1.ConditionTrue {
			// The probe passes: the app listens there, declared or not.
			continue
		}
		notReady := backHasStatus(p) && p.Status.Phase == corev1.PodRunning && ready != nil
		if backHasStatus(p) && podProbeAnswered(backEventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"Unhealthy"}, "Readiness probe")) {
			// Something answered on the probe port: the port is right.
			continue
		}
		podPorts := backPodPorts(p)
		for _, c := range backContainers(p) {
			if c.Init && !c.Sidecar() {
				continue
			}
			pr, ok := backProbeTarget(c.Spec.ReadinessProbe)
			if !ok {
				continue
			}
			problem := backProbePortProblem(c.Spec, pr, podPorts)
			if problem == "" {
				continue
			}
			subject := s.SubjectOf(p)
			// Replicas of one workload share the mistake: report the pod
			// that shows it, once per workload and container when the pods
			// are only templates.
			key := subject.String() + "/" + c.Spec.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			r.Report(podProbePortFinding(s, p, c, pr, problem, notReady))
		}
	}
}

func podProbePortFinding(s *snapshot.Snapshot, p *corev1.Pod, c backContainer, pr backProbe, problem string, notReady bool) diagnose.Finding {
	subject := s.SubjectOf(p)
	ev := []string{
		fmt.Sprintf("%s readinessProbe: %s", c.Label(), pr),
		fmt.Sprintf("%s declares ports: %s", c.Label(), backPortsLine(c.Spec)),
	}
	named := pr.Port.Type == intstr.String
	sev := diagnose.SeverityError
	symptom := fmt.Sprintf("pod %s/%s never becomes Ready: it stays out of every Service's endpoints", p.Namespace, p.Name)
	if snapshot.IsTemplatePod(p) {
		symptom = fmt.Sprintf("pods of %s never become Ready: they stay out of every Service's endpoints", subject)
	}
	switch {
	case backHasStatus(p):
		if cs := c.Status; cs != nil {
			ev = append(ev, backStateLine(c))
		}
		ev = append(ev, backEventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"Unhealthy"}, "Readiness probe")...)
		if !notReady && !named {
			sev = diagnose.SeverityWarning
			symptom = fmt.Sprintf("once %s runs, its readiness probe will most likely fail and keep it out of every Service's endpoints", subject)
		}
	case !named:
		// Manifests: the app may listen on a port it does not declare, so
		// this is a strong hint, not a proof.
		sev = diagnose.SeverityWarning
		symptom = fmt.Sprintf("pods of %s will most likely never become Ready: their readiness probe knocks on a port the container does not declare", subject)
	}
	target, _ := backFixTarget(s, p)
	cause := "readiness probe port mismatch: " + problem
	refused := backEventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"Unhealthy"}, "connection refused")
	switch {
	case named:
	case backHasStatus(p) && len(refused) > 0:
		cause += "; the kubelet's probe gets \"connection refused\": nothing listens there, so the pod never becomes Ready"
	default:
		cause += "; unless the app listens there without declaring it, the probe connects to a closed port and the pod never becomes Ready"
	}
	if target.Kind == snapshot.KindPod {
		cause += "; " + backImmutableNote
	}
	if port, ok := backSuggestedPort(c.Spec); ok {
		ev = append(ev, fmt.Sprintf("suggested probe port: %d, the container's only TCP port", port))
	}
	return diagnose.Finding{
		Object:   subject,
		Severity: sev,
		Symptom:  symptom,
		Cause:    cause,
		Evidence: ev,
		Fix:      podProbePortFix(s, p, c, pr),
		Verify:   backVerifyPod(s, p),
		Origin:   backOrigin(s, subject),
	}
}

func runPodPending(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, p := range s.Pods {
		if !backHasStatus(p) || p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil {
			continue
		}
		if f, ok := podPendingFinding(s, p); ok {
			r.Report(f)
		}
	}
}

// podPendingFinding explains a Pending pod, or returns false when a
// container check explains it better (image pull, config error, crash loop)
// or when nothing says it is more than a pod still being set up.
func podPendingFinding(s *snapshot.Snapshot, p *corev1.Pod) (diagnose.Finding, bool) {
	ref := snapshot.Ref(snapshot.KindPod, p)
	subject := s.SubjectOf(p)
	target, _ := backFixTarget(s, p)
	f := diagnose.Finding{
		Object: subject,
		Fix:    diagnose.EditCmd(target),
		Verify: diagnose.GetCmd(ref, "-o", "wide"),
		Origin: backOrigin(s, subject),
	}
	sched := backPodCondition(p, corev1.PodScheduled)
	failed := backEventLines(s, ref, []string{"FailedScheduling"})
	if p.Spec.NodeName == "" && (sched != nil && sched.Status != corev1.ConditionTrue || len(failed) > 0) {
		f.Symptom = fmt.Sprintf("pod %s/%s is Pending and not scheduled on any node: it has no IP and serves nothing", p.Namespace, p.Name)
		var msg string
		if sched != nil {
			f.Evidence = append(f.Evidence, backConditionLine(sched))
			msg = sched.Message
			if sched.Reason == corev1.PodReasonSchedulingGated {
				var gates []string
				for _, g := range p.Spec.SchedulingGates {
					gates = append(gates, g.Name)
				}
				msg = "scheduling gates not removed: " + strings.Join(gates, ", ")
				// Gates can only be removed; the controller that added them
				// normally does, so removing them by hand overrides it.
				f.Fix = diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "remove", Path: "/spec/schedulingGates"})
			}
		}
		f.Evidence = append(f.Evidence, failed...)
		if msg == "" && len(failed) > 0 {
			msg = strings.SplitN(failed[0], ": ", 2)[1]
		}
		f.Cause = "the scheduler cannot place the pod: " + backClip(msg) + podSchedulingHint(msg)
		f.Verify = backVerifyPod(s, p)
		if req := podRequests(p); req != "" {
			f.Evidence = append(f.Evidence, "requests: "+req)
		}
		if len(p.Spec.NodeSelector) > 0 {
			f.Evidence = append(f.Evidence, "nodeSelector: "+backSelectorString(p.Spec.NodeSelector))
		}
		return f, true
	}
	if podPendingExplainedByContainer(s, p) {
		return f, false
	}
	var waiting []string
	for _, c := range backContainers(p) {
		if c.Status == nil || c.Status.State.Waiting == nil {
			continue
		}
		switch c.Status.State.Waiting.Reason {
		case "ContainerCreating", "PodInitializing", "":
		default:
			waiting = append(waiting, backStateLine(c))
		}
	}
	warnings := podWarningEvents(s, ref)
	if len(waiting) == 0 && len(warnings) == 0 {
		return f, false
	}
	f.Symptom = fmt.Sprintf("pod %s/%s is scheduled on node %s but stays Pending: its containers never start", p.Namespace, p.Name, p.Spec.NodeName)
	f.Evidence = append(f.Evidence, waiting...)
	f.Evidence = append(f.Evidence, warnings...)
	if len(warnings) > 0 {
		f.Cause = "the kubelet cannot set the pod up: " + strings.TrimPrefix(warnings[0], "Event ")
	} else {
		f.Cause = "containers are waiting: " + strings.Join(waiting, "; ")
	}
	// The node-side cause (CNI, volume attach) is repaired outside the pod;
	// the fix is to retry once it is.
	f.Cause += "; once that is repaired, recreate the pod"
	switch target.Kind {
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet:
		f.Fix = diagnose.Kubectl("rollout", "restart", strings.ToLower(target.Kind)+"/"+target.Name, "-n", target.Namespace)
		f.Verify = backVerifyPod(s, p)
	default:
		f.Fix = diagnose.Kubectl("delete", "pod", p.Name, "-n", p.Namespace)
	}
	return f, true
}

// podPendingExplainedByContainer reports whether one of the container checks
// already names why this pod does not start.
func podPendingExplainedByContainer(s *snapshot.Snapshot, p *corev1.Pod) bool {
	for _, c := range backContainers(p) {
		if c.Status == nil || c.Status.State.Waiting == nil {
			continue
		}
		r := c.Status.State.Waiting.Reason
		if containerImagePullReason(r) || containerConfigReason(r) || r == "CrashLoopBackOff" {
			return true
		}
	}
	return len(containerMissingMounts(s, p)) > 0
}

// podWarningEvents quotes the pod's Warning Events except the probe and
// back-off ones that belong to the container checks.
func podWarningEvents(s *snapshot.Snapshot, ref snapshot.ObjectRef) []string {
	evs := s.EventsFor(ref)
	var out []string
	for i := len(evs) - 1; i >= 0 && len(out) < backMaxEvents; i-- {
		e := evs[i]
		if e.Type != corev1.EventTypeWarning || e.Reason == "Unhealthy" || e.Reason == "BackOff" {
			continue
		}
		out = append(out, backEventLine(e))
	}
	return out
}

// podRequests sums the CPU and memory requests of the app containers, the
// numbers the scheduler compares with free node capacity.
func podRequests(p *corev1.Pod) string {
	var parts []string
	for _, c := range p.Spec.Containers {
		var rs []string
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			rs = append(rs, "cpu="+q.String())
		}
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			rs = append(rs, "memory="+q.String())
		}
		if len(rs) > 0 {
			parts = append(parts, c.Name+" "+strings.Join(rs, " "))
		}
	}
	return strings.Join(parts, "; ")
}

// podSchedulingHint turns the scheduler's most common verdicts into what to
// change.
func podSchedulingHint(msg string) string {
	switch {
	case strings.Contains(msg, "Insufficient"):
		return "; the pod requests more than any node has free: lower its requests or add capacity"
	case strings.Contains(msg, "node affinity/selector") || strings.Contains(msg, "node(s) didn't match Pod's node affinity"):
		return "; no node carries the labels its nodeSelector/affinity asks for"
	case strings.Contains(msg, "untolerated taint") || strings.Contains(msg, "had taint"):
		return "; the nodes carry taints the pod does not tolerate"
	case strings.Contains(msg, "unbound immediate PersistentVolumeClaims") || strings.Contains(msg, "persistentvolumeclaim"):
		return "; its PersistentVolumeClaim is not bound: check the claim and its StorageClass"
	case strings.Contains(msg, "volume node affinity conflict"):
		return "; its volume lives in a zone where no schedulable node is"
	case strings.Contains(msg, "didn't have free ports"):
		return "; the hostPort it asks for is taken on every node"
	}
	return ""
}
