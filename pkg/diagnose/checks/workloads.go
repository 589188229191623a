package checks

// Pods and the workloads that own them: evidence names a Deployment once
// rather than each replica, and a fix of a pod's spec goes to the object
// that owns it (a pod's spec is mostly immutable, and a patched pod would be
// replaced from the old template anyway).

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// podGroup is the pods of one owner (or one bare pod).
type podGroup struct {
	Owner snapshot.ObjectRef // the workload, or the Pod itself when it has no known owner
	Pods  []*corev1.Pod
}

// groupByOwner groups pods by their top-level owner, in input order.
func groupByOwner(s *snapshot.Snapshot, pods []*corev1.Pod) []podGroup {
	var out []podGroup
	at := map[snapshot.ObjectRef]int{}
	for _, p := range pods {
		ref := ownerOrPod(s, p)
		i, seen := at[ref]
		if !seen {
			i = len(out)
			at[ref] = i
			out = append(out, podGroup{Owner: ref})
		}
		out[i].Pods = append(out[i].Pods, p)
	}
	return out
}

// ownerOrPod is the top-level owner of p, or p itself when it has no known
// owner.
func ownerOrPod(s *snapshot.Snapshot, p *corev1.Pod) snapshot.ObjectRef {
	if ref, ok := s.OwnerOf(p); ok {
		return ref
	}
	return snapshot.Ref(snapshot.KindPod, p)
}

// podLabel names a pod in evidence: the workload for a template pod
// (which does not exist), otherwise the pod and its owner.
func podLabel(s *snapshot.Snapshot, p *corev1.Pod) string {
	if snapshot.IsTemplatePod(p) {
		return s.SubjectOf(p).String() + " (pod template)"
	}
	ref := snapshot.Ref(snapshot.KindPod, p)
	if owner, ok := s.OwnerOf(p); ok {
		return ref.String() + " (of " + owner.String() + ")"
	}
	return ref.String()
}

// groupLabel names a group of pods in evidence.
func groupLabel(s *snapshot.Snapshot, g podGroup) string {
	if len(g.Pods) == 1 {
		return podLabel(s, g.Pods[0])
	}
	return fmt.Sprintf("%s (%d pods)", g.Owner, len(g.Pods))
}

// typedName is kind/name as kubectl rollout, set and exec take an object.
func typedName(ref snapshot.ObjectRef) string {
	return strings.ToLower(ref.Kind) + "/" + ref.Name
}

// templatePath is the path of the pod template in a workload of kind, as
// nested keys.
func templatePath(kind string) []string {
	if kind == snapshot.KindCronJob {
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"spec", "template"}
}

// podSpecPath is the JSON pointer of the pod spec inside an object of
// kind, for patches of containers, volumes and probes.
func podSpecPath(kind string) (string, bool) {
	switch kind {
	case snapshot.KindPod:
		return "/spec", true
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet, snapshot.KindReplicaSet,
		snapshot.KindReplicationController, snapshot.KindJob, snapshot.KindCronJob:
		return "/" + strings.Join(templatePath(kind), "/") + "/spec", true
	}
	return "", false
}

// fixTarget is the object a fix of p's spec must change: the workload that
// owns it, or the pod itself when it has no known owner. The second value
// is the JSON pointer of the pod spec in it.
func fixTarget(s *snapshot.Snapshot, p *corev1.Pod) (snapshot.ObjectRef, string) {
	if ref, ok := s.OwnerOf(p); ok {
		if path, ok := podSpecPath(ref.Kind); ok {
			return ref, path
		}
	}
	return snapshot.Ref(snapshot.KindPod, p), "/spec"
}

// verifyPod is the command that shows a fix of p's spec took effect: the
// rollout status of its workload, or the pod itself.
func verifyPod(s *snapshot.Snapshot, p *corev1.Pod) string {
	ref, _ := fixTarget(s, p)
	switch ref.Kind {
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet:
		return diagnose.KubectlOn([]string{"rollout", "status", "-n", ref.Namespace}, typedName(ref))
	}
	if snapshot.IsTemplatePod(p) || ref.Kind != snapshot.KindPod {
		return diagnose.Kubectl("get", "pods", "-n", p.Namespace, "-l", replicaSelector(p.Labels))
	}
	return diagnose.GetCmd(snapshot.Ref(snapshot.KindPod, p))
}

// containerFinding is a finding about container c of pod p: named on the
// pod's subject (the workload a template pod stands for) and verified on
// the pod or its workload's rollout, like every container-layer finding.
func containerFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, symptom, cause string, evidence []string, fix string) diagnose.Finding {
	subject := s.SubjectOf(p)
	return diagnose.Finding{
		Object: subject, Container: c.Spec.Name,
		Symptom: symptom, Cause: cause, Evidence: evidence, Fix: fix,
		Verify: verifyPod(s, p), Origin: originOf(s, subject),
	}
}

// immutablePodNote explains, for a bare pod, how to apply a change kubectl
// edit rejects.
const immutablePodNote = "a Pod's spec cannot be changed in place: kubectl edit saves the rejected change to a temporary file; recreate the pod from it with `kubectl replace --force -f <that file>`"
