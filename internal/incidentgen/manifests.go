package incidentgen

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// FromManifests builds the healthy cluster state that applying the
// manifests of s to a fresh cluster would give once everything is up: the
// shared background, every workload with its pods Running and Ready,
// Services (LoadBalancers provisioned), Endpoints and EndpointSlices for the
// ready pods, and the manifests' ConfigMaps, Secrets, Ingresses and
// NetworkPolicies. A diagnosis of it must be as quiet as one of the
// manifests: whatever it reports is either a fair warning about the app or
// a false alarm.
func FromManifests(s *snapshot.Snapshot) *Cluster {
	c := New(Epoch)
	var background Background
	if len(s.Ingresses) > 0 {
		background.IngressNginx = &IngressNginxOptions{DefaultClass: true}
	}
	c.Background(background)
	for _, ns := range s.NamespaceNames() {
		c.ensureNamespace(ns)
	}
	for _, ns := range s.Namespaces {
		c.Namespace(ns.Name, ns.Labels)
	}
	lbIP := 0
	for _, svc := range s.Services {
		spec := Svc{Namespace: svc.Namespace, Name: svc.Name, Labels: svc.Labels, Annotations: svc.Annotations, Selector: svc.Spec.Selector,
			Ports: svc.Spec.Ports, Type: svc.Spec.Type, Headless: svc.Spec.ClusterIP == corev1.ClusterIPNone,
			ExternalTrafficPolicy: svc.Spec.ExternalTrafficPolicy, ExternalName: svc.Spec.ExternalName, PublishNotReady: svc.Spec.PublishNotReadyAddresses}
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			lbIP++
			spec.LoadBalancerIP = fmt.Sprintf("203.0.113.%d", 100+lbIP)
		}
		c.Service(spec)
	}
	for _, w := range s.Workloads() {
		c.addWorkload(w)
	}
	for _, cm := range s.ConfigMaps {
		out := c.ConfigMap(cm.Namespace, cm.Name, cm.Data)
		out.Labels, out.Annotations = cm.Labels, cm.Annotations
	}
	for _, sec := range s.Secrets {
		out := c.Secret(sec.Namespace, sec.Name, corev1.SecretTypeOpaque)
		out.Labels = sec.Labels
	}
	for _, ing := range s.Ingresses {
		c.Ingress(ing.DeepCopy())
	}
	for _, np := range s.NetworkPolicies {
		c.NetworkPolicy(np.DeepCopy())
	}
	return c
}

// addWorkload adds a manifest's workload with its template as written.
func (c *Cluster) addWorkload(w snapshot.Workload) {
	if w.Template == nil || metav1.GetControllerOf(w.Object) != nil {
		return
	}
	tmpl := w.Template.DeepCopy()
	a := App{
		Namespace: w.Ref.Namespace, Name: w.Ref.Name,
		Labels: tmpl.Labels, ObjectLabels: w.Object.GetLabels(), Annotations: w.Object.GetAnnotations(),
		Pod:   wholeSpec(tmpl.Spec),
		Age:   3 * 24 * time.Hour,
		Nodes: nil,
	}
	if a.ObjectLabels == nil {
		a.ObjectLabels = map[string]string{}
	}
	switch {
	case w.Selector != nil && len(w.Selector.MatchLabels) > 0:
		a.Selector = w.Selector.MatchLabels
	case w.MapSelector != nil:
		a.Selector = w.MapSelector
	}
	if w.Replicas != nil {
		a.Replicas = int(*w.Replicas)
	}
	switch w.Ref.Kind {
	case snapshot.KindDeployment:
		c.Deployment(a)
	case snapshot.KindStatefulSet:
		a.ServiceName = w.Object.(*appsv1.StatefulSet).Spec.ServiceName
		c.StatefulSet(a)
	case snapshot.KindDaemonSet:
		c.DaemonSet(a)
	case snapshot.KindReplicationController:
		c.ReplicationController(a)
	case snapshot.KindJob:
		c.Job(a)
	}
}
