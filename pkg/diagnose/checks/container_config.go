package checks

// Containers that cannot be created because a ConfigMap or Secret (or a key
// of one) they load as env or mount as a volume is missing; a typo in the
// reference is patched.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// containerConfigError catches pods that never start because a ConfigMap or
// Secret they need (as env or as a volume) or one of its keys is missing.
var containerConfigError = &diagnose.Check{
	ID:       "container-config-error",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A container cannot be created: CreateContainerConfigError, or stuck in ContainerCreating on a missing ConfigMap/Secret volume.",
	Run:      runContainerConfigError,
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
			if containerConfigReason(c.waitingReason()) {
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
