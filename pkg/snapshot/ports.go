package snapshot

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DeclaredPort is one port a pod's container declares in spec.ports.
type DeclaredPort struct {
	Container string
	Port      corev1.ContainerPort
}

// Protocol is the port's protocol with the API default (TCP) applied, so
// that ports read from manifests compare equal to ports read from a cluster.
func (d DeclaredPort) Protocol() corev1.Protocol { return ProtocolOrTCP(d.Port.Protocol) }

// ProtocolOrTCP applies the API server's default protocol to a Service or
// container port.
func ProtocolOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// DeclaredPorts lists the ports a Service can target on p: those of its
// containers, then those of its sidecars (init containers with restartPolicy
// Always), in spec order. Plain init containers are left out because they
// have exited before the pod serves, which is also what the endpoints
// controller does when it resolves a named targetPort.
func DeclaredPorts(p *corev1.Pod) []DeclaredPort {
	var out []DeclaredPort
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			out = append(out, DeclaredPort{Container: c.Name, Port: port})
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, port := range c.Ports {
			out = append(out, DeclaredPort{Container: c.Name, Port: port})
		}
	}
	return out
}

// TargetPortOf returns the targetPort of a Service port with the API default
// applied: an unset targetPort means the Service port itself.
func TargetPortOf(sp corev1.ServicePort) intstr.IntOrString {
	if sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "" {
		return sp.TargetPort
	}
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0 {
		return sp.TargetPort
	}
	return intstr.FromInt32(sp.Port)
}

// ResolveTargetPort finds the pod port a Service port sends traffic to, the
// way the endpoints controller does: a numeric targetPort is used as it is,
// declared or not; a named one is looked up among DeclaredPorts by name and
// protocol. ok is false when a named targetPort does not resolve: the
// controller then leaves the pod out of that port's endpoints. The declared
// port is returned when one matches (by name, or by number and protocol).
func ResolveTargetPort(p *corev1.Pod, sp corev1.ServicePort) (port int32, declared *DeclaredPort, ok bool) {
	target := TargetPortOf(sp)
	proto := ProtocolOrTCP(sp.Protocol)
	ports := DeclaredPorts(p)
	if target.Type == intstr.String {
		for i := range ports {
			if ports[i].Port.Name == target.StrVal && ports[i].Protocol() == proto {
				return ports[i].Port.ContainerPort, &ports[i], true
			}
		}
		return 0, nil, false
	}
	for i := range ports {
		if ports[i].Port.ContainerPort == target.IntVal && ports[i].Protocol() == proto {
			return target.IntVal, &ports[i], true
		}
	}
	return target.IntVal, nil, true
}

// meshProxies are the names service meshes give the proxy container they
// inject next to an app. Such a container declares only its own admin and
// metrics ports, never the app's.
var meshProxies = map[string]bool{
	"istio-proxy": true, "linkerd-proxy": true, "envoy": true, "envoy-sidecar": true,
	"consul-dataplane": true, "consul-connect-envoy-sidecar": true, "kuma-sidecar": true,
}

// IsSidecar reports whether the container named name runs beside p's app
// rather than serving it: a native sidecar (an init container with
// restartPolicy Always), or a mesh proxy in a pod that has other containers.
// A pod whose only container is an Envoy is a proxy deployment, and Envoy is
// its app.
func IsSidecar(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
	}
	return meshProxies[name] && len(p.Spec.Containers) > 1
}

// IsMetricsPort reports whether a declared port is named as a metrics
// endpoint ("metrics", "http-metrics", Istio's "http-envoy-prom"): a port a
// scraper reads, never the one a Service's clients are meant to reach.
func IsMetricsPort(port corev1.ContainerPort) bool {
	name := strings.ToLower(port.Name)
	return strings.Contains(name, "metric") || strings.Contains(name, "prom")
}

// AppPorts lists the ports p's app containers declare for clients: those of
// its regular containers that are not sidecars, leaving out metrics ports. A
// Service's numeric targetPort can only be judged against these: a sidecar's
// or a metrics port says nothing about where the app listens.
func AppPorts(p *corev1.Pod) []DeclaredPort {
	var out []DeclaredPort
	for _, d := range DeclaredPorts(p) {
		if IsSidecar(p, d.Container) || IsMetricsPort(d.Port) {
			continue
		}
		out = append(out, d)
	}
	return out
}
