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
	// 2.9 KB of YAML per pod, so 20k pods make an 82 MB dump. The default
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
	Events         []*corev1.Event
}

// Objects returns every object in dump order.
func (c *Cluster) Objects() []any {
	out := make([]any, 0, c.Len())
	for _, o := range c.Namespaces {
		out = append(out, o)
	}
	for _, o := range c.Nodes {
		out = append(out, o)
	}
	for _, o := range c.Pods {
		out = append(out, o)
	}
	for _, o := range c.Services {
		out = append(out, o)
	}
	for _, o := range c.Endpoints {
		out = append(out, o)
	}
	for _, o := range c.EndpointSlices {
		out = append(out, o)
	}
	for _, o := range c.Deployments {
		out = append(out, o)
	}
	for _, o := range c.ReplicaSets {
		out = append(out, o)
	}
	for _, o := range c.Ingresses {
		out = append(out, o)
	}
	for _, o := range c.IngressClasses {
		out = append(out, o)
	}
	for _, o := range c.ConfigMaps {
		out = append(out, o)
	}
	for _, o := range c.Events {
		out = append(out, o)
	}
	return out
}

// Len is the number of objects.
func (c *Cluster) Len() int {
	return len(c.Namespaces) + len(c.Nodes) + len(c.Pods) + len(c.Services) + len(c.Endpoints) +
		len(c.EndpointSlices) + len(c.Deployments) + len(c.ReplicaSets) + len(c.Ingresses) + len(c.IngressClasses) +
		len(c.ConfigMaps) + len(c.Events)
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
	for i, n := range perNS {
		ns := fmt.Sprintf("%s-%d", teamNames[i%len(teamNames)], i/len(teamNames))
		g.namespace(ns)
		var svcs []string
		for n > 0 {
			// Between 1 and 19 replicas, 10 on average.
			r := min(n, 1+g.rnd.IntN(19))
			n -= r
			svcs = append(svcs, g.app(ns, app, r))
			app++
		}
		g.ingresses(ns, svcs)
	}
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

const hashChars = "bcdfghjklmnpqrstvwxz2456789"

func (g *generator) suffix(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hashChars[g.rnd.IntN(len(hashChars))]
	}
	return string(b)
}

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
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available", LastHeartbeatTime: metav1.NewTime(g.now), LastTransitionTime: ready},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure", LastHeartbeatTime: metav1.NewTime(g.now), LastTransitionTime: ready},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available", LastHeartbeatTime: metav1.NewTime(g.now), LastTransitionTime: ready},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: metav1.NewTime(g.now), LastTransitionTime: ready},
			},
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
	podLabels := map[string]string{"app": name, "pod-template-hash": hash}
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
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "3"},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl, RevisionHistoryLimit: ptr(int32(10)), ProgressDeadlineSeconds: ptr(int32(600)),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr(intstr.FromString("25%")), MaxSurge: ptr(intstr.FromString("25%")),
			}},
		},
	}
	rsTmpl := *tmpl.DeepCopy()
	rsTmpl.Labels = podLabels
	rs := &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-" + hash, Namespace: ns, UID: g.newUID(), Generation: 1, ResourceVersion: strconv.Itoa(40000 + n),
			CreationTimestamp: created, Labels: podLabels,
			Annotations:     map[string]string{"deployment.kubernetes.io/desired-replicas": strconv.Itoa(replicas), "deployment.kubernetes.io/max-replicas": strconv.Itoa(replicas + (replicas+3)/4), "deployment.kubernetes.io/revision": "3"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: name, UID: dep.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: podLabels}, Template: rsTmpl},
	}
	ready := 0
	var pods []*corev1.Pod
	for range replicas {
		p := g.pod(ns, rs, rsTmpl, state)
		pods = append(pods, p)
		if state == podHealthy {
			ready++
		}
	}
	rs.Status = appsv1.ReplicaSetStatus{Replicas: int32(replicas), FullyLabeledReplicas: int32(replicas), ReadyReplicas: int32(ready), AvailableReplicas: int32(ready), ObservedGeneration: 1}
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: 3, Replicas: int32(replicas), UpdatedReplicas: int32(replicas), ReadyReplicas: int32(ready),
		AvailableReplicas: int32(ready), UnavailableReplicas: int32(replicas - ready),
		Conditions: []appsv1.DeploymentCondition{
			availableCondition(ready == replicas, created),
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", rs.Name), LastUpdateTime: created, LastTransitionTime: created},
		},
	}
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
	g.endpoints(svc, pods, state == podHealthy, tmpl.Spec.Containers[0].Ports)
	g.events(pods, state)
	return name
}

func availableCondition(ok bool, at metav1.Time) appsv1.DeploymentCondition {
	if ok {
		return appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability.", LastUpdateTime: at, LastTransitionTime: at}
	}
	return appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable", Message: "Deployment does not have minimum availability.", LastUpdateTime: at, LastTransitionTime: at}
}

func (g *generator) pod(ns string, rs *appsv1.ReplicaSet, tmpl corev1.PodTemplateSpec, state podState) *corev1.Pod {
	name := rs.Name + "-" + g.suffix(5)
	ni := g.rnd.IntN(len(g.nodes))
	node := g.nodes[ni]
	started := g.ago(24 * 7)
	ip := g.nextIP()
	spec := *tmpl.Spec.DeepCopy()
	spec.NodeName = node
	spec.ServiceAccountName, spec.DeprecatedServiceAccount = "default", "default"
	spec.Tolerations = append(spec.Tolerations,
		corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
		corev1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
	)
	uid := g.newUID()
	readyStatus, reason := corev1.ConditionTrue, ""
	cs := corev1.ContainerStatus{
		Name: "app", Image: tmpl.Spec.Containers[0].Image, ImageID: tmpl.Spec.Containers[0].Image + "@sha256:" + g.suffix(16),
		ContainerID: "containerd://" + g.suffix(24), Ready: true, Started: ptr(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
	}
	switch state {
	case podCrashLoop:
		readyStatus, reason = corev1.ConditionFalse, "ContainersNotReady"
		cs.Ready, cs.Started = false, ptr(false)
		cs.RestartCount = int32(20 + g.rnd.IntN(200))
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off 5m0s restarting failed container=app pod=%s_%s(%s)", name, ns, uid)}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: g.ago(1), FinishedAt: g.ago(1), ContainerID: cs.ContainerID}}
	case podNotReady:
		readyStatus, reason = corev1.ConditionFalse, "ContainersNotReady"
		cs.Ready = false
	}
	conds := []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: started},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: started},
		{Type: corev1.PodReady, Status: readyStatus, Reason: reason, LastTransitionTime: started},
		{Type: corev1.ContainersReady, Status: readyStatus, Reason: reason, LastTransitionTime: started},
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: started},
	}
	if reason != "" {
		conds[2].Message = "containers with unready status: [app]"
		conds[3].Message = conds[2].Message
	}
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, GenerateName: rs.Name + "-", Namespace: ns, UID: uid, ResourceVersion: strconv.Itoa(100000 + len(g.c.Pods)),
			CreationTimestamp: started, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
		},
		Spec: spec,
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, Conditions: conds, HostIP: g.nodeIPs[ni], HostIPs: []corev1.HostIP{{IP: g.nodeIPs[ni]}}, PodIP: ip,
			PodIPs: []corev1.PodIP{{IP: ip}}, StartTime: &started, QOSClass: corev1.PodQOSBurstable,
			ContainerStatuses: []corev1.ContainerStatus{cs},
		},
	}
	g.c.Pods = append(g.c.Pods, p)
	return p
}

// endpoints writes the Endpoints and EndpointSlice the controllers would
// compute for svc from its pods' readiness.
func (g *generator) endpoints(svc *corev1.Service, pods []*corev1.Pod, ready bool, cports []corev1.ContainerPort) {
	var slicePorts []discoveryv1.EndpointPort
	var epPorts []corev1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		num := sp.TargetPort.IntVal
		if sp.TargetPort.Type == intstr.String {
			for _, cp := range cports {
				if cp.Name == sp.TargetPort.StrVal {
					num = cp.ContainerPort
				}
			}
		}
		slicePorts = append(slicePorts, discoveryv1.EndpointPort{Name: ptr(sp.Name), Port: ptr(num), Protocol: ptr(sp.Protocol)})
		epPorts = append(epPorts, corev1.EndpointPort{Name: sp.Name, Port: num, Protocol: sp.Protocol})
	}
	sliceLabels := map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}
	for k, v := range svc.Labels {
		sliceLabels[k] = v
	}
	ep := &corev1.Endpoints{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name, Namespace: svc.Namespace, UID: g.newUID(), ResourceVersion: svc.ResourceVersion + "1",
			CreationTimestamp: svc.CreationTimestamp, Labels: svc.Labels,
			Annotations: map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": g.now.Format(time.RFC3339)},
		},
	}
	slice := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name + "-" + g.suffix(5), GenerateName: svc.Name + "-", Namespace: svc.Namespace, UID: g.newUID(),
			ResourceVersion: svc.ResourceVersion + "2", CreationTimestamp: svc.CreationTimestamp,
			Labels:          sliceLabels,
			Annotations:     map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": g.now.Format(time.RFC3339)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	if len(pods) > 0 {
		slice.Ports = slicePorts
		sub := corev1.EndpointSubset{Ports: epPorts}
		for _, p := range pods {
			addr := corev1.EndpointAddress{IP: p.Status.PodIP, NodeName: ptr(p.Spec.NodeName), TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
			if ready {
				sub.Addresses = append(sub.Addresses, addr)
			} else {
				sub.NotReadyAddresses = append(sub.NotReadyAddresses, addr)
			}
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
				Addresses:  []string{p.Status.PodIP},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready), Serving: ptr(ready), Terminating: ptr(false)},
				NodeName:   ptr(p.Spec.NodeName), Zone: ptr(g.nodeZones[p.Spec.NodeName]), TargetRef: addr.TargetRef,
			})
		}
		ep.Subsets = []corev1.EndpointSubset{sub}
	}
	g.c.Endpoints = append(g.c.Endpoints, ep)
	g.c.EndpointSlices = append(g.c.EndpointSlices, slice)
}

// events records what the kubelet says about broken pods, and a rollout
// event for one healthy app in ten, so Events cover both kinds of story.
func (g *generator) events(pods []*corev1.Pod, state podState) {
	for _, p := range pods {
		var reason, msg string
		typ := corev1.EventTypeWarning
		switch state {
		case podCrashLoop:
			reason, msg = "BackOff", "Back-off restarting failed container app in pod "+p.Name+"_"+p.Namespace+"("+string(p.UID)+")"
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
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, APIVersion: "v1", ResourceVersion: p.ResourceVersion, FieldPath: "spec.containers{app}"},
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
	cls := "nginx"
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
