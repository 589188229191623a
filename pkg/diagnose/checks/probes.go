package checks

// Where a container's probes connect: the one reading of httpGet,
// tcpSocket and grpc probes that the pod, service and exposure checks
// share.

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// probeTarget is the network target of a probe.
type probeTarget struct {
	Type string             // httpGet, tcpSocket or grpc
	Port intstr.IntOrString // number or name
	Path string             // httpGet only
	Host string             // httpGet/tcpSocket host; empty means the pod IP
	// field is the JSON pointer of the port, relative to the probe.
	field string
}

// probeTargetOf returns the port a probe connects to, or false for exec
// probes and nil probes.
func probeTargetOf(p *corev1.Probe) (probeTarget, bool) {
	switch {
	case p == nil:
		return probeTarget{}, false
	case p.HTTPGet != nil:
		path := p.HTTPGet.Path
		if path == "" {
			path = "/"
		}
		return probeTarget{Type: "httpGet", Port: p.HTTPGet.Port, Path: path, Host: p.HTTPGet.Host, field: "/httpGet/port"}, true
	case p.TCPSocket != nil:
		return probeTarget{Type: "tcpSocket", Port: p.TCPSocket.Port, Host: p.TCPSocket.Host, field: "/tcpSocket/port"}, true
	case p.GRPC != nil:
		return probeTarget{Type: "grpc", Port: intstr.FromInt32(p.GRPC.Port), field: "/grpc/port"}, true
	}
	return probeTarget{}, false
}

// String describes the probe target: "httpGet port 8081 path /healthz".
func (b probeTarget) String() string {
	out := b.Type + " port " + b.Port.String()
	if b.Path != "" {
		out += " path " + b.Path
	}
	if b.Host != "" {
		out += " host " + b.Host
	}
	return out
}

// probedPorts are the numeric ports a pod's probes connect to: a probed
// port is one the container listens on, declared or not. Named probe ports
// are resolved through the pod's declared ports.
func probedPorts(p *corev1.Pod) map[int32]bool {
	out := map[int32]bool{}
	named := map[string]int32{}
	for _, d := range snapshot.DeclaredPorts(p) {
		if d.Port.Name != "" {
			named[d.Port.Name] = d.Port.ContainerPort
		}
	}
	for _, c := range slices.Concat(p.Spec.Containers, p.Spec.InitContainers) {
		for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			t, ok := probeTargetOf(pr)
			switch {
			case !ok:
			case t.Port.Type == intstr.String:
				if n, ok := named[t.Port.StrVal]; ok {
					out[n] = true
				}
			case t.Port.IntVal != 0:
				out[t.Port.IntVal] = true
			}
		}
	}
	return out
}

// undeclaredProbes are the probes of p's own containers (not a mesh
// proxy's) that connect to a numeric port no container of p declares,
// quoted "container api readinessProbe httpGet port 8080 path /healthz". The
// kubelet needs no declaration, so a probe that passes there shows the
// declared ports are not the full list of where the pod listens.
func undeclaredProbes(p *corev1.Pod) []string {
	declared := map[int32]bool{}
	for _, d := range snapshot.DeclaredPorts(p) {
		declared[d.Port.ContainerPort] = true
	}
	var out []string
	for _, c := range p.Spec.Containers {
		if snapshot.IsSidecar(p, c.Name) {
			continue
		}
		for _, pr := range []struct {
			field string
			probe *corev1.Probe
		}{{"readinessProbe", c.ReadinessProbe}, {"livenessProbe", c.LivenessProbe}, {"startupProbe", c.StartupProbe}} {
			t, ok := probeTargetOf(pr.probe)
			if !ok || t.Port.Type != intstr.Int || t.Port.IntVal == 0 || declared[t.Port.IntVal] || meshProxyPorts[t.Port.IntVal] {
				continue
			}
			out = append(out, fmt.Sprintf("container %s %s %s", c.Name, pr.field, t))
		}
	}
	return out
}
