package checks

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// incidentChecks are checks added for incident families the layer files do
// not cover: each one was needed to name the root cause of a real incident
// in testdata/incidents.
var incidentChecks = []*diagnose.Check{
	serviceSelectorSpansApps,
	serviceExternalNameIP,
	serviceEndpointsPortNameMismatch,
	ingressRewriteTargetCapture,
	ingressBackendProtocolMismatch,
	ingressControllerUnavailable,
	dnsPolicyBypassesClusterDNS,
	dnsCorefileClusterZone,
	statefulSetGoverningService,
	initContainerBlocked,
	netpolPortNotTargetPort,
	exposureNodePortInvalid,
}

// serviceSelectorSpansApps catches the selector that matches too much: a
// copied Deployment that kept another app's labels, or two releases of one
// chart whose Services select only the chart's name. Every pod is healthy;
// a share of the requests is answered by the wrong app.
var serviceSelectorSpansApps = &diagnose.Check{
	ID:       "service-selector-spans-apps",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service's selector picks pods of several workloads that run different images or belong to different releases: some requests reach the wrong app.",
	Run:      runServiceSelectorSpansApps,
}

// serviceExternalNameIP catches an ExternalName holding an IP address, which
// the API server accepts as a name made of digits.
var serviceExternalNameIP = &diagnose.Check{
	ID:       "service-externalname-ip",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "An ExternalName Service holds an IP address: it is published as a CNAME to a name made of digits, so lookups fail.",
	Run:      runServiceExternalNameIP,
}

// serviceEndpointsPortNameMismatch catches hand-written Endpoints of a
// selector-less Service whose port names do not match the Service's: kube-proxy
// pairs them by name and programs no backend.
var serviceEndpointsPortNameMismatch = &diagnose.Check{
	ID:       "service-endpoints-port-name-mismatch",
	Layer:    diagnose.LayerEndpoints,
	Severity: diagnose.SeverityError,
	Doc:      "A selector-less Service's hand-written Endpoints/EndpointSlice ports are not named like the Service's ports, so kube-proxy routes nothing.",
	Run:      runServiceEndpointsPortNameMismatch,
}

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

// ingressControllerUnavailable catches Ingresses whose class is served by no
// ready controller: the controller crash-loops, or no controller runs with
// that class's controller name.
var ingressControllerUnavailable = &diagnose.Check{
	ID:       "ingress-controller-unavailable",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "No ready ingress controller serves the Ingress's class: its controller pods are not ready, or no controller runs with the class's controller name.",
	Run:      runIngressControllerUnavailable,
}

// dnsPolicyBypassesClusterDNS catches pods whose resolver is not the cluster
// DNS (dnsPolicy Default, None, or hostNetwork without
// ClusterFirstWithHostNet) while their configuration names cluster Services.
var dnsPolicyBypassesClusterDNS = &diagnose.Check{
	ID:       "dns-policy-bypasses-cluster-dns",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "A workload's pods do not use the cluster DNS (dnsPolicy Default/None, hostNetwork without ClusterFirstWithHostNet) yet name cluster Services.",
	Run:      runDNSPolicyBypassesClusterDNS,
}

// dnsCorefileClusterZone catches a Corefile whose kubernetes plugin does not
// serve the cluster domain: CoreDNS is healthy and every Service name fails.
var dnsCorefileClusterZone = &diagnose.Check{
	ID:       "dns-corefile-cluster-zone",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "The coredns ConfigMap's Corefile has no kubernetes plugin for the cluster domain that pods use (cluster.local): Service names do not resolve.",
	Run:      runDNSCorefileClusterZone,
}

// statefulSetGoverningService catches StatefulSets whose per-pod DNS names
// cannot exist: spec.serviceName names no Service, or one that is not
// headless.
var statefulSetGoverningService = &diagnose.Check{
	ID:       "statefulset-governing-service",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "A StatefulSet's serviceName names a Service that does not exist or is not headless: its pods get no <pod>.<service> DNS names.",
	Run:      runStatefulSetGoverningService,
}

// initContainerBlocked catches pods stuck in Init because an init container
// waits for a Service that does not exist or has no ready endpoint.
var initContainerBlocked = &diagnose.Check{
	ID:       "init-container-blocked",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "An init container waits for a Service (nslookup, nc, curl loops) that does not exist or has no ready endpoint: the pod never leaves Init.",
	Run:      runInitContainerBlocked,
}

// netpolPortNotTargetPort catches ingress rules written with the Service's
// port: policies see the pod port after the Service translated it.
var netpolPortNotTargetPort = &diagnose.Check{
	ID:       "netpol-port-not-target-port",
	Layer:    diagnose.LayerNetworkPolicy,
	Severity: diagnose.SeverityError,
	Doc:      "A NetworkPolicy admits a Service's port number instead of its targetPort: policies match pod ports, so the Service's traffic is dropped.",
	Run:      runNetpolPortNotTargetPort,
}

// exposureNodePortInvalid catches manifests the API server would reject: a
// nodePort outside the default range or one already taken by another
// Service of the input.
var exposureNodePortInvalid = &diagnose.Check{
	ID:       "exposure-nodeport-invalid",
	Layer:    diagnose.LayerExposure,
	Severity: diagnose.SeverityError,
	Doc:      "A manifest's nodePort is outside 30000-32767 or used by another Service of the input: the API server rejects the Service.",
	Run:      runExposureNodePortInvalid,
}

// incRef is the Service's ObjectRef.
func incSvcRef(svc *corev1.Service) snapshot.ObjectRef {
	return snapshot.Ref(snapshot.KindService, svc)
}

type incAppGroup struct {
	owner    snapshot.ObjectRef
	pods     []*corev1.Pod
	repo     string
	image    string
	instance string
	labels   map[string]string
}

func runServiceSelectorSpansApps(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Ports) == 0 {
			continue
		}
		var pods []*corev1.Pod
		for _, p := range s.PodsMatching(svc.Namespace, svc.Spec.Selector) {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				pods = append(pods, p)
			}
		}
		groups := groupByOwner(s, pods)
		if len(groups) < 2 {
			continue
		}
		var apps []incAppGroup
		repos, instances := map[string]bool{}, map[string]bool{}
		for _, g := range groups {
			p := g.Pods[0]
			c := servingContainer(p, svc.Spec.Ports[0])
			if c == nil {
				continue
			}
			a := incAppGroup{owner: g.Owner, pods: g.Pods, repo: appImageKey(c.Image), image: c.Image, instance: p.Labels["app.kubernetes.io/instance"], labels: p.Labels}
			repos[a.repo] = true
			if a.instance != "" {
				instances[a.instance] = true
			}
			apps = append(apps, a)
		}
		if len(repos) < 2 && len(instances) < 2 {
			continue
		}
		r.Report(incSpansAppsFinding(s, svc, apps, len(repos) > 1))
	}
}

func incSpansAppsFinding(s *snapshot.Snapshot, svc *corev1.Service, apps []incAppGroup, byImage bool) diagnose.Finding {
	ref := incSvcRef(svc)
	what := "different releases (app.kubernetes.io/instance)"
	if byImage {
		what = "different images"
	}
	ev := []string{"selector " + selectorText(svc.Spec.Selector) + " picks pods of " + strconv.Itoa(len(apps)) + " workloads"}
	for _, a := range apps {
		line := fmt.Sprintf("%s: %d pod(s), image %s", a.owner, len(a.pods), a.image)
		if a.instance != "" {
			line += ", app.kubernetes.io/instance=" + a.instance
		}
		ev = append(ev, line+", labels "+labelsText(appLabels(a.labels)))
	}
	fix := diagnose.EditCmd(ref)
	if intended, ok := incIntendedGroup(svc, apps); ok {
		if k, v, ok := incDistinguishingLabel(apps, intended); ok {
			ev = append(ev, fmt.Sprintf("%s is the workload named like the Service; only its pods carry %s=%s", apps[intended].owner, k, v))
			fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": map[string]string{k: v}}})
		}
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("requests to Service %s are spread over pods of %d workloads running %s: a share of them is answered by the wrong app (wrong responses, 404s, intermittent errors)", svc.Name, len(apps), what),
		Cause:    fmt.Sprintf("the selector of Service %s matches too much: it selects pods of %s, which run %s, so its endpoints mix apps", svc.Name, incOwnersText(apps), what),
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.Kubectl("get", "pods", "-n", svc.Namespace, "-l", selectorText(svc.Spec.Selector), "-o", "wide"),
		Origin:   originOf(s, ref),
	}
}

func incOwnersText(apps []incAppGroup) string {
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.owner.String())
	}
	return joinLimit(names, 4)
}

// incIntendedGroup is the group whose workload is named like the Service
// (the Service's own app), if exactly one is.
func incIntendedGroup(svc *corev1.Service, apps []incAppGroup) (int, bool) {
	found := -1
	for i, a := range apps {
		if a.owner.Name == svc.Name || nameStem(a.owner.Name) == nameStem(svc.Name) {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}

// incDistinguishingLabel finds a label of the intended group's pods that no
// other group's pods carry with that value, preferring the release label.
func incDistinguishingLabel(apps []incAppGroup, intended int) (string, string, bool) {
	cand := appLabels(apps[intended].labels)
	keys := sortedKeys(cand)
	sort.SliceStable(keys, func(i, j int) bool {
		return keys[i] == "app.kubernetes.io/instance" && keys[j] != "app.kubernetes.io/instance"
	})
	for _, k := range keys {
		unique := true
		for i, a := range apps {
			if i != intended && a.labels[k] == cand[k] {
				unique = false
				break
			}
		}
		if unique {
			return k, cand[k], true
		}
	}
	return "", "", false
}

func runServiceExternalNameIP(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type != corev1.ServiceTypeExternalName || net.ParseIP(svc.Spec.ExternalName) == nil {
			continue
		}
		ref := incSvcRef(svc)
		fqdn := fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, svc.Namespace)
		r.Report(diagnose.Finding{
			Object:  ref,
			Symptom: fmt.Sprintf("nslookup %s: NXDOMAIN (or no address); clients cannot connect to Service %s", svc.Name, svc.Name),
			Cause: fmt.Sprintf("Service %s is of type ExternalName with externalName %s, an IP address; ExternalName is published as a CNAME, and the cluster DNS treats %s as a host name made of digits, not as an address. "+
				"To give an IP a Service name, use a Service without selector (type ClusterIP) and an EndpointSlice labelled kubernetes.io/service-name=%s holding %s",
				svc.Name, svc.Spec.ExternalName, svc.Spec.ExternalName, svc.Name, svc.Spec.ExternalName),
			Evidence: []string{"spec.type: ExternalName", "spec.externalName: " + svc.Spec.ExternalName + " (parses as an IP address)", "DNS name: " + fqdn},
			Fix:      diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"type": "ClusterIP", "externalName": nil}}),
			Verify:   diagnose.Kubectl("get", "endpointslices", "-n", svc.Namespace, "-l", "kubernetes.io/service-name="+svc.Name),
			Origin:   originOf(s, ref),
		})
	}
}

func runServiceEndpointsPortNameMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) > 0 || svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Ports) == 0 {
			continue
		}
		epRef := snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: svc.Namespace, Name: svc.Name}
		have := map[string]bool{}
		var haveText []string
		var patchPath string
		if ep := s.EndpointsFor(svc.Namespace, svc.Name); ep != nil {
			for i, sub := range ep.Subsets {
				if len(sub.Addresses)+len(sub.NotReadyAddresses) == 0 {
					continue
				}
				for j, p := range sub.Ports {
					have[p.Name+"/"+string(snapshot.ProtocolOrTCP(p.Protocol))] = true
					haveText = append(haveText, fmt.Sprintf("Endpoints port name %q %d/%s", p.Name, p.Port, snapshot.ProtocolOrTCP(p.Protocol)))
					if patchPath == "" {
						patchPath = fmt.Sprintf("/subsets/%d/ports/%d/name", i, j)
					}
				}
			}
		}
		for _, sl := range s.EndpointSlicesFor(svc.Namespace, svc.Name) {
			if len(sl.Endpoints) == 0 {
				continue
			}
			for _, p := range sl.Ports {
				name := ""
				if p.Name != nil {
					name = *p.Name
				}
				proto := protocolOrDefault(p.Protocol)
				have[name+"/"+string(proto)] = true
				port := int32(0)
				if p.Port != nil {
					port = *p.Port
				}
				haveText = append(haveText, fmt.Sprintf("EndpointSlice %s port name %q %d/%s", sl.Name, name, port, proto))
			}
		}
		if len(have) == 0 {
			continue
		}
		var missing []string
		for _, sp := range svc.Spec.Ports {
			if !have[sp.Name+"/"+string(snapshot.ProtocolOrTCP(sp.Protocol))] {
				missing = append(missing, fmt.Sprintf("%q (%d/%s)", sp.Name, sp.Port, snapshot.ProtocolOrTCP(sp.Protocol)))
			}
		}
		if len(missing) == 0 {
			continue
		}
		ev := []string{"Service " + svc.Name + " ports: " + strings.Join(servicePortsText(svc), ", ")}
		ev = append(ev, dedupe(haveText)...)
		fix := diagnose.EditCmd(epRef)
		if len(svc.Spec.Ports) == 1 && len(have) == 1 && patchPath != "" {
			fix = diagnose.JSONPatchCmd(epRef, diagnose.JSONPatchOp{Op: "add", Path: patchPath, Value: svc.Spec.Ports[0].Name})
		}
		r.Report(diagnose.Finding{
			Object:  epRef,
			Symptom: fmt.Sprintf("kubectl describe service %s shows no endpoints for port %s and connections to its ClusterIP fail, although the Endpoints list addresses", svc.Name, strings.Join(missing, ", ")),
			Cause: fmt.Sprintf("Service %s has no selector, so its endpoints are written by hand; kube-proxy pairs endpoint ports with Service ports by name, and no endpoint port is named %s",
				svc.Name, strings.Join(missing, ", ")),
			Evidence: ev,
			Fix:      fix,
			Verify:   diagnose.DescribeCmd(incSvcRef(svc)),
			Origin:   originOf(s, epRef),
		})
	}
}

const (
	incNginxPrefix       = "nginx.ingress.kubernetes.io/"
	incRewriteTarget     = incNginxPrefix + "rewrite-target"
	incBackendProtocol   = incNginxPrefix + "backend-protocol"
	incSSLPassthrough    = incNginxPrefix + "ssl-passthrough"
	incNginxController   = "k8s.io/ingress-nginx"
	incControllerClassFl = "--controller-class="
)

// incIngressController returns the controller name of the class an Ingress
// belongs to, and whether it could be determined.
func incIngressController(s *snapshot.Snapshot, ing *networkingv1.Ingress) (class, controller string, ok bool) {
	class, _ = ingressClassOf(ing)
	if class == "" {
		defs := s.DefaultIngressClasses()
		if len(defs) != 1 {
			return "", "", false
		}
		class = defs[0].Name
	}
	ic := s.IngressClass(class)
	if ic == nil {
		return class, "", false
	}
	return class, ic.Spec.Controller, true
}

// incServedByNginx reports whether ingress-nginx serves the Ingress: its
// class's controller is ingress-nginx's, or (when classes are not in the
// input) it carries ingress-nginx annotations.
func incServedByNginx(s *snapshot.Snapshot, ing *networkingv1.Ingress) bool {
	if _, ctrl, ok := incIngressController(s, ing); ok {
		return strings.Contains(ctrl, "ingress-nginx")
	}
	for k := range ing.Annotations {
		if strings.HasPrefix(k, incNginxPrefix) {
			return true
		}
	}
	return false
}

var incCaptureRef = regexp.MustCompile(`\$([0-9])`)

// incCaptureGroups counts the capturing groups of a path regex: every
// unescaped "(" not opening a (?...) group.
func incCaptureGroups(path string) int {
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
		target := ing.Annotations[incRewriteTarget]
		if target == "" || !incServedByNginx(s, ing) {
			continue
		}
		need := 0
		for _, m := range incCaptureRef.FindAllStringSubmatch(target, -1) {
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
				groups := incCaptureGroups(p.Path)
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
			fix = diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "remove", Path: "/metadata/annotations/" + diagnose.JSONPointerEscape(incRewriteTarget)})
			cause += "; the paths are plain prefixes, so removing the annotation forwards them unchanged (or capture the rest with path /prefix(/|$)(.*) and rewrite-target /$2)"
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "every page behind the Ingress returns the same content (its root), assets and sub-pages break: requests reach the backend rewritten to " + incCaptureRef.ReplaceAllString(target, ""),
			Cause:    cause,
			Evidence: append([]string{incRewriteTarget + ": " + target}, short...),
			Fix:      fix,
			Verify:   diagnose.GetCmd(ref, "-o", "yaml"),
			Origin:   originOf(s, ref),
		})
	}
}

// incTLSEvidence says whether a backend serves TLS, judged from the Service
// port's appProtocol and the serving container's probes on the target port:
// +1 TLS, -1 plain HTTP, 0 unknown. The reason is quoted as evidence.
func incTLSEvidence(s *snapshot.Snapshot, svc *corev1.Service, sp corev1.ServicePort) (int, string) {
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

func runIngressBackendProtocolMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		if !incServedByNginx(s, ing) || ing.Annotations[incSSLPassthrough] == "true" {
			continue
		}
		proto := strings.ToUpper(ing.Annotations[incBackendProtocol])
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
			tls, why := incTLSEvidence(s, svc, sp)
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
					fmt.Sprintf("%s: %s (%s)", incBackendProtocol, proto, map[bool]string{true: "set", false: "not set, so HTTP"}[ing.Annotations[incBackendProtocol] != ""]),
					fmt.Sprintf("%s → Service %s port %s", b.Where, svc.Name, servicePortText(sp)),
					why,
				},
				Fix:    diagnose.MergePatchCmd(ref, map[string]any{"metadata": map[string]any{"annotations": map[string]string{incBackendProtocol: want}}}),
				Verify: diagnose.GetCmd(ref, "-o", "yaml"),
				Origin: originOf(s, ref),
			})
			break
		}
	}
}

// incControllers maps each ingress controller name to the pods that run a
// controller for it, read from their --controller-class flags (ingress-nginx
// defaults to k8s.io/ingress-nginx when the flag is absent).
func incControllers(s *snapshot.Snapshot) (map[string][]*corev1.Pod, bool) {
	out := map[string][]*corev1.Pod{}
	nginx := false
	for _, p := range s.Pods {
		if !hasStatus(p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			isNginx := strings.Contains(c.Image, "ingress-nginx/controller") || strings.Contains(c.Image, "nginx-ingress-controller")
			class := ""
			for _, a := range slices.Concat(c.Command, c.Args) {
				if v, ok := strings.CutPrefix(a, incControllerClassFl); ok {
					class = v
				}
			}
			if class == "" && isNginx {
				class = incNginxController
			}
			if class != "" {
				out[class] = append(out[class], p)
				nginx = nginx || isNginx
				break
			}
		}
	}
	return out, nginx
}

func runIngressControllerUnavailable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if !s.Live && !s.ClusterDump() {
		return
	}
	controllers, nginx := incControllers(s)
	for _, ing := range s.Ingresses {
		class, ctrl, ok := incIngressController(s, ing)
		if !ok {
			continue
		}
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		pods := controllers[ctrl]
		if len(pods) == 0 {
			if !nginx || !strings.HasPrefix(ctrl, "k8s.io/") {
				continue
			}
			r.Report(incNoControllerFinding(s, ing, class, ctrl, controllers))
			continue
		}
		ready := 0
		for _, p := range pods {
			if c := podCondition(p, corev1.PodReady); c != nil && c.Status == corev1.ConditionTrue && p.Status.Phase == corev1.PodRunning {
				ready++
			}
		}
		if ready > 0 {
			continue
		}
		ev := []string{fmt.Sprintf("IngressClass %s is served by controller %s: %d pod(s), none ready", class, ctrl, len(pods))}
		for _, p := range pods {
			for _, c := range containersOf(p) {
				if c.Status == nil || c.Status.Ready {
					continue
				}
				ev = append(ev, s.SubjectOf(p).String()+" "+stateLine(c))
				if t := c.Status.LastTerminationState.Terminated; t != nil {
					ev = append(ev, "last termination: "+terminatedLine(t))
				}
			}
			ev = append(ev, eventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"BackOff", "Unhealthy", "Failed"})...)
		}
		// Controller pods on a NotReady node are down because of the node:
		// then the node is the cause, and editing the controller would not
		// help. A crash loop of the controller itself stays this finding's
		// own cause (its evidence quotes the crash).
		var explainedBy []snapshot.ObjectRef
		seenNode := map[string]bool{}
		for _, p := range pods {
			if n := p.Spec.NodeName; n != "" && !seenNode[n] {
				seenNode[n] = true
				explainedBy = append(explainedBy, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: n})
			}
		}
		target, _ := fixTarget(s, pods[0])
		r.Report(diagnose.Finding{
			Object:      ref,
			ExplainedBy: explainedBy,
			Symptom:     "every host of the Ingress is unreachable (connection refused or timeout on the controller's address); the Ingress has no ADDRESS",
			Cause:       fmt.Sprintf("the ingress controller for class %s (%s) is not running: none of its pods is ready, so nothing routes this Ingress", class, ctrl),
			Evidence:    ev,
			Fix:         diagnose.EditCmd(target),
			Verify:      verifyPod(s, pods[0]),
			Origin:      originOf(s, ref),
		})
	}
}

func incNoControllerFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, class, ctrl string, controllers map[string][]*corev1.Pod) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	var running []string
	for name := range controllers {
		running = append(running, name)
	}
	sort.Strings(running)
	ev := []string{fmt.Sprintf("the Ingress uses IngressClass %s, whose spec.controller is %s", class, ctrl),
		"ingress controllers running in the cluster (--controller-class): " + strings.Join(running, ", ")}
	fix := diagnose.EditCmd(ref)
	var served []string
	for _, ic := range s.IngressClasses {
		if len(controllers[ic.Spec.Controller]) > 0 {
			served = append(served, ic.Name)
		}
	}
	if len(served) == 1 {
		ev = append(ev, "IngressClass "+served[0]+" is served by a running controller")
		fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"ingressClassName": served[0]}})
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  "the Ingress never gets an ADDRESS and its hosts answer 404 (or nothing): no controller picks it up",
		Cause:    fmt.Sprintf("no ingress controller runs for controller name %s (IngressClass %s); the controllers in the cluster ignore the Ingress (\"Ignoring ingress because of error while validating ingress class\")", ctrl, class),
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref),
		Origin:   originOf(s, ref),
	}
}

// incNamespaces is the set of namespaces the input knows.
func incNamespaces(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, ns := range s.NamespaceNames() {
		out[ns] = true
	}
	return out
}

// incConfigValue is one configuration value a pod reads: an env value, or a
// ConfigMap entry it loads.
type incConfigValue struct {
	Var, Value, From string
}

// incPodConfig lists the values a pod's containers read: literal env
// values and the entries of ConfigMaps they load (envFrom, configMapKeyRef).
func incPodConfig(s *snapshot.Snapshot, p *corev1.Pod) []incConfigValue {
	var out []incConfigValue
	for _, c := range containersOf(p) {
		for _, e := range c.Spec.Env {
			switch {
			case e.ValueFrom == nil && e.Value != "":
				out = append(out, incConfigValue{e.Name, e.Value, c.Label() + " env " + e.Name})
			case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
				if cm := s.ConfigMap(p.Namespace, e.ValueFrom.ConfigMapKeyRef.Name); cm != nil {
					if v, ok := cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]; ok {
						out = append(out, incConfigValue{e.Name, v, "ConfigMap " + cm.Name + " key " + e.ValueFrom.ConfigMapKeyRef.Key})
					}
				}
			}
		}
		for _, ef := range c.Spec.EnvFrom {
			if ef.ConfigMapRef == nil {
				continue
			}
			if cm := s.ConfigMap(p.Namespace, ef.ConfigMapRef.Name); cm != nil {
				for _, k := range sortedKeys(cm.Data) {
					out = append(out, incConfigValue{k, cm.Data[k], "ConfigMap " + cm.Name + " key " + k})
				}
			}
		}
	}
	return out
}

// incClusterNames returns the cluster Service names a pod's configuration
// uses (names that only the cluster DNS resolves), as "name (where)".
func incClusterNames(s *snapshot.Snapshot, p *corev1.Pod, namespaces map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range incPodConfig(s, p) {
		ref, ok := dnsParse(s, v.Var, v.Value, p.Namespace, namespaces)
		if !ok || s.Service(ref.Namespace, ref.Service) == nil || seen[ref.Host] {
			continue
		}
		seen[ref.Host] = true
		out = append(out, fmt.Sprintf("%s (%s)", ref.Host, v.From))
	}
	return out
}

func runDNSPolicyBypassesClusterDNS(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := incNamespaces(s)
	seen := map[snapshot.ObjectRef]bool{}
	dnsIP := ""
	if svc := dnsService(s); svc != nil {
		dnsIP = svc.Spec.ClusterIP
	}
	for _, p := range s.Pods {
		policy := p.Spec.DNSPolicy
		if policy == "" {
			policy = corev1.DNSClusterFirst
		}
		var how, want string
		switch {
		case policy == corev1.DNSDefault:
			how, want = "dnsPolicy: Default, which gives the pod the node's resolv.conf (\"Default\" is not the default policy; ClusterFirst is)", string(corev1.DNSClusterFirst)
			if p.Spec.HostNetwork {
				want = string(corev1.DNSClusterFirstWithHostNet)
			}
		case policy == corev1.DNSNone:
			if p.Spec.DNSConfig != nil && dnsIP != "" && slices.Contains(p.Spec.DNSConfig.Nameservers, dnsIP) {
				continue
			}
			ns := "none"
			if p.Spec.DNSConfig != nil && len(p.Spec.DNSConfig.Nameservers) > 0 {
				ns = strings.Join(p.Spec.DNSConfig.Nameservers, ", ")
			}
			how, want = "dnsPolicy: None with nameservers "+ns+", none of them the cluster DNS", string(corev1.DNSClusterFirst)
		case p.Spec.HostNetwork && policy == corev1.DNSClusterFirst:
			how, want = "hostNetwork: true with dnsPolicy ClusterFirst, which falls back to the node's resolv.conf for host-network pods", string(corev1.DNSClusterFirstWithHostNet)
		default:
			continue
		}
		names := incClusterNames(s, p, namespaces)
		if len(names) == 0 {
			continue
		}
		target, specPath := fixTarget(s, p)
		if seen[target] {
			continue
		}
		seen[target] = true
		ev := []string{how, "names that only the cluster DNS resolves: " + joinLimit(names, 4)}
		if dnsIP != "" {
			ev = append(ev, "the cluster DNS is the kube-dns Service at "+dnsIP)
		}
		r.Report(diagnose.Finding{
			Object:   target,
			Symptom:  fmt.Sprintf("lookups of cluster Service names fail inside %s (\"Name does not resolve\", NXDOMAIN) while the same names resolve in other pods", target),
			Cause:    fmt.Sprintf("the pods of %s do not use the cluster DNS (%s) but connect to cluster Services by name", target, how),
			Evidence: ev,
			Fix:      diagnose.JSONPatchCmd(target, diagnose.JSONPatchOp{Op: "add", Path: specPath + "/dnsPolicy", Value: want}),
			Verify:   verifyPod(s, p),
			Origin:   originOf(s, target),
		})
	}
}

var (
	incKubernetesLine = regexp.MustCompile(`(?m)^\s*kubernetes(\s+[^{\n]*)?`)
	incSvcDomain      = regexp.MustCompile(`\.svc\.([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)`)
	incClusterDomain  = regexp.MustCompile(`(?m)^\s*clusterDomain:\s*"?([a-z0-9.-]+)"?`)
)

// incCoreDNSConfigMap is the ConfigMap holding the cluster DNS's Corefile.
func incCoreDNSConfigMap(s *snapshot.Snapshot) *corev1.ConfigMap {
	for _, name := range []string{"coredns", "coredns-custom"} {
		if cm := s.ConfigMap(dnsNamespace, name); cm != nil && cm.Data["Corefile"] != "" {
			return cm
		}
	}
	return nil
}

func runDNSCorefileClusterZone(s *snapshot.Snapshot, r *diagnose.Reporter) {
	cm := incCoreDNSConfigMap(s)
	if cm == nil {
		return
	}
	corefile := cm.Data["Corefile"]
	var zones []string
	var lines []string
	for _, m := range incKubernetesLine.FindAllStringSubmatch(corefile, -1) {
		lines = append(lines, strings.TrimSpace(m[0]))
		fields := strings.Fields(m[1])
		if len(fields) == 0 {
			zones = append(zones, ".")
		}
		zones = append(zones, fields...)
	}
	domain, why := incClusterDomainOf(s)
	if domain == "" {
		return
	}
	covered := false
	for _, z := range zones {
		z = strings.TrimSuffix(z, ".")
		if z == "" || z == domain || strings.HasSuffix(domain, "."+z) {
			covered = true
		}
	}
	if covered {
		return
	}
	ref := snapshot.Ref(snapshot.KindConfigMap, cm)
	ev := []string{why}
	cause := fmt.Sprintf("the Corefile in ConfigMap %s/%s has no kubernetes plugin, so CoreDNS does not answer for Services at all", cm.Namespace, cm.Name)
	if len(lines) > 0 {
		ev = append(ev, "Corefile: "+strings.Join(lines, "; "))
		cause = fmt.Sprintf("the Corefile's kubernetes plugin serves %s, not the cluster domain %s that pods search and name Services with; CoreDNS forwards *.svc.%s upstream, which answers NXDOMAIN", strings.Join(zones, " "), domain, domain)
	}
	r.Report(diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("CoreDNS is running and ready, yet every Service name (kubernetes.default.svc.%s, and the names apps use) fails to resolve", domain),
		Cause:    cause,
		Evidence: ev,
		Fix:      diagnose.EditCmd(ref),
		Verify:   diagnose.Kubectl("run", "dns-check", "--rm", "-i", "--restart=Never", "--image=busybox:1.36", "--", "nslookup", "kubernetes.default.svc."+domain),
		Origin:   originOf(s, ref),
	})
}

// incClusterDomainOf finds the cluster domain pods use: the kubelet's
// clusterDomain from kubeadm's kubelet-config, else the domain of the
// *.svc.<domain> names in env values and ConfigMaps. Empty when the input
// does not say.
func incClusterDomainOf(s *snapshot.Snapshot) (string, string) {
	for _, name := range []string{"kubelet-config", "kubelet-config-1.32", "kubelet-config-1.31"} {
		if cm := s.ConfigMap(dnsNamespace, name); cm != nil {
			if m := incClusterDomain.FindStringSubmatch(cm.Data["kubelet"]); m != nil {
				return m[1], fmt.Sprintf("ConfigMap %s/%s: clusterDomain %s", cm.Namespace, cm.Name, m[1])
			}
		}
	}
	count := map[string]int{}
	example := map[string]string{}
	note := func(v, where string) {
		for _, m := range incSvcDomain.FindAllStringSubmatch(v, -1) {
			d := strings.TrimSuffix(m[1], ".")
			if i := strings.IndexAny(d, ":/"); i >= 0 {
				d = d[:i]
			}
			count[d]++
			if example[d] == "" {
				example[d] = where + ": " + clip(v)
			}
		}
	}
	for _, cm := range s.ConfigMaps {
		if cm.Namespace == dnsNamespace {
			continue
		}
		for _, k := range sortedKeys(cm.Data) {
			note(cm.Data[k], fmt.Sprintf("ConfigMap %s/%s key %s", cm.Namespace, cm.Name, k))
		}
	}
	for _, p := range s.Pods {
		for _, c := range p.Spec.Containers {
			for _, e := range c.Env {
				note(e.Value, fmt.Sprintf("%s env %s", s.SubjectOf(p), e.Name))
			}
		}
	}
	best := ""
	for d, n := range count {
		if n > count[best] || n == count[best] && d < best {
			best = d
		}
	}
	if best == "" {
		return "", ""
	}
	return best, fmt.Sprintf("the cluster's configuration names Services under *.svc.%s (%d use(s)), e.g. %s", best, count[best], example[best])
}

func runStatefulSetGoverningService(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, sts := range s.StatefulSets {
		name := sts.Spec.ServiceName
		if name == "" {
			continue
		}
		svc := s.Service(sts.Namespace, name)
		if svc == nil && !s.Knows(snapshot.KindService, sts.Namespace) {
			continue
		}
		if svc != nil && svc.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		ref := snapshot.Ref(snapshot.KindStatefulSet, sts)
		svcRef := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: sts.Namespace, Name: name}
		uses := incPodNamesUsed(s, sts.Namespace, sts.Name)
		// Without names in use, nothing is known to need the records.
		sev := diagnose.SeverityInfo
		if len(uses) > 0 {
			sev = diagnose.SeverityError
		}
		expose := diagnose.Kubectl("expose", "statefulset", sts.Name, "--name="+name, "--cluster-ip=None", "-n", sts.Namespace)
		var cause, fix string
		ev := []string{fmt.Sprintf("StatefulSet %s spec.serviceName: %s (its pods get hostname <pod> and subdomain %s)", sts.Name, name, name)}
		if svc == nil {
			cause = fmt.Sprintf("StatefulSet %s names %s as its governing Service, but no Service %s exists in namespace %s, so its pods get no DNS records of the form %s-0.%s", sts.Name, name, name, sts.Namespace, sts.Name, name)
			fix = expose
			var headless []string
			for _, o := range s.ServicesIn(sts.Namespace) {
				if o.Spec.ClusterIP == corev1.ClusterIPNone && selectorMatches(o.Spec.Selector, sts.Spec.Template.Labels) {
					headless = append(headless, o.Name)
				}
			}
			if len(headless) > 0 {
				ev = append(ev, "headless Service(s) selecting these pods: "+strings.Join(headless, ", ")+" — but per-pod names only exist under spec.serviceName, which cannot be changed")
			}
		} else {
			ip := svc.Spec.ClusterIP
			if ip == "" {
				ip = "unset, so one is allocated"
			}
			cause = fmt.Sprintf("StatefulSet %s's governing Service %s is not headless (clusterIP %s): per-pod records such as %s-0.%s are only published for a headless Service", sts.Name, name, ip, sts.Name, name)
			fix = diagnose.Kubectl("delete", "service", name, "-n", sts.Namespace) + " && " + expose
			ev = append(ev, fmt.Sprintf("Service %s: clusterIP %s (not None)", name, ip))
		}
		if len(uses) > 0 {
			ev = append(ev, "per-pod names in use: "+joinLimit(uses, 4))
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Severity: sev,
			Symptom:  fmt.Sprintf("nslookup %s-0.%s fails (NXDOMAIN): the StatefulSet's members cannot find each other by name", sts.Name, name),
			Cause:    cause,
			Evidence: ev,
			Fix:      fix,
			Verify:   diagnose.GetCmd(svcRef, "-o", "jsonpath={.spec.clusterIP}"),
			Origin:   originOf(s, ref),
		})
	}
}

// incPodNamesUsed finds per-pod names of StatefulSet sts (sts-N.service...)
// in the configuration of namespace ns: env values, commands and
// ConfigMaps.
func incPodNamesUsed(s *snapshot.Snapshot, ns, sts string) []string {
	re := regexp.MustCompile(`(?:^|[^a-z0-9-])(` + regexp.QuoteMeta(sts) + `-[0-9]+\.[a-z0-9][-a-z0-9]*)`)
	var out []string
	seen := map[string]bool{}
	note := func(v string) {
		for _, m := range re.FindAllStringSubmatch(v, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	for _, p := range s.PodsIn(ns) {
		for _, c := range containersOf(p) {
			for _, e := range c.Spec.Env {
				note(e.Value)
			}
			note(commandLine(c.Spec))
		}
	}
	for _, cm := range s.ConfigMaps {
		if cm.Namespace == ns {
			for _, k := range sortedKeys(cm.Data) {
				note(cm.Data[k])
			}
		}
	}
	sort.Strings(out)
	return out
}

// incWaitHost matches the host an init container waits for: nslookup/host/
// dig/getent hosts NAME, nc [-z] [-w N] NAME PORT, and http(s) URLs.
var incWaitHost = regexp.MustCompile(`(?:nslookup|getent\s+hosts|\bhost|\bdig)\s+([A-Za-z0-9$()./_-]+)|\bnc\s+(?:-[a-z]+\s+(?:[0-9]+\s+)?)*([A-Za-z0-9.-]+)\s+[0-9]+|https?://([A-Za-z0-9.-]+)`)

// incWaitedHosts lists the hosts a container's command waits for, with the
// service-account namespace expansion resolved to the pod's namespace.
func incWaitedHosts(c *corev1.Container, podNS string) []string {
	cmd := commandLine(c)
	cmd = strings.ReplaceAll(cmd, "$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)", podNS)
	var out []string
	for _, m := range incWaitHost.FindAllStringSubmatch(cmd, -1) {
		for _, h := range m[1:] {
			if h != "" && !strings.ContainsAny(h, "$()") {
				out = append(out, strings.TrimSuffix(h, "."))
			}
		}
	}
	return out
}

func runInitContainerBlocked(s *snapshot.Snapshot, r *diagnose.Reporter) {
	namespaces := incNamespaces(s)
	seen := map[snapshot.ObjectRef]bool{}
	for _, p := range s.Pods {
		live := hasStatus(p)
		if live && p.Status.Phase != corev1.PodPending {
			continue
		}
		for _, c := range containersOf(p) {
			if !c.Init || c.Sidecar() {
				continue
			}
			if live && (c.Status == nil || c.Status.State.Running == nil) {
				continue
			}
			var missing, empty []string
			for _, h := range incWaitedHosts(c.Spec, p.Namespace) {
				ref, ok := dnsParse(s, "WAIT_HOST", h, p.Namespace, namespaces)
				if !ok || !s.Knows(snapshot.KindService, ref.Namespace) {
					continue
				}
				svc := s.Service(ref.Namespace, ref.Service)
				switch {
				case svc == nil:
					missing = append(missing, fmt.Sprintf("%s: no Service %s in namespace %s", h, ref.Service, ref.Namespace))
				case live && len(svc.Spec.Selector) > 0 && svc.Spec.ClusterIP == corev1.ClusterIPNone && !serviceHasReadyAddress(s, svc):
					empty = append(empty, fmt.Sprintf("%s: headless Service %s/%s has no ready endpoint, so the name has no address yet", h, svc.Namespace, svc.Name))
				}
			}
			if len(missing)+len(empty) == 0 {
				continue
			}
			subj := s.SubjectOf(p)
			if seen[subj] {
				continue
			}
			seen[subj] = true
			r.Report(incInitFinding(s, p, c, missing, empty, live, namespaces))
		}
	}
}

func incInitFinding(s *snapshot.Snapshot, p *corev1.Pod, c podContainer, missing, empty []string, live bool, namespaces map[string]bool) diagnose.Finding {
	subj := s.SubjectOf(p)
	ev := []string{c.Label() + " command: " + clip(commandLine(c.Spec))}
	ev = append(ev, missing...)
	ev = append(ev, empty...)
	sev := diagnose.SeverityError
	symptom := fmt.Sprintf("%s stays in Init (STATUS Init:0/%d): its app containers never start, so it never serves", subj, len(p.Spec.InitContainers))
	if live {
		if cond := podCondition(p, corev1.PodInitialized); cond != nil {
			ev = append(ev, conditionLine(cond))
		}
		ev = append(ev, stateLine(c))
	} else {
		symptom = fmt.Sprintf("pods of %s would wait in Init: %s loops until a Service that the input does not hold appears", subj, c.Label())
		sev = diagnose.SeverityWarning
	}
	var names []string
	for _, svc := range s.ServicesIn(p.Namespace) {
		names = append(names, svc.Name)
	}
	if close := closestNames(strings.SplitN(strings.SplitN(missingHost(missing), ".", 2)[0], ":", 2)[0], names, 3); len(close) > 0 && len(missing) > 0 {
		ev = append(ev, "Services in namespace "+p.Namespace+": "+strings.Join(close, ", "))
	}
	target, _ := fixTarget(s, p)
	return diagnose.Finding{
		Object:   subj,
		Severity: sev,
		Symptom:  symptom,
		Cause:    fmt.Sprintf("%s of %s waits for a Service name to resolve or answer, and that will not happen: %s", c.Label(), subj, strings.Join(append(missing, empty...), "; ")),
		Evidence: ev,
		Fix:      diagnose.EditCmd(target),
		Verify:   verifyPod(s, p),
		Origin:   originOf(s, subj),
	}
}

// missingHost is the host of the first "host: why" line.
func missingHost(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	h, _, _ := strings.Cut(lines[0], ":")
	return h
}

func runNetpolPortNotTargetPort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	idx := newNetpolIndex(s, networkingv1.PolicyTypeIngress)
	reported := map[snapshot.ObjectRef]bool{}
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		pods := s.PodsMatching(svc.Namespace, svc.Spec.Selector)
		if len(pods) == 0 {
			continue
		}
		p := pods[0]
		pols := idx.policiesFor(p)
		if len(pols) == 0 {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			num, name, ok := resolveTarget(p, sp)
			if !ok || num == sp.Port {
				continue
			}
			proto := snapshot.ProtocolOrTCP(sp.Protocol)
			target := netpolTarget{Port: num, Name: name, Protocol: proto}
			admitted := false
			for _, np := range pols {
				for _, rule := range np.Spec.Ingress {
					admitted = admitted || netpolPortsMatch(rule.Ports, target) != netpolNo
				}
			}
			if admitted {
				continue
			}
			for _, np := range pols {
				ref := snapshot.Ref(snapshot.KindNetworkPolicy, np)
				if reported[ref] {
					continue
				}
				ri, pi, ok := incRulePort(np, sp.Port, proto)
				if !ok {
					continue
				}
				reported[ref] = true
				value := any(num)
				if name != "" {
					value = name
				}
				r.Report(diagnose.Finding{
					Object:  ref,
					Symptom: fmt.Sprintf("connections to Service %s port %d time out although its pods are ready: the pods never see them", svc.Name, sp.Port),
					Cause: fmt.Sprintf("NetworkPolicy %s admits port %d, the Service's port; policies match the pod's port after the Service has translated %d to targetPort %s, and no rule of the policies isolating these pods admits %s",
						np.Name, sp.Port, sp.Port, target, target),
					Evidence: []string{
						fmt.Sprintf("Service %s port %s", svc.Name, servicePortText(sp)),
						fmt.Sprintf("pods of %s declare %s", s.SubjectOf(p), declaredPortsText(p)),
						netpolRulesLine(np, true),
					},
					Fix:    diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "replace", Path: fmt.Sprintf("/spec/ingress/%d/ports/%d/port", ri, pi), Value: value}),
					Verify: diagnose.DescribeCmd(ref),
					Origin: originOf(s, ref),
				})
			}
		}
	}
}

// incRulePort finds the ingress rule port of np that names port number n.
func incRulePort(np *networkingv1.NetworkPolicy, n int32, proto corev1.Protocol) (int, int, bool) {
	for i, rule := range np.Spec.Ingress {
		for j, p := range rule.Ports {
			pp := protocolOrDefault(p.Protocol)
			if p.Port != nil && p.Port.Type == intstr.Int && p.Port.IntVal == n && pp == proto {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// The default --service-node-port-range of the API server.
const (
	incNodePortMin = 30000
	incNodePortMax = 32767
)

func runExposureNodePortInvalid(s *snapshot.Snapshot, r *diagnose.Reporter) {
	// A cluster's state holds only what its API server accepted (with
	// whatever range it runs); only manifests can be rejected.
	if s.Live || s.ClusterDump() {
		return
	}
	owner := map[int32]string{}
	for _, svc := range s.Services {
		if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		ref := incSvcRef(svc)
		for i, sp := range svc.Spec.Ports {
			if sp.NodePort == 0 {
				continue
			}
			var cause, symptom string
			switch {
			case sp.NodePort < incNodePortMin || sp.NodePort > incNodePortMax:
				symptom = fmt.Sprintf("kubectl apply fails: The Service %q is invalid: spec.ports[%d].nodePort: Invalid value: %d: provided port is not in the valid range. The range of valid ports is %d-%d", svc.Name, i, sp.NodePort, incNodePortMin, incNodePortMax)
				cause = fmt.Sprintf("nodePort %d is outside the API server's default node port range %d-%d (unless the cluster runs a custom --service-node-port-range)", sp.NodePort, incNodePortMin, incNodePortMax)
			case owner[sp.NodePort] != "" && owner[sp.NodePort] != ref.String():
				symptom = fmt.Sprintf("kubectl apply fails: The Service %q is invalid: spec.ports[%d].nodePort: Invalid value: %d: provided port is already allocated", svc.Name, i, sp.NodePort)
				cause = fmt.Sprintf("nodePort %d is also requested by %s; a node port belongs to one Service cluster-wide", sp.NodePort, owner[sp.NodePort])
			default:
				owner[sp.NodePort] = ref.String()
				continue
			}
			r.Report(diagnose.Finding{
				Object:   ref,
				Symptom:  symptom,
				Cause:    cause,
				Evidence: []string{fmt.Sprintf("Service %s type %s port %s nodePort %d", svc.Name, svc.Spec.Type, servicePortText(sp), sp.NodePort)},
				Fix:      diagnose.JSONPatchCmd(ref, diagnose.JSONPatchOp{Op: "remove", Path: fmt.Sprintf("/spec/ports/%d/nodePort", i)}),
				Verify:   diagnose.GetCmd(ref, "-o", "wide"),
				Origin:   originOf(s, ref),
			})
			break
		}
	}
}
