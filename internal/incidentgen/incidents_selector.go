package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var selectorIncidents = []Incident{
	{
		Name:  "selector-name-vs-app-label",
		Check: "service-selector-matches-no-pods", Object: "Service/edge/nginx-ing-svc", Layer: "service",
		Source:  "https://github.com/kubernetes/kubernetes/issues/47711",
		Summary: "Service selects name=nginx-ingress, the pods carry app=nginx-ingress: ENDPOINTS <none>",
		Story: `The nginx-ingress pods are Running and Ready, the Service exists, but nothing answers on its
ClusterIP and "kubectl get endpoints nginx-ing-svc" shows no addresses. The Service selects
name=nginx-ingress while the Deployment labels its pods app=nginx-ingress.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "edge", Name: "nginx-ingress", Replicas: 2,
				Containers: []corev1.Container{web("nginx", "nginx:1.27.3", 80, "/")}})
			c.Service(Svc{Namespace: "edge", Name: "nginx-ing-svc", Labels: labels("name", "nginx-ingress-label"),
				Selector: labels("name", "nginx-ingress"), Ports: []corev1.ServicePort{Port("http", 80, 80)}})
		},
	},
	{
		Name:  "selector-helm-shortened-name",
		Check: "service-selector-matches-no-pods", Object: "Service/payments/api-service", Layer: "service",
		Source:  "https://grokdatum.github.io/grokdevops-wiki/library/case-studies/kubernetes_ops/service-no-endpoints/replay",
		Summary: "a chart update shortened the Service selector to app=api-svc; the pods still say app=api-service: 503 from the ingress",
		Story: `Customers get HTTP 503 from ingress-nginx for every /api request. The three api pods are Running
and Ready. Yesterday's Helm chart update changed the Service template to select app=api-svc (a
shortened name) while the Deployment template still labels its pods app=api-service, so the
Service has no endpoints and the controller has nothing to proxy to.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "payments", Name: "api-service", Replicas: 3,
				Containers: []corev1.Container{web("api", "registry.example.com/payments/api:3.14.0", 8080, "/healthz")}})
			c.Service(Svc{Namespace: "payments", Name: "api-service", Labels: labels("app", "api-service", "helm.sh/chart", "api-service-2.1.0"),
				Selector: labels("app", "api-svc"), Ports: httpPort()})
			c.Ingress(ingressFor("payments", "api", "nginx", "pay.example.com", route("/api", "api-service", 80)))
		},
	},
	{
		Name:  "selector-label-overridden-by-values",
		Check: "service-selector-matches-no-pods", Object: "Service/ml/iris-classifier", Layer: "service",
		Source:  "https://github.com/zenml-io/zenml/pull/4748",
		Summary: "user-supplied pod labels overwrote the app label the generated Service selects: healthy pod, zero endpoints",
		Story: `A model deployer generates a Deployment and a Service selecting app=<deployment name>. The user
passed their own labels, which included app: ml-serving; the pod template applied them after the
generated app label, so the pod ends up with app=ml-serving while the Service still selects
app=iris-classifier. The pod is healthy; the Service has zero endpoints and every prediction
request fails.`,
		Build: func(c *Cluster) {
			podLabels := labels("app", "ml-serving", "managed-by", "zenml", "zenml-deployment-id", "4f9d2c1a")
			c.Deployment(App{Namespace: "ml", Name: "iris-classifier", Labels: podLabels,
				Selector:     labels("managed-by", "zenml", "zenml-deployment-id", "4f9d2c1a"),
				ObjectLabels: labels("app", "iris-classifier", "managed-by", "zenml"),
				Containers:   []corev1.Container{web("server", "registry.example.com/ml/iris-classifier:0.4.2", 8000, "/health")}})
			c.Service(Svc{Namespace: "ml", Name: "iris-classifier", Labels: labels("managed-by", "zenml"),
				Selector: labels("app", "iris-classifier"), Ports: []corev1.ServicePort{NamedPort("http", 8000, "http")}})
		},
	},
	{
		Name:  "selector-version-pinned-after-rollout",
		Check: "service-selector-matches-no-pods", Object: "Service/catalog/catalog", Layer: "service",
		Source:  "https://cka.yunwei361.com/09.-services/services/service-update-pattern",
		Summary: "the Service pins version=v1; the v2 rollout replaced every pod and the Service lost all endpoints",
		Story: `The catalog team pins their Service to version=v1 so that they can switch traffic by editing the
selector once a new version is ready. The v2 release was rolled out by changing the Deployment's
image and version label in place, which replaced every v1 pod; nobody switched the Service, which
now selects no pod at all.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "catalog", Name: "catalog", Replicas: 2, Labels: labels("app", "catalog", "version", "v2"),
				Selector:   labels("app", "catalog"),
				Containers: []corev1.Container{web("catalog", "registry.example.com/shop/catalog:2.0.0", 8080, "/ready")}})
			c.Service(Svc{Namespace: "catalog", Name: "catalog", Selector: labels("app", "catalog", "version", "v1"), Ports: httpPort()})
		},
	},
	{
		Name:  "selector-canary-copy-paste-tier",
		Check: "service-selector-spans-apps", Object: "Service/prod/wholesale-pricing-api", Layer: "service",
		Source:  "https://grokdatum.github.io/grokdevops-wiki/library/case-studies/cross-domain/canary-deploy-wrong-backend-ingress/investigation",
		Summary: "a canary Deployment copied with tier=pricing joins the wholesale pricing Service: some price lookups hit the search app",
		Story: `The product-search canary was created from another team's template and kept its labels
app=product-search, tier=pricing. The wholesale-pricing-api Service selects exactly those labels, so
its endpoints now hold the wholesale pricing pod and the canary search pod: one request in two to the
pricing API is answered by the search app. Every pod is healthy; only the selector matches too much.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "prod", Name: "wholesale-pricing-api", Labels: labels("app", "product-search", "tier", "pricing"),
				Containers: []corev1.Container{web("pricing", "registry.example.com/pricing/wholesale-pricing:2.3.1", 8080, "/healthz")}})
			c.Deployment(App{Namespace: "prod", Name: "product-search-stable", Replicas: 3, Labels: labels("app", "product-search", "tier", "frontend", "track", "stable"),
				Containers: []corev1.Container{web("search", "registry.example.com/shop/product-search:4.1.0", 8080, "/healthz")}})
			c.Deployment(App{Namespace: "prod", Name: "product-search-canary", Labels: labels("app", "product-search", "tier", "pricing", "track", "canary"),
				Containers: []corev1.Container{web("search", "registry.example.com/shop/product-search:4.2.0", 8080, "/healthz")}})
			c.Service(Svc{Namespace: "prod", Name: "wholesale-pricing-api", Selector: labels("app", "product-search", "tier", "pricing"),
				Ports: []corev1.ServicePort{NamedPort("http", 8080, "http")}})
			c.Service(Svc{Namespace: "prod", Name: "product-search", Selector: labels("app", "product-search", "tier", "frontend"), Ports: httpPort()})
		},
	},
	{
		Name:  "selector-two-helm-releases",
		Check: "service-selector-spans-apps", Object: "Service/cloud/team-a-nextcloud", Layer: "service",
		Source:  "https://github.com/nextcloud/helm/issues/144",
		Summary: "two releases of one chart in a namespace; each Service selects only name+component, so traffic lands on a random instance",
		Story: `Two Nextcloud instances (releases team-a and team-b) run in the same namespace. The chart's
Service selects app.kubernetes.io/name=nextcloud and app.kubernetes.io/component=app only, not the
release's app.kubernetes.io/instance label, so each Service load-balances over both instances:
users are logged out at random and see the other team's files.`,
		Related: []string{"Service/cloud/team-b-nextcloud"},
		Build: func(c *Cluster) {
			for _, rel := range []string{"team-a", "team-b"} {
				l := labels("app.kubernetes.io/name", "nextcloud", "app.kubernetes.io/component", "app", "app.kubernetes.io/instance", rel)
				c.Deployment(App{Namespace: "cloud", Name: rel + "-nextcloud", Labels: l,
					Containers: []corev1.Container{web("nextcloud", "nextcloud:30.0.4-apache", 80, "/status.php")}})
				c.Service(Svc{Namespace: "cloud", Name: rel + "-nextcloud", Labels: l,
					Selector: labels("app.kubernetes.io/name", "nextcloud", "app.kubernetes.io/component", "app"),
					Ports:    []corev1.ServicePort{NamedPort("http", 8080, "http")}})
			}
		},
	},
	// Services created in another namespace than the pods they select: a selector only selects pods of its own
	// namespace.
	{
		Name:  "service-created-in-default-namespace",
		Check: "service-selector-matches-no-pods", Object: "Service/default/web", Layer: "service",
		Source:  "https://github.com/pulumi/pulumi-kubernetesx/issues/40",
		Summary: "the helper that created the Deployment in namespace production put its Service in default: the Service has no endpoints",
		Story: `A Deployment created in namespace production got its Service from deployment.createService(),
which did not pass the namespace on: the Service was created in default. Its selector app=web
matches the production pods, but a selector only selects pods of the Service's own namespace, so
"kubectl get endpoints web -n default" shows <none> and connections are refused.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "production", Name: "web", Replicas: 2,
				Containers: []corev1.Container{web("web", "registry.example.com/production/web:5.2.0", 8080, "/healthz")}})
			c.Service(Svc{Namespace: "default", Name: "web", Selector: labels("app", "web"), Ports: httpPort()})
		},
	},
	{
		Name:  "loadbalancer-services-in-default-namespace",
		Check: "service-selector-matches-no-pods", Object: "Service/default/messaging", Layer: "service",
		Source:  "https://github.com/EnMasseProject/enmasse/pull/187",
		Summary: "the external LoadBalancer Service was deployed without a namespace and landed in default, away from the messaging pods in enmasse",
		Story: `The installer created the external load balancer Service for the messaging router without a
namespace, so it was created in default while the routers run in namespace enmasse. The cloud
provisioned the load balancer, but its Service selects no pod: clients connecting to the external
address get no answer.`,
		Build: func(c *Cluster) {
			router := corev1.Container{Name: "router", Image: "enmasseproject/qdrouterd-base:0.8.0",
				Ports:          []corev1.ContainerPort{ContainerPort("amqp", 5672), ContainerPort("amqps", 5671)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("amqp")}}}}
			c.deploymentWithService(App{Namespace: "enmasse", Name: "qdrouterd", Replicas: 2, Labels: labels("capability", "router", "app", "enmasse"),
				Containers: []corev1.Container{router}}, NamedPort("amqp", 5672, "amqp"))
			c.Service(Svc{Namespace: "default", Name: "messaging", Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: "203.0.113.40",
				Labels: labels("app", "enmasse"), Selector: labels("capability", "router", "app", "enmasse"),
				Ports: []corev1.ServicePort{NamedPort("amqps", 5671, "amqps")}})
		},
	},
	{
		Name:  "controller-service-left-in-default-namespace",
		Check: "service-selector-matches-no-pods", Object: "Service/default/ingress-nginx-tcp", Layer: "service",
		Source:  "https://github.com/kubernetes/ingress-nginx/pull/6452",
		Summary: "a namespace-scoped ingress-nginx install put its LoadBalancer Service in default while the controller runs in team-a: TCP services unreachable",
		Story: `ingress-nginx was installed into namespace team-a with its scope limited to that namespace, to
expose TCP services through a LoadBalancer of its own. The chart created the controller's
LoadBalancer Service without a namespace, so it went to default: it selects the controller's labels
but no pod there, and the exposed TCP ports answer nothing.`,
		Build: func(c *Cluster) {
			sel := labels("app.kubernetes.io/name", "ingress-nginx", "app.kubernetes.io/instance", "team-a-ingress", "app.kubernetes.io/component", "controller")
			ctrl := corev1.Container{Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.12.1",
				Args:           []string{"/nginx-ingress-controller", "--watch-namespace=team-a", "--controller-class=k8s.io/team-a-ingress", "--tcp-services-configmap=team-a/tcp-services"},
				Ports:          []corev1.ContainerPort{ContainerPort("http", 80), ContainerPort("https", 443), ContainerPort("postgres", 5432)},
				ReadinessProbe: HTTPProbe("/healthz", intstr.FromInt32(10254))}
			c.Deployment(App{Namespace: "team-a", Name: "team-a-ingress-controller", Labels: sel, Containers: []corev1.Container{ctrl}})
			c.ConfigMap("team-a", "tcp-services", map[string]string{"5432": "team-a/postgres:5432"})
			c.Service(Svc{Namespace: "default", Name: "ingress-nginx-tcp", Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: "203.0.113.41",
				Selector: sel, Ports: []corev1.ServicePort{NamedPort("postgres", 5432, "postgres")}})
		},
	},
}
