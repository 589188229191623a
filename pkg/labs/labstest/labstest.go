// Package labstest runs lab logic on fake Kubernetes clients that record
// every request: enough for what a lab command decides (refuse, report a
// lab that is not running, judge a diagnosis), and fast. What the API server
// really does with lab objects is tested against a real control plane in
// testenv.
//
//	c := labstest.NewCluster(lab.OwnedNamespace("hopscope-lab-1"))
//	err := c.Reset(ctx, lab)
//	if w := c.Writes(); len(w) > 0 { ... }
package labstest

import (
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/hopscope/hopscope/pkg/labs"
)

// Cluster is a labs.Cluster on fake clients; the fakes stay reachable so
// that a test can read the requests the lab code made.
type Cluster struct {
	*labs.Cluster
	Fake        *fake.Clientset
	FakeDynamic *dynamicfake.FakeDynamicClient
}

// NewCluster holds objs in a fake API that knows the built-in kinds.
func NewCluster(objs ...runtime.Object) *Cluster {
	cs := fake.NewClientset(objs...)
	dyn := dynamicfake.NewSimpleDynamicClient(scheme.Scheme)
	return &Cluster{
		Cluster:     &labs.Cluster{Client: cs, Dynamic: dyn, Mapper: testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme)},
		Fake:        cs,
		FakeDynamic: dyn,
	}
}

// Writes lists the recorded requests that change something, as "verb
// resource": a refusal must leave it empty.
func (c *Cluster) Writes() []string {
	var out []string
	for _, a := range append(c.Fake.Actions(), c.FakeDynamic.Actions()...) {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	return out
}
