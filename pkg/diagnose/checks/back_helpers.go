package checks

// Shared private helpers of the pod, container, node, dns and networkpolicy
// checks. Names start with "back" so that they never collide with the
// helpers of the front layers (ingress, service, endpoints, exposure).

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// backMaxEvents bounds how many Events one finding quotes; a pod that failed
// its probe for a day has one Event with a large count, not many.
const backMaxEvents = 3

// backMaxMessage bounds a quoted status or Event message: kubelet messages
// can carry whole stack traces.
const backMaxMessage = 300

// backOrigin is where ref was read from, for Finding.Origin.
func backOrigin(s *snapshot.Snapshot, ref snapshot.ObjectRef) *snapshot.Origin {
	if o, ok := s.Origin(ref); ok {
		return &o
	}
	return nil
}

// backHasStatus reports whether the input holds runtime state for p: a pod
// read from a dump or a cluster, not one made from a template nor a bare Pod
// manifest without status.
func backHasStatus(p *corev1.Pod) bool {
	return !snapshot.IsTemplatePod(p) && p.Status.Phase != ""
}

// backClip shortens a message for quoting.
func backClip(msg string) string {
	msg = strings.TrimSpace(msg)
	if len(msg) <= backMaxMessage {
		return msg
	}
	return msg[:backMaxMessage] + "…"
}

// backEventLines quotes the Events about ref whose reason is one of reasons
// (any reason when none is given) and whose message contains one of the
// substrings in contains (any message when none is given), newest first.
func backEventLines(s *snapshot.Snapshot, ref snapshot.ObjectRef, reasons []string, contains ...string) []string {
	evs := s.EventsFor(ref)
	var out []string
	for i := len(evs) - 1; i >= 0 && len(out) < backMaxEvents; i-- {
		e := evs[i]
		if len(reasons) > 0 && !backOneOf(e.Reason, reasons) {
			continue
		}
		if len(contains) > 0 && !backContainsAny(e.Message, contains) {
			continue
		}
		out = append(out, backEventLine(e))
	}
	return out
}

// backEventLine formats one Event the way `kubectl describe` users read
// them: type, reason, count, then the message.
func backEventLine(e *corev1.Event) string {
	count := ""
	if e.Count > 1 {
		count = fmt.Sprintf(" (x%d)", e.Count)
	}
	typ := e.Type
	if typ == "" {
		typ = corev1.EventTypeNormal
	}
	return fmt.Sprintf("Event %s %s%s: %s", typ, e.Reason, count, backClip(e.Message))
}

func backOneOf(v string, set []string) bool {
	for _, x := range set {
		if v == x {
			return true
		}
	}
	return false
}

func backContainsAny(v string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(v, x) {
			return true
		}
	}
	return false
}

// backPodCondition returns the pod condition of type t, or nil.
func backPodCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// backConditionLine formats a pod condition with its reason and message.
func backConditionLine(c *corev1.PodCondition) string {
	line := fmt.Sprintf("condition %s=%s", c.Type, c.Status)
	if c.Reason != "" {
		line += " (" + c.Reason + ")"
	}
	if c.Message != "" {
		line += ": " + backClip(c.Message)
	}
	if !c.LastTransitionTime.IsZero() {
		line += " since " + c.LastTransitionTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	return line
}

// backContainer is one container of a pod with its status, if any.
type backContainer struct {
	Spec   *corev1.Container
	Status *corev1.ContainerStatus // nil when the input has no status for it
	Init   bool
	Index  int // position in spec.initContainers or spec.containers
}

// Label names the container the way kubectl does in its messages.
func (c backContainer) Label() string {
	if c.Init {
		return "init container " + c.Spec.Name
	}
	return "container " + c.Spec.Name
}

// Sidecar reports whether an init container keeps running beside the app
// (restartPolicy Always), so its probes matter like a regular container's.
func (c backContainer) Sidecar() bool {
	return c.Init && c.Spec.RestartPolicy != nil && *c.Spec.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// specPath is the JSON pointer of this container inside a pod spec.
func (c backContainer) specPath() string {
	if c.Init {
		return "/initContainers/" + strconv.Itoa(c.Index)
	}
	return "/containers/" + strconv.Itoa(c.Index)
}

// backSpecContainers lists the containers of a pod spec without status.
func backSpecContainers(spec *corev1.PodSpec) []backContainer {
	return backContainers(&corev1.Pod{Spec: *spec})
}

// backContainers lists the init containers, then the containers, of p, each
// with its status matched by name.
func backContainers(p *corev1.Pod) []backContainer {
	status := func(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}
	out := make([]backContainer, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		out = append(out, backContainer{Spec: c, Status: status(p.Status.InitContainerStatuses, c.Name), Init: true, Index: i})
	}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		out = append(out, backContainer{Spec: c, Status: status(p.Status.ContainerStatuses, c.Name), Index: i})
	}
	return out
}

// backStateLine describes a container status: state, readiness, restarts.
func backStateLine(c backContainer) string {
	cs := c.Status
	if cs == nil {
		return c.Label() + ": no status in the input"
	}
	var state string
	switch {
	case cs.State.Waiting != nil:
		state = "waiting (" + cs.State.Waiting.Reason + ")"
		if cs.State.Waiting.Message != "" {
			state += ": " + backClip(cs.State.Waiting.Message)
		}
	case cs.State.Running != nil:
		state = "running"
		if !cs.State.Running.StartedAt.IsZero() {
			state += " since " + cs.State.Running.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
	case cs.State.Terminated != nil:
		state = backTerminatedLine(cs.State.Terminated)
	default:
		state = "no state"
	}
	return fmt.Sprintf("%s: %s, ready=%t, restartCount=%d", c.Label(), state, cs.Ready, cs.RestartCount)
}

// backTerminatedLine describes how a container ended.
func backTerminatedLine(t *corev1.ContainerStateTerminated) string {
	reason := t.Reason
	if reason == "" {
		reason = "terminated"
	}
	line := fmt.Sprintf("%s (exit code %d", reason, t.ExitCode)
	if t.Signal != 0 {
		line += fmt.Sprintf(", signal %d", t.Signal)
	}
	line += ")"
	if !t.FinishedAt.IsZero() {
		line += " at " + t.FinishedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if t.Message != "" {
		line += ", message: " + strconv.Quote(backClip(t.Message))
	}
	return line
}

// backPortsLine lists a container's declared ports: "8080/TCP (http), 9090/TCP".
func backPortsLine(c *corev1.Container) string {
	if len(c.Ports) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(c.Ports))
	for _, p := range c.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		part := fmt.Sprintf("%d/%s", p.ContainerPort, proto)
		if p.Name != "" {
			part += " (" + p.Name + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// backProbe is the network target of a probe.
type backProbe struct {
	Type string             // httpGet, tcpSocket or grpc
	Port intstr.IntOrString // number or name
	Path string             // httpGet only
	Host string             // httpGet/tcpSocket host; empty means the pod IP
	// field is the JSON pointer of the port, relative to the probe.
	field string
}

// backProbeTarget returns the port a probe connects to, or false for exec
// probes and nil probes.
func backProbeTarget(p *corev1.Probe) (backProbe, bool) {
	switch {
	case p == nil:
		return backProbe{}, false
	case p.HTTPGet != nil:
		path := p.HTTPGet.Path
		if path == "" {
			path = "/"
		}
		return backProbe{Type: "httpGet", Port: p.HTTPGet.Port, Path: path, Host: p.HTTPGet.Host, field: "/httpGet/port"}, true
	case p.TCPSocket != nil:
		return backProbe{Type: "tcpSocket", Port: p.TCPSocket.Port, Host: p.TCPSocket.Host, field: "/tcpSocket/port"}, true
	case p.GRPC != nil:
		return backProbe{Type: "grpc", Port: intstr.FromInt32(p.GRPC.Port), field: "/grpc/port"}, true
	}
	return backProbe{}, false
}

// String describes the probe target: "httpGet port 8081 path /healthz".
func (b backProbe) String() string {
	out := b.Type + " port " + b.Port.String()
	if b.Path != "" {
		out += " path " + b.Path
	}
	if b.Host != "" {
		out += " host " + b.Host
	}
	return out
}

// backPodSpecPath is the JSON pointer of the pod spec inside an object of
// kind, for patches of containers, volumes and probes.
func backPodSpecPath(kind string) (string, bool) {
	switch kind {
	case snapshot.KindPod:
		return "/spec", true
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet, snapshot.KindReplicaSet,
		snapshot.KindReplicationController, snapshot.KindJob:
		return "/spec/template/spec", true
	case snapshot.KindCronJob:
		return "/spec/jobTemplate/spec/template/spec", true
	}
	return "", false
}

// backFixTarget is the object a fix of p's spec must change: the workload
// that owns it (a pod's spec is mostly immutable, and a patched pod would be
// replaced from the old template anyway), or the pod itself when it has no
// known owner. The second value is the JSON pointer of the pod spec in it.
func backFixTarget(s *snapshot.Snapshot, p *corev1.Pod) (snapshot.ObjectRef, string) {
	if ref, ok := s.OwnerOf(p); ok {
		if path, ok := backPodSpecPath(ref.Kind); ok {
			return ref, path
		}
	}
	return snapshot.Ref(snapshot.KindPod, p), "/spec"
}

// backVerifyPod is the command that shows a fix of p's spec took effect: the
// rollout status of its workload, or the pod itself.
func backVerifyPod(s *snapshot.Snapshot, p *corev1.Pod) string {
	ref, _ := backFixTarget(s, p)
	switch ref.Kind {
	case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet:
		return diagnose.Kubectl("rollout", "status", strings.ToLower(ref.Kind)+"/"+ref.Name, "-n", ref.Namespace)
	}
	if snapshot.IsTemplatePod(p) || ref.Kind != snapshot.KindPod {
		return diagnose.Kubectl("get", "pods", "-n", p.Namespace, "-l", backSelectorString(p.Labels))
	}
	return diagnose.GetCmd(snapshot.Ref(snapshot.KindPod, p))
}

// backSelectorString formats labels as a kubectl -l selector, sorted by key.
func backSelectorString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k == "pod-template-hash" || k == "controller-revision-hash" || k == "pod-template-generation" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// backImmutableNote explains, for a bare pod, how to apply a change kubectl
// edit rejects.
const backImmutableNote = "a Pod's spec cannot be changed in place: kubectl edit saves the rejected change to a temporary file; recreate the pod from it with `kubectl replace --force -f <that file>`"

// backDistance is the Levenshtein distance between two short names.
func backDistance(a, b string) int {
	if a == b {
		return 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// backStem drops the suffixes people add to Service and ConfigMap names, so
// that "api-svc" and "api-service" are recognised as the same intent.
func backStem(name string) string {
	for _, suf := range []string{"-service", "-svc", "-srv", "-config", "-cfg", "-cm"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	return name
}

// backLikelyTypo reports whether have is probably what want was meant to
// name: same stem, or at most two edits apart for names long enough that two
// edits are not most of the name.
func backLikelyTypo(want, have string) bool {
	if want == have {
		return false
	}
	if backStem(want) == backStem(have) {
		return true
	}
	d := backDistance(want, have)
	return d <= 2 && min(len(want), len(have)) >= 5 || d == 1 && min(len(want), len(have)) >= 3
}

// backClosest returns up to n of names sorted by edit distance to want, then
// by name.
func backClosest(want string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	cands := make([]cand, 0, len(names))
	for _, name := range names {
		if name == want {
			continue
		}
		d := backDistance(want, name)
		if backStem(want) == backStem(name) {
			d = 0
		}
		cands = append(cands, cand{name, d})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	out := make([]string, 0, n)
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// backJoinLimit joins up to n items and says how many more there are.
func backJoinLimit(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
