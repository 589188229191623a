package incidentgen

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

// DefaultCorefile is the Corefile kubeadm writes into the coredns ConfigMap.
const DefaultCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

// Background options let an incident change one part of the healthy
// background (the fault) while keeping the rest.
type Background struct {
	// Corefile replaces DefaultCorefile.
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
}

// Background adds the nodes, system namespaces, the default/kubernetes
// Service and CoreDNS.
func (c *Cluster) Background(opts ...Background) {
	var o Background
	if len(opts) > 0 {
		o = opts[0]
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		c.Namespace(ns, nil)
	}
	c.Node(NodeSpec{Name: ControlPlane, ControlPlane: true})
	c.Node(NodeSpec{Name: Worker1})
	c.Node(NodeSpec{Name: Worker2})
	c.kubernetesService()
	c.coreDNS(o)
}

// kubernetesService is the API server's Service and the endpoints the API
// server itself maintains for it.
func (c *Cluster) kubernetesService() {
	c.Service(Svc{Namespace: "default", Name: "kubernetes", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"},
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(6443)}}, ClusterIP: "10.96.0.1", Age: 90 * 24 * time.Hour})
	c.ManualEndpoints("default", "kubernetes")
	apiserver := c.NodeIP(ControlPlane)
	c.AddEndpoints(&corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kubernetes", Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: apiserver}},
			Ports: []corev1.EndpointPort{{Name: "https", Port: 6443, Protocol: corev1.ProtocolTCP}}}},
	})
	c.AddEndpointSlice(&discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "default", Name: "kubernetes", Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{apiserver}, Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("https"), Port: ptrTo(int32(6443)), Protocol: ptrTo(corev1.ProtocolTCP)}},
	})
}

func (c *Cluster) coreDNS(o Background) {
	corefile := o.Corefile
	if corefile == "" {
		corefile = DefaultCorefile
	}
	c.ConfigMap("kube-system", "coredns", map[string]string{"Corefile": corefile})
	podLabels := o.CoreDNSLabels
	if podLabels == nil {
		podLabels = map[string]string{"k8s-app": "kube-dns"}
	}
	nodes := o.CoreDNSNodes
	if nodes == nil {
		nodes = []string{ControlPlane, Worker1}
	}
	mem := o.CoreDNSMemoryLimit
	if mem == "" {
		mem = "170Mi"
	}
	c.Deployment(App{
		Namespace: "kube-system", Name: "coredns", Replicas: 2, Age: 90 * 24 * time.Hour,
		Labels: podLabels, ObjectLabels: map[string]string{"k8s-app": "kube-dns"},
		Nodes: nodes, States: o.CoreDNS,
		Containers: []corev1.Container{{
			Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.11.3",
			Args: []string{"-conf", "/etc/coredns/Corefile"},
			Ports: []corev1.ContainerPort{
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
				{Name: "metrics", ContainerPort: 9153, Protocol: corev1.ProtocolTCP},
			},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("70Mi")},
			},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromInt32(8080)}}, InitialDelaySeconds: 60, TimeoutSeconds: 5, FailureThreshold: 5},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8181)}}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "config-volume", MountPath: "/etc/coredns", ReadOnly: true}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptrTo(false), ReadOnlyRootFilesystem: ptrTo(true),
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}},
			},
		}},
		Pod: func(s *corev1.PodSpec) {
			s.DNSPolicy = corev1.DNSDefault
			s.PriorityClassName = "system-cluster-critical"
			s.ServiceAccountName = "coredns"
			s.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
			s.Tolerations = []corev1.Toleration{
				{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
				{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
			}
			s.Volumes = []corev1.Volume{{Name: "config-volume", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "coredns"},
				Items:                []corev1.KeyToPath{{Key: "Corefile", Path: "Corefile"}},
			}}}}
		},
	})
	if o.NoKubeDNSService {
		return
	}
	c.Service(Svc{Namespace: "kube-system", Name: "kube-dns", ClusterIP: ClusterDNS, Age: 90 * 24 * time.Hour,
		Labels:      map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
		Annotations: map[string]string{"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
		Selector:    map[string]string{"k8s-app": "kube-dns"},
		Ports: []corev1.ServicePort{
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
			{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
			{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9153)},
		}})
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
	ic := c.IngressClass("nginx", "k8s.io/ingress-nginx", o.DefaultClass)
	ic.Labels = ingressNginxLabels("controller")
	cm := c.ConfigMap("ingress-nginx", "ingress-nginx-controller", map[string]string{"allow-snippet-annotations": "false"})
	cm.Labels = ingressNginxLabels("controller")
	c.Secret("ingress-nginx", "ingress-nginx-admission", corev1.SecretTypeOpaque)
	sel := map[string]string{"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx"}
	podLabels := ingressNginxLabels("controller")
	delete(podLabels, "helm.sh/chart")
	args := []string{"/nginx-ingress-controller", "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller", "--election-id=ingress-nginx-leader",
		"--controller-class=k8s.io/ingress-nginx", "--ingress-class=nginx", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
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
