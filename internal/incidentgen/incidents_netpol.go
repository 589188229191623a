package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func netpol(ns, name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{Spec: spec}
	np.Namespace, np.Name = ns, name
	return np
}

// admitFrom is a policy of every pod of ns that admits ingress from peer
// only.
func admitFrom(ns, name string, peer networkingv1.NetworkPolicyPeer) *networkingv1.NetworkPolicy {
	return netpol(ns, name, networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer}}}})
}

// egressOnly is an egress policy of the pods of ns that pods selects,
// allowing only rules (nothing when there are none).
func egressOnly(ns, name string, pods metav1.LabelSelector, rules ...networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
	return netpol(ns, name, networkingv1.NetworkPolicySpec{PodSelector: pods, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, Egress: rules})
}

func sel(kv ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labels(kv...)}
}

func tcp(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	proto := corev1.ProtocolTCP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

func udp(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	proto := corev1.ProtocolUDP
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

var netpolIncidents = []Incident{
	{
		Name:  "netpol-same-namespace-only",
		Check: "netpol-blocks-ingress-controller", Object: "NetworkPolicy/payment-gateway/payment-gateway-network-policy", Layer: "networkpolicy",
		Source:  "https://github.com/kubernetes/kubernetes/issues/112467",
		Summary: "an 'only my namespace' policy plus an allow rule that selects app=ingress-nginx pods in the same namespace: 504 from the ingress",
		Story: `To keep other namespaces out, the team added a policy admitting only pods of its own namespace,
then a second one meant to let the ingress controller in — but its peer is a bare podSelector
app=ingress-nginx, which only matches pods in payment-gateway itself. The controller runs in
ingress-nginx, so its connections are dropped and the site answers 504 Gateway Time-out.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("payment-gateway", "gateway", "registry.example.com/payments/gateway:8.0.1", 8080, 2)
			c.Ingress(ingressFor("payment-gateway", "gateway", "nginx", "pay.example.com", route("/", "gateway", 80)))
			c.NetworkPolicy(admitFrom("payment-gateway", "payment-gateway-network-policy", networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}}))
			c.NetworkPolicy(admitFrom("payment-gateway", "payment-gateway-network-policy-allow-ingress-nginx", networkingv1.NetworkPolicyPeer{PodSelector: sel("app", "ingress-nginx")}))
		},
	},
	{
		Name:  "netpol-namespace-name-label-missing",
		Check: "netpol-blocks-ingress-controller", Object: "NetworkPolicy/web/allow-from-ingress", Layer: "networkpolicy",
		Source:  "https://github.com/akash-network/node/issues/911",
		Summary: "the allow rule selects namespaces labelled name=ingress-nginx; the controller's namespace has no such label",
		Story: `The demo app is unreachable through the ingress controller since the provider's firewall policies
were applied. The policy admits traffic from namespaceSelector name=ingress-nginx, but the
controller's namespace carries kubernetes.io/metadata.name=ingress-nginx (and the Helm labels), not
name=ingress-nginx, so the selector matches no namespace.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.webApp("web", "demo", "registry.example.com/akash/web-demo:1.3.0", 3000, 1)
			c.Ingress(ingressFor("web", "demo", "nginx", "demo.example.com", route("/", "demo", 80)))
			c.NetworkPolicy(netpol("web", "default-deny", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{}}))
			c.NetworkPolicy(admitFrom("web", "allow-from-ingress", networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("name", "ingress-nginx")}))
		},
	},
	{
		Name:  "netpol-default-deny-egress-breaks-dns",
		Check: "netpol-egress-blocks-dns", Object: "NetworkPolicy/frontend/allow-backend", Layer: "networkpolicy",
		Source:  "https://github.com/kubernetes/website/issues/38267",
		Summary: "a default-deny egress policy with only an allow to the backend pods: every DNS lookup from the frontend times out",
		Story: `Following the NetworkPolicy docs, the team applied a default deny for egress in the frontend
namespace and allowed egress to the backend pods on 8080. The frontend now fails with "could not
resolve host backend.backend.svc.cluster.local": the deny also covers DNS, and no rule allows port 53
to kube-dns. Either egress policy is the place to add the DNS rule (policies are additive).`,
		Build: func(c *Cluster) {
			c.webApp("backend", "backend", "registry.example.com/demo/backend:1.0.0", 8080, 2)
			fe := web("frontend", "registry.example.com/demo/frontend:1.0.0", 8080, "/healthz")
			fe.Env = env("BACKEND_URL", "http://backend.backend.svc.cluster.local")
			c.deploymentWithService(App{Namespace: "frontend", Name: "frontend", Replicas: 2, Containers: []corev1.Container{fe}})
			c.NetworkPolicy(egressOnly("frontend", "default-deny-egress", metav1.LabelSelector{}))
			c.NetworkPolicy(egressOnly("frontend", "allow-backend", *sel("app", "frontend"), networkingv1.NetworkPolicyEgressRule{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("kubernetes.io/metadata.name", "backend"), PodSelector: sel("app", "backend")}},
				Ports: []networkingv1.NetworkPolicyPort{tcp(8080)}}))
		},
	},
	{
		Name:  "netpol-dns-allowed-to-unlabelled-namespace",
		Check: "netpol-egress-blocks-dns", Object: "NetworkPolicy/orders/orders-egress", Layer: "networkpolicy",
		Source:  "https://github.com/kubernetes/website/issues/54997",
		Summary: "egress to DNS is allowed only to namespaces labelled name=kube-system, a label kube-system does not carry",
		Story: `The orders namespace has a deny-all egress posture with explicit allows, including DNS: port 53
to namespaceSelector name=kube-system. kube-system carries kubernetes.io/metadata.name=kube-system
but no name label, so the rule matches no pod and every lookup from orders times out.`,
		Build: func(c *Cluster) {
			c.webApp("payments", "payments", "registry.example.com/shop/payments:3.0.0", 8080, 1)
			o := web("orders", "registry.example.com/shop/orders:1.9.0", 8080, "/healthz")
			o.Env = env("PAYMENTS_URL", "http://payments.payments.svc.cluster.local")
			c.deploymentWithService(App{Namespace: "orders", Name: "orders", Replicas: 2, Containers: []corev1.Container{o}})
			c.NetworkPolicy(egressOnly("orders", "orders-egress", metav1.LabelSelector{},
				networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("name", "kube-system"), PodSelector: sel("k8s-app", "kube-dns")}}, Ports: []networkingv1.NetworkPolicyPort{udp(53), tcp(53)}},
				networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("kubernetes.io/metadata.name", "payments")}}, Ports: []networkingv1.NetworkPolicyPort{tcp(8080)}}))
		},
	},
	{
		Name:  "netpol-allows-service-port-not-pod-port",
		Check: "netpol-port-not-target-port", Object: "NetworkPolicy/default/db1-allow-backend", Layer: "networkpolicy",
		Source:  "https://github.com/projectcalico/calico/issues/8049",
		Summary: "the policy allows port 80 (the Service port); the db pods listen on 8080, the port policies actually see",
		Story: `To restrict access to db1 to the backend on the Service's port 80, the policy lists port 80.
NetworkPolicy ports are pod ports, matched after the Service has translated 80 to the target port
8080, so the backend's connections to db1:80 arrive on 8080 and are dropped.`,
		Build: func(c *Cluster) {
			c.deploymentWithService(App{Namespace: "default", Name: "db1", Containers: []corev1.Container{web("db1", "registry.example.com/demo/db1:2.1", 8080, "/healthz")}}, Port("http", 80, 8080))
			be := web("backend", "registry.example.com/demo/backend:1.0.0", 8080, "/healthz")
			be.Env = env("DB_URL", "http://db1:80")
			c.Deployment(App{Namespace: "default", Name: "backend", Containers: []corev1.Container{be}})
			c.NetworkPolicy(netpol("default", "db1-allow-backend", networkingv1.NetworkPolicySpec{PodSelector: *sel("app", "db1"),
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "backend")}}, Ports: []networkingv1.NetworkPolicyPort{tcp(80)}}}}))
		},
	},
	{
		Name:  "netpol-helm-chart-uses-service-port",
		Check: "netpol-port-not-target-port", Object: "NetworkPolicy/tools/pgadmin-pgadmin4", Layer: "networkpolicy",
		Source:  "https://github.com/rowanruseler/helm-charts/pull/16",
		Summary: "the pgAdmin chart's NetworkPolicy admits the Service port 8080 while the pod listens on 80: unreachable through the Service",
		Story: `With the chart's network policy enabled, pgAdmin is unreachable through its Service, port-forward
or Ingress. The chart renders the policy's ingress port from .Values.service.port (8080) instead of
the container port the Service targets (http, 80).`,
		Build: func(c *Cluster) {
			l := labels("app.kubernetes.io/name", "pgadmin4", "app.kubernetes.io/instance", "pgadmin")
			ct := corev1.Container{Name: "pgadmin4", Image: "dpage/pgadmin4:8.14", Ports: []corev1.ContainerPort{ContainerPort("http", 80)},
				ReadinessProbe: HTTPProbe("/misc/ping", intstr.FromString("http"))}
			c.Deployment(App{Namespace: "tools", Name: "pgadmin-pgadmin4", Labels: l, Containers: []corev1.Container{ct}})
			c.Service(Svc{Namespace: "tools", Name: "pgadmin-pgadmin4", Labels: l, Selector: l, Ports: []corev1.ServicePort{NamedPort("http", 8080, "http")}})
			c.NetworkPolicy(netpol("tools", "pgadmin-pgadmin4", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: l},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{tcp(8080)}}}}))
		},
	},
}
