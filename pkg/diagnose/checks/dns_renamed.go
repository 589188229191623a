package checks

// Clients still using a Service's old name after it was renamed: a chart
// upgrade or a new release name moves the Service to a name that keeps the
// old one's distinctive words (elasticsearch → elk-elasticsearch-client,
// vm-victoria-metrics-cluster-vmselect → vm-vmselect), while the
// configuration keeps the old one. The port the client asks for tells the
// new Service apart from its siblings, which share the words but not the
// port. dns-name-unresolvable reports the name; this file finds the
// Service it now means.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsRenamedService finds the Service of the name's namespace that serves
// under a new name what the client asks for: the one named the old name
// plus a suffix (open-webui-redis → open-webui-redis-master), or, when the
// value names a port, the one that serves that port and shares the old
// name's distinctive words. It returns "" when no Service, or more than one
// equally, fits; the evidence says why the one returned does.
func dnsRenamedService(s *snapshot.Snapshot, ref serviceHost) (string, []string) {
	port, _ := strconv.Atoi(ref.Port)
	if ext := dnsExtendedName(s, ref.Namespace, ref.Service); ext != "" {
		return ext, dnsServesLine(s.Service(ref.Namespace, ext), port)
	}
	if port == 0 {
		return "", nil
	}
	words := dnsNameWords(ref.Service)
	best, bestShared, tie := "", 0, false
	for _, svc := range s.ServicesIn(ref.Namespace) {
		if svc.Spec.ClusterIP == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName || !dnsServesPort(svc, port) {
			continue
		}
		shared := 0
		for w := range dnsNameWords(svc.Name) {
			if words[w] {
				shared++
			}
		}
		switch {
		case shared == 0 || shared < bestShared:
		case shared == bestShared:
			tie = true
		default:
			best, bestShared, tie = svc.Name, shared, false
		}
	}
	if best == "" || tie {
		return "", nil
	}
	var common []string
	for w := range dnsNameWords(best) {
		if words[w] {
			common = append(common, w)
		}
	}
	ev := dnsServesLine(s.Service(ref.Namespace, best), port)
	sort.Strings(common)
	ev = append(ev, fmt.Sprintf("%s and %s share the name part(s) %s, and no other Service of namespace %s serving port %d does as much", ref.Service, best, strings.Join(common, ", "), ref.Namespace, port))
	return best, ev
}

// dnsServesPort reports whether svc has port number port.
func dnsServesPort(svc *corev1.Service, port int) bool {
	for _, sp := range svc.Spec.Ports {
		if int(sp.Port) == port {
			return true
		}
	}
	return false
}

// dnsServesLine quotes that svc serves the port the client asks for, and
// the pods behind it.
func dnsServesLine(svc *corev1.Service, port int) []string {
	if svc == nil || port == 0 || !dnsServesPort(svc, port) {
		return nil
	}
	return []string{fmt.Sprintf("Service %s serves port %d, the port the client asks for (ports %s; selector %s)",
		svc.Name, port, strings.Join(servicePortsText(svc), ", "), selectorText(svc.Spec.Selector))}
}

// dnsNameWords are the distinctive dash-separated words of a Service
// name: at least three characters, and not the words every chart adds.
func dnsNameWords(name string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Split(name, "-") {
		if len(w) >= 3 && !dnsCommonWords[w] {
			out[w] = true
		}
	}
	return out
}

// dnsCommonWords say what role a Service plays, not which app it is.
var dnsCommonWords = map[string]bool{
	"svc": true, "service": true, "server": true, "api": true, "app": true, "http": true, "https": true,
	"web": true, "headless": true, "master": true, "primary": true, "replica": true, "main": true,
	"internal": true, "external": true, "public": true, "private": true, "cluster": true, "client": true,
	"metrics": true, "admin": true, "grpc": true, "tcp": true, "udp": true, "default": true,
}
