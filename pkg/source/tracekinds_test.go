package source

import (
	"testing"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

func TestTraceKindsReadIngressesOnlyForIngressEntries(t *testing.T) {
	svc := TraceKinds([]string{"service/api"})
	if svc[snapshot.KindIngress] || svc[snapshot.KindSecret] || svc[snapshot.KindConfigMap] || !svc[snapshot.KindPod] || !svc[snapshot.KindEndpointSlice] {
		t.Fatalf("service trace kinds %v", svc)
	}
	for _, e := range []string{"ingress/web", "https://shop.example.com/x"} {
		k := TraceKinds([]string{e})
		if !k[snapshot.KindIngress] || !k[snapshot.KindIngressClass] || !k[snapshot.KindSecret] {
			t.Fatalf("%s: kinds %v", e, k)
		}
	}
}
