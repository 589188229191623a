package incidentgen

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// Ready is the default state: Running and Ready.
func Ready() PodState { return func(*Cluster, *corev1.Pod) {} }

func containerIndex(p *corev1.Pod, name string) int {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name || name == "" {
			return i
		}
	}
	panic(fmt.Sprintf("pod %s has no container %q", p.Name, name))
}

func fieldPath(p *corev1.Pod, container string) string {
	for _, c := range p.Spec.InitContainers {
		if c.Name == container {
			return "spec.initContainers{" + container + "}"
		}
	}
	return "spec.containers{" + container + "}"
}

func (c *Cluster) kubeletEvent(p *corev1.Pod, container, typ, reason, msg string, count int32, first, last time.Duration) {
	ref := objectRef("Pod", "v1", p.ObjectMeta)
	if container != "" {
		ref.FieldPath = fieldPath(p, container)
	}
	c.Event(EventSpec{Object: ref, Type: typ, Reason: reason, Message: msg, Count: count, Component: "kubelet", Host: p.Spec.NodeName, First: first, Last: last})
}

// NotReady keeps the container running but failing its readiness probe,
// with the kubelet's "Readiness probe failed" Event carrying probeMessage
// (for example `HTTP probe failed with statuscode: 404`).
func NotReady(container, probeMessage string, count int32) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		i := containerIndex(p, container)
		cs := &p.Status.ContainerStatuses[i]
		cs.Ready = false
		clusterstate.ContainersNotReady(p, cs.Name, p.Status.StartTime.Rfc3339Copy())
		age := c.Now.Sub(p.CreationTimestamp.Time)
		c.kubeletEvent(p, cs.Name, corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: "+probeMessage, count, age-10*time.Second, 7*time.Second)
	}
}

// Termination is how a container last ended.
type Termination struct {
	Container string // first container when empty
	Reason    string // Error, OOMKilled, Completed
	ExitCode  int32
	Message   string // termination message, if the app wrote one
	Restarts  int32
	// Ran is how long the last run lasted before it ended.
	Ran time.Duration
	// Liveness, when set, is the "Liveness probe failed" message that made
	// the kubelet kill the container.
	Liveness string
	// Waiting is true when the container is in back-off (CrashLoopBackOff);
	// false when it has just been restarted and runs again.
	Running bool
}

// CrashLoop puts a container into a crash loop: last terminated with the
// given reason and exit code, restarted Restarts times, now waiting in
// CrashLoopBackOff (or running again, between two crashes, when Running).
func CrashLoop(t Termination) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		i := containerIndex(p, t.Container)
		cs := &p.Status.ContainerStatuses[i]
		c.crashContainer(p, cs, t, false)
	}
}

// InitCrashLoop is CrashLoop for an init container: the pod stays in
// Pending with Init:CrashLoopBackOff.
func InitCrashLoop(t Termination) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		var cs *corev1.ContainerStatus
		for i := range p.Status.InitContainerStatuses {
			if p.Status.InitContainerStatuses[i].Name == t.Container {
				cs = &p.Status.InitContainerStatuses[i]
			}
		}
		if cs == nil {
			panic("no init container " + t.Container)
		}
		c.initBlocked(p, t.Container)
		cs.Ready = false
		c.crashContainer(p, cs, t, true)
	}
}

func (c *Cluster) crashContainer(p *corev1.Pod, cs *corev1.ContainerStatus, t Termination, init bool) {
	if t.Ran == 0 {
		t.Ran = 3 * time.Second
	}
	if t.Reason == "" {
		t.Reason = "Error"
	}
	finished := c.ago(90 * time.Second)
	if t.Running {
		finished = c.ago(40 * time.Second)
	}
	last := corev1.ContainerStateTerminated{Reason: t.Reason, ExitCode: t.ExitCode, Message: t.Message,
		StartedAt: metav1.NewTime(finished.Add(-t.Ran)), FinishedAt: finished, ContainerID: cs.ContainerID}
	cs.ContainerID = "containerd://" + digest(cs.ContainerID+"restart")
	clusterstate.CrashLoopBackOff(p, cs, last, t.Restarts)
	if t.Running {
		// Restarted once more and running again until the next crash.
		cs.Started = ptrTo(true)
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(finished.Add(time.Second))}}
	}
	if !init {
		clusterstate.ContainersNotReady(p, cs.Name, finished)
	}
	age := c.Now.Sub(p.CreationTimestamp.Time)
	if t.Liveness != "" {
		c.kubeletEvent(p, cs.Name, corev1.EventTypeWarning, "Unhealthy", "Liveness probe failed: "+t.Liveness, 3*t.Restarts, age-30*time.Second, 100*time.Second)
		c.kubeletEvent(p, cs.Name, corev1.EventTypeNormal, "Killing", "Container "+cs.Name+" failed liveness probe, will be restarted", t.Restarts, age-40*time.Second, 95*time.Second)
	}
	c.kubeletEvent(p, cs.Name, corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", cs.Image), t.Restarts+1, age-2*time.Second, 95*time.Second)
	c.kubeletEvent(p, cs.Name, corev1.EventTypeWarning, "BackOff", clusterstate.BackOffMessage(p, cs.Name), 4*t.Restarts, age-60*time.Second, 10*time.Second)
}

// Unschedulable leaves the pod Pending with the scheduler's verdict (for
// example "0/3 nodes are available: 3 Insufficient memory. ...").
func Unschedulable(message string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		p.Spec.NodeName = ""
		p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: p.Status.QOSClass,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: message, LastTransitionTime: p.CreationTimestamp}}}
		age := c.Now.Sub(p.CreationTimestamp.Time)
		ref := objectRef("Pod", "v1", p.ObjectMeta)
		c.Event(EventSpec{Object: ref, Reason: "FailedScheduling", Message: message, Count: int32(age/(5*time.Minute)) + 1, Component: "default-scheduler", First: age, Last: 2 * time.Minute})
	}
}

// waitingPod is a pod scheduled to a node whose containers have not
// started.
func (c *Cluster) waitingPod(p *corev1.Pod, sandbox bool, reason, message string) {
	sched := p.CreationTimestamp
	p.Status.Phase = corev1.PodPending
	if !sandbox {
		p.Status.PodIP, p.Status.PodIPs = "", nil
		clusterstate.SetCondition(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", sched)
	}
	p.Status.StartTime = &sched
	names := ""
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		cs.Ready, cs.Started, cs.ContainerID, cs.ImageID = false, ptrTo(false), "", ""
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}
		if names != "" {
			names += " "
		}
		names += cs.Name
	}
	clusterstate.ContainersNotReady(p, names, sched)
}

// MountFailure leaves the pod in ContainerCreating because a volume cannot
// be mounted; each message becomes a kubelet FailedMount Event (for example
// `MountVolume.SetUp failed for volume "tls" : secret "web-tls" not found`).
func MountFailure(messages ...string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		c.waitingPod(p, false, "ContainerCreating", "")
		age := c.Now.Sub(p.CreationTimestamp.Time)
		for _, m := range messages {
			c.kubeletEvent(p, "", corev1.EventTypeWarning, "FailedMount", m, int32(age/(2*time.Minute))+1, age-5*time.Second, time.Minute)
		}
	}
}

// ConfigError leaves a container in CreateContainerConfigError, as when an
// env var refers to a ConfigMap, Secret or key that does not exist.
func ConfigError(container, message string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		c.waitingPod(p, true, "CreateContainerConfigError", message)
		age := c.Now.Sub(p.CreationTimestamp.Time)
		c.kubeletEvent(p, container, corev1.EventTypeWarning, "Failed", "Error: "+message, int32(age/time.Minute)+1, age-5*time.Second, 30*time.Second)
	}
}

// ImagePullBackOff leaves the pod unable to pull image; pullError is the
// runtime's message.
func ImagePullBackOff(container, pullError string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		image := ""
		for _, ct := range p.Spec.Containers {
			if ct.Name == container {
				image = ct.Image
			}
		}
		c.waitingPod(p, true, "ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", image, pullError))
		age := c.Now.Sub(p.CreationTimestamp.Time)
		n := int32(age/(5*time.Minute)) + 1
		c.kubeletEvent(p, container, corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", image), n, age-3*time.Second, 5*time.Minute)
		c.kubeletEvent(p, container, corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", image, pullError), n, age-2*time.Second, 5*time.Minute)
		c.kubeletEvent(p, container, corev1.EventTypeWarning, "Failed", "Error: ErrImagePull", n, age-2*time.Second, 5*time.Minute)
		c.kubeletEvent(p, container, corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", image), 6*n, age-time.Second, 20*time.Second)
		c.kubeletEvent(p, container, corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff", 6*n, age-time.Second, 20*time.Second)
	}
}

// initBlocked marks the pod as waiting for init container name.
func (c *Cluster) initBlocked(p *corev1.Pod, name string) {
	c.waitingPod(p, true, "PodInitializing", "")
	clusterstate.SetCondition(p, corev1.PodInitialized, corev1.ConditionFalse, "ContainersNotInitialized", "containers with incomplete status: ["+name+"]", p.CreationTimestamp)
	past := false
	for i := range p.Status.InitContainerStatuses {
		cs := &p.Status.InitContainerStatuses[i]
		if cs.Name == name {
			past = true
			continue
		}
		if past {
			cs.Ready, cs.Started, cs.ContainerID, cs.ImageID = false, ptrTo(false), "", ""
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
		}
	}
}

// InitRunning leaves the pod in Init with init container name still
// running since the pod started (waiting for something).
func InitRunning(name string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		c.initBlocked(p, name)
		for i := range p.Status.InitContainerStatuses {
			cs := &p.Status.InitContainerStatuses[i]
			if cs.Name == name {
				cs.Ready, cs.Started = false, ptrTo(true)
				cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *p.Status.StartTime}}
			}
		}
	}
}

// Restarted gives a healthy container a restart history (for realism in
// long-lived pods).
func Restarted(container string, n int32, reason string, exitCode int32) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		i := containerIndex(p, container)
		cs := &p.Status.ContainerStatuses[i]
		cs.RestartCount = n
		fin := c.ago(3 * 24 * time.Hour)
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: exitCode,
			StartedAt: p.CreationTimestamp, FinishedAt: fin, ContainerID: "containerd://" + digest(cs.ContainerID+"old")}}
		cs.State.Running.StartedAt = metav1.NewTime(fin.Add(time.Second))
	}
}

// Compose applies several states in order.
func Compose(states ...PodState) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		for _, s := range states {
			s(c, p)
		}
	}
}

// Replicas repeats one state for n replicas.
func Replicas(n int, s PodState) []PodState {
	out := make([]PodState, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// NeverStarted leaves a container running but never counted as started:
// its startup probe errors (probeError is the kubelet's error, for example
// `strconv.Atoi: parsing "http": invalid syntax`), the kubelet discards
// errored results, and the readiness probe waits for a start that never
// comes. The pod stays Running and not Ready, without restarts.
func NeverStarted(container, probeError string) PodState {
	return func(c *Cluster, p *corev1.Pod) {
		i := containerIndex(p, container)
		cs := &p.Status.ContainerStatuses[i]
		cs.Ready, cs.Started = false, ptrTo(false)
		clusterstate.ContainersNotReady(p, cs.Name, p.Status.StartTime.Rfc3339Copy())
		age := c.Now.Sub(p.CreationTimestamp.Time)
		c.kubeletEvent(p, cs.Name, corev1.EventTypeWarning, "Unhealthy", "Startup probe errored and resulted in unknown state: "+probeError,
			int32(age/(10*time.Second)), age-10*time.Second, 4*time.Second)
	}
}
