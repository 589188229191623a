package source

import (
	"path/filepath"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// TestLoadConvertsRemovedAPIVersions reads one object per removed version
// and checks the fields that moved or took a default, and that the origin
// records the version the file wrote.
func TestLoadConvertsRemovedAPIVersions(t *testing.T) {
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	cases := []struct {
		file    string
		ref     snapshot.ObjectRef
		written string
		check   func(t *testing.T, s *snapshot.Snapshot)
	}{
		{"ingress-extensions-v1beta1.yaml", snapshot.ObjectRef{Kind: "Ingress", Namespace: "shop", Name: "web"}, "extensions/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			ing := s.Ingresses[0]
			if d := ing.Spec.DefaultBackend; d == nil || d.Service == nil || d.Service.Name != "fallback" || d.Service.Port.Number != 8080 {
				t.Errorf("defaultBackend %+v, want Service fallback port 8080", d)
			}
			paths := ing.Spec.Rules[0].HTTP.Paths
			if b := paths[0].Backend.Service; b.Name != "web" || b.Port.Name != "http" || b.Port.Number != 0 {
				t.Errorf("path / backend %+v, want Service web port name http", b)
			}
			if *paths[0].PathType != networkingv1.PathTypeImplementationSpecific || *paths[1].PathType != networkingv1.PathTypePrefix {
				t.Errorf("pathTypes %s, %s", *paths[0].PathType, *paths[1].PathType)
			}
			if b := paths[1].Backend.Service; b.Name != "api" || b.Port.Number != 80 {
				t.Errorf("path /api backend %+v", b)
			}
			if ing.Spec.TLS[0].SecretName != "shop-tls" || ing.Status.LoadBalancer.Ingress[0].IP != "203.0.113.10" {
				t.Errorf("tls %+v status %+v", ing.Spec.TLS, ing.Status)
			}
			if ing.APIVersion != "networking.k8s.io/v1" || ing.Kind != "Ingress" {
				t.Errorf("TypeMeta %s %s", ing.APIVersion, ing.Kind)
			}
		}},
		{"ingress-networking-v1beta1.yaml", snapshot.ObjectRef{Kind: "Ingress", Namespace: "shop", Name: "web"}, "networking.k8s.io/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			ing := s.Ingresses[0]
			p := ing.Spec.Rules[0].HTTP.Paths[0]
			if str(ing.Spec.IngressClassName) != "nginx" || *p.PathType != networkingv1.PathTypeExact || p.Backend.Service.Name != "web" || p.Backend.Service.Port.Number != 80 {
				t.Errorf("ingress %+v", ing.Spec)
			}
		}},
		{"ingressclass-v1beta1.yaml", snapshot.ObjectRef{Kind: "IngressClass", Name: "nginx"}, "networking.k8s.io/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			if c := s.IngressClasses[0]; c.Spec.Controller != "k8s.io/ingress-nginx" || c.APIVersion != "networking.k8s.io/v1" {
				t.Errorf("class %+v", c)
			}
		}},
		{"deployment-apps-v1beta1.yaml", snapshot.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "web"}, "apps/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			d := s.Deployments[0]
			want := map[string]string{"app": "web", "tier": "front"}
			if d.Spec.Selector == nil || !reflect.DeepEqual(d.Spec.Selector.MatchLabels, want) || !reflect.DeepEqual(d.Labels, want) {
				t.Errorf("selector %v labels %v, want both the template's labels", d.Spec.Selector, d.Labels)
			}
			if *d.Spec.Replicas != 3 || d.APIVersion != "apps/v1" {
				t.Errorf("replicas %d apiVersion %s", *d.Spec.Replicas, d.APIVersion)
			}
		}},
		{"deployment-extensions-v1beta1.yaml", snapshot.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "api"}, "extensions/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			d := s.Deployments[0]
			if !reflect.DeepEqual(d.Spec.Selector.MatchLabels, map[string]string{"app": "api"}) || !reflect.DeepEqual(d.Labels, map[string]string{"team": "payments"}) {
				t.Errorf("selector %v labels %v: a written selector and labels must be kept", d.Spec.Selector, d.Labels)
			}
		}},
		{"daemonset-extensions-v1beta1.yaml", snapshot.ObjectRef{Kind: "DaemonSet", Namespace: "monitoring", Name: "agent"}, "extensions/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			d := s.DaemonSets[0]
			if d.Spec.Selector == nil || d.Spec.Selector.MatchLabels["app"] != "agent" || d.Spec.UpdateStrategy.Type != appsv1.OnDeleteDaemonSetStrategyType {
				t.Errorf("selector %v strategy %q", d.Spec.Selector, d.Spec.UpdateStrategy.Type)
			}
		}},
		{"replicaset-apps-v1beta2.yaml", snapshot.ObjectRef{Kind: "ReplicaSet", Namespace: "shop", Name: "web-5d8f7c"}, "apps/v1beta2", func(t *testing.T, s *snapshot.Snapshot) {
			if r := s.ReplicaSets[0]; *r.Spec.Replicas != 2 || r.Spec.Selector.MatchLabels["app"] != "web" {
				t.Errorf("replicaset %+v", r.Spec)
			}
		}},
		{"statefulset-apps-v1beta1.yaml", snapshot.ObjectRef{Kind: "StatefulSet", Namespace: "shop", Name: "db"}, "apps/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			st := s.StatefulSets[0]
			if st.Spec.Selector == nil || st.Spec.Selector.MatchLabels["app"] != "db" || st.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType || st.Spec.ServiceName != "db" {
				t.Errorf("statefulset %+v", st.Spec)
			}
		}},
		{"statefulset-apps-v1beta2.yaml", snapshot.ObjectRef{Kind: "StatefulSet", Namespace: "shop", Name: "cache"}, "apps/v1beta2", func(t *testing.T, s *snapshot.Snapshot) {
			// v1beta2 already rolled StatefulSets by default.
			if st := s.StatefulSets[0]; st.Spec.UpdateStrategy.Type != "" {
				t.Errorf("strategy %q, want none set", st.Spec.UpdateStrategy.Type)
			}
		}},
		{"networkpolicy-extensions-v1beta1.yaml", snapshot.ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "allow-web"}, "extensions/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			np := s.NetworkPolicies[0]
			if np.Spec.Ingress[0].Ports[0].Port.IntValue() != 80 || np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["name"] != "ingress" || np.APIVersion != "networking.k8s.io/v1" {
				t.Errorf("policy %+v", np.Spec)
			}
		}},
		{"endpointslice-v1beta1.yaml", snapshot.ObjectRef{Kind: "EndpointSlice", Namespace: "shop", Name: "web-abc12"}, "discovery.k8s.io/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			ep := s.EndpointSlices[0].Endpoints[0]
			if str(ep.NodeName) != "node-1" || str(ep.Zone) != "eu-west-1a" || !reflect.DeepEqual(ep.DeprecatedTopology, map[string]string{"topology.kubernetes.io/region": "eu-west-1"}) {
				t.Errorf("nodeName %s zone %s topology %v", str(ep.NodeName), str(ep.Zone), ep.DeprecatedTopology)
			}
			if !*ep.Conditions.Ready || ep.TargetRef.Name != "web-1" || s.EndpointSlices[0].Ports[0].Port == nil || *s.EndpointSlices[0].Ports[0].Port != 80 {
				t.Errorf("endpoint %+v", ep)
			}
		}},
		{"cronjob-batch-v1beta1.yaml", snapshot.ObjectRef{Kind: "CronJob", Namespace: "shop", Name: "report"}, "batch/v1beta1", func(t *testing.T, s *snapshot.Snapshot) {
			if c := s.CronJobs[0]; c.Spec.Schedule != "0 3 * * *" || c.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image != "report:1" {
				t.Errorf("cronjob %+v", c.Spec)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "removed", c.file)
			s, err := Files{Paths: []string{path}}.Load()
			if err != nil {
				t.Fatal(err)
			}
			if s.SkippedTotal() != 0 || s.ObjectCount() != 1 {
				t.Fatalf("%d objects, skipped %v", s.ObjectCount(), s.Skipped)
			}
			o, ok := s.Origin(c.ref)
			if !ok || o.APIVersion != c.written || o.File != path {
				t.Errorf("origin of %s: %+v, want apiVersion %s", c.ref, o, c.written)
			}
			c.check(t, s)
		})
	}
}
