// Package advise turns the decision matrix of the seed article into advice:
// which Service type (or Ingress) fits a given kind of traffic, and, for
// Services that already exist, where the chosen type goes against the
// matrix. Advice is not a diagnosis: nothing here is an error.
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
	Debug    bool
	Protocol Protocol
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
	case n.Production && n.Protocol != TCP:
		r = with(Ingress, "External production traffic", "An Ingress in front of a ClusterIP Service")
		r.Reasons = []string{
			"Production traffic from outside wants routing, TLS and one entry point for many services",
			"One load balancer in front of the ingress controller serves every Ingress, instead of one per Service",
		}
		if n.Protocol == Unknown {
			r.Caveats = append(r.Caveats, "This assumes HTTP(S); for another protocol (--tcp) an Ingress cannot route it and a LoadBalancer is the answer")
		}
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
	default:
		r = with(LoadBalancer, "External non-HTTP traffic without cloud load balancers", "A LoadBalancer Service backed by an in-cluster implementation (such as MetalLB)")
		r.Reasons = []string{"An Ingress cannot route other protocols than HTTP(S)"}
		r.Caveats = append(r.Caveats, "Until a load-balancer implementation is installed, EXTERNAL-IP stays <pending>; a NodePort only fits temporary access")
	}
	return r, nil
}

func with(c Choice, rule, summary string) Recommendation {
	t := traits[c]
	return Recommendation{Choice: c, Rule: rule, Summary: summary,
		Pros: append([]string(nil), t.pros...), Cons: append([]string(nil), t.cons...)}
}
