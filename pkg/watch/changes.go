package watch

import (
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// dnsNamespace holds cluster DNS, which is on the path of every pod that
// resolves a name: a change there is a change everywhere.
const dnsNamespace = "kube-system"

// changes gathers what changed since the last diagnosis: the namespaces
// touched, and why the whole cluster must be diagnosed again when a change
// is not confined to its namespace.
type changes struct {
	mu sync.Mutex
	// namespaces touched by namespaced objects, with whether a Pod was
	// among the changes there.
	namespaces map[string]bool
	// podNodes holds the Nodes of the changed Pods ("" for a Pod not
	// scheduled): a NotReady Node's finding names the pods on it.
	podNodes map[string]bool
	// wide says why the next diagnosis must cover the whole cluster;
	// empty when every change stays in its namespace.
	wide string
}

// batch is one diagnosis' worth of changes, taken from changes.
type batch struct {
	namespaces map[string]bool
	podNodes   map[string]bool
	wide       string
}

func (c *changes) note(kind string, prev, cur any) {
	ns, wide := classify(kind, prev, cur)
	c.mu.Lock()
	defer c.mu.Unlock()
	if wide != "" {
		if c.wide == "" {
			c.wide = wide
		}
		return
	}
	if c.namespaces == nil {
		c.namespaces = map[string]bool{}
	}
	c.namespaces[ns] = true
	if kind != snapshot.KindPod {
		return
	}
	if c.podNodes == nil {
		c.podNodes = map[string]bool{}
	}
	for _, obj := range []any{prev, cur} {
		if p, ok := obj.(*corev1.Pod); ok {
			c.podNodes[p.Spec.NodeName] = true
		} else if obj != nil {
			// A tombstone: the Pod's node is not known.
			c.podNodes[""] = true
		}
	}
}

// widen makes the next diagnosis cover the whole cluster.
func (c *changes) widen(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wide == "" {
		c.wide = why
	}
}

// empty reports whether nothing changed since the last take.
func (c *changes) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wide == "" && len(c.namespaces) == 0
}

// take returns the changes so far and starts a new batch.
func (c *changes) take() batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := batch{namespaces: c.namespaces, podNodes: c.podNodes, wide: c.wide}
	c.namespaces, c.podNodes, c.wide = nil, nil, ""
	return b
}

// sortedNamespaces lists the touched namespaces in name order, for logs.
func (b batch) sortedNamespaces() []string {
	out := make([]string, 0, len(b.namespaces))
	for ns := range b.namespaces {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// classify returns the namespace of a change, or why it reaches beyond
// its namespace: a change of a cluster-scoped object, of an object in a
// context namespace (contextNamespace) or of an object the checks read
// across namespaces (readAcross), before or after the change.
func classify(kind string, prev, cur any) (namespace, wide string) {
	if clusterScopedKinds[kind] {
		return "", kind + " changed (cluster-scoped)"
	}
	for _, obj := range []any{prev, cur} {
		if obj == nil {
			continue
		}
		ns, ok := namespaceOf(obj)
		if !ok {
			return "", kind + " changed (namespace unknown)"
		}
		namespace = ns
		if why := contextNamespace(kind, ns, obj); why != "" {
			return "", why
		}
		if why := readAcross(kind, obj); why != "" {
			return "", why
		}
	}
	return namespace, ""
}

// contextNamespace says why every object of the namespace obj sits in is
// on the paths of other namespaces: cluster DNS in kube-system, a
// controller that serves Ingresses or Gateways of every namespace, and a
// Gateway or ListenerSet (their listeners read Secrets and Services of
// their namespace for routes of every namespace). Every partial diagnosis
// reads these namespaces whole.
func contextNamespace(kind, ns string, obj any) string {
	if ns == dnsNamespace {
		return kind + " changed in " + dnsNamespace + " (cluster DNS)"
	}
	if kind == snapshot.KindGateway || kind == snapshot.KindListenerSet {
		return kind + " changed (its listeners serve routes of every namespace)"
	}
	if p, ok := obj.(*corev1.Pod); ok && isControllerPod(p) {
		return "ingress or gateway controller Pod changed"
	}
	return ""
}

// readAcross says why the checks read obj when they judge objects of
// other namespaces: Ingresses (host and path conflicts, the ingress
// controller's reach), NetworkPolicies (namespace selectors), Gateway API
// routes, grants and policies (a route's parent Gateway, its backends and
// their grants live in other namespaces), Services on
// node ports or load balancers (node ports are unique cluster-wide) and
// ExternalName Services (they name a Service elsewhere), and Pods that
// bind a host port. Every partial diagnosis reads these objects.
func readAcross(kind string, obj any) string {
	switch {
	case kind == snapshot.KindIngress || kind == snapshot.KindNetworkPolicy:
		return kind + " changed (read across namespaces)"
	case isGatewayKind(kind):
		return kind + " changed (Gateway API objects refer to each other across namespaces)"
	}
	switch o := obj.(type) {
	case *corev1.Service:
		if o.Spec.Type != "" && o.Spec.Type != corev1.ServiceTypeClusterIP {
			return "Service of type " + string(o.Spec.Type) + " changed (node ports and external names are cluster-wide)"
		}
	case *corev1.Pod:
		for _, c := range o.Spec.Containers {
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					return "Pod with a host port changed"
				}
			}
		}
	}
	return ""
}

// controllerImages and controllerNames recognise the pods of ingress and
// Gateway API controllers by image and by the name label their charts
// set, as the ingress, gateway and network policy checks look for them.
var (
	controllerImages = []string{"ingress-nginx", "nginx-ingress", "ingress-controller", "envoyproxy/", "cilium/operator",
		"istio/pilot", "istio/istiod", "istio/proxy", "nginx-gateway-fabric", "kgateway", "projectcontour/", "traefik", "kong/", "haproxy"}
	controllerNames = []string{"ingress-nginx", "nginx-ingress", "traefik", "haproxy-ingress", "kubernetes-ingress",
		"contour", "envoy", "kong", "istiod", "istio-ingressgateway"}
)

// isControllerPod reports whether p runs an ingress or gateway controller.
func isControllerPod(p *corev1.Pod) bool {
	for _, key := range []string{"app.kubernetes.io/name", "app", "run"} {
		if v, ok := p.Labels[key]; ok && slices.Contains(controllerNames, v) {
			return true
		}
	}
	for _, c := range p.Spec.Containers {
		for _, img := range controllerImages {
			if strings.Contains(c.Image, img) {
				return true
			}
		}
		for _, a := range slices.Concat(c.Command, c.Args) {
			if strings.HasPrefix(a, "--controller-class") || strings.HasPrefix(a, "--ingress-class") {
				return true
			}
		}
	}
	return false
}

// namespaceOf reads an object's namespace, also from the tombstone of an
// object deleted while the watch was down.
func namespaceOf(obj any) (string, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		ns, _, err := cache.SplitMetaNamespaceKey(t.Key)
		return ns, err == nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", false
	}
	return m.GetNamespace(), true
}

func isGatewayKind(kind string) bool {
	for _, k := range snapshot.GatewayAPIKinds {
		if k == kind {
			return true
		}
	}
	return false
}
