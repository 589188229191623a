package incidentgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/hopscope/hopscope/internal/clusterstate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var dnsIncidents = []Incident{
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
	// Names that cannot resolve for a reason outside the name's Service: a namespace that does not exist, a
	// client on a renamed Service's old name, a StatefulSet's governing Service never created, and kubelets
	// that hand pods another nameserver than the cluster DNS Service.
	{
		Name:  "dns-hard-coded-namespace-not-installed",
		Check: "dns-name-unresolvable", Object: "Deployment/test/load-tester", Layer: "dns",
		Source:  "https://github.com/Stono/testyomesh/issues/1",
		Summary: "the load tester calls testyomesh-N.testyomesh.svc.cluster.local, but the app was installed into namespace test: getaddrinfo ENOTFOUND",
		Story: `The mesh test suite was installed into namespace test. Its load tester logs "getaddrinfo ENOTFOUND
testyomesh-3.testyomesh.svc.cluster.local" for every call: the target URLs hard-code namespace
testyomesh, which does not exist in this cluster, while the testyomesh Services run next to the load
tester in test.`,
		Build: func(c *Cluster) {
			var env []corev1.EnvVar
			for i := 1; i <= 3; i++ {
				name := fmt.Sprintf("testyomesh-%d", i)
				c.webApp("test", name, "stono/testyomesh:latest", 8080, 1)
				env = append(env, corev1.EnvVar{Name: fmt.Sprintf("TARGET_%d_URL", i), Value: fmt.Sprintf("http://%s.testyomesh.svc.cluster.local/downstream", name)})
			}
			tester := corev1.Container{Name: "master", Image: "stono/testyomesh:latest", Command: []string{"node", "/app/load-tester.js"}, Env: env}
			c.Deployment(App{Namespace: "test", Name: "load-tester", Containers: []corev1.Container{tester}})
		},
	},
	{
		Name:  "dns-service-and-namespace-swapped",
		Check: "dns-name-unresolvable", Object: "Deployment/sim-run-bd6eace2-bookstore/bookstore", Layer: "dns",
		Source:  "https://github.com/openservicemesh/osm/pull/4072",
		Summary: "the bookstore's warehouse URL puts the namespace where the Service name goes and the Service where the namespace goes: no such host",
		Story: `Restocking fails in the bookstore demo: "dial tcp: lookup sim-run-bd6eace2-warehouse.bookwarehouse.svc.cluster.local
on 10.96.0.10:53: no such host". The URL is built as <namespace>.<service>.svc.cluster.local: the
warehouse Service is bookwarehouse in namespace sim-run-bd6eace2-warehouse, and no namespace
bookwarehouse exists.`,
		Build: func(c *Cluster) {
			c.webApp("sim-run-bd6eace2-warehouse", "bookwarehouse", "openservicemesh/bookwarehouse:v0.9.2", 14001, 1)
			store := web("bookstore", "openservicemesh/bookstore:v0.9.2", 14001, "/liveness")
			store.Env = env("BOOKWAREHOUSE_URL", "http://sim-run-bd6eace2-warehouse.bookwarehouse.svc.cluster.local:14001/restock-books")
			c.deploymentWithService(App{Namespace: "sim-run-bd6eace2-bookstore", Name: "bookstore", Containers: []corev1.Container{store}})
		},
	},
	{
		Name:  "dns-namespace-misspelt-in-datasource",
		Check: "dns-name-unresolvable", Object: "Deployment/spring-petclinic/customers-service", Layer: "dns",
		Source:  "https://github.com/spring-petclinic/spring-petclinic-cloud/pull/12",
		Summary: "the customers service's database host names namespace spring-pet-clinic; everything runs in spring-petclinic: UnknownHostException at start-up",
		Story: `The customers service crashes at start-up with "java.net.UnknownHostException:
customers-db-mysql.spring-pet-clinic.svc.cluster.local: Name or service not known". Its database
host names namespace spring-pet-clinic, while the manifests create and deploy everything into
spring-petclinic, where customers-db-mysql runs.`,
		Build: func(c *Cluster) {
			mysql := corev1.Container{Name: "mysql", Image: "docker.io/bitnami/mysql:8.0.22", Ports: []corev1.ContainerPort{ContainerPort("mysql", 3306)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"mysqladmin", "status", "-uroot"}}}}}
			c.StatefulSet(App{Namespace: "spring-petclinic", Name: "customers-db-mysql", ServiceName: "customers-db-mysql-headless", Containers: []corev1.Container{mysql}})
			c.Service(Svc{Namespace: "spring-petclinic", Name: "customers-db-mysql", Selector: labels("app", "customers-db-mysql"), Ports: []corev1.ServicePort{NamedPort("mysql", 3306, "mysql")}})
			c.Service(Svc{Namespace: "spring-petclinic", Name: "customers-db-mysql-headless", Headless: true, Selector: labels("app", "customers-db-mysql"), Ports: []corev1.ServicePort{NamedPort("mysql", 3306, "mysql")}})
			app := web("customers-service", "springcommunity/spring-petclinic-cloud-customers-service:latest", 8080, "/actuator/health")
			app.Env = env("SPRING_PROFILES_ACTIVE", "kubernetes", "DATASOURCE_URL", "mysql://customers-db-mysql.spring-pet-clinic.svc.cluster.local:3306/service_instance_db")
			crash := CrashLoop(Termination{Reason: "Error", ExitCode: 1, Restarts: 11, Ran: 25 * time.Second,
				Message: "java.net.UnknownHostException: customers-db-mysql.spring-pet-clinic.svc.cluster.local: Name or service not known"})
			c.deploymentWithService(App{Namespace: "spring-petclinic", Name: "customers-service", Containers: []corev1.Container{app}, Age: time.Hour, States: []PodState{crash}})
		},
	},
	{
		Name:  "dns-kube-dns-recreated-new-cluster-ip",
		Check: "dns-cluster-ip-mismatch", Object: "Service/kube-system/kube-dns", Layer: "dns",
		Source:  "https://github.com/rancher/rancher/issues/27901",
		Summary: "kube-dns was deleted by accident and re-created: it got a new cluster IP, while the kubelets still write the old one into every pod's resolv.conf",
		Story: `The kube-dns Service was deleted by accident and re-created from its manifest without its
clusterIP, so it got a new address. The kubelets still write clusterDNS 10.96.0.10 into every pod's
/etc/resolv.conf, new pods included: "nslookup kubernetes.default" times out in every pod because
nothing listens on the old address.`,
		Background: Background{KubeletClusterDNS: ClusterDNS, KubeDNSClusterIP: "10.96.187.43", KubeDNSAge: 3 * time.Hour},
		Build: func(c *Cluster) {
			c.webApp("shop", "cart", "registry.example.com/shop/cart:2.4.0", 8080, 2)
		},
	},
	{
		Name:  "dns-kubelet-cluster-dns-outside-service-network",
		Check: "dns-cluster-ip-mismatch", Object: "Service/kube-system/kube-dns", Layer: "dns",
		Source:  "https://github.com/kubernetes/kubernetes/issues/69487",
		Summary: "kubeadm init --service-cidr=172.168.0.0/22, but the kubelet configuration still names clusterDNS 10.96.0.10: every pod gets a nameserver outside the Service network",
		Story: `The cluster was initialised with kubeadm and --service-cidr=172.168.0.0/22: the kubernetes Service
is 172.168.0.1 and kube-dns 172.168.0.10. The kubelet configuration still says clusterDNS:
10.96.0.10, so every pod's /etc/resolv.conf names an address outside the Service network and no
name resolves.`,
		Background: Background{ServiceNetwork: "172.168.0", KubeletClusterDNS: ClusterDNS},
		Build: func(c *Cluster) {
			c.webApp("default", "hello", "registry.example.com/hello:1.0", 8080, 1)
		},
	},
	{
		Name:  "dns-kubespray-coredns-service-address-mismatch",
		Check: "dns-cluster-ip-mismatch", Object: "Service/kube-system/coredns", Layer: "dns",
		Source:  "https://github.com/kubesphere/kubesphere/issues/2031",
		Summary: "the pods' nameserver is 10.233.0.10 (kubelet clusterDNS), the coredns Service is 10.233.0.3: nothing in the cluster works",
		Story: `After installing KubeSphere on a cluster set up by kubespray, containers cannot resolve anything.
Their /etc/resolv.conf says nameserver 10.233.0.10, the kubelets' clusterDNS, while the cluster DNS
Service (named coredns by kubespray) has cluster IP 10.233.0.3: an earlier install on the same
machines left a kubelet configuration that does not match the DNS Service of this one.`,
		Background: Background{ServiceNetwork: "10.233.0", KubeletClusterDNS: "10.233.0.10", KubeDNSClusterIP: "10.233.0.3", KubeDNSName: "coredns"},
		Build: func(c *Cluster) {
			ui := web("ks-console", "kubesphere/ks-console:v2.1.1", 8000, "/")
			c.deploymentWithService(App{Namespace: "kubesphere-system", Name: "ks-console", Containers: []corev1.Container{ui}}, NamedPort("nginx", 80, "http"))
		},
	},
	{
		Name:  "statefulset-headless-service-never-created",
		Check: "statefulset-governing-service", Object: "StatefulSet/nexus/nxrm-ha", Layer: "dns",
		Source:  "https://github.com/sonatype/nxrm3-ha-repository/issues/51",
		Summary: "the chart's StatefulSet names governing Service nxrm-ha-hl, which no template creates: the replicas have no stable network names",
		Story: `The HA chart sets the StatefulSet's serviceName from values (nxrm-ha-hl), but no template
creates that headless Service. The replicas run and the application Service serves them, but the
per-pod names nxrm-ha-0.nxrm-ha-hl... the cluster members need to find each other do not exist.`,
		Build: func(c *Cluster) {
			nexus := web("nxrm-app", "sonatype/nexus3:3.65.0", 8081, "/service/rest/v1/status")
			c.StatefulSet(App{Namespace: "nexus", Name: "nxrm-ha", Replicas: 3, ServiceName: "nxrm-ha-hl", Containers: []corev1.Container{nexus}})
			c.Service(Svc{Namespace: "nexus", Name: "nxrm-ha", Selector: labels("app", "nxrm-ha"), Ports: httpPort()})
		},
	},
	{
		Name:  "statefulset-servicename-headless-suffix-missing",
		Check: "statefulset-governing-service", Object: "StatefulSet/tracing/tempo", Layer: "dns",
		Source:  "https://github.com/grafana/helm-charts/issues/3042",
		Summary: "the tempo StatefulSet's serviceName is tempo-headless, but the chart only creates Service tempo: FQDNs under the headless Service do not resolve",
		Story: `The tempo chart's StatefulSet says serviceName: tempo-headless while the only Service the chart
creates is tempo (with a ClusterIP). No Service tempo-headless exists, so the per-pod names
tempo-0.tempo-headless.tracing.svc.cluster.local never resolve.`,
		Build: func(c *Cluster) {
			tempo := corev1.Container{Name: "tempo", Image: "grafana/tempo:2.4.1", Args: []string{"-config.file=/conf/tempo.yaml"},
				Ports:          []corev1.ContainerPort{ContainerPort("prom-metrics", 3100), ContainerPort("otlp-grpc", 4317), ContainerPort("jaeger-grpc", 14250)},
				ReadinessProbe: HTTPProbe("/ready", intstr.FromInt32(3100))}
			c.StatefulSet(App{Namespace: "tracing", Name: "tempo", ServiceName: "tempo-headless", Labels: labels("app.kubernetes.io/name", "tempo", "app.kubernetes.io/instance", "tempo"),
				Containers: []corev1.Container{tempo}})
			c.Service(Svc{Namespace: "tracing", Name: "tempo", Selector: labels("app.kubernetes.io/name", "tempo", "app.kubernetes.io/instance", "tempo"),
				Ports: []corev1.ServicePort{NamedPort("tempo-prom-metrics", 3100, "prom-metrics"), NamedPort("grpc-tempo-otlp", 4317, "otlp-grpc")}})
		},
	},
	{
		Name:  "dns-kibana-default-elasticsearch-name",
		Check: "dns-name-unresolvable", Object: "Deployment/logging/kibana", Layer: "dns",
		Source:  "https://github.com/helm/charts/issues/14934",
		Summary: "Kibana's default URL is http://elasticsearch:9200; the Elasticsearch release serves port 9200 as elk-elasticsearch-client: no living connections",
		Story: `Kibana serves only its "Unable to connect to Elasticsearch" page: its default
elasticsearch.url is http://elasticsearch:9200. Elasticsearch was installed as release elk, whose client Service is
elk-elasticsearch-client on port 9200: the name elasticsearch exists nowhere in the namespace.`,
		Build: func(c *Cluster) {
			es := corev1.Container{Name: "elasticsearch", Image: "docker.elastic.co/elasticsearch/elasticsearch-oss:6.7.0",
				Ports: []corev1.ContainerPort{ContainerPort("http", 9200), ContainerPort("transport", 9300)}, ReadinessProbe: HTTPProbe("/_cluster/health", intstr.FromString("http"))}
			esLabels := labels("app", "elasticsearch", "component", "client", "release", "elk")
			c.Deployment(App{Namespace: "logging", Name: "elk-elasticsearch-client", Replicas: 2, Labels: esLabels, Containers: []corev1.Container{es}})
			c.Service(Svc{Namespace: "logging", Name: "elk-elasticsearch-client", Selector: esLabels, Ports: []corev1.ServicePort{NamedPort("http", 9200, "http")}})
			c.Service(Svc{Namespace: "logging", Name: "elk-elasticsearch-discovery", Headless: true, Selector: labels("app", "elasticsearch", "release", "elk"), Ports: []corev1.ServicePort{NamedPort("transport", 9300, "transport")}})
			kibana := web("kibana", "docker.elastic.co/kibana/kibana-oss:6.7.0", 5601, "/app/kibana")
			kibana.Env = env("ELASTICSEARCH_URL", "http://elasticsearch:9200")
			c.deploymentWithService(App{Namespace: "logging", Name: "kibana", Labels: labels("app", "kibana", "release", "elk"), Containers: []corev1.Container{kibana}},
				NamedPort("http", 443, "http"))
		},
	},
	{
		Name:  "dns-old-service-names-after-chart-upgrade",
		Check: "dns-name-unresolvable", Object: "Deployment/monitoring/vmagent", Layer: "dns",
		Source:  "https://github.com/VictoriaMetrics/helm-charts/issues/1637",
		Summary: "a cluster chart upgrade renamed every Service; vmagent still writes to the old vminsert name while vm-vminsert serves port 8480",
		Story: `After upgrading the victoria-metrics-cluster chart, the names of all its Services changed.
vmagent, configured separately, still sends its remote write to
http://vm-victoria-metrics-cluster-vminsert:8480/insert/0/prometheus: that name no longer exists,
and the insert component now serves port 8480 as vm-vminsert.`,
		Build: func(c *Cluster) {
			for _, comp := range []struct {
				name string
				port int32
			}{{"vminsert", 8480}, {"vmselect", 8481}} {
				ct := web(comp.name, "victoriametrics/"+comp.name+":v1.105.0-cluster", comp.port, "/health")
				l := labels("app", comp.name, "app.kubernetes.io/instance", "vm")
				c.deploymentWithService(App{Namespace: "monitoring", Name: "vm-" + comp.name, Labels: l, Replicas: 2, Containers: []corev1.Container{ct}},
					NamedPort("http", comp.port, "http"))
			}
			agent := web("vmagent", "victoriametrics/vmagent:v1.105.0", 8429, "/health")
			agent.Env = env("REMOTE_WRITE_URL", "http://vm-victoria-metrics-cluster-vminsert:8480/insert/0/prometheus")
			c.deploymentWithService(App{Namespace: "monitoring", Name: "vmagent", Containers: []corev1.Container{agent}}, NamedPort("http", 8429, "http"))
		},
	},
}
