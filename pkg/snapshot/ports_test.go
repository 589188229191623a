package snapshot

import (
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestResolveTargetPort(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "setup", Ports: []corev1.ContainerPort{{Name: "setup", ContainerPort: 9999}}},
			{Name: "proxy", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001}}},
		},
		Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{
			{Name: "http", ContainerPort: 8080},
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
		}}},
	}}
	cases := []struct {
		name      string
		sp        corev1.ServicePort
		port      int32
		container string // "" when no declared port matches
		ok        bool
	}{
		{"named", corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("http")}, 8080, "app", true},
		{"named on a sidecar", corev1.ServicePort{Port: 15001, TargetPort: intstr.FromString("proxy")}, 15001, "proxy", true},
		{"named on a plain init container", corev1.ServicePort{Port: 1, TargetPort: intstr.FromString("setup")}, 0, "", false},
		{"named with another protocol", corev1.ServicePort{Port: 53, TargetPort: intstr.FromString("dns")}, 0, "", false},
		{"named with its protocol", corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")}, 53, "app", true},
		{"number declared", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(8080)}, 8080, "app", true},
		{"number undeclared", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(3000)}, 3000, "", true},
		{"default is the port", corev1.ServicePort{Port: 8080}, 8080, "app", true},
		{"default with another protocol", corev1.ServicePort{Port: 53}, 53, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port, declared, ok := ResolveTargetPort(pod, c.sp)
			container := ""
			if declared != nil {
				container = declared.Container
			}
			if port != c.port || ok != c.ok || container != c.container {
				t.Errorf("got port %d container %q ok %v, want %d %q %v", port, container, ok, c.port, c.container, c.ok)
			}
		})
	}
}

func TestAppPorts(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	cases := []struct {
		name string
		pod  corev1.PodSpec
		want []string // container/port of every app port
	}{
		{"istio-injected app that declares nothing", corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "istio-init"}},
			Containers: []corev1.Container{
				{Name: "reviews"},
				{Name: "istio-proxy", Ports: []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090}}},
			},
		}, nil},
		{"native sidecar and a metrics port", corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "envoy", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001}}},
			},
			Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080},
				{Name: "metrics", ContainerPort: 9090},
			}}},
		}, []string{"app/8080"}},
		{"an Envoy deployment serves on its own ports", corev1.PodSpec{
			Containers: []corev1.Container{{Name: "envoy", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
		}, []string{"envoy/8080"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, d := range AppPorts(&corev1.Pod{Spec: c.pod}) {
				got = append(got, d.Container+"/"+strconv.Itoa(int(d.Port.ContainerPort)))
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("AppPorts = %v, want %v", got, c.want)
			}
		})
	}
}
