package checks

// Names that point out of the namespace a live scan was scoped to: an env
// value `orders.shop` read in namespace web resolves to Service orders of
// namespace shop, which a scan of web did not list. The live source looks
// into each such namespace with one GET and one LIST (never a scan of the
// whole cluster), and dns-name-unresolvable then judges the name there.

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ReferencedNamespaces lists, sorted, the namespaces that env values and
// ConfigMap entries of a live snapshot name explicitly (orders.shop,
// orders.shop.svc.cluster.local) and whose Services the snapshot does not
// know: what source.Live.FollowReferences looks into. A namespace the
// listed Namespaces prove absent is left out (dns-name-unresolvable
// already judges it), and so is a name of another cluster's zone. When the
// scan could not list Namespaces, "a.b" may name namespace b, so b is
// asked for: the GET says whether it exists.
func ReferencedNamespaces(s *snapshot.Snapshot) []string {
	if !s.Live {
		return nil
	}
	listed := dnsNamespacesListed(s)
	mayExist := func(ns string) bool { return !listed || s.Namespace(ns) != nil }
	set := map[string]bool{}
	dnsNameSources(s, func(src dnsSource, podNS string) {
		ref, ok := parseServiceHostIn(s, src.Var, src.Value, podNS, mayExist)
		if !ok || !ref.Explicit || !mayExist(ref.Namespace) || s.Knows(snapshot.KindService, ref.Namespace) || !dnsInClusterZone(s, ref.Host) {
			return
		}
		set[ref.Namespace] = true
	})
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// ServiceName is a Service name a pod's configuration uses, read as the
// pod's resolver reads it: what a level-1 probe looks up from that pod.
type ServiceName struct {
	// Host is the name as written ("orders.shop"); Service and Namespace
	// are where the resolver looks it up; Port is the port written with
	// it, "" when none is.
	Host, Service, Namespace, Port string
	// From says where the value is: "container web env ORDERS_URL",
	// "ConfigMap app key ORDERS_URL".
	From string
	// NoService is true when the snapshot proves no Service answers the
	// name: it read the Services of that namespace and none has the name,
	// or the namespace does not exist.
	NoService bool
}

// PodServiceNames lists the Service names pod p's env values and the
// ConfigMap entries its env and envFrom read use, parsed as the DNS checks
// parse them. "a.b" is read as Service a of namespace b whether or not the
// snapshot holds b: a client naming a namespace that does not exist is
// one a probe must look up as written.
func PodServiceNames(s *snapshot.Snapshot, p *corev1.Pod) []ServiceName {
	if !dnsUsesClusterDNS(p) {
		return nil
	}
	listed := dnsNamespacesListed(s)
	var out []ServiceName
	for _, v := range podConfigValues(s, p) {
		ref, ok := parseServiceHostIn(s, v.Var, v.Value, p.Namespace, func(string) bool { return true })
		if !ok || !dnsInClusterZone(s, ref.Host) {
			continue
		}
		absent := (listed || dnsNamespaceLookedUp(s, ref.Namespace)) && s.Namespace(ref.Namespace) == nil
		out = append(out, ServiceName{
			Host: strings.TrimSuffix(ref.Host, "."), Service: ref.Service, Namespace: ref.Namespace, Port: ref.Port, From: v.From,
			NoService: absent || s.Knows(snapshot.KindService, ref.Namespace) && s.Service(ref.Namespace, ref.Service) == nil,
		})
	}
	return out
}
