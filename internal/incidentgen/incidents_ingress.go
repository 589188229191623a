package incidentgen

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var ingressIncidents = []Incident{
	{
		Name:  "ingress-no-class-after-v1-upgrade",
		Check: "ingress-class-missing", Object: "Ingress/default/foo", Layer: "ingress",
		Source:  "https://github.com/kubernetes/ingress-nginx/issues/7674",
		Summary: "after upgrading ingress-nginx to v1 an Ingress without ingressClassName is ignored (no default class): 404",
		Story: `After upgrading ingress-nginx to v1.x every request to foo.example.com gets the controller's 404.
The Ingress has no ingressClassName and no kubernetes.io/ingress.class annotation; since v1 the
controller only serves Ingresses of its IngressClass (nginx), which is not marked as the cluster
default. The Ingress has no ADDRESS.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("default", "foo", "hashicorp/http-echo:1.0.0", 5678, 2)
			c.Ingress(ingressFor("default", "foo", "", "foo.example.com", route("/", "foo", 80)))
		},
	},
	{
		Name:  "ingress-class-without-controller",
		Check: "ingress-controller-unavailable", Object: "Ingress/kafka-lab-01/kafka-lab-01-kafka-oauth-0", Layer: "ingress",
		Source:  "https://github.com/kubernetes/ingress-nginx/issues/7850",
		Summary: "Ingresses of class kafka-nginx (controller k8s.io/kafka-nginx), but the only controller runs --controller-class=k8s.io/ingress-nginx",
		Story: `After migrating to ingress-nginx 1.0.4 all Ingresses of the kafka lab are ignored: "Ignoring
ingress because of error while validating ingress class ... ingress class annotation is not equal
to the expected by Ingress Controller". They use the IngressClass kafka-nginx, whose controller is
k8s.io/kafka-nginx, but the only controller in the cluster runs with
--controller-class=k8s.io/ingress-nginx, so no controller serves that class.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.IngressClass("kafka-nginx", "k8s.io/kafka-nginx", false)
			c.webApp("kafka-lab-01", "kafka-lab-01-kafka-oauth-0", "quay.io/strimzi/kafka-bridge:0.31.1", 8080, 1)
			c.Ingress(ingressFor("kafka-lab-01", "kafka-lab-01-kafka-oauth-0", "kafka-nginx", "kafka-0.lab.example.com", route("/", "kafka-lab-01-kafka-oauth-0", 80)))
		},
	},
	{
		Name:  "ingress-backend-in-other-namespace",
		Check: "ingress-backend-service-missing", Object: "Ingress/accounts/accounts-api", Layer: "ingress",
		Source:  "https://github.com/JiRaska/open-bank-oss/issues/3476",
		Summary: "the accounts Ingress routes /api/v1/balances to balance-service, which lives in namespace balances: 503 for 60 days",
		Story: `https://api.open-bank.tech/api/v1/balances has answered 503 for about sixty days while
/api/v1/accounts works. An Ingress backend resolves only in the Ingress's own namespace; the
accounts/accounts-api Ingress routes /api/v1/balances to a Service named balance-service, which
has always lived in namespace balances. ingress-nginx logs "Error obtaining Endpoints for Service
accounts/balance-service".`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("accounts", "accounts-api", "registry.example.com/openbank/accounts-api:5.2.0", 8101, 2)
			c.webApp("balances", "balance-service", "registry.example.com/openbank/balance-service:5.2.0", 8103, 2)
			c.Ingress(ingressFor("accounts", "accounts-api", "nginx", "api.open-bank.tech",
				route("/api/v1/accounts", "accounts-api", 80), route("/api/v1/balances", "balance-service", 80)))
		},
	},
	{
		Name:  "ingress-created-in-controller-namespace",
		Check: "ingress-backend-service-missing", Object: "Ingress/ingress-basic/hello-world-ingress", Layer: "ingress",
		Source:  "https://github.com/MicrosoftDocs/azure-docs/issues/57575",
		Summary: "the tutorial's Ingress is created in ingress-basic, the demo Services in default: 503 Service Temporarily Unavailable",
		Story: `Following the AKS ingress tutorial, the demo apps were deployed into default but the Ingress file
carries namespace: ingress-basic (where the controller runs). Its backends aks-helloworld-one and
aks-helloworld-two do not exist in ingress-basic, so the controller answers 503.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("default", "aks-helloworld-one", "mcr.microsoft.com/azuredocs/aks-helloworld:v1", 80, 1)
			c.webApp("default", "aks-helloworld-two", "mcr.microsoft.com/azuredocs/aks-helloworld:v1", 80, 1)
			c.Ingress(annotated(ingressFor("ingress-basic", "hello-world-ingress", "nginx", "", route("/hello-world-one", "aks-helloworld-one", 80), route("/hello-world-two", "aks-helloworld-two", 80)),
				"nginx.ingress.kubernetes.io/ssl-redirect", "false"))
		},
	},
	{
		Name:  "ingress-tls-secret-in-other-namespace",
		Check: "ingress-tls-secret-missing", Object: "Ingress/shop/shop", Layer: "ingress",
		Source:  "https://github.com/MicrosoftDocs/azure-docs/issues/64792",
		Summary: "the TLS Secret lives in another namespace than the Ingress: browsers get the Kubernetes Ingress Controller Fake Certificate",
		Story: `Browsers warn about the certificate of shop.example.com: it is the "Kubernetes Ingress
Controller Fake Certificate". The Ingress's tls entry names the Secret shop-example-com-tls, which
was created in namespace default; the Ingress is in namespace shop, and a controller only reads
TLS Secrets from the Ingress's own namespace.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("shop", "storefront", "registry.example.com/shop/storefront:7.1.0", 8080, 2)
			c.Secret("default", "shop-example-com-tls", corev1.SecretTypeTLS)
			c.Ingress(withTLS(ingressFor("shop", "shop", "nginx", "shop.example.com", route("/", "storefront", 80)), "shop-example-com-tls"))
		},
	},
	{
		Name:  "ingress-tls-certificate-never-issued",
		Check: "ingress-tls-secret-missing", Object: "Ingress/default/kuard", Layer: "ingress",
		Source:  "https://github.com/cert-manager/cert-manager/issues/2425",
		Summary: "the Ingress expects cert-manager to create snowdrop-me-tls, but its issuer annotation is commented out: fake certificate",
		Story: `kuard.snowdrop.me serves the ingress controller's fake certificate. The Ingress's TLS section
names the Secret snowdrop-me-tls, which cert-manager was supposed to create; the
cert-manager.io/cluster-issuer annotation had been commented out, so no Certificate was ever
requested and the Secret does not exist.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "kuard", Image: "gcr.io/kuar-demo/kuard-amd64:blue", Ports: []corev1.ContainerPort{ContainerPort("http", 8080)},
				ReadinessProbe: HTTPProbe("/ready", intstr.FromString("http"))}
			c.deploymentWithService(App{Namespace: "default", Name: "kuard", Containers: []corev1.Container{ct}})
			c.Ingress(withTLS(ingressFor("default", "kuard", "nginx", "kuard.snowdrop.me", route("/", "kuard", 80)), "snowdrop-me-tls"))
		},
	},
	{
		Name:  "ingress-rewrite-target-without-capture-group",
		Check: "ingress-rewrite-target-capture", Object: "Ingress/default/example-ingress", Layer: "ingress",
		Source:  "https://github.com/kubernetes/website/issues/46546",
		Summary: "rewrite-target /$1 copied from an old example onto plain paths: every request is rewritten to / and sub-pages break",
		Story: `The web app's home page loads through the Ingress, but every asset and sub-page returns the home
page. The Ingress was copied from an old tutorial with nginx.ingress.kubernetes.io/rewrite-target:
/$1; since ingress-nginx 0.22 anything passed to the rewritten path must be captured by a regex
group in the path, and the paths "/" and "/v2" define none, so every request is rewritten to "/".`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("default", "web", "gcr.io/google-samples/hello-app:1.0", 8080, 1)
			c.webApp("default", "web2", "gcr.io/google-samples/hello-app:2.0", 8080, 1)
			c.Ingress(annotated(ingressFor("default", "example-ingress", "nginx", "hello-world.example", route("/", "web", 80), route("/v2", "web2", 80)),
				"nginx.ingress.kubernetes.io/rewrite-target", "/$1"))
		},
	},
	{
		Name:  "ingress-dashboard-https-backend",
		Check: "ingress-backend-protocol-mismatch", Object: "Ingress/kubernetes-dashboard/kubernetes-dashboard", Layer: "ingress",
		Source:  "https://github.com/helm/charts/issues/5007",
		Summary: "ingress-nginx proxies plain HTTP to the dashboard, which only serves HTTPS on 8443: 502 Bad Gateway",
		Story: `The Kubernetes Dashboard behind ingress-nginx returns 502 Bad Gateway. The dashboard serves only
HTTPS (--auto-generate-certificates) on 8443 — its own liveness probe uses scheme HTTPS — but the
Ingress has no nginx.ingress.kubernetes.io/backend-protocol: HTTPS, so the controller speaks plain
HTTP to a TLS port.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "kubernetes-dashboard", Image: "kubernetesui/dashboard:v2.7.0",
				Args:          []string{"--auto-generate-certificates", "--namespace=kubernetes-dashboard"},
				Ports:         []corev1.ContainerPort{{ContainerPort: 8443, Protocol: corev1.ProtocolTCP}},
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8443), Scheme: corev1.URISchemeHTTPS}}, InitialDelaySeconds: 30, TimeoutSeconds: 30}}
			c.Deployment(App{Namespace: "kubernetes-dashboard", Name: "kubernetes-dashboard", Labels: labels("k8s-app", "kubernetes-dashboard"),
				Containers: []corev1.Container{ct}, Pod: func(s *corev1.PodSpec) { s.ServiceAccountName = "kubernetes-dashboard" }})
			c.Service(Svc{Namespace: "kubernetes-dashboard", Name: "kubernetes-dashboard", Labels: labels("k8s-app", "kubernetes-dashboard"),
				Selector: labels("k8s-app", "kubernetes-dashboard"), Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(8443)}}})
			c.Secret("kubernetes-dashboard", "kubernetes-dashboard-certs", corev1.SecretTypeOpaque)
			c.Ingress(ingressFor("kubernetes-dashboard", "kubernetes-dashboard", "nginx", "dashboard.example.com", route("/", "kubernetes-dashboard", 443)))
		},
	},
	{
		Name:  "ingress-controller-crashloop",
		Check: "ingress-controller-unavailable", Object: "Ingress/shop/storefront", Layer: "ingress",
		Source:  "https://github.com/kubernetes/ingress-nginx/issues/9477",
		Summary: "after a node restart the ingress-nginx controller crash-loops (default backend Service not found): every Ingress is down",
		Story: `After Docker was restarted on a node, every site behind the ingress controller is down. The
controller pod is in CrashLoopBackOff; its log ends with "F0104 ... main.go:84] No service with name
default-http-backend found in namespace ingress-nginx" because its --default-backend-service flag
names a Service that was removed. The applications behind the Ingresses are healthy.`,
		Related: []string{"Deployment/ingress-nginx/ingress-nginx-controller", "Service/ingress-nginx/ingress-nginx-controller", "Service/ingress-nginx/ingress-nginx-controller-admission"},
		Background: Background{IngressNginx: &IngressNginxOptions{
			ExtraArgs: []string{"--default-backend-service=$(POD_NAMESPACE)/default-http-backend"},
			Controller: CrashLoop(Termination{Reason: "Error", ExitCode: 255, Restarts: 27, Ran: 2 * time.Second,
				Message: "F0104 02:02:37.431709       7 main.go:84] No service with name default-http-backend found in namespace ingress-nginx: services \"default-http-backend\" not found"}),
		}},
		Build: func(c *Cluster) {
			c.webApp("shop", "storefront", "registry.example.com/shop/storefront:7.1.0", 8080, 2)
			c.Ingress(ingressFor("shop", "storefront", "nginx", "shop.example.com", route("/", "storefront", 80)))
		},
	},
	// Ingresses served by a cloud load balancer that reaches backends through node ports, in front of ClusterIP
	// Services.
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
