package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var portIncidents = []Incident{
	{
		Name:  "lb-target-port-not-listening",
		Check: "service-target-port-missing", Object: "Service/default/app", Layer: "service",
		Source:  "https://github.com/kubernetes/website/issues/16158",
		Summary: "LoadBalancer forwards to targetPort 8080, the container listens and probes on 3000: ERR_CONNECTION_REFUSED",
		Story: `The LoadBalancer got its external address but the browser gets ERR_CONNECTION_REFUSED. The
Node.js container declares containerPort 3000 and its probes pass on 3000; the Service forwards port
80 to targetPort 8080, where nothing listens. The endpoints list the pod at :8080.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "app", Image: "gcr.io/faltta-prod/backend:1.8.2", Ports: []corev1.ContainerPort{{ContainerPort: 3000}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/alive", Port: intstr.FromInt32(3000)}}, InitialDelaySeconds: 30},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/alive", Port: intstr.FromInt32(3000)}}, InitialDelaySeconds: 30}}
			c.Deployment(App{Namespace: "default", Name: "app", Containers: []corev1.Container{ct}})
			c.Service(Svc{Namespace: "default", Name: "app", Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: "35.204.18.77",
				Selector: labels("app", "app"), Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}})
		},
	},
	{
		Name:  "named-target-port-renamed",
		Check: "service-target-port-missing", Object: "Service/kube-system/metrics-server", Layer: "service",
		Source:  "https://github.com/kubernetes/kubernetes/issues/83145",
		Summary: "the metrics-server Service targets port name https; the upgraded pod names its port main-port: Endpoints <none>",
		Story: `After a cluster upgrade "kubectl top" fails and the v1beta1.metrics.k8s.io APIService is
unavailable. A leftover metrics-server Service from an old add-on targets the port by name
(targetPort: https), but the current metrics-server pod declares its port as main-port, so the
endpoints controller leaves the pod out: Endpoints has no addresses and the EndpointSlice lists the
pod with no port.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "metrics-server", Image: "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
				Args:           []string{"--cert-dir=/tmp", "--secure-port=4443", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--kubelet-use-node-status-port", "--metric-resolution=15s"},
				Ports:          []corev1.ContainerPort{ContainerPort("main-port", 4443)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("main-port"), Scheme: corev1.URISchemeHTTPS}}, InitialDelaySeconds: 20},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez", Port: intstr.FromString("main-port"), Scheme: corev1.URISchemeHTTPS}}}}
			c.Deployment(App{Namespace: "kube-system", Name: "metrics-server", Labels: labels("k8s-app", "metrics-server"),
				Containers: []corev1.Container{ct}, Pod: func(s *corev1.PodSpec) {
					s.ServiceAccountName = "metrics-server"
					s.PriorityClassName = "system-cluster-critical"
				}})
			c.Service(Svc{Namespace: "kube-system", Name: "metrics-server", Labels: labels("kubernetes.io/name", "Metrics-server", "addonmanager.kubernetes.io/mode", "Reconcile"),
				Selector: labels("k8s-app", "metrics-server"), Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromString("https")}}})
		},
	},
	{
		Name:  "named-target-port-http-vs-web",
		Check: "service-target-port-missing", Object: "Service/test/svc", Layer: "service",
		Source:  "https://github.com/kubernetes/kubernetes/issues/109627",
		Summary: "targetPort http, the containers name their port web: endpoints <none> while the EndpointSlice lists pods with PORTS <unset>",
		Story: `"Named target port is not working": the Service targets port name http, the Deployment's
containers declare their port 80 as web. kubectl get ep shows <none>; kubectl get endpointslice
shows both pod IPs with PORTS <unset>. Changing targetPort to 80 makes it work.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "nginx", Image: "nginx:1.27.3", Ports: []corev1.ContainerPort{ContainerPort("web", 80)},
				ReadinessProbe: HTTPProbe("/", intstr.FromString("web"))}
			c.Deployment(App{Namespace: "test", Name: "deploy", Replicas: 2, Labels: labels("app", "deploy"), Containers: []corev1.Container{ct}})
			c.Service(Svc{Namespace: "test", Name: "svc", Selector: labels("app", "deploy"), Ports: httpPort()})
		},
	},
	{
		Name:  "udp-listener-behind-tcp-service",
		Check: "service-protocol-mismatch", Object: "Service/monitoring/telegraf-polling", Layer: "service",
		Source:  "https://github.com/influxdata/tick-charts/pull/15",
		Summary: "statsd listens on 8125/UDP, the chart's Service port has no protocol and defaults to TCP: metrics silently dropped",
		Story: `Applications send StatsD metrics to telegraf-polling:8125 and nothing arrives in InfluxDB. The
telegraf container listens for statsd on 8125/UDP (and declares it so), but the chart's Service
template sets no protocol, so the Service port is 8125/TCP and UDP datagrams to the ClusterIP are
dropped.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "telegraf", Image: "telegraf:1.33.1",
				Ports: []corev1.ContainerPort{{Name: "statsd", ContainerPort: 8125, Protocol: corev1.ProtocolUDP}, {Name: "udp-listener", ContainerPort: 8092, Protocol: corev1.ProtocolUDP}}}
			c.Deployment(App{Namespace: "monitoring", Name: "telegraf-polling", Labels: labels("app", "telegraf-polling"), Containers: []corev1.Container{ct}})
			c.Service(Svc{Namespace: "monitoring", Name: "telegraf-polling", Labels: labels("app", "telegraf-polling", "chart", "telegraf-0.1.0"),
				Selector: labels("app", "telegraf-polling"),
				Ports:    []corev1.ServicePort{{Name: "statsd", Port: 8125, TargetPort: intstr.FromInt32(8125)}, {Name: "udp-listener", Port: 8092, TargetPort: intstr.FromInt32(8092)}}})
		},
	},
	{
		Name:  "ingress-assumes-port-80",
		Check: "ingress-backend-port-missing", Object: "Ingress/demo/podinfo", Layer: "ingress",
		Source:  "https://github.com/stefanprodan/podinfo/pull/90",
		Summary: "the Ingress template hard-codes service port 80; the podinfo Service exposes 9898: 503 from the controller",
		Story: `The podinfo chart's Ingress template assumes its Service listens on port 80 and writes backend
port 80, but the Service exposes 9898 (the chart's service.externalPort). ingress-nginx finds no
such port on the Service and answers 503 for podinfo.example.com.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "podinfo", Image: "ghcr.io/stefanprodan/podinfo:6.7.1", Command: []string{"./podinfo", "--port=9898", "--level=info"},
				Ports:          []corev1.ContainerPort{ContainerPort("http", 9898)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"podcli", "check", "http", "localhost:9898/readyz"}}}}}
			c.deploymentWithService(App{Namespace: "demo", Name: "podinfo", Replicas: 2, Containers: []corev1.Container{ct}}, NamedPort("http", 9898, "http"))
			c.Ingress(ingressFor("demo", "podinfo", "nginx", "podinfo.example.com", route("/", "podinfo", 80)))
		},
	},
	{
		Name:  "ingress-uses-container-port",
		Check: "ingress-backend-port-missing", Object: "Ingress/binder/binderhub", Layer: "ingress",
		Source:  "https://github.com/jupyterhub/binderhub/pull/988",
		Summary: "the Ingress names the container port 8585; the binder Service listens on 80: no backend for the route",
		Story: `The BinderHub Ingress routes to service binder on port 8585 — the container's port — while the
binder Service exposes port 80 (targetPort 8585). The backend port is not a port of the Service,
so the route has no upstream.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "binder", Image: "quay.io/jupyterhub/k8s-binderhub:1.0.0-0.dev.git.3624.h3d6fd4a",
				Ports:          []corev1.ContainerPort{ContainerPort("binder", 8585)},
				ReadinessProbe: HTTPProbe("/versions", intstr.FromString("binder"))}
			c.Deployment(App{Namespace: "binder", Name: "binder", Labels: labels("app", "binder", "component", "binder", "release", "binderhub"),
				Selector: labels("app", "binder", "component", "binder", "release", "binderhub"), Containers: []corev1.Container{ct}})
			c.Service(Svc{Namespace: "binder", Name: "binder", Selector: labels("app", "binder", "component", "binder", "release", "binderhub"),
				Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8585)}}})
			c.Ingress(ingressFor("binder", "binderhub", "nginx", "mybinder.example.org", route("/", "binder", 8585)))
		},
	},
}
