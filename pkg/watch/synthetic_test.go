package watch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"

	"github.com/hopscope/hopscope/internal/gen/synth"
)

// syntheticClients loads a generated cluster (internal/gen/synth) into fake
// clients: Secrets as metadata, the Gateway API objects into the dynamic
// client, every other kind into the typed one.
func syntheticClients(t testing.TB, pods int, seed uint64) (*Clients, *fake.Clientset) {
	t.Helper()
	cluster := synth.Generate(synth.Config{Pods: pods, Seed: seed})
	var typedObjs, mdObjs []k8sruntime.Object
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
		}
	}
	typed := fake.NewClientset(typedObjs...)
	sch := k8sruntime.NewScheme()
	_ = metav1.AddMetaToScheme(sch)
	return &Clients{Typed: typed, Metadata: metadatafake.NewSimpleMetadataClient(sch, mdObjs...)}, typed
}
