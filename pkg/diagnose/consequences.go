// A finding is a consequence when another finding explains it: a pod that is
// not ready because its container crashes, a crash whose message is a name
// lookup the DNS layer shows failing (ExplainedBy). Consequences are demoted:
// they leave the list of findings, and the finding that explains them takes
// their place as the root cause.

package diagnose

import (
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// explainer returns the error finding that explains every error on h
// through their ExplainedBy, or nil when some error stands on its own.
func (d *diagnosis) explainer(h Hop) *Finding {
	errs := d.errorsOn(h)
	if len(errs) == 0 {
		return nil
	}
	var first *Finding
	for _, f := range errs {
		g := d.explanationOf(f)
		if g == nil {
			return nil
		}
		if first == nil {
			first = g
		}
	}
	return first
}

// explanationOf returns the error finding that explains f through its
// ExplainedBy: the first error on an object f names, followed down when
// that error is explained in turn (an Ingress whose controller outage is
// reported on another Ingress, whose controller pods sit on a NotReady
// node). A finding whose own explainers are healthy stands on its own and
// explains f itself.
func (d *diagnosis) explanationOf(f *Finding) *Finding {
	return d.explain(f, map[*Finding]bool{f: true})
}

func (d *diagnosis) explain(f *Finding, seen map[*Finding]bool) *Finding {
	for _, ref := range f.ExplainedBy {
		var symptom *Finding
		for _, g := range d.idx.byObject[ref] {
			if seen[g] {
				continue
			}
			if len(g.ExplainedBy) > 0 {
				seen[g] = true
				if deeper := d.explain(g, seen); deeper != nil {
					return deeper
				}
			}
			// A pod's crash loop explains more than its not-ready symptom.
			if c := d.idx.check[g.Check]; c != nil && c.Symptom {
				if symptom == nil {
					symptom = g
				}
				continue
			}
			return g
		}
		if symptom != nil {
			return symptom
		}
	}
	return nil
}

// demoteExplainedPods handles pods no trace reached: a pod that is not ready
// because its container crashes or its node is down has one cause, not two.
func (d *diagnosis) demoteExplainedPods() {
	for _, f := range d.idx.all {
		if f.Layer != LayerPod || f.Severity != SeverityError || d.demoted[f.Key()] {
			continue
		}
		if c := d.idx.check[f.Check]; c == nil || !c.Symptom {
			continue
		}
		explained := d.idx.hasError(LayerContainer, f.Object)
		if f.Object.Kind == snapshot.KindPod {
			if p := d.s.Pod(f.Object.Namespace, f.Object.Name); p != nil && p.Spec.NodeName != "" {
				explained = explained || d.idx.hasError(LayerNode, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: p.Spec.NodeName})
			}
		}
		if explained {
			d.demoted[f.Key()] = true
		}
	}
	for _, f := range d.idx.all {
		if len(f.ExplainedBy) > 0 && d.explanationOf(f) != nil {
			d.demoted[f.Key()] = true
		}
	}
}
