package clusterstate

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The healthy background every generated cluster shares: CoreDNS behind
// the kube-dns Service as kubeadm installs it, and the IngressClass of
// ingress-nginx. A diagnosis of a whole-cluster dump holds kube-system to
// the same standard as the apps, so the background must be as real as they
// are.

// Corefile is the Corefile kubeadm writes into ConfigMap kube-system/coredns.
const Corefile = `.:53 {
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

// CoreDNSReplicas is how many coredns pods kubeadm runs.
const CoreDNSReplicas = 2

// CoreDNSMemoryLimit is the memory limit kubeadm gives the coredns
// container.
const CoreDNSMemoryLimit = "170Mi"

// CoreDNSLabels are the labels of kubeadm's coredns Deployment and pods,
// which the kube-dns Service selects.
func CoreDNSLabels() map[string]string { return map[string]string{"k8s-app": "kube-dns"} }

// CoreDNSPodSpec is the pod spec of kubeadm's coredns Deployment, its
// container limited to memoryLimit (CoreDNSMemoryLimit as installed). Its
// probes carry every field, as a dump shows them.
func CoreDNSPodSpec(memoryLimit string) corev1.PodSpec {
	probe := func(path string, port int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(port), Scheme: corev1.URISchemeHTTP}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
	}
	liveness := probe("/health", 8080)
	liveness.InitialDelaySeconds, liveness.TimeoutSeconds, liveness.FailureThreshold = 60, 5, 5
	return corev1.PodSpec{
		PriorityClassName:  "system-cluster-critical",
		ServiceAccountName: "coredns",
		DNSPolicy:          corev1.DNSDefault,
		NodeSelector:       map[string]string{"kubernetes.io/os": "linux"},
		Tolerations: []corev1.Toleration{
			{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
			{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
		},
		Containers: []corev1.Container{{
			Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.11.3", Args: []string{"-conf", "/etc/coredns/Corefile"},
			Ports: []corev1.ContainerPort{
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
				{Name: "metrics", ContainerPort: 9153, Protocol: corev1.ProtocolTCP},
			},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memoryLimit)},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("70Mi")},
			},
			LivenessProbe:  liveness,
			ReadinessProbe: probe("/ready", 8181),
			VolumeMounts:   []corev1.VolumeMount{{Name: "config-volume", MountPath: "/etc/coredns", ReadOnly: true}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}},
			},
		}},
		Volumes: []corev1.Volume{{Name: "config-volume", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "coredns"},
			Items:                []corev1.KeyToPath{{Key: "Corefile", Path: "Corefile"}},
		}}}},
	}
}

// KubeDNSService is the kube-dns Service kubeadm creates in kube-system:
// labels, scrape annotations, selector and the DNS and metrics ports. The
// caller gives it its cluster IP (the tenth address of the Service range)
// and its identity.
func KubeDNSService() *corev1.Service {
	return &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns",
			Labels:      map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
			Annotations: map[string]string{"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
		},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: CoreDNSLabels(),
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
				{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9153)},
			},
		},
	}
}

// KubeletConfiguration is the kubelet configuration kubeadm publishes in
// ConfigMap kube-system/kubelet-config (key kubelet) and writes to every
// node: clusterDNS is the nameserver the kubelet puts into each pod's
// resolv.conf, clusterDomain its search domain.
func KubeletConfiguration(clusterDNS, clusterDomain string) string {
	return `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
- ` + clusterDNS + `
clusterDomain: ` + clusterDomain + `
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
resolvConf: /run/systemd/resolve/resolv.conf
rotateCertificates: true
runtimeRequestTimeout: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`
}

// IngressNginxClass and IngressNginxController are the IngressClass
// ingress-nginx installs and the controller name it serves.
const (
	IngressNginxClass      = "nginx"
	IngressNginxController = "k8s.io/ingress-nginx"
)
