// Package incidentgen builds cluster states as `kubectl get -A -o yaml` would
// print them, for the incident corpus (testdata/incidents) and for healthy
// stand-ins of real manifests (testdata/realworld).
//
// A Cluster is filled with the objects people create (nodes, workloads,
// Services, Ingresses, policies) and with the faults of one incident (a
// crash-looping container, a NotReady node); Build then derives what the
// controllers would have written for that state — ReplicaSets and Pods with
// full status, workload status, Endpoints and EndpointSlices — so that only
// the incident's fault is wrong and everything else is consistent with it.
// How the controllers, the kubelet and kubeadm behave is imitated in
// internal/clusterstate, which the benchmark dumps share; this package gives
// the objects their identity (content-derived UIDs, resourceVersions, ages)
// and holds the corpus.
//
//	c := incidentgen.New(time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC))
//	c.Background()
//	c.Deployment(incidentgen.App{Namespace: "shop", Name: "api", Containers: ...})
//	c.Service(incidentgen.Svc{Namespace: "shop", Name: "api", Selector: ...})
//	yaml, err := c.Render("what happened")
package incidentgen
