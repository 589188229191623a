// Once a path is walked, one broken hop is its root cause and the hops above
// it are only affected: a Service without endpoints fails every Ingress in
// front of it. This file decides which hop that is, how far a partly broken
// pod layer takes the path down, and the path's verdict.

package diagnose

import (
	"slices"
)

// symptomOnly reports whether every error on the hop comes from a Symptom
// check, so the hop may be explained by a deeper one.
func (d *diagnosis) symptomOnly(h Hop) bool {
	errs := d.errorsOn(h)
	if len(errs) == 0 {
		return false
	}
	for _, f := range errs {
		if c := d.idx.check[f.Check]; c == nil || !c.Symptom {
			return false
		}
	}
	return true
}

// judge decides, once all hops are known, which broken hop is the root
// cause and which hops are only affected by it.
//
// The root cause is the deepest broken hop whose findings name a cause; a hop
// broken only by symptom findings (no ready endpoint, pod not ready) is the
// root cause only when no such hop exists on the path, and otherwise becomes
// affected, its findings demoted. Every healthy hop above the root cause is
// affected: if one layer fails, everything above it fails. The pod layer
// fails the path only when no pod behind it serves (podsDown): one
// crash-looping replica of three degrades a Service, it does not take it down.
func (d *diagnosis) judge(t Trace, podsDown bool) Trace {
	candidate := func(i int) bool {
		h := t.Hops[i]
		return h.Status == StatusBroken && (podsDown || !isPodLayer(h.Layer))
	}
	root := -1
	for i := range t.Hops {
		if candidate(i) && !d.symptomOnly(t.Hops[i]) {
			root = i
		}
	}
	if root < 0 {
		for i := range t.Hops {
			if candidate(i) {
				root = i
			}
		}
	}
	// Nothing fails the whole path, yet a partly broken pod layer still
	// names its first broken pod's deepest hop; only that pod's own hops are
	// affected then.
	partial := root < 0
	if partial || isPodLayer(t.Hops[root].Layer) {
		root = firstPodRoot(t)
	}
	if root < 0 {
		t.Status = TraceOK
		for _, h := range t.Hops {
			if h.Status == StatusNotChecked {
				t.Status = TraceNotChecked
			}
		}
		return d.recordPaths(t)
	}
	// When the evidence of the root cause names what would explain it and
	// that is broken too, the walk goes one step further: to the nodes a
	// Pending pod cannot be scheduled on, to the DNS name a crashing
	// container cannot resolve.
	if g := d.explainer(t.Hops[root]); g != nil {
		t.Hops = slices.Insert(t.Hops, root+1, d.hop(g.Layer, g.Object))
		root++
	}
	rootHop := t.Hops[root]
	by := rootHop.Object.String() + " (" + string(rootHop.Layer) + ")"
	for i := range t.Hops {
		h := &t.Hops[i]
		if i == root || (isPodLayer(h.Layer) && isPodLayer(rootHop.Layer) && !samePod(t, i, root)) {
			continue
		}
		if partial && !isPodLayer(h.Layer) {
			continue
		}
		switch {
		case h.Status == StatusOK && i < root:
			h.Status = StatusAffected
			h.Reason = joinReason(h.Reason, "affected by "+by)
		case h.Status == StatusBroken && i < root && d.explainer(*h) != nil,
			// A symptom above the root cause is its consequence; below it,
			// only layers that depend on what is above (endpoints follow
			// the Service's ports) are. A pod is not ready for reasons of
			// its own.
			candidate(i) && d.symptomOnly(*h) && (i < root || !isPodLayer(h.Layer)):
			h.Status = StatusAffected
			h.Reason = joinReason(h.Reason, "consequence of "+by)
			for _, f := range d.errorsOn(*h) {
				d.demoted[f.Key()] = true
			}
		}
	}
	if errs := d.errorsOn(rootHop); len(errs) > 0 {
		t.RootCause = errs[0].Key()
		t.Hops[root].RootCause = true
	}
	if partial {
		t.Status = TraceDegraded
	} else {
		t.Status = TraceBroken
	}
	return d.recordPaths(t)
}

// isPodLayer reports whether l belongs to one pod's group of hops: the pod,
// its container and its node.
func isPodLayer(l Layer) bool {
	return l == LayerPod || l == LayerContainer || l == LayerNode
}

// firstPodRoot returns the index of the deepest broken hop belonging to the
// first broken pod of the trace (pod, then its container, then its node).
func firstPodRoot(t Trace) int {
	root := -1
	for i, h := range t.Hops {
		if h.Layer == LayerPod && root >= 0 {
			break
		}
		if isPodLayer(h.Layer) && h.Status == StatusBroken {
			root = i
		}
	}
	return root
}

// samePod reports whether hop i belongs to the pod group of hop j: a pod hop
// followed by its container and node hops.
func samePod(t Trace, i, j int) bool {
	start := j
	for start > 0 && t.Hops[start].Layer != LayerPod {
		start--
	}
	end := start + 1
	for end < len(t.Hops) && t.Hops[end].Layer != LayerPod {
		end++
	}
	return i >= start && i < end
}
