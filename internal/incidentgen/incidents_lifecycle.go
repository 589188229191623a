package incidentgen

import (
	"time"

	"github.com/hopscope/hopscope/internal/clusterstate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var lifecycleIncidents = []Incident{
	{
		Name:  "node-kubelet-stopped-pods-still-listed",
		Check: "node-not-ready", Object: "Node/node-2", Layer: "node",
		Source:  "https://github.com/kubernetes/kubernetes/issues/50127",
		Summary: "node-2 was rebooted and its kubelet never came back: NotReady, both nginx pods still listed Running but not ready",
		Story: `node-2 was rebooted; its kubelet did not come back and the node has been NotReady (Unknown,
"Kubelet stopped posting node status.") for four minutes. Both nginx-dm replicas ran there. They are
still listed as Running — nobody can update them — but the node controller marked them not ready,
so the Service has no ready endpoint until they are evicted and rescheduled.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "default", Name: "nginx-dm", Replicas: 2, Nodes: []string{Worker2}, Containers: []corev1.Container{web("nginx", "nginx:1.27.3", 80, "/")}})
			c.Service(Svc{Namespace: "default", Name: "nginx-svc", Selector: labels("app", "nginx-dm"), Ports: httpPort()})
			c.NodeNotReady(Worker2, corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", 4*time.Minute)
		},
	},
	{
		Name:  "kubeadm-no-cni-coredns-pending",
		Check: "node-not-ready", Object: "Node/cp-1", Layer: "node",
		Source:  "https://github.com/kubernetes/kubeadm/issues/1795",
		Summary: "fresh kubeadm cluster without a network add-on: nodes NotReady (cni plugin not initialized), coredns Pending",
		Story: `Right after "kubeadm init" and joining two workers, every node is NotReady and the coredns pods
are Pending with "0/3 nodes are available: 3 node(s) had untolerated taint
{node.kubernetes.io/not-ready: }". The kubelets report "container runtime network not ready:
NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not
initialized": no pod network add-on (CNI) was installed.`,
		Related:    []string{"Node/node-1", "Node/node-2", "Deployment/kube-system/coredns", "Service/kube-system/kube-dns"},
		Background: Background{CoreDNS: Replicas(2, Unschedulable("0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."))},
		Build: func(c *Cluster) {
			for _, n := range []string{ControlPlane, Worker1, Worker2} {
				c.NodeNotReady(n, corev1.ConditionFalse, "KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized", 25*time.Minute)
			}
		},
	},
	{
		Name:  "pending-insufficient-memory",
		Check: "pod-pending", Layer: "pod",
		Source:  "https://github.com/istio/istio/issues/13111",
		Summary: "istiod requests more memory than any node has free: FailedScheduling, 0/3 nodes are available, Insufficient memory",
		Story: `After installing Istio, the control plane never comes up: istiod is Pending with "0/3 nodes are
available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient
memory". Its memory request (the profile's default was raised to 20Gi) fits on no worker.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "discovery", Image: "docker.io/istio/pilot:1.24.2", Args: []string{"discovery", "--monitoringAddr=:15014", "--log_output_level=default:info"},
				Ports:          []corev1.ContainerPort{ContainerPort("http-debug", 8080), ContainerPort("grpc-xds", 15010), ContainerPort("https-dns", 15012), ContainerPort("https-webhooks", 15017), ContainerPort("http-monitoring", 15014)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}, InitialDelaySeconds: 1, PeriodSeconds: 3},
				Resources:      corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("20Gi")}}}
			msg := "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
			w := c.deploymentWithService(App{Namespace: "istio-system", Name: "istiod", Labels: labels("app", "istiod", "istio", "pilot"), Age: 30 * time.Minute,
				Containers: []corev1.Container{ct}, States: []PodState{Unschedulable(msg)}},
				Port("grpc-xds", 15010, 15010), Port("https-dns", 15012, 15012), Port("https-webhook", 443, 15017), Port("http-monitoring", 15014, 15014))
			c.ExpectObject(PodRef(w.Pods[0]))
		},
	},
	{
		Name:  "pending-unbound-persistentvolumeclaim",
		Check: "pod-pending", Object: "Pod/kubevious/kubevious-mysql-0", Layer: "pod",
		Source:  "https://github.com/kubevious/kubevious/issues/53",
		Summary: "the MySQL StatefulSet's claim never binds (no matching PersistentVolume): the pod stays Pending and the app has no database",
		Story: `After "helm upgrade --install kubevious", kubevious-mysql-0 stays Pending: "0/3 nodes are
available: pod has unbound immediate PersistentVolumeClaims". The only StorageClass uses the
no-provisioner with WaitForFirstConsumer and the hand-made PersistentVolume has another storage
class, so the claim never binds; the kubevious backend cannot reach its database.`,
		Build: func(c *Cluster) {
			mysql := corev1.Container{Name: "mysql", Image: "mysql:8.0.40", Ports: []corev1.ContainerPort{ContainerPort("mysql", 3306)},
				VolumeMounts:   []corev1.VolumeMount{{Name: "data", MountPath: "/var/lib/mysql"}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"mysqladmin", "ping", "-h", "127.0.0.1"}}}}}
			c.StatefulSet(App{Namespace: "kubevious", Name: "kubevious-mysql", ServiceName: "kubevious-mysql", Labels: labels("app.kubernetes.io/name", "kubevious-mysql"),
				Containers: []corev1.Container{mysql}, Age: 20 * time.Minute,
				Pod: func(s *corev1.PodSpec) {
					s.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-kubevious-mysql-0"}}}}
				},
				States: []PodState{Unschedulable("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")}})
			c.Service(Svc{Namespace: "kubevious", Name: "kubevious-mysql", Headless: true, Selector: labels("app.kubernetes.io/name", "kubevious-mysql"), Ports: []corev1.ServicePort{NamedPort("mysql", 3306, "mysql")}})
			be := web("kubevious-backend", "kubevious/backend:1.0.71", 4001, "/api/v1/version")
			be.Env = env("MYSQL_HOST", "kubevious-mysql", "MYSQL_PORT", "3306")
			c.deploymentWithService(App{Namespace: "kubevious", Name: "kubevious-backend", Containers: []corev1.Container{be}}, NamedPort("http", 4001, "http"))
		},
	},
	{
		Name:  "jvm-oomkilled-heap-plus-native",
		Check: "container-crashloop", Layer: "container",
		Source:  "https://github.com/virtualcell/vcell/pull/1899",
		Summary: "MaxRAMPercentage=80 of a 2000Mi limit leaves no room for native memory: the api JVM is OOMKilled (137) again and again",
		Story: `The api pod restarts over and over. Its Java heap may grow to 80% of the 2000Mi limit (1600Mi)
while the JVM's non-heap memory needs about 700Mi more, so the kernel kills the container (exit
code 137, OOMKilled) long before the JVM would throw OutOfMemoryError. The only replica is in
CrashLoopBackOff, so the api Service has no ready endpoint.`,
		Build: func(c *Cluster) {
			ct := web("api", "ghcr.io/virtualcell/vcell-api:7.7.0.12", 8080, "/health")
			ct.Env = env("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=80 -XX:+UseG1GC")
			ct.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2000Mi")}, Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2000Mi"), corev1.ResourceCPU: resource.MustParse("500m")}}
			w := c.deploymentWithService(App{Namespace: "vcell", Name: "api", Containers: []corev1.Container{ct},
				States: []PodState{CrashLoop(Termination{Reason: "OOMKilled", ExitCode: 137, Restarts: 17, Ran: 55 * time.Minute})}})
			c.ExpectObject(PodRef(w.Pods[0]))
		},
	},
	{
		Name:  "liveness-kills-slow-spring-boot",
		Check: "container-crashloop", Layer: "container",
		Source:  "https://github.com/redhat-scholars/istio-tutorial/issues/71",
		Summary: "the liveness probe starts after 10s; the Spring Boot service needs ~20s to listen, so the kubelet kills it every time",
		Story: `The customer service of the tutorial restarts forever. Its liveness probe runs
"curl localhost:8080/health" after initialDelaySeconds: 10, every 5 seconds, but the Spring Boot app
needs about 20 seconds to start listening; the kubelet kills it before it is up ("Liveness probe
failed ... Connection refused", "Container customer failed liveness probe, will be restarted").`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "customer", Image: "quay.io/rhdevelopers/istio-tutorial-customer:v1.1", Ports: []corev1.ContainerPort{ContainerPort("http", 8080)},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"curl", "localhost:8080/health"}}}, InitialDelaySeconds: 10, PeriodSeconds: 5},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"curl", "localhost:8080/health"}}}, InitialDelaySeconds: 10, PeriodSeconds: 5}}
			w := c.Deployment(App{Namespace: "tutorial", Name: "customer", Labels: labels("app", "customer", "version", "v1"), Selector: labels("app", "customer", "version", "v1"), Containers: []corev1.Container{ct},
				States: []PodState{CrashLoop(Termination{Reason: "Error", ExitCode: 143, Restarts: 12, Ran: 25 * time.Second,
					Liveness: "curl: (7) Failed to connect to localhost port 8080: Connection refused"})}})
			c.Service(Svc{Namespace: "tutorial", Name: "customer", Selector: labels("app", "customer"), Ports: []corev1.ServicePort{NamedPort("http", 8080, "http")}})
			c.Ingress(ingressFor("tutorial", "customer", "nginx", "customer.tutorial.example.com", route("/", "customer", 8080)))
			c.ExpectObject(PodRef(w.Pods[0]))
		},
	},
	{
		Name:  "readiness-probe-path-404",
		Check: "pod-not-ready", Layer: "pod",
		Source:  "https://github.com/grafana/helm-charts/issues/2031",
		Summary: "promtail's readiness probe gets HTTP 404 on its path: every pod Running 0/1 and the metrics Service has no endpoint",
		Story: `After upgrading the promtail chart every promtail pod is Running but 0/1 ready; the kubelet logs
"Readiness probe failed: HTTP probe failed with statuscode: 404". The chart's probe path does not
exist in the promtail version that was installed, so the pods never become ready and the
promtail-metrics Service has no ready endpoint.`,
		Build: func(c *Cluster) {
			l := labels("app.kubernetes.io/name", "promtail", "app.kubernetes.io/instance", "promtail")
			ct := corev1.Container{Name: "promtail", Image: "docker.io/grafana/promtail:2.9.3", Args: []string{"-config.file=/etc/promtail/promtail.yaml"},
				Ports:          []corev1.ContainerPort{ContainerPort("http-metrics", 3101)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http-metrics")}}, InitialDelaySeconds: 10, PeriodSeconds: 10, FailureThreshold: 5}}
			probe := NotReady("promtail", "HTTP probe failed with statuscode: 404", 22)
			w := c.DaemonSet(App{Namespace: "logging", Name: "promtail", Labels: l, Containers: []corev1.Container{ct}, Age: 4 * time.Minute,
				States: []PodState{probe, probe}})
			c.Service(Svc{Namespace: "logging", Name: "promtail-metrics", Labels: l, Selector: l, Ports: []corev1.ServicePort{NamedPort("http-metrics", 3101, "http-metrics")}})
			c.ExpectObject(PodRef(clusterstate.SortedPods(w.Pods)[0]))
		},
	},
	{
		Name:  "readiness-probe-on-service-port",
		Check: "pod-readiness-probe-port", Layer: "container",
		Source:  "https://github.com/kubernetes/kubernetes/issues/24364",
		Summary: "the readiness probe targets the Service's port 80 instead of the container's 8080: the web tier is never ready",
		Story: `The web tier's readiness probe checks port 80 — the port the Service exposes — but probes run
against the pod, where the server listens on 8080 (its declared containerPort, and the Service's
targetPort). "Readiness probe failed: ... dial tcp ...:80: connect: connection refused" repeats; the
pods never become ready and the LoadBalancer has no endpoint. "It's obvious if you think about it,
but not so difficult to forget."`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "web-http", Image: "registry.example.com/shop/web:3.2.0", Ports: []corev1.ContainerPort{ContainerPort("http", 8080)},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health_check", Port: intstr.FromInt32(80)}}, InitialDelaySeconds: 10}}
			w := c.Deployment(App{Namespace: "default", Name: "web-http", Replicas: 2, Containers: []corev1.Container{ct}})
			for _, pod := range w.Pods {
				NotReady("web-http", "Get \"http://"+pod.Status.PodIP+":80/health_check\": dial tcp "+pod.Status.PodIP+":80: connect: connection refused", 140)(c, pod)
			}
			c.Service(Svc{Namespace: "default", Name: "web-http", Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: "35.204.18.77",
				Selector: labels("app", "web-http"), Ports: httpPort()})
			c.ExpectObject(PodRef(clusterstate.SortedPods(w.Pods)[0]))
		},
	},
	{
		Name:  "init-container-waits-for-missing-service",
		Check: "init-container-blocked", Object: "Pod/default/myapp-pod", Layer: "container",
		Source:  "https://kubernetes.io/docs/concepts/workloads/pods/init-containers/",
		Summary: "the docs' myapp-pod waits in Init:0/2 because its init containers loop on nslookup of Services nobody created",
		Story: `myapp-pod from the Init Containers page stays in Init:0/2. Its first init container runs
"until nslookup myservice.$(cat .../namespace).svc.cluster.local; do echo waiting for myservice;
sleep 2; done" and the second waits the same way for mydb; neither Service was created, so the init
containers wait forever and the app container never starts.`,
		Build: func(c *Cluster) {
			wait := func(name, svc string) corev1.Container {
				return corev1.Container{Name: name, Image: "busybox:1.28", Command: []string{"sh", "-c",
					"until nslookup " + svc + ".$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for " + svc + "; sleep 2; done"}}
			}
			c.BarePod(App{Namespace: "default", Name: "myapp-pod", Labels: labels("app.kubernetes.io/name", "MyApp"), Age: 35 * time.Minute,
				Containers:     []corev1.Container{{Name: "myapp-container", Image: "busybox:1.28", Command: []string{"sh", "-c", "echo The app is running! && sleep 3600"}}},
				InitContainers: []corev1.Container{wait("init-myservice", "myservice"), wait("init-mydb", "mydb")},
				States:         []PodState{InitRunning("init-myservice")}})
		},
	},
	{
		Name:  "configmap-volume-missing",
		Check: "container-config-error", Object: "Pod/quorum/besu-node-validator-1-0", Layer: "container",
		Source:  "https://github.com/Consensys-Incorporated/quorum-kubernetes/issues/240",
		Summary: "the validator pod mounts ConfigMaps besu-peers and besu-genesis that were never created: stuck in ContainerCreating",
		Story: `besu-node-validator-1-0 has been in ContainerCreating for minutes. The kubelet keeps reporting
"MountVolume.SetUp failed for volume "static-nodes" : configmap "besu-peers" not found" and the same
for "genesis" : configmap "besu-genesis": the genesis job that creates them was skipped, so the
validator never starts and the RPC Service has no endpoint.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "besu-node-validator-1", Image: "hyperledger/besu:24.12.2", Ports: []corev1.ContainerPort{ContainerPort("json-rpc", 8545), ContainerPort("rlpx", 30303)},
				VolumeMounts: []corev1.VolumeMount{{Name: "static-nodes", MountPath: "/config/static"}, {Name: "genesis", MountPath: "/etc/genesis", ReadOnly: true}}}
			l := labels("app.kubernetes.io/name", "besu-node-validator-1")
			c.StatefulSet(App{Namespace: "quorum", Name: "besu-node-validator-1", ServiceName: "besu-node-validator-1-headless", Labels: l, Containers: []corev1.Container{ct}, Age: 6 * time.Minute,
				Pod: func(s *corev1.PodSpec) {
					s.Volumes = []corev1.Volume{
						{Name: "static-nodes", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "besu-peers"}}}},
						{Name: "genesis", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "besu-genesis"}}}},
					}
				},
				States: []PodState{MountFailure(`MountVolume.SetUp failed for volume "static-nodes" : configmap "besu-peers" not found`, `MountVolume.SetUp failed for volume "genesis" : configmap "besu-genesis" not found`)}})
			c.Service(Svc{Namespace: "quorum", Name: "besu-node-validator-1", Selector: l, Ports: []corev1.ServicePort{NamedPort("json-rpc", 8545, "json-rpc"), NamedPort("rlpx", 30303, "rlpx")}})
			c.Service(Svc{Namespace: "quorum", Name: "besu-node-validator-1-headless", Headless: true, PublishNotReady: true, Selector: l, Ports: []corev1.ServicePort{NamedPort("rlpx", 30303, "rlpx")}})
		},
	},
	{
		Name:  "secret-volume-in-other-namespace",
		Check: "container-config-error", Object: "Pod/default/build-ageorgou-2dbinder-2dtest-1a2b3c", Layer: "container",
		Source:  "https://github.com/jupyterhub/binderhub/issues/810",
		Summary: "BinderHub starts build pods in default, but their push Secret exists only in sheff-hub: FailedMount, builds never start",
		Story: `Launches on the BinderHub never get past "Waiting for build to start...". The build pod was
created in namespace default and is stuck in ContainerCreating: "MountVolume.SetUp failed for volume
"docker-push-secret" : secrets "binder-push-secret" not found". The Secret exists, but in sheff-hub,
the namespace BinderHub itself runs in; Secret volumes are only looked up in the pod's namespace.`,
		Build: func(c *Cluster) {
			c.Secret("sheff-hub", "binder-push-secret", corev1.SecretTypeOpaque)
			c.Secret("sheff-hub", "binder-secret", corev1.SecretTypeOpaque)
			c.webApp("sheff-hub", "binder", "quay.io/jupyterhub/k8s-binderhub:1.0.0", 8585, 1)
			ct := corev1.Container{Name: "builder", Image: "quay.io/jupyterhub/repo2docker:2024.07.0", Args: []string{"jupyter-repo2docker", "--ref", "HEAD", "--no-run", "https://github.com/ageorgou/binder-test"},
				VolumeMounts: []corev1.VolumeMount{{Name: "docker-socket", MountPath: "/var/run/docker.sock"}, {Name: "docker-push-secret", MountPath: "/root/.docker"}}}
			c.BarePod(App{Namespace: "default", Name: "build-ageorgou-2dbinder-2dtest-1a2b3c", Labels: labels("component", "binderhub-build", "name", "build-ageorgou-2dbinder-2dtest-1a2b3c"), Age: 70 * time.Minute,
				Containers: []corev1.Container{ct},
				Pod: func(s *corev1.PodSpec) {
					s.RestartPolicy = corev1.RestartPolicyNever
					s.Volumes = []corev1.Volume{
						{Name: "docker-socket", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock", Type: ptrTo(corev1.HostPathSocket)}}},
						{Name: "docker-push-secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "binder-push-secret"}}},
					}
				},
				States: []PodState{MountFailure(`MountVolume.SetUp failed for volume "docker-push-secret" : secrets "binder-push-secret" not found`)}})
		},
	},
	{
		Name:  "image-tag-does-not-exist",
		Check: "container-image-pull", Layer: "container",
		Source:  "https://github.com/vfarcic/dot-ai/pull/478",
		Summary: "the Deployment was changed to nginx:v999-nonexistent: the new pod is in ImagePullBackOff and the Service lost its only endpoint",
		Story: `A change to the GitOps repository set the web Deployment's image to nginx:v999-nonexistent. The
registry has no such tag: "failed to resolve reference "docker.io/library/nginx:v999-nonexistent":
not found". The replacement pod is in ImagePullBackOff; the old pod was already gone (Recreate
strategy), so the web Service has no endpoint.`,
		Build: func(c *Cluster) {
			pull := ImagePullBackOff("nginx", `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:v999-nonexistent": failed to resolve reference "docker.io/library/nginx:v999-nonexistent": docker.io/library/nginx:v999-nonexistent: not found`)
			w := c.deploymentWithService(App{Namespace: "demo", Name: "web", Age: 25 * time.Minute, Containers: []corev1.Container{web("nginx", "nginx:v999-nonexistent", 80, "/")}, States: []PodState{pull}})
			c.ExpectObject(PodRef(w.Pods[0]))
		},
	},
	{
		Name:  "kube-proxy-crashloop-on-one-node",
		Check: "container-crashloop", Layer: "container",
		Source:  "https://github.com/kubernetes/kubernetes/issues/81353",
		Summary: "kube-proxy crash-loops on node-2 after a short node outage: Services are unreachable from pods on that node",
		Story: `After a brief outage of node-2, pods scheduled there cannot reach any ClusterIP Service. The
kube-proxy pod on node-2 is in CrashLoopBackOff and does not recover by itself, so that node's
Service rules are no longer maintained; kube-proxy on the other nodes is fine.`,
		Build: func(c *Cluster) {
			ct := corev1.Container{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.32.3",
				Command:         []string{"/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"},
				Env:             []corev1.EnvVar{{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
				SecurityContext: &corev1.SecurityContext{Privileged: ptrTo(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "kube-proxy", MountPath: "/var/lib/kube-proxy"}, {Name: "xtables-lock", MountPath: "/run/xtables.lock"}, {Name: "lib-modules", MountPath: "/lib/modules", ReadOnly: true}}}
			crash := CrashLoop(Termination{Reason: "Error", ExitCode: 1, Restarts: 34, Ran: 20 * time.Second,
				Message: "E0814 02:11:07.112391       1 server.go:558] \"Error running ProxyServer\" err=\"iptables-restore: line 16 failed\""})
			w := c.DaemonSet(App{Namespace: "kube-system", Name: "kube-proxy", Labels: labels("k8s-app", "kube-proxy"), Containers: []corev1.Container{ct},
				Nodes:  []string{ControlPlane, Worker1, Worker2},
				States: []PodState{nil, nil, crash},
				Pod: func(s *corev1.PodSpec) {
					s.HostNetwork = true
					s.PriorityClassName = "system-node-critical"
					s.ServiceAccountName = "kube-proxy"
					s.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
					s.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
					s.Volumes = []corev1.Volume{
						{Name: "kube-proxy", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-proxy"}}}},
						{Name: "xtables-lock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/run/xtables.lock", Type: ptrTo(corev1.HostPathFileOrCreate)}}},
						{Name: "lib-modules", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/lib/modules"}}},
					}
				}})
			c.ConfigMap("kube-system", "kube-proxy", map[string]string{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: 10.244.0.0/16\n"})
			c.webApp("shop", "cart", "registry.example.com/shop/cart:2.4.0", 8080, 2)
			c.ExpectObject(PodRef(w.Pods[2]))
		},
	},
	// Startup probes naming a port their container does not define: the probe errors, errored results are
	// discarded, and the container never counts as started.
	{
		Name:  "startup-probe-port-only-on-sidecar",
		Check: "container-probe-port", Layer: "container",
		Source:  "https://github.com/nextcloud/helm/issues/63",
		Summary: "with the nginx sidecar enabled, the chart's startup probe still names port http on the php-fpm container: never started, never ready",
		Story: `Nextcloud runs as php-fpm behind an nginx sidecar. The chart's startup probe is not guarded by
nginx.enabled like the other probes, so it stays on the nextcloud container and names port http,
which only the nginx container declares. The kubelet resolves a probe's named port among the probed
container's ports only: "Startup probe errored: strconv.Atoi: parsing "http": invalid syntax".
Errored results are discarded, so the container never counts as started, its pod never becomes
Ready, and the Service has no endpoint.`,
		Build: func(c *Cluster) {
			fpm := corev1.Container{Name: "nextcloud", Image: "nextcloud:20.0.4-fpm",
				StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/status.php", Port: intstr.FromString("http")}},
					InitialDelaySeconds: 30, PeriodSeconds: 10, FailureThreshold: 30}}
			nginx := web("nextcloud-nginx", "nginx:1.19-alpine", 80, "/status.php")
			c.deploymentWithService(App{Namespace: "nextcloud", Name: "nextcloud", Labels: labels("app.kubernetes.io/name", "nextcloud", "app.kubernetes.io/component", "app"),
				Containers: []corev1.Container{fpm, nginx}, States: []PodState{NeverStarted("nextcloud", `strconv.Atoi: parsing "http": invalid syntax`)}},
				NamedPort("http", 8080, "http"))
			c.ExpectObject(PodRef(c.firstPod("nextcloud", "nextcloud-")))
		},
	},
	{
		Name:  "startup-probe-port-renamed-streaming",
		Check: "container-probe-port", Layer: "container",
		Source:  "https://github.com/mastodon/chart/pull/140",
		Summary: "a chart release added a startup probe on port http to the streaming container, whose only port is streaming: streaming pods never become ready",
		Story: `A Mastodon chart release added startup probes. The streaming container declares one port, named
streaming (4000), but its new startup probe asks for port http. The kubelet cannot resolve the
name, the probe errors instead of failing, and the container never counts as started: the
streaming pods stay Running 0/1 and the streaming Service loses every endpoint, so timelines stop
updating live.`,
		Build: func(c *Cluster) {
			health := func() *corev1.Probe { return HTTPProbe("/api/v1/streaming/health", intstr.FromString("streaming")) }
			streaming := corev1.Container{Name: "mastodon", Image: "ghcr.io/mastodon/mastodon-streaming:v4.2.10",
				Command: []string{"node", "./streaming"}, Ports: []corev1.ContainerPort{ContainerPort("streaming", 4000)},
				LivenessProbe: health(), ReadinessProbe: health(),
				StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/api/v1/streaming/health", Port: intstr.FromString("http")}},
					InitialDelaySeconds: 5, PeriodSeconds: 5, FailureThreshold: 15}}
			pl := labels("app.kubernetes.io/name", "mastodon", "app.kubernetes.io/instance", "mastodon", "app.kubernetes.io/component", "streaming")
			errored := NeverStarted("mastodon", `strconv.Atoi: parsing "http": invalid syntax`)
			c.deploymentWithService(App{Namespace: "mastodon", Name: "mastodon-streaming", Labels: pl, Replicas: 2,
				Containers: []corev1.Container{streaming}, States: []PodState{errored, errored}}, NamedPort("streaming", 4000, "streaming"))
			c.ExpectObject(PodRef(c.firstPod("mastodon", "mastodon-streaming-")))
		},
	},
}
