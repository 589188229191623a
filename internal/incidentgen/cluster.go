package incidentgen

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// Cluster is one cluster state under construction. It is not safe for
// concurrent use.
type Cluster struct {
	// Now is the moment the dump is taken; ages and event times are relative
	// to it.
	Now time.Time

	rng         *rand.Rand
	rv          int
	nodes       []*corev1.Node
	nodeIndex   map[string]int
	namespaces  map[string]*corev1.Namespace
	services    []*corev1.Service
	workloads   []*Workload
	pods        []*corev1.Pod
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	ingresses   []*networkingv1.Ingress
	classes     []*networkingv1.IngressClass
	netpols     []*networkingv1.NetworkPolicy
	endpoints   []*corev1.Endpoints
	slices      []*discoveryv1.EndpointSlice
	events      []*corev1.Event
	podIPs      map[string]int
	nextSvcIP   int
	nextNode    int
	nextPort    int32
	manualEP    map[string]bool // ns/name of Services whose endpoints are written by hand
	nodeDown    map[string]nodeFault
	built       bool
	stats       map[string]int
	ingressAddr string
	expect      string
	// svcNet is the first three octets of the Service network.
	svcNet string
	// shared, when set, are the only kinds Render prints: the part of the
	// cluster a report shows.
	shared map[string]bool
}

type nodeFault struct {
	status  corev1.ConditionStatus
	reason  string
	message string
	since   time.Time
}

// New returns an empty cluster whose dump is taken at now. The random
// suffixes of generated names come from a fixed seed so that the same build
// always renders the same bytes.
func New(now time.Time) *Cluster {
	return &Cluster{
		Now:        now,
		rng:        rand.New(rand.NewSource(now.Unix())),
		rv:         100000,
		nodeIndex:  map[string]int{},
		namespaces: map[string]*corev1.Namespace{},
		podIPs:     map[string]int{},
		nextSvcIP:  20,
		nextPort:   30080,
		manualEP:   map[string]bool{},
		nodeDown:   map[string]nodeFault{},
		stats:      map[string]int{},
		svcNet:     "10.96.0",
	}
}

// ago is a timestamp d before Now.
func (c *Cluster) ago(d time.Duration) metav1.Time {
	return metav1.NewTime(c.Now.Add(-d).Truncate(time.Second))
}

// uid derives a stable UID from what the object is, so that renders are
// reproducible and references (ownerReferences, targetRef) agree.
func uid(kind, ns, name string) types.UID {
	sum := sha1.Sum([]byte(kind + "/" + ns + "/" + name))
	h := hex.EncodeToString(sum[:16])
	return types.UID(h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32])
}

// suffix is a generated-name suffix from the cluster's random source.
func (c *Cluster) suffix(n int) string { return clusterstate.NameSuffix(c.rng.Intn, n) }

// hashSuffix is a pod-template-hash-like string derived from a key.
func hashSuffix(key string, n int) string {
	sum := sha1.Sum([]byte(key))
	b := make([]byte, n)
	for i := range b {
		b[i] = clusterstate.NameChars[int(sum[i])%len(clusterstate.NameChars)]
	}
	return string(b)
}

func (c *Cluster) meta(kind, ns, name string, age time.Duration) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: ns}
	c.identify(kind, &m, age)
	return m
}

// identify gives an object of kind the identity the API server assigns on
// creation: its uid, the next resourceVersion, and a creation time age ago.
func (c *Cluster) identify(kind string, m *metav1.ObjectMeta, age time.Duration) {
	c.rv++
	m.UID = uid(kind, m.Namespace, m.Name)
	m.ResourceVersion = strconv.Itoa(c.rv)
	m.CreationTimestamp = c.ago(age)
}

// Namespace adds a namespace (idempotent) with the label the API server
// sets on every namespace plus extra labels.
func (c *Cluster) Namespace(name string, labels map[string]string) *corev1.Namespace {
	if ns := c.namespaces[name]; ns != nil {
		for k, v := range labels {
			ns.Labels[k] = v
		}
		return ns
	}
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: c.meta("Namespace", "", name, 90*24*time.Hour),
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
	ns.Labels = map[string]string{corev1.LabelMetadataName: name}
	for k, v := range labels {
		ns.Labels[k] = v
	}
	c.namespaces[name] = ns
	return ns
}

// ensureNamespace makes sure a namespace an object lives in exists.
func (c *Cluster) ensureNamespace(name string) {
	if name != "" && c.namespaces[name] == nil {
		c.Namespace(name, nil)
	}
}

// NodeSpec describes one node.
type NodeSpec struct {
	Name         string
	ControlPlane bool
	Zone         string
	Labels       map[string]string
	Taints       []corev1.Taint
	// CPU and Memory are the allocatable amounts ("4", "16Gi"); defaults
	// 4 CPUs and 16Gi.
	CPU, Memory string
}

// Node adds a Ready node. Its pods get addresses from 10.244.<n>.0/24, the
// node itself 10.0.0.<10+n>.
func (c *Cluster) Node(spec NodeSpec) *corev1.Node {
	n := c.nextNode
	c.nextNode++
	c.nodeIndex[spec.Name] = n
	cpu, mem := spec.CPU, spec.Memory
	if cpu == "" {
		cpu = "4"
	}
	if mem == "" {
		mem = "16Gi"
	}
	zone := spec.Zone
	if zone == "" {
		zone = "zone-" + string(rune('a'+n%3))
	}
	node := &corev1.Node{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: c.meta("Node", "", spec.Name, 60*24*time.Hour),
	}
	node.Labels = map[string]string{
		"kubernetes.io/hostname":      spec.Name,
		"kubernetes.io/os":            "linux",
		"kubernetes.io/arch":          "amd64",
		"beta.kubernetes.io/os":       "linux",
		"beta.kubernetes.io/arch":     "amd64",
		corev1.LabelTopologyZone:      zone,
		corev1.LabelTopologyRegion:    "region-1",
		"node.kubernetes.io/instance": "standard-4",
	}
	if spec.ControlPlane {
		node.Labels["node-role.kubernetes.io/control-plane"] = ""
		node.Labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
		node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule})
	}
	for k, v := range spec.Labels {
		node.Labels[k] = v
	}
	node.Annotations = map[string]string{
		"node.alpha.kubernetes.io/ttl":                           "0",
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
	}
	node.Spec.Taints = append(node.Spec.Taints, spec.Taints...)
	cidr := fmt.Sprintf("10.244.%d.0/24", n)
	node.Spec.PodCIDR = cidr
	node.Spec.PodCIDRs = []string{cidr}
	node.Status = corev1.NodeStatus{
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: quantity(cpu), corev1.ResourceMemory: quantity(mem), corev1.ResourcePods: quantity("110"), corev1.ResourceEphemeralStorage: quantity("100Gi")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: quantity(cpu), corev1.ResourceMemory: quantity(mem), corev1.ResourcePods: quantity("110"), corev1.ResourceEphemeralStorage: quantity("95Gi")},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: c.NodeIP(spec.Name)},
			{Type: corev1.NodeHostName, Address: spec.Name},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: hashSuffix("machine"+spec.Name, 16), SystemUUID: string(uid("system", "", spec.Name)), BootID: string(uid("boot", "", spec.Name)),
			KernelVersion: "6.8.0-1015-generic", OSImage: "Ubuntu 24.04.1 LTS", ContainerRuntimeVersion: "containerd://1.7.24",
			KubeletVersion: "v1.32.3", KubeProxyVersion: "v1.32.3", OperatingSystem: "linux", Architecture: "amd64",
		},
	}
	c.nodes = append(c.nodes, node)
	return node
}

// NodeIP is the InternalIP of a node.
func (c *Cluster) NodeIP(name string) string {
	return fmt.Sprintf("10.0.0.%d", 10+c.nodeIndex[name])
}

// NodeNotReady records that a node stopped being Ready since d ago. status
// is False (the kubelet reports a problem, e.g. the CNI is not ready) or
// Unknown (the kubelet stopped posting status). Build applies what the node
// lifecycle controller does to such a node and its pods.
func (c *Cluster) NodeNotReady(name string, status corev1.ConditionStatus, reason, message string, d time.Duration) {
	c.nodeDown[name] = nodeFault{status: status, reason: reason, message: message, since: c.Now.Add(-d).Truncate(time.Second)}
}

// allocPodIP gives the next pod address on a node.
func (c *Cluster) allocPodIP(node string) string {
	n := c.nodeIndex[node]
	c.podIPs[node]++
	return fmt.Sprintf("10.244.%d.%d", n, 1+c.podIPs[node])
}

// allocClusterIP gives the next Service address from 10.96.0.0/12, or
// from the /24 of a Service network the background chose.
func (c *Cluster) allocClusterIP() string {
	c.nextSvcIP++
	n := c.nextSvcIP*37 + 11
	if c.svcNet != "10.96.0" {
		return fmt.Sprintf("%s.%d", c.svcNet, n%240+12)
	}
	return fmt.Sprintf("10.96.%d.%d", (n/250)%256, n%250+2)
}

// serviceIP is host n of the Service network: .1 the kubernetes Service,
// .10 kube-dns.
func (c *Cluster) serviceIP(n int) string { return fmt.Sprintf("%s.%d", c.svcNet, n) }

func (c *Cluster) allocNodePort() int32 {
	p := c.nextPort
	c.nextPort += 17
	if c.nextPort > 32767 {
		c.nextPort = 30000 + c.nextPort%2767
	}
	return p
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

// ConfigMap adds a ConfigMap with data.
func (c *Cluster) ConfigMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	typeMeta, meta := c.configObject("ConfigMap", ns, name)
	cm := &corev1.ConfigMap{TypeMeta: typeMeta, ObjectMeta: meta, Data: data}
	c.configMaps = append(c.configMaps, cm)
	return cm
}

// configObject is the type and identity of a core v1 object of kind that
// configures workloads in ns (a ConfigMap, a Secret): created a month ago,
// after its namespace.
func (c *Cluster) configObject(kind, ns, name string) (metav1.TypeMeta, metav1.ObjectMeta) {
	c.ensureNamespace(ns)
	return metav1.TypeMeta{APIVersion: "v1", Kind: kind}, c.meta(kind, ns, name, 30*24*time.Hour)
}

// Secret adds a Secret as a dump that redacts data holds it: type and
// metadata only.
func (c *Cluster) Secret(ns, name string, typ corev1.SecretType) *corev1.Secret {
	typeMeta, meta := c.configObject("Secret", ns, name)
	s := &corev1.Secret{TypeMeta: typeMeta, ObjectMeta: meta, Type: typ}
	c.secrets = append(c.secrets, s)
	return s
}

// IngressClass adds an IngressClass for controller; def marks it the
// cluster default.
func (c *Cluster) IngressClass(name, controller string, def bool) *networkingv1.IngressClass {
	ic := &networkingv1.IngressClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IngressClass"},
		ObjectMeta: c.meta("IngressClass", "", name, 60*24*time.Hour),
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if def {
		ic.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
	}
	c.classes = append(c.classes, ic)
	return ic
}

// Ingress adds an Ingress. When its class is served by a healthy ingress
// controller Build publishes the controller's address in its status, as
// ingress-nginx does with --publish-service.
func (c *Cluster) Ingress(ing *networkingv1.Ingress) *networkingv1.Ingress {
	c.store(&ing.TypeMeta, &ing.ObjectMeta, "networking.k8s.io/v1", "Ingress", 20*24*time.Hour)
	for i := range ing.Spec.Rules {
		if h := ing.Spec.Rules[i].HTTP; h != nil {
			for j := range h.Paths {
				if h.Paths[j].PathType == nil {
					pt := networkingv1.PathTypePrefix
					h.Paths[j].PathType = &pt
				}
			}
		}
	}
	c.ingresses = append(c.ingresses, ing)
	return ing
}

// NetworkPolicy adds a NetworkPolicy.
func (c *Cluster) NetworkPolicy(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	c.store(&np.TypeMeta, &np.ObjectMeta, "networking.k8s.io/v1", "NetworkPolicy", 10*24*time.Hour)
	if len(np.Spec.PolicyTypes) == 0 {
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	for _, r := range np.Spec.Ingress {
		defaultPolicyPorts(r.Ports)
	}
	for _, r := range np.Spec.Egress {
		defaultPolicyPorts(r.Ports)
	}
	c.netpols = append(c.netpols, np)
	return np
}

func defaultPolicyPorts(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			tcp := corev1.ProtocolTCP
			ports[i].Protocol = &tcp
		}
	}
}

// store does to an object an incident wrote whole what the API server does
// when it stores it, created age ago: its namespace exists, it has its
// apiVersion and kind, its identity, and generation 1 unless it has one.
func (c *Cluster) store(t *metav1.TypeMeta, m *metav1.ObjectMeta, apiVersion, kind string, age time.Duration) {
	c.ensureNamespace(m.Namespace)
	c.identify(kind, m, age)
	*t = metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	if m.Generation == 0 {
		m.Generation = 1
	}
}

// EventSpec is one core/v1 Event.
type EventSpec struct {
	Object    corev1.ObjectReference
	Type      string // Normal or Warning; Warning when empty
	Reason    string
	Message   string
	Count     int32
	Component string // source.component, e.g. kubelet, default-scheduler
	Host      string // source.host for kubelet events
	// First and Last say how long ago the event was first and last seen.
	First, Last time.Duration
}

// Event records an Event, named like the API server names them.
func (c *Cluster) Event(e EventSpec) *corev1.Event {
	ns := e.Object.Namespace
	if ns == "" {
		ns = "default"
	}
	if e.Type == "" {
		e.Type = corev1.EventTypeWarning
	}
	if e.Count == 0 {
		e.Count = 1
	}
	if e.First == 0 {
		e.First = time.Duration(e.Count) * time.Minute
	}
	name := fmt.Sprintf("%s.%x", e.Object.Name, c.Now.Add(-e.First).UnixNano()+int64(len(c.events))*7919)
	ev := &corev1.Event{
		TypeMeta:            metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:          c.meta("Event", ns, name, e.First),
		InvolvedObject:      e.Object,
		Reason:              e.Reason,
		Message:             e.Message,
		Source:              corev1.EventSource{Component: e.Component, Host: e.Host},
		FirstTimestamp:      c.ago(e.First),
		LastTimestamp:       c.ago(e.Last),
		Count:               e.Count,
		Type:                e.Type,
		ReportingController: e.Component,
		ReportingInstance:   e.Host,
	}
	c.events = append(c.events, ev)
	return ev
}

// objectRef is the involvedObject form of an object.
func objectRef(kind, apiVersion string, m metav1.ObjectMeta) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: kind, APIVersion: apiVersion, Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion}
}

// ManualEndpoints marks a Service whose Endpoints/EndpointSlices the
// incident writes itself (a selector-less Service, or controllers that
// stopped working), so Build leaves them alone.
func (c *Cluster) ManualEndpoints(ns, name string) { c.manualEP[ns+"/"+name] = true }

// AddEndpoints adds a hand-written Endpoints object.
func (c *Cluster) AddEndpoints(ep *corev1.Endpoints) {
	ep.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"}
	c.identify("Endpoints", &ep.ObjectMeta, 20*24*time.Hour)
	c.endpoints = append(c.endpoints, ep)
}

// AddEndpointSlice adds a hand-written EndpointSlice.
func (c *Cluster) AddEndpointSlice(es *discoveryv1.EndpointSlice) {
	es.TypeMeta = metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"}
	c.identify("EndpointSlice", &es.ObjectMeta, 20*24*time.Hour)
	c.slices = append(c.slices, es)
}

// readySlice is an IPv4 EndpointSlice, written by hand or by a controller,
// that lists one ready address ip serving one TCP port.
func readySlice(meta metav1.ObjectMeta, ip, portName string, port int32) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{ObjectMeta: meta, AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(true)}}},
		Ports:     []discoveryv1.EndpointPort{{Name: ptrTo(portName), Port: ptrTo(port), Protocol: ptrTo(corev1.ProtocolTCP)}}}
}

// ExpectObject records the object (Kind/namespace/name) an incident's
// root cause must name, for incidents whose object has a generated name (a
// pod of a Deployment).
func (c *Cluster) ExpectObject(ref string) { c.expect = ref }

// PodRef is the Kind/namespace/name of a pod.
func PodRef(p *corev1.Pod) string { return "Pod/" + p.Namespace + "/" + p.Name }

// firstPod is the first pod (by name) of namespace ns whose name starts
// with prefix: the pod a trace of its Service reaches first.
func (c *Cluster) firstPod(ns, prefix string) *corev1.Pod {
	var match []*corev1.Pod
	for _, p := range c.pods {
		if p.Namespace == ns && strings.HasPrefix(p.Name, prefix) {
			match = append(match, p)
		}
	}
	if len(match) == 0 {
		panic("no pod " + ns + "/" + prefix + "*")
	}
	return clusterstate.SortedPods(match)[0]
}

// Pods returns the pods built so far, for incidents that edit one pod.
func (c *Cluster) Pods() []*corev1.Pod { return c.pods }

// Build derives the controllers' objects: node conditions, pod readiness
// on failed nodes, workload status, ingress status, Endpoints and
// EndpointSlices. It is called by Render and may be called once.
func (c *Cluster) Build() {
	if c.built {
		return
	}
	c.built = true
	for _, n := range c.nodes {
		c.applyNodeState(n)
	}
	for _, p := range c.pods {
		if f, ok := c.nodeDown[p.Spec.NodeName]; ok && p.Spec.NodeName != "" {
			c.markPodOnDownNode(p, f)
		}
	}
	for _, w := range c.workloads {
		w.updateStatus(c)
	}
	c.publishIngresses()
	for _, svc := range c.services {
		if c.manualEP[svc.Namespace+"/"+svc.Name] || len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		c.computeEndpoints(svc)
	}
}

// computeEndpoints writes the Endpoints and EndpointSlices the controllers
// keep for svc, as last changed when svc was created.
func (c *Cluster) computeEndpoints(svc *corev1.Service) {
	pods := clusterstate.SelectedPods(svc, c.pods)
	ep := clusterstate.Endpoints(svc, pods, svc.CreationTimestamp.Time)
	c.AddEndpoints(ep)
	ep.CreationTimestamp = svc.CreationTimestamp
	for _, es := range clusterstate.EndpointSlices(svc, pods, svc.CreationTimestamp.Time, c.zone) {
		es.Name = es.GenerateName + c.suffix(5)
		c.AddEndpointSlice(es)
		es.CreationTimestamp = svc.CreationTimestamp
	}
}

// zone is the topology zone of a node, "" when it is unknown.
func (c *Cluster) zone(node string) string {
	for _, n := range c.nodes {
		if n.Name == node {
			return n.Labels[corev1.LabelTopologyZone]
		}
	}
	return ""
}

func (c *Cluster) applyNodeState(n *corev1.Node) {
	up := c.ago(60 * 24 * time.Hour)
	hb := c.ago(20 * time.Second)
	conds := clusterstate.HealthyNodeConditions(hb, up)
	ready := &conds[len(conds)-1]
	f, down := c.nodeDown[n.Name]
	if down {
		since := metav1.NewTime(f.since)
		if f.status == corev1.ConditionUnknown {
			// The node lifecycle controller sets every condition Unknown when
			// the kubelet stops posting; the last heartbeat is frozen.
			for i := range conds {
				conds[i].Status = corev1.ConditionUnknown
				conds[i].Reason = "NodeStatusUnknown"
				conds[i].Message = "Kubelet stopped posting node status."
				conds[i].LastHeartbeatTime = metav1.NewTime(f.since.Add(-40 * time.Second))
				conds[i].LastTransitionTime = since
			}
			n.Spec.Taints = append(n.Spec.Taints,
				corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule},
				corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &since})
		} else {
			ready.Status, ready.Reason, ready.Message, ready.LastTransitionTime = f.status, f.reason, f.message, since
			n.Spec.Taints = append(n.Spec.Taints,
				corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule},
				corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: &since})
		}
		ref := corev1.ObjectReference{Kind: "Node", Name: n.Name, UID: types.UID(n.Name), APIVersion: "v1"}
		c.Event(EventSpec{Object: ref, Type: corev1.EventTypeNormal, Reason: "NodeNotReady", Message: "Node " + n.Name + " status is now: NodeNotReady", Component: "node-controller", First: c.Now.Sub(f.since), Last: c.Now.Sub(f.since)})
	}
	n.Status.Conditions = conds
}

// markPodOnDownNode does what the node lifecycle controller does to the pods
// of a node that stopped being Ready: their Ready condition turns False
// (the containers' last reported state is kept), with an Event per pod.
func (c *Cluster) markPodOnDownNode(p *corev1.Pod, f nodeFault) {
	since := metav1.NewTime(f.since.Add(5 * time.Second))
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
			p.Status.Conditions[i].Reason = ""
			p.Status.Conditions[i].Message = ""
			p.Status.Conditions[i].LastTransitionTime = since
		}
	}
	c.Event(EventSpec{Object: objectRef("Pod", "v1", p.ObjectMeta), Type: corev1.EventTypeWarning, Reason: "NodeNotReady", Message: "Node is not ready", Component: "node-controller", First: c.Now.Sub(since.Time), Last: c.Now.Sub(since.Time)})
}

// SetIngressAddress is the address ingress-nginx publishes on the Ingresses
// it serves (its LoadBalancer Service's address).
func (c *Cluster) SetIngressAddress(ip string) { c.ingressAddr = ip }

// publishIngresses fills in the status of Ingresses served by a healthy
// controller.
func (c *Cluster) publishIngresses() {
	if c.ingressAddr == "" {
		return
	}
	served := map[string]bool{}
	def := ""
	for _, ic := range c.classes {
		if ic.Spec.Controller == clusterstate.IngressNginxController {
			served[ic.Name] = true
			if ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
				def = ic.Name
			}
		}
	}
	if !c.controllerReady() {
		return
	}
	for _, ing := range c.ingresses {
		class := def
		if ing.Spec.IngressClassName != nil {
			class = *ing.Spec.IngressClassName
		}
		if ing.Annotations["hopscope.dev/unpublished"] == "true" {
			delete(ing.Annotations, "hopscope.dev/unpublished")
			if len(ing.Annotations) == 0 {
				ing.Annotations = nil
			}
			continue
		}
		if served[class] {
			ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: c.ingressAddr}}
		}
	}
}

// controllerReady reports whether some ingress-nginx controller pod is
// ready.
func (c *Cluster) controllerReady() bool {
	for _, p := range c.pods {
		if p.Labels["app.kubernetes.io/component"] == "controller" && p.Labels["app.kubernetes.io/name"] == "ingress-nginx" && clusterstate.PodReady(p) {
			return true
		}
	}
	return false
}

// Render builds the cluster and prints it as `kubectl get -A -o yaml` of
// every kind would, in one `kind: List`, preceded by a comment header.
func (c *Cluster) Render(header string) ([]byte, error) {
	c.Build()
	items := c.items()
	if c.shared != nil {
		kept := items[:0]
		for _, it := range items {
			if o, ok := it.(interface{ GetObjectKind() schema.ObjectKind }); ok && c.shared[o.GetObjectKind().GroupVersionKind().Kind] {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	list := map[string]any{
		"apiVersion": "v1",
		"kind":       "List",
		"metadata":   map[string]any{"resourceVersion": ""},
		"items":      items,
	}
	out, err := yaml.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("render cluster: %w", err)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		if line == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + line + "\n")
	}
	b.Write(out)
	return []byte(b.String()), nil
}

// items lists every object in the order a dump of each kind would: cluster
// scoped kinds first, then namespaced kinds, each sorted by namespace and
// name.
func (c *Cluster) items() []any {
	var out []any
	nsNames := make([]string, 0, len(c.namespaces))
	for n := range c.namespaces {
		nsNames = append(nsNames, n)
	}
	sort.Strings(nsNames)
	for _, n := range nsNames {
		out = append(out, c.namespaces[n])
	}
	out = appendSorted(out, c.nodes, func(n *corev1.Node) string { return n.Name })
	out = appendSorted(out, c.classes, func(o *networkingv1.IngressClass) string { return o.Name })
	out = appendSorted(out, c.configMaps, namespacedName[*corev1.ConfigMap])
	out = appendSorted(out, c.secrets, namespacedName[*corev1.Secret])
	out = appendSorted(out, c.services, namespacedName[*corev1.Service])
	out = appendSorted(out, c.endpoints, namespacedName[*corev1.Endpoints])
	out = appendSorted(out, c.slices, namespacedName[*discoveryv1.EndpointSlice])
	var deps, stss, dss, rss, rcs, jobs []any
	for _, w := range sortedBy(c.workloads, func(w *Workload) string { return w.Kind + "/" + w.Namespace + "/" + w.Name }) {
		switch o := w.Object.(type) {
		case *appsv1.Deployment:
			deps = append(deps, o)
			rss = append(rss, w.ReplicaSet)
		case *appsv1.StatefulSet:
			stss = append(stss, o)
		case *appsv1.DaemonSet:
			dss = append(dss, o)
		case *corev1.ReplicationController:
			rcs = append(rcs, o)
		case *batchv1.Job:
			jobs = append(jobs, o)
		}
	}
	out = append(out, deps...)
	out = append(out, stss...)
	out = append(out, dss...)
	out = append(out, rss...)
	out = append(out, rcs...)
	out = append(out, jobs...)
	out = appendSorted(out, c.pods, namespacedName[*corev1.Pod])
	out = appendSorted(out, c.ingresses, namespacedName[*networkingv1.Ingress])
	out = appendSorted(out, c.netpols, namespacedName[*networkingv1.NetworkPolicy])
	// Events sort by time within their namespace.
	return appendSorted(out, c.events, func(o *corev1.Event) string {
		return o.Namespace + "/" + o.LastTimestamp.UTC().Format(time.RFC3339) + "/" + o.Name
	})
}

// appendSorted appends the objects of in to out, ordered by key.
func appendSorted[T any](out []any, in []T, key func(T) string) []any {
	for _, o := range sortedBy(in, key) {
		out = append(out, o)
	}
	return out
}

// namespacedName is the namespace/name key namespaced kinds sort by.
func namespacedName[T metav1.Object](o T) string { return o.GetNamespace() + "/" + o.GetName() }

func sortedBy[T any](in []T, key func(T) string) []T {
	out := append([]T(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
