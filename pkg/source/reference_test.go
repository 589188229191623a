package source

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// referenceDecode is the loader as it was before the fast path: documents
// cut at "---", each converted by sigs.k8s.io/yaml (strict about duplicate
// keys, as the loader is now) and decoded by encoding/json. The fast path
// must give the same objects.
func referenceDecode(s *snapshot.Snapshot, name string, data []byte, defaultNS string) error {
	for d := range splitYAML(normalizeEncoding(data)) {
		js, err := yaml.YAMLToJSONStrict(d.body)
		if err != nil {
			return &InputError{File: name, Document: d.num, Err: err}
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		origin := snapshot.Origin{File: name, Document: d.num, Line: firstContentLine(d.body, d.line)}
		if err := referenceAddJSON(s, js, origin, defaultNS); err != nil {
			return &InputError{File: name, Document: d.num, Err: err}
		}
	}
	return nil
}

func referenceAddJSON(s *snapshot.Snapshot, data []byte, origin snapshot.Origin, defaultNS string) error {
	var tm typeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if tm.Kind == "" && tm.APIVersion == "" && tm.Items == nil {
		return fmt.Errorf("not a Kubernetes object: no apiVersion and kind")
	}
	if tm.Kind == "" {
		return fmt.Errorf("object has no kind (apiVersion %q)", tm.APIVersion)
	}
	if isList(tm.Kind) {
		for i, item := range tm.Items {
			if err := referenceAddJSON(s, item, origin, defaultNS); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	}
	if tm.APIVersion == "" {
		return fmt.Errorf("%s has no apiVersion", tm.Kind)
	}
	obj := newObject(tm.APIVersion, tm.Kind)
	removed, isRemoved := snapshot.RemovedAPIOf(tm.APIVersion, tm.Kind)
	switch {
	case isRemoved:
		var err error
		if obj, err = decodeRemoved(data, removed); err != nil {
			return fmt.Errorf("decode %s %s: %w", tm.APIVersion, tm.Kind, err)
		}
		origin.APIVersion = tm.APIVersion
	case obj == nil:
		s.Skip(tm.APIVersion, tm.Kind)
		return nil
	default:
		if err := json.Unmarshal(data, obj); err != nil {
			return fmt.Errorf("decode %s %s: %w", tm.APIVersion, tm.Kind, err)
		}
	}
	obj, err := normalize(obj, tm.Kind, defaultNS)
	if err != nil {
		return err
	}
	return s.Add(obj, origin)
}
