package checks

// The service layer: the registry of its checks, and the Services that route
// to no pod by design (no selector, ExternalName).

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// serviceChecks are the checks that report on the service layer; All sorts them.
var serviceChecks = []*diagnose.Check{
	serviceSelectorMatchesNoPods, workloadSelectorMismatch, serviceTargetPortMissing,
	serviceNoSelectorNoEndpoints, serviceProtocolMismatch, serviceSelectorSpansApps, serviceExternalNameIP, servicePortInvalid,
}

var serviceNoSelectorNoEndpoints = &diagnose.Check{
	ID:       "service-no-selector-no-endpoints",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service without selector has no Endpoints or EndpointSlices with addresses, so nothing answers it.",
	Run:      runServiceNoSelectorNoEndpoints,
}

func runServiceNoSelectorNoEndpoints(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Selector) > 0 {
			continue
		}
		ns := svc.Namespace
		addrs, has := serviceAddresses(s, ns, svc.Name)
		if len(addrs) > 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		if !s.Knows(snapshot.KindEndpoints, ns) && !s.Knows(snapshot.KindEndpointSlice, ns) {
			r.NotChecked(ref, fmt.Sprintf("Service has no selector and the input has no Endpoints or EndpointSlices in namespace %s", ns))
			continue
		}
		if !has && ns == metav1.NamespaceDefault && svc.Name == "kubernetes" {
			// The API server itself keeps the endpoints of this Service
			// current; a cluster that answered for the dump has them.
			r.NotChecked(ref, "the input holds no Endpoints of Service default/kubernetes, which the API server maintains")
			continue
		}
		evidence := []string{"spec.selector: not set, so no controller computes endpoints: they must be created by hand or by another controller"}
		if has {
			evidence = append(evidence, fmt.Sprintf("the Endpoints/EndpointSlices for %s hold no addresses", svc.Name))
		} else {
			evidence = append(evidence, fmt.Sprintf("no Endpoints named %s and no EndpointSlice labelled %s=%s in namespace %s", svc.Name, discoveryv1.LabelServiceName, svc.Name, ns))
		}
		evidence = append(evidence, "ports: "+strings.Join(servicePortsText(svc), "; "))
		fix := diagnose.EditCmd(ref)
		for _, key := range []string{"app", "app.kubernetes.io/name"} {
			guess := map[string]string{key: svc.Name}
			if pods := s.PodsMatching(ns, guess); len(pods) > 0 {
				evidence = append(evidence, fmt.Sprintf("%d pod(s) in namespace %s carry %s (e.g. %s): the Service probably lost its selector", len(pods), ns, selectorText(guess), podLabel(s, pods[0])))
				fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": guess}})
				break
			}
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("connections to Service %s are refused: `kubectl get endpoints %s -n %s` shows ENDPOINTS: <none>", svc.Name, svc.Name, ns),
			Cause:    fmt.Sprintf("Service %s has no selector and no endpoints were created for it", svc.Name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.Kubectl("get", "endpointslices", "-n", ns, "-l", discoveryv1.LabelServiceName+"="+svc.Name),
			Origin:   originOf(s, ref),
		})
	}
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

func runServiceExternalNameIP(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type != corev1.ServiceTypeExternalName || net.ParseIP(svc.Spec.ExternalName) == nil {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
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
