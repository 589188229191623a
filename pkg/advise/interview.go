package advise

// The advisor's interview: the matrix's questions in the order a person
// answers them, each asked only when an earlier answer leaves it open. The
// questions live here, next to the matrix they feed; the terminal (or any
// other front end) only asks them.

// Asker puts one question to the user and returns the answer.
type Asker interface {
	// YesNo asks a yes/no question; def is the answer Enter gives.
	YesNo(question string, def bool) (bool, error)
	// Choose asks for one of choices and returns its index.
	Choose(question string, choices []string) (int, error)
}

// Interview questions, as the user reads them.
const (
	QuestionCaller     = "Who calls it?"
	QuestionDebug      = "Is it only temporary access for debugging?"
	QuestionProduction = "Does it carry production traffic?"
	QuestionHTTP       = "Does it speak HTTP(S) (gRPC included)?"
	QuestionGRPC       = "Is it a gRPC service (clients call package.Service/Method)?"
	QuestionRoleSplit  = "Does a platform team run the shared entry point (addresses, certificates, which namespaces may attach) while application teams own their own routes?"
	QuestionRouting    = "Does it need routing by header or method, or a traffic split by weight (canary, blue-green)?"
	QuestionCloudLB    = "Can the cluster provision load balancers (a cloud such as EKS, GKE, AKS, or MetalLB)?"
)

// Callers are the answers to QuestionCaller.
var Callers = []string{"only workloads inside the cluster", "clients outside the cluster"}

// Interview asks the matrix's questions and returns the needs they
// describe. The Gateway API questions (gRPC, split roles, header or weight
// routing) are asked for HTTP traffic from outside only: for other
// protocols TCPRoute and UDPRoute are still experimental, and the matrix
// does not steer anyone there from an interview (--role-split still does).
func Interview(a Asker) (Needs, error) {
	var n Needs
	caller, err := a.Choose(QuestionCaller, Callers)
	if err != nil {
		return n, err
	}
	if caller == 0 {
		n.Internal = true
		return n, nil
	}
	n.External = true
	if n.Debug, err = a.YesNo(QuestionDebug, false); err != nil || n.Debug {
		return n, err
	}
	if n.Production, err = a.YesNo(QuestionProduction, true); err != nil {
		return n, err
	}
	http, err := a.YesNo(QuestionHTTP, true)
	if err != nil {
		return n, err
	}
	n.Protocol = TCP
	if http {
		n.Protocol = HTTP
		grpc, err := a.YesNo(QuestionGRPC, false)
		if err != nil {
			return n, err
		}
		if grpc {
			n.Protocol = GRPC
		}
		if n.RoleSplit, err = a.YesNo(QuestionRoleSplit, false); err != nil {
			return n, err
		}
		if n.AdvancedRouting, err = a.YesNo(QuestionRouting, false); err != nil {
			return n, err
		}
	}
	if n.CloudLB, err = a.YesNo(QuestionCloudLB, false); err != nil {
		return n, err
	}
	return n, nil
}
