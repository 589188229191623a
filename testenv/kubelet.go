package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// SimulateAnnotation makes the kubelet stand-in fail a pod the way a real
// node would. Values: SimulateCrashLoop, SimulateNotReady, SimulateImagePull.
const SimulateAnnotation = "hopscope.dev/simulate"

// Values of SimulateAnnotation.
const (
	// SimulateCrashLoop: every container exits with code 1 and is in
	// CrashLoopBackOff after 5 restarts; the pod is Running but not Ready.
	SimulateCrashLoop = "crashloop"
	// SimulateNotReady: containers run but the readiness probe fails.
	SimulateNotReady = "not-ready"
	// SimulateImagePull: the image cannot be pulled; the pod stays Pending
	// with its containers waiting in ImagePullBackOff.
	SimulateImagePull = "image-pull"
)

// PodCIDR is the range pod IPs come from; each Node gets a /20 of it.
const PodCIDR = "10.244.0.0/16"

// Kubelet is a stand-in for the scheduler and the kubelets of a real
// cluster. It writes to the API server the state those components would
// write, so that everything reading that state (the endpoints controllers,
// kubectl, hopscope) sees a believable cluster.
//
// What it simulates:
//   - Nodes: registers Options.Nodes Nodes named lab-node-1..N, Ready, with
//     an InternalIP, capacity, and a /20 pod CIDR each out of 10.244.0.0/16.
//   - Scheduling: binds each pending pod to a Node round-robin, among the
//     Nodes whose labels match the pod's nodeSelector; a pod no Node
//     matches stays Pending with a FailedScheduling Event, as with the real
//     scheduler. Affinity, taints, tolerations and resources are ignored.
//   - Pod status: a bound pod becomes Running with a pod IP from its Node's
//     CIDR (the Node's IP for hostNetwork pods), containerStatuses (running,
//     restartCount 0), and the PodScheduled, Initialized, ContainersReady
//     and Ready conditions, plus the Scheduled, Pulled, Created and Started
//     Events a kubelet emits.
//   - Readiness: a pod is Ready unless (a) a container's readiness probe
//     names a port (httpGet or tcpSocket by name) that the container does
//     not declare: the real kubelet cannot resolve such a probe, so the pod
//     never becomes Ready; (b) the pod carries SimulateAnnotation, which
//     makes it crash-loop, stay not ready, or fail to pull its image, with
//     the container states, restart counts, and Warning Events (BackOff,
//     Unhealthy, Failed) a kubelet would record; or (c) AppAnnotation makes
//     the app fail its readiness probe (below). A probe on a port number
//     the container does not declare succeeds, and the app listens there:
//     applications often listen on ports they do not declare (CoreDNS
//     answers its readiness probe on 8181).
//   - Deletion: a pod being deleted on a Node is removed at once, as a
//     kubelet does once its containers stopped.
//   - The pod network (podnetwork.go): the API server's "cluster" egress is
//     an HTTP CONNECT proxy on a Unix socket served in this process, so
//     pods/proxy, services/proxy (the API server picks a ready endpoint from
//     the EndpointSlices) and pods/log take their real paths through the
//     real API server. A CONNECT to a Node's name or InternalIP on port
//     10250 (status.daemonEndpoints) reaches the kubelet's log server; one
//     to a pod IP (or, for hostNetwork pods, the Node's IP) reaches the
//     pod's simulated app when a running container listens on that port;
//     everything else is refused with the error a dial gives ("connect:
//     connection refused"; "no route to host" for an address the stand-in
//     never assigned). Nothing is ever dialled.
//   - Apps (podapp.go): every running container listens on all addresses,
//     in plain HTTP, on each TCP port it declares and each port number its
//     probes name, and answers any request with 200 and a line naming the
//     pod, container and port (503 under SimulateNotReady). AppAnnotation
//     makes it listen on 127.0.0.1 only, on other ports or nowhere, speak
//     TLS with a self-signed certificate, or start slowly. A crash-looping
//     or never-pulled container listens nowhere. A readiness probe is
//     judged against that app as the kubelet probing the pod IP would
//     judge it: refused or answered 400, the pod is not Ready.
//   - Logs (containerlogs.go): /containerLogs/{namespace}/{pod}/{container}
//     over HTTPS, with the kubelet's choice of run (the running container,
//     else the last terminated one; previous: the last terminated one only),
//     its query parameters (tailLines, limitBytes, sinceSeconds, sinceTime,
//     timestamps, follow, stream) and its error messages ("previous
//     terminated container ... not found", "is waiting to start: trying and
//     failing to pull image"). A container prints LogsAnnotation's lines
//     when a lab set them, else a line per port it listens on ("listening
//     on 0.0.0.0:8080 (http)"), or, in a crash loop, a line saying that it
//     exits with code 1.
//   - Ephemeral containers (ephemeral.go): hopscope's level-1 probe
//     script, recognised by its exact command line, is answered without
//     running: its nslookup from the API server's Services (simulated DNS,
//     no CoreDNS: ClusterIP, headless endpoints, NXDOMAIN for a Service
//     that does not exist, a timeout when kube-dns has no ready endpoint),
//     its nc -z through a simulated kube-proxy (a random ready endpoint,
//     refused without one) to the apps above; the results are written to
//     the container's terminated status and termination message in the
//     script's format. Any other ephemeral container terminates with exit
//     code 127, saying the stand-in runs no images.
//
// What it does not do: no container runs, no image is pulled, no process
// or socket exists behind a pod IP (the apps above are one in-process HTTP
// server that knows which pod a connection was for), every app speaks
// HTTP whatever the port (DNS on 53 included), no exec, attach or
// port-forward is served, no ephemeral container runs (the probe script's
// results above are computed), and pod IPs and ClusterIPs are not
// reachable from the machine: there is no network namespace, no real
// kube-proxy, no CNI and no NetworkPolicy enforcement, and no DNS server
// answers (CoreDNS is a Deployment whose pods run nothing). No
// exec or gRPC probe is executed, no pod ever finishes
// (Succeeded/Failed), resource requests, limits and OOM kills are not
// modelled, and the Node status is written at start and never changes (no
// heartbeats, no pressure). The kubelet's log server authenticates no one
// (only the API server reaches it, over the egress socket). Event messages
// and log lines imitate a kubelet's and an app's wording but are written by
// this stand-in.
type Kubelet struct {
	client kubernetes.Interface
	pods   corelisters.PodLister
	// podIndex is the pod cache, indexed by pod IP for the pod network.
	podIndex cache.Indexer
	queue    workqueue.TypedRateLimitingInterface[string]
	nodes    []*corev1.Node

	mu       sync.Mutex
	next     int                   // round-robin cursor
	ipNext   map[string]netip.Addr // per node: next address to try
	ipInUse  map[netip.Addr]string // address -> pod key
	ipOfPod  map[string]netip.Addr
	logReads []LogRead
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	informer informers.SharedInformerFactory
}

// kubeletWorkers is how many pods are written to at once.
const kubeletWorkers = 8

func startKubelet(parent context.Context, admin *rest.Config, nodes int) (*Kubelet, error) {
	_, client, err := componentClient(admin, "hopscope-lab-kubelet", 1000, 2000)
	if err != nil {
		return nil, fmt.Errorf("kubelet stand-in: %w", err)
	}
	ctx, cancel := context.WithCancel(parent)
	k := &Kubelet{
		client:  client,
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		ipNext:  map[string]netip.Addr{},
		ipInUse: map[netip.Addr]string{},
		ipOfPod: map[string]netip.Addr{},
		cancel:  cancel,
	}
	if err := k.registerNodes(ctx, nodes); err != nil {
		cancel()
		return nil, err
	}
	k.informer = informers.NewSharedInformerFactory(client, 0)
	podInf := k.informer.Core().V1().Pods()
	k.pods = podInf.Lister()
	if err := podInf.Informer().AddIndexers(cache.Indexers{podIPIndex: indexByPodIP}); err != nil {
		cancel()
		return nil, fmt.Errorf("kubelet stand-in: %w", err)
	}
	k.podIndex = podInf.Informer().GetIndexer()
	_, err = podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    k.enqueue,
		UpdateFunc: func(_, obj any) { k.enqueue(obj) },
		DeleteFunc: k.forget,
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kubelet stand-in: %w", err)
	}
	k.informer.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInf.Informer().HasSynced) {
		cancel()
		return nil, fmt.Errorf("kubelet stand-in: pod cache did not sync")
	}
	// Pods that kept their IPs across a restart (--data-dir) hold them.
	existing, err := k.pods.List(labels.Everything())
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kubelet stand-in: %w", err)
	}
	for _, p := range existing {
		if a, err := netip.ParseAddr(p.Status.PodIP); err == nil && !p.Spec.HostNetwork {
			k.ipInUse[a] = key(p)
			k.ipOfPod[key(p)] = a
		}
	}
	for i := 0; i < kubeletWorkers; i++ {
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			for k.work(ctx) {
			}
		}()
	}
	return k, nil
}

func (k *Kubelet) stop() {
	k.cancel()
	k.queue.ShutDown()
	k.wg.Wait()
	k.informer.Shutdown()
}

// NodeNames are the Nodes this stand-in runs.
func (k *Kubelet) NodeNames() []string {
	out := make([]string, len(k.nodes))
	for i, n := range k.nodes {
		out[i] = n.Name
	}
	return out
}

func key(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

func (k *Kubelet) enqueue(obj any) {
	if p, ok := obj.(*corev1.Pod); ok {
		k.queue.Add(key(p))
	}
}

func (k *Kubelet) forget(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.ipOfPod[key(p)]; ok {
		delete(k.ipOfPod, key(p))
		delete(k.ipInUse, a)
	}
}

func (k *Kubelet) work(ctx context.Context) bool {
	item, shutdown := k.queue.Get()
	if shutdown {
		return false
	}
	defer k.queue.Done(item)
	if err := k.sync(ctx, item); err != nil && ctx.Err() == nil {
		k.queue.AddRateLimited(item)
		return true
	}
	k.queue.Forget(item)
	return true
}

// registerNodes creates (or, after a restart, refreshes) the Nodes.
func (k *Kubelet) registerNodes(ctx context.Context, n int) error {
	prefix, err := netip.ParsePrefix(PodCIDR)
	if err != nil {
		return err
	}
	base := prefix.Addr().As4()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("lab-node-%d", i+1)
		cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], byte(i * 16), 0}), 20)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					"kubernetes.io/hostname": name,
					"kubernetes.io/os":       "linux",
					"kubernetes.io/arch":     "amd64",
				},
			},
			Spec: corev1.NodeSpec{PodCIDR: cidr.String(), PodCIDRs: []string{cidr.String()}},
		}
		if i == 0 {
			node.Labels["node-role.kubernetes.io/control-plane"] = ""
		}
		got, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			got, err = k.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		}
		if err != nil {
			return fmt.Errorf("register node %s: %w", name, err)
		}
		got.Status = nodeStatus(i)
		got, err = k.client.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("register node %s: %w", name, err)
		}
		k.nodes = append(k.nodes, got)
		// .1 is the node's bridge in a real CNI; pods start at .2.
		k.ipNext[name] = firstPodAddr(cidr)
	}
	return nil
}

func nodeStatus(i int) corev1.NodeStatus {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("4"),
		corev1.ResourceMemory:           resource.MustParse("16Gi"),
		corev1.ResourcePods:             resource.MustParse("4096"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	return corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status (hopscope-lab stand-in)"),
		},
		// The API server reaches the kubelet at the Hostname address
		// (its preferred type) through the pod network; nothing listens
		// on these addresses on the machine.
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("172.18.0.%d", i+2)},
			{Type: corev1.NodeHostName, Address: fmt.Sprintf("lab-node-%d", i+1)},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: kubeletPort}},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion:          "v1.37.2",
			ContainerRuntimeVersion: "hopscope-lab://stand-in",
			OperatingSystem:         "linux",
			Architecture:            "amd64",
			OSImage:                 "hopscope-lab (no containers run)",
		},
	}
}

// sync brings one pod one step closer to what a node would report.
func (k *Kubelet) sync(ctx context.Context, podKey string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(podKey)
	if err != nil {
		return nil
	}
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case pod.DeletionTimestamp != nil:
		if pod.Spec.NodeName == "" {
			return nil
		}
		// The containers "stopped" at once: finish the graceful delete.
		uid := pod.UID
		err := k.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: new(int64),
			Preconditions:      &metav1.Preconditions{UID: &uid},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case pod.Spec.NodeName == "":
		return k.schedule(ctx, pod)
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil
	}
	node := k.node(pod.Spec.NodeName)
	if node == nil {
		// Bound to a Node nobody runs: it stays Pending, as in a real
		// cluster where that Node's kubelet is gone.
		return nil
	}
	want := desiredState(pod, time.Now())
	if !want.app.until.IsZero() {
		// A slow start: look again when the probe would first pass.
		k.queue.AddAfter(podKey, time.Until(want.app.until)+100*time.Millisecond)
	}
	if observedState(pod) == want.state {
		// The pod's own status is settled; its status update brings it
		// back here for ephemeral containers added meanwhile.
		return k.runEphemeralContainers(ctx, pod)
	}
	return k.writeStatus(ctx, pod, node, want)
}

func (k *Kubelet) node(name string) *corev1.Node {
	for _, n := range k.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// schedule binds pod to the next Node that matches its nodeSelector.
func (k *Kubelet) schedule(ctx context.Context, pod *corev1.Pod) error {
	sel := labels.SelectorFromSet(pod.Spec.NodeSelector)
	var fits []*corev1.Node
	for _, n := range k.nodes {
		if sel.Matches(labels.Set(n.Labels)) {
			fits = append(fits, n)
		}
	}
	if len(fits) == 0 {
		msg := fmt.Sprintf("0/%d nodes are available: %d node(s) didn't match Pod's node affinity/selector. preemption: 0/%d nodes are available: %d Preemption is not helpful for scheduling.",
			len(k.nodes), len(k.nodes), len(k.nodes), len(k.nodes))
		if hasCondition(pod, corev1.PodScheduled, corev1.ConditionFalse) {
			return nil
		}
		p := pod.DeepCopy()
		setCondition(p, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: msg})
		p.Status.Phase = corev1.PodPending
		if _, err := k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return err
		}
		return k.event(ctx, pod, "default-scheduler", "", corev1.EventTypeWarning, "FailedScheduling", msg, 1)
	}
	k.mu.Lock()
	node := fits[k.next%len(fits)]
	k.next++
	k.mu.Unlock()
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node.Name},
	}, metav1.CreateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bind %s to %s: %w", key(pod), node.Name, err)
	}
	return k.event(ctx, pod, "default-scheduler", "", corev1.EventTypeNormal, "Scheduled",
		fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, node.Name), 1)
}

// podState is the coarse state the stand-in drives a pod to; it is read
// back from the pod's status, so a changed annotation takes effect.
type podState string

const (
	stateReady     podState = "ready"
	stateNotReady  podState = "not-ready"
	stateCrashLoop podState = "crashloop"
	stateImagePull podState = "image-pull"
)

// desired is the state a pod should reach and, when not ready, why.
type desired struct {
	state podState
	// probeContainer is the container whose readiness probe fails, when
	// its failure is worked out from the pod rather than simulated.
	probeContainer string
	// probePort is the unresolvable named probe port, for the Event
	// message.
	probePort string
	// app is how the probe fails against the pod's simulated app.
	app probeOutcome
}

// probeOutcome is how a readiness probe fails against a simulated app.
type probeOutcome struct {
	port     int32
	refused  bool
	timedOut bool // an HTTP probe got no answer
	status   int  // the HTTP status it got, when it got one
	// until: a slow start, refusing until then.
	until time.Time
}

func desiredState(pod *corev1.Pod, now time.Time) desired {
	switch pod.Annotations[SimulateAnnotation] {
	case SimulateCrashLoop:
		return desired{state: stateCrashLoop}
	case SimulateImagePull:
		return desired{state: stateImagePull}
	case SimulateNotReady:
		return desired{state: stateNotReady}
	}
	for _, c := range pod.Spec.Containers {
		if port, ok := unresolvedProbePort(c); ok {
			return desired{state: stateNotReady, probeContainer: c.Name, probePort: port}
		}
	}
	if _, shaped := pod.Annotations[AppAnnotation]; shaped {
		b := parseAppBehaviour(pod)
		for _, c := range pod.Spec.Containers {
			if out, failing := readinessAgainstApp(pod, c, b, now); failing {
				return desired{state: stateNotReady, probeContainer: c.Name, app: out}
			}
		}
	}
	return desired{state: stateReady}
}

// readinessAgainstApp says whether c's readiness probe fails against the
// pod's simulated app, as the kubelet probing the pod IP would find: the
// port refused (nothing bound there, or bound to 127.0.0.1 only, or not
// yet after a slow start), or a plain HTTP probe answered 400 by a TLS
// app.
func readinessAgainstApp(pod *corev1.Pod, c corev1.Container, b appBehaviour, now time.Time) (probeOutcome, bool) {
	port, ok := probePort(c.ReadinessProbe)
	if !ok {
		return probeOutcome{}, false
	}
	num := port.IntVal
	if port.Type == intstr.String {
		for _, cp := range c.Ports {
			if cp.Name == port.StrVal {
				num = cp.ContainerPort
			}
		}
	}
	_, bound := listenPorts(pod, b)[num]
	httpGet := c.ReadinessProbe.HTTPGet
	switch {
	case b.invalid != "" || b.refuse || b.localhost || !bound:
		return probeOutcome{port: num, refused: true}, true
	case b.tls && httpGet != nil && httpGet.Scheme != corev1.URISchemeHTTPS:
		return probeOutcome{port: num, status: http.StatusBadRequest}, true
	case b.hang && httpGet != nil:
		// A TCP probe only connects, which a hung app accepts.
		return probeOutcome{port: num, timedOut: true}, true
	case b.slowStart > 0:
		start := now
		if pod.Status.StartTime != nil {
			start = pod.Status.StartTime.Time
		}
		if until := start.Add(b.slowStart); now.Before(until) {
			return probeOutcome{port: num, refused: true, until: until}, true
		}
	}
	return probeOutcome{}, false
}

// unresolvedProbePort returns the readiness probe's named port when the
// container declares no port of that name.
func unresolvedProbePort(c corev1.Container) (string, bool) {
	p := c.ReadinessProbe
	if p == nil {
		return "", false
	}
	var port intstr.IntOrString
	switch {
	case p.HTTPGet != nil:
		port = p.HTTPGet.Port
	case p.TCPSocket != nil:
		port = p.TCPSocket.Port
	default:
		return "", false
	}
	if port.Type != intstr.String {
		return "", false
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return "", false
		}
	}
	return port.StrVal, true
}

// observedState reads back the state the stand-in last wrote, "" for a
// pod it has not given a status yet.
func observedState(pod *corev1.Pod) podState {
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "CrashLoopBackOff":
				return stateCrashLoop
			case "ImagePullBackOff":
				return stateImagePull
			}
		}
	}
	if len(pod.Status.ContainerStatuses) == 0 {
		return ""
	}
	if hasCondition(pod, corev1.PodReady, corev1.ConditionTrue) {
		return stateReady
	}
	return stateNotReady
}

// writeStatus writes the status a kubelet would report for want, and the
// Events that go with reaching it.
func (k *Kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, node *corev1.Node, want desired) error {
	ip, err := k.podIP(pod, node)
	if err != nil {
		return err
	}
	p := pod.DeepCopy()
	now := metav1.Now()
	start := now
	if p.Status.StartTime != nil {
		start = *p.Status.StartTime
	}
	hostIP := node.Status.Addresses[0].Address
	p.Status.HostIP = hostIP
	p.Status.HostIPs = []corev1.HostIP{{IP: hostIP}}
	p.Status.StartTime = &start
	if want.state == stateImagePull {
		p.Status.Phase = corev1.PodPending
	} else {
		p.Status.Phase = corev1.PodRunning
	}
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}

	p.Status.InitContainerStatuses = nil
	for _, c := range p.Spec.InitContainers {
		p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: containerID(p, c.Name),
			Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: start, FinishedAt: start,
			}},
		})
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, containerStatus(p, c, want.state, start, now))
	}

	ready := corev1.ConditionFalse
	reason := "ContainersNotReady"
	var notReady []string
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			notReady = append(notReady, cs.Name)
		}
	}
	msg := fmt.Sprintf("containers with unready status: %v", notReady)
	if len(notReady) == 0 {
		ready, reason, msg = corev1.ConditionTrue, "", ""
	}
	started := corev1.ConditionTrue
	if want.state == stateImagePull {
		started = corev1.ConditionFalse
	}
	setCondition(p, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: started})
	setCondition(p, corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue})
	setCondition(p, corev1.PodCondition{Type: corev1.ContainersReady, Status: ready, Reason: reason, Message: msg})
	setCondition(p, corev1.PodCondition{Type: corev1.PodReady, Status: ready, Reason: reason, Message: msg})
	setCondition(p, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})

	if _, err := k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("update status of %s: %w", key(pod), err)
	}
	return k.emit(ctx, p, node.Name, want, observedState(pod))
}

// emit records the Events a kubelet would have recorded on the way from
// the previous state to want.
func (k *Kubelet) emit(ctx context.Context, pod *corev1.Pod, nodeName string, want desired, from podState) error {
	type ev struct {
		typ, reason, msg string
		count            int32
	}
	var evs []ev
	for _, c := range pod.Spec.Containers {
		switch want.state {
		case stateImagePull:
			evs = append(evs,
				ev{corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", c.Image), 4},
				ev{corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", c.Image, c.Image, c.Image, c.Image), 4},
				ev{corev1.EventTypeWarning, "Failed", "Error: ErrImagePull", 4},
				ev{corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", c.Image), 6},
				ev{corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff", 6},
			)
			continue
		}
		if from == "" {
			evs = append(evs,
				ev{corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image), 1},
				ev{corev1.EventTypeNormal, "Created", "Created container: " + c.Name, 1},
				ev{corev1.EventTypeNormal, "Started", "Started container " + c.Name, 1},
			)
		}
		switch want.state {
		case stateCrashLoop:
			evs = append(evs, ev{corev1.EventTypeWarning, "BackOff",
				fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)", c.Name, pod.Name, pod.Namespace, pod.UID), crashRestarts})
		case stateNotReady:
			if m := probeFailure(pod, c, want); m != "" {
				evs = append(evs, ev{corev1.EventTypeWarning, "Unhealthy", m, 12})
			}
		}
	}
	for _, e := range evs {
		if err := k.event(ctx, pod, "kubelet", nodeName, e.typ, e.reason, e.msg, e.count); err != nil {
			return err
		}
	}
	return nil
}

// probeFailure is the Unhealthy Event message for a container that is not
// ready, or "" when that container is fine.
func probeFailure(pod *corev1.Pod, c corev1.Container, want desired) string {
	if want.probeContainer != "" {
		if c.Name != want.probeContainer {
			return ""
		}
		if want.probePort != "" {
			return fmt.Sprintf("Readiness probe errored and resulted in unknown state: couldn't find port: %s in container %s", want.probePort, c.Name)
		}
		addr := net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(int(want.app.port)))
		switch get := c.ReadinessProbe.HTTPGet; {
		case want.app.timedOut:
			return fmt.Sprintf("Readiness probe failed: Get %q: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
				"http://"+addr+get.Path)
		case !want.app.refused:
			return fmt.Sprintf("Readiness probe failed: HTTP probe failed with statuscode: %d", want.app.status)
		case get != nil:
			return fmt.Sprintf("Readiness probe failed: Get %q: dial tcp %s: connect: connection refused",
				"http://"+addr+get.Path, addr)
		default:
			return fmt.Sprintf("Readiness probe failed: dial tcp %s: connect: connection refused", addr)
		}
	}
	p := c.ReadinessProbe
	switch {
	case p != nil && p.TCPSocket != nil:
		return fmt.Sprintf("Readiness probe failed: dial tcp %s:%s: connect: connection refused", pod.Status.PodIP, p.TCPSocket.Port.String())
	case p != nil && p.HTTPGet != nil:
		return fmt.Sprintf("Readiness probe failed: HTTP probe failed with statuscode: 503 (GET %s on port %s)", p.HTTPGet.Path, p.HTTPGet.Port.String())
	default:
		return "Readiness probe failed: HTTP probe failed with statuscode: 503"
	}
}

// crashRestarts is the restart count of a simulated crash-looping
// container: enough that the back-off has reached minutes, as a user sees
// it when they finally look.
const crashRestarts = 5

func containerStatus(pod *corev1.Pod, c corev1.Container, state podState, start, now metav1.Time) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: containerID(pod, c.Name),
	}
	started := true
	switch state {
	case stateImagePull:
		cs.ImageID, cs.ContainerID = "", ""
		started = false
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: fmt.Sprintf("Back-off pulling image %q", c.Image)}
	case stateCrashLoop:
		started = false
		cs.RestartCount = crashRestarts
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off 2m40s restarting failed container=%s pod=%s_%s(%s)", c.Name, pod.Name, pod.Namespace, pod.UID)}
		cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error", ContainerID: cs.ContainerID,
			StartedAt: metav1.NewTime(now.Add(-2 * time.Second)), FinishedAt: now,
		}
	case stateNotReady:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: start}
	default:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: start}
		cs.Ready = true
	}
	cs.Started = &started
	return cs
}

func imageID(image string) string { return "hopscope-lab.invalid/" + image + "@sha256:0" }

func containerID(pod *corev1.Pod, name string) string {
	return "hopscope-lab://" + string(pod.UID) + "/" + name
}

// podIP returns the pod's IP, allocating one from its Node's CIDR.
func (k *Kubelet) podIP(pod *corev1.Pod, node *corev1.Node) (string, error) {
	if pod.Spec.HostNetwork {
		return node.Status.Addresses[0].Address, nil
	}
	if pod.Status.PodIP != "" {
		return pod.Status.PodIP, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.ipOfPod[key(pod)]; ok {
		return a.String(), nil
	}
	cidr, err := netip.ParsePrefix(node.Spec.PodCIDR)
	if err != nil {
		return "", fmt.Errorf("node %s pod CIDR: %w", node.Name, err)
	}
	a := k.ipNext[node.Name]
	for tries := 0; tries < 1<<12; tries++ {
		if !cidr.Contains(a) || a == lastAddr(cidr) {
			a = firstPodAddr(cidr)
		}
		if _, used := k.ipInUse[a]; !used {
			k.ipInUse[a] = key(pod)
			k.ipOfPod[key(pod)] = a
			k.ipNext[node.Name] = a.Next()
			return a.String(), nil
		}
		a = a.Next()
	}
	return "", fmt.Errorf("node %s: no free pod IP in %s", node.Name, cidr)
}

func firstPodAddr(p netip.Prefix) netip.Addr { return p.Masked().Addr().Next().Next() }

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func hasCondition(pod *corev1.Pod, t corev1.PodConditionType, s corev1.ConditionStatus) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == s
		}
	}
	return false
}

// setCondition sets a condition, keeping its transition time when the
// status does not change, as the kubelet does.
func setCondition(pod *corev1.Pod, c corev1.PodCondition) {
	now := metav1.Now()
	for i := range pod.Status.Conditions {
		old := &pod.Status.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		c.LastTransitionTime = old.LastTransitionTime
		if old.Status != c.Status || c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = now
		}
		*old = c
		return
	}
	c.LastTransitionTime = now
	pod.Status.Conditions = append(pod.Status.Conditions, c)
	sort.SliceStable(pod.Status.Conditions, func(i, j int) bool { return pod.Status.Conditions[i].Type < pod.Status.Conditions[j].Type })
}

// eventSeq keeps Event names unique when several are recorded within one
// clock tick.
var eventSeq atomic.Uint64

// event records a core/v1 Event about pod.
func (k *Kubelet) event(ctx context.Context, pod *corev1.Pod, component, host, typ, reason, msg string, count int32) error {
	now := metav1.Now()
	first := now
	if count > 1 {
		first = metav1.NewTime(now.Add(-time.Duration(count) * 30 * time.Second))
	}
	e := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", pod.Name, eventSeq.Add(1)+uint64(now.UnixNano())),
			Namespace: pod.Namespace,
		},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: types.UID(pod.UID), ResourceVersion: pod.ResourceVersion,
		},
		Reason:              reason,
		Message:             msg,
		Type:                typ,
		Source:              corev1.EventSource{Component: component, Host: host},
		ReportingController: component,
		ReportingInstance:   host,
		FirstTimestamp:      first,
		LastTimestamp:       now,
		Count:               count,
	}
	if _, err := k.client.CoreV1().Events(pod.Namespace).Create(ctx, e, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("record event %s on %s: %w", reason, key(pod), err)
	}
	return nil
}
