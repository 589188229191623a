package labs_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hopscope/hopscope/pkg/labs"
)

// The fix steps are what a learner types, so they must repair the lab as
// its fix/ manifests do. TestFixStepsSolveTheLab types them, offline: every
// `kubectl patch` (JSON or merge patch) and `kubectl apply` of an inline
// manifest is applied to the broken objects, and the result must diagnose
// as solved. Labs whose steps are prose or imperative commands (scale, set
// env, edit) are left to their fix/ manifests.

var (
	patchStep = regexp.MustCompile(`^kubectl patch (\S+) (\S+) -n (\S+) --type=(json|merge) -p '(.*)'$`)
	applyStep = regexp.MustCompile(`(?s)^kubectl apply -n (\S+) -f - <<'EOF'\n(.*)\nEOF\n?$`)
)

// patchKinds are the kubectl resource names the fix steps patch.
var patchKinds = map[string]string{"deployment": "Deployment", "svc": "Service", "ingress": "Ingress",
	"gateway": "Gateway", "httproute": "HTTPRoute", "backendtlspolicy": "BackendTLSPolicy"}

func TestFixStepsSolveTheLab(t *testing.T) {
	all, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	typed := 0
	for _, l := range all {
		objs, err := l.BrokenObjects()
		if err != nil {
			t.Fatal(err)
		}
		applied := true
		for _, step := range l.FixSteps {
			step = strings.TrimSpace(step)
			if m := patchStep.FindStringSubmatch(step); m != nil {
				if err := patchObject(objs, m[1], m[2], m[3], m[4], m[5]); err != nil {
					t.Errorf("lab %s: %q: %v", l.ID, step, err)
				}
				continue
			}
			if m := applyStep.FindStringSubmatch(step); m != nil {
				added, err := labs.Objects(labs.Manifest{Path: "fix step", Namespace: m[1], Data: []byte(m[2])})
				if err != nil {
					t.Errorf("lab %s: %v", l.ID, err)
				}
				for _, o := range added {
					o.SetNamespace(m[1])
					objs = append(objs, labs.PlacedObject{Object: o, Path: "fix step"})
				}
				continue
			}
			applied = false
		}
		if !applied {
			continue
		}
		typed++
		t.Run(l.ID+"-"+l.Slug, func(t *testing.T) {
			s, res := labObjects(t, objs)
			if v := l.Judge(res, s); !v.Solved || v.FaultPresent {
				t.Errorf("after the fix steps the lab is not solved: fault %v, layers %v", v.FaultPresent, v.BrokenLayers)
				logFindings(t, res)
			}
		})
	}
	if typed < 6 {
		t.Errorf("only %d labs have fix steps the test can type", typed)
	}
}

// patchObject applies a JSON or merge patch to the object of that kind and
// name in namespace ns, in place.
func patchObject(objs []labs.PlacedObject, resource, name, ns, patchType, patch string) error {
	kind, ok := patchKinds[resource]
	if !ok {
		return fmt.Errorf("unknown resource %q", resource)
	}
	for _, o := range objs {
		if o.Object.GetKind() != kind || o.Object.GetName() != name || o.Object.GetNamespace() != ns {
			continue
		}
		doc, err := json.Marshal(o.Object.Object)
		if err != nil {
			return err
		}
		if patchType == "json" {
			p, err := jsonpatch.DecodePatch([]byte(patch))
			if err != nil {
				return fmt.Errorf("decode JSON patch: %w", err)
			}
			doc, err = p.Apply(doc)
			if err != nil {
				return fmt.Errorf("apply JSON patch: %w", err)
			}
		} else if doc, err = jsonpatch.MergePatch(doc, []byte(patch)); err != nil {
			return fmt.Errorf("apply merge patch: %w", err)
		}
		patched := &unstructured.Unstructured{}
		if err := json.Unmarshal(doc, &patched.Object); err != nil {
			return err
		}
		o.Object.Object = patched.Object
		return nil
	}
	return fmt.Errorf("no %s %s/%s among the broken objects", kind, ns, name)
}
