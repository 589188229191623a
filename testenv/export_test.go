package testenv

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// DecodeManifest is decodeManifest for the tests of this module: rendered
// manifests (helm template output) are read by the same rules Apply reads
// a manifest by.
var DecodeManifest = decodeManifest

// Target is the resource the cluster's applier sends obj to, obj's
// namespace defaulted to namespace: tests that apply shipped manifests with
// options of their own (dry-run) use the same REST mapping as Apply.
func (c *Cluster) Target(obj *unstructured.Unstructured, namespace string) (dynamic.ResourceInterface, error) {
	return c.applier.target(obj, namespace)
}
