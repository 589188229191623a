package incidentgen

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// dnsNamingIncidents are names that cannot resolve for a reason outside the
// name's Service: a namespace that does not exist, a client on a renamed
// Service's old name, a StatefulSet's governing Service never created, and
// kubelets that hand pods another nameserver than the cluster DNS Service.
func dnsNamingIncidents() []Incident {
	return []Incident{
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
				c.Service(Svc{Namespace: "nexus", Name: "nxrm-ha", Selector: labels("app", "nxrm-ha"), Ports: []corev1.ServicePort{NamedPort("http", 80, "http")}})
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
}
