package checks

// Images that cannot be pulled, and the image a container most likely should
// run (a corrected reference, or the previous rollout's).

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// containerImagePull catches pods that never start because the node cannot
// get the image.
var containerImagePull = &diagnose.Check{
	ID:       "container-image-pull",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A container cannot start because its image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName).",
	Run:      runContainerImagePull,
}

// containerImagePullReason reports whether a waiting reason means the image
// cannot be pulled.
func containerImagePullReason(reason string) bool {
	switch reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable", "ImageInspectError", "SignatureValidationFailed":
		return true
	}
	return false
}

func runContainerImagePull(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for p, c := range liveContainers(s) {
		if containerImagePullReason(c.waitingReason()) {
			r.Report(containerImageFinding(s, p, c))
		}
	}
}

func containerImageFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	w := c.Status.State.Waiting
	ev := []string{
		fmt.Sprintf("%s image: %s", c.Label(), c.Spec.Image),
		stateLine(c),
	}
	pulls := eventLines(s, ref, []string{"Failed", "BackOff", "InspectFailed", "ErrImageNeverPull"}, "image", "Image")
	ev = append(ev, pulls...)
	msg := w.Message
	for _, line := range pulls {
		msg += " " + line
	}
	low := strings.ToLower(msg)
	var why string
	// The image reference itself is wrong (rather than credentials or the
	// node's network): the fix is another image.
	imageAtFault := true
	switch {
	case w.Reason == "InvalidImageName":
		why = fmt.Sprintf("the image reference %q is not a valid image name", c.Spec.Image)
	case w.Reason == "ErrImageNeverPull":
		why = fmt.Sprintf("imagePullPolicy is Never and image %q is not present on node %s", c.Spec.Image, p.Spec.NodeName)
		imageAtFault = false
	case strings.Contains(low, "unauthorized") || strings.Contains(low, "denied") || strings.Contains(low, "authentication required") || strings.Contains(low, "forbidden"):
		why = fmt.Sprintf("the registry refuses to serve %q to the node: credentials are missing or wrong (or the repository does not exist)", c.Spec.Image)
		ev = append(ev, containerPullSecretsLine(s, p))
		imageAtFault = false
	case strings.Contains(low, "not found") || strings.Contains(low, "manifest unknown") || strings.Contains(low, "no such"):
		why = fmt.Sprintf("image %q does not exist in its registry: a wrong repository or tag", c.Spec.Image)
	case strings.Contains(low, "timeout") || strings.Contains(low, "no such host") || strings.Contains(low, "connection refused") || strings.Contains(low, "i/o"):
		why = fmt.Sprintf("node %s cannot reach the registry of %q", p.Spec.NodeName, c.Spec.Image)
		imageAtFault = false
	default:
		why = fmt.Sprintf("the node cannot pull image %q", c.Spec.Image)
	}
	// The back-off message only repeats the image; the pull failure says why.
	detail := w.Message
	if pull := eventLines(s, ref, []string{"Failed"}, "Failed to pull"); len(pull) > 0 && w.Reason != "InvalidImageName" {
		detail = strings.SplitN(pull[0], ": ", 2)[1]
	}
	if detail != "" {
		why += ": " + clip(detail)
	}
	target, _ := fixTarget(s, p)
	cause := fmt.Sprintf("%s is %s: %s", c.Label(), w.Reason, why)
	if target.Kind == snapshot.KindPod {
		cause += "; a bare pod's image can be changed in place"
	}
	fix := diagnose.EditCmd(target)
	if imageAtFault {
		image, because := containerImageCandidate(s, p, c, w.Reason)
		ev = append(ev, because)
		if setImage, ok := containerSetImageCmd(target, c.Spec.Name, image); ok {
			fix = setImage
		}
	}
	return containerFinding(s, p, c, fmt.Sprintf("pod %s/%s never starts (%s): it has no running container to send traffic to", p.Namespace, p.Name, w.Reason), cause, ev, fix)
}

// containerRevisionAnnotation is where the Deployment controller numbers
// the ReplicaSets of a Deployment's rollouts.
const containerRevisionAnnotation = "deployment.kubernetes.io/revision"

// containerImageCandidate proposes the image a container most likely
// should run: an invalid reference made valid (a repository in lower case),
// else the image the same container has in another revision of its
// Deployment (the last rollout that came before this one), else a
// placeholder that says what to put. The second value is the evidence line
// that explains the choice.
func containerImageCandidate(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, reason string) (string, string) {
	repo, rest := imageRepo(strings.TrimSpace(c.Spec.Image))
	if reason == "InvalidImageName" {
		if fixed := strings.ToLower(repo) + rest; fixed != c.Spec.Image {
			return fixed, fmt.Sprintf("image references must have a lower-case repository: %q", fixed)
		}
	}
	if prev, ok := containerPreviousImage(s, p, c); ok {
		return prev.Image, prev.line(c) + ": the image of the rollout before this one"
	}
	placeholder := repo + ":<a tag that exists>"
	return placeholder, fmt.Sprintf("no other revision in the input runs another image for %s: put a tag of %s that exists in the registry", c.Label(), repo)
}

// containerRevision is an earlier rollout of a pod's Deployment that ran
// another image in the same container.
type containerRevision struct {
	Deployment snapshot.ObjectRef
	ReplicaSet string
	Revision   int // 0 when the ReplicaSet carries no revision number
	Image      string
}

func (r containerRevision) line(c podContainer) string {
	rs := "ReplicaSet " + r.ReplicaSet
	if r.Revision > 0 {
		rs += fmt.Sprintf(" (revision %d)", r.Revision)
	}
	return fmt.Sprintf("%s of %s runs %s with image %q", rs, r.Deployment, c.Label(), r.Image)
}

// containerPreviousImage finds the latest ReplicaSet of p's Deployment
// whose template gives container c another image than p runs: the rollout
// the current one replaced.
func containerPreviousImage(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) (containerRevision, bool) {
	owner, ok := s.OwnerOf(p)
	if !ok || owner.Kind != snapshot.KindDeployment {
		return containerRevision{}, false
	}
	best := containerRevision{Revision: -1}
	for _, rs := range s.ReplicaSetsOf(owner) {
		image := ""
		for _, oc := range append(append([]corev1.Container(nil), rs.Spec.Template.Spec.InitContainers...), rs.Spec.Template.Spec.Containers...) {
			if oc.Name == c.Spec.Name {
				image = oc.Image
			}
		}
		rev, _ := strconv.Atoi(rs.Annotations[containerRevisionAnnotation])
		if image == "" || image == c.Spec.Image || rev <= best.Revision {
			continue
		}
		best = containerRevision{Deployment: owner, ReplicaSet: rs.Name, Revision: rev, Image: image}
	}
	return best, best.Image != ""
}

// containerSetImageCmd is `kubectl set image` for one container of the
// object that owns the pod spec, for the kinds that command accepts.
func containerSetImageCmd(target snapshot.ObjectRef, container, image string) (string, bool) {
	switch target.Kind {
	case snapshot.KindPod, snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet,
		snapshot.KindReplicaSet, snapshot.KindReplicationController, snapshot.KindCronJob:
		return diagnose.KubectlOn([]string{"set", "image", "-n", target.Namespace}, typedName(target), container+"="+image), true
	}
	return "", false
}

// containerPullSecretsLine names the pod's image pull secrets and whether
// the input holds them (metadata only).
func containerPullSecretsLine(s *snapshot.Snapshot, p *corev1.Pod) string {
	if len(p.Spec.ImagePullSecrets) == 0 {
		return "imagePullSecrets: none (service account " + containerServiceAccount(p) + " may add some)"
	}
	var parts []string
	for _, ref := range p.Spec.ImagePullSecrets {
		st := ""
		switch {
		case s.Secret(p.Namespace, ref.Name) != nil:
			st = " (exists)"
		case s.Knows(snapshot.KindSecret, p.Namespace):
			st = " (missing in namespace " + p.Namespace + ")"
		}
		parts = append(parts, ref.Name+st)
	}
	return "imagePullSecrets: " + strings.Join(parts, ", ")
}

func containerServiceAccount(p *corev1.Pod) string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
	}
	return "default"
}
