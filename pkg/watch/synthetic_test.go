package watch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// syntheticClients loads a generated cluster (internal/gen/synth) into fake
// clients: Secrets as metadata, the Gateway API objects into the dynamic
// client (served in v1), every other kind into the typed one.
func syntheticClients(t testing.TB, pods int, seed uint64) (*Clients, *fake.Clientset) {
	t.Helper()
	cluster := synth.Generate(synth.Config{Pods: pods, Seed: seed})
	var typedObjs, mdObjs, gwObjs []k8sruntime.Object
	for _, o := range cluster.Objects() {
		ro, ok := o.(k8sruntime.Object)
		if !ok {
			t.Fatalf("synthetic object %T is not a runtime.Object", o)
		}
		if sec, ok := ro.(*corev1.Secret); ok {
			mdObjs = append(mdObjs, &metav1.PartialObjectMetadata{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: sec.ObjectMeta,
			})
			continue
		}
		if _, _, err := scheme.Scheme.ObjectKinds(ro); err == nil {
			typedObjs = append(typedObjs, ro)
		} else {
			gwObjs = append(gwObjs, ro)
		}
	}
	typed := fake.NewClientset(typedObjs...)
	sch := k8sruntime.NewScheme()
	_ = metav1.AddMetaToScheme(sch)
	cl := &Clients{Typed: typed, Metadata: metadatafake.NewSimpleMetadataClient(sch, mdObjs...)}
	cl.Dynamic = serveGatewayAPI(t, typed, gwObjs...)
	return cl, typed
}

// gatewayResources are the Gateway API kinds a fake server serves in v1.
var gatewayResources = map[string]metav1.APIResource{
	snapshot.KindGatewayClass:   {Name: "gatewayclasses", Kind: snapshot.KindGatewayClass},
	snapshot.KindGateway:        {Name: "gateways", Kind: snapshot.KindGateway, Namespaced: true},
	snapshot.KindHTTPRoute:      {Name: "httproutes", Kind: snapshot.KindHTTPRoute, Namespaced: true},
	snapshot.KindGRPCRoute:      {Name: "grpcroutes", Kind: snapshot.KindGRPCRoute, Namespaced: true},
	snapshot.KindReferenceGrant: {Name: "referencegrants", Kind: snapshot.KindReferenceGrant, Namespaced: true},
}

// serveGatewayAPI makes the fake typed client's discovery serve the
// Gateway API in v1 and returns a dynamic client holding objs.
func serveGatewayAPI(t testing.TB, typed *fake.Clientset, objs ...k8sruntime.Object) *dynamicfake.FakeDynamicClient {
	t.Helper()
	gv := schema.GroupVersion{Group: snapshot.GatewayGroup, Version: "v1"}
	list := &metav1.APIResourceList{GroupVersion: gv.String()}
	listKinds := map[schema.GroupVersionResource]string{}
	for _, r := range gatewayResources {
		list.APIResources = append(list.APIResources, r)
		listKinds[gv.WithResource(r.Name)] = r.Kind + "List"
	}
	typed.Resources = append(typed.Resources, list)
	sch := k8sruntime.NewScheme()
	if err := gwv1.Install(sch); err != nil {
		t.Fatal(err)
	}
	// A real server sends unstructured objects to a dynamic client; the
	// fake sends what it holds.
	var held []k8sruntime.Object
	for _, o := range objs {
		gvks, _, err := sch.ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		held = append(held, u)
	}
	// The fake's own scheme must not know the typed objects, or it hands
	// them out typed.
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), listKinds, held...)
}
