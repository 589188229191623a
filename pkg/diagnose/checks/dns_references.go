package checks

// Names that point out of the namespace a live scan was scoped to: an env
// value `orders.shop` read in namespace web resolves to Service orders of
// namespace shop, which a scan of web did not list. The live source looks
// into each such namespace with one GET and one LIST (never a scan of the
// whole cluster), and dns-name-unresolvable then judges the name there.

import (
	"sort"

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
