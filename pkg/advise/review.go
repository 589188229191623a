package advise

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Advice is one place where an exposed Service goes against the matrix.
type Advice struct {
	Object snapshot.ObjectRef `json:"object"`
	// Current is the Service's type today; Suggest what the matrix prefers.
	Current Choice `json:"current"`
	Suggest Choice `json:"suggest"`
	// Rule names the advice: "nodeport-in-production", "loadbalancer-per-http-service",
	// "exposed-twice", "annotations-without-gateway-api-field".
	Rule     string   `json:"rule"`
	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence"`
	// Look is a command that shows what the advice is about.
	Look string `json:"look"`
}

// Review is the outcome of reviewing a snapshot's Services and Ingresses.
type Review struct {
	Advice []Advice `json:"advice"`
	// Types counts the reviewed Services by type.
	Types map[string]int `json:"types"`
	// Skipped names Services left alone and why (ingress controllers'
	// own Services).
	Skipped []string `json:"skipped,omitempty"`
}

// ReviewServices holds every Service of s in the given namespaces (all when
// empty) against the matrix:
//   - a NodePort Service serves traffic the matrix keeps for debugging;
//   - two or more LoadBalancer Services that speak HTTP could share one
//     Ingress (one load balancer instead of several);
//   - a LoadBalancer or NodePort Service that is also an Ingress backend is
//     exposed twice, once around the Ingress's routing and TLS;
//   - an Ingress configured by controller-specific annotations would lose
//     them on a move to Gateway API: each is named with what it becomes
//     there, or that the standard API has nothing for it.
//
// An ingress controller's own Service is exposed on purpose (that is how
// traffic reaches the Ingresses) and is skipped.
func ReviewServices(s *snapshot.Snapshot, namespaces []string) Review {
	inNS := func(string) bool { return true }
	if len(namespaces) > 0 {
		set := map[string]bool{}
		for _, n := range namespaces {
			set[n] = true
		}
		inNS = func(ns string) bool { return set[ns] }
	}
	backends := ingressBackends(s)
	rv := Review{Types: map[string]int{}}
	var httpLBs []*corev1.Service
	for _, svc := range s.Services {
		if !inNS(svc.Namespace) {
			continue
		}
		typ := string(svc.Spec.Type)
		if typ == "" {
			typ = string(corev1.ServiceTypeClusterIP)
		}
		rv.Types[typ]++
		ref := snapshot.Ref(snapshot.KindService, svc)
		if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		if ingressController(svc) {
			rv.Skipped = append(rv.Skipped, ref.String()+": an ingress controller's own Service is exposed on purpose")
			continue
		}
		if ings := backends[ref]; len(ings) > 0 {
			rv.Advice = append(rv.Advice, Advice{
				Object: ref, Current: Choice(svc.Spec.Type), Suggest: ClusterIP, Rule: "exposed-twice",
				Reason: fmt.Sprintf("%s is already published through %s; its own %s exposure bypasses the Ingress's routing, TLS and policy and can be closed",
					ref.Name, strings.Join(ings, ", "), svc.Spec.Type),
				Evidence: []string{"type: " + string(svc.Spec.Type), "Ingress backends: " + strings.Join(ings, ", "), "ports: " + portList(svc)},
				Look:     diagnose.GetCmd(ref, "-o", "wide"),
			})
			continue
		}
		switch svc.Spec.Type {
		case corev1.ServiceTypeNodePort:
			rv.Advice = append(rv.Advice, Advice{
				Object: ref, Current: NodePort, Suggest: Ingress, Rule: "nodeport-in-production",
				Reason: "NodePort opens the same port on every node and ties clients to node addresses; the matrix keeps it for debugging. " +
					"For production traffic use a ClusterIP Service behind an Ingress (HTTP) or a LoadBalancer (other protocols)",
				Evidence: []string{"type: NodePort", "ports: " + portList(svc)},
				Look:     diagnose.GetCmd(ref, "-o", "wide"),
			})
		case corev1.ServiceTypeLoadBalancer:
			if speaksHTTP(svc) {
				httpLBs = append(httpLBs, svc)
			}
		}
	}
	if len(httpLBs) >= 2 {
		var names []string
		for _, svc := range httpLBs {
			names = append(names, svc.Namespace+"/"+svc.Name)
		}
		for _, svc := range httpLBs {
			ref := snapshot.Ref(snapshot.KindService, svc)
			rv.Advice = append(rv.Advice, Advice{
				Object: ref, Current: LoadBalancer, Suggest: Ingress, Rule: "loadbalancer-per-http-service",
				Reason: fmt.Sprintf("%d LoadBalancer Services speak HTTP, each with its own billed load balancer and address; one Ingress behind one load balancer could route them all by host or path, with TLS in one place",
					len(httpLBs)),
				Evidence: []string{"HTTP LoadBalancer Services: " + strings.Join(names, ", "), "ports: " + portList(svc)},
				Look:     diagnose.GetCmd(ref, "-o", "wide"),
			})
		}
	}
	rv.Advice = append(rv.Advice, reviewIngressAnnotations(s, inNS)...)
	sort.SliceStable(rv.Advice, func(i, j int) bool { return rv.Advice[i].Object.String() < rv.Advice[j].Object.String() })
	return rv
}

// ingressBackends maps each Service to the Ingresses that route to it.
func ingressBackends(s *snapshot.Snapshot) map[snapshot.ObjectRef][]string {
	out := map[snapshot.ObjectRef][]string{}
	add := func(ns, svc, ing string) {
		ref := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ns, Name: svc}
		for _, x := range out[ref] {
			if x == ing {
				return
			}
		}
		out[ref] = append(out[ref], ing)
	}
	for _, ing := range s.Ingresses {
		name := "Ingress " + ing.Name
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			add(ing.Namespace, b.Service.Name, name)
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service != nil {
					add(ing.Namespace, p.Backend.Service.Name, name)
				}
			}
		}
	}
	return out
}

// ingressController recognises the Service in front of an ingress or
// gateway controller by the names such installs use.
func ingressController(svc *corev1.Service) bool {
	hay := strings.ToLower(svc.Name + " " + svc.Namespace + " " + svc.Labels["app.kubernetes.io/name"] + " " + svc.Labels["app.kubernetes.io/component"])
	for _, w := range []string{"ingress", "traefik", "haproxy", "contour", "envoy", "gateway", "istio"} {
		if strings.Contains(hay, w) {
			return true
		}
	}
	return false
}

// speaksHTTP reads a Service's ports the way people label them: an
// appProtocol, a port name, or the usual HTTP port numbers.
func speaksHTTP(svc *corev1.Service) bool {
	for _, p := range svc.Spec.Ports {
		if p.AppProtocol != nil {
			ap := strings.ToLower(*p.AppProtocol)
			if ap == "http" || ap == "https" || strings.HasPrefix(ap, "kubernetes.io/h2c") || strings.HasPrefix(ap, "kubernetes.io/ws") {
				return true
			}
			continue
		}
		name := strings.ToLower(p.Name)
		if name == "http" || name == "https" || name == "web" || strings.HasPrefix(name, "http-") {
			return true
		}
		switch p.Port {
		case 80, 443, 8080, 8443:
			return p.Protocol == "" || p.Protocol == corev1.ProtocolTCP
		}
	}
	return false
}

func portList(svc *corev1.Service) string {
	var parts []string
	for _, p := range svc.Spec.Ports {
		s := strconv.Itoa(int(p.Port))
		if p.NodePort != 0 {
			s += ":" + strconv.Itoa(int(p.NodePort))
		}
		proto := string(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		s += "/" + proto
		if p.Name != "" {
			s = p.Name + " " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
