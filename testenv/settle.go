package testenv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/internal/clusterstate"
)

// WaitSettled waits until the controllers and the kubelet stand-in have
// caught up with everything in the namespaces: every Deployment has the pods
// its spec asks for, every pod has been scheduled and given a status (or
// found unschedulable), no pod is still terminating, and each Service's
// Endpoints and EndpointSlices list exactly its ready pods. It does not
// wait for pods to become Ready: a broken lab's pods never do.
func (c *Cluster) WaitSettled(ctx context.Context, namespaces ...string) error {
	return c.WaitSettledWithin(ctx, settle, namespaces...)
}

// WaitSettledWithin is WaitSettled with a timeout per namespace, for
// namespaces holding thousands of pods.
func (c *Cluster) WaitSettledWithin(ctx context.Context, timeout time.Duration, namespaces ...string) error {
	for _, ns := range namespaces {
		var why string
		err := waitFor(ctx, timeout, "namespace "+ns+" to settle", func(ctx context.Context) (bool, error) {
			w, err := c.unsettled(ctx, ns)
			why = w
			return w == "" && err == nil, err
		})
		if err != nil {
			return fmt.Errorf("%w: %s", err, why)
		}
	}
	return nil
}

// unsettled says what in ns is still moving, or "" when nothing is.
func (c *Cluster) unsettled(ctx context.Context, ns string) (string, error) {
	deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, d := range deps.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		s := d.Status
		if s.ObservedGeneration < d.Generation || s.Replicas != want || s.UpdatedReplicas != want {
			return fmt.Sprintf("deployment %s has %d/%d updated replicas", d.Name, s.UpdatedReplicas, want), nil
		}
	}
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, p := range pods.Items {
		switch {
		case p.DeletionTimestamp != nil:
			return "pod " + p.Name + " is terminating", nil
		case hasCondition(&p, corev1.PodScheduled, corev1.ConditionFalse):
		case len(p.Status.ContainerStatuses) == 0:
			return "pod " + p.Name + " has no status yet", nil
		}
	}
	svcs, err := c.Client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	// One LIST each for Endpoints and EndpointSlices, not one per Service:
	// a namespace may hold a thousand Services.
	eps, err := c.Client.CoreV1().Endpoints(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	fromEndpoints := publishedAddresses{}
	for _, ep := range eps.Items {
		fromEndpoints.add(ep.Name)
		for _, s := range ep.Subsets {
			for _, a := range s.Addresses {
				fromEndpoints.add(ep.Name, a.IP)
			}
		}
	}
	slices, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	fromSlices := publishedAddresses{}
	for _, s := range slices.Items {
		svc := s.Labels[discoveryv1.LabelServiceName]
		fromSlices.add(svc)
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready {
				fromSlices.add(svc, e.Addresses...)
			}
		}
	}
	podRefs := make([]*corev1.Pod, len(pods.Items))
	for i := range pods.Items {
		podRefs[i] = &pods.Items[i]
	}
	for _, svc := range svcs.Items {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		want := readyIPs(&svc, podRefs)
		switch {
		case !fromEndpoints.has(svc.Name):
			return "service " + svc.Name + " has no Endpoints object yet", nil
		case !fromSlices.has(svc.Name):
			return "service " + svc.Name + " has no EndpointSlice yet", nil
		}
		if g := uniqueSorted(fromEndpoints[svc.Name]); g != want {
			return fmt.Sprintf("service %s Endpoints [%s], ready pods [%s]", svc.Name, g, want), nil
		}
		if g := uniqueSorted(fromSlices[svc.Name]); g != want {
			return fmt.Sprintf("service %s EndpointSlices [%s], ready pods [%s]", svc.Name, g, want), nil
		}
	}
	return "", nil
}

// publishedAddresses is what one kind of endpoint object (Endpoints or
// EndpointSlices) publishes per Service name: a Service is a key once such
// an object exists for it, even an empty one, and its value lists the ready
// addresses.
type publishedAddresses map[string][]string

func (p publishedAddresses) add(svc string, ips ...string) { p[svc] = append(p[svc], ips...) }

func (p publishedAddresses) has(svc string) bool {
	_, ok := p[svc]
	return ok
}

// readyIPs are the IPs of svc's Ready pods that are not terminating: what
// its Endpoints and EndpointSlices list as ready once the controllers have
// caught up, as one sorted, space-separated string.
func readyIPs(svc *corev1.Service, pods []*corev1.Pod) string {
	var ips []string
	for _, p := range clusterstate.SelectedPods(svc, pods) {
		if p.Status.PodIP != "" && p.DeletionTimestamp == nil && clusterstate.PodReady(p) {
			ips = append(ips, p.Status.PodIP)
		}
	}
	return uniqueSorted(ips)
}

func uniqueSorted(xs []string) string {
	slices.Sort(xs)
	return strings.Join(slices.Compact(xs), " ")
}

// WaitDeployment waits until the Deployment's controller caught up with its
// spec and every wanted replica is available (Ready); with replicas: 0,
// until none is left.
func (c *Cluster) WaitDeployment(ctx context.Context, ns, name string) error {
	return waitFor(ctx, settle, fmt.Sprintf("deployment %s/%s", ns, name), func(ctx context.Context) (bool, error) {
		d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
			s.Replicas == want && s.AvailableReplicas == want, nil
	})
}
