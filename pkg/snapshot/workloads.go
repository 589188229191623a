package snapshot

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (s *Snapshot) collectWorkloads() []Workload {
	out := make([]Workload, 0, len(s.Deployments)+len(s.StatefulSets)+len(s.DaemonSets)+
		len(s.ReplicaSets)+len(s.ReplicationControllers)+len(s.Jobs)+len(s.CronJobs))
	for _, o := range s.Deployments {
		out = append(out, Workload{Ref: Ref(KindDeployment, o), Selector: o.Spec.Selector, Template: &o.Spec.Template, Replicas: o.Spec.Replicas, Object: o})
	}
	for _, o := range s.StatefulSets {
		out = append(out, Workload{Ref: Ref(KindStatefulSet, o), Selector: o.Spec.Selector, Template: &o.Spec.Template, Replicas: o.Spec.Replicas, Object: o})
	}
	for _, o := range s.DaemonSets {
		out = append(out, Workload{Ref: Ref(KindDaemonSet, o), Selector: o.Spec.Selector, Template: &o.Spec.Template, Object: o})
	}
	for _, o := range s.ReplicaSets {
		out = append(out, Workload{Ref: Ref(KindReplicaSet, o), Selector: o.Spec.Selector, Template: &o.Spec.Template, Replicas: o.Spec.Replicas, Object: o})
	}
	for _, o := range s.ReplicationControllers {
		w := Workload{Ref: Ref(KindReplicationController, o), MapSelector: o.Spec.Selector, Template: o.Spec.Template, Replicas: o.Spec.Replicas, Object: o}
		out = append(out, w)
	}
	for _, o := range s.Jobs {
		out = append(out, Workload{Ref: Ref(KindJob, o), Selector: o.Spec.Selector, Template: &o.Spec.Template, Object: o})
	}
	for _, o := range s.CronJobs {
		out = append(out, Workload{Ref: Ref(KindCronJob, o), Selector: o.Spec.JobTemplate.Spec.Selector, Template: &o.Spec.JobTemplate.Spec.Template, Object: o})
	}
	return out
}

// templatePods makes one stand-in Pod per top-level workload, named after the
// workload, carrying its template's labels and spec and no status. Workloads
// owned by another controller (a Deployment's ReplicaSet, a CronJob's Job)
// are left out so that one template yields one pod.
func templatePods(workloads []Workload) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(workloads))
	for _, w := range workloads {
		if w.Template == nil || metav1.GetControllerOf(w.Object) != nil {
			continue
		}
		p := &corev1.Pod{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: KindPod},
			ObjectMeta: metav1.ObjectMeta{
				Name:        w.Ref.Name,
				Namespace:   w.Ref.Namespace,
				Labels:      w.Template.Labels,
				Annotations: map[string]string{TemplateAnnotation: w.Ref.String()},
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "apps/v1", Kind: w.Ref.Kind, Name: w.Ref.Name, Controller: ptrTrue(),
				}},
			},
			Spec: w.Template.Spec,
		}
		for k, v := range w.Template.Annotations {
			p.Annotations[k] = v
		}
		out = append(out, p)
	}
	return out
}

func ptrTrue() *bool { t := true; return &t }
