// Ranking decides what the report lists and in which order: the root causes
// of broken paths first, then the other findings by severity, each with the
// path from an entry point that leads to it.

package diagnose

import (
	"sort"
)

// order returns the findings to report: root causes of broken paths first
// (in trace order), then the other errors, warnings and infos; demoted
// symptoms and findings outside the namespace filter are left out.
func (d *diagnosis) order(traces []Trace) []Finding {
	rank := map[string]int{}
	for _, t := range traces {
		if t.RootCause != "" {
			if _, ok := rank[t.RootCause]; !ok {
				rank[t.RootCause] = len(rank)
			}
		}
	}
	var out []Finding
	for _, f := range d.idx.all {
		key := f.Key()
		if d.demoted[key] {
			continue
		}
		path, onPath := d.pathOf[key]
		if !onPath && !d.inNS(f.Object.Namespace) && f.Layer != LayerDNS {
			continue
		}
		g := *f
		if onPath {
			g.Path = path
		} else {
			g.Path = []string{f.Object.String()}
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, iok := rank[out[i].Key()]
		rj, jok := rank[out[j].Key()]
		if iok != jok {
			return iok
		}
		if iok {
			return ri < rj
		}
		if out[i].Severity.Rank() != out[j].Severity.Rank() {
			return out[i].Severity.Rank() > out[j].Severity.Rank()
		}
		_, pi := d.pathOf[out[i].Key()]
		_, pj := d.pathOf[out[j].Key()]
		if pi != pj {
			return pi
		}
		return out[i].Layer.Depth() > out[j].Layer.Depth()
	})
	return out
}

// recordPaths remembers, for every finding on the trace, the path that
// leads to it: the hops from the entry down to its hop, leaving out the
// hops of other pods and repeats of one object (a pod hop and its
// container hop name the same Pod). The first trace to reach a finding wins.
func (d *diagnosis) recordPaths(t Trace) Trace {
	for i, h := range t.Hops {
		if len(h.Findings) == 0 {
			continue
		}
		var objs []string
		for j := 0; j <= i; j++ {
			if isPodLayer(t.Hops[j].Layer) && isPodLayer(h.Layer) && !samePod(t, j, i) {
				continue
			}
			if isPodLayer(t.Hops[j].Layer) && !isPodLayer(h.Layer) {
				continue
			}
			o := t.Hops[j].Object.String()
			if len(objs) > 0 && objs[len(objs)-1] == o {
				continue
			}
			objs = append(objs, o)
		}
		for _, k := range h.Findings {
			if _, ok := d.pathOf[k]; !ok {
				d.pathOf[k] = objs
			}
		}
	}
	return t
}
