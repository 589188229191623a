package checks

// The exposure layer: the registry of its checks, node ports (open on every
// node, or rejected by the API server), and externalTrafficPolicy Local on
// nodes without a ready endpoint.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// exposureChecks are the checks that report on the exposure layer; All sorts them.
var exposureChecks = []*diagnose.Check{
	exposureNodePort, exposureNodePortInvalid, exposureLBNoReadinessProbe, exposureLBPending, exposureLocalTrafficPolicy,
}

var exposureNodePort = &diagnose.Check{
	ID:       "exposure-nodeport",
	Layer:    diagnose.LayerExposure,
	Severity: diagnose.SeverityWarning,
	Doc:      "A Service of type NodePort opens its port on every node and ties clients to node IPs; prefer ClusterIP behind an Ingress, or a LoadBalancer.",
	Run:      runExposureNodePort,
}

// exposureLocalTrafficPolicy is an info, and only where clients reach the
// node ports directly. externalTrafficPolicy: Local on a LoadBalancer is the
// intended design of the common ingress controller installs and of the
// OpenShift router: it keeps the client's address, and the cloud's health
// check on healthCheckNodePort keeps traffic off nodes without a pod.
var exposureLocalTrafficPolicy = &diagnose.Check{
	ID:       "exposure-local-traffic-policy",
	Layer:    diagnose.LayerExposure,
	Severity: diagnose.SeverityInfo,
	Doc:      "externalTrafficPolicy: Local on a Service reached through its node ports (NodePort, or a LoadBalancer without an address) while some nodes run no ready endpoint: connections to those nodes are dropped.",
	Run:      runExposureLocalTrafficPolicy,
}

// exposureNodeAddress names a node with its addresses for evidence.
func exposureNodeAddress(n *corev1.Node) string {
	var addrs []string
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
			addrs = append(addrs, string(a.Type)+" "+a.Address)
		}
	}
	if len(addrs) == 0 {
		return n.Name
	}
	return n.Name + " (" + strings.Join(addrs, ", ") + ")"
}

func runExposureNodePort(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type != corev1.ServiceTypeNodePort {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		var evidence, opened []string
		for _, sp := range svc.Spec.Ports {
			if sp.NodePort != 0 {
				opened = append(opened, fmt.Sprintf("%d/%s", sp.NodePort, snapshot.ProtocolOrTCP(sp.Protocol)))
				evidence = append(evidence, fmt.Sprintf("port %s: nodePort %d is open on every node", servicePortText(sp), sp.NodePort))
			} else {
				evidence = append(evidence, fmt.Sprintf("port %s: nodePort not set, the API server allocates one from 30000-32767 on every node", servicePortText(sp)))
			}
		}
		if len(s.Nodes) > 0 {
			var nodes []string
			for _, n := range s.Nodes {
				nodes = append(nodes, exposureNodeAddress(n))
			}
			evidence = append(evidence, fmt.Sprintf("opened on all %d node(s): %s", len(s.Nodes), joinLimit(nodes, maxListed)))
		}
		evidence = append(evidence, "clients address a node IP directly: no routing, no TLS, and they break when that node is drained, replaced or renumbered")
		if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
			evidence = append(evidence, "externalTrafficPolicy: Local: nodes without a ready pod of this Service drop the traffic (works on one node IP, fails on another)")
		}
		evidence = append(evidence, "for production traffic use ClusterIP behind an Ingress, or type LoadBalancer; NodePort is for debugging and temporary access")
		ports := "its node port"
		if len(opened) > 0 {
			ports = "port " + strings.Join(opened, ", ")
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("works on one node IP and fails on another after a node change; security scans flag %s open on every node", ports),
			Cause:    fmt.Sprintf("Service %s is exposed as NodePort: every node opens the port and clients depend on node IPs", svc.Name),
			Evidence: evidence,
			// Changing the type clears the allocated nodePorts (the API
			// server drops type-dependent fields on a type change).
			Fix:    diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"type": string(corev1.ServiceTypeClusterIP)}}),
			Verify: diagnose.GetCmd(ref),
			Origin: originOf(s, ref),
		})
	}
}

func runExposureLocalTrafficPolicy(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if len(s.Nodes) == 0 {
		return
	}
	for _, svc := range s.Services {
		if svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
			continue
		}
		switch {
		case svc.Spec.Type == corev1.ServiceTypeNodePort:
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer && fromCluster(s, svc) && len(svc.Status.LoadBalancer.Ingress) == 0:
			// No load balancer fronts the node ports (bare metal, kind):
			// clients use them directly and nothing health-checks the
			// nodes for them.
		default:
			continue
		}
		raw, has := serviceAddresses(s, svc.Namespace, svc.Name)
		if !has {
			continue
		}
		withEndpoint := map[string]bool{}
		for _, a := range uniqueAddresses(raw) {
			if !a.Ready {
				continue
			}
			node := a.NodeName
			if node == "" && a.Pod != "" {
				if p := s.Pod(svc.Namespace, a.Pod); p != nil {
					node = p.Spec.NodeName
				}
			}
			if node != "" {
				withEndpoint[node] = true
			}
		}
		if len(withEndpoint) == 0 {
			// No ready endpoint anywhere is another finding's business.
			continue
		}
		var with, without []string
		for _, n := range s.Nodes {
			label := n.Name
			if !nodeReady(n) {
				label += " (NotReady)"
			}
			if withEndpoint[n.Name] {
				with = append(with, label)
			} else {
				without = append(without, label)
			}
		}
		if len(without) == 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		var nodePorts []string
		for _, sp := range svc.Spec.Ports {
			if sp.NodePort != 0 {
				nodePorts = append(nodePorts, fmt.Sprintf("%d/%s", sp.NodePort, snapshot.ProtocolOrTCP(sp.Protocol)))
			}
		}
		evidence := []string{
			fmt.Sprintf("nodes with a ready endpoint (%d): %s", len(with), joinLimit(with, maxListed)),
			fmt.Sprintf("nodes without (%d): %s", len(without), joinLimit(without, maxListed)),
		}
		if len(nodePorts) > 0 {
			evidence = append(evidence, "node ports: "+strings.Join(nodePorts, ", "))
		}
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			evidence = append(evidence, fmt.Sprintf("the Service has no load balancer address (EXTERNAL-IP <pending>): clients reach the node ports directly, without the health check on healthCheckNodePort %d that keeps a load balancer off those nodes", svc.Spec.HealthCheckNodePort))
		}
		evidence = append(evidence, "Local keeps the client source IP and is the intended design behind a load balancer that health-checks the nodes; for clients of the node ports, Cluster reaches every pod from every node but hides the source IP")
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("connections to the node port on %s are dropped, while other nodes answer", joinLimit(without, maxListed)),
			Cause:    fmt.Sprintf("Service %s has externalTrafficPolicy: Local, and %d of %d node(s) run no ready pod of it", svc.Name, len(without), len(s.Nodes)),
			Evidence: evidence,
			Fix:      diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"externalTrafficPolicy": string(corev1.ServiceExternalTrafficPolicyCluster)}}),
			Verify:   diagnose.GetCmd(ref, "-o", "jsonpath={.spec.externalTrafficPolicy}"),
			Origin:   originOf(s, ref),
		})
	}
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

// The default --service-node-port-range of the API server.
const (
	nodePortMin = 30000
	nodePortMax = 32767
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
		ref := snapshot.Ref(snapshot.KindService, svc)
		for i, sp := range svc.Spec.Ports {
			if sp.NodePort == 0 {
				continue
			}
			var cause, symptom string
			switch {
			case sp.NodePort < nodePortMin || sp.NodePort > nodePortMax:
				symptom = fmt.Sprintf("kubectl apply fails: The Service %q is invalid: spec.ports[%d].nodePort: Invalid value: %d: provided port is not in the valid range. The range of valid ports is %d-%d", svc.Name, i, sp.NodePort, nodePortMin, nodePortMax)
				cause = fmt.Sprintf("nodePort %d is outside the API server's default node port range %d-%d (unless the cluster runs a custom --service-node-port-range)", sp.NodePort, nodePortMin, nodePortMax)
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
