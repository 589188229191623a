package checks

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// A reference from a route or a listener into another namespace needs a
// ReferenceGrant in that namespace: its owner agrees to be referred to.
// These helpers say whether the input could hold one and write the grant a
// fix applies.

// referenceGrant is the one grant a reference needs: from a Gateway API
// kind in one namespace to a core kind (Service, Secret) by name.
type referenceGrant struct {
	fromKind, fromNS     string
	toKind, toNS, toName string
}

// yaml is the ReferenceGrant as a manifest. It uses v1beta1, which every
// Gateway API release since v0.6 serves. The marshaller quotes whatever the
// names hold.
func (g referenceGrant) yaml() string {
	manifest := map[string]any{
		"apiVersion": snapshot.GatewayGroup + "/v1beta1",
		"kind":       snapshot.KindReferenceGrant,
		"metadata": map[string]any{
			"name":      grantName(g.fromKind, g.fromNS),
			"namespace": g.toNS,
		},
		"spec": map[string]any{
			"from": []any{map[string]any{"group": snapshot.GatewayGroup, "kind": g.fromKind, "namespace": g.fromNS}},
			"to":   []any{map[string]any{"group": "", "kind": g.toKind, "name": g.toName}},
		},
	}
	out, err := yaml.Marshal(manifest)
	if err != nil {
		// Maps of strings always marshal; failing here is a bug.
		panic("checks: cannot marshal a ReferenceGrant: " + err.Error())
	}
	return string(out)
}

// grantName names a grant after what it lets in: allow-httproutes-from-shop.
// Names longer than a DNS label are cut; the grant's spec, not its name,
// does the work.
func grantName(fromKind, fromNS string) string {
	name := "allow-" + strings.ToLower(fromKind) + "s-from-" + fromNS
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-.")
	}
	return name
}

// grantsKnown reports whether the input can tell that namespace ns has no
// fitting ReferenceGrant: a live scan that listed them, an input that holds
// grants there, a whole-cluster dump, or files that hold objects of ns (a
// grant would come with them).
func grantsKnown(s *snapshot.Snapshot, ns string) bool {
	if s.Knows(snapshot.KindReferenceGrant, ns) {
		return true
	}
	if s.Live {
		return false
	}
	if s.ClusterDump() {
		return true
	}
	for _, n := range s.NamespaceNames() {
		if n == ns {
			return true
		}
	}
	return false
}

// grantsEvidence says what ReferenceGrants namespace ns holds and why none
// of them fits.
func grantsEvidence(s *snapshot.Snapshot, ns string) []string {
	grants := s.ReferenceGrantsIn(ns)
	if len(grants) == 0 {
		return []string{fmt.Sprintf("namespace %s holds no ReferenceGrant", ns)}
	}
	var out []string
	for _, g := range grants {
		var from, to []string
		for _, f := range g.Spec.From {
			from = append(from, fmt.Sprintf("%s from namespace %s", f.Kind, f.Namespace))
		}
		for _, t := range g.Spec.To {
			name := "any name"
			if t.Name != nil && *t.Name != "" {
				name = string(*t.Name)
			}
			to = append(to, fmt.Sprintf("%s %s", t.Kind, name))
		}
		out = append(out, fmt.Sprintf("ReferenceGrant %s/%s permits %s to refer to %s, not this reference", ns, g.Name, strings.Join(from, ", "), strings.Join(to, ", ")))
	}
	return out
}
