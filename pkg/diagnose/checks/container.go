package checks

// The container layer: the registry of its checks, and containers that keep
// crashing (OOM kills, failing liveness probes, exits).

import (
	"fmt"
	"iter"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// containerChecks are the checks that report on the container layer; All sorts them.
var containerChecks = []*diagnose.Check{containerCrashLoop, containerImagePull, containerConfigError, initContainerBlocked, containerProbePort, containerPortInvalid, containerLogFailure}

// containerCrashLoop is the last layer of the seed's playbook ("Check
// container logs"): a container that keeps dying is never ready, so the
// pod above it leaves the endpoints and the Service above that serves
// nothing.
var containerCrashLoop = &diagnose.Check{
	ID:       "container-crashloop",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A container (or init container) keeps crashing and restarting: CrashLoopBackOff, OOMKilled, failing liveness probe.",
	Run:      runContainerCrashLoop,
}

// containerLive reports whether p has runtime state worth judging: read
// from a cluster, not being deleted, not finished (an evicted or completed
// pod's containers are over, not failing).
func containerLive(p *corev1.Pod) bool {
	return hasStatus(p) && p.DeletionTimestamp == nil &&
		p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded
}

// liveContainers yields every container of the pods whose runtime state is
// worth judging (containerLive), with its pod.
func liveContainers(s *snapshot.Snapshot) iter.Seq2[*corev1.Pod, podContainer] {
	return func(yield func(*corev1.Pod, podContainer) bool) {
		for _, p := range s.Pods {
			if !containerLive(p) {
				continue
			}
			for _, c := range containersOf(p) {
				if !yield(p, c) {
					return
				}
			}
		}
	}
}

// containerCrashing reports whether a container status shows a crash loop:
// backing off, or between two crashes of a loop.
func containerCrashing(p *corev1.Pod, c podContainer) bool {
	cs := c.Status
	if cs == nil {
		return false
	}
	if w := cs.State.Waiting; w != nil {
		return w.Reason == "CrashLoopBackOff"
	}
	last := cs.LastTerminationState.Terminated
	if last == nil || cs.RestartCount == 0 || (last.ExitCode == 0 && last.Reason != "OOMKilled") {
		return false
	}
	switch {
	case cs.State.Running != nil:
		// Restarted more than once and not ready again yet: the loop
		// continues. A ready container that crashed once is recovered.
		return !cs.Ready && cs.RestartCount >= 2 && !c.Init
	case cs.State.Terminated != nil:
		return cs.State.Terminated.ExitCode != 0 && p.Spec.RestartPolicy != corev1.RestartPolicyNever
	}
	return false
}

func runContainerCrashLoop(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for p, c := range liveContainers(s) {
		if !containerCrashing(p, c) {
			continue
		}
		f := containerCrashFinding(s, p, c)
		if containerLookupFailed(c) {
			// The app exits because a name does not resolve: when
			// the workload's DNS names are broken (dns-name-
			// unresolvable), that is the cause of the crash.
			if owner, ok := s.OwnerOf(p); ok {
				f.ExplainedBy = append(f.ExplainedBy, owner)
			}
		}
		f.ExplainedBy = appendMissing(f.ExplainedBy, crashExplainedByLog(s, p, c)...)
		r.Report(f)
	}
}

func containerCrashFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	subject := s.SubjectOf(p)
	cs := c.Status
	ev := []string{stateLine(c)}
	last := cs.LastTerminationState.Terminated
	if last == nil {
		last = cs.State.Terminated
	}
	if last != nil {
		ev = append(ev, "last termination: "+terminatedLine(last))
	}
	limit, hasLimit := c.Spec.Resources.Limits[corev1.ResourceMemory]
	if hasLimit {
		ev = append(ev, fmt.Sprintf("%s memory limit: %s", c.Label(), limit.String()))
	}
	liveness := eventLines(s, ref, []string{"Unhealthy"}, "Liveness probe")
	ev = append(ev, liveness...)
	ev = append(ev, eventLines(s, ref, []string{"BackOff"}, "restarting failed container")...)
	ev = append(ev, "see the output of the crashed run: "+diagnose.KubectlOn([]string{"logs", "-n", p.Namespace, "-c", c.Spec.Name, "--previous"}, p.Name))

	status := "CrashLoopBackOff"
	if c.Init {
		status = "Init:CrashLoopBackOff"
	}
	target, specPath := fixTarget(s, p)
	f := diagnose.Finding{
		Object:    subject,
		Container: c.Spec.Name,
		Symptom:   fmt.Sprintf("pod %s/%s shows %s with %d restarts: it is never Ready, so Services send it no traffic", p.Namespace, p.Name, status, cs.RestartCount),
		Evidence:  ev,
		Fix:       diagnose.EditCmd(target),
		Verify:    verifyPod(s, p),
		Origin:    originOf(s, subject),
	}
	switch {
	case last != nil && last.Reason == "OOMKilled":
		if hasLimit {
			f.Cause = fmt.Sprintf("%s is OOMKilled: it uses more memory than its limit %s and the kernel kills it (exit code %d), %d restarts so far",
				c.Label(), limit.String(), last.ExitCode, cs.RestartCount)
			if target.Kind != snapshot.KindPod {
				f.Fix = containerMemoryFix(target, specPath+c.specPath(), limit)
			}
		} else {
			f.Cause = fmt.Sprintf("%s is OOMKilled without a memory limit of its own: the node ran out of memory (or a LimitRange default applies); %d restarts so far",
				c.Label(), cs.RestartCount)
		}
	case len(liveness) > 0:
		f.Cause = fmt.Sprintf("the liveness probe of %s fails, so the kubelet kills and restarts it: %s", c.Label(), strings.TrimPrefix(liveness[0], "Event "))
		if pr, ok := probeTargetOf(c.Spec.LivenessProbe); ok {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s livenessProbe: %s; declared ports: %s", c.Label(), pr, containerPortsText(c.Spec)))
		}
	case last != nil && last.ExitCode == 0:
		f.Cause = fmt.Sprintf("%s exits successfully (exit code 0) and the pod's restartPolicy restarts it: its command finishes instead of serving", c.Label())
	case last != nil:
		f.Cause = fmt.Sprintf("%s keeps exiting with %s and the kubelet restarts it with a growing back-off (%d restarts)", c.Label(), terminatedLine(last), cs.RestartCount)
	default:
		f.Cause = fmt.Sprintf("%s keeps crashing (%d restarts); its last output explains why", c.Label(), cs.RestartCount)
	}
	if f.Fix == diagnose.EditCmd(target) {
		// A crash that came with a new image: going back to the image of
		// the rollout before is a concrete way out while the crash is
		// investigated.
		if prev, ok := containerPreviousImage(s, p, c); ok {
			f.Evidence = append(f.Evidence, prev.line(c)+"; this pod runs "+c.Spec.Image)
			args := []string{"rollout", "undo", "-n", prev.Deployment.Namespace}
			if prev.Revision > 0 {
				args = append(args, fmt.Sprintf("--to-revision=%d", prev.Revision))
			}
			f.Fix = diagnose.KubectlOn(args, "deployment/"+prev.Deployment.Name)
		}
	}
	if target.Kind == snapshot.KindPod {
		f.Cause += "; " + immutablePodNote
	}
	return f
}

// containerMemoryFix doubles a container's memory limit on the workload: a
// first step that stops the kills while the real footprint is measured.
func containerMemoryFix(target snapshot.ObjectRef, containerPath string, limit resource.Quantity) string {
	doubled := resource.NewQuantity(limit.Value()*2, limit.Format)
	// "add" also sets a limit that only a LimitRange default put on the pod.
	return diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{
		Op:    "add",
		Path:  containerPath + "/resources/limits/memory",
		Value: doubled.String(),
	})
}

// lookupFailures are what resolvers and runtimes print when a host name does
// not resolve (glibc, musl, Go, Java, Node.js, Python).
var lookupFailures = []string{
	"Name or service not known", "no such host", "NXDOMAIN", "Temporary failure in name resolution",
	"nodename nor servname", "UnknownHostException", "getaddrinfo ENOTFOUND", "could not resolve host",
	"Could not resolve host", "Name does not resolve",
}

// containerLookupFailed reports whether the container's last exit or
// current wait message says a host name did not resolve.
func containerLookupFailed(c podContainer) bool {
	if c.Status == nil {
		return false
	}
	var msgs []string
	if t := c.Status.LastTerminationState.Terminated; t != nil {
		msgs = append(msgs, t.Message)
	}
	if t := c.Status.State.Terminated; t != nil {
		msgs = append(msgs, t.Message)
	}
	if w := c.Status.State.Waiting; w != nil {
		msgs = append(msgs, w.Message)
	}
	for _, m := range msgs {
		for _, needle := range lookupFailures {
			if strings.Contains(m, needle) {
				return true
			}
		}
	}
	return false
}
