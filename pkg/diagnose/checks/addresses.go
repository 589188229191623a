package checks

// The addresses the endpoints controllers published for a Service, read
// the same way from an Endpoints object and from EndpointSlices, so that
// every check asks "is any ready" and "which pods" of one list.

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// endpointAddress is one endpoint address of a Service, from an Endpoints
// object or an EndpointSlice.
type endpointAddress struct {
	IP       string
	Ready    bool
	NodeName string
	Pod      string // targetRef name when the target is a Pod
	PodUID   string
	Source   snapshot.ObjectRef // the Endpoints or EndpointSlice it was read from
}

// serviceAddresses returns every address published for a Service, from
// its Endpoints and its EndpointSlices; has is false when the input holds
// neither for it. Addresses are not deduplicated across the two forms
// (uniqueAddresses does that).
func serviceAddresses(s *snapshot.Snapshot, ns, service string) (addrs []endpointAddress, has bool) {
	if ep := s.EndpointsFor(ns, service); ep != nil {
		has = true
		src := snapshot.Ref(snapshot.KindEndpoints, ep)
		for _, sub := range ep.Subsets {
			for _, a := range sub.Addresses {
				addrs = append(addrs, addressFromEndpoints(a, true, src))
			}
			for _, a := range sub.NotReadyAddresses {
				addrs = append(addrs, addressFromEndpoints(a, false, src))
			}
		}
	}
	for _, sl := range s.EndpointSlicesFor(ns, service) {
		has = true
		src := snapshot.Ref(snapshot.KindEndpointSlice, sl)
		for _, e := range sl.Endpoints {
			addrs = append(addrs, addressesFromSlice(e, src)...)
		}
	}
	return addrs, has
}

func addressFromEndpoints(a corev1.EndpointAddress, ready bool, src snapshot.ObjectRef) endpointAddress {
	out := endpointAddress{IP: a.IP, Ready: ready, Source: src}
	if a.NodeName != nil {
		out.NodeName = *a.NodeName
	}
	if a.TargetRef != nil && a.TargetRef.Kind == snapshot.KindPod {
		out.Pod, out.PodUID = a.TargetRef.Name, string(a.TargetRef.UID)
	}
	return out
}

// addressesFromSlice expands one slice endpoint. A nil ready condition
// means ready: the API asks consumers to read an unknown state as ready.
func addressesFromSlice(e discoveryv1.Endpoint, src snapshot.ObjectRef) []endpointAddress {
	ready := e.Conditions.Ready == nil || *e.Conditions.Ready
	var out []endpointAddress
	for _, ip := range e.Addresses {
		a := endpointAddress{IP: ip, Ready: ready, Source: src}
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

// uniqueAddresses drops the duplicates an Endpoints object and its mirrored
// EndpointSlices produce, keeping the first (ready wins over not ready).
func uniqueAddresses(addrs []endpointAddress) []endpointAddress {
	at := map[string]int{}
	var out []endpointAddress
	for _, a := range addrs {
		key := a.IP + "/" + a.Pod
		if i, ok := at[key]; ok {
			out[i].Ready = out[i].Ready || a.Ready
			continue
		}
		at[key] = len(out)
		out = append(out, a)
	}
	return out
}

// addressText names an address in evidence: "10.244.1.7 (Pod api-x2k4p)".
func addressText(a endpointAddress) string {
	switch {
	case a.Pod == "":
		return a.IP
	case a.IP == "":
		return "Pod " + a.Pod + " (no IP)"
	}
	return a.IP + " (Pod " + a.Pod + ")"
}

// anyReady reports whether one of addrs is ready.
func anyReady(addrs []endpointAddress) bool {
	for _, a := range addrs {
		if a.Ready {
			return true
		}
	}
	return false
}

// endpointsRef is the object endpoints-layer findings are about: the
// Endpoints named after the Service, even when only slices are in the input.
func endpointsRef(svc *corev1.Service) snapshot.ObjectRef {
	return snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
}

// verifyEndpoints is the command that shows a Service's endpoints.
func verifyEndpoints(svc *corev1.Service) string {
	return diagnose.GetCmd(endpointsRef(svc))
}

// serviceHasReadyAddress reports whether any address published for svc is
// ready.
func serviceHasReadyAddress(s *snapshot.Snapshot, svc *corev1.Service) bool {
	addrs, _ := serviceAddresses(s, svc.Namespace, svc.Name)
	return anyReady(addrs)
}
