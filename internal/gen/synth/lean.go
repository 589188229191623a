package synth

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// lean drops the fields a diagnosis does not read and a dump would still
// carry, keeping everything checks look at: labels, selectors, owners,
// ports, readiness, restart counts, container states, endpoint addresses
// with their target pods, event reasons and messages.
func (c *Cluster) lean() {
	for _, p := range c.Pods {
		leanMeta(&p.ObjectMeta)
		p.GenerateName = ""
		p.Spec.Tolerations = nil
		p.Spec.DNSPolicy, p.Spec.SchedulerName, p.Spec.RestartPolicy = "", "", ""
		p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "", ""
		p.Spec.TerminationGracePeriodSeconds = nil
		for i := range p.Spec.Containers {
			leanContainer(&p.Spec.Containers[i])
		}
		var conds []corev1.PodCondition
		for _, cd := range p.Status.Conditions {
			if cd.Type == corev1.PodReady {
				cd.LastTransitionTime = metav1.Time{}
				conds = append(conds, cd)
			}
		}
		p.Status.Conditions = conds
		p.Status.HostIPs, p.Status.PodIPs, p.Status.QOSClass, p.Status.StartTime = nil, nil, "", nil
		for i := range p.Status.ContainerStatuses {
			cs := &p.Status.ContainerStatuses[i]
			cs.ImageID, cs.ContainerID, cs.Started, cs.Image = "", "", nil, ""
			if cs.LastTerminationState.Terminated != nil {
				cs.LastTerminationState.Terminated.ContainerID = ""
				cs.LastTerminationState.Terminated.StartedAt = metav1.Time{}
			}
		}
		for i := range p.OwnerReferences {
			p.OwnerReferences[i].BlockOwnerDeletion = nil
		}
	}
	for _, n := range c.Nodes {
		leanMeta(&n.ObjectMeta)
		n.Spec.ProviderID = ""
		n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: n.Status.NodeInfo.KubeletVersion}
		var conds []corev1.NodeCondition
		for _, cd := range n.Status.Conditions {
			if cd.Type == corev1.NodeReady {
				conds = append(conds, cd)
			}
		}
		n.Status.Conditions = conds
	}
	for _, ns := range c.Namespaces {
		leanMeta(&ns.ObjectMeta)
		ns.Spec.Finalizers = nil
	}
	for _, s := range c.Services {
		leanMeta(&s.ObjectMeta)
		s.Spec.IPFamilies, s.Spec.IPFamilyPolicy, s.Spec.InternalTrafficPolicy, s.Spec.ClusterIPs = nil, nil, nil, nil
		s.Spec.SessionAffinity = ""
	}
	for _, e := range c.Endpoints {
		leanMeta(&e.ObjectMeta)
		e.Annotations = nil
		for i := range e.Subsets {
			for _, list := range [][]corev1.EndpointAddress{e.Subsets[i].Addresses, e.Subsets[i].NotReadyAddresses} {
				for j := range list {
					list[j].TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: list[j].TargetRef.Name}
					list[j].NodeName = nil
				}
			}
		}
	}
	for _, s := range c.EndpointSlices {
		leanMeta(&s.ObjectMeta)
		s.GenerateName, s.OwnerReferences, s.Annotations = "", nil, nil
		delete(s.Labels, "app")
		for i := range s.Endpoints {
			ep := &s.Endpoints[i]
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: ep.TargetRef.Name}
			ep.NodeName, ep.Zone, ep.Conditions.Serving, ep.Conditions.Terminating = nil, nil, nil, nil
		}
	}
	for _, d := range c.Deployments {
		leanMeta(&d.ObjectMeta)
		d.Annotations = nil
		d.Spec.RevisionHistoryLimit, d.Spec.ProgressDeadlineSeconds = nil, nil
		d.Spec.Strategy.RollingUpdate = nil
		leanTemplate(&d.Spec.Template)
		var conds []appsv1.DeploymentCondition
		for _, cd := range d.Status.Conditions {
			if cd.Type == appsv1.DeploymentAvailable {
				cd.LastUpdateTime, cd.Message = metav1.Time{}, ""
				conds = append(conds, cd)
			}
		}
		d.Status.Conditions = conds
	}
	for _, rs := range c.ReplicaSets {
		leanMeta(&rs.ObjectMeta)
		rs.Annotations = nil
		leanTemplate(&rs.Spec.Template)
		for i := range rs.OwnerReferences {
			rs.OwnerReferences[i].BlockOwnerDeletion = nil
		}
	}
	for _, in := range c.Ingresses {
		leanMeta(&in.ObjectMeta)
		in.Annotations = nil
	}
	for _, e := range c.Events {
		leanMeta(&e.ObjectMeta)
		e.InvolvedObject.UID, e.InvolvedObject.ResourceVersion = "", ""
		e.ReportingController, e.ReportingInstance, e.Source.Host = "", "", ""
	}
}

func leanMeta(m *metav1.ObjectMeta) {
	m.UID, m.ResourceVersion, m.Generation = "", "", 0
}

func leanContainer(c *corev1.Container) {
	c.TerminationMessagePath, c.TerminationMessagePolicy, c.ImagePullPolicy = "", "", ""
	c.Resources = corev1.ResourceRequirements{}
	if c.ReadinessProbe != nil {
		c.ReadinessProbe.SuccessThreshold, c.ReadinessProbe.TimeoutSeconds, c.ReadinessProbe.FailureThreshold = 0, 0, 0
		c.ReadinessProbe.HTTPGet.Scheme = ""
	}
}

func leanTemplate(t *corev1.PodTemplateSpec) {
	t.Spec.DNSPolicy, t.Spec.SchedulerName, t.Spec.RestartPolicy = "", "", ""
	t.Spec.TerminationGracePeriodSeconds = nil
	for i := range t.Spec.Containers {
		leanContainer(&t.Spec.Containers[i])
	}
}
