package clusterstate

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var changed = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// webPod is a Running pod of app web at ip on node-1 declaring TCP port
// http=8080, Ready unless edited.
func webPod(name, ip string, edit ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "web",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, Conditions: RunningConditions(metav1.Time{}, metav1.Time{}, metav1.Time{})},
	}
	for _, e := range edit {
		e(p)
	}
	return p
}

func webService(edit ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "svc-uid", Labels: map[string]string{"team": "shop"}},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.20", Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}},
	}
	for _, e := range edit {
		e(s)
	}
	return s
}

func notReady(p *corev1.Pod) { ContainersNotReady(p, "web", metav1.Time{}) }

func zoneA(string) string { return "zone-a" }

// summary is one row per subset: its ready addresses, "|", its not-ready
// addresses, "|", then each port's name and number.
func summary(ep *corev1.Endpoints) [][]any {
	var out [][]any
	for _, s := range ep.Subsets {
		var row []any
		for _, a := range s.Addresses {
			row = append(row, a.IP)
		}
		row = append(row, "|")
		for _, a := range s.NotReadyAddresses {
			row = append(row, a.IP)
		}
		row = append(row, "|")
		for _, p := range s.Ports {
			row = append(row, p.Name, p.Port)
		}
		out = append(out, row)
	}
	return out
}

func TestEndpointsFollowTheEndpointsController(t *testing.T) {
	tests := []struct {
		name string
		svc  *corev1.Service
		pods []*corev1.Pod
		want [][]any
	}{
		{"ready pods by numeric IP, named port resolved", webService(),
			[]*corev1.Pod{webPod("a", "10.244.1.10"), webPod("b", "10.244.1.9")},
			[][]any{{"10.244.1.9", "10.244.1.10", "|", "|", "http", int32(8080)}}},
		{"not-ready pod in notReadyAddresses", webService(),
			[]*corev1.Pod{webPod("a", "10.244.1.2"), webPod("b", "10.244.1.3", notReady)},
			[][]any{{"10.244.1.2", "|", "10.244.1.3", "|", "http", int32(8080)}}},
		{"publishNotReadyAddresses makes not-ready pods ready", webService(func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }),
			[]*corev1.Pod{webPod("a", "10.244.1.3", notReady)},
			[][]any{{"10.244.1.3", "|", "|", "http", int32(8080)}}},
		{"a pod without the named port is left out", webService(func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("web") }),
			[]*corev1.Pod{webPod("a", "10.244.1.2")}, nil},
		{"a named port of another protocol does not match", webService(func(s *corev1.Service) { s.Spec.Ports[0].Protocol = corev1.ProtocolUDP }),
			[]*corev1.Pod{webPod("a", "10.244.1.2")}, nil},
		{"numeric target needs no declared port", webService(func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt32(9000) }),
			[]*corev1.Pod{webPod("a", "10.244.1.2")},
			[][]any{{"10.244.1.2", "|", "|", "http", int32(9000)}}},
		{"terminating, finished and unaddressed pods are left out", webService(),
			[]*corev1.Pod{
				webPod("a", "10.244.1.2", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: changed} }),
				webPod("b", "10.244.1.3", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
				webPod("c", ""),
			}, nil},
		{"every port of the same addresses in one subset, by name", webService(func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "admin", Port: 81, TargetPort: intstr.FromInt32(9090), Protocol: corev1.ProtocolTCP})
		}),
			[]*corev1.Pod{webPod("a", "10.244.1.2")},
			[][]any{{"10.244.1.2", "|", "|", "admin", int32(9090), "http", int32(8080)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := Endpoints(tt.svc, tt.pods, changed)
			if got := summary(ep); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("subsets %v, want %v", got, tt.want)
			}
			if ep.Name != "web" || ep.Labels["team"] != "shop" || ep.Annotations[triggerTimeAnnotation] != "2026-03-14T10:00:00Z" {
				t.Errorf("metadata %+v", ep.ObjectMeta)
			}
		})
	}
}

func TestEndpointSlicesFollowTheEndpointSliceController(t *testing.T) {
	svc := webService()
	term := webPod("c", "10.244.1.4", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: changed} })
	slices := EndpointSlices(svc, []*corev1.Pod{webPod("b", "10.244.1.3"), webPod("a", "10.244.1.2", notReady), term}, changed, zoneA)
	if len(slices) != 1 {
		t.Fatalf("%d slices, want 1", len(slices))
	}
	s := slices[0]
	if s.GenerateName != "web-" || s.Labels[discoveryv1.LabelServiceName] != "web" || s.Labels[discoveryv1.LabelManagedBy] != EndpointSliceController ||
		s.Labels["team"] != "shop" || s.OwnerReferences[0].UID != "svc-uid" {
		t.Errorf("metadata %+v", s.ObjectMeta)
	}
	type ep struct {
		ip                          string
		ready, serving, terminating bool
		zone                        string
	}
	var got []ep
	for _, e := range s.Endpoints {
		got = append(got, ep{e.Addresses[0], *e.Conditions.Ready, *e.Conditions.Serving, *e.Conditions.Terminating, *e.Zone})
	}
	want := []ep{{"10.244.1.3", true, true, false, "zone-a"}, {"10.244.1.2", false, false, false, "zone-a"}, {"10.244.1.4", false, true, true, "zone-a"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints %+v, want %+v (in pod order)", got, want)
	}
	if len(s.Ports) != 1 || *s.Ports[0].Port != 8080 {
		t.Errorf("ports %+v", s.Ports)
	}

	// A pod without the named port is listed without ports, in a slice of
	// its own; no pod at all gives one placeholder slice.
	other := webPod("d", "10.244.1.5", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Name = "web" })
	if slices := EndpointSlices(svc, []*corev1.Pod{webPod("a", "10.244.1.2"), other}, changed, zoneA); len(slices) != 2 || slices[1].Ports != nil || len(slices[1].Endpoints) != 1 {
		t.Errorf("a pod without the port: %d slices, want 2, the second without ports", len(slices))
	}
	if slices := EndpointSlices(svc, nil, changed, zoneA); len(slices) != 1 || slices[0].Endpoints != nil || slices[0].Ports != nil {
		t.Errorf("no pods: %+v, want one placeholder slice", slices)
	}
}

func TestHeadlessServiceEndpoints(t *testing.T) {
	svc := webService(func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.Ports = corev1.ClusterIPNone, nil; s.Labels = nil })
	p := webPod("db-0", "10.244.1.2", func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "db-0", "web" })
	ep := Endpoints(svc, []*corev1.Pod{p}, changed)
	if len(ep.Subsets) != 1 || ep.Subsets[0].Ports != nil || ep.Subsets[0].Addresses[0].Hostname != "db-0" {
		t.Errorf("subsets %+v, want one without ports naming hostname db-0", ep.Subsets)
	}
	if _, ok := ep.Labels[corev1.IsHeadlessService]; !ok {
		t.Errorf("labels %v lack the headless mark", ep.Labels)
	}
	s := EndpointSlices(svc, []*corev1.Pod{p}, changed, func(string) string { return "" })[0]
	if _, ok := s.Labels[corev1.IsHeadlessService]; !ok || *s.Endpoints[0].Hostname != "db-0" || s.Endpoints[0].Zone != nil {
		t.Errorf("slice %+v", s)
	}
}

func TestSelectedPods(t *testing.T) {
	other := webPod("a", "10.244.1.4", func(p *corev1.Pod) { p.Namespace = "other" })
	api := webPod("b", "10.244.1.5", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "api"} })
	got := SelectedPods(webService(), []*corev1.Pod{webPod("z", "10.244.1.2"), other, api, webPod("c", "10.244.1.3")})
	if len(got) != 2 || got[0].Name != "c" || got[1].Name != "z" {
		t.Errorf("selected %v, want c and z of namespace shop", got)
	}
}
