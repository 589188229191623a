package synth

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// system adds what every real cluster has and a whole-cluster dump shows:
// kube-system with a healthy CoreDNS behind the kube-dns Service, its
// Corefile, and the IngressClass the Ingresses name, all as the incident
// corpus has them (clusterstate). Without them a dump would look broken to a
// diagnosis that holds whole-cluster dumps to the full standard.
func (g *generator) system() {
	const ns = "kube-system"
	g.namespace(ns)
	labels := clusterstate.CoreDNSLabels()
	hash := g.suffix(10)
	created := g.ago(24 * 90)
	dep := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "coredns", Namespace: ns, UID: g.newUID(), Generation: 1, ResourceVersion: "310",
			CreationTimestamp: created, Labels: labels,
			Annotations: map[string]string{clusterstate.RevisionAnnotation: "1"},
		},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(clusterstate.CoreDNSReplicas)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: clusterstate.CoreDNSPodSpec(clusterstate.CoreDNSMemoryLimit)}},
	}
	rs := g.replicaSet(dep, hash, "311")
	var pods []*corev1.Pod
	for range clusterstate.CoreDNSReplicas {
		pods = append(pods, g.pod(ns, rs, podHealthy))
	}
	rs.Status = clusterstate.ReplicaSetStatus(rs, pods)
	dep.Status = clusterstate.DeploymentStatus(dep, rs, pods, g.now, true)
	svc := clusterstate.KubeDNSService()
	svc.UID, svc.ResourceVersion, svc.CreationTimestamp = g.newUID(), "320", created
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "172.20.0.10", []string{"172.20.0.10"}
	g.c.Deployments = append(g.c.Deployments, dep)
	g.c.ReplicaSets = append(g.c.ReplicaSets, rs)
	g.c.Services = append(g.c.Services, svc)
	g.endpoints(svc, pods)
	g.c.ConfigMaps = append(g.c.ConfigMaps, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: ns, UID: g.newUID(), ResourceVersion: "330", CreationTimestamp: created},
		Data:       map[string]string{"Corefile": clusterstate.Corefile},
	})
	g.c.IngressClasses = append(g.c.IngressClasses, &networkingv1.IngressClass{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IngressClass"},
		ObjectMeta: metav1.ObjectMeta{
			Name: clusterstate.IngressNginxClass, UID: g.newUID(), ResourceVersion: "400", CreationTimestamp: created,
			Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"},
		},
		Spec: networkingv1.IngressClassSpec{Controller: clusterstate.IngressNginxController},
	})
}
