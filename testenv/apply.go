package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Field managers of server-side apply. Labs use their own so that applying
// a partial object (`spec.replicas: 0` for CoreDNS) changes only those
// fields and leaves the seed's fields alone.
const (
	seedManager = "hopscope-lab-seed"
	labManager  = "hopscope-lab-labs"
)

// applier server-side-applies manifests, as `kubectl apply --server-side
// --force-conflicts` does.
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(cfg *rest.Config) (*applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	_, mapper, err := discoveryMapper(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	return &applier{dyn: dyn, mapper: mapper}, nil
}

// Apply applies every document of a YAML manifest in order, as
// `kubectl apply --server-side --force-conflicts -n namespace` would.
// Namespaced objects without a namespace go to namespace.
func (c *Cluster) Apply(ctx context.Context, manifest []byte, namespace string) error {
	return c.applier.applyAll(ctx, manifest, namespace, labManager)
}

func (a *applier) applyAll(ctx context.Context, manifest []byte, namespace, manager string) error {
	return a.each(ctx, manifest, namespace, func(target dynamic.ResourceInterface, obj *unstructured.Unstructured) error {
		_, err := target.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: manager, Force: true})
		return err
	})
}

// createMissing creates the objects of manifest that do not exist yet and
// leaves existing ones as they are: a cluster restarted on its data
// directory keeps what the user changed (CoreDNS scaled to 0 stays at 0).
func (a *applier) createMissing(ctx context.Context, manifest []byte, namespace, manager string) error {
	return a.each(ctx, manifest, namespace, func(target dynamic.ResourceInterface, obj *unstructured.Unstructured) error {
		// Look first: creating an existing Service with a fixed clusterIP
		// fails on the IP ("already allocated"), not with AlreadyExists.
		_, err := target.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return err
		}
		_, err = target.Create(ctx, obj, metav1.CreateOptions{FieldManager: manager})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
}

func (a *applier) each(ctx context.Context, manifest []byte, namespace string, do func(dynamic.ResourceInterface, *unstructured.Unstructured) error) error {
	objs, err := decodeManifest(manifest)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		target, err := a.target(obj, namespace)
		if err != nil {
			return err
		}
		if err := do(target, obj); err != nil {
			return fmt.Errorf("apply %s %s: %w", obj.GetKind(), refName(obj), err)
		}
	}
	return nil
}

func refName(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}

// target resolves the API resource of obj, defaulting its namespace.
func (a *applier) target(obj *unstructured.Unstructured, namespace string) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		// A kind registered moments ago is not in the cached discovery yet.
		a.mapper.Reset()
		if mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
	}
	res := a.dyn.Resource(mapping.Resource)
	var target dynamic.ResourceInterface = res
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(namespace)
		}
		target = res.Namespace(obj.GetNamespace())
	}
	return target, nil
}

// decodeManifest splits a multi-document YAML (or JSON) manifest into
// objects, skipping empty documents.
func decodeManifest(manifest []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var out []*unstructured.Unstructured
	for n := 1; ; n++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decode manifest document %d: %w", n, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("decode manifest document %d: kind and metadata.name are required", n)
		}
		out = append(out, u)
	}
}
