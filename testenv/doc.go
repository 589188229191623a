// Package testenv runs a real Kubernetes control plane inside the current
// process, for hopscope's integration tests and for learners without a
// cluster (cmd/hopscope-lab).
//
// It starts etcd (go.etcd.io/etcd/server/v3/embed) and kube-apiserver
// (k8s.io/kubernetes/cmd/kube-apiserver/app/testing), then the controllers
// that decide what a networking diagnosis reads: the endpoints and
// EndpointSlice controllers, the deployment and replicaset controllers, the
// garbage collector and the namespace controller, all from
// k8s.io/kubernetes. No scheduler and no kubelet run; the Kubelet stand-in
// binds pods to Nodes, writes their status, and answers the API server's
// pods/proxy, services/proxy and pods/log through an HTTP CONNECT egress
// proxy with simulated apps and logs (see Kubelet for exactly what it
// simulates). Seed contents mirror a fresh kubeadm cluster with an
// ingress controller: CoreDNS behind kube-dns (10.96.0.10) and
// ingress-nginx with the default IngressClass "nginx".
//
// It is a nested module so that k8s.io/kubernetes and its replace
// directives stay out of hopscope's own go.mod.
//
//	c, err := testenv.Start(ctx, testenv.Options{})
//	if err != nil { ... }
//	defer c.Stop()
//	_ = c.WriteKubeconfig("/tmp/lab.kubeconfig")
package testenv
