package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// serviceNamespaceIncidents are Services created in another namespace than
// the pods they select: a selector only selects pods of its own namespace.
func serviceNamespaceIncidents() []Incident {
	return []Incident{
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
				c.Service(Svc{Namespace: "default", Name: "web", Selector: labels("app", "web"), Ports: []corev1.ServicePort{NamedPort("http", 80, "http")}})
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
}
