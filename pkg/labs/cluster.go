package labs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// FieldManager is the server-side apply field manager of every lab write, so
// that `kubectl get -o yaml --show-managed-fields` tells lab objects apart.
const FieldManager = "hopscope-lab"

// The local practice cluster (`hopscope lab up`) carries this ConfigMap. Labs
// that break something cluster-wide run without an explicit flag only where
// it exists.
const (
	LocalClusterMarkerNamespace = "kube-system"
	LocalClusterMarkerName      = "hopscope-lab-cluster"
)

// RestoreReplicasAnnotation remembers, on a Deployment a cluster-wide lab
// scaled, the replica count to restore on fix or reset.
const RestoreReplicasAnnotation = "hopscope.dev/lab-restore-replicas"

// RefusalError is a lab operation hopscope will not do because it would
// touch something the lab does not own, or break a cluster the user did not
// agree to break. Nothing was written when it is returned.
type RefusalError struct{ Reason string }

func (e *RefusalError) Error() string { return e.Reason }

// NotStartedError says a lab's namespace does not exist.
type NotStartedError struct{ Lab *Lab }

func (e *NotStartedError) Error() string {
	return fmt.Sprintf("lab %s is not running (no namespace %s): start it with `hopscope lab start %s`", e.Lab.ID, e.Lab.Namespace(), e.Lab.ID)
}

// Cluster runs labs on one Kubernetes cluster. It only ever writes into the
// namespaces a lab owns (created by it and labelled ManagedByLabel), plus,
// for a cluster-wide lab the user agreed to, the one object that lab breaks.
type Cluster struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	Mapper  meta.RESTMapper
	// Poll is how often waits look again; 500ms when zero.
	Poll time.Duration
}

// StartOptions shape `lab start`.
type StartOptions struct {
	// AllowClusterWide lets a cluster-wide lab run on a cluster that is not
	// hopscope's local practice cluster.
	AllowClusterWide bool
}

// IsLocal reports whether the cluster is hopscope's local practice cluster.
func (c *Cluster) IsLocal(ctx context.Context) (bool, error) {
	_, err := c.Client.CoreV1().ConfigMaps(LocalClusterMarkerNamespace).Get(ctx, LocalClusterMarkerName, metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
		return false, nil
	}
	return false, fmt.Errorf("look for the local cluster marker %s/%s: %w", LocalClusterMarkerNamespace, LocalClusterMarkerName, err)
}

// nsState is what a lab namespace looks like on the cluster.
type nsState int

const (
	nsAbsent nsState = iota
	nsOwned
	nsTerminating
)

// namespaceState reads one lab namespace and refuses one that exists
// without the lab's label: someone else's namespace is never touched.
func (c *Cluster) namespaceState(ctx context.Context, l *Lab, name string) (nsState, error) {
	ns, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nsAbsent, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read namespace %s: %w", name, err)
	}
	if ns.Labels[ManagedByLabel] != ManagedByValue || ns.Labels[LabLabel] != l.ID {
		return 0, &RefusalError{Reason: fmt.Sprintf(
			"namespace %s exists but was not created by `hopscope lab start %s` (it lacks the labels %s=%s and %s=%s); refusing to touch it. Delete or rename it yourself if it is yours to lose",
			name, l.ID, ManagedByLabel, ManagedByValue, LabLabel, l.ID)}
	}
	if ns.DeletionTimestamp != nil {
		return nsTerminating, nil
	}
	return nsOwned, nil
}

// Running reports whether every namespace of the lab exists and is owned
// by it; a foreign namespace of the same name is a RefusalError.
func (c *Cluster) Running(ctx context.Context, l *Lab) (bool, error) {
	for _, name := range l.Namespaces() {
		st, err := c.namespaceState(ctx, l, name)
		if err != nil {
			return false, err
		}
		if st != nsOwned {
			return false, nil
		}
	}
	return true, nil
}

// Start creates the lab's namespaces and applies its broken manifests with
// server-side apply; for a cluster-wide lab it then breaks the cluster
// object. It is idempotent: starting a running lab puts its objects back in
// their broken state. Every refusal is decided before the first write.
func (c *Cluster) Start(ctx context.Context, l *Lab, opt StartOptions) error {
	for _, name := range l.Namespaces() {
		st, err := c.namespaceState(ctx, l, name)
		if err != nil {
			return err
		}
		if st == nsTerminating {
			return fmt.Errorf("namespace %s is still being deleted from an earlier reset; wait for `kubectl get namespace %s` to report NotFound and start again", name, name)
		}
	}
	if l.ClusterWide {
		local, err := c.IsLocal(ctx)
		if err != nil {
			return err
		}
		if !local && !opt.AllowClusterWide {
			return &RefusalError{Reason: fmt.Sprintf(
				"lab %s breaks %s for the WHOLE cluster, and this is not hopscope's local practice cluster (no ConfigMap %s/%s). Run it on the local cluster (`hopscope lab up`), or pass --i-know-this-breaks-cluster-dns to break this one on purpose; `hopscope lab reset %s` restores it",
				l.ID, l.clusterTarget(), LocalClusterMarkerNamespace, LocalClusterMarkerName, l.ID)}
		}
	}
	return c.write(ctx, l, l.BrokenObjects, l.Namespaces(), c.breakCluster)
}

// ApplyFix applies the lab's fix manifests over the running lab and undoes
// its cluster-wide break, which is what the solution describes.
func (c *Cluster) ApplyFix(ctx context.Context, l *Lab) error {
	running, err := c.Running(ctx, l)
	if err != nil {
		return err
	}
	if !running {
		return &NotStartedError{Lab: l}
	}
	return c.write(ctx, l, l.FixObjects, nil, c.restoreCluster)
}

// write puts one state of the lab on the cluster: it creates the
// namespaces named (Start's; a fix finds them), applies objects (the broken
// or the fixed manifests), then, for a cluster-wide lab, changes the
// cluster object (break or restore). Every kind is resolved, and every
// GatewayClass the lab's Gateways name is looked up, before the first write,
// so that a cluster missing an API (the Gateway API, an old NetworkPolicy
// version) fails cleanly, naming all it lacks, instead of half-way.
func (c *Cluster) write(ctx context.Context, l *Lab, objects func() ([]PlacedObject, error), namespaces []string,
	clusterStep func(context.Context, *Lab) error) error {
	objs, err := objects()
	if err != nil {
		return err
	}
	if err := c.checkPrerequisites(ctx, l, objs); err != nil {
		return err
	}
	for _, name := range namespaces {
		if err := c.ensureNamespace(ctx, l, name); err != nil {
			return err
		}
	}
	if err := c.applyAll(ctx, l, objs); err != nil {
		return err
	}
	if l.ClusterBreak != nil {
		return clusterStep(ctx, l)
	}
	return nil
}

// Reset restores what a cluster-wide lab broke, deletes the lab's
// namespaces and waits until they are gone (or ctx ends). Namespaces that
// do not exist are fine; one the lab does not own is refused before
// anything is deleted.
func (c *Cluster) Reset(ctx context.Context, l *Lab) error {
	var present []string
	for _, name := range l.Namespaces() {
		st, err := c.namespaceState(ctx, l, name)
		if err != nil {
			return err
		}
		if st != nsAbsent {
			present = append(present, name)
		}
	}
	if l.ClusterBreak != nil {
		if err := c.restoreCluster(ctx, l); err != nil {
			return err
		}
	}
	for _, name := range present {
		err := c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", name, err)
		}
	}
	for _, name := range present {
		err := c.wait(ctx, "namespace "+name+" to be deleted", func() (bool, error) {
			_, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Settle waits until every Deployment of the lab has rolled out its current
// template: the controller saw the latest spec and every pod of the old
// template is gone. It does not wait for readiness, which a broken lab may
// never reach.
func (c *Cluster) Settle(ctx context.Context, l *Lab) error {
	for _, ns := range l.Namespaces() {
		err := c.wait(ctx, "the Deployments in "+ns+" to roll out", func() (bool, error) {
			list, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for i := range list.Items {
				if !rolledOut(&list.Items[i]) {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	if t := l.clusterScale(); t != nil {
		return c.wait(ctx, "deployment "+t.Namespace+"/"+t.Name+" to scale", func() (bool, error) {
			d, err := c.Client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return rolledOut(d), nil
		})
	}
	return nil
}

func rolledOut(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.Replicas == want
}

func (c *Cluster) wait(ctx context.Context, what string, done func() (bool, error)) error {
	poll := c.Poll
	if poll == 0 {
		poll = 500 * time.Millisecond
	}
	for {
		ok, err := done()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s: %w", what, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// OwnedNamespace is namespace name as Start creates it for the lab: the
// labels are how every later command knows the lab owns it.
func (l *Lab) OwnedNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{ManagedByLabel: ManagedByValue, LabLabel: l.ID},
		Annotations: map[string]string{
			"hopscope.dev/lab-title": l.Title,
		},
	}}
}

func (c *Cluster) ensureNamespace(ctx context.Context, l *Lab, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, l.OwnedNamespace(name), metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

func (c *Cluster) applyAll(ctx context.Context, l *Lab, objs []PlacedObject) error {
	owned := map[string]bool{}
	for _, ns := range l.Namespaces() {
		owned[ns] = true
	}
	for _, o := range objs {
		ns := o.Object.GetNamespace()
		if !owned[ns] {
			// Catalog validation makes this impossible; the check stays
			// because a write outside the lab's namespaces must never happen.
			return &RefusalError{Reason: fmt.Sprintf("%s: %s/%s would go to namespace %q, which lab %s does not own", o.Path, o.Object.GetKind(), o.Object.GetName(), ns, l.ID)}
		}
		gvk := o.Object.GroupVersionKind()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Path, err)
		}
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			return &RefusalError{Reason: fmt.Sprintf("%s: %s is cluster-scoped; labs only write into their own namespaces", o.Path, gvk.Kind)}
		}
		_, err = c.Dynamic.Resource(m.Resource).Namespace(ns).Apply(ctx, o.Object.GetName(), o.Object,
			metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		if err != nil {
			return fmt.Errorf("apply %s %s/%s from %s: %w", gvk.Kind, ns, o.Object.GetName(), o.Path, err)
		}
	}
	return nil
}

func (l *Lab) clusterScale() *ScaleTarget {
	if l.ClusterBreak == nil {
		return nil
	}
	return l.ClusterBreak.ScaleDeployment
}

// clusterTarget names what a cluster-wide lab breaks, for messages.
func (l *Lab) clusterTarget() string {
	if t := l.clusterScale(); t != nil {
		return fmt.Sprintf("deployment %s/%s (scaled to %d)", t.Namespace, t.Name, t.Replicas)
	}
	return "a cluster-wide object"
}

// breakCluster scales the lab's target Deployment after recording its
// replica count on it; a second start keeps the first record, so the count
// restored is the one from before the lab.
func (c *Cluster) breakCluster(ctx context.Context, l *Lab) error {
	t := l.clusterScale()
	deps := c.Client.AppsV1().Deployments(t.Namespace)
	d, err := deps.Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read deployment %s/%s that lab %s breaks: %w", t.Namespace, t.Name, l.ID, err)
	}
	if _, recorded := d.Annotations[RestoreReplicasAnnotation]; !recorded {
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		if err := c.annotate(ctx, t, strconv.Itoa(int(replicas))); err != nil {
			return err
		}
	}
	return c.scale(ctx, t, t.Replicas)
}

// restoreCluster scales the target back to the recorded count and drops
// the record. Without a record (the lab never broke it) it does nothing.
func (c *Cluster) restoreCluster(ctx context.Context, l *Lab) error {
	t := l.clusterScale()
	d, err := c.Client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read deployment %s/%s to restore it: %w", t.Namespace, t.Name, err)
	}
	rec, ok := d.Annotations[RestoreReplicasAnnotation]
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(rec), 10, 32)
	if err != nil || n < 0 {
		return fmt.Errorf("deployment %s/%s: annotation %s=%q is not a replica count; scale it back yourself", t.Namespace, t.Name, RestoreReplicasAnnotation, rec)
	}
	if err := c.scale(ctx, t, int32(n)); err != nil {
		return err
	}
	return c.annotate(ctx, t, "")
}

func (c *Cluster) scale(ctx context.Context, t *ScaleTarget, replicas int32) error {
	deps := c.Client.AppsV1().Deployments(t.Namespace)
	sc := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Namespace: t.Namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	if _, err := deps.UpdateScale(ctx, t.Name, sc, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("scale deployment %s/%s to %d: %w", t.Namespace, t.Name, replicas, err)
	}
	return nil
}

// annotate sets (or, with "", removes) the restore record on the target.
func (c *Cluster) annotate(ctx context.Context, t *ScaleTarget, value string) error {
	var v any = value
	if value == "" {
		v = nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{RestoreReplicasAnnotation: v}}})
	if err != nil {
		return err
	}
	_, err = c.Client.AppsV1().Deployments(t.Namespace).Patch(ctx, t.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("record replicas on deployment %s/%s: %w", t.Namespace, t.Name, err)
	}
	return nil
}

// IsRefusal reports whether err is a RefusalError.
func IsRefusal(err error) bool {
	var r *RefusalError
	return errors.As(err, &r)
}
