package checks

// LoadBalancer Services: pods without a readiness probe behind the cloud
// load balancer, and load balancers that were never provisioned.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var exposureLBNoReadinessProbe = &diagnose.Check{
	ID:       "exposure-lb-no-readiness-probe",
	Layer:    diagnose.LayerExposure,
	Severity: diagnose.SeverityWarning,
	Doc:      "A LoadBalancer Service sends external traffic to pods whose serving container has no readiness probe.",
	Run:      runExposureLBNoReadinessProbe,
}

var exposureLBPending = &diagnose.Check{
	ID:       "exposure-lb-pending",
	Layer:    diagnose.LayerExposure,
	Severity: diagnose.SeverityError,
	Doc:      "A LoadBalancer Service read from a cluster has no external address (EXTERNAL-IP <pending>).",
	Run:      runExposureLBPending,
}

// exposureUnprobed returns the containers of p that serve svc without a
// readiness probe. When no container declares the target port, the pod is
// judged as a whole: it is unprobed only if no container has a probe.
func exposureUnprobed(p *corev1.Pod, svc *corev1.Service) []string {
	var out []string
	seen := map[string]bool{}
	undeclared := false
	for _, sp := range svc.Spec.Ports {
		name := declaringContainer(p, sp)
		if name == "" {
			undeclared = true
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if c, ok := containerNamed(p, name); ok && c.Spec.ReadinessProbe == nil {
			out = append(out, name)
		}
	}
	if !undeclared || len(seen) > 0 {
		return out
	}
	for _, c := range p.Spec.Containers {
		if c.ReadinessProbe != nil {
			return nil
		}
	}
	if len(p.Spec.Containers) == 1 {
		return []string{p.Spec.Containers[0].Name}
	}
	return []string{"*"}
}

func runExposureLBNoReadinessProbe(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, pods := range servicesWithPods(s) {
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		var evidence []string
		var fix string
		for _, g := range groupByOwner(s, pods) {
			unprobed := exposureUnprobed(g.Pods[0], svc)
			if len(unprobed) == 0 {
				continue
			}
			if unprobed[0] == "*" {
				evidence = append(evidence, fmt.Sprintf("%s: none of its containers has a readinessProbe", groupLabel(s, g)))
			} else if len(unprobed) == 1 {
				evidence = append(evidence, fmt.Sprintf("%s: container %s has no readinessProbe", groupLabel(s, g), unprobed[0]))
			} else {
				evidence = append(evidence, fmt.Sprintf("%s: containers %s have no readinessProbe", groupLabel(s, g), strings.Join(unprobed, ", ")))
			}
			if fix == "" {
				fix = exposureProbeFix(s, g, svc, unprobed[0])
				if g.Owner.Kind == snapshot.KindPod {
					evidence = append(evidence, "a bare Pod cannot gain a probe in place: kubectl edit saves the rejected change to a file; recreate the pod from it with `kubectl replace --force -f <that file>`")
				}
			}
		}
		if len(evidence) == 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		evidence = append([]string{fmt.Sprintf("type LoadBalancer, ports: %s", strings.Join(servicePortsText(svc), "; "))}, evidence...)
		evidence = append(evidence, "without a readiness probe a pod counts as ready as soon as its containers start: the endpoints and the cloud load balancer's health checks send traffic to pods that are not serving yet, or any more")
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  "the external IP exists, but clients see timeouts or resets while pods start, restart or roll out",
			Cause:    fmt.Sprintf("LoadBalancer Service %s routes to pods with no readiness probe, so nothing holds back traffic from pods that are not serving", svc.Name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.Kubectl("get", "pods", "-n", svc.Namespace, "-l", selectorText(svc.Spec.Selector)),
			Origin:   originOf(s, ref),
		})
	}
}

// exposureProbeFix adds a TCP readiness probe on the served port to the
// workload's template. A bare Pod cannot gain a probe in place: kubectl edit
// then saves the change for `kubectl replace --force`.
func exposureProbeFix(s *snapshot.Snapshot, g podGroup, svc *corev1.Service, container string) string {
	w := s.Workload(g.Owner)
	p := g.Pods[0]
	if w == nil || w.Ref.Kind == snapshot.KindCronJob {
		return diagnose.EditCmd(g.Owner)
	}
	if container == "*" {
		return diagnose.EditCmd(w.Ref)
	}
	ptr := ""
	if c, ok := containerNamed(p, container); ok {
		ptr = c.specPath()
	}
	var port *intstr.IntOrString
	for _, sp := range svc.Spec.Ports {
		n, declared, ok := snapshot.ResolveTargetPort(p, sp)
		if !ok || snapshot.ProtocolOrTCP(sp.Protocol) != corev1.ProtocolTCP {
			continue
		}
		switch {
		case declared != nil && declared.Container == container && declared.Port.Name != "":
			// Probing the port by name keeps the probe right when the
			// number changes.
			v := intstr.FromString(declared.Port.Name)
			port = &v
		case declared == nil:
			// The Service targets a port the container does not declare;
			// when it declares exactly one TCP port, that is where the app
			// listens, and the probe must not inherit the Service's mistake.
			v := intstr.FromInt32(n)
			if only, ok := exposureOnlyTCPPort(p, container); ok {
				v = intstr.FromInt32(only)
			}
			port = &v
		case declared.Container == container:
			v := intstr.FromInt32(n)
			port = &v
		default:
			continue
		}
		break
	}
	if ptr == "" || port == nil {
		return diagnose.EditCmd(w.Ref)
	}
	probe := map[string]any{
		"tcpSocket":     map[string]any{"port": *port},
		"periodSeconds": 5,
	}
	return diagnose.JSONPatchCmd(w.Ref, diagnose.JSONPatchOp{Op: "add", Path: "/spec/template/spec" + ptr + "/readinessProbe", Value: probe})
}

func runExposureLBPending(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		if !fromCluster(s, svc) {
			r.NotChecked(ref, "a manifest carries no status: cannot tell whether the load balancer got an external address")
			continue
		}
		if len(svc.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		evidence := []string{"status.loadBalancer.ingress is empty: `kubectl get svc` shows EXTERNAL-IP <pending>"}
		if svc.Spec.LoadBalancerClass != nil {
			evidence = append(evidence, fmt.Sprintf("spec.loadBalancerClass: %q: only a controller for that class provisions it, the cloud provider's does not", *svc.Spec.LoadBalancerClass))
		}
		events := eventLines(s, ref, []string{"SyncLoadBalancerFailed", "EnsuringLoadBalancer", "EnsuredLoadBalancer", "LoadBalancerUpdateFailed"})
		evidence = append(evidence, events...)
		cause := fmt.Sprintf("no load balancer was provisioned for Service %s", svc.Name)
		fix := diagnose.EditCmd(ref)
		switch {
		case len(events) > 0 && strings.Contains(events[0], "could not find any suitable subnets"):
			// The AWS cloud controller picks subnets by tag; naming them on
			// the Service works without access to the VPC's tags.
			cause += ": the AWS cloud controller finds no subnet tagged for load balancers"
			evidence = append(evidence, "subnets are found by tag kubernetes.io/role/elb=1 (internal: kubernetes.io/role/internal-elb=1) and kubernetes.io/cluster/<cluster>; tag them, or name them on the Service")
			fix = diagnose.KubectlOn([]string{"annotate", "service", "-n", svc.Namespace}, svc.Name,
				"service.beta.kubernetes.io/aws-load-balancer-subnets=<subnet-id>,<subnet-id in another zone>")
		case len(events) > 0 && strings.Contains(events[0], "Failed"):
			cause += ": the cloud controller reports a failure"
			if lbQuotaExhausted(events[0]) {
				// Nothing in the Service is wrong: the account is out of
				// load balancers or public addresses.
				cause += "; the cloud account's quota is used up: raise the limit or release unused load balancers or public IPs, and the controller retries on its own"
			}
		case len(events) == 0 && s.Knows(snapshot.KindEvent, svc.Namespace):
			evidence = append(evidence, "no EnsuringLoadBalancer Event: no controller acted on this Service (a bare-metal cluster needs a load-balancer implementation such as MetalLB)")
			cause += ": no controller acted on it"
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("`kubectl get svc %s -n %s` shows EXTERNAL-IP <pending>: there is no external address to connect to", svc.Name, svc.Namespace),
			Cause:    cause,
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.GetCmd(ref),
			Origin:   originOf(s, ref),
		})
	}
}

// exposureOnlyTCPPort returns the container's single declared TCP port.
func exposureOnlyTCPPort(p *corev1.Pod, container string) (int32, bool) {
	for _, c := range p.Spec.Containers {
		if c.Name != container {
			continue
		}
		var tcp []int32
		for _, cp := range c.Ports {
			if snapshot.ProtocolOrTCP(cp.Protocol) == corev1.ProtocolTCP {
				tcp = append(tcp, cp.ContainerPort)
			}
		}
		if len(tcp) == 1 {
			return tcp[0], true
		}
	}
	return 0, false
}

// lbQuotaExhausted reports whether a cloud controller's failure message is
// a quota or limit being reached ("Limit for non-ephemeral regional public
// IP per tenant of 50 has been already reached", "TooManyLoadBalancers",
// "QuotaExceeded").
func lbQuotaExhausted(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "quota") || strings.Contains(m, "toomanyloadbalancers") ||
		strings.Contains(m, "limit") && (strings.Contains(m, "reached") || strings.Contains(m, "exceeded"))
}
