package checks

// ingress-nginx annotations that break routing: a rewrite-target using
// capture groups its paths do not define, and a backend-protocol the backend
// does not speak.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ingressRewriteTargetCapture catches the rewrite-target that refers to
// capture groups its paths do not define (ingress-nginx 0.22 changed the
// annotation's meaning): every request is rewritten to a fixed path.
var ingressRewriteTargetCapture = &diagnose.Check{
	ID:       "ingress-rewrite-target-capture",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "nginx.ingress.kubernetes.io/rewrite-target uses $N but the Ingress paths define fewer capture groups: requests are rewritten to a fixed path.",
	Run:      runIngressRewriteTargetCapture,
}

// ingressBackendProtocolMismatch catches ingress-nginx speaking plain HTTP
// to a backend that only serves TLS (or the reverse): 502 or 400.
var ingressBackendProtocolMismatch = &diagnose.Check{
	ID:       "ingress-backend-protocol-mismatch",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "ingress-nginx's backend-protocol disagrees with what the backend serves (its probes or appProtocol say HTTPS, the annotation says HTTP, or the reverse): 502/400.",
	Run:      runIngressBackendProtocolMismatch,
}

const (
	nginxAnnotationPrefix = "nginx.ingress.kubernetes.io/"
	nginxRewriteTarget    = nginxAnnotationPrefix + "rewrite-target"
	nginxBackendProtocol  = nginxAnnotationPrefix + "backend-protocol"
	nginxSSLPassthrough   = nginxAnnotationPrefix + "ssl-passthrough"
	nginxCanary           = nginxAnnotationPrefix + "canary"
)

// servedByNginx reports whether ingress-nginx serves the Ingress: its
// class's controller is ingress-nginx's, or (when classes are not in the
// input) it carries ingress-nginx annotations.
func servedByNginx(s *snapshot.Snapshot, ing *networkingv1.Ingress) bool {
	if _, ctrl, ok := classController(s, ing); ok {
		return strings.Contains(ctrl, "ingress-nginx")
	}
	for k := range ing.Annotations {
		if strings.HasPrefix(k, nginxAnnotationPrefix) {
			return true
		}
	}
	return false
}

var rewriteGroupRef = regexp.MustCompile(`\$([0-9])`)

// captureGroups counts the capturing groups of a path regex: every
// unescaped "(" not opening a (?...) group.
func captureGroups(path string) int {
	n := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '(':
			if i+1 >= len(path) || path[i+1] != '?' {
				n++
			}
		}
	}
	return n
}

func runIngressRewriteTargetCapture(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		target := ing.Annotations[nginxRewriteTarget]
		if target == "" || !servedByNginx(s, ing) {
			continue
		}
		need := 0
		for _, m := range rewriteGroupRef.FindAllStringSubmatch(target, -1) {
			n, _ := strconv.Atoi(m[1])
			need = max(need, n)
		}
		if need == 0 {
			continue
		}
		var short []string
		plain := true
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				groups := captureGroups(p.Path)
				if strings.ContainsAny(p.Path, "()[]*+?.^$|\\{}") {
					plain = false
				}
				if groups < need {
					short = append(short, fmt.Sprintf("path %q defines %d capture group(s)", p.Path, groups))
				}
			}
		}
		if len(short) == 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		fix := diagnose.EditCmd(ref)
		cause := fmt.Sprintf("rewrite-target %q refers to capture group $%d, but %s; since ingress-nginx 0.22 everything passed on must be captured by a group in the path, so an undefined group is empty and every matching request is rewritten to the same path", target, need, strings.Join(short, ", "))
		if plain {
			fix = diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "remove", Path: "/metadata/annotations/" + diagnose.JSONPointerEscape(nginxRewriteTarget)})
			cause += "; the paths are plain prefixes, so removing the annotation forwards them unchanged (or capture the rest with path /prefix(/|$)(.*) and rewrite-target /$2)"
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "every page behind the Ingress returns the same content (its root), assets and sub-pages break: requests reach the backend rewritten to " + rewriteGroupRef.ReplaceAllString(target, ""),
			Cause:    cause,
			Evidence: append([]string{nginxRewriteTarget + ": " + target}, short...),
			Fix:      fix,
			Verify:   diagnose.GetCmd(ref, "-o", "yaml"),
			Origin:   originOf(s, ref),
		})
	}
}

func runIngressBackendProtocolMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		if !servedByNginx(s, ing) || ing.Annotations[nginxSSLPassthrough] == "true" {
			continue
		}
		proto := strings.ToUpper(ing.Annotations[nginxBackendProtocol])
		if proto == "" {
			proto = "HTTP"
		}
		wantTLS := proto == "HTTPS" || proto == "GRPCS"
		if proto != "HTTP" && proto != "HTTPS" && proto != "GRPC" && proto != "GRPCS" && proto != "AUTO_HTTP" {
			continue
		}
		for _, b := range ingressBackends(ing) {
			if b.Backend.Service == nil {
				continue
			}
			svc := s.Service(ing.Namespace, b.Backend.Service.Name)
			if svc == nil || len(svc.Spec.Selector) == 0 {
				continue
			}
			sp, ok := backendServicePort(svc, b.Backend.Service.Port)
			if !ok {
				continue
			}
			tls, why := backendTLSEvidence(s, svc, sp)
			if tls == 0 || tls > 0 == wantTLS {
				continue
			}
			ref := snapshot.Ref(snapshot.KindIngress, ing)
			want, symptom, cause := "HTTPS", "HTTP 502 Bad Gateway (or 400 \"The plain HTTP request was sent to HTTPS port\") from ingress-nginx",
				fmt.Sprintf("ingress-nginx speaks %s to Service %s port %d, but the backend only serves TLS there", proto, svc.Name, sp.Port)
			if wantTLS {
				want, symptom = "HTTP", "HTTP 502 Bad Gateway from ingress-nginx; its log shows \"SSL_do_handshake() failed ... wrong version number\""
				cause = fmt.Sprintf("the Ingress sets backend-protocol %s, so ingress-nginx opens TLS to Service %s port %d, but the backend serves plain HTTP there", proto, svc.Name, sp.Port)
			}
			r.Report(diagnose.Finding{
				Object:  ref,
				Symptom: symptom,
				Cause:   cause,
				Evidence: []string{
					fmt.Sprintf("%s: %s (%s)", nginxBackendProtocol, proto, map[bool]string{true: "set", false: "not set, so HTTP"}[ing.Annotations[nginxBackendProtocol] != ""]),
					fmt.Sprintf("%s → Service %s port %s", b.Where, svc.Name, servicePortText(sp)),
					why,
				},
				Fix:    diagnose.MergePatchCmd(ref, map[string]any{"metadata": map[string]any{"annotations": map[string]string{nginxBackendProtocol: want}}}),
				Verify: diagnose.GetCmd(ref, "-o", "yaml"),
				Origin: originOf(s, ref),
			})
			break
		}
	}
}

// backendTLSEvidence says whether a backend serves TLS, judged from the Service
// port's appProtocol and the serving container's probes on the target port:
// +1 TLS, -1 plain HTTP, 0 unknown. The reason is quoted as evidence.
func backendTLSEvidence(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) (int, string) {
	if ap := sp.AppProtocol; ap != nil {
		switch strings.ToLower(*ap) {
		case "https", "kubernetes.io/wss":
			return 1, fmt.Sprintf("Service %s port %d has appProtocol %s", svc.Name, sp.Port, *ap)
		case "http", "kubernetes.io/h2c", "kubernetes.io/ws":
			return -1, fmt.Sprintf("Service %s port %d has appProtocol %s", svc.Name, sp.Port, *ap)
		}
	}
	for _, p := range s.PodsMatching(svc.Namespace, svc.Spec.Selector) {
		num, name, ok := resolveTarget(p, sp)
		if !ok {
			continue
		}
		c := servingContainer(p, sp)
		if c == nil {
			continue
		}
		for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if probe == nil || probe.HTTPGet == nil {
				continue
			}
			pp := probe.HTTPGet.Port
			if pp.Type == intstr.Int && pp.IntVal != num || pp.Type == intstr.String && (name == "" || pp.StrVal != name) {
				continue
			}
			scheme := probe.HTTPGet.Scheme
			if scheme == "" {
				scheme = corev1.URISchemeHTTP
			}
			line := fmt.Sprintf("container %s of %s probes %s on the target port %d with scheme %s", c.Name, s.SubjectOf(p), probe.HTTPGet.Path, num, scheme)
			if scheme == corev1.URISchemeHTTPS {
				return 1, line
			}
			return -1, line
		}
		break
	}
	return 0, ""
}
