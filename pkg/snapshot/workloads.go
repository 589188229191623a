// Workloads are the controllers that make pods. A finding about a pod is
// often about its workload's template, so the snapshot knows each pod's owner
// and, for plain manifests, makes stand-in pods from the templates.

package snapshot

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// collectWorkloads lists every pod-creating controller, kind by kind, in
// input order.
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

// OwnerOf returns the top-level workload that owns a pod (a ReplicaSet's
// Deployment, a Job's CronJob), or false when the pod has no known owner. For
// pods made from templates it is the workload they were made from.
func (s *Snapshot) OwnerOf(p *corev1.Pod) (ObjectRef, bool) {
	idx := s.indexed()
	if t := p.Annotations[TemplateAnnotation]; t != "" {
		for _, o := range p.OwnerReferences {
			return ObjectRef{Kind: o.Kind, Namespace: p.Namespace, Name: o.Name}, true
		}
	}
	ctrl := metav1.GetControllerOf(p)
	if ctrl == nil {
		return ObjectRef{}, false
	}
	ref := ObjectRef{Kind: ctrl.Kind, Namespace: p.Namespace, Name: ctrl.Name}
	switch ctrl.Kind {
	case KindReplicaSet:
		if rs := idx.replicaSets[nsName{p.Namespace, ctrl.Name}]; rs != nil {
			if up := metav1.GetControllerOf(rs); up != nil && up.Kind == KindDeployment {
				return ObjectRef{Kind: KindDeployment, Namespace: p.Namespace, Name: up.Name}, true
			}
		} else if name, ok := deploymentOfReplicaSet(ctrl.Name, p.Labels); ok {
			return ObjectRef{Kind: KindDeployment, Namespace: p.Namespace, Name: name}, true
		}
	case KindJob:
		if w := idx.workloadBy[ref]; w != nil {
			if up := metav1.GetControllerOf(w.Object); up != nil && up.Kind == KindCronJob {
				return ObjectRef{Kind: KindCronJob, Namespace: p.Namespace, Name: up.Name}, true
			}
		}
	}
	return ref, true
}

// deploymentOfReplicaSet recovers a Deployment name from a ReplicaSet name
// "<deployment>-<pod-template-hash>" when the ReplicaSet itself is not in the
// input (a dump of pods only).
func deploymentOfReplicaSet(rsName string, podLabels map[string]string) (string, bool) {
	hash := podLabels[appsv1.DefaultDeploymentUniqueLabelKey]
	if hash == "" || len(rsName) <= len(hash)+1 || rsName[len(rsName)-len(hash)-1:] != "-"+hash {
		return "", false
	}
	return rsName[:len(rsName)-len(hash)-1], true
}

// IsTemplatePod reports whether p was made from a workload template rather
// than read from the input.
func IsTemplatePod(p *corev1.Pod) bool {
	return p.Annotations[TemplateAnnotation] != ""
}

// SubjectOf is the object a finding about pod p should name: the pod itself,
// or, for a pod made from a template, the workload it stands in for (a
// template pod does not exist, so there is nothing to get or patch by its
// name).
func (s *Snapshot) SubjectOf(p *corev1.Pod) ObjectRef {
	if IsTemplatePod(p) {
		if ref, ok := s.OwnerOf(p); ok {
			return ref
		}
	}
	return Ref(KindPod, p)
}
