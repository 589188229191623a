package advise

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Annotation prefixes that configure one ingress controller. A Gateway API
// implementation reads none of them: what they do must be said again in
// route fields and filters, or in the implementation's own policy objects.
const (
	nginxPrefix         = "nginx.ingress.kubernetes.io/"
	albPrefix           = "alb.ingress.kubernetes.io/"
	traefikIngressGroup = "traefik.ingress.kubernetes.io/"
	traefikPrefix       = "traefik."
)

// noEquivalent starts the translation of an annotation Gateway API has no
// standard field for; the review counts them apart.
const noEquivalent = "no Gateway API equivalent"

// gatewayEquivalent says what an annotation becomes on a Gateway API
// implementation, and whether the standard API has a field for it. ok is
// false for annotations that are not controller-specific.
func gatewayEquivalent(key, value string) (to string, has, ok bool) {
	switch {
	case strings.HasPrefix(key, nginxPrefix):
		to, has = nginxEquivalent(strings.TrimPrefix(key, nginxPrefix), value)
		return to, has, true
	case strings.HasPrefix(key, albPrefix):
		to, has = albEquivalent(strings.TrimPrefix(key, albPrefix), value)
		return to, has, true
	case strings.HasPrefix(key, traefikIngressGroup):
		to, has = traefikEquivalent(strings.TrimPrefix(key, traefikIngressGroup))
		return to, has, true
	case strings.HasPrefix(key, traefikPrefix):
		to, has = traefikEquivalent(key)
		return to, has, true
	}
	return "", false, false
}

func nginxEquivalent(name, value string) (string, bool) {
	switch {
	case name == "rewrite-target":
		if strings.Contains(value, "$") {
			return "HTTPRoute URLRewrite filter (ReplacePrefixMatch or ReplaceFullPath); the regex capture groups this value uses have no equivalent, so split the path into prefix matches", true
		}
		return "HTTPRoute URLRewrite filter (path ReplacePrefixMatch or ReplaceFullPath)", true
	case name == "use-regex":
		return "HTTPRoute path match of type RegularExpression (support and syntax depend on the implementation)", true
	case strings.HasSuffix(name, "-snippet") || name == "configuration-snippet" || name == "server-snippet":
		return noEquivalent + ": raw NGINX configuration; express each directive as a route filter or the implementation's own policy, or drop it", false
	case name == "ssl-redirect" || name == "force-ssl-redirect":
		return "HTTPRoute RequestRedirect filter (scheme: https, statusCode: 301) on a route attached to the HTTP listener", true
	case name == "permanent-redirect" || name == "temporal-redirect":
		return "HTTPRoute RequestRedirect filter (hostname, path and statusCode 301 or 302)", true
	case name == "app-root":
		return "HTTPRoute RequestRedirect filter on an Exact match of /", true
	case name == "backend-protocol":
		switch strings.ToUpper(strings.TrimSpace(value)) {
		case "HTTPS":
			return "BackendTLSPolicy for the Service (CA and hostname the gateway verifies)", true
		case "GRPC":
			return "GRPCRoute instead of an HTTPRoute (or appProtocol kubernetes.io/h2c on the Service port)", true
		case "GRPCS":
			return "GRPCRoute with a BackendTLSPolicy for the Service", true
		case "HTTP", "":
			return "nothing to carry: plain HTTP to the backend is the default", true
		}
		return noEquivalent + " for backend protocol " + value, false
	case name == "upstream-vhost":
		return "HTTPRoute URLRewrite filter (hostname)", true
	case name == "canary-weight" || name == "canary-weight-total":
		return "backendRefs weights in one HTTPRoute rule (for example 90 and 10)", true
	case name == "canary-by-header" || name == "canary-by-header-value" || name == "canary-by-header-pattern":
		return "an HTTPRoute rule with a header match that sends to the canary backend", true
	case name == "canary-by-cookie":
		return noEquivalent + " for cookie matching as such: a RegularExpression header match on Cookie where the implementation supports it", false
	case name == "canary":
		return "the canary Ingress becomes weights or header matches in the main HTTPRoute", true
	case strings.HasPrefix(name, "auth-"):
		return noEquivalent + " in the standard channel: the implementation's own authentication policy (an external-auth filter is experimental)", false
	case name == "affinity" || name == "affinity-mode" || strings.HasPrefix(name, "session-cookie-"):
		return noEquivalent + " in the standard channel: sessionPersistence is experimental, or the implementation's own policy", false
	case name == "proxy-read-timeout" || name == "proxy-send-timeout" || name == "proxy-connect-timeout":
		return "HTTPRoute rule timeouts (request, backendRequest); connect timeouts stay implementation policy", true
	case name == "enable-cors" || strings.HasPrefix(name, "cors-"):
		return "HTTPRoute CORS filter (experimental channel), or the implementation's own policy", false
	case name == "mirror-target" || name == "mirror-uri":
		return "HTTPRoute RequestMirror filter", true
	case name == "custom-headers" || name == "x-forwarded-prefix":
		return "HTTPRoute RequestHeaderModifier filter", true
	case name == "whitelist-source-range" || name == "allowlist-source-range" || name == "denylist-source-range":
		return noEquivalent + ": source address filtering is implementation policy (or a NetworkPolicy on the gateway)", false
	case strings.HasPrefix(name, "limit-"):
		return noEquivalent + ": rate limits are implementation policy", false
	}
	return noEquivalent + " known to hopscope: look it up in the implementation's documentation", false
}

func albEquivalent(name, value string) (string, bool) {
	switch {
	case name == "ssl-redirect":
		return "HTTPRoute RequestRedirect filter (scheme: https) on a route attached to the HTTP listener", true
	case name == "backend-protocol" && strings.EqualFold(strings.TrimSpace(value), "HTTPS"):
		return "BackendTLSPolicy for the Service", true
	case strings.HasPrefix(name, "actions."):
		return "HTTPRoute filters and weighted backendRefs, rule by rule", true
	case strings.HasPrefix(name, "conditions."):
		return "HTTPRoute header, query parameter and method matches", true
	case name == "certificate-arn" || name == "listen-ports":
		return "Gateway listeners (ports, protocols, TLS); AWS-specific settings move to the implementation's own configuration objects", false
	}
	return noEquivalent + ": AWS Load Balancer Controller setting; carry it in the implementation's own configuration objects", false
}

func traefikEquivalent(name string) (string, bool) {
	switch {
	case strings.HasSuffix(name, "router.middlewares"):
		return "HTTPRoute filters, or an ExtensionRef filter naming the Traefik Middleware", true
	case strings.HasSuffix(name, "router.tls"):
		return "an HTTPS listener on the Gateway with its certificateRefs", true
	case strings.HasSuffix(name, "router.entrypoints"):
		return "a Gateway listener (port and protocol) and the route's parentRefs sectionName", true
	}
	return noEquivalent + ": Traefik setting; carry it in the implementation's own configuration", false
}

// reviewIngressAnnotations names the Ingresses whose controller-specific
// annotations a Gateway API implementation would ignore, one piece of
// advice per Ingress with every such annotation and what it becomes.
func reviewIngressAnnotations(s *snapshot.Snapshot, inNS func(string) bool) []Advice {
	var out []Advice
	for _, ing := range s.Ingresses {
		if !inNS(ing.Namespace) {
			continue
		}
		if a, ok := annotationAdvice(ing); ok {
			out = append(out, a)
		}
	}
	return out
}

func annotationAdvice(ing *networkingv1.Ingress) (Advice, bool) {
	keys := make([]string, 0, len(ing.Annotations))
	for k := range ing.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var evidence []string
	without := 0
	for _, k := range keys {
		to, has, ok := gatewayEquivalent(k, ing.Annotations[k])
		if !ok {
			continue
		}
		if !has {
			without++
		}
		evidence = append(evidence, k+": "+annotationValue(ing.Annotations[k])+" → "+to)
	}
	if len(evidence) == 0 {
		return Advice{}, false
	}
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	reason := fmt.Sprintf("%d controller-specific annotation(s) configure this Ingress and a Gateway API implementation ignores them all: "+
		"before moving it to a Gateway and HTTPRoute, carry each one over as the field or filter named below", len(evidence))
	if without > 0 {
		reason += fmt.Sprintf("; %d have no standard equivalent and need the implementation's own policy or a change of design", without)
	}
	return Advice{
		Object: ref, Current: Ingress, Suggest: GatewayAPI, Rule: "annotations-without-gateway-api-field",
		Reason: reason, Evidence: evidence, Look: diagnose.GetCmd(ref, "-o", "yaml"),
	}, true
}

// annotationValue is an annotation's value short enough for one evidence
// line: snippets run over many lines, and only their start identifies them.
func annotationValue(v string) string {
	const limit = 60
	first, rest, multi := strings.Cut(strings.TrimSpace(v), "\n")
	r := []rune(first)
	if len(r) > limit {
		return string(r[:limit]) + "…"
	}
	if multi && strings.TrimSpace(rest) != "" {
		return first + " …"
	}
	return first
}
