package testenv

import (
	"context"
	"embed"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

//go:embed labs/*.yaml
var labsFS embed.FS

// Lab is one of the seed article's broken labs as a cluster holds it:
// manifests that break it, manifests that fix it, and the root cause
// hopscope must name.
type Lab struct {
	Number int
	Title  string
	// Namespace the lab's objects go to; lab 5 also changes kube-system.
	Namespace string
	// Check and Object are the root-cause finding of the broken lab.
	Check  string
	Object snapshot.ObjectRef
	// files are applied in order to break the lab; fix files repair it.
	files, fix []string
	// touches lists namespaces besides Namespace that the lab changes.
	touches []string
	// provisionLB names LoadBalancer Services whose fix includes the
	// address a cloud would provision (see Cluster.ProvisionLoadBalancer).
	provisionLB []string
}

// Labs returns the five labs of the seed article.
func Labs() []Lab {
	ref := func(kind, ns, name string) snapshot.ObjectRef {
		return snapshot.ObjectRef{Kind: kind, Namespace: ns, Name: name}
	}
	return []Lab{
		{Number: 1, Title: "ClusterIP Service selects no pods", Namespace: "lab1",
			Check: "service-selector-matches-no-pods", Object: ref(snapshot.KindService, "lab1", "api-svc"),
			files: []string{"lab1-broken.yaml"}, fix: []string{"lab1-fix.yaml"}},
		{Number: 2, Title: "NodePort opens a port on every node", Namespace: "lab2",
			Check: "exposure-nodeport", Object: ref(snapshot.KindService, "lab2", "node-svc"),
			files: []string{"api.yaml", "lab2-broken.yaml"}, fix: []string{"lab2-fix.yaml"}},
		{Number: 3, Title: "LoadBalancer targetPort the app does not listen on", Namespace: "lab3",
			Check: "service-target-port-missing", Object: ref(snapshot.KindService, "lab3", "lb-svc"),
			files: []string{"api.yaml", "lab3-broken.yaml"}, fix: []string{"lab3-fix.yaml"},
			provisionLB: []string{"lb-svc"}},
		{Number: 4, Title: "Ingress backend names a missing Service", Namespace: "lab4",
			Check: "ingress-backend-service-missing", Object: ref(snapshot.KindIngress, "lab4", "app-ingress"),
			files: []string{"api.yaml", "lab4-broken.yaml"}, fix: []string{"lab4-fix.yaml"}},
		{Number: 5, Title: "CoreDNS scaled to zero", Namespace: "lab5",
			Check: "dns-coredns-unavailable", Object: ref(snapshot.KindDeployment, "kube-system", "coredns"),
			files: []string{"api.yaml", "lab5-broken.yaml"}, fix: []string{"lab5-fix.yaml"},
			touches: []string{"kube-system"}},
	}
}

// Namespaces are the namespaces the lab changes.
func (l Lab) Namespaces() []string {
	return append([]string{l.Namespace}, l.touches...)
}

// Break applies the lab's broken manifests (creating its namespace) and
// waits until the controllers settled.
func (c *Cluster) Break(ctx context.Context, l Lab) error {
	ns := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", l.Namespace)
	if err := c.Apply(ctx, []byte(ns), ""); err != nil {
		return fmt.Errorf("lab %d: %w", l.Number, err)
	}
	return c.applyLab(ctx, l, l.files)
}

// Fix applies the lab's fix and waits until the controllers settled. The
// lab has no cloud, so where the fix is "a load balancer that works" it
// also plays the cloud's part (ProvisionLoadBalancer).
func (c *Cluster) Fix(ctx context.Context, l Lab) error {
	if err := c.applyLab(ctx, l, l.fix); err != nil {
		return err
	}
	for _, name := range l.provisionLB {
		if err := c.ProvisionLoadBalancer(ctx, l.Namespace, name); err != nil {
			return fmt.Errorf("lab %d: %w", l.Number, err)
		}
	}
	return nil
}

// FixPorts applies only the lab's fix manifests, without playing the cloud:
// what a user of a cluster without a load-balancer implementation gets.
func (c *Cluster) FixPorts(ctx context.Context, l Lab) error {
	return c.applyLab(ctx, l, l.fix)
}

// ProvisionLoadBalancer writes the status a cloud controller (or MetalLB)
// would write once it provisioned a load balancer for the Service: an
// external address, from the documentation range 203.0.113.0/24 so that it
// is never mistaken for a reachable one. Nothing listens there.
func (c *Cluster) ProvisionLoadBalancer(ctx context.Context, ns, name string) error {
	svc, err := c.Client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("provision load balancer for %s/%s: %w", ns, name, err)
	}
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return fmt.Errorf("provision load balancer for %s/%s: type is %s", ns, name, svc.Spec.Type)
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.10", IPMode: ptr(corev1.LoadBalancerIPModeVIP)}}
	if _, err := c.Client.CoreV1().Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("provision load balancer for %s/%s: %w", ns, name, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func (c *Cluster) applyLab(ctx context.Context, l Lab, files []string) error {
	for _, f := range files {
		b, err := labsFS.ReadFile("labs/" + f)
		if err != nil {
			return fmt.Errorf("lab %d: %w", l.Number, err)
		}
		if err := c.Apply(ctx, b, l.Namespace); err != nil {
			return fmt.Errorf("lab %d (%s): %w", l.Number, f, err)
		}
	}
	if err := c.WaitSettled(ctx, l.Namespaces()...); err != nil {
		return fmt.Errorf("lab %d: %w", l.Number, err)
	}
	return nil
}
