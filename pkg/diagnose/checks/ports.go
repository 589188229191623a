package checks

// Ports as a Service, an Ingress and a pod see them: resolving a Service
// port to the pod port and container that serve it (the endpoints
// controller's way, through snapshot.ResolveTargetPort), finding the
// Service port an Ingress backend names, and formatting ports for evidence.

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// protocolOrDefault is a protocol given by pointer (NetworkPolicy and
// EndpointSlice ports) with the API default, TCP, for nil.
func protocolOrDefault(p *corev1.Protocol) corev1.Protocol {
	if p == nil {
		return corev1.ProtocolTCP
	}
	return *p
}

// portText formats one port: "8080/TCP (http)".
func portText(port int32, proto corev1.Protocol, name string) string {
	out := fmt.Sprintf("%d/%s", port, proto)
	if name != "" {
		out += " (" + name + ")"
	}
	return out
}

// servicePortText formats one Service port the way `kubectl get svc`
// users read it: name, port/protocol, targetPort and nodePort.
func servicePortText(sp corev1.ServicePort) string {
	var b strings.Builder
	if sp.Name != "" {
		b.WriteString(sp.Name + " ")
	}
	fmt.Fprintf(&b, "%d/%s → targetPort %s", sp.Port, snapshot.ProtocolOrTCP(sp.Protocol), targetPortText(sp))
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == 0 {
		b.WriteString(" (defaults to port)")
	}
	if sp.NodePort != 0 {
		fmt.Fprintf(&b, ", nodePort %d", sp.NodePort)
	}
	return b.String()
}

// targetPortText is the effective targetPort of sp as text.
func targetPortText(sp corev1.ServicePort) string {
	t := snapshot.TargetPortOf(sp)
	if t.Type == intstr.String {
		return strconv.Quote(t.StrVal)
	}
	return strconv.Itoa(int(t.IntVal))
}

// servicePortsText lists every port of svc.
func servicePortsText(svc *corev1.Service) []string {
	out := make([]string, 0, len(svc.Spec.Ports))
	for _, sp := range svc.Spec.Ports {
		out = append(out, servicePortText(sp))
	}
	return out
}

// declaredPortsText formats the ports a pod declares, per container:
// "container app: 8080/TCP (http), 9090/TCP".
func declaredPortsText(p *corev1.Pod) string {
	ports := snapshot.DeclaredPorts(p)
	if len(ports) == 0 {
		return "no containerPorts declared"
	}
	var parts []string
	last := ""
	for _, d := range ports {
		item := portText(d.Port.ContainerPort, d.Protocol(), d.Port.Name)
		if d.Container != last {
			item = "container " + d.Container + ": " + item
			last = d.Container
		}
		parts = append(parts, item)
	}
	return strings.Join(parts, ", ")
}

// containerPortsText lists one container's declared ports: "8080/TCP
// (http), 9090/TCP", or "none".
func containerPortsText(c *corev1.Container) string {
	if len(c.Ports) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(c.Ports))
	for _, p := range c.Ports {
		parts = append(parts, portText(p.ContainerPort, snapshot.ProtocolOrTCP(p.Protocol), p.Name))
	}
	return strings.Join(parts, ", ")
}

// resolveTarget resolves Service port sp on pod p the way the endpoints
// controller does: the pod port number, the name the pod gives that port
// (if it declares it), and false when a named targetPort is declared
// nowhere.
func resolveTarget(p *corev1.Pod, sp corev1.ServicePort) (int32, string, bool) {
	port, declared, ok := snapshot.ResolveTargetPort(p, sp)
	if declared != nil {
		return port, declared.Port.Name, ok
	}
	return port, "", ok
}

// declaringContainer names the container of p that declares the pod port
// sp resolves to, "" when no container declares it.
func declaringContainer(p *corev1.Pod, sp corev1.ServicePort) string {
	if _, declared, ok := snapshot.ResolveTargetPort(p, sp); ok && declared != nil {
		return declared.Container
	}
	return ""
}

// servingContainer is the container of p that serves Service port sp: the
// one declaring the port it resolves to, else the first container.
func servingContainer(p *corev1.Pod, sp corev1.ServicePort) *corev1.Container {
	if c, ok := containerNamed(p, declaringContainer(p, sp)); ok {
		return c.Spec
	}
	if len(p.Spec.Containers) == 0 {
		return nil
	}
	return &p.Spec.Containers[0]
}

// backendServicePort finds the Service port an Ingress backend names, by
// name or by number.
func backendServicePort(svc *corev1.Service, port networkingv1.ServiceBackendPort) (corev1.ServicePort, bool) {
	for _, sp := range svc.Spec.Ports {
		if port.Name != "" && sp.Name == port.Name || port.Name == "" && sp.Port == port.Number {
			return sp, true
		}
	}
	return corev1.ServicePort{}, false
}

// backendPortText is the Service port an Ingress backend names, as written:
// its name, or its number.
func backendPortText(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// quotedBackendPort is backendPortText with a name quoted, for evidence
// that quotes the names it shows.
func quotedBackendPort(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return strconv.Quote(p.Name)
	}
	return backendPortText(p)
}
