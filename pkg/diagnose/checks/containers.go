package checks

// The containers of a pod with their status, named and located the way
// kubectl and JSON patches name them, and their state quoted for evidence.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// podContainer is one container of a pod with its status, if any.
type podContainer struct {
	Spec   *corev1.Container
	Status *corev1.ContainerStatus // nil when the input has no status for it
	Init   bool
	Index  int // position in spec.initContainers or spec.containers
}

// Label names the container the way kubectl does in its messages.
func (c podContainer) Label() string {
	if c.Init {
		return "init container " + c.Spec.Name
	}
	return "container " + c.Spec.Name
}

// Sidecar reports whether an init container keeps running beside the app
// (restartPolicy Always), so its probes matter like a regular container's.
func (c podContainer) Sidecar() bool {
	return c.Init && c.Spec.RestartPolicy != nil && *c.Spec.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// specPath is the JSON pointer of this container inside a pod spec.
func (c podContainer) specPath() string {
	if c.Init {
		return "/initContainers/" + strconv.Itoa(c.Index)
	}
	return "/containers/" + strconv.Itoa(c.Index)
}

// specContainers lists the containers of a pod spec without status.
func specContainers(spec *corev1.PodSpec) []podContainer {
	return containersOf(&corev1.Pod{Spec: *spec})
}

// containersOf lists the init containers, then the containers, of p, each
// with its status matched by name.
func containersOf(p *corev1.Pod) []podContainer {
	status := func(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}
	out := make([]podContainer, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		out = append(out, podContainer{Spec: c, Status: status(p.Status.InitContainerStatuses, c.Name), Init: true, Index: i})
	}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		out = append(out, podContainer{Spec: c, Status: status(p.Status.ContainerStatuses, c.Name), Index: i})
	}
	return out
}

// waitingReason is why the container waits to start ("CrashLoopBackOff",
// "ImagePullBackOff"...), "" when it does not wait or has no status.
func (c podContainer) waitingReason() string {
	if c.Status == nil || c.Status.State.Waiting == nil {
		return ""
	}
	return c.Status.State.Waiting.Reason
}

// containerNamed returns the container (or init container) of p called
// name.
func containerNamed(p *corev1.Pod, name string) (podContainer, bool) {
	if name == "" {
		return podContainer{}, false
	}
	for _, c := range containersOf(p) {
		if c.Spec.Name == name {
			return c, true
		}
	}
	return podContainer{}, false
}

// commandLine is a container's command and arguments as one line.
func commandLine(c *corev1.Container) string {
	return strings.Join(append(append([]string(nil), c.Command...), c.Args...), " ")
}

// stateLine describes a container status: state, readiness, restarts.
func stateLine(c podContainer) string {
	cs := c.Status
	if cs == nil {
		return c.Label() + ": no status in the input"
	}
	var state string
	switch {
	case cs.State.Waiting != nil:
		state = "waiting (" + cs.State.Waiting.Reason + ")"
		if cs.State.Waiting.Message != "" {
			state += ": " + clip(cs.State.Waiting.Message)
		}
	case cs.State.Running != nil:
		state = "running"
		if !cs.State.Running.StartedAt.IsZero() {
			state += " since " + cs.State.Running.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
	case cs.State.Terminated != nil:
		state = terminatedLine(cs.State.Terminated)
	default:
		state = "no state"
	}
	return fmt.Sprintf("%s: %s, ready=%t, restartCount=%d", c.Label(), state, cs.Ready, cs.RestartCount)
}

// terminatedLine describes how a container ended.
func terminatedLine(t *corev1.ContainerStateTerminated) string {
	reason := t.Reason
	if reason == "" {
		reason = "terminated"
	}
	line := fmt.Sprintf("%s (exit code %d", reason, t.ExitCode)
	if t.Signal != 0 {
		line += fmt.Sprintf(", signal %d", t.Signal)
	}
	line += ")"
	if !t.FinishedAt.IsZero() {
		line += " at " + t.FinishedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if t.Message != "" {
		line += ", message: " + strconv.Quote(clip(t.Message))
	}
	return line
}

// imageRepo splits an image reference into its repository and its ":tag"
// or "@digest" (a registry's ":port" belongs to the repository).
func imageRepo(image string) (repo, rest string) {
	slash := strings.LastIndex(image, "/")
	if i := strings.IndexAny(image[slash+1:], ":@"); i >= 0 {
		return image[:slash+1+i], image[slash+1+i:]
	}
	return image, ""
}

// imageVersionSuffix is a version written into an image name
// (examples-bookinfo-reviews-v2): versions of one app, not different apps.
var imageVersionSuffix = regexp.MustCompile(`[-_.]v?[0-9]+(\.[0-9]+)*$`)

// appImageKey is an image without tag, digest or version suffix,
// normalised so that nginx, library/nginx and docker.io/library/nginx
// compare equal and so do the -v1/-v2 images of one app.
func appImageKey(image string) string {
	repo, _ := imageRepo(image)
	repo = strings.TrimPrefix(repo, "docker.io/")
	repo = strings.TrimPrefix(repo, "index.docker.io/")
	return imageVersionSuffix.ReplaceAllString(strings.TrimPrefix(repo, "library/"), "")
}
