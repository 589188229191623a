package checks

// Service names that point into a namespace that does not exist:
// `orders.shpo.svc.cluster.local` has no record whatever Services exist,
// because namespace shpo is not one of the cluster's. Three mistakes make
// such names: a namespace hard-coded by a chart installed into another one,
// a typo in it, and the Service name and the namespace written the wrong way
// round. dns-name-unresolvable reports them; this file judges the namespace.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsNamespaceAbsent reports whether the input proves that the namespace a
// host names explicitly does not exist. Cluster state that lists the
// cluster's Namespaces (listed, see dnsNamespacesListed) proves it by their
// absence. Manifests hold only some namespaces, so there it is believed
// only when the name is evidently a slip: the Service and the namespace
// swapped, or a misspelt namespace that holds the Service
// (dnsAbsentNamespaceFix). Names of another zone than the cluster's (a
// multi-cluster clusterset.local) are not the cluster's to judge.
func dnsNamespaceAbsent(s *snapshot.Snapshot, ref serviceHost, podNS string, namespaces map[string]bool, listed bool) bool {
	if !ref.Explicit || namespaces[ref.Namespace] || s.Namespace(ref.Namespace) != nil || !dnsInClusterZone(s, ref.Host) {
		return false
	}
	if listed {
		return true
	}
	// Manifests may leave the namespace out because it is deployed
	// separately: only a name that is evidently a slip counts there.
	meant, _, ok := dnsAbsentNamespaceFix(s, ref, podNS, namespaces)
	return ok && (meant.Namespace == ref.Service || typoOrStem(ref.Namespace, meant.Namespace))
}

// dnsNamespacesListed reports whether the input lists the cluster's
// Namespaces: cluster state holding a Namespace object for every namespace
// its objects live in. A dump of some namespaces (cluster-info dump
// --namespaces) lists none or only some, and proves no absence.
func dnsNamespacesListed(s *snapshot.Snapshot) bool {
	if !(s.Live || s.ClusterDump()) || !s.Knows(snapshot.KindNamespace, "") {
		return false
	}
	if s.Live {
		return true
	}
	for _, ns := range s.NamespaceNames() {
		if s.Namespace(ns) == nil {
			return false
		}
	}
	return true
}

// dnsNamespaceLookedUp reports whether a live scan that could not list the
// cluster's Namespaces asked for ns by name (source.Live.FollowReferences):
// then the snapshot holds it when it exists, and its absence is proven.
func dnsNamespaceLookedUp(s *snapshot.Snapshot, ns string) bool {
	return s.Live && s.Listed[snapshot.KindNamespace+"/"+ns]
}

// dnsInClusterZone reports whether a host written with ".svc" belongs to
// the cluster's own zone: nothing after "svc", or the cluster domain.
func dnsInClusterZone(s *snapshot.Snapshot, host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	for i, l := range labels {
		if l != "svc" || i < 2 {
			continue
		}
		zone := strings.Join(labels[i+1:], ".")
		domain, _ := kubeletSetting(s, kubeletClusterDomainRE, "kubelet-config")
		return zone == "" || zone == "cluster.local" || domain != "" && zone == domain
	}
	return true
}

// dnsAbsentNamespaceFix finds the Service an unresolvable name most likely
// meant: the one whose name and namespace are the name's namespace and
// Service the other way round, else the Service of that name in another
// namespace (the pod's own first, then the namespace named most like the
// one written). It returns that Service and why.
func dnsAbsentNamespaceFix(s *snapshot.Snapshot, ref serviceHost, podNS string, namespaces map[string]bool) (meant snapshot.ObjectRef, why string, ok bool) {
	if s.Service(ref.Service, ref.Namespace) != nil {
		return snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ref.Service, Name: ref.Namespace},
			fmt.Sprintf("the Service name and the namespace are swapped: Service %s lives in namespace %s", ref.Namespace, ref.Service), true
	}
	var holders []string
	for ns := range namespaces {
		if s.Service(ns, ref.Service) != nil {
			holders = append(holders, ns)
		}
	}
	sort.Strings(holders)
	pick := ""
	switch {
	case len(holders) == 1:
		pick = holders[0]
	case s.Service(podNS, ref.Service) != nil:
		pick = podNS
	case len(holders) > 1:
		if best, _, found := nearestName(ref.Namespace, holders); found && typoOrStem(ref.Namespace, best) {
			pick = best
		}
	}
	if pick == "" {
		return snapshot.ObjectRef{}, "", false
	}
	why = fmt.Sprintf("Service %s lives in namespace %s", ref.Service, pick)
	switch {
	case typoOrStem(ref.Namespace, pick):
		why += fmt.Sprintf(" (%s is a misspelling of %s)", ref.Namespace, pick)
	case pick == podNS:
		why += ", the client's own namespace: the name hard-codes a namespace the app was not installed into"
	}
	return snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: pick, Name: ref.Service}, why, true
}

// dnsAbsentNamespaceCause words the finding on a name whose namespace does
// not exist: the cause, the corrected host when one is found, what to get
// to verify, and the evidence about namespaces.
func dnsAbsentNamespaceCause(s *snapshot.Snapshot, ref serviceHost, podNS string, namespaces map[string]bool) (cause, host string, verify snapshot.ObjectRef, ev []string) {
	var names []string
	for _, ns := range s.Namespaces {
		names = append(names, ns.Name)
	}
	if len(names) == 0 {
		for ns := range namespaces {
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	line := fmt.Sprintf("namespace %s does not exist; the namespaces are %s", ref.Namespace, joinLimit(names, 12))
	if !dnsNamespacesListed(s) && dnsNamespaceLookedUp(s, ref.Namespace) {
		// The scan could not list Namespaces: the ones it holds are not
		// all of them, and the proof is the answer to its GET.
		line = fmt.Sprintf("namespace %s does not exist: the API server answered NotFound to GET namespaces/%s; namespaces seen: %s", ref.Namespace, ref.Namespace, joinLimit(names, 12))
	}
	if near := closestNames(ref.Namespace, names, 1); len(near) > 0 && typoOrStem(ref.Namespace, near[0]) {
		line += "; closest: " + near[0]
	}
	ev = []string{line}
	cause = fmt.Sprintf("namespace %s does not exist, so %q has no DNS record whatever Services exist", ref.Namespace, ref.Host)
	verify = snapshot.ObjectRef{Kind: snapshot.KindNamespace, Name: ref.Namespace}
	if meant, why, ok := dnsAbsentNamespaceFix(s, ref, podNS, namespaces); ok {
		cause += "; " + why
		host = rewriteServiceHost(ref, meant.Name, meant.Namespace)
		verify = meant
	}
	return cause, host, verify, ev
}
