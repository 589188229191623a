// Every fix and verify line is a kubectl command a user pastes as it is; the
// builders here are the one place such commands are made and quoted.

package diagnose

import (
	"encoding/json"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Kubectl joins a kubectl command line that names no object (`kubectl get
// pods -n NS -l SELECTOR`), single-quoting any argument a POSIX shell would
// split or expand, so that fix and verify lines can be pasted as they are.
// A command that names an object is built with KubectlOn, which keeps the
// name out of kubectl's option parser. A namespace given with -n that is not
// a valid namespace name is refused as KubectlOn refuses an invalid name.
func Kubectl(args ...string) string {
	for i, a := range args {
		if (a == "-n" || a == "--namespace") && i+1 < len(args) && len(validation.IsDNS1123Label(args[i+1])) > 0 {
			return refusal(args[i+1], "namespace name")
		}
	}
	var b strings.Builder
	b.WriteString("kubectl")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

// KubectlOn is a kubectl command on one named object: the command words and
// options in args, then the object (NAME, or TYPE/NAME as rollout, set and
// exec take it), then the arguments kubectl reads after it (KEY=VALUE for
// annotate, CONTAINER=IMAGE for set image, the command for exec and run).
//
// Names come from manifests and clusters: an object named like a flag
// (`--server=https://elsewhere`, `--all`) must never become one, since
// pasting the command would send the current context's credentials
// elsewhere or widen what it deletes. So options come first and the object
// after `--`, which ends kubectl's option parsing:
//
//	kubectl patch deployment -n shop --type=merge -p '{...}' -- api
//
// exec and run read the object before `--` and the command after it, and
// the create commands count no name after `--`; for those the object stays
// before `--` (or has none), guarded by the check below alone.
//
// An object that is not a valid Kubernetes name is never printed: the API
// server would have refused such an object, and the printed line says so
// instead of being a command.
func KubectlOn(args []string, object string, after ...string) string {
	if why := invalidObject(object); why != "" {
		return why
	}
	line := append([]string{}, args...)
	switch {
	case len(args) > 0 && (args[0] == "exec" || args[0] == "run"):
		line = append(line, object)
		if len(after) > 0 {
			line = append(append(line, "--"), after...)
		}
	case len(args) > 0 && args[0] == "create":
		line = append(append(line, object), after...)
	default:
		line = append(append(line, "--", object), after...)
	}
	return Kubectl(line...)
}

// invalidObject says why a command on object (NAME or TYPE/NAME) cannot be
// printed, or is "" when it can. kubectl itself refuses TYPE/NAME after a
// separate type word (`kubectl delete pod -- secrets/db`). Every kind hopscope names in a command
// (workloads, pods, Services, Ingresses, nodes, Secrets, certificates) takes
// DNS subdomain names: lower-case letters, digits, '-' and '.', starting and
// ending with a letter or digit, so a valid name never starts with '-' and
// never holds a '/' or ',' that kubectl would read as another object.
func invalidObject(object string) string {
	name := object
	if typ, n, ok := strings.Cut(object, "/"); ok {
		if !isResourceWord(typ) {
			return refusal(typ, "resource type")
		}
		name = n
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return refusal(name, "object name")
	}
	return ""
}

// refusal is the line printed instead of a command on a name the API
// server would not accept: pasted into a shell, it is a comment, and the
// name is Go-quoted so that a line feed in it cannot start a command line.
func refusal(s, what string) string {
	return "# no command printed: " + strconv.Quote(s) + " is not a valid Kubernetes " + what + ", and kubectl could read it as an option or as another object"
}

// isResourceWord reports whether s is a lower-case resource word such as
// deployment or certificates.cert-manager.io.
func isResourceWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return s[0] != '-' && s[0] != '.'
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

// onRef is KubectlOn for the object ref with the options in flags. The
// kind is given as its own word, so the name must be a bare name: a '/' in
// it would name an object of another type. A kind that is not a resource
// word is refused like an invalid name.
func onRef(verb string, ref snapshot.ObjectRef, flags ...string) string {
	if !isResourceWord(resource(ref.Kind)) {
		return refusal(ref.Kind, "resource type")
	}
	if strings.Contains(ref.Name, "/") {
		return refusal(ref.Name, "object name")
	}
	args := []string{verb, resource(ref.Kind)}
	if ref.Namespace != "" {
		args = append(args, "-n", ref.Namespace)
	}
	return KubectlOn(append(args, flags...), ref.Name)
}

// GetCmd is `kubectl get <kind> -n <ns> <flags> -- <name>`, with flags such
// as "-o", "wide".
func GetCmd(ref snapshot.ObjectRef, flags ...string) string {
	return onRef("get", ref, flags...)
}

// DescribeCmd is `kubectl describe <kind> -n <ns> -- <name>`.
func DescribeCmd(ref snapshot.ObjectRef) string {
	return onRef("describe", ref)
}

// EditCmd is `kubectl edit <kind> -n <ns> -- <name>`, for fixes that need a
// human choice.
func EditCmd(ref snapshot.ObjectRef) string {
	return onRef("edit", ref)
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
	return onRef("patch", ref, "--type="+typ, "-p", string(body))
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
