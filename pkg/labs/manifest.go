package labs

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Objects decodes every document of a manifest file. The objects keep no
// namespace; callers place them in m.Namespace.
func Objects(m Manifest) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(m.Data), 4096)
	var out []*unstructured.Unstructured
	for n := 1; ; n++ {
		obj := map[string]any{}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s (document %d): %w", m.Path, n, err)
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
}

// PlacedObject is a lab object with the namespace it belongs in.
type PlacedObject struct {
	Object *unstructured.Unstructured
	// Path is the manifest file it came from, relative to the lab folder.
	Path string
}

// BrokenObjects returns the objects `lab start` applies, each with its
// namespace set.
func (l *Lab) BrokenObjects() ([]PlacedObject, error) {
	return placed(l.Broken)
}

// FixObjects returns the objects that repair the lab, each with its
// namespace set.
func (l *Lab) FixObjects() ([]PlacedObject, error) {
	return placed(l.Fix)
}

// FixedObjects is the state of a repaired lab: the broken objects with every
// object that fix/ also defines (same kind, namespace and name) replaced, as
// a server-side apply of fix/ over broken/ leaves it.
func (l *Lab) FixedObjects() ([]PlacedObject, error) {
	broken, err := l.BrokenObjects()
	if err != nil {
		return nil, err
	}
	fix, err := l.FixObjects()
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	out := append([]PlacedObject(nil), broken...)
	for i, o := range out {
		index[objectKey(o.Object)] = i
	}
	for _, o := range fix {
		if i, ok := index[objectKey(o.Object)]; ok {
			out[i] = o
			continue
		}
		index[objectKey(o.Object)] = len(out)
		out = append(out, o)
	}
	return out, nil
}

func objectKey(o *unstructured.Unstructured) string {
	return o.GroupVersionKind().GroupKind().String() + "/" + o.GetNamespace() + "/" + o.GetName()
}

func placed(ms []Manifest) ([]PlacedObject, error) {
	var out []PlacedObject
	for _, m := range ms {
		objs, err := Objects(m)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			o.SetNamespace(m.Namespace)
			out = append(out, PlacedObject{Object: o, Path: m.Path})
		}
	}
	return out, nil
}
