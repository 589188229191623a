// Package advise turns the decision matrix of the seed article into advice:
// which Service type (or Ingress, or Gateway API) fits a given kind of
// traffic, and, for Services and Ingresses that already exist, where they go
// against the matrix or would not move to Gateway API as they are. Advice is
// not a diagnosis: nothing here is an error.
//
//	rec, _ := advise.Recommend(advise.Needs{External: true, Production: true, Protocol: advise.HTTP})
//	fmt.Println(rec.Choice) // Ingress
package advise

import (
	"errors"
)

// Choice is one answer of the matrix.
type Choice string

// The matrix's answers.
const (
	ClusterIP    Choice = "ClusterIP"
	Ingress      Choice = "Ingress"
	GatewayAPI   Choice = "Gateway API"
	LoadBalancer Choice = "LoadBalancer"
	NodePort     Choice = "NodePort"
)

// Protocol is what the Service speaks, as far as the matrix cares.
type Protocol string

// Protocols; Unknown means the user did not say, and HTTP is assumed where
// it matters (with a caveat).
const (
	Unknown Protocol = ""
	HTTP    Protocol = "http"
	GRPC    Protocol = "grpc"
	TCP     Protocol = "tcp"
)

// Needs describes who calls a Service and how, in the terms of the matrix.
type Needs struct {
	// Internal: only workloads inside the cluster call it.
	Internal bool
	// External: clients outside the cluster call it.
	External bool
	// Production: real users depend on it (not a demo, not a test).
	Production bool
	// CloudLB: the cluster can provision load balancers (a cloud provider
	// or an implementation such as MetalLB).
	CloudLB bool
	// Debug: temporary access for debugging.
	Debug bool
	// RoleSplit: a platform team runs the shared entry point and its
	// certificates while application teams own their routes.
	RoleSplit bool
	// AdvancedRouting: matching on headers or methods, or splitting
	// traffic between backends by weight (canaries, blue-green).
	AdvancedRouting bool
	Protocol        Protocol
}

// Recommendation is the matrix's answer with why, and what it costs.
type Recommendation struct {
	Choice Choice `json:"choice"`
	// Summary says in one line what to build.
	Summary string `json:"summary"`
	// Rule is the row of the matrix that decided.
	Rule    string   `json:"rule"`
	Reasons []string `json:"reasons"`
	Pros    []string `json:"pros"`
	Cons    []string `json:"cons"`
	// Caveats are what to watch out for with this choice and these needs.
	Caveats []string `json:"caveats,omitempty"`
}

// Rows of the matrix, in the seed article's order.
var Matrix = []struct {
	Requirement string
	Use         Choice
}{
	{"Internal traffic", ClusterIP},
	{"External production traffic", Ingress},
	{"External traffic with split roles, header or weight routing, or gRPC/TCP/UDP routes", GatewayAPI},
	{"Cloud simple exposure", LoadBalancer},
	{"Debug only", NodePort},
}

// ErrNoNeeds is returned when Needs says nothing at all.
var ErrNoNeeds = errors.New("say who calls the Service: --internal, --external or --debug")

// ErrContradiction is returned for needs that exclude each other.
var ErrContradiction = errors.New("--internal means only the cluster calls the Service, --external that outside clients do: pick one")

// traits holds what each choice is good and bad at, in the project's words.
var traits = map[Choice]struct{ pros, cons []string }{
	ClusterIP: {
		pros: []string{
			"Reachable only inside the cluster: nothing is exposed by accident",
			"A stable virtual IP and DNS name while pods come and go",
			"No cost, no controller, works on every cluster",
		},
		cons: []string{"Outside clients cannot reach it without an Ingress or LoadBalancer in front"},
	},
	Ingress: {
		pros: []string{
			"One entry point and one load balancer for many services, which keeps cost down",
			"Routing by host and path, TLS terminated in one place",
			"One place for policy: rate limits, authentication, access logs",
		},
		cons: []string{
			"HTTP(S) only",
			"Needs an ingress controller running in the cluster (and an IngressClass)",
		},
	},
	GatewayAPI: {
		pros: []string{
			"Roles split by object: the platform team owns GatewayClass and Gateway (listeners, addresses, certificates), application teams own their routes",
			"Matching on host, path, headers, query parameters and method, and traffic split by backendRef weight, all in the standard API instead of controller annotations",
			"HTTP, gRPC, TLS, TCP and UDP routes behind the same kind of entry point",
			"Cross-namespace references only where the target namespace grants them (ReferenceGrant)",
			"Implemented by many controllers (Envoy Gateway, Cilium, Istio, NGINX Gateway Fabric, kgateway, cloud gateways), so a setup moves between them",
		},
		cons: []string{
			"Needs the Gateway API CRDs and a controller that implements them",
			"TCPRoute and UDPRoute are in the experimental channel; support varies by implementation",
			"More objects to read than one Ingress: a route that is not attached serves nothing, so check route status (Accepted, ResolvedRefs)",
		},
	},
	LoadBalancer: {
		pros: []string{
			"A real external address with health checks, managed by the provider",
			"Any TCP or UDP protocol",
			"No controller to run inside the cluster",
		},
		cons: []string{
			"One billed load balancer and address per Service",
			"No host or path routing and no shared TLS termination",
			"Stays <pending> where nothing provisions load balancers",
		},
	},
	NodePort: {
		pros: []string{"Works on any cluster with nothing to install", "Quick to open and to close again"},
		cons: []string{
			"Opens the port on every node, including nodes without a pod of the app",
			"Clients depend on node IPs that change when nodes are replaced",
			"No routing, no TLS, ports limited to 30000-32767",
		},
	},
}

// Recommend applies the matrix to needs.
func Recommend(n Needs) (Recommendation, error) {
	switch {
	case n.Internal && n.External:
		return Recommendation{}, ErrContradiction
	case !n.Internal && !n.External && !n.Debug:
		return Recommendation{}, ErrNoNeeds
	}
	var r Recommendation
	switch {
	case n.Debug:
		r = with(NodePort, "Debug only", "A NodePort Service, removed again when the debugging is done")
		r.Reasons = []string{"Temporary access for debugging is the one case the matrix keeps NodePort for"}
		r.Caveats = append(r.Caveats, "`kubectl port-forward svc/NAME 8080:80` reaches a Service from your machine without exposing anything; prefer it when it is enough")
		if n.Production {
			r.Caveats = append(r.Caveats, "Never leave production traffic on the NodePort: serve it through an Ingress (HTTP) or a LoadBalancer (other protocols)")
		}
	case n.Internal || !n.External:
		r = with(ClusterIP, "Internal traffic", "A ClusterIP Service (the default type): callers use http://NAME or NAME.NAMESPACE")
		r.Reasons = []string{"Only workloads inside the cluster call it, so it needs no exposure at all", "ClusterIP is the most used Service type in production for exactly this reason"}
	case n.RoleSplit || n.AdvancedRouting || n.Protocol == GRPC:
		r = with(GatewayAPI, "External traffic with split roles, header or weight routing, or gRPC/TCP/UDP routes",
			"A Gateway owned by the platform team, and a route per application in front of its ClusterIP Service")
		r.Reasons = gatewayReasons(n)
		if n.Protocol == TCP {
			r.Caveats = append(r.Caveats, "TCPRoute and UDPRoute are in Gateway API's experimental channel: check that your implementation serves them, or use a LoadBalancer Service per TCP service")
		}
		if !n.CloudLB {
			r.Caveats = append(r.Caveats, "Without cloud load balancers, the Gateway's address comes from an implementation such as MetalLB or from host ports; a Gateway without an address is Accepted but not Programmed")
		}
	case n.Production && n.Protocol != TCP:
		r = with(Ingress, "External production traffic", "An Ingress in front of a ClusterIP Service")
		r.Reasons = []string{
			"Production traffic from outside wants routing, TLS and one entry point for many services",
			"One load balancer in front of the ingress controller serves every Ingress, instead of one per Service",
		}
		if n.Protocol == Unknown {
			r.Caveats = append(r.Caveats, "This assumes HTTP(S); for another protocol (--tcp) an Ingress cannot route it and a LoadBalancer is the answer")
		}
		r.Caveats = append(r.Caveats, ingressNginxRetired)
		if !n.CloudLB {
			r.Caveats = append(r.Caveats, "Without cloud load balancers, the ingress controller itself is reached through host ports or a NodePort fronted by an external load balancer or DNS")
		}
	case n.Production:
		r = with(LoadBalancer, "External production traffic (not HTTP)", "A LoadBalancer Service")
		r.Reasons = []string{"An Ingress only routes HTTP(S); other protocols from outside need a LoadBalancer"}
		if !n.CloudLB {
			r.Caveats = append(r.Caveats, "Nothing provisions load balancers on this cluster yet: install an implementation such as MetalLB, or EXTERNAL-IP stays <pending>")
		}
	case n.CloudLB:
		r = with(LoadBalancer, "Cloud simple exposure", "A LoadBalancer Service")
		r.Reasons = []string{"One service, not production-critical, on a cloud that provisions load balancers: the simplest real external address"}
		r.Caveats = append(r.Caveats, "Once several HTTP services are exposed this way, one Ingress is cheaper and adds routing and TLS")
	case n.Protocol != TCP:
		r = with(Ingress, "External traffic without cloud load balancers", "An Ingress in front of a ClusterIP Service")
		r.Reasons = []string{"Without cloud load balancers, an ingress controller is the way to publish HTTP services", "It still gives routing and TLS, and grows into production use unchanged"}
		r.Caveats = append(r.Caveats, ingressNginxRetired)
	default:
		r = with(LoadBalancer, "External non-HTTP traffic without cloud load balancers", "A LoadBalancer Service backed by an in-cluster implementation (such as MetalLB)")
		r.Reasons = []string{"An Ingress cannot route other protocols than HTTP(S)"}
		r.Caveats = append(r.Caveats, "Until a load-balancer implementation is installed, EXTERNAL-IP stays <pending>; a NodePort only fits temporary access")
	}
	return r, nil
}

// ingressNginxRetired is the caveat every Ingress recommendation carries:
// the Ingress API stays, but its most used controller is no longer
// maintained.
const ingressNginxRetired = "The community ingress-nginx controller reached its end of maintenance in March 2026 (no further releases or security fixes): " +
	"pick a maintained Ingress controller, or Gateway API (--role-split, --advanced-routing) if you are choosing anew"

// gatewayReasons says which of the needs led to Gateway API.
func gatewayReasons(n Needs) []string {
	var out []string
	if n.RoleSplit {
		out = append(out, "A platform team runs the entry point while application teams own their routes: Gateway and HTTPRoute are separate objects with separate RBAC, and a listener's allowedRoutes decides which namespaces may attach")
	}
	if n.AdvancedRouting {
		out = append(out, "Header and method matches and weighted backendRefs are part of the standard HTTPRoute, where an Ingress needs controller-specific annotations for them")
	}
	switch n.Protocol {
	case GRPC:
		out = append(out, "GRPCRoute routes by gRPC service and method, which an Ingress cannot express")
	case TCP:
		out = append(out, "TCPRoute and UDPRoute let non-HTTP services share the gateway that serves the HTTP routes")
	}
	return out
}

func with(c Choice, rule, summary string) Recommendation {
	t := traits[c]
	return Recommendation{Choice: c, Rule: rule, Summary: summary,
		Pros: append([]string(nil), t.pros...), Cons: append([]string(nil), t.cons...)}
}
