package clusterstate

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func webDeployment(replicas int32, age time.Duration) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "dep-uid", Generation: 4,
			CreationTimestamp: metav1.NewTime(changed.Add(-age)), Annotations: map[string]string{RevisionAnnotation: "4"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(replicas), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}}},
	}
}

func TestReplicaSet(t *testing.T) {
	d := webDeployment(4, time.Hour)
	rs := ReplicaSet(d, "7d9f8b6c5d")
	if rs.Name != "web-7d9f8b6c5d" || rs.Namespace != "shop" || rs.OwnerReferences[0].UID != "dep-uid" || !*rs.OwnerReferences[0].Controller {
		t.Errorf("metadata %+v", rs.ObjectMeta)
	}
	for what, m := range map[string]map[string]string{"labels": rs.Labels, "selector": rs.Spec.Selector.MatchLabels, "template labels": rs.Spec.Template.Labels} {
		if m["app"] != "web" || m[appsv1.DefaultDeploymentUniqueLabelKey] != "7d9f8b6c5d" {
			t.Errorf("%s %v lack app or the pod-template-hash", what, m)
		}
	}
	if _, ok := d.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; ok {
		t.Error("the Deployment's template was given the hash")
	}
	if a := rs.Annotations; a["deployment.kubernetes.io/desired-replicas"] != "4" || a["deployment.kubernetes.io/max-replicas"] != "5" || a[RevisionAnnotation] != "4" {
		t.Errorf("annotations %v", a)
	}
}

func TestDeploymentStatus(t *testing.T) {
	pods := func(ready, unready int) []*corev1.Pod {
		var out []*corev1.Pod
		for i := range ready + unready {
			p := webPod("p"+string(rune('a'+i)), "10.244.1.2")
			if i >= ready {
				notReady(p)
			}
			out = append(out, p)
		}
		return out
	}
	tests := []struct {
		name              string
		replicas          int32
		ready, unready    int
		age               time.Duration
		completed         bool
		available         corev1.ConditionStatus
		progressingReason string
	}{
		{"all ready", 4, 4, 0, time.Hour, false, corev1.ConditionTrue, "NewReplicaSetAvailable"},
		{"one of four down is within maxUnavailable", 4, 3, 1, time.Hour, false, corev1.ConditionTrue, "ProgressDeadlineExceeded"},
		{"two of four down is not", 4, 2, 2, time.Hour, false, corev1.ConditionFalse, "ProgressDeadlineExceeded"},
		{"a young rollout is still progressing", 2, 0, 2, 5 * time.Minute, false, corev1.ConditionFalse, "ReplicaSetUpdated"},
		{"pods that broke after a completed rollout", 2, 0, 2, time.Hour, true, corev1.ConditionFalse, "NewReplicaSetAvailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := webDeployment(tt.replicas, tt.age)
			rs := ReplicaSet(d, "h")
			ps := pods(tt.ready, tt.unready)
			st := DeploymentStatus(d, rs, ps, changed, tt.completed)
			if st.ObservedGeneration != 4 || st.Replicas != int32(tt.ready+tt.unready) || st.ReadyReplicas != int32(tt.ready) || st.UnavailableReplicas != int32(tt.unready) {
				t.Errorf("counts %+v", st)
			}
			if len(st.Conditions) != 2 || st.Conditions[0].Type != appsv1.DeploymentAvailable || st.Conditions[1].Type != appsv1.DeploymentProgressing {
				t.Fatalf("conditions %+v, want Available then Progressing", st.Conditions)
			}
			if st.Conditions[0].Status != tt.available || st.Conditions[1].Reason != tt.progressingReason {
				t.Errorf("Available %s, Progressing %s; want %s, %s", st.Conditions[0].Status, st.Conditions[1].Reason, tt.available, tt.progressingReason)
			}
			if rst := ReplicaSetStatus(rs, ps); rst.ReadyReplicas != int32(tt.ready) || rst.Replicas != int32(tt.ready+tt.unready) {
				t.Errorf("ReplicaSet status %+v", rst)
			}
		})
	}
}
