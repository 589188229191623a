// Package clusterstate imitates what a cluster's controllers, kubelet and
// installers write, for the programs that generate cluster dumps: the
// benchmark dumps of internal/gen/synth and the incident corpus of
// internal/incidentgen.
//
// Its one job is to know how Kubernetes derives state, so that a dump is
// consistent with the objects people created:
//   - the endpoints and EndpointSlice controllers: Endpoints and
//     EndpointSlices from a Service and the pods it selects (Endpoints,
//     EndpointSlices, FindPort);
//   - the workload controllers: a Deployment's ReplicaSet (ReplicaSet) and
//     the status of every workload kind (DeploymentStatus and the others);
//   - the kubelet and the API server: pod conditions, readiness, crash-loop
//     back-off, QoS class, default tolerations, pod-spec defaults, the image
//     names a container status reports, node conditions;
//   - the healthy background every real cluster has: CoreDNS behind kube-dns
//     as kubeadm installs it, and ingress-nginx's IngressClass.
//
// It exists so that a fix to how a controller is imitated is made once and
// both generators pick it up: two imitations of one controller drift apart.
//
// It does not choose names, UIDs, resourceVersions or timestamps: each
// generator has its own deterministic scheme for those (counters for dumps of
// 100k pods, content hashes for the corpus) and gives the objects this
// package derives their identity:
//
//	ep := clusterstate.Endpoints(svc, pods, now)
//	ep.UID, ep.ResourceVersion = nextUID(), nextRV()
//	for _, s := range clusterstate.EndpointSlices(svc, pods, now, zoneOf) {
//		s.Name = s.GenerateName + clusterstate.NameSuffix(rnd.Intn, 5)
//	}
package clusterstate
