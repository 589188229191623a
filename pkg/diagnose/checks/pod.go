package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
// not-ready pod. An undeclared port alone proves nothing (see
// podProbePortVerdict).
var podReadinessProbePort = &diagnose.Check{
	ID:       "pod-readiness-probe-port",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A readiness probe names a port its container does not define, or (in cluster state) an undeclared port on which the kubelet finds nothing listening.",
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
		if !hasStatus(p) || p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		ready := podCondition(p, corev1.PodReady)
		if ready == nil || ready.Status == corev1.ConditionTrue {
			continue
		}
		r.Report(podNotReadyFinding(s, p, ready))
	}
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

func podReadyCount(p *corev1.Pod) string {
	ready := 0
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
	}
	return fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers))
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
	seen := map[string]bool{}
	for _, p := range s.Pods {
		for _, c := range containersOf(p) {
			v, ok := podProbePortVerdict(s, p, c)
			if !ok {
				continue
			}
			// Replicas of one workload share the mistake: template pods
			// stand for their workload, so report it once per container.
			key := s.SubjectOf(p).String() + "/" + c.Spec.Name
			if seen[key] {
				continue
			}
			seen[key] = true
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
	return diagnose.Finding{
		Object:    subject,
		Container: c.Spec.Name,
		Symptom:   symptom,
		Cause:     cause,
		Evidence:  ev,
		Fix:       fix,
		Verify:    verifyPod(s, p),
		Origin:    originOf(s, subject),
	}
}

func runPodPending(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, p := range s.Pods {
		if !hasStatus(p) || p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil {
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
	target, _ := fixTarget(s, p)
	f := diagnose.Finding{
		Object: subject,
		Fix:    diagnose.EditCmd(target),
		Verify: diagnose.GetCmd(ref, "-o", "wide"),
		Origin: originOf(s, subject),
	}
	sched := podCondition(p, corev1.PodScheduled)
	failed := eventLines(s, ref, []string{"FailedScheduling"})
	if p.Spec.NodeName == "" && (sched != nil && sched.Status != corev1.ConditionTrue || len(failed) > 0) {
		f.Symptom = fmt.Sprintf("pod %s/%s is Pending and not scheduled on any node: it has no IP and serves nothing", p.Namespace, p.Name)
		var msg string
		if sched != nil {
			f.Evidence = append(f.Evidence, conditionLine(sched))
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
		f.Cause = "the scheduler cannot place the pod: " + clip(msg) + podSchedulingHint(msg)
		f.Verify = verifyPod(s, p)
		if fix, why, ok := podLowerRequestsFix(s, p, target, msg); ok {
			f.Fix = fix
			f.Evidence = append(f.Evidence, why)
		}
		if req := podRequests(p); req != "" {
			f.Evidence = append(f.Evidence, "requests: "+req)
		}
		if podOnlyBlockedByNotReadyNodes(msg) {
			f.ExplainedBy = podNotReadyNodes(s)
		}
		if len(p.Spec.NodeSelector) > 0 {
			f.Evidence = append(f.Evidence, "nodeSelector: "+selectorText(p.Spec.NodeSelector))
		}
		return f, true
	}
	if podPendingExplainedByContainer(s, p) {
		return f, false
	}
	var waiting []string
	for _, c := range containersOf(p) {
		if c.Status == nil || c.Status.State.Waiting == nil {
			continue
		}
		switch c.Status.State.Waiting.Reason {
		case "ContainerCreating", "PodInitializing", "":
		default:
			waiting = append(waiting, stateLine(c))
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
		f.Verify = verifyPod(s, p)
	default:
		f.Fix = diagnose.Kubectl("delete", "pod", p.Name, "-n", p.Namespace)
	}
	return f, true
}

// podPendingExplainedByContainer reports whether one of the container checks
// already names why this pod does not start.
func podPendingExplainedByContainer(s *snapshot.Snapshot, p *corev1.Pod) bool {
	for _, c := range containersOf(p) {
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
	return eventsWhere(s, ref, func(e *corev1.Event) bool {
		return e.Type == corev1.EventTypeWarning && e.Reason != "Unhealthy" && e.Reason != "BackOff"
	})
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

// podLowerRequestsFix is `kubectl set resources` lowering the request the
// scheduler reports as insufficient ("Insufficient cpu", "Insufficient
// memory") on the workload's largest requester of it: to what the emptiest
// node has free when the input is a whole-cluster dump with the nodes'
// allocatable, else to a placeholder saying what to put.
func podLowerRequestsFix(s *snapshot.Snapshot, p *corev1.Pod, target snapshot.ObjectRef, msg string) (fix, why string, ok bool) {
	var res corev1.ResourceName
	switch {
	case strings.Contains(msg, "Insufficient cpu"):
		res = corev1.ResourceCPU
	case strings.Contains(msg, "Insufficient memory"):
		res = corev1.ResourceMemory
	default:
		return "", "", false
	}
	switch target.Kind {
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet, snapshot.KindReplicaSet,
		snapshot.KindReplicationController, snapshot.KindJob, snapshot.KindCronJob:
	default:
		return "", "", false
	}
	container, total := "", resource.Quantity{}
	var largest resource.Quantity
	for _, c := range p.Spec.Containers {
		q, has := c.Resources.Requests[res]
		if !has {
			continue
		}
		total.Add(q)
		if container == "" || q.Cmp(largest) > 0 {
			container, largest = c.Name, q
		}
	}
	if container == "" {
		return "", "", false
	}
	value := fmt.Sprintf("<at most the %s a node has free>", res)
	why = fmt.Sprintf("container %s requests %s=%s (pod total %s)", container, res, largest.String(), total.String())
	if free, node, known := podMostFree(s, res); known {
		// The pod fits when its total drops to the free amount.
		want := largest.DeepCopy()
		want.Sub(total)
		want.Add(free)
		if want.Sign() > 0 {
			value = podRoundDown(want, res)
			why += fmt.Sprintf("; node %s has the most free: %s of allocatable %s is not requested by its pods", node, free.String(), res)
		}
	}
	return diagnose.Kubectl("set", "resources", strings.ToLower(target.Kind)+"/"+target.Name, "-c", container,
		"--requests="+string(res)+"="+value, "-n", target.Namespace), why, true
}

// podMostFree is the largest amount of res any Ready node has not promised
// to the pods on it (allocatable minus their requests). It is only known
// for a whole-cluster dump whose Nodes carry allocatable: elsewhere pods of
// other namespaces are missing from the sum.
func podMostFree(s *snapshot.Snapshot, res corev1.ResourceName) (resource.Quantity, string, bool) {
	if !s.ClusterDump() && !s.Live {
		return resource.Quantity{}, "", false
	}
	used := map[string]*resource.Quantity{}
	for _, q := range s.Pods {
		if q.Spec.NodeName == "" || q.Status.Phase == corev1.PodSucceeded || q.Status.Phase == corev1.PodFailed {
			continue
		}
		sum := used[q.Spec.NodeName]
		if sum == nil {
			sum = &resource.Quantity{}
			used[q.Spec.NodeName] = sum
		}
		for _, c := range q.Spec.Containers {
			if r, ok := c.Resources.Requests[res]; ok {
				sum.Add(r)
			}
		}
	}
	var best resource.Quantity
	name, found := "", false
	for _, n := range s.Nodes {
		alloc, ok := n.Status.Allocatable[res]
		if !ok || n.Spec.Unschedulable {
			continue
		}
		if !nodeReady(n) {
			continue
		}
		free := alloc.DeepCopy()
		if u := used[n.Name]; u != nil {
			free.Sub(*u)
		}
		if !found || free.Cmp(best) > 0 {
			best, name, found = free, n.Name, true
		}
	}
	return best, name, found
}

// podRoundDown formats a request a little under q: whole millicores for
// CPU, whole mebibytes for memory.
func podRoundDown(q resource.Quantity, res corev1.ResourceName) string {
	if res == corev1.ResourceCPU {
		return fmt.Sprintf("%dm", q.MilliValue())
	}
	return fmt.Sprintf("%dMi", q.Value()/(1<<20))
}

// podSchedulingHint turns the scheduler's most common verdicts into what to
// change.
func podSchedulingHint(msg string) string {
	switch {
	case strings.Contains(msg, "Insufficient"):
		return "; the pod requests more than any node has free: lower its requests or add capacity"
	case strings.Contains(msg, "node affinity/selector") || strings.Contains(msg, "node(s) didn't match Pod's node affinity"):
		return "; no node carries the labels its nodeSelector/affinity asks for"
	case strings.Contains(msg, "node.kubernetes.io/not-ready") || strings.Contains(msg, "node.kubernetes.io/unreachable"):
		return "; the node controller taints NotReady and unreachable nodes: the nodes are what to repair (see node-not-ready), not the pod"
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

// podNotReadyNodes lists the Nodes whose Ready condition is not True: when
// the scheduler's only objection is the not-ready taint, they are the cause
// of the Pending pod.
func podNotReadyNodes(s *snapshot.Snapshot) []snapshot.ObjectRef {
	var out []snapshot.ObjectRef
	for _, n := range s.Nodes {
		if !nodeReady(n) {
			out = append(out, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: n.Name})
		}
	}
	return out
}

var (
	schedTotal    = regexp.MustCompile(`0/(\d+) nodes are available`)
	schedNotReady = regexp.MustCompile(`(\d+) node\(s\) had (?:untolerated )?taint \{node\.kubernetes\.io/(?:not-ready|unreachable):`)
)

// podOnlyBlockedByNotReadyNodes reports whether the scheduler rejected every
// node for the not-ready or unreachable taint alone ("0/3 nodes are
// available: 3 node(s) had untolerated taint {node.kubernetes.io/not-ready:
// }"). When other reasons (Insufficient cpu, a nodeSelector) rule out some
// nodes, repairing the NotReady ones would not place the pod.
func podOnlyBlockedByNotReadyNodes(msg string) bool {
	m := schedTotal.FindStringSubmatch(msg)
	if m == nil {
		return false
	}
	total, _ := strconv.Atoi(m[1])
	tainted := 0
	for _, t := range schedNotReady.FindAllStringSubmatch(msg, -1) {
		n, _ := strconv.Atoi(t[1])
		tainted += n
	}
	return total > 0 && tainted == total
}
