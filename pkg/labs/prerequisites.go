package labs

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Gateway API labs need what a lab may not create itself: the Gateway
// API's CRDs and a GatewayClass, both cluster-scoped. Labs only ever write
// into their own namespaces, so the cluster has to bring them. hopscope's
// local cluster (`hopscope lab up`) installs the standard-channel CRDs and
// the GatewayClass LabGatewayClass; on any other cluster `lab start` names
// what is missing and how to add it, before it writes anything.
const (
	// GatewayAPIGroup is the API group of the Gateway API kinds.
	GatewayAPIGroup = "gateway.networking.k8s.io"
	// GatewayAPIRelease is the Gateway API release hopscope is built with
	// (sigs.k8s.io/gateway-api in go.mod), whose standard-channel CRDs the
	// local cluster installs.
	GatewayAPIRelease = "v1.6.3"
	// LabGatewayClass is the GatewayClass every lab Gateway names. The local
	// cluster creates it with LabGatewayController, which no controller
	// serves: no status is ever written there, and the labs are judged from
	// their spec.
	LabGatewayClass      = "hopscope-lab"
	LabGatewayController = "hopscope.dev/no-controller"
)

// GatewayAPIInstallCmd installs the standard-channel CRDs of GatewayAPIRelease.
const GatewayAPIInstallCmd = "kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/" +
	GatewayAPIRelease + "/standard-install.yaml"

// PrerequisiteError says a cluster lacks something a lab needs and cannot
// create itself (an API, a cluster-scoped object), and how to add it.
// Nothing was written when it is returned.
type PrerequisiteError struct {
	Lab *Lab
	// Missing names what the cluster lacks, one item each.
	Missing []string
	// Remedy says how to get it.
	Remedy string
}

func (e *PrerequisiteError) Error() string {
	return fmt.Sprintf("lab %s cannot run on this cluster, which lacks %s. %s", e.Lab.ID, strings.Join(e.Missing, "; "), e.Remedy)
}

// checkPrerequisites finds, before the first write, what the cluster lacks
// for objs: kinds it does not serve (all of them, not only the first), and
// the GatewayClasses the lab's Gateways name.
func (c *Cluster) checkPrerequisites(ctx context.Context, l *Lab, objs []PlacedObject) error {
	var unserved []string
	gatewayAPI := false
	seen := map[schema.GroupVersionKind]bool{}
	for _, o := range objs {
		gvk := o.Object.GroupVersionKind()
		if seen[gvk] {
			continue
		}
		seen[gvk] = true
		if _, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			unserved = append(unserved, fmt.Sprintf("%s (%s, used in %s)", gvk.Kind, gvk.GroupVersion(), o.Path))
			gatewayAPI = gatewayAPI || gvk.Group == GatewayAPIGroup
		}
	}
	if len(unserved) > 0 {
		e := &PrerequisiteError{Lab: l, Missing: []string{"the API for " + strings.Join(unserved, ", ")},
			Remedy: "Use a cluster that serves these kinds."}
		if gatewayAPI {
			e.Missing[0] = "the Gateway API: it does not serve " + strings.Join(unserved, ", ")
			e.Remedy = fmt.Sprintf("Practise on hopscope's local cluster (`hopscope lab up` installs the Gateway API %s standard-channel CRDs), or install them here: %s",
				GatewayAPIRelease, GatewayAPIInstallCmd)
		}
		return e
	}
	return c.checkGatewayClasses(ctx, l, objs)
}

// checkGatewayClasses makes sure every GatewayClass a lab Gateway names
// exists: without it the Gateway is a fault the learner did not cause
// (gateway-class-missing), and the lab could never pass.
func (c *Cluster) checkGatewayClasses(ctx context.Context, l *Lab, objs []PlacedObject) error {
	names := map[string]bool{}
	for _, o := range objs {
		if o.Object.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: GatewayAPIGroup, Kind: "Gateway"}) {
			continue
		}
		if name, _, _ := unstructured.NestedString(o.Object.Object, "spec", "gatewayClassName"); name != "" {
			names[name] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: GatewayAPIGroup, Kind: "GatewayClass"}, "v1")
	if err != nil {
		return &PrerequisiteError{Lab: l, Missing: []string{"the GatewayClass kind of the Gateway API"},
			Remedy: "Install the Gateway API standard-channel CRDs: " + GatewayAPIInstallCmd}
	}
	var missing []string
	for name := range names {
		_, err := c.Dynamic.Resource(m.Resource).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, name)
		case apierrors.IsForbidden(err):
			// The user may not read GatewayClasses: whether the class exists
			// cannot be told here, and the diagnosis says as much.
			continue
		case err != nil:
			return fmt.Errorf("read GatewayClass %s that lab %s's Gateways use: %w", name, l.ID, err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return &PrerequisiteError{Lab: l, Missing: []string{"GatewayClass " + strings.Join(missing, ", ") + ", which the lab's Gateways name"},
		Remedy: fmt.Sprintf("A lab writes only into its own namespaces and never creates this cluster-scoped object. Practise on hopscope's local cluster (`hopscope lab up` creates it), or create it here for your Gateway API implementation: "+
			"kubectl apply -f - <<<'{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GatewayClass\",\"metadata\":{\"name\":\"%s\"},\"spec\":{\"controllerName\":\"<your implementation's controllerName>\"}}'",
			missing[0])}
}
