package checks

// Ingress controllers that are cloud load balancers and reach a backend
// Service from outside the cluster: GKE's Ingress (class gce, controller
// k8s.io/ingress-gce) sends traffic to the Service's node port on every
// node, unless the Service asks for container-native load balancing (a
// network endpoint group per Service, annotation cloud.google.com/neg); the
// AWS Load Balancer Controller (class alb, controller ingress.k8s.aws/alb)
// registers the nodes' node port in its target group in instance mode, its
// default. A ClusterIP Service has no node port, so the load balancer gets
// no backend for it.

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var ingressCloudBackendType = &diagnose.Check{
	ID:       "ingress-cloud-backend-type",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "A GKE (gce) or AWS ALB (instance mode, the default) Ingress routes to a ClusterIP Service: the cloud load balancer reaches backends through node ports (or GKE's NEGs), so it has no backend for it.",
	Run:      runIngressCloudBackendType,
}

// Annotations and controller names of the two cloud controllers.
const (
	gceController       = "k8s.io/ingress-gce"
	gceNEGAnnotation    = "cloud.google.com/neg"
	gceNEGStatus        = "cloud.google.com/neg-status"
	albController       = "ingress.k8s.aws/alb"
	albTargetAnnotation = "alb.ingress.kubernetes.io/target-type"
)

// ingressCloud says which cloud controller serves ing ("gce", "alb" or "")
// and how the Ingress asks for it.
func ingressCloud(s *snapshot.Snapshot, ing *networkingv1.Ingress) (cloud, how string) {
	class, fromAnnotation := ingressClassOf(ing)
	_, ctrl, _ := classController(s, ing)
	switch {
	case class == "gce" || class == "gce-internal" || ctrl == gceController:
		cloud = "gce"
	case class == "alb" || ctrl == albController:
		cloud = "alb"
	default:
		return "", ""
	}
	switch {
	case class == "":
		how = "the default IngressClass, controller " + ctrl
	case fromAnnotation:
		how = fmt.Sprintf("annotation %s: %s", ingressClassAnnotation, class)
	default:
		how = "ingressClassName " + class
	}
	if ctrl != "" && class != "" {
		how += " (controller " + ctrl + ")"
	}
	return cloud, how
}

// gceUsesNEG reports whether a Service asks GKE for container-native load
// balancing through Ingress, or its NEG controller already made the groups.
func gceUsesNEG(svc *corev1.Service) bool {
	if svc.Annotations[gceNEGStatus] != "" {
		return true
	}
	var neg struct {
		Ingress bool `json:"ingress"`
	}
	return json.Unmarshal([]byte(svc.Annotations[gceNEGAnnotation]), &neg) == nil && neg.Ingress
}

// albTargetType is the target type the AWS Load Balancer Controller uses
// for a backend: the Service's annotation, else the Ingress's, else
// instance.
func albTargetType(ing *networkingv1.Ingress, svc *corev1.Service) (string, string) {
	if v := svc.Annotations[albTargetAnnotation]; v != "" {
		return v, "Service annotation " + albTargetAnnotation
	}
	if v := ing.Annotations[albTargetAnnotation]; v != "" {
		return v, "Ingress annotation " + albTargetAnnotation
	}
	return "instance", albTargetAnnotation + " not set: instance is the default"
}

// ingressCloudBackend is one backend Service the cloud load balancer
// cannot reach, with why.
type ingressCloudBackend struct {
	Where string
	Svc   *corev1.Service
	Why   string
}

func runIngressCloudBackendType(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		cloud, how := ingressCloud(s, ing)
		if cloud == "" {
			continue
		}
		var bad []ingressCloudBackend
		seen := map[string]bool{}
		for _, b := range ingressBackends(ing) {
			svc := s.Service(ing.Namespace, b.Backend.Service.Name)
			if svc == nil || seen[svc.Name] || (svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP) {
				continue
			}
			seen[svc.Name] = true
			switch cloud {
			case "gce":
				if !gceUsesNEG(svc) {
					bad = append(bad, ingressCloudBackend{b.Where, svc, fmt.Sprintf("Service %s: type ClusterIP, no %s annotation asking for {\"ingress\": true}", svc.Name, gceNEGAnnotation)})
				}
			case "alb":
				if t, why := albTargetType(ing, svc); t == "instance" {
					bad = append(bad, ingressCloudBackend{b.Where, svc, fmt.Sprintf("Service %s: type ClusterIP, target type instance (%s)", svc.Name, why)})
				}
			}
		}
		if len(bad) > 0 {
			r.Report(ingressCloudFinding(s, ing, cloud, how, bad))
		}
	}
}

func ingressCloudFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, cloud, how string, bad []ingressCloudBackend) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	ev := []string{"Ingress class: " + how}
	var names []string
	var affects []snapshot.ObjectRef
	for _, b := range bad {
		ev = append(ev, b.Where+" → "+b.Why)
		names = append(names, b.Svc.Name)
		affects = append(affects, snapshot.Ref(snapshot.KindService, b.Svc))
	}
	ev = append(ev, eventsWhere(s, ref, func(e *corev1.Event) bool { return e.Type == corev1.EventTypeWarning })...)
	first := snapshot.Ref(snapshot.KindService, bad[0].Svc)
	toNodePort := diagnose.MergePatchCmd(first, map[string]any{"spec": map[string]any{"type": "NodePort"}})
	f := diagnose.Finding{
		Object:  ref,
		Affects: affects,
		Verify:  diagnose.DescribeCmd(ref),
		Origin:  originOf(s, ref),
		Fix:     toNodePort,
	}
	list := strings.Join(names, ", ")
	switch cloud {
	case "gce":
		f.Symptom = "the Google Cloud load balancer of the Ingress has no healthy backend for " + list + ": requests to those paths fail (502, or the default backend's 404), and the Ingress shows a sync error"
		f.Cause = fmt.Sprintf("GKE's Ingress controller reaches backends through the Service's node port, or through network endpoint groups when the Service asks for them; ClusterIP Service %s has neither (\"service is type ClusterIP, expected NodePort or LoadBalancer\")", list)
		ev = append(ev, fmt.Sprintf("alternative on a VPC-native cluster: container-native load balancing, %s",
			diagnose.Kubectl("annotate", "service", bad[0].Svc.Name, "-n", ing.Namespace, gceNEGAnnotation+`={"ingress": true}`)))
		if !fromCluster(s, ing) {
			// GKE adds the NEG annotation itself to Services created in
			// VPC-native clusters from 1.17.6-gke.7 on (not with Shared VPC
			// or GKE network policy): a manifest may be fine there.
			f.Severity = diagnose.SeverityWarning
			f.Cause += "; unless the cluster is VPC-native GKE 1.17.6-gke.7 or later without Shared VPC, where GKE adds the NEG annotation to new Services itself"
		}
	case "alb":
		f.Symptom = "the AWS Load Balancer Controller cannot build the ALB's target group for " + list + ": the Ingress gets no address or its targets stay unhealthy"
		f.Cause = fmt.Sprintf("in instance mode (the default) the AWS Load Balancer Controller registers every node on the Service's node port; ClusterIP Service %s has none (\"When using Instance targets, your service must be of type 'NodePort' or 'LoadBalancer'\")", list)
		ipMode := diagnose.Kubectl("annotate", "ingress", ing.Name, "-n", ing.Namespace, albTargetAnnotation+"=ip")
		if s.Workload(snapshot.ObjectRef{Kind: snapshot.KindDaemonSet, Namespace: dnsNamespace, Name: "aws-node"}) != nil {
			// The VPC CNI gives pods VPC addresses the ALB can target.
			ev = append(ev, "DaemonSet kube-system/aws-node (the VPC CNI) gives pods VPC addresses: the ALB can target them directly in ip mode",
				"alternative: "+toNodePort)
			f.Fix = ipMode
		} else {
			ev = append(ev, "alternative where pods have VPC addresses (the VPC CNI): "+ipMode)
		}
	}
	if len(bad) > 1 {
		ev = append(ev, fmt.Sprintf("the same change is needed for %s", strings.Join(names[1:], ", ")))
	}
	f.Evidence = ev
	return f
}
