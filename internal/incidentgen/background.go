package incidentgen

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// The healthy background every incident shares: a kubeadm-style cluster
// with one control-plane node and two workers, CoreDNS as kubeadm deploys
// it, and (where an incident needs one) ingress-nginx as its Helm chart
// installs it.
const (
	ControlPlane = "cp-1"
	Worker1      = "node-1"
	Worker2      = "node-2"
	// IngressIP is the address of the ingress controller's load balancer.
	IngressIP = "203.0.113.10"
	// ClusterDNS is the kube-dns Service address pods' resolv.conf names.
	ClusterDNS = "10.96.0.10"
)

// Background options let an incident change one part of the healthy
// background (the fault) while keeping the rest.
type Background struct {
	// Corefile replaces the kubeadm Corefile (clusterstate.Corefile).
	Corefile string
	// CoreDNS gives the coredns replicas their states (Ready when nil).
	CoreDNS []PodState
	// CoreDNSNodes places the coredns replicas.
	CoreDNSNodes []string
	// NoKubeDNSService leaves the kube-dns Service out.
	NoKubeDNSService bool
	// CoreDNSLabels replaces the coredns pod labels (k8s-app: kube-dns).
	CoreDNSLabels map[string]string
	// CoreDNSMemoryLimit replaces the 170Mi limit.
	CoreDNSMemoryLimit string
	// IngressNginx, when set, installs ingress-nginx with these options.
	IngressNginx *IngressNginxOptions
	// KubeletClusterDNS, when set, publishes kubeadm's kubelet
	// configuration (ConfigMap kube-system/kubelet-config) with this
	// clusterDNS: the nameserver every pod's resolv.conf names.
	KubeletClusterDNS string
	// KubeDNSClusterIP replaces the kube-dns Service's address (ClusterDNS)
	// and KubeDNSAge its age: a Service re-created since the cluster was
	// set up.
	KubeDNSClusterIP string
	KubeDNSAge       time.Duration
	// KubeDNSName replaces the name of the cluster DNS Service (kubespray
	// calls it coredns).
	KubeDNSName string
	// ServiceNetwork replaces the first three octets of the Service
	// network (10.96.0 by default): the kubernetes Service gets .1, kube-dns
	// .10 and other Services addresses from it.
	ServiceNetwork string
}

// Background adds the nodes, system namespaces, the default/kubernetes
// Service, CoreDNS and, when opts ask for it, ingress-nginx.
func (c *Cluster) Background(opts ...Background) {
	var o Background
	if len(opts) > 0 {
		o = opts[0]
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		c.Namespace(ns, nil)
	}
	if o.ServiceNetwork != "" {
		c.svcNet = o.ServiceNetwork
	}
	c.Node(NodeSpec{Name: ControlPlane, ControlPlane: true})
	c.Node(NodeSpec{Name: Worker1})
	c.Node(NodeSpec{Name: Worker2})
	c.kubernetesService()
	c.coreDNS(o)
	if o.IngressNginx != nil {
		c.IngressNginx(*o.IngressNginx)
	}
}

// kubernetesService is the API server's Service and the endpoints the API
// server itself maintains for it.
func (c *Cluster) kubernetesService() {
	c.Service(Svc{Namespace: "default", Name: "kubernetes", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"},
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(6443)}}, ClusterIP: c.serviceIP(1), Age: 90 * 24 * time.Hour})
	c.ManualEndpoints("default", "kubernetes")
	apiserver := c.NodeIP(ControlPlane)
	c.AddEndpoints(&corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kubernetes", Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: apiserver}},
			Ports: []corev1.EndpointPort{{Name: "https", Port: 6443, Protocol: corev1.ProtocolTCP}}}},
	})
	c.AddEndpointSlice(readySlice(metav1.ObjectMeta{Namespace: "default", Name: "kubernetes", Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		apiserver, "https", 6443))
}

// coreDNS installs CoreDNS as kubeadm does, with the changes o makes.
func (c *Cluster) coreDNS(o Background) {
	corefile := o.Corefile
	if corefile == "" {
		corefile = clusterstate.Corefile
	}
	c.ConfigMap("kube-system", "coredns", map[string]string{"Corefile": corefile})
	podLabels := o.CoreDNSLabels
	if podLabels == nil {
		podLabels = clusterstate.CoreDNSLabels()
	}
	nodes := o.CoreDNSNodes
	if nodes == nil {
		nodes = []string{ControlPlane, Worker1}
	}
	mem := o.CoreDNSMemoryLimit
	if mem == "" {
		mem = clusterstate.CoreDNSMemoryLimit
	}
	c.Deployment(App{
		Namespace: "kube-system", Name: "coredns", Replicas: clusterstate.CoreDNSReplicas, Age: 90 * 24 * time.Hour,
		Labels: podLabels, ObjectLabels: clusterstate.CoreDNSLabels(),
		Nodes: nodes, States: o.CoreDNS,
		Pod: wholeSpec(clusterstate.CoreDNSPodSpec(mem)),
	})
	if o.NoKubeDNSService {
		return
	}
	if o.KubeletClusterDNS != "" {
		c.ConfigMap("kube-system", "kubelet-config", map[string]string{"kubelet": clusterstate.KubeletConfiguration(o.KubeletClusterDNS, "cluster.local")})
	}
	ip, age := o.KubeDNSClusterIP, o.KubeDNSAge
	if ip == "" {
		ip = c.serviceIP(10)
	}
	if age == 0 {
		age = 90 * 24 * time.Hour
	}
	kubeDNS := clusterstate.KubeDNSService()
	if o.KubeDNSName != "" {
		kubeDNS.Name = o.KubeDNSName
	}
	c.Service(Svc{Namespace: kubeDNS.Namespace, Name: kubeDNS.Name, ClusterIP: ip, Age: age,
		Labels: kubeDNS.Labels, Annotations: kubeDNS.Annotations, Selector: kubeDNS.Spec.Selector, Ports: kubeDNS.Spec.Ports})
}

// IngressNginxOptions change the ingress-nginx install.
type IngressNginxOptions struct {
	// Controller gives the controller replica its state.
	Controller PodState
	// DefaultClass marks the nginx IngressClass as the cluster default.
	DefaultClass bool
	// ExtraArgs are appended to the controller's arguments.
	ExtraArgs []string
}

// ingressNginxLabels are the labels the ingress-nginx Helm chart puts on its
// controller objects.
func ingressNginxLabels(component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/instance":   "ingress-nginx",
		"app.kubernetes.io/managed-by": "Helm",
		"app.kubernetes.io/name":       "ingress-nginx",
		"app.kubernetes.io/part-of":    "ingress-nginx",
		"app.kubernetes.io/version":    "1.12.1",
		"helm.sh/chart":                "ingress-nginx-4.12.1",
	}
}

// IngressNginx installs ingress-nginx as its Helm chart does: namespace,
// IngressClass nginx, the controller Deployment, its LoadBalancer Service
// (provisioned at IngressIP) and the admission webhook Service.
func (c *Cluster) IngressNginx(opts ...IngressNginxOptions) {
	var o IngressNginxOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	c.Namespace("ingress-nginx", map[string]string{"app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx"})
	ic := c.IngressClass(clusterstate.IngressNginxClass, clusterstate.IngressNginxController, o.DefaultClass)
	ic.Labels = ingressNginxLabels("controller")
	cm := c.ConfigMap("ingress-nginx", "ingress-nginx-controller", map[string]string{"allow-snippet-annotations": "false"})
	cm.Labels = ingressNginxLabels("controller")
	c.Secret("ingress-nginx", "ingress-nginx-admission", corev1.SecretTypeOpaque)
	sel := map[string]string{"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx"}
	podLabels := ingressNginxLabels("controller")
	delete(podLabels, "helm.sh/chart")
	args := []string{"/nginx-ingress-controller", "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller", "--election-id=ingress-nginx-leader",
		"--controller-class=" + clusterstate.IngressNginxController, "--ingress-class=" + clusterstate.IngressNginxClass, "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
		"--validating-webhook=:8443", "--validating-webhook-certificate=/usr/local/certificates/cert", "--validating-webhook-key=/usr/local/certificates/key"}
	args = append(args, o.ExtraArgs...)
	health := func(delay int32, fail int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(10254)}},
			InitialDelaySeconds: delay, FailureThreshold: fail}
	}
	c.Deployment(App{
		Namespace: "ingress-nginx", Name: "ingress-nginx-controller", Age: 60 * 24 * time.Hour,
		Labels: podLabels, Selector: sel, ObjectLabels: ingressNginxLabels("controller"),
		Nodes: []string{Worker1}, States: []PodState{o.Controller},
		Containers: []corev1.Container{{
			Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.12.1",
			Args: args,
			Env: []corev1.EnvVar{
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
				{Name: "LD_PRELOAD", Value: "/usr/local/lib/libmimalloc.so"},
			},
			Ports:          []corev1.ContainerPort{ContainerPort("http", 80), ContainerPort("https", 443), ContainerPort("webhook", 8443)},
			LivenessProbe:  health(10, 5),
			ReadinessProbe: health(10, 3),
			Resources:      corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("90Mi")}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "webhook-cert", MountPath: "/usr/local/certificates/", ReadOnly: true}},
		}},
		Pod: func(s *corev1.PodSpec) {
			s.ServiceAccountName = "ingress-nginx"
			s.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
			s.TerminationGracePeriodSeconds = int64p(300)
			s.Volumes = []corev1.Volume{{Name: "webhook-cert", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "ingress-nginx-admission"}}}}
		},
	})
	c.Service(Svc{Namespace: "ingress-nginx", Name: "ingress-nginx-controller", Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: IngressIP,
		Labels: ingressNginxLabels("controller"), Selector: sel, Age: 60 * 24 * time.Hour,
		Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), AppProtocol: ptrTo("http")},
			{Name: "https", Port: 443, TargetPort: intstr.FromString("https"), AppProtocol: ptrTo("https")},
		}})
	c.Service(Svc{Namespace: "ingress-nginx", Name: "ingress-nginx-controller-admission", Labels: ingressNginxLabels("controller"), Selector: sel, Age: 60 * 24 * time.Hour,
		Ports: []corev1.ServicePort{{Name: "https-webhook", Port: 443, TargetPort: intstr.FromString("webhook"), AppProtocol: ptrTo("https")}}})
	c.SetIngressAddress(IngressIP)
}
