package checks

// Pods stuck in Pending: the scheduler's verdict, the kubelet's set-up
// warnings, and the request a fix lowers.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// podPending names why a pod never started: the scheduler's verdict, or the
// warnings the kubelet gave while setting it up.
var podPending = &diagnose.Check{
	ID:       "pod-pending",
	Layer:    diagnose.LayerPod,
	Severity: diagnose.SeverityError,
	Doc:      "A pod stuck in Pending: not scheduled (FailedScheduling) or not set up on its node.",
	Run:      runPodPending,
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
		f.Fix = diagnose.KubectlOn([]string{"rollout", "restart", "-n", target.Namespace}, typedName(target))
		f.Verify = verifyPod(s, p)
	default:
		f.Fix = diagnose.KubectlOn([]string{"delete", "pod", "-n", p.Namespace}, p.Name)
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
	return diagnose.KubectlOn([]string{"set", "resources", "-n", target.Namespace, "-c", container,
		"--requests=" + string(res) + "=" + value}, typedName(target)), why, true
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

// podSchedulerMessage is why the scheduler has not placed p: the
// PodScheduled condition's message, else the newest FailedScheduling Event;
// "" when neither says.
func podSchedulerMessage(s *snapshot.Snapshot, p *corev1.Pod) string {
	if c := podCondition(p, corev1.PodScheduled); c != nil && c.Status != corev1.ConditionTrue && c.Message != "" {
		return c.Message
	}
	for _, e := range slices.Backward(s.EventsFor(snapshot.Ref(snapshot.KindPod, p))) {
		if e.Reason == "FailedScheduling" {
			return e.Message
		}
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
