package source

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ListedKind is one built-in kind the snapshot models, as the cluster
// serves it. A live scan lists it and a watch (pkg/watch) keeps an
// informer of it, both from ListedKinds, so the two read the same kinds.
type ListedKind struct {
	Kind     string
	Resource schema.GroupVersionResource
	// Namespaced kinds are listed in the scanned namespace; the others
	// cluster-wide.
	Namespaced bool
	// System kinds are what the DNS checks read from kube-system, listed
	// there too when a scan is scoped to another namespace.
	System bool
	// MetadataOnly kinds (Secrets) are read through the metadata API: the
	// server drops their data before the response is sent.
	MetadataOnly bool
}

// ListedKinds is the table of the built-in kinds a scan lists and a watch
// keeps, in the order a scan lists them. Adding a kind to the snapshot
// means adding a row here; the Gateway API kinds are discovered instead
// (live_gateway.go).
func ListedKinds() []ListedKind {
	core := corev1.SchemeGroupVersion
	apps := appsv1.SchemeGroupVersion
	batch := batchv1.SchemeGroupVersion
	networking := networkingv1.SchemeGroupVersion
	discovery := discoveryv1.SchemeGroupVersion
	return []ListedKind{
		{Kind: snapshot.KindNamespace, Resource: core.WithResource("namespaces")},
		{Kind: snapshot.KindNode, Resource: core.WithResource("nodes")},
		{Kind: snapshot.KindIngressClass, Resource: networking.WithResource("ingressclasses")},
		{Kind: snapshot.KindPod, Resource: core.WithResource("pods"), Namespaced: true, System: true},
		{Kind: snapshot.KindService, Resource: core.WithResource("services"), Namespaced: true, System: true},
		{Kind: snapshot.KindEndpoints, Resource: core.WithResource("endpoints"), Namespaced: true, System: true},
		{Kind: snapshot.KindEndpointSlice, Resource: discovery.WithResource("endpointslices"), Namespaced: true, System: true},
		{Kind: snapshot.KindIngress, Resource: networking.WithResource("ingresses"), Namespaced: true},
		{Kind: snapshot.KindNetworkPolicy, Resource: networking.WithResource("networkpolicies"), Namespaced: true},
		{Kind: snapshot.KindConfigMap, Resource: core.WithResource("configmaps"), Namespaced: true},
		{Kind: snapshot.KindSecret, Resource: core.WithResource("secrets"), Namespaced: true, MetadataOnly: true},
		{Kind: snapshot.KindEvent, Resource: core.WithResource("events"), Namespaced: true},
		{Kind: snapshot.KindDeployment, Resource: apps.WithResource("deployments"), Namespaced: true, System: true},
		{Kind: snapshot.KindStatefulSet, Resource: apps.WithResource("statefulsets"), Namespaced: true},
		{Kind: snapshot.KindDaemonSet, Resource: apps.WithResource("daemonsets"), Namespaced: true},
		{Kind: snapshot.KindReplicaSet, Resource: apps.WithResource("replicasets"), Namespaced: true, System: true},
		{Kind: snapshot.KindReplicationController, Resource: core.WithResource("replicationcontrollers"), Namespaced: true},
		{Kind: snapshot.KindJob, Resource: batch.WithResource("jobs"), Namespaced: true},
		{Kind: snapshot.KindCronJob, Resource: batch.WithResource("cronjobs"), Namespaced: true},
	}
}

// kinds is how a scan lists each of ListedKinds: through the REST client
// of the kind's group, or the metadata API. The clients are only reached
// when a LIST runs.
func kinds(cs kubernetes.Interface, md metadata.Interface) []kindList {
	clients := map[string]func() rest.Interface{
		corev1.GroupName:       func() rest.Interface { return cs.CoreV1().RESTClient() },
		appsv1.GroupName:       func() rest.Interface { return cs.AppsV1().RESTClient() },
		batchv1.GroupName:      func() rest.Interface { return cs.BatchV1().RESTClient() },
		networkingv1.GroupName: func() rest.Interface { return cs.NetworkingV1().RESTClient() },
		discoveryv1.GroupName:  func() rest.Interface { return cs.DiscoveryV1().RESTClient() },
	}
	listed := ListedKinds()
	out := make([]kindList, 0, len(listed))
	for _, k := range listed {
		gvk := k.Resource.GroupVersion().WithKind(k.Kind)
		fetch := typedList(clients[k.Resource.Group], k.Resource.Resource, gvk)
		if k.MetadataOnly {
			fetch = metadataList(md, k.Resource, gvk)
		}
		out = append(out, kindList{kind: k.Kind, resource: k.Resource.GroupResource().String(),
			namespaced: k.Namespaced, system: k.System, fetch: fetch})
	}
	return out
}
