package snapshot

// RemovedAPI is an API version of a kind that API servers no longer serve.
// Manifests and old clusters' dumps still hold such objects; the loader reads
// them into the current types and records the version they were written in
// (Origin.APIVersion), so that a check can say `kubectl apply` fails on them.
type RemovedAPI struct {
	APIVersion string // the version as written, e.g. extensions/v1beta1
	Kind       string
	RemovedIn  string // the first Kubernetes release that no longer serves it
	Current    string // the apiVersion to write instead
}

// RemovedAPIs lists the removed versions of the kinds hopscope models, as the
// Kubernetes deprecated API migration guide gives them.
var RemovedAPIs = []RemovedAPI{
	{APIVersion: "extensions/v1beta1", Kind: KindDeployment, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "extensions/v1beta1", Kind: KindDaemonSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "extensions/v1beta1", Kind: KindReplicaSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "extensions/v1beta1", Kind: KindNetworkPolicy, RemovedIn: "1.16", Current: "networking.k8s.io/v1"},
	{APIVersion: "extensions/v1beta1", Kind: KindIngress, RemovedIn: "1.22", Current: "networking.k8s.io/v1"},
	{APIVersion: "apps/v1beta1", Kind: KindDeployment, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "apps/v1beta1", Kind: KindStatefulSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "apps/v1beta2", Kind: KindDeployment, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "apps/v1beta2", Kind: KindDaemonSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "apps/v1beta2", Kind: KindReplicaSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "apps/v1beta2", Kind: KindStatefulSet, RemovedIn: "1.16", Current: "apps/v1"},
	{APIVersion: "networking.k8s.io/v1beta1", Kind: KindIngress, RemovedIn: "1.22", Current: "networking.k8s.io/v1"},
	{APIVersion: "networking.k8s.io/v1beta1", Kind: KindIngressClass, RemovedIn: "1.22", Current: "networking.k8s.io/v1"},
	{APIVersion: "discovery.k8s.io/v1beta1", Kind: KindEndpointSlice, RemovedIn: "1.25", Current: "discovery.k8s.io/v1"},
	{APIVersion: "batch/v1beta1", Kind: KindCronJob, RemovedIn: "1.25", Current: "batch/v1"},
}

// RemovedAPIOf returns the entry of RemovedAPIs for apiVersion and kind.
func RemovedAPIOf(apiVersion, kind string) (RemovedAPI, bool) {
	for _, r := range RemovedAPIs {
		if r.APIVersion == apiVersion && r.Kind == kind {
			return r, true
		}
	}
	return RemovedAPI{}, false
}
