package clusterstate

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RevisionAnnotation is the deployment controller's revision number of a
// Deployment and of each of its ReplicaSets.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// ControllerRef is the ownerReference a controller sets on an object it
// made from owner (a ReplicaSet from its Deployment, a pod from its
// ReplicaSet, an EndpointSlice from its Service).
func ControllerRef(apiVersion, kind string, owner metav1.ObjectMeta) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: owner.Name, UID: owner.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}
}

// ReplicaSet is the ReplicaSet the deployment controller makes for d's
// current template, whose pod-template-hash is hash: named and labelled
// with the hash, selecting and stamping it on its pods, annotated with the
// replica counts and d's revision, owned by d. The caller gives it its
// identity (uid, resourceVersion, creationTimestamp); d must have its uid.
func ReplicaSet(d *appsv1.Deployment, hash string) *appsv1.ReplicaSet {
	replicas := *d.Spec.Replicas
	withHash := func(m map[string]string) map[string]string {
		out := maps.Clone(m)
		if out == nil {
			out = map[string]string{}
		}
		out[appsv1.DefaultDeploymentUniqueLabelKey] = hash
		return out
	}
	tmpl := *d.Spec.Template.DeepCopy()
	tmpl.Labels = withHash(tmpl.Labels)
	rs := &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Generation: 1,
			Labels: withHash(d.Spec.Template.Labels),
			Annotations: map[string]string{
				"deployment.kubernetes.io/desired-replicas": strconv.Itoa(int(replicas)),
				"deployment.kubernetes.io/max-replicas":     strconv.Itoa(int(replicas + (replicas+3)/4)),
				RevisionAnnotation:                          d.Annotations[RevisionAnnotation],
			},
			OwnerReferences: []metav1.OwnerReference{ControllerRef("apps/v1", "Deployment", d.ObjectMeta)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(replicas), Selector: &metav1.LabelSelector{MatchLabels: withHash(d.Spec.Selector.MatchLabels)}, Template: tmpl},
	}
	return rs
}

// replicaCounts counts the pods a workload controller counts (not
// Succeeded or Failed) and the ready ones among them.
func replicaCounts(pods []*corev1.Pod) (total, ready int32) {
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		total++
		if PodReady(p) {
			ready++
		}
	}
	return total, ready
}

// ReplicaSetStatus is the status the ReplicaSet controller writes for rs
// running pods.
func ReplicaSetStatus(rs *appsv1.ReplicaSet, pods []*corev1.Pod) appsv1.ReplicaSetStatus {
	total, ready := replicaCounts(pods)
	return appsv1.ReplicaSetStatus{Replicas: total, FullyLabeledReplicas: total, ReadyReplicas: ready, AvailableReplicas: ready, ObservedGeneration: rs.Generation}
}

// DeploymentStatus is the status the deployment controller writes at now
// for d, whose only ReplicaSet rs runs pods. Available follows the rolling
// update's maxUnavailable (a quarter of the replicas, rounded down).
// rolloutCompleted says whether rs's rollout completed before pods broke:
// the controller then keeps Progressing True (NewReplicaSetAvailable); a
// rollout that never completed times out after progressDeadlineSeconds.
func DeploymentStatus(d *appsv1.Deployment, rs *appsv1.ReplicaSet, pods []*corev1.Pod, now time.Time, rolloutCompleted bool) appsv1.DeploymentStatus {
	total, ready := replicaCounts(pods)
	created := d.CreationTimestamp
	want := *d.Spec.Replicas
	st := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: total, UpdatedReplicas: total, ReadyReplicas: ready, AvailableReplicas: ready}
	if total > ready {
		st.UnavailableReplicas = total - ready
	}
	avail := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
		Message: "Deployment has minimum availability.", LastUpdateTime: created, LastTransitionTime: created}
	if ready < want-want/4 {
		avail.Status, avail.Reason, avail.Message = corev1.ConditionFalse, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
	}
	prog := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
		Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", rs.Name), LastUpdateTime: created, LastTransitionTime: created}
	if ready < want && !rolloutCompleted {
		deadline := 600 * time.Second
		if d.Spec.ProgressDeadlineSeconds != nil {
			deadline = time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second
		}
		if now.Sub(created.Time) > deadline {
			prog.Status, prog.Reason, prog.Message = corev1.ConditionFalse, "ProgressDeadlineExceeded", fmt.Sprintf("ReplicaSet %q has timed out progressing.", rs.Name)
			prog.LastUpdateTime = metav1.NewTime(created.Add(deadline))
			prog.LastTransitionTime = prog.LastUpdateTime
		} else {
			prog.Reason, prog.Message = "ReplicaSetUpdated", fmt.Sprintf("ReplicaSet %q is progressing.", rs.Name)
		}
	}
	st.Conditions = []appsv1.DeploymentCondition{avail, prog}
	return st
}

// StatefulSetStatus is the status the StatefulSet controller writes for s
// running pods, all of the revision their controller-revision-hash label
// names.
func StatefulSetStatus(s *appsv1.StatefulSet, pods []*corev1.Pod) appsv1.StatefulSetStatus {
	total, ready := replicaCounts(pods)
	var rev string
	if len(pods) > 0 {
		rev = pods[0].Labels[appsv1.ControllerRevisionHashLabelKey]
	}
	return appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: total, ReadyReplicas: ready, CurrentReplicas: total, UpdatedReplicas: total,
		AvailableReplicas: ready, CurrentRevision: rev, UpdateRevision: rev, CollisionCount: ptr(int32(0))}
}

// DaemonSetStatus is the status the DaemonSet controller writes for ds
// running one of pods on each node it is scheduled to.
func DaemonSetStatus(ds *appsv1.DaemonSet, pods []*corev1.Pod) appsv1.DaemonSetStatus {
	_, ready := replicaCounts(pods)
	n := int32(len(pods))
	return appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, CurrentNumberScheduled: n, DesiredNumberScheduled: n, NumberReady: ready,
		UpdatedNumberScheduled: n, NumberAvailable: ready, NumberUnavailable: n - ready}
}

// ReplicationControllerStatus is the status the replication manager writes
// for rc running pods.
func ReplicationControllerStatus(rc *corev1.ReplicationController, pods []*corev1.Pod) corev1.ReplicationControllerStatus {
	total, ready := replicaCounts(pods)
	return corev1.ReplicationControllerStatus{Replicas: total, FullyLabeledReplicas: total, ReadyReplicas: ready, AvailableReplicas: ready, ObservedGeneration: rc.Generation}
}

// JobStatus is the status the Job controller writes for j, started when it
// was created, whose pods are still running.
func JobStatus(j *batchv1.Job, pods []*corev1.Pod) batchv1.JobStatus {
	total, ready := replicaCounts(pods)
	start := j.CreationTimestamp
	return batchv1.JobStatus{Active: total, Ready: ptr(ready), StartTime: &start, Terminating: ptr(int32(0)),
		UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{}}
}
