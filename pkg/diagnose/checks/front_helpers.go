package checks

// Shared private helpers of the ingress, service, endpoints and exposure
// checks. Names start with "front" so that they never collide with the
// helpers of the back layers (pod, container, node, dns, networkpolicy).

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// frontMaxListed bounds how many names, pods or addresses one evidence line
// lists; the rest are counted.
const frontMaxListed = 5

// frontMaxMessage bounds a quoted Event message.
const frontMaxMessage = 300

// frontOrigin is where ref was read from, for Finding.Origin.
func frontOrigin(s *snapshot.Snapshot, ref snapshot.ObjectRef) *snapshot.Origin {
	if o, ok := s.Origin(ref); ok {
		return &o
	}
	return nil
}

// frontSelector formats a plain selector as kubectl -l accepts it, sorted by
// key so that evidence is stable.
func frontSelector(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// frontSortedKeys returns the keys of a label map in order.
func frontSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// frontLabelsText formats template labels for evidence, "(none)" when
// there are none.
func frontLabelsText(m map[string]string) string {
	if len(m) == 0 {
		return "(none)"
	}
	return frontSelector(m)
}

// frontJoin joins up to frontMaxListed items and counts the rest.
func frontJoin(items []string) string {
	if len(items) <= frontMaxListed {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:frontMaxListed], ", ") + fmt.Sprintf(" and %d more", len(items)-frontMaxListed)
}

// frontDistance is the Levenshtein distance between two names.
func frontDistance(a, b string) int {
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

// frontClosest returns the candidate nearest to want by edit distance (ties:
// the first in sorted order) and that distance; ok is false when there is no
// candidate.
func frontClosest(want string, candidates []string) (best string, dist int, ok bool) {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := frontDistance(want, c)
		if !ok || d < dist {
			best, dist, ok = c, d, true
		}
	}
	return best, dist, ok
}

// frontNameClose reports whether have is close enough to want to be the name
// that was meant: a typo (at most two edits, and less than a third of the
// name), or the same name with a dash-separated suffix added or dropped
// ("api" and "api-svc"). "wrong-svc" is not close to "api-svc": a patch to
// it would be a guess, so the fix is left to a human.
func frontNameClose(want, have string) bool {
	if want == have || want == "" || have == "" {
		return false
	}
	d := frontDistance(want, have)
	if d <= 2 && 3*d < max(len(want), len(have)) {
		return true
	}
	short, long := want, have
	if len(short) > len(long) {
		short, long = long, short
	}
	return strings.HasPrefix(long, short+"-")
}

// frontProto is a port protocol with the TCP default applied.
func frontProto(p corev1.Protocol) corev1.Protocol { return snapshot.ProtocolOrTCP(p) }

// frontServicePort formats one Service port the way `kubectl get svc`
// users read it: name, port/protocol, targetPort and nodePort.
func frontServicePort(sp corev1.ServicePort) string {
	var b strings.Builder
	if sp.Name != "" {
		b.WriteString(sp.Name + " ")
	}
	fmt.Fprintf(&b, "%d/%s → targetPort %s", sp.Port, frontProto(sp.Protocol), frontTarget(sp))
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == 0 {
		b.WriteString(" (defaults to port)")
	}
	if sp.NodePort != 0 {
		fmt.Fprintf(&b, ", nodePort %d", sp.NodePort)
	}
	return b.String()
}

// frontTarget is the effective targetPort of sp as text.
func frontTarget(sp corev1.ServicePort) string {
	t := snapshot.TargetPortOf(sp)
	if t.Type == intstr.String {
		return strconv.Quote(t.StrVal)
	}
	return strconv.Itoa(int(t.IntVal))
}

// frontServicePorts lists every port of svc.
func frontServicePorts(svc *corev1.Service) []string {
	out := make([]string, 0, len(svc.Spec.Ports))
	for _, sp := range svc.Spec.Ports {
		out = append(out, frontServicePort(sp))
	}
	return out
}

// frontDeclared formats the ports a pod declares, per container:
// "app: 8080/TCP (http), 9090/TCP".
func frontDeclared(p *corev1.Pod) string {
	ports := snapshot.DeclaredPorts(p)
	if len(ports) == 0 {
		return "no containerPorts declared"
	}
	var parts []string
	last := ""
	for _, d := range ports {
		item := fmt.Sprintf("%d/%s", d.Port.ContainerPort, d.Protocol())
		if d.Port.Name != "" {
			item += " (" + d.Port.Name + ")"
		}
		if d.Container != last {
			item = "container " + d.Container + ": " + item
			last = d.Container
		}
		parts = append(parts, item)
	}
	return strings.Join(parts, ", ")
}

// frontPodGroup is the pods of one owner (or one bare pod): evidence names
// the Deployment once rather than each of its replicas.
type frontPodGroup struct {
	Owner snapshot.ObjectRef // the workload, or the Pod itself when it has no known owner
	Pods  []*corev1.Pod
}

// frontGroupPods groups pods by their top-level owner, in input order.
func frontGroupPods(s *snapshot.Snapshot, pods []*corev1.Pod) []frontPodGroup {
	var out []frontPodGroup
	at := map[snapshot.ObjectRef]int{}
	for _, p := range pods {
		ref, ok := s.OwnerOf(p)
		if !ok {
			ref = snapshot.Ref(snapshot.KindPod, p)
		}
		i, seen := at[ref]
		if !seen {
			i = len(out)
			at[ref] = i
			out = append(out, frontPodGroup{Owner: ref})
		}
		out[i].Pods = append(out[i].Pods, p)
	}
	return out
}

// frontPodLabel names a pod in evidence: the workload for a template pod
// (which does not exist), otherwise the pod and its owner.
func frontPodLabel(s *snapshot.Snapshot, p *corev1.Pod) string {
	if snapshot.IsTemplatePod(p) {
		return s.SubjectOf(p).String() + " (pod template)"
	}
	ref := snapshot.Ref(snapshot.KindPod, p)
	if owner, ok := s.OwnerOf(p); ok {
		return ref.String() + " (of " + owner.String() + ")"
	}
	return ref.String()
}

// frontGroupLabel names a group of pods in evidence.
func frontGroupLabel(s *snapshot.Snapshot, g frontPodGroup) string {
	if len(g.Pods) == 1 {
		return frontPodLabel(s, g.Pods[0])
	}
	return fmt.Sprintf("%s (%d pods)", g.Owner, len(g.Pods))
}

// frontClip shortens a quoted message.
func frontClip(msg string) string {
	msg = strings.TrimSpace(msg)
	if len(msg) <= frontMaxMessage {
		return msg
	}
	return msg[:frontMaxMessage] + "…"
}

// frontEvents quotes the Events about ref whose reason is one of reasons,
// newest first, at most three.
func frontEvents(s *snapshot.Snapshot, ref snapshot.ObjectRef, reasons ...string) []string {
	evs := s.EventsFor(ref)
	var out []string
	for i := len(evs) - 1; i >= 0 && len(out) < 3; i-- {
		e := evs[i]
		match := len(reasons) == 0
		for _, r := range reasons {
			match = match || e.Reason == r
		}
		if !match {
			continue
		}
		count := ""
		if e.Count > 1 {
			count = fmt.Sprintf(" (x%d)", e.Count)
		}
		typ := e.Type
		if typ == "" {
			typ = corev1.EventTypeNormal
		}
		out = append(out, fmt.Sprintf("Event %s %s%s: %s", typ, e.Reason, count, frontClip(e.Message)))
	}
	return out
}

// frontAddress is one endpoint address of a Service as the endpoints
// controllers published it, from an Endpoints object or an EndpointSlice.
type frontAddress struct {
	IP       string
	Ready    bool
	NodeName string
	Pod      string // targetRef name when the target is a Pod
	PodUID   string
	Source   snapshot.ObjectRef // the Endpoints or EndpointSlice it was read from
}

// frontAddresses returns every address published for a Service, from its
// Endpoints and its EndpointSlices; has is false when the input holds
// neither for it. Addresses are not deduplicated across the two forms: the
// callers ask "is any ready" and "which pods", which duplicates do not
// change.
func frontAddresses(s *snapshot.Snapshot, ns, service string) (addrs []frontAddress, has bool) {
	if ep := s.EndpointsFor(ns, service); ep != nil {
		has = true
		src := snapshot.Ref(snapshot.KindEndpoints, ep)
		for _, sub := range ep.Subsets {
			for _, a := range sub.Addresses {
				addrs = append(addrs, frontEndpointAddress(a, true, src))
			}
			for _, a := range sub.NotReadyAddresses {
				addrs = append(addrs, frontEndpointAddress(a, false, src))
			}
		}
	}
	for _, sl := range s.EndpointSlicesFor(ns, service) {
		has = true
		src := snapshot.Ref(snapshot.KindEndpointSlice, sl)
		for _, e := range sl.Endpoints {
			addrs = append(addrs, frontSliceAddresses(e, src)...)
		}
	}
	return addrs, has
}

func frontEndpointAddress(a corev1.EndpointAddress, ready bool, src snapshot.ObjectRef) frontAddress {
	out := frontAddress{IP: a.IP, Ready: ready, Source: src}
	if a.NodeName != nil {
		out.NodeName = *a.NodeName
	}
	if a.TargetRef != nil && a.TargetRef.Kind == snapshot.KindPod {
		out.Pod, out.PodUID = a.TargetRef.Name, string(a.TargetRef.UID)
	}
	return out
}

// frontSliceAddresses expands one slice endpoint. A nil ready condition
// means ready: the API asks consumers to read an unknown state as ready.
func frontSliceAddresses(e discoveryv1.Endpoint, src snapshot.ObjectRef) []frontAddress {
	ready := e.Conditions.Ready == nil || *e.Conditions.Ready
	var out []frontAddress
	for _, ip := range e.Addresses {
		a := frontAddress{IP: ip, Ready: ready, Source: src}
		if e.NodeName != nil {
			a.NodeName = *e.NodeName
		}
		if e.TargetRef != nil && e.TargetRef.Kind == snapshot.KindPod {
			a.Pod, a.PodUID = e.TargetRef.Name, string(e.TargetRef.UID)
		}
		out = append(out, a)
	}
	return out
}

// frontEndpointsRef is the object endpoints-layer findings are about: the
// Endpoints named after the Service, even when only slices are in the input.
func frontEndpointsRef(svc *corev1.Service) snapshot.ObjectRef {
	return snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
}

// frontVerifyEndpoints is the command that shows a Service's endpoints.
func frontVerifyEndpoints(svc *corev1.Service) string {
	return diagnose.GetCmd(frontEndpointsRef(svc))
}

// frontRoutesToPods reports whether svc is a Service whose endpoints the
// controller computes from its selector.
func frontRoutesToPods(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName && len(svc.Spec.Selector) > 0
}

// frontFromCluster reports whether svc was read from a cluster (a dump or a
// live list) rather than written by hand: the API server sets uid and
// creationTimestamp, so only then do its status fields mean anything.
func frontFromCluster(s *snapshot.Snapshot, meta metav1.Object) bool {
	created := meta.GetCreationTimestamp()
	return s.Live || s.ClusterDump() || meta.GetUID() != "" || !created.IsZero()
}
