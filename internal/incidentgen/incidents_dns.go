package incidentgen

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

func dnsIncidents() []Incident {
	return []Incident{
		{
			Name:  "coredns-loop-systemd-resolved",
			Check: "container-crashloop", Layer: "container",
			Source:  "https://github.com/coredns/coredns/issues/2087",
			Summary: "CoreDNS forwards to the node's resolv.conf, which points at systemd-resolved's 127.0.0.53: loop detected, both pods crash-loop",
			Story: `On Ubuntu nodes with systemd-resolved, /etc/resolv.conf lists nameserver 127.0.0.53. CoreDNS
forwards to /etc/resolv.conf, so its queries come back to itself; the loop plugin detects it and
exits: "[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see
https://coredns.io/plugins/loop#troubleshooting". Both coredns pods are in CrashLoopBackOff and no
name resolves anywhere in the cluster.`,
			Background: Background{CoreDNS: Replicas(2, CrashLoop(Termination{Reason: "Error", ExitCode: 1, Restarts: 13, Ran: 6 * time.Second,
				Message: `[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."`}))},
			Build: func(c *Cluster) {
				c.webApp("shop", "cart", "registry.example.com/shop/cart:2.4.0", 8080, 2)
				c.ExpectObject(PodRef(c.firstPod("kube-system", "coredns-")))
			},
		},
		{
			Name:  "coredns-oomkilled",
			Check: "container-crashloop", Layer: "container",
			Source:  "https://github.com/coredns/coredns/issues/3388",
			Summary: "both coredns pods are OOMKilled at the 170Mi limit under load and back off: lookups time out cluster-wide",
			Story: `DNS lookups time out across the cluster. The coredns pods keep restarting; "kubectl describe pod"
shows Last State: Terminated, Reason: OOMKilled, Exit Code 137. They run with the 170Mi memory
limit of the stock manifest, which this cluster's query load exceeds; right now both pods are in
back-off. The first finding must be the OOMKilled crash with its fix (a higher memory limit); a
restart would not help.`,
			Related:    []string{"Deployment/kube-system/coredns", "Service/kube-system/kube-dns"},
			Background: Background{CoreDNS: Replicas(2, CrashLoop(Termination{Reason: "OOMKilled", ExitCode: 137, Restarts: 836, Ran: 10 * time.Minute}))},
			Build: func(c *Cluster) {
				c.webApp("shop", "cart", "registry.example.com/shop/cart:2.4.0", 8080, 2)
				c.ExpectObject(PodRef(c.firstPod("kube-system", "coredns-")))
			},
		},
		{
			Name:  "corefile-wrong-cluster-domain",
			Check: "dns-corefile-cluster-zone", Object: "ConfigMap/kube-system/coredns", Layer: "dns",
			Source:  "https://github.com/coredns/coredns/issues/2481",
			Summary: "the Corefile serves kubernetes for lzjcluster.local; pods ask for *.svc.cluster.local: every Service name fails",
			Story: `CoreDNS runs and is ready, yet "nslookup kubernetes.default.svc.cluster.local" returns no answer
and applications cannot reach each other by name. Someone edited the coredns ConfigMap and the
kubernetes plugin now serves the zone lzjcluster.local, while the kubelet's cluster domain — and
every pod's search path and configured names — is cluster.local.`,
			Background: Background{Corefile: strings.Replace(clusterstate.Corefile, "kubernetes cluster.local in-addr.arpa", "kubernetes lzjcluster.local in-addr.arpa", 1)},
			Build: func(c *Cluster) {
				c.webApp("shop", "orders", "registry.example.com/shop/orders:1.9.0", 8080, 2)
				ct := web("checkout", "registry.example.com/shop/checkout:1.9.0", 8080, "/healthz")
				ct.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "checkout-config"}}}}
				c.Deployment(App{Namespace: "shop", Name: "checkout", Containers: []corev1.Container{ct}})
				c.ConfigMap("shop", "checkout-config", map[string]string{"ORDERS_URL": "http://orders.shop.svc.cluster.local/api"})
			},
		},
		{
			Name:  "dns-short-name-other-namespace",
			Check: "dns-name-unresolvable", Object: "Deployment/tenant-acme/auth-api", Layer: "dns",
			Source:  "https://github.com/kubernetes/kubernetes/issues/28210",
			Summary: "auth-api, deployed per customer namespace, reaches RabbitMQ by the short name rabbitmq-master, which lives in default",
			Story: `auth-api was moved into a per-customer namespace. It connects to RabbitMQ through RABBITMQ_HOST=
rabbitmq-master; "nslookup rabbitmq-master" fails in the pod while
rabbitmq-master.default.svc.cluster.local resolves: a short name only resolves in the pod's own
namespace, and the Service is in default.`,
			Build: func(c *Cluster) {
				rmq := corev1.Container{Name: "rabbitmq", Image: "rabbitmq:3.13-management", Ports: []corev1.ContainerPort{ContainerPort("amqp", 5672), ContainerPort("management", 15672)},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"rabbitmq-diagnostics", "-q", "ping"}}}}}
				c.StatefulSet(App{Namespace: "default", Name: "rabbitmq-master", ServiceName: "rabbitmq-master-headless", Containers: []corev1.Container{rmq}})
				c.Service(Svc{Namespace: "default", Name: "rabbitmq-master-headless", Headless: true, Selector: labels("app", "rabbitmq-master"),
					Ports: []corev1.ServicePort{NamedPort("amqp", 5672, "amqp")}})
				c.Service(Svc{Namespace: "default", Name: "rabbitmq-master", Selector: labels("app", "rabbitmq-master"),
					Ports: []corev1.ServicePort{NamedPort("amqp", 5672, "amqp"), NamedPort("management", 15672, "management")}})
				api := web("auth-api", "registry.example.com/acme/auth-api:1.12.0", 8080, "/healthz")
				api.Env = env("RABBITMQ_HOST", "rabbitmq-master", "RABBITMQ_PORT", "5672")
				c.deploymentWithService(App{Namespace: "tenant-acme", Name: "auth-api", Replicas: 2, Containers: []corev1.Container{api}})
			},
		},
		{
			Name:  "dns-chart-upgrade-renamed-redis-service",
			Check: "dns-name-unresolvable", Object: "Deployment/open-webui/open-webui", Layer: "dns",
			Source:  "https://github.com/open-webui/helm-charts/issues/272",
			Summary: "after a chart upgrade the app connects to open-webui-redis:6379, but the Redis Service is now open-webui-redis-master",
			Story: `After upgrading the chart from 6.28.0 to 6.29.0, Open WebUI fails with "Error -2 connecting to
open-webui-redis:6379. Name or service not known." The app's Redis URL names the Service
open-webui-redis, but the bundled Redis chart only creates open-webui-redis-master and
open-webui-redis-headless; the name does not exist, and the app exits at start-up with that error
(CrashLoopBackOff). The crash is the symptom; the name the app is configured with is the cause.`,
			Related: []string{"Service/open-webui/open-webui"},
			Build: func(c *Cluster) {
				rl := labels("app.kubernetes.io/name", "redis", "app.kubernetes.io/instance", "open-webui", "app.kubernetes.io/component", "master")
				redis := corev1.Container{Name: "redis", Image: "docker.io/bitnami/redis:7.4.2-debian-12-r0", Ports: []corev1.ContainerPort{ContainerPort("redis", 6379)},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "/health/ping_readiness_local.sh 1"}}}}}
				c.StatefulSet(App{Namespace: "open-webui", Name: "open-webui-redis-master", ServiceName: "open-webui-redis-headless", Labels: rl, Containers: []corev1.Container{redis}})
				c.Service(Svc{Namespace: "open-webui", Name: "open-webui-redis-master", Selector: rl, Ports: []corev1.ServicePort{NamedPort("tcp-redis", 6379, "redis")}})
				c.Service(Svc{Namespace: "open-webui", Name: "open-webui-redis-headless", Headless: true, Selector: labels("app.kubernetes.io/name", "redis", "app.kubernetes.io/instance", "open-webui"), Ports: []corev1.ServicePort{NamedPort("tcp-redis", 6379, "redis")}})
				ui := web("open-webui", "ghcr.io/open-webui/open-webui:0.6.18", 8080, "/health")
				ui.Env = env("ENABLE_WEBSOCKET_SUPPORT", "true", "WEBSOCKET_MANAGER", "redis", "WEBSOCKET_REDIS_URL", "redis://open-webui-redis:6379/0", "REDIS_URL", "redis://open-webui-redis:6379/0")
				crash := CrashLoop(Termination{Reason: "Error", ExitCode: 1, Restarts: 9, Ran: 8 * time.Second,
					Message: "redis.exceptions.ConnectionError: Error -2 connecting to open-webui-redis:6379. Name or service not known."})
				c.deploymentWithService(App{Namespace: "open-webui", Name: "open-webui", Labels: labels("app.kubernetes.io/component", "open-webui"), Containers: []corev1.Container{ui}, Age: 40 * time.Minute,
					States: []PodState{crash}})
			},
		},
		{
			Name:  "dns-hostnetwork-without-clusterfirstwithhostnet",
			Check: "dns-policy-bypasses-cluster-dns", Object: "Deployment/default/deployment2", Layer: "dns",
			Source:  "https://github.com/kubernetes/dns/issues/316",
			Summary: "a hostNetwork pod with the default dnsPolicy uses the node's resolver: \"nslookup servicename\" fails only there",
			Story: `Two deployments run the same image; only the one with hostNetwork: true cannot resolve the
Service servicename ("nslookup: can't resolve 'servicename': Name does not resolve"). A pod on the
host network with dnsPolicy ClusterFirst falls back to the node's resolv.conf; it needs
dnsPolicy: ClusterFirstWithHostNet to use the cluster DNS.`,
			Build: func(c *Cluster) {
				c.webApp("default", "servicename", "python:3.6.8-alpine", 5000, 1)
				client := corev1.Container{Name: "client", Image: "python:3.6.8-alpine", Command: []string{"python", "/app/poller.py"}, Env: env("API_HOST", "servicename", "API_PORT", "80")}
				c.Deployment(App{Namespace: "default", Name: "deployment1", Containers: []corev1.Container{client}})
				c.Deployment(App{Namespace: "default", Name: "deployment2", Containers: []corev1.Container{client}, Pod: func(s *corev1.PodSpec) { s.HostNetwork = true }})
			},
		},
		{
			Name:  "dns-policy-default-misread",
			Check: "dns-policy-bypasses-cluster-dns", Object: "Deployment/billing/invoicer", Layer: "dns",
			Source:  "https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy",
			Summary: "dnsPolicy: Default was set to \"use the default\"; it means the node's resolver, so postgres.billing does not resolve",
			Story: `The invoicer was given dnsPolicy: Default by someone who read it as "the default policy". It is
not: Default makes the pod inherit the node's resolv.conf, so the cluster's Service names do not
resolve and the app cannot reach its database at postgres.billing.svc.cluster.local.`,
			Build: func(c *Cluster) {
				pg := corev1.Container{Name: "postgres", Image: "postgres:16.6", Ports: []corev1.ContainerPort{ContainerPort("postgres", 5432)},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"pg_isready", "-U", "postgres"}}}}}
				c.StatefulSet(App{Namespace: "billing", Name: "postgres", ServiceName: "postgres-hl", Containers: []corev1.Container{pg}})
				c.Service(Svc{Namespace: "billing", Name: "postgres-hl", Headless: true, Selector: labels("app", "postgres"), Ports: []corev1.ServicePort{NamedPort("postgres", 5432, "postgres")}})
				c.Service(Svc{Namespace: "billing", Name: "postgres", Selector: labels("app", "postgres"), Ports: []corev1.ServicePort{NamedPort("postgres", 5432, "postgres")}})
				ct := web("invoicer", "registry.example.com/billing/invoicer:4.0.3", 8080, "/healthz")
				ct.Env = env("DATABASE_URL", "postgres://invoicer@postgres.billing.svc.cluster.local:5432/invoices?sslmode=disable")
				c.deploymentWithService(App{Namespace: "billing", Name: "invoicer", Replicas: 2, Containers: []corev1.Container{ct}, Pod: func(s *corev1.PodSpec) { s.DNSPolicy = corev1.DNSDefault }})
			},
		},
		{
			Name:  "statefulset-servicename-mismatch",
			Check: "statefulset-governing-service", Object: "StatefulSet/foo/database", Layer: "dns",
			Source:  "https://github.com/kubernetes/kubernetes/issues/74950",
			Summary: "the StatefulSet's serviceName is database but the headless Service is db-svc: database-0.db-svc does not resolve",
			Story: `Replicas of the database StatefulSet cannot find each other: database-0.db-svc.foo.svc.cluster.local
does not resolve. Per-pod DNS names exist only under the StatefulSet's governing Service, named by
spec.serviceName; the StatefulSet says serviceName: database while the headless Service that
exists is db-svc, so the pods' subdomain names a Service that is not there.`,
			Build: func(c *Cluster) {
				db := corev1.Container{Name: "db", Image: "registry.example.com/foo/clusterdb:5.1", Ports: []corev1.ContainerPort{ContainerPort("db", 26257), ContainerPort("http", 8080)},
					Env:            env("JOIN", "database-0.db-svc,database-1.db-svc,database-2.db-svc"),
					ReadinessProbe: HTTPProbe("/health", intstr.FromString("http"))}
				c.StatefulSet(App{Namespace: "foo", Name: "database", Replicas: 3, ServiceName: "database", Containers: []corev1.Container{db}})
				c.Service(Svc{Namespace: "foo", Name: "db-svc", Headless: true, PublishNotReady: true, Selector: labels("app", "database"), Ports: []corev1.ServicePort{NamedPort("db", 26257, "db")}})
			},
		},
		{
			Name:  "statefulset-service-not-headless",
			Check: "statefulset-governing-service", Object: "StatefulSet/test1/web", Layer: "dns",
			Source:  "https://github.com/kubernetes/kubernetes/issues/68352",
			Summary: "the governing Service nginx has a ClusterIP, so web-0.nginx gets no DNS record",
			Story: `Pods of the web StatefulSet have no DNS A records: web-0.nginx.test1.svc.cluster.local does not
resolve, although serviceName: nginx names an existing Service. That Service has a ClusterIP;
per-pod records are only published for a headless Service (clusterIP: None). The peers find each
other through PEERS=web-0.nginx,web-1.nginx,web-2.nginx.`,
			Build: func(c *Cluster) {
				ct := corev1.Container{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.8", Ports: []corev1.ContainerPort{ContainerPort("web", 80)},
					Env: env("PEERS", "web-0.nginx,web-1.nginx,web-2.nginx")}
				c.StatefulSet(App{Namespace: "test1", Name: "web", Replicas: 3, ServiceName: "nginx", Labels: labels("app", "nginx"), Containers: []corev1.Container{ct}})
				c.Service(Svc{Namespace: "test1", Name: "nginx", Labels: labels("app", "nginx"), Selector: labels("app", "nginx"), Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(80)}}})
			},
		},
		{
			Name:  "externalname-holds-ip-address",
			Check: "service-externalname-ip", Object: "Service/dfs/insurance-app-backend", Layer: "service",
			Source:  "https://github.com/kubernetes-sigs/kind/issues/1152",
			Summary: "an ExternalName Service set to 10.132.32.158: CoreDNS treats it as a name and answers NXDOMAIN",
			Story: `The insurance-app-proxy reaches its backend through the Service insurance-app-backend of type
ExternalName with externalName: 10.132.32.158. "nslookup insurance-app-backend" returns NXDOMAIN:
an ExternalName is published as a CNAME, and CoreDNS treats the digits as a host name, not as an
address. A Service without selector plus Endpoints (or an EndpointSlice) is the way to name an IP.`,
			Build: func(c *Cluster) {
				c.Service(Svc{Namespace: "dfs", Name: "insurance-app-backend", Type: corev1.ServiceTypeExternalName, ExternalName: "10.132.32.158",
					Ports: []corev1.ServicePort{{Port: 8080, Protocol: corev1.ProtocolTCP}}})
				proxy := web("insurance-app-proxy", "httpd:2.4.62", 80, "/")
				proxy.Env = env("BACKEND_URL", "http://insurance-app-backend:8080")
				c.deploymentWithService(App{Namespace: "dfs", Name: "insurance-app-proxy", Containers: []corev1.Container{proxy}})
			},
		},
	}
}
