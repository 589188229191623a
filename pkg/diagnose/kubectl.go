// Every fix and verify line is a kubectl command a user pastes as it is; the
// builders here are the one place such commands are made and quoted.

package diagnose

import (
	"encoding/json"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Kubectl joins a kubectl command line, single-quoting any argument a POSIX
// shell would split or expand, so that fix and verify lines can be pasted as
// they are. It is the one builder for every command hopscope prints.
func Kubectl(args ...string) string {
	var b strings.Builder
	b.WriteString("kubectl")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// resource is the lower-case resource name kubectl accepts for a kind.
func resource(kind string) string {
	switch kind {
	case snapshot.KindEndpoints:
		return "endpoints"
	case snapshot.KindEndpointSlice:
		return "endpointslices"
	case snapshot.KindNetworkPolicy:
		return "networkpolicy"
	case snapshot.KindIngressClass:
		return "ingressclass"
	}
	if r, ok := gatewayResources[kind]; ok {
		return r
	}
	return strings.ToLower(kind)
}

// gatewayResources are the Gateway API kinds by their full resource names:
// Istio's networking.istio.io also has a "gateway", and a bare name would
// reach whichever kubectl finds first.
var gatewayResources = map[string]string{
	snapshot.KindGatewayClass:     "gatewayclasses.gateway.networking.k8s.io",
	snapshot.KindGateway:          "gateways.gateway.networking.k8s.io",
	snapshot.KindListenerSet:      "listenersets.gateway.networking.k8s.io",
	snapshot.KindHTTPRoute:        "httproutes.gateway.networking.k8s.io",
	snapshot.KindGRPCRoute:        "grpcroutes.gateway.networking.k8s.io",
	snapshot.KindTLSRoute:         "tlsroutes.gateway.networking.k8s.io",
	snapshot.KindTCPRoute:         "tcproutes.gateway.networking.k8s.io",
	snapshot.KindUDPRoute:         "udproutes.gateway.networking.k8s.io",
	snapshot.KindReferenceGrant:   "referencegrants.gateway.networking.k8s.io",
	snapshot.KindBackendTLSPolicy: "backendtlspolicies.gateway.networking.k8s.io",
}

func nsArgs(ref snapshot.ObjectRef) []string {
	if ref.Namespace == "" {
		return nil
	}
	return []string{"-n", ref.Namespace}
}

// GetCmd is `kubectl get <kind> <name> -n <ns>` followed by flags such as
// "-o", "wide".
func GetCmd(ref snapshot.ObjectRef, flags ...string) string {
	args := append([]string{"get", resource(ref.Kind), ref.Name}, nsArgs(ref)...)
	return Kubectl(append(args, flags...)...)
}

// DescribeCmd is `kubectl describe <kind> <name> -n <ns>`.
func DescribeCmd(ref snapshot.ObjectRef) string {
	return Kubectl(append([]string{"describe", resource(ref.Kind), ref.Name}, nsArgs(ref)...)...)
}

// EditCmd is `kubectl edit <kind> <name> -n <ns>`, for fixes that need a
// human choice.
func EditCmd(ref snapshot.ObjectRef) string {
	return Kubectl(append([]string{"edit", resource(ref.Kind), ref.Name}, nsArgs(ref)...)...)
}

// MergePatchCmd is a `kubectl patch --type=merge` whose patch is the JSON of
// patch (a map or struct), so the printed command is valid JSON by
// construction.
func MergePatchCmd(ref snapshot.ObjectRef, patch any) string {
	return patchCmd(ref, "merge", patch)
}

// JSONPatchOp is one RFC 6902 operation.
type JSONPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// JSONPatchCmd is a `kubectl patch --type=json` with the given operations.
func JSONPatchCmd(ref snapshot.ObjectRef, ops ...JSONPatchOp) string {
	return patchCmd(ref, "json", ops)
}

func patchCmd(ref snapshot.ObjectRef, typ string, patch any) string {
	body, err := json.Marshal(patch)
	if err != nil {
		// Patches are built from strings and numbers; failing here is a bug.
		panic("diagnose: cannot marshal patch: " + err.Error())
	}
	args := append([]string{"patch", resource(ref.Kind), ref.Name}, nsArgs(ref)...)
	return Kubectl(append(args, "--type="+typ, "-p", string(body))...)
}

// ApplyCmd is `kubectl apply -f -` reading manifest from a here-document,
// for fixes that create an object (a ReferenceGrant). manifest must be YAML
// made by a marshaller: no line of it can be the terminator alone.
func ApplyCmd(manifest string) string {
	if !strings.HasSuffix(manifest, "\n") {
		manifest += "\n"
	}
	return Kubectl("apply", "-f", "-") + " <<'EOF'\n" + manifest + "EOF"
}

// JSONPointerEscape escapes one reference token of a JSON pointer (label keys
// such as app.kubernetes.io/name contain '/').
func JSONPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
