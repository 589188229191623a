// Package synth makes synthetic but realistic cluster dumps: namespaces,
// nodes, Deployments with their ReplicaSets and Pods (with status), the
// Services that select them, Endpoints and EndpointSlices consistent with pod
// readiness, Ingresses and Events. A small share of the apps is broken the
// ways real incidents are (crash loops, failing readiness probes, a Service
// selector that drifted from its pods), so a diagnosis has work to do.
//
// It exists for benchmarks and load tests of the file source and the engine:
//
//	var buf bytes.Buffer
//	err := synth.Write(&buf, synth.Config{Pods: 20000}, synth.YAML)
//
// writes what `kubectl get -A -o yaml` prints for such a cluster.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// Config says what cluster to make. The same Config always makes the same
// objects.
type Config struct {
	// Pods is the number of pods; the other kinds scale with it.
	Pods int
	// Seed varies names, sizes and which apps are broken.
	Seed uint64
	// Full writes every field a real API server fills in (tolerations,
	// every pod condition, uids, resourceVersions, image IDs...): about
	// 2.9 KB of YAML per pod, so 20k pods make an 83 MB dump. The default
	// keeps what a diagnosis reads, about 1.1 KB per pod: 20k pods make
	// 36 MB and about 33.6k objects.
	Full bool
}

// Broken shares: about one app in this many is broken in each way.
const (
	crashLoopEvery     = 40
	notReadyEvery      = 50
	selectorDriftEvery = 60
)

// podsPerNode is the kubelet's default maximum, so nodes are full as in a
// dense production cluster.
const podsPerNode = 110

// Cluster is one generated cluster, its objects grouped by kind in the order
// a dump of `kubectl get` lists them.
type Cluster struct {
	Namespaces     []*corev1.Namespace
	Nodes          []*corev1.Node
	Pods           []*corev1.Pod
	Services       []*corev1.Service
	Endpoints      []*corev1.Endpoints
	EndpointSlices []*discoveryv1.EndpointSlice
	Deployments    []*appsv1.Deployment
	ReplicaSets    []*appsv1.ReplicaSet
	Ingresses      []*networkingv1.Ingress
	IngressClasses []*networkingv1.IngressClass
	ConfigMaps     []*corev1.ConfigMap
	Secrets        []*corev1.Secret
	Events         []*corev1.Event
	// Gateway API: one class, the shared Gateway, the routes through it
	// and the grants for routes that reach into another namespace.
	GatewayClasses  []*gwv1.GatewayClass
	Gateways        []*gwv1.Gateway
	HTTPRoutes      []*gwv1.HTTPRoute
	ReferenceGrants []*gwv1.ReferenceGrant
}

// Objects returns every object in dump order.
func (c *Cluster) Objects() []any {
	out := make([]any, 0, c.Len())
	out = appendObjects(out, c.Namespaces)
	out = appendObjects(out, c.Nodes)
	out = appendObjects(out, c.Pods)
	out = appendObjects(out, c.Services)
	out = appendObjects(out, c.Endpoints)
	out = appendObjects(out, c.EndpointSlices)
	out = appendObjects(out, c.Deployments)
	out = appendObjects(out, c.ReplicaSets)
	out = appendObjects(out, c.Ingresses)
	out = appendObjects(out, c.IngressClasses)
	out = appendObjects(out, c.ConfigMaps)
	out = appendObjects(out, c.Secrets)
	out = appendObjects(out, c.Events)
	out = appendObjects(out, c.GatewayClasses)
	out = appendObjects(out, c.Gateways)
	out = appendObjects(out, c.HTTPRoutes)
	out = appendObjects(out, c.ReferenceGrants)
	return out
}

// appendObjects appends every object of list to out.
func appendObjects[T any](out []any, list []T) []any {
	for _, o := range list {
		out = append(out, o)
	}
	return out
}

// Len is the number of objects.
func (c *Cluster) Len() int {
	return len(c.Namespaces) + len(c.Nodes) + len(c.Pods) + len(c.Services) + len(c.Endpoints) +
		len(c.EndpointSlices) + len(c.Deployments) + len(c.ReplicaSets) + len(c.Ingresses) + len(c.IngressClasses) +
		len(c.ConfigMaps) + len(c.Secrets) + len(c.Events) +
		len(c.GatewayClasses) + len(c.Gateways) + len(c.HTTPRoutes) + len(c.ReferenceGrants)
}

// generator carries the random source and the clock through one Generate.
type generator struct {
	rnd   *rand.Rand
	now   time.Time
	c     *Cluster
	nodes []string
	// nodeIPs are the nodes' InternalIPs, which pods report as hostIP.
	nodeIPs []string
	// nodeZones are the nodes' topology zones, which EndpointSlices report.
	nodeZones map[string]string
	uid       uint64
	ip        uint32
}

// Generate makes the cluster cfg describes.
func Generate(cfg Config) *Cluster {
	g := &generator{
		rnd: rand.New(rand.NewPCG(cfg.Seed, 0x686f7073636f7065)),
		now: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		c:   &Cluster{},
		ip:  10<<24 | 244<<16,

		nodeZones: map[string]string{},
	}
	pods := max(cfg.Pods, 1)
	nodes := (pods + podsPerNode - 1) / podsPerNode
	for i := range nodes {
		g.node(fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", i/250, i%250+1), i)
	}
	g.system()
	// About 200 pods per namespace, as a team's share of a large cluster.
	nsCount := max(1, (pods+199)/200)
	perNS := make([]int, nsCount)
	for i := range pods {
		perNS[i%nsCount]++
	}
	app := 0
	var targets []routeTarget
	var teams []string
	for i, n := range perNS {
		ns := fmt.Sprintf("%s-%d", teamNames[i%len(teamNames)], i/len(teamNames))
		g.namespace(ns)
		// Every team may attach routes to the shared Gateway's HTTPS
		// listener, which selects namespaces by this label.
		g.c.Namespaces[len(g.c.Namespaces)-1].Labels[gatewayAccessLabel] = gatewayName
		teams = append(teams, ns)
		var svcs []string
		for n > 0 {
			// Between 1 and 19 replicas, 10 on average.
			r := min(n, 1+g.rnd.IntN(19))
			n -= r
			svc := g.app(ns, app, r)
			svcs = append(svcs, svc)
			if healthyApp(app) && app%routeEvery == 3 {
				targets = append(targets, routeTarget{ns: ns, svc: svc})
			}
			app++
		}
		g.ingresses(ns, svcs)
	}
	g.gatewayAPI(targets, teams)
	if !cfg.Full {
		g.c.lean()
	}
	return g.c
}

var teamNames = []string{"payments", "checkout", "search", "catalog", "identity", "media", "ledger", "billing", "growth", "ops"}
var appNames = []string{"api", "web", "worker", "gateway", "cache", "auth", "frontend", "backend", "indexer", "notifier", "scheduler", "reporter"}

func (g *generator) newUID() types.UID {
	g.uid++
	h := g.uid*0x9e3779b97f4a7c15 ^ 0xdeadbeefcafef00d
	return types.UID(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(h>>4)&0xfff, h&0xffffffffffff))
}

func (g *generator) ago(maxHours int) metav1.Time {
	return metav1.NewTime(g.now.Add(-time.Duration(1+g.rnd.IntN(maxHours*3600)) * time.Second))
}

func (g *generator) nextIP() string {
	g.ip++
	return fmt.Sprintf("%d.%d.%d.%d", g.ip>>24, g.ip>>16&0xff, g.ip>>8&0xff, g.ip&0xff)
}

func (g *generator) suffix(n int) string { return clusterstate.NameSuffix(g.rnd.IntN, n) }

func (g *generator) namespace(name string) {
	g.c.Namespaces = append(g.c.Namespaces, &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, UID: g.newUID(), ResourceVersion: strconv.Itoa(100 + len(g.c.Namespaces)),
			CreationTimestamp: g.ago(24 * 90),
			Labels:            map[string]string{"kubernetes.io/metadata.name": name},
		},
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	})
}

func (g *generator) node(name string, i int) {
	g.nodes = append(g.nodes, name)
	g.nodeIPs = append(g.nodeIPs, fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
	zone := fmt.Sprintf("us-east-1%c", 'a'+rune(i%3))
	g.nodeZones[name] = zone
	ready := g.ago(24 * 30)
	g.c.Nodes = append(g.c.Nodes, &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, UID: g.newUID(), ResourceVersion: strconv.Itoa(5000 + i),
			CreationTimestamp: g.ago(24 * 60),
			Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"node.kubernetes.io/instance-type": "m6i.4xlarge", "topology.kubernetes.io/zone": zone,
			},
		},
		Spec: corev1.NodeSpec{PodCIDR: fmt.Sprintf("10.244.%d.0/24", i%256), ProviderID: "aws:///" + zone + "/i-0" + g.suffix(16)},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64453Mi"),
				corev1.ResourcePods: resource.MustParse(strconv.Itoa(podsPerNode)),
			},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("15890m"), corev1.ResourceMemory: resource.MustParse("63051Mi"),
				corev1.ResourcePods: resource.MustParse(strconv.Itoa(podsPerNode)),
			},
			Conditions: clusterstate.HealthyNodeConditions(metav1.NewTime(g.now), ready),
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: g.nodeIPs[i]},
				{Type: corev1.NodeHostName, Address: name},
			},
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.31.4", ContainerRuntimeVersion: "containerd://1.7.25", OperatingSystem: "linux", Architecture: "amd64", KernelVersion: "6.1.119-129.201.amzn2023.x86_64", OSImage: "Amazon Linux 2023.6.20250115"},
		},
	})
}

// podState is how one pod of an app is doing.
type podState int

const (
	podHealthy podState = iota
	podCrashLoop
	podNotReady
)

// app makes one Deployment, its ReplicaSet, its pods, its Service with
// Endpoints and EndpointSlice, and the Events the broken ones cause. It
// returns the Service name.
func (g *generator) app(ns string, n, replicas int) string {
	name := fmt.Sprintf("%s-%d", appNames[n%len(appNames)], n)
	hash := g.suffix(10)
	labels := map[string]string{"app": name}
	state := podHealthy
	switch {
	case n%crashLoopEvery == 7:
		state = podCrashLoop
	case n%notReadyEvery == 11:
		state = podNotReady
	}
	drift := n%selectorDriftEvery == 23
	created := g.ago(24 * 30)
	image := fmt.Sprintf("registry.example.com/%s/%s:1.%d.%d", ns, appNames[n%len(appNames)], g.rnd.IntN(40), g.rnd.IntN(10))
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "app", Image: image,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}},
					PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
				},
				TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy: corev1.PullIfNotPresent,
			}},
			RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr(int64(30)), SchedulerName: corev1.DefaultSchedulerName,
		},
	}
	dep := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: g.newUID(), Generation: 3, ResourceVersion: strconv.Itoa(20000 + n),
			CreationTimestamp: created, Labels: labels,
			Annotations: map[string]string{clusterstate.RevisionAnnotation: "3"},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl, RevisionHistoryLimit: ptr(int32(10)), ProgressDeadlineSeconds: ptr(int32(600)),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr(intstr.FromString("25%")), MaxSurge: ptr(intstr.FromString("25%")),
			}},
		},
	}
	rs := g.replicaSet(dep, hash, strconv.Itoa(40000+n))
	var pods []*corev1.Pod
	for range replicas {
		pods = append(pods, g.pod(ns, rs, state))
	}
	rs.Status = clusterstate.ReplicaSetStatus(rs, pods)
	// The pods broke after the rollout completed.
	dep.Status = clusterstate.DeploymentStatus(dep, rs, pods, g.now, true)
	g.c.Deployments = append(g.c.Deployments, dep)
	g.c.ReplicaSets = append(g.c.ReplicaSets, rs)

	selector := map[string]string{"app": name}
	if drift {
		// The selector was renamed in the Service but not in the pods.
		selector = map[string]string{"app": name + "-v2"}
	}
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: g.newUID(), ResourceVersion: strconv.Itoa(60000 + n),
			CreationTimestamp: created, Labels: labels,
		},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, Selector: selector, ClusterIP: fmt.Sprintf("172.20.%d.%d", n/250%256, n%250+1),
			Ports:           []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
			SessionAffinity: corev1.ServiceAffinityNone, IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			IPFamilyPolicy: ptr(corev1.IPFamilyPolicySingleStack), InternalTrafficPolicy: ptr(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	g.c.Services = append(g.c.Services, svc)
	if drift {
		pods = nil
	}
	g.endpoints(svc, pods)
	g.events(pods, state)
	return name
}

// replicaSet is the ReplicaSet the deployment controller made for dep,
// created with it.
func (g *generator) replicaSet(dep *appsv1.Deployment, hash, resourceVersion string) *appsv1.ReplicaSet {
	rs := clusterstate.ReplicaSet(dep, hash)
	rs.UID, rs.ResourceVersion, rs.CreationTimestamp = g.newUID(), resourceVersion, dep.CreationTimestamp
	return rs
}

// pod makes a pod of rs, scheduled to a random node, Running and in state.
func (g *generator) pod(ns string, rs *appsv1.ReplicaSet, state podState) *corev1.Pod {
	name := rs.Name + "-" + g.suffix(5)
	ni := g.rnd.IntN(len(g.nodes))
	started := g.ago(24 * 7)
	ip := g.nextIP()
	spec := *rs.Spec.Template.Spec.DeepCopy()
	spec.NodeName = g.nodes[ni]
	spec.ServiceAccountName, spec.DeprecatedServiceAccount = "default", "default"
	clusterstate.DefaultTolerations(&spec)
	image := spec.Containers[0].Image
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, GenerateName: rs.Name + "-", Namespace: ns, UID: g.newUID(), ResourceVersion: strconv.Itoa(100000 + len(g.c.Pods)),
			CreationTimestamp: started, Labels: rs.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{clusterstate.ControllerRef("apps/v1", "ReplicaSet", rs.ObjectMeta)},
		},
		Spec: spec,
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, Conditions: clusterstate.RunningConditions(started, started, started),
			HostIP: g.nodeIPs[ni], HostIPs: []corev1.HostIP{{IP: g.nodeIPs[ni]}}, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			StartTime: &started, QOSClass: clusterstate.QOSClass(&spec),
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: spec.Containers[0].Name, Image: clusterstate.KubeletImage(image), ImageID: image + "@sha256:" + g.suffix(16),
				ContainerID: "containerd://" + g.suffix(24), Ready: true, Started: ptr(true),
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
			}},
		},
	}
	cs := &p.Status.ContainerStatuses[0]
	switch state {
	case podCrashLoop:
		restarts := int32(20 + g.rnd.IntN(200))
		last := corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: g.ago(1), FinishedAt: g.ago(1), ContainerID: cs.ContainerID}
		clusterstate.CrashLoopBackOff(p, cs, last, restarts)
		clusterstate.ContainersNotReady(p, cs.Name, started)
	case podNotReady:
		cs.Ready = false
		clusterstate.ContainersNotReady(p, cs.Name, started)
	}
	g.c.Pods = append(g.c.Pods, p)
	return p
}

// endpoints writes the Endpoints and EndpointSlice the controllers compute
// for svc from pods, the pods its selector matches.
func (g *generator) endpoints(svc *corev1.Service, pods []*corev1.Pod) {
	ep := clusterstate.Endpoints(svc, pods, g.now)
	ep.UID, ep.ResourceVersion, ep.CreationTimestamp = g.newUID(), svc.ResourceVersion+"1", svc.CreationTimestamp
	g.c.Endpoints = append(g.c.Endpoints, ep)
	for _, slice := range clusterstate.EndpointSlices(svc, pods, g.now, func(node string) string { return g.nodeZones[node] }) {
		slice.Name = slice.GenerateName + g.suffix(5)
		slice.UID, slice.ResourceVersion, slice.CreationTimestamp = g.newUID(), svc.ResourceVersion+"2", svc.CreationTimestamp
		g.c.EndpointSlices = append(g.c.EndpointSlices, slice)
	}
}

// events records what the kubelet says about broken pods, and a rollout
// event for one healthy app in ten, so Events cover both kinds of story.
func (g *generator) events(pods []*corev1.Pod, state podState) {
	for _, p := range pods {
		var reason, msg string
		typ := corev1.EventTypeWarning
		container := p.Spec.Containers[0].Name
		switch state {
		case podCrashLoop:
			reason, msg = "BackOff", clusterstate.BackOffMessage(p, container)
		case podNotReady:
			reason, msg = "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"
		default:
			if g.rnd.IntN(10) != 0 {
				continue
			}
			typ, reason, msg = corev1.EventTypeNormal, "Pulled", "Successfully pulled image \""+p.Spec.Containers[0].Image+"\" in 1.204s (1.204s including waiting). Image size: 48213412 bytes."
		}
		first := g.ago(24)
		g.c.Events = append(g.c.Events, &corev1.Event{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
			ObjectMeta: metav1.ObjectMeta{
				Name: p.Name + "." + strconv.FormatUint(g.rnd.Uint64()&0xffffffffffff, 16), Namespace: p.Namespace, UID: g.newUID(),
				ResourceVersion: strconv.Itoa(900000 + len(g.c.Events)), CreationTimestamp: first,
			},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, APIVersion: "v1", ResourceVersion: p.ResourceVersion, FieldPath: "spec.containers{" + container + "}"},
			Reason:         reason, Message: msg, Type: typ, Count: int32(1 + g.rnd.IntN(500)),
			Source:         corev1.EventSource{Component: "kubelet", Host: p.Spec.NodeName},
			FirstTimestamp: first, LastTimestamp: metav1.NewTime(g.now.Add(-time.Duration(g.rnd.IntN(600)) * time.Second)),
			ReportingController: "kubelet", ReportingInstance: p.Spec.NodeName,
		})
	}
}

// ingresses exposes up to three of a namespace's Services through one
// Ingress each.
func (g *generator) ingresses(ns string, svcs []string) {
	cls := clusterstate.IngressNginxClass
	for i, svc := range svcs {
		if i >= 3 {
			break
		}
		pt := networkingv1.PathTypePrefix
		g.c.Ingresses = append(g.c.Ingresses, &networkingv1.Ingress{
			TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
			ObjectMeta: metav1.ObjectMeta{
				Name: svc, Namespace: ns, UID: g.newUID(), Generation: 1, ResourceVersion: strconv.Itoa(70000 + len(g.c.Ingresses)),
				CreationTimestamp: g.ago(24 * 30),
				Annotations:       map[string]string{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
			},
			Spec: networkingv1.IngressSpec{
				IngressClassName: &cls,
				Rules: []networkingv1.IngressRule{{
					Host: svc + "." + ns + ".example.com",
					IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
						Path: "/", PathType: &pt,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}}},
					}}}},
				}},
			},
			Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{Hostname: "k8s-ingress-" + g.suffix(10) + ".elb.us-east-1.amazonaws.com"}}}},
		})
	}
}

func ptr[T any](v T) *T { return &v }
