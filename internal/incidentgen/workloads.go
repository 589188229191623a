package incidentgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// App describes a workload as its owner wrote it, plus where its replicas
// run and what state each is in.
type App struct {
	Namespace, Name string
	// Labels are the pod template's labels; {app: Name} when nil.
	Labels map[string]string
	// Selector is the workload's selector; Labels when nil.
	Selector map[string]string
	// ObjectLabels are the workload's own labels; Labels when nil.
	ObjectLabels map[string]string
	Annotations  map[string]string
	// Replicas defaults to 1; DaemonSets run one pod per eligible node.
	Replicas       int
	Containers     []corev1.Container
	InitContainers []corev1.Container
	// Pod edits the pod template's spec further (dnsPolicy, volumes,
	// nodeSelector, hostNetwork).
	Pod func(*corev1.PodSpec)
	// Nodes places replica i on Nodes[i%len]; replicas are spread over the
	// schedulable worker nodes when nil.
	Nodes []string
	// States gives replica i its state; missing entries are Ready.
	States []PodState
	// Age is how long ago the workload and its pods were created; 7 days
	// when zero.
	Age time.Duration
	// ServiceName is a StatefulSet's governing Service.
	ServiceName string
}

// Workload is a built workload with the objects its controllers made.
type Workload struct {
	Kind, Namespace, Name string
	Object                any
	ReplicaSet            *appsv1.ReplicaSet
	Pods                  []*corev1.Pod
	app                   App
}

// PodState turns a freshly made Running and Ready pod into the state an
// incident needs, recording the Events the kubelet or scheduler would have.
type PodState func(c *Cluster, p *corev1.Pod)

func (a *App) defaults() {
	if a.Labels == nil {
		a.Labels = map[string]string{"app": a.Name}
	}
	if a.Selector == nil {
		a.Selector = copyMap(a.Labels)
	}
	if a.ObjectLabels == nil {
		a.ObjectLabels = copyMap(a.Labels)
	}
	if a.Replicas == 0 {
		a.Replicas = 1
	}
	if a.Age == 0 {
		a.Age = 7 * 24 * time.Hour
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *Cluster) template(a App) corev1.PodTemplateSpec {
	spec := corev1.PodSpec{
		Containers:     append([]corev1.Container(nil), a.Containers...),
		InitContainers: append([]corev1.Container(nil), a.InitContainers...),
	}
	if a.Pod != nil {
		a.Pod(&spec)
	}
	clusterstate.DefaultPodSpec(&spec)
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: copyMap(a.Labels)}, Spec: spec}
}

// workerNodes are the nodes pods land on when no placement is given: not
// control-plane, not cordoned.
func (c *Cluster) workerNodes() []string {
	var out []string
	for _, n := range c.nodes {
		if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; cp || n.Spec.Unschedulable {
			continue
		}
		out = append(out, n.Name)
	}
	if len(out) == 0 {
		for _, n := range c.nodes {
			out = append(out, n.Name)
		}
	}
	return out
}

func (c *Cluster) placement(a App, i int) string {
	if len(a.Nodes) > 0 {
		return a.Nodes[i%len(a.Nodes)]
	}
	w := c.workerNodes()
	if len(w) == 0 {
		return ""
	}
	// Start the spread at a point derived from the name, as the scheduler's
	// choices look in a real cluster.
	off := int(hashSuffix(a.Namespace+"/"+a.Name, 1)[0])
	return w[(off+i)%len(w)]
}

// wholeSpec is an App.Pod that replaces the template's spec by s: for
// workloads whose spec is given whole, by an installer or a manifest.
func wholeSpec(s corev1.PodSpec) func(*corev1.PodSpec) {
	return func(t *corev1.PodSpec) { *t = *s.DeepCopy() }
}

func selectorOf(m map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: copyMap(m)}
}

func int32p(v int32) *int32 { return &v }

// workload prepares workload a of kind: fills in a's defaults, makes sure
// its namespace exists, and returns its pod template and its metadata as
// the API server stores it (identity, a's labels and annotations,
// generation 1).
func (c *Cluster) workload(kind string, a *App) (metav1.ObjectMeta, corev1.PodTemplateSpec) {
	a.defaults()
	c.ensureNamespace(a.Namespace)
	tmpl := c.template(*a)
	m := c.meta(kind, a.Namespace, a.Name, a.Age)
	m.Labels, m.Annotations, m.Generation = copyMap(a.ObjectLabels), copyMap(a.Annotations), 1
	return m, tmpl
}

// run records workload w with the n pods its controller made: pod i is
// named and templated by pod(i) and controlled by owner.
func (c *Cluster) run(w *Workload, owner metav1.OwnerReference, n int, pod func(i int) (string, corev1.PodTemplateSpec)) *Workload {
	for i := range n {
		name, tmpl := pod(i)
		w.Pods = append(w.Pods, c.newPod(w.app, i, name, tmpl, owner))
	}
	c.workloads = append(c.workloads, w)
	return w
}

// Deployment adds a Deployment with its ReplicaSet and pods.
func (c *Cluster) Deployment(a App) *Workload {
	m, tmpl := c.workload("Deployment", &a)
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: m}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[clusterstate.RevisionAnnotation] = "1"
	maxU, maxS := intstr.FromString("25%"), intstr.FromString("25%")
	d.Spec = appsv1.DeploymentSpec{
		Replicas: int32p(int32(a.Replicas)),
		Selector: selectorOf(a.Selector),
		Template: tmpl,
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxU, MaxSurge: &maxS}},
		RevisionHistoryLimit:    int32p(10),
		ProgressDeadlineSeconds: int32p(600),
	}
	hash := hashSuffix(a.Namespace+"/"+a.Name+"/"+fmt.Sprint(tmpl.Spec.Containers), 10)
	rs := clusterstate.ReplicaSet(d, hash)
	c.identify("ReplicaSet", &rs.ObjectMeta, a.Age)
	w := &Workload{Kind: "Deployment", Namespace: a.Namespace, Name: a.Name, Object: d, ReplicaSet: rs, app: a}
	return c.run(w, clusterstate.ControllerRef("apps/v1", "ReplicaSet", rs.ObjectMeta), a.Replicas, func(int) (string, corev1.PodTemplateSpec) {
		return rs.Name + "-" + c.suffix(5), rs.Spec.Template
	})
}

// StatefulSet adds a StatefulSet and its ordinal pods.
func (c *Cluster) StatefulSet(a App) *Workload {
	m, tmpl := c.workload("StatefulSet", &a)
	s := &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: m}
	rev := a.Name + "-" + hashSuffix(a.Namespace+"/"+a.Name, 10)
	s.Spec = appsv1.StatefulSetSpec{
		Replicas: int32p(int32(a.Replicas)), Selector: selectorOf(a.Selector), Template: tmpl, ServiceName: a.ServiceName,
		PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
		UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType, RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: int32p(0)}},
		RevisionHistoryLimit: int32p(10),
		PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
			WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.RetainPersistentVolumeClaimRetentionPolicyType},
	}
	w := &Workload{Kind: "StatefulSet", Namespace: a.Namespace, Name: a.Name, Object: s, app: a}
	return c.run(w, clusterstate.ControllerRef("apps/v1", "StatefulSet", s.ObjectMeta), a.Replicas, func(i int) (string, corev1.PodTemplateSpec) {
		name := fmt.Sprintf("%s-%d", a.Name, i)
		pt := *tmpl.DeepCopy()
		pt.Labels[appsv1.ControllerRevisionHashLabelKey] = rev
		pt.Labels[appsv1.StatefulSetPodNameLabel] = name
		pt.Labels[appsv1.PodIndexLabel] = fmt.Sprint(i)
		pt.Spec.Hostname = name
		pt.Spec.Subdomain = a.ServiceName
		return name, pt
	})
}

// DaemonSet adds a DaemonSet with one pod per node it tolerates (every node
// when its template tolerates everything, else the worker nodes).
func (c *Cluster) DaemonSet(a App) *Workload {
	m, tmpl := c.workload("DaemonSet", &a)
	ds := &appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}, ObjectMeta: m}
	maxU, maxS := intstr.FromInt32(1), intstr.FromInt32(0)
	ds.Spec = appsv1.DaemonSetSpec{Selector: selectorOf(a.Selector), Template: tmpl, RevisionHistoryLimit: int32p(10),
		UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType, RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &maxU, MaxSurge: &maxS}}}
	nodes := a.Nodes
	if nodes == nil {
		tolerAll := false
		for _, t := range tmpl.Spec.Tolerations {
			tolerAll = tolerAll || t.Operator == corev1.TolerationOpExists && t.Key == ""
		}
		if tolerAll {
			for _, n := range c.nodes {
				nodes = append(nodes, n.Name)
			}
		} else {
			nodes = c.workerNodes()
		}
	}
	a.Nodes = nodes
	w := &Workload{Kind: "DaemonSet", Namespace: a.Namespace, Name: a.Name, Object: ds, app: a}
	rev := hashSuffix(a.Namespace+"/"+a.Name+"/ds", 10)
	return c.run(w, clusterstate.ControllerRef("apps/v1", "DaemonSet", ds.ObjectMeta), len(nodes), func(int) (string, corev1.PodTemplateSpec) {
		pt := *tmpl.DeepCopy()
		pt.Labels[appsv1.ControllerRevisionHashLabelKey] = rev
		pt.Labels["pod-template-generation"] = "1"
		return a.Name + "-" + c.suffix(5), pt
	})
}

// ReplicationController adds a ReplicationController and its pods.
func (c *Cluster) ReplicationController(a App) *Workload {
	m, tmpl := c.workload("ReplicationController", &a)
	rc := &corev1.ReplicationController{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ReplicationController"}, ObjectMeta: m}
	rc.Spec = corev1.ReplicationControllerSpec{Replicas: int32p(int32(a.Replicas)), Selector: copyMap(a.Selector), Template: tmpl.DeepCopy()}
	w := &Workload{Kind: "ReplicationController", Namespace: a.Namespace, Name: a.Name, Object: rc, app: a}
	return c.run(w, clusterstate.ControllerRef("v1", "ReplicationController", rc.ObjectMeta), a.Replicas, func(int) (string, corev1.PodTemplateSpec) {
		return a.Name + "-" + c.suffix(5), *tmpl.DeepCopy()
	})
}

// Job adds a Job whose pods are running (a long migration, a backfill).
func (c *Cluster) Job(a App) *Workload {
	m, tmpl := c.workload("Job", &a)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	j := &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: m}
	ctrl := string(j.UID)
	tmpl.Labels["batch.kubernetes.io/controller-uid"] = ctrl
	tmpl.Labels["batch.kubernetes.io/job-name"] = a.Name
	tmpl.Labels["controller-uid"] = ctrl
	tmpl.Labels["job-name"] = a.Name
	sel := map[string]string{"batch.kubernetes.io/controller-uid": ctrl}
	completions := int32(1)
	j.Spec = batchv1.JobSpec{Parallelism: int32p(int32(a.Replicas)), Completions: &completions, BackoffLimit: int32p(6),
		Selector: selectorOf(sel), Template: tmpl, CompletionMode: ptrTo(batchv1.NonIndexedCompletion), Suspend: ptrTo(false),
		PodReplacementPolicy: ptrTo(batchv1.TerminatingOrFailed), ManualSelector: nil}
	w := &Workload{Kind: "Job", Namespace: a.Namespace, Name: a.Name, Object: j, app: a}
	return c.run(w, clusterstate.ControllerRef("batch/v1", "Job", j.ObjectMeta), a.Replicas, func(int) (string, corev1.PodTemplateSpec) {
		return a.Name + "-" + c.suffix(5), *tmpl.DeepCopy()
	})
}

// BarePod adds a pod created directly (no controller), like the examples
// of the Kubernetes docs.
func (c *Cluster) BarePod(a App) *corev1.Pod {
	a.defaults()
	c.ensureNamespace(a.Namespace)
	tmpl := c.template(a)
	p := c.newPod(a, 0, a.Name, tmpl, metav1.OwnerReference{})
	p.OwnerReferences = nil
	return p
}

func ptrTo[T any](v T) *T { return &v }

// newPod makes replica i of a workload: scheduled, Running and Ready, then
// put into its state.
func (c *Cluster) newPod(a App, i int, name string, tmpl corev1.PodTemplateSpec, ctrl metav1.OwnerReference) *corev1.Pod {
	age := a.Age
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: c.meta("Pod", a.Namespace, name, age),
		Spec:       *tmpl.Spec.DeepCopy(),
	}
	p.Labels = copyMap(tmpl.Labels)
	p.OwnerReferences = []metav1.OwnerReference{ctrl}
	p.Spec.NodeName = c.placement(a, i)
	clusterstate.DefaultTolerations(&p.Spec)
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = "default"
	}
	p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName
	p.Spec.EnableServiceLinks = ptrTo(true)
	p.Spec.Priority = int32p(0)
	p.Spec.PreemptionPolicy = ptrTo(corev1.PreemptLowerPriority)
	c.runningStatus(p)
	if i < len(a.States) && a.States[i] != nil {
		a.States[i](c, p)
	}
	c.pods = append(c.pods, p)
	return p
}

func int64p(v int64) *int64 { return &v }

// runningStatus gives a pod the status of a healthy Running and Ready pod
// that started when it was created.
func (c *Cluster) runningStatus(p *corev1.Pod) {
	start := metav1.NewTime(p.CreationTimestamp.Add(time.Second))
	ready := metav1.NewTime(p.CreationTimestamp.Add(12 * time.Second))
	node := p.Spec.NodeName
	p.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		StartTime:  &start,
		QOSClass:   clusterstate.QOSClass(&p.Spec),
		Conditions: clusterstate.RunningConditions(p.CreationTimestamp, start, ready),
	}
	if node != "" {
		ip := c.NodeIP(node)
		p.Status.HostIP = ip
		p.Status.HostIPs = []corev1.HostIP{{IP: ip}}
		podIP := ip
		if !p.Spec.HostNetwork {
			podIP = c.allocPodIP(node)
		}
		p.Status.PodIP = podIP
		p.Status.PodIPs = []corev1.PodIP{{IP: podIP}}
	}
	for _, ct := range p.Spec.InitContainers {
		if ct.RestartPolicy != nil && *ct.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, runningContainer(ct, start, true))
			continue
		}
		st := containerStatusBase(ct)
		st.Ready = true
		st.State.Terminated = &corev1.ContainerStateTerminated{Reason: "Completed", ExitCode: 0, StartedAt: start, FinishedAt: metav1.NewTime(start.Add(4 * time.Second)), ContainerID: st.ContainerID}
		p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, st)
	}
	for _, ct := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, runningContainer(ct, start, true))
	}
}

func containerStatusBase(ct corev1.Container) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name:        ct.Name,
		Image:       clusterstate.KubeletImage(ct.Image),
		ImageID:     clusterstate.KubeletImage(strings.Split(ct.Image, ":")[0]) + "@sha256:" + digest("image"+ct.Image),
		ContainerID: "containerd://" + digest("container"+ct.Name+ct.Image),
		Started:     ptrTo(false),
	}
}

func runningContainer(ct corev1.Container, start metav1.Time, ready bool) corev1.ContainerStatus {
	st := containerStatusBase(ct)
	st.Ready = ready
	st.Started = ptrTo(true)
	st.State.Running = &corev1.ContainerStateRunning{StartedAt: start}
	return st
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// updateStatus writes the workload's status from its pods, as its
// controller would. A Deployment whose pods are not all ready is taken to
// be in a rollout that never completed.
func (w *Workload) updateStatus(c *Cluster) {
	switch o := w.Object.(type) {
	case *appsv1.Deployment:
		w.ReplicaSet.Status = clusterstate.ReplicaSetStatus(w.ReplicaSet, w.Pods)
		o.Status = clusterstate.DeploymentStatus(o, w.ReplicaSet, w.Pods, c.Now, false)
	case *appsv1.StatefulSet:
		o.Status = clusterstate.StatefulSetStatus(o, w.Pods)
	case *appsv1.DaemonSet:
		o.Status = clusterstate.DaemonSetStatus(o, w.Pods)
	case *corev1.ReplicationController:
		o.Status = clusterstate.ReplicationControllerStatus(o, w.Pods)
	case *batchv1.Job:
		o.Status = clusterstate.JobStatus(o, w.Pods)
	}
}

// Svc describes a Service as its owner wrote it.
type Svc struct {
	Namespace, Name string
	Labels          map[string]string
	Annotations     map[string]string
	Selector        map[string]string
	Ports           []corev1.ServicePort
	Type            corev1.ServiceType
	Headless        bool
	// ExternalTrafficPolicy applies to NodePort and LoadBalancer Services.
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	// LoadBalancerIP is the provisioned address of a LoadBalancer Service;
	// empty leaves it pending.
	LoadBalancerIP string
	ExternalName   string
	// PublishNotReady sets publishNotReadyAddresses.
	PublishNotReady bool
	// ClusterIP pins the Service address (kube-dns uses 10.96.0.10).
	ClusterIP string
	Age       time.Duration
}

// Service adds a Service with the fields the API server fills in.
func (c *Cluster) Service(s Svc) *corev1.Service {
	c.ensureNamespace(s.Namespace)
	age := s.Age
	if age == 0 {
		age = 20 * 24 * time.Hour
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.meta("Service", s.Namespace, s.Name, age),
	}
	svc.Labels, svc.Annotations = copyMap(s.Labels), copyMap(s.Annotations)
	typ := s.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	svc.Spec = corev1.ServiceSpec{Type: typ, Selector: copyMap(s.Selector), SessionAffinity: corev1.ServiceAffinityNone, PublishNotReadyAddresses: s.PublishNotReady}
	if typ == corev1.ServiceTypeExternalName {
		svc.Spec.ExternalName = s.ExternalName
		svc.Spec.SessionAffinity = corev1.ServiceAffinityNone
	} else {
		ip := s.ClusterIP
		switch {
		case s.Headless:
			ip = corev1.ClusterIPNone
		case ip == "":
			ip = c.allocClusterIP()
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip, []string{ip}
		svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		svc.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicySingleStack)
		svc.Spec.InternalTrafficPolicy = ptrTo(corev1.ServiceInternalTrafficPolicyCluster)
	}
	for _, p := range s.Ports {
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
		if (typ == corev1.ServiceTypeNodePort || typ == corev1.ServiceTypeLoadBalancer) && p.NodePort == 0 {
			p.NodePort = c.allocNodePort()
		}
		svc.Spec.Ports = append(svc.Spec.Ports, p)
	}
	if typ == corev1.ServiceTypeNodePort || typ == corev1.ServiceTypeLoadBalancer {
		etp := s.ExternalTrafficPolicy
		if etp == "" {
			etp = corev1.ServiceExternalTrafficPolicyCluster
		}
		svc.Spec.ExternalTrafficPolicy = etp
		if typ == corev1.ServiceTypeLoadBalancer {
			svc.Spec.AllocateLoadBalancerNodePorts = ptrTo(true)
			if etp == corev1.ServiceExternalTrafficPolicyLocal {
				svc.Spec.HealthCheckNodePort = c.allocNodePort()
			}
			if s.LoadBalancerIP != "" {
				svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: s.LoadBalancerIP, IPMode: ptrTo(corev1.LoadBalancerIPModeVIP)}}
			}
		}
	}
	c.services = append(c.services, svc)
	return svc
}

// Port is a ServicePort with a numeric target.
func Port(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromInt32(target)}
}

// NamedPort is a ServicePort that targets a named container port.
func NamedPort(name string, port int32, target string) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromString(target)}
}

// ContainerPort declares a TCP container port.
func ContainerPort(name string, port int32) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}
}

// HTTPProbe is an HTTP GET probe on a port number or name.
func HTTPProbe(path string, port intstr.IntOrString) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port}}}
}
