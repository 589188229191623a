package checks

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var containerChecks = []*diagnose.Check{containerCrashLoop, containerImagePull, containerConfigError}

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

// containerImagePull catches pods that never start because the node cannot
// get the image.
var containerImagePull = &diagnose.Check{
	ID:       "container-image-pull",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A container cannot start because its image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName).",
	Run:      runContainerImagePull,
}

// containerConfigError catches pods that never start because a ConfigMap or
// Secret they need (as env or as a volume) or one of its keys is missing.
var containerConfigError = &diagnose.Check{
	ID:       "container-config-error",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A container cannot be created: CreateContainerConfigError, or stuck in ContainerCreating on a missing ConfigMap/Secret volume.",
	Run:      runContainerConfigError,
}

// containerLive reports whether p has runtime state worth judging: read
// from a cluster, not being deleted, not finished (an evicted or completed
// pod's containers are over, not failing).
func containerLive(p *corev1.Pod) bool {
	return hasStatus(p) && p.DeletionTimestamp == nil &&
		p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded
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
	for _, p := range s.Pods {
		if !containerLive(p) {
			continue
		}
		for _, c := range containersOf(p) {
			if containerCrashing(p, c) {
				f := containerCrashFinding(s, p, c)
				if containerLookupFailed(c) {
					// The app exits because a name does not resolve: when
					// the workload's DNS names are broken (dns-name-
					// unresolvable), that is the cause of the crash.
					if owner, ok := s.OwnerOf(p); ok {
						f.ExplainedBy = append(f.ExplainedBy, owner)
					}
				}
				r.Report(f)
			}
		}
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
	ev = append(ev, "see the output of the crashed run: "+diagnose.Kubectl("logs", p.Name, "-n", p.Namespace, "-c", c.Spec.Name, "--previous"))

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
			args := []string{"rollout", "undo", "deployment/" + prev.Deployment.Name, "-n", prev.Deployment.Namespace}
			if prev.Revision > 0 {
				args = append(args, fmt.Sprintf("--to-revision=%d", prev.Revision))
			}
			f.Fix = diagnose.Kubectl(args...)
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
	for _, p := range s.Pods {
		if !containerLive(p) {
			continue
		}
		for _, c := range containersOf(p) {
			if c.Status != nil && c.Status.State.Waiting != nil && containerImagePullReason(c.Status.State.Waiting.Reason) {
				r.Report(containerImageFinding(s, p, c))
			}
		}
	}
}

func containerImageFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	subject := s.SubjectOf(p)
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
	return diagnose.Finding{
		Object:    subject,
		Container: c.Spec.Name,
		Symptom:   fmt.Sprintf("pod %s/%s never starts (%s): it has no running container to send traffic to", p.Namespace, p.Name, w.Reason),
		Cause:     cause,
		Evidence:  ev,
		Fix:       fix,
		Verify:    verifyPod(s, p),
		Origin:    originOf(s, subject),
	}
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
		return diagnose.Kubectl("set", "image", strings.ToLower(target.Kind)+"/"+target.Name, container+"="+image, "-n", target.Namespace), true
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

// containerConfigReason reports whether a waiting reason means the runtime
// could not build the container from its spec.
func containerConfigReason(reason string) bool {
	return reason == "CreateContainerConfigError" || reason == "CreateContainerError"
}

var (
	containerMissingObjectRE = regexp.MustCompile(`(?i)\b(configmap|secret)s? "([^"]+)" not found`)
	containerMissingKeyRE    = regexp.MustCompile(`couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)/(\S+)`)
)

func runContainerConfigError(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, p := range s.Pods {
		if !containerLive(p) {
			continue
		}
		reported := false
		for _, c := range containersOf(p) {
			if c.Status != nil && c.Status.State.Waiting != nil && containerConfigReason(c.Status.State.Waiting.Reason) {
				r.Report(containerConfigFinding(s, p, c))
				reported = true
			}
		}
		if reported {
			continue
		}
		if mounts := containerMissingMounts(s, p); len(mounts) > 0 {
			r.Report(containerMountFinding(s, p, mounts))
		}
	}
}

// containerConfigObject is one ConfigMap or Secret reference that cannot be
// satisfied.
type containerConfigObject struct {
	Kind string // snapshot.KindConfigMap or snapshot.KindSecret
	Name string
	Key  string // set when the object exists but lacks this key
	Line string // where this came from: a status message or an Event
}

// containerParseMissing reads what a kubelet message says is missing.
func containerParseMissing(msg string) (containerConfigObject, bool) {
	if m := containerMissingKeyRE.FindStringSubmatch(msg); m != nil {
		kind := snapshot.KindConfigMap
		if m[2] == "Secret" {
			kind = snapshot.KindSecret
		}
		return containerConfigObject{Kind: kind, Name: m[4], Key: m[1]}, true
	}
	if m := containerMissingObjectRE.FindStringSubmatch(msg); m != nil {
		kind := snapshot.KindConfigMap
		if strings.EqualFold(m[1], "secret") {
			kind = snapshot.KindSecret
		}
		return containerConfigObject{Kind: kind, Name: m[2]}, true
	}
	return containerConfigObject{}, false
}

func containerConfigFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindPod, p)
	subject := s.SubjectOf(p)
	w := c.Status.State.Waiting
	ev := []string{stateLine(c)}
	ev = append(ev, eventLines(s, ref, []string{"Failed"}, "Error:")...)
	f := diagnose.Finding{
		Object:    subject,
		Container: c.Spec.Name,
		Symptom:   fmt.Sprintf("pod %s/%s never starts (%s): %s is never created, so the pod serves nothing", p.Namespace, p.Name, w.Reason, c.Label()),
		Evidence:  ev,
		Verify:    verifyPod(s, p),
		Origin:    originOf(s, subject),
	}
	target, _ := fixTarget(s, p)
	f.Fix = diagnose.EditCmd(target)
	missing, ok := containerParseMissing(w.Message)
	if !ok {
		f.Cause = fmt.Sprintf("the container runtime cannot create %s: %s", c.Label(), clip(w.Message))
		return f
	}
	cause, evidence, fix := containerMissingExplained(s, p, missing)
	f.Cause = fmt.Sprintf("%s cannot be created: %s", c.Label(), cause)
	f.Evidence = append(f.Evidence, evidence...)
	f.Fix = fix
	return f
}

// containerMount is a volume whose ConfigMap or Secret is missing.
type containerMount struct {
	containerConfigObject
	Volume string
}

var containerVolumeRE = regexp.MustCompile(`for volume "([^"]+)"`)

// containerMissingMounts lists the ConfigMap and Secret volumes that keep a
// scheduled pod in ContainerCreating: those FailedMount Events name, and,
// when the input knows every ConfigMap/Secret of the namespace, volumes
// whose non-optional source is absent.
func containerMissingMounts(s *snapshot.Snapshot, p *corev1.Pod) []containerMount {
	if p.Status.Phase != corev1.PodPending || p.Spec.NodeName == "" {
		return nil
	}
	creating := false
	for _, c := range containersOf(p) {
		if c.Status == nil || c.Status.State.Waiting != nil && (c.Status.State.Waiting.Reason == "ContainerCreating" || c.Status.State.Waiting.Reason == "PodInitializing") {
			creating = true
		}
	}
	if !creating {
		return nil
	}
	var out []containerMount
	seen := map[string]bool{}
	add := func(m containerMount) {
		k := m.Kind + "/" + m.Name
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	for _, e := range s.EventsFor(snapshot.Ref(snapshot.KindPod, p)) {
		if e.Reason != "FailedMount" {
			continue
		}
		obj, ok := containerParseMissing(e.Message)
		if !ok {
			continue
		}
		obj.Line = eventLine(e)
		m := containerMount{containerConfigObject: obj}
		if v := containerVolumeRE.FindStringSubmatch(e.Message); v != nil {
			m.Volume = v[1]
		}
		add(m)
	}
	for _, v := range p.Spec.Volumes {
		for _, src := range containerVolumeSources(v) {
			// kube-root-ca.crt is published into every namespace by the
			// control plane; its absence says the dump filtered it.
			if src.optional || src.name == "kube-root-ca.crt" || !s.Knows(src.kind, p.Namespace) {
				continue
			}
			exists := s.ConfigMap(p.Namespace, src.name) != nil
			if src.kind == snapshot.KindSecret {
				exists = s.Secret(p.Namespace, src.name) != nil
			}
			if !exists {
				add(containerMount{containerConfigObject: containerConfigObject{Kind: src.kind, Name: src.name,
					Line: fmt.Sprintf("volume %q needs %s %s, which is not in namespace %s", v.Name, src.kind, src.name, p.Namespace)}, Volume: v.Name})
			}
		}
	}
	return out
}

type containerVolumeSource struct {
	kind, name string
	optional   bool
}

// containerVolumeSources lists the ConfigMaps and Secrets a volume mounts.
func containerVolumeSources(v corev1.Volume) []containerVolumeSource {
	opt := func(b *bool) bool { return b != nil && *b }
	var out []containerVolumeSource
	switch {
	case v.ConfigMap != nil:
		out = append(out, containerVolumeSource{snapshot.KindConfigMap, v.ConfigMap.Name, opt(v.ConfigMap.Optional)})
	case v.Secret != nil:
		out = append(out, containerVolumeSource{snapshot.KindSecret, v.Secret.SecretName, opt(v.Secret.Optional)})
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			if src.ConfigMap != nil {
				out = append(out, containerVolumeSource{snapshot.KindConfigMap, src.ConfigMap.Name, opt(src.ConfigMap.Optional)})
			}
			if src.Secret != nil {
				out = append(out, containerVolumeSource{snapshot.KindSecret, src.Secret.Name, opt(src.Secret.Optional)})
			}
		}
	}
	return out
}

func containerMountFinding(s *snapshot.Snapshot, p *corev1.Pod, mounts []containerMount) diagnose.Finding {
	subject := s.SubjectOf(p)
	var ev []string
	for _, c := range containersOf(p) {
		if c.Status != nil {
			ev = append(ev, stateLine(c))
		}
	}
	var causes []string
	target, _ := fixTarget(s, p)
	fix := diagnose.EditCmd(target)
	for i, m := range mounts {
		ev = append(ev, m.Line)
		cause, evidence, f := containerMissingExplained(s, p, m.containerConfigObject)
		if m.Volume != "" {
			cause = fmt.Sprintf("volume %q cannot be mounted: %s", m.Volume, cause)
		}
		causes = append(causes, cause)
		ev = append(ev, evidence...)
		if i == 0 {
			fix = f
		}
	}
	return diagnose.Finding{
		Object:    subject,
		Container: containerMounting(p, mounts[0].Volume),
		Symptom:   fmt.Sprintf("pod %s/%s is stuck in ContainerCreating on node %s: its containers never start", p.Namespace, p.Name, p.Spec.NodeName),
		Cause:     strings.Join(causes, "; "),
		Evidence:  ev,
		Fix:       fix,
		Verify:    verifyPod(s, p),
		Origin:    originOf(s, subject),
	}
}

// containerMounting names the first container that mounts volume, the one
// the kubelet cannot start first; the pod's first container when none (or
// no volume) is named.
func containerMounting(p *corev1.Pod, volume string) string {
	cs := containersOf(p)
	for _, c := range cs {
		for _, m := range c.Spec.VolumeMounts {
			if m.Name == volume {
				return c.Spec.Name
			}
		}
	}
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Spec.Name
}

// containerMissingExplained turns a missing ConfigMap/Secret (or key) into a
// cause, the evidence from the input, and a fix: a patch of the reference
// when an object or key with a near-identical name exists (a typo), else an
// edit of the object that has to change.
func containerMissingExplained(s *snapshot.Snapshot, p *corev1.Pod, m containerConfigObject) (cause string, ev []string, fix string) {
	target, specPath := fixTarget(s, p)
	fix = diagnose.EditCmd(target)
	objRef := snapshot.ObjectRef{Kind: m.Kind, Namespace: p.Namespace, Name: m.Name}
	if m.Key != "" {
		cause = fmt.Sprintf("%s %s has no key %q", m.Kind, m.Name, m.Key)
		if m.Kind == snapshot.KindConfigMap {
			if cm := s.ConfigMap(p.Namespace, m.Name); cm != nil {
				keys := containerConfigMapKeys(cm)
				ev = append(ev, fmt.Sprintf("ConfigMap %s/%s has keys: %s", p.Namespace, m.Name, joinLimit(keys, 10)))
				for _, k := range keys {
					if typoOrStem(m.Key, k) {
						paths := containerKeyRefPaths(&p.Spec, m.Kind, m.Name, m.Key)
						if len(paths) > 0 && target.Kind != snapshot.KindPod {
							cause += fmt.Sprintf(" — it has %q: the reference most likely has a typo", k)
							return cause, ev, containerReplacePaths(target, specPath, paths, k)
						}
					}
				}
			}
			fix = diagnose.EditCmd(objRef)
			cause += fmt.Sprintf("; add the key to the ConfigMap or correct the key in the reference of %s", target)
		} else {
			// Secret data is never read: only say which key is asked for.
			cause += fmt.Sprintf("; add the key to the Secret or correct the key in the reference of %s", target)
		}
		return cause, ev, fix
	}
	cause = fmt.Sprintf("%s %q does not exist in namespace %s", m.Kind, m.Name, p.Namespace)
	var names []string
	if m.Kind == snapshot.KindConfigMap && s.Knows(snapshot.KindConfigMap, p.Namespace) {
		for _, cm := range s.ConfigMaps {
			if cm.Namespace == p.Namespace {
				names = append(names, cm.Name)
			}
		}
	} else if m.Kind == snapshot.KindSecret && s.Knows(snapshot.KindSecret, p.Namespace) {
		for _, sec := range s.Secrets {
			if sec.Namespace == p.Namespace {
				names = append(names, sec.Name)
			}
		}
	}
	if len(names) > 0 {
		closest := closestNames(m.Name, names, 3)
		ev = append(ev, fmt.Sprintf("%ss in namespace %s closest by name: %s", m.Kind, p.Namespace, strings.Join(closest, ", ")))
		if len(closest) > 0 && typoOrStem(m.Name, closest[0]) && target.Kind != snapshot.KindPod {
			if paths := containerNameRefPaths(&p.Spec, m.Kind, m.Name); len(paths) > 0 {
				cause += fmt.Sprintf(" — %s %q does: the reference most likely has a typo", m.Kind, closest[0])
				return cause, ev, containerReplacePaths(target, specPath, paths, closest[0])
			}
		}
	}
	cause += fmt.Sprintf("; create it in namespace %s or correct the reference in %s", p.Namespace, target)
	return cause, ev, fix
}

func containerConfigMapKeys(cm *corev1.ConfigMap) []string {
	keys := append(sortedKeys(cm.Data), sortedKeys(cm.BinaryData)...)
	sort.Strings(keys)
	return keys
}

// containerReplacePaths is a JSON patch that sets every given field (JSON
// pointers relative to the pod spec) to value.
func containerReplacePaths(target snapshot.ObjectRef, specPath string, paths []string, value string) string {
	ops := make([]diagnose.JSONPatchOp, 0, len(paths))
	for _, p := range paths {
		ops = append(ops, diagnose.JSONPatchOp{Op: "replace", Path: specPath + p, Value: value})
	}
	return diagnose.JSONPatchCmd(target, ops...)
}

// containerNameRefPaths lists the JSON pointers (relative to the pod spec)
// of every field that names the ConfigMap or Secret name.
func containerNameRefPaths(spec *corev1.PodSpec, kind, name string) []string {
	var out []string
	cm := kind == snapshot.KindConfigMap
	for _, c := range specContainers(spec) {
		for j, e := range c.Spec.Env {
			if e.ValueFrom == nil {
				continue
			}
			if cm && e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Name == name {
				out = append(out, fmt.Sprintf("%s/env/%d/valueFrom/configMapKeyRef/name", c.specPath(), j))
			}
			if !cm && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == name {
				out = append(out, fmt.Sprintf("%s/env/%d/valueFrom/secretKeyRef/name", c.specPath(), j))
			}
		}
		for j, e := range c.Spec.EnvFrom {
			if cm && e.ConfigMapRef != nil && e.ConfigMapRef.Name == name {
				out = append(out, fmt.Sprintf("%s/envFrom/%d/configMapRef/name", c.specPath(), j))
			}
			if !cm && e.SecretRef != nil && e.SecretRef.Name == name {
				out = append(out, fmt.Sprintf("%s/envFrom/%d/secretRef/name", c.specPath(), j))
			}
		}
	}
	for k, v := range spec.Volumes {
		switch {
		case cm && v.ConfigMap != nil && v.ConfigMap.Name == name:
			out = append(out, fmt.Sprintf("/volumes/%d/configMap/name", k))
		case !cm && v.Secret != nil && v.Secret.SecretName == name:
			out = append(out, fmt.Sprintf("/volumes/%d/secret/secretName", k))
		case v.Projected != nil:
			for l, src := range v.Projected.Sources {
				if cm && src.ConfigMap != nil && src.ConfigMap.Name == name {
					out = append(out, fmt.Sprintf("/volumes/%d/projected/sources/%d/configMap/name", k, l))
				}
				if !cm && src.Secret != nil && src.Secret.Name == name {
					out = append(out, fmt.Sprintf("/volumes/%d/projected/sources/%d/secret/name", k, l))
				}
			}
		}
	}
	return out
}

// containerKeyRefPaths lists the JSON pointers of env key references to
// key of the named ConfigMap or Secret.
func containerKeyRefPaths(spec *corev1.PodSpec, kind, name, key string) []string {
	var out []string
	for _, c := range specContainers(spec) {
		for j, e := range c.Spec.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; kind == snapshot.KindConfigMap && r != nil && r.Name == name && r.Key == key {
				out = append(out, fmt.Sprintf("%s/env/%d/valueFrom/configMapKeyRef/key", c.specPath(), j))
			}
			if r := e.ValueFrom.SecretKeyRef; kind == snapshot.KindSecret && r != nil && r.Name == name && r.Key == key {
				out = append(out, fmt.Sprintf("%s/env/%d/valueFrom/secretKeyRef/key", c.specPath(), j))
			}
		}
	}
	return out
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
