package synth

import (
	"bytes"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(Config{Pods: 500, Seed: 9})
	b := Generate(Config{Pods: 500, Seed: 9})
	if !reflect.DeepEqual(a.Objects(), b.Objects()) {
		t.Fatal("the same Config made different clusters")
	}
	var ya, yb bytes.Buffer
	if err := WriteCluster(&ya, a, YAML); err != nil {
		t.Fatal(err)
	}
	if err := WriteCluster(&yb, b, YAML); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ya.Bytes(), yb.Bytes()) {
		t.Fatal("the same cluster was written differently")
	}
}

func TestGenerateMix(t *testing.T) {
	c := Generate(Config{Pods: 20000, Seed: 1})
	if len(c.Pods) != 20000+2 { // plus the two CoreDNS pods
		t.Errorf("%d pods", len(c.Pods))
	}
	if n := c.Len(); n < 31000 || n > 36000 {
		t.Errorf("%d objects; the mix should make about 33k", n)
	}
	var crash, unready int
	for _, p := range c.Pods {
		cs := p.Status.ContainerStatuses[0]
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff":
			crash++
		case !cs.Ready:
			unready++
		}
	}
	if crash == 0 || unready == 0 || crash+unready > len(c.Pods)/10 {
		t.Errorf("%d crash-looping and %d unready pods: want a few of each", crash, unready)
	}
}

func TestEndpointsFollowReadiness(t *testing.T) {
	c := Generate(Config{Pods: 2000, Seed: 2})
	ready := map[string]bool{}
	for _, p := range c.Pods {
		ready[p.Namespace+"/"+p.Name] = p.Status.ContainerStatuses[0].Ready
	}
	drifted := 0
	for i, ep := range c.Endpoints {
		svc := c.Services[i]
		if ep.Name != svc.Name || ep.Namespace != svc.Namespace {
			t.Fatalf("endpoints %d belong to %s, service is %s", i, ep.Name, svc.Name)
		}
		if len(ep.Subsets) == 0 {
			drifted++
			continue
		}
		check := func(addrs []corev1.EndpointAddress, want bool) {
			for _, a := range addrs {
				if ready[ep.Namespace+"/"+a.TargetRef.Name] != want {
					t.Errorf("%s/%s lists pod %s with the wrong readiness", ep.Namespace, ep.Name, a.TargetRef.Name)
				}
			}
		}
		check(ep.Subsets[0].Addresses, true)
		check(ep.Subsets[0].NotReadyAddresses, false)
		if len(c.EndpointSlices[i].Endpoints) != len(ep.Subsets[0].Addresses)+len(ep.Subsets[0].NotReadyAddresses) {
			t.Errorf("%s: EndpointSlice and Endpoints disagree", ep.Name)
		}
	}
	if drifted == 0 {
		t.Error("no Service has drifted from its pods")
	}
}

// TestGatewayAPIObjects: one route per about ten Services, about one in
// twenty of them in another namespace than its Service with a
// ReferenceGrant in the Service's namespace, every route accepted on both
// listeners, and the HTTPS listener's certificate Secret present.
func TestGatewayAPIObjects(t *testing.T) {
	c := Generate(Config{Pods: 20000, Seed: 1})
	if len(c.GatewayClasses) != 1 || len(c.Gateways) != 1 || len(c.Secrets) != 1 {
		t.Fatalf("%d classes, %d gateways, %d secrets", len(c.GatewayClasses), len(c.Gateways), len(c.Secrets))
	}
	if n := len(c.HTTPRoutes); n < len(c.Services)/15 || n > len(c.Services)/8 {
		t.Errorf("%d HTTPRoutes for %d Services: want about one per ten", n, len(c.Services))
	}
	grants := map[string]bool{}
	for _, g := range c.ReferenceGrants {
		grants[g.Namespace+"/"+string(*g.Spec.To[0].Name)+" from "+string(g.Spec.From[0].Namespace)] = true
	}
	cross := 0
	for _, r := range c.HTTPRoutes {
		b := r.Spec.Rules[0].BackendRefs[0]
		if b.Namespace != nil && string(*b.Namespace) != r.Namespace {
			cross++
			if !grants[string(*b.Namespace)+"/"+string(b.Name)+" from "+r.Namespace] {
				t.Errorf("HTTPRoute %s/%s reaches %s/%s without a ReferenceGrant", r.Namespace, r.Name, *b.Namespace, b.Name)
			}
		}
		if len(r.Status.Parents) != 2 {
			t.Errorf("HTTPRoute %s/%s has %d parent statuses", r.Namespace, r.Name, len(r.Status.Parents))
		}
	}
	if share := float64(cross) / float64(len(c.HTTPRoutes)); share < 0.03 || share > 0.07 || cross != len(c.ReferenceGrants) {
		t.Errorf("%d of %d routes cross namespaces (%d grants): want about 5%%, one grant each", cross, len(c.HTTPRoutes), len(c.ReferenceGrants))
	}
	ref := c.Gateways[0].Spec.Listeners[1].TLS.CertificateRefs[0]
	if s := c.Secrets[0]; s.Name != string(ref.Name) || s.Namespace != c.Gateways[0].Namespace {
		t.Errorf("certificate %s, secret %s/%s", ref.Name, s.Namespace, s.Name)
	}
}
