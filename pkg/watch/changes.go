package watch

import (
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
// its namespace. The kinds and shapes below are read across namespaces by
// the checks or the walk:
//   - cluster-scoped kinds (Nodes, Namespaces, IngressClasses,
//     GatewayClasses) and anything in kube-system (cluster DNS);
//   - Gateway API objects: routes, Gateways, ListenerSets and
//     ReferenceGrants refer to each other across namespaces;
//   - Ingresses (host and path conflicts, the ingress controller's
//     namespace) and NetworkPolicies (namespace selectors, the ingress
//     controller's reach);
//   - Services exposed on node ports or load balancers (node ports are
//     unique cluster-wide) and ExternalName Services (they name a Service
//     in another namespace);
//   - Pods that run an ingress controller or bind a host port.
func classify(kind string, prev, cur any) (namespace, wide string) {
	if clusterScopedKinds[kind] {
		return "", kind + " changed (cluster-scoped)"
	}
	if isGatewayKind(kind) {
		return "", kind + " changed (Gateway API objects refer across namespaces)"
	}
	switch kind {
	case snapshot.KindIngress, snapshot.KindNetworkPolicy:
		return "", kind + " changed (read across namespaces)"
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
		if ns == dnsNamespace {
			return "", kind + " changed in " + dnsNamespace + " (cluster DNS)"
		}
		if why := crossNamespaceShape(obj); why != "" {
			return "", why
		}
	}
	return namespace, ""
}

// crossNamespaceShape says why a namespaced object of an otherwise
// namespace-local kind is read from other namespaces.
func crossNamespaceShape(obj any) string {
	switch o := obj.(type) {
	case *corev1.Service:
		if o.Spec.Type != "" && o.Spec.Type != corev1.ServiceTypeClusterIP {
			return "Service of type " + string(o.Spec.Type) + " changed (node ports and external names are cluster-wide)"
		}
	case *corev1.Pod:
		for _, c := range o.Spec.Containers {
			if strings.Contains(c.Image, "ingress") || strings.Contains(c.Image, "gateway") ||
				strings.Contains(strings.Join(c.Args, " "), "--controller-class") {
				return "ingress or gateway controller Pod changed"
			}
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					return "Pod with a host port changed"
				}
			}
		}
	}
	return ""
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
