// Selectors pick pods by label, through the per-namespace label index: the
// pods a Service or NetworkPolicy selects, and the pods that come closest when
// a selector picks none.

package snapshot

import (
	"maps"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// PodsMatching returns the pods in ns whose labels carry every key=value of
// selector, in input order. An empty selector selects nothing, as for a
// Service.
func (s *Snapshot) PodsMatching(ns string, selector map[string]string) []*corev1.Pod {
	ps := s.indexed().pods[ns]
	if ps == nil || len(selector) == 0 {
		return nil
	}
	var smallest []int32
	first := true
	for k, v := range selector {
		list := ps.byKV[k][v]
		if len(list) == 0 {
			return nil
		}
		if first || len(list) < len(smallest) {
			smallest, first = list, false
		}
	}
	out := make([]*corev1.Pod, 0, len(smallest))
	for _, pos := range smallest {
		p := ps.pods[pos]
		if labels.SelectorFromSet(selector).Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// PodsMatchingSelector returns the pods in ns selected by a LabelSelector
// (matchLabels and matchExpressions). A nil selector selects nothing; an empty
// one selects every pod, as in a NetworkPolicy.
func (s *Snapshot) PodsMatchingSelector(ns string, sel *metav1.LabelSelector) []*corev1.Pod {
	ps := s.indexed().pods[ns]
	if sel == nil || ps == nil {
		return nil
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	candidates := ps.pods
	if len(sel.MatchLabels) > 0 {
		candidates = s.PodsMatching(ns, sel.MatchLabels)
	}
	var out []*corev1.Pod
	for _, p := range candidates {
		if selector.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// LabelDiff is one key=value of a selector that a pod does not carry.
type LabelDiff struct {
	Key  string `json:"key"`
	Want string `json:"want"`
	Have string `json:"have,omitempty"` // empty with Missing: the pod has no such label
	// Missing is true when the pod has no label with this key at all.
	Missing bool `json:"missing,omitempty"`
}

// NearPod is a pod that carries some but not all of a selector's labels.
type NearPod struct {
	Pod     *corev1.Pod
	Matched int         // selector pairs the pod carries
	Diff    []LabelDiff // selector pairs it does not, sorted by key
}

// ClosestPods returns up to n pods in ns that come closest to matching
// selector: most key=value pairs carried, then most keys present with another
// value. Only pods that share at least one label key with the selector are
// considered, found through the label index.
func (s *Snapshot) ClosestPods(ns string, selector map[string]string, n int) []NearPod {
	ps := s.indexed().pods[ns]
	if ps == nil || len(selector) == 0 || n <= 0 {
		return nil
	}
	score := map[int32][2]int{}
	for k, v := range selector {
		for val, list := range ps.byKV[k] {
			for _, pos := range list {
				sc := score[pos]
				if val == v {
					sc[0]++
				} else {
					sc[1]++
				}
				score[pos] = sc
			}
		}
	}
	positions := make([]int32, 0, len(score))
	for pos := range score {
		positions = append(positions, pos)
	}
	sort.Slice(positions, func(i, j int) bool {
		a, b := score[positions[i]], score[positions[j]]
		if a[0] != b[0] {
			return a[0] > b[0]
		}
		if a[1] != b[1] {
			return a[1] > b[1]
		}
		return positions[i] < positions[j]
	})
	if len(positions) > n {
		positions = positions[:n]
	}
	keys := slices.Sorted(maps.Keys(selector))
	out := make([]NearPod, 0, len(positions))
	for _, pos := range positions {
		p := ps.pods[pos]
		np := NearPod{Pod: p, Matched: score[pos][0]}
		for _, k := range keys {
			have, ok := p.Labels[k]
			if ok && have == selector[k] {
				continue
			}
			np.Diff = append(np.Diff, LabelDiff{Key: k, Want: selector[k], Have: have, Missing: !ok})
		}
		out = append(out, np)
	}
	return out
}
