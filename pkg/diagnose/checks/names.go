package checks

// Which existing name a wrong one most likely meant: edit distance, the
// nearest candidates, and the two judgements of "close enough to patch"
// that the checks use (a typo or a dash suffix for names an Ingress or a
// Service port gives; a typo or the same stem for ConfigMap, Secret and
// Service names an app is configured with).

import (
	"sort"
	"strings"
)

// editDistance is the Levenshtein distance between two names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// nearestName returns the candidate nearest to want by edit distance (ties:
// the first in sorted order) and that distance; ok is false when there is no
// candidate.
func nearestName(want string, candidates []string) (best string, dist int, ok bool) {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := editDistance(want, c)
		if !ok || d < dist {
			best, dist, ok = c, d, true
		}
	}
	return best, dist, ok
}

// typoOrSuffix reports whether have is close enough to want to be the name
// that was meant: a typo (at most two edits, and less than a third of the
// name), or the same name with a dash-separated suffix added or dropped
// ("api" and "api-svc"). "wrong-svc" is not close to "api-svc": a patch to
// it would be a guess, so the fix is left to a human.
func typoOrSuffix(want, have string) bool {
	if want == have || want == "" || have == "" {
		return false
	}
	d := editDistance(want, have)
	if d <= 2 && 3*d < max(len(want), len(have)) {
		return true
	}
	short, long := want, have
	if len(short) > len(long) {
		short, long = long, short
	}
	return strings.HasPrefix(long, short+"-")
}

// nameStem drops the suffixes people add to Service and ConfigMap names, so
// that "api-svc" and "api-service" are recognised as the same intent.
func nameStem(name string) string {
	for _, suf := range []string{"-service", "-svc", "-srv", "-config", "-cfg", "-cm"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	return name
}

// typoOrStem reports whether have is probably what want was meant to name:
// same stem, or at most two edits apart for names long enough that two
// edits are not most of the name.
func typoOrStem(want, have string) bool {
	if want == have {
		return false
	}
	if nameStem(want) == nameStem(have) {
		return true
	}
	d := editDistance(want, have)
	return d <= 2 && min(len(want), len(have)) >= 5 || d == 1 && min(len(want), len(have)) >= 3
}

// closestNames returns up to n of names sorted by edit distance to want,
// then by name; names of the same stem count as distance 0.
func closestNames(want string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	cands := make([]cand, 0, len(names))
	for _, name := range names {
		if name == want {
			continue
		}
		d := editDistance(want, name)
		if nameStem(want) == nameStem(name) {
			d = 0
		}
		cands = append(cands, cand{name, d})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name < cands[j].name
	})
	out := make([]string, 0, n)
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].name)
	}
	return out
}
