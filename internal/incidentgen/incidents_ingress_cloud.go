package incidentgen

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// cloudIngressIncidents are Ingresses served by a cloud load balancer that
// reaches backends through node ports, in front of ClusterIP Services.
func cloudIngressIncidents() []Incident {
	return []Incident{
		{
			Name:  "gce-ingress-clusterip-rabbitmq-management",
			Check: "ingress-cloud-backend-type", Object: "Ingress/default/rabbitmq", Layer: "ingress",
			Source:  "https://github.com/helm/charts/issues/9628",
			Summary: "the RabbitMQ chart's Ingress on GKE routes to a ClusterIP Service: the GCE controller fails with namedPorts[9].port: '0'",
			Story: `With ingress.enabled=true the RabbitMQ chart creates an Ingress for the management UI and keeps
its Service of type ClusterIP. On GKE the Ingress is served by the GCE load balancer controller,
which reaches backends through node ports; the Service has none, and the controller keeps
failing: "googleapi: Error 400: Invalid value for field 'namedPorts[9].port': '0'. Must be greater
than or equal to 1, invalid".`,
			Build: func(c *Cluster) {
				rmq := corev1.Container{Name: "rabbitmq", Image: "docker.io/bitnami/rabbitmq:3.7.8",
					Ports:          []corev1.ContainerPort{ContainerPort("epmd", 4369), ContainerPort("amqp", 5672), ContainerPort("dist", 25672), ContainerPort("stats", 15672)},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "rabbitmqctl status"}}}}}
				c.StatefulSet(App{Namespace: "default", Name: "rabbitmq", ServiceName: "rabbitmq-headless", Containers: []corev1.Container{rmq}})
				ports := []corev1.ServicePort{NamedPort("epmd", 4369, "epmd"), NamedPort("amqp", 5672, "amqp"), NamedPort("dist", 25672, "dist"), NamedPort("stats", 15672, "stats")}
				c.Service(Svc{Namespace: "default", Name: "rabbitmq", Selector: labels("app", "rabbitmq"), Ports: ports})
				c.Service(Svc{Namespace: "default", Name: "rabbitmq-headless", Headless: true, Selector: labels("app", "rabbitmq"), Ports: ports})
				ing := c.Ingress(annotated(ingressFor("default", "rabbitmq", "", "rabbitmq.example.com", route("/", "rabbitmq", 15672)),
					"kubernetes.io/ingress.class", "gce"))
				c.ingressWarning(ing, "GCE", "loadbalancer-controller", 17, gceNamedPortZero(9))
			},
		},
		{
			Name:  "gce-ingress-clusterip-grafana",
			Check: "ingress-cloud-backend-type", Object: "Ingress/monitoring/grafana", Layer: "ingress",
			Source:  "https://github.com/prometheus-operator/prometheus-operator/issues/918",
			Summary: "Grafana's Ingress of class gce with a static IP fronts a ClusterIP Service: the GCE controller rejects the backend with port 0",
			Story: `Grafana was installed with ingress.enabled, class gce, a global static IP and HTTPS only, and
the service type left at its default, ClusterIP. The Ingress gets its address but the load
balancer has no backend: "googleapi: Error 400: Invalid value for field 'namedPorts[0].port': '0'.
Must be greater than or equal to 1, invalid". The GCE Ingress needs NodePort Services (or
container-native load balancing).`,
			Build: func(c *Cluster) {
				g := web("grafana", "grafana/grafana:4.6.3", 3000, "/api/health")
				c.deploymentWithService(App{Namespace: "monitoring", Name: "grafana", Containers: []corev1.Container{g}}, NamedPort("service", 80, "http"))
				c.Secret("monitoring", "grafana-tls", corev1.SecretTypeTLS)
				ing := withTLS(annotated(ingressFor("monitoring", "grafana", "", "my.site.com", route("/", "grafana", 80)),
					"kubernetes.io/ingress.class", "gce", "kubernetes.io/ingress.global-static-ip-name", "grafana-customer",
					"kubernetes.io/ingress.allow-http", "false", "ingress.kubernetes.io/force-ssl-redirect", "true"), "grafana-tls")
				c.Ingress(ing)
				c.ingressWarning(ing, "GCE", "loadbalancer-controller", 9, gceNamedPortZero(0))
			},
		},
		{
			Name:  "alb-instance-targets-clusterip-service",
			Check: "ingress-cloud-backend-type", Object: "Ingress/default/myapp", Layer: "ingress",
			Source:  "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1695",
			Summary: "an alb Ingress without target-type (instance by default) fronts a ClusterIP Service: minimum field value of 1, CreateTargetGroupInput.Port",
			Story: `An application chart's Ingress uses the AWS Load Balancer Controller (kubernetes.io/ingress.class:
alb, internet-facing) and leaves alb.ingress.kubernetes.io/target-type unset, so the controller
works in instance mode: it registers the nodes on the Service's node port. The Service is
ClusterIP and has none, and every reconcile fails with "InvalidParameter: 1 validation error(s)
found. - minimum field value of 1, CreateTargetGroupInput.Port."`,
			Build: func(c *Cluster) {
				c.awsLoadBalancerController()
				c.webApp("default", "myapp", "registry.example.com/myapp:0.1.6", 8080, 1)
				ing := c.Ingress(annotated(ingressFor("default", "myapp", "", "*.sub.mydomain.com", route("/", "myapp", 80)),
					"kubernetes.io/ingress.class", "alb", "alb.ingress.kubernetes.io/scheme", "internet-facing", "external-dns.alpha.kubernetes.io/hostname", "sub.mydomain.com"))
				c.ingressWarning(ing, "FailedDeployModel", "ingress", 12, albTargetGroupPortZero)
			},
		},
		{
			Name:  "alb-argocd-grpc-clusterip-service",
			Check: "ingress-cloud-backend-type", Object: "Ingress/argocd/argocd-server", Layer: "ingress",
			Source:  "https://github.com/argoproj/argo-helm/issues/1514",
			Summary: "Argo CD's documented ALB setup keeps argocd-server ClusterIP while the Ingress uses instance targets: the ALB rules are never created",
			Story: `Following the chart's instructions for the AWS Load Balancer Controller with gRPC, argocd-server
keeps serviceType ClusterIP and the Ingress (class alb) sets no target type, so the controller
uses instance targets, which need a node port. The Ingress shows "Failed deploy model due to
InvalidParameter: 1 validation error(s) found. - minimum field value of 1,
CreateTargetGroupInput.Port." and the ALB never routes to Argo CD; changing the Service to
NodePort fixes it.`,
			Build: func(c *Cluster) {
				c.awsLoadBalancerController()
				c.IngressClass("alb", "ingress.k8s.aws/alb", false)
				server := corev1.Container{Name: "server", Image: "quay.io/argoproj/argocd:v2.4.14", Args: []string{"/usr/local/bin/argocd-server", "--insecure"},
					Ports:          []corev1.ContainerPort{ContainerPort("server", 8080), ContainerPort("metrics", 8083)},
					ReadinessProbe: HTTPProbe("/healthz", intstr.FromInt32(8080))}
				sl := labels("app.kubernetes.io/name", "argocd-server", "app.kubernetes.io/instance", "argocd")
				c.Deployment(App{Namespace: "argocd", Name: "argocd-server", Labels: sl, Containers: []corev1.Container{server}})
				c.Service(Svc{Namespace: "argocd", Name: "argocd-server", Selector: sl,
					Ports: []corev1.ServicePort{NamedPort("http", 80, "server"), NamedPort("https", 443, "server")}})
				ing := ingressFor("argocd", "argocd-server", "alb", "argocd.example.com", route("/", "argocd-server", 443))
				c.Ingress(annotated(ing, "alb.ingress.kubernetes.io/backend-protocol", "HTTPS", "alb.ingress.kubernetes.io/listen-ports", `[{"HTTPS":443}]`))
				c.ingressWarning(ing, "FailedDeployModel", "ingress", 7, albTargetGroupPortZero)
			},
		},
	}
}

// ingressWarning records the Warning a controller keeps emitting about
// ing, count times in the last count minutes.
func (c *Cluster) ingressWarning(ing *networkingv1.Ingress, reason, component string, count int32, message string) {
	c.Event(EventSpec{Object: objectRef("Ingress", "networking.k8s.io/v1", ing.ObjectMeta), Reason: reason, Component: component,
		Count: count, First: time.Duration(count) * 2 * time.Minute, Last: time.Minute, Message: message})
}

// gceNamedPortZero is the GCE load balancer controller's error for a
// backend Service without a node port: the n-th named port of the
// instance group is 0.
func gceNamedPortZero(n int) string {
	return fmt.Sprintf("googleapi: Error 400: Invalid value for field 'namedPorts[%d].port': '0'. Must be greater than or equal to 1, invalid", n)
}

// albTargetGroupPortZero is the AWS Load Balancer Controller's error for
// an instance-mode target group of a Service without a node port.
const albTargetGroupPortZero = "Failed deploy model due to InvalidParameter: 1 validation error(s) found.\n- minimum field value of 1, CreateTargetGroupInput.Port.\n"

// awsLoadBalancerController installs the AWS Load Balancer Controller in
// kube-system as its Helm chart does, and the VPC CNI DaemonSet (aws-node)
// every EKS node runs.
func (c *Cluster) awsLoadBalancerController() {
	ctrl := corev1.Container{Name: "aws-load-balancer-controller", Image: "public.ecr.aws/eks/aws-load-balancer-controller:v2.4.4",
		Args:           []string{"--cluster-name=prod", "--ingress-class=alb"},
		Ports:          []corev1.ContainerPort{ContainerPort("webhook-server", 9443), ContainerPort("metrics-server", 8080)},
		ReadinessProbe: HTTPProbe("/readyz", intstr.FromInt32(61779))}
	ctrl.LivenessProbe = HTTPProbe("/healthz", intstr.FromInt32(61779))
	c.Deployment(App{Namespace: "kube-system", Name: "aws-load-balancer-controller", Replicas: 2,
		Labels: labels("app.kubernetes.io/name", "aws-load-balancer-controller", "app.kubernetes.io/instance", "aws-load-balancer-controller"), Containers: []corev1.Container{ctrl}})
	cni := corev1.Container{Name: "aws-node", Image: "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.11.4",
		Ports: []corev1.ContainerPort{ContainerPort("metrics", 61678)}}
	c.DaemonSet(App{Namespace: "kube-system", Name: "aws-node", Labels: labels("k8s-app", "aws-node"), Containers: []corev1.Container{cni},
		Pod: func(s *corev1.PodSpec) {
			s.HostNetwork = true
			s.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		}})
}
