package report

import (
	"unicode"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// layerFacts is what the reports say about a layer.
type layerFacts struct {
	// title is the layer as a heading word.
	title string
	// kind is the kind a hop of the layer usually names; hopObject drops
	// the kind when it says nothing the layer does not.
	kind string
	// role says in a few words what the layer does for a request (SARIF
	// rule descriptions).
	role string
	// help is what an engineer should do when a check of the layer fires
	// (SARIF rule help).
	help string
}

var layers = map[diagnose.Layer]layerFacts{
	diagnose.LayerExposure: {
		title: "Exposure", kind: snapshot.KindService,
		role: "how the Service is reached from outside the cluster",
		help: "Check how the Service is exposed (type, ports, external address, traffic policy) against what clients use; prefer ClusterIP behind an Ingress, or a LoadBalancer whose pods have readiness probes.",
	},
	diagnose.LayerIngress: {
		title: "Ingress", kind: snapshot.KindIngress,
		role: "HTTP routing from the ingress controller to a Service",
		help: "Compare the Ingress backend (service name and port) and its class and TLS secret with what exists in the namespace; `kubectl describe ingress` shows the controller's view.",
	},
	diagnose.LayerGateway: {
		title: "Gateway", kind: snapshot.KindGateway,
		role: "the Gateway listener that takes the request",
		help: "Check the Gateway's class and its controller, the listener's port, protocol, hostname and TLS certificate, and the Accepted and Programmed conditions (`kubectl describe gateways.gateway.networking.k8s.io`).",
	},
	diagnose.LayerRoute: {
		title: "Route", kind: snapshot.KindHTTPRoute,
		role: "the Gateway API route that picks a backend",
		help: "Compare the route's parentRefs (sectionName, port), hostnames and matches with the Gateway's listeners and allowedRoutes, and its backendRefs with the Services, ports and ReferenceGrants that exist.",
	},
	diagnose.LayerService: {
		title: "Service", kind: snapshot.KindService,
		role: "the stable name and port that select the pods",
		help: "Compare the Service selector with the pod template labels and the targetPort with the container ports; change the side that is wrong and watch `kubectl get endpoints` fill in.",
	},
	diagnose.LayerEndpoints: {
		title: "Endpoints", kind: snapshot.KindEndpoints,
		role: "the pod addresses the Service actually sends to",
		help: "Endpoints list only ready pods that match the selector; when they are empty or not ready, follow the path down to the pods and their readiness probes.",
	},
	diagnose.LayerNetworkPolicy: {
		title: "NetworkPolicy", kind: snapshot.KindNetworkPolicy,
		role: "which traffic may reach or leave the pods",
		help: "List the policies that select the pods and make sure one admits the ingress controller's namespace (and that egress still allows DNS on port 53).",
	},
	diagnose.LayerPod: {
		title: "Pod", kind: snapshot.KindPod,
		role: "scheduling and readiness of the pods behind the Service",
		help: "Look at the pod's conditions and events (`kubectl describe pod`): scheduling, readiness probe failures and restarts explain why it receives no traffic.",
	},
	diagnose.LayerContainer: {
		title: "Container", kind: snapshot.KindPod,
		role: "the process inside the pod that must listen and stay up",
		help: "Read the container's last state and logs (`kubectl logs --previous`): crash loops, OOM kills and image pull errors keep it from serving.",
	},
	diagnose.LayerNode: {
		title: "Node", kind: snapshot.KindNode,
		role: "the machine the pods run on",
		help: "Check the node's conditions (`kubectl describe node`); pods on a NotReady node are taken out of the endpoints.",
	},
	diagnose.LayerDNS: {
		title: "DNS",
		role:  "name resolution of Services inside the cluster",
		help:  "Check that CoreDNS runs and that the referenced service name exists in the namespace it resolves in (`name.namespace.svc.cluster.local`).",
	},
}

// layerOf returns what the reports say about l; a layer they do not know
// (from a Result built elsewhere) is titled by its own name.
func layerOf(l diagnose.Layer) layerFacts {
	if f, ok := layers[l]; ok {
		return f
	}
	return layerFacts{
		title: capitalized(string(l)),
		role:  "a step of the traffic path",
		help:  "Follow the result's fix and verify commands.",
	}
}

// layerTitle is the layer as a heading word.
func layerTitle(l diagnose.Layer) string { return layerOf(l).title }

// capitalized upper-cases the first character of s. It works on runes: a
// layer or check ID from the input may start with any letter, and cutting
// its first byte would print invalid UTF-8.
func capitalized(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
