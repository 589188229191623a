// The summary counts what a diagnosis saw and found, and lists what it could
// not check, so that a clean result is never mistaken for a complete one.

package diagnose

import (
	"fmt"
	"slices"
	"sort"
)

func (w *walker) summary(res *Result) Summary {
	s := Summary{
		Objects:      w.s.ObjectCount(),
		Findings:     len(res.Findings),
		Skipped:      w.s.SkippedTotal(),
		TemplatePods: w.s.TemplatePods,
	}
	if len(w.s.Skipped) > 0 {
		s.SkippedKinds = w.s.Skipped
	}
	for _, f := range res.Findings {
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		case SeverityInfo:
			s.Infos++
		}
	}
	kinds := make([]string, 0, len(w.s.Forbidden))
	for k := range w.s.Forbidden {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s.NotChecked = append(s.NotChecked, k+": "+w.s.Forbidden[k])
	}
	for ref, n := range w.s.Duplicates {
		if w.inNS(ref.Namespace) {
			s.Duplicates = append(s.Duplicates, fmt.Sprintf("%s is defined %d times in the input; the last definition is diagnosed", ref, n))
		}
	}
	sort.Strings(s.Duplicates)
	for _, ns := range w.opt.Namespaces {
		if !slices.Contains(w.s.NamespaceNames(), ns) {
			s.NotChecked = append(s.NotChecked, fmt.Sprintf("namespace %s: the input holds no objects in it", ns))
		}
	}
	seen := map[string]bool{}
	for _, n := range w.notChecked {
		if !w.inNS(n.Object.Namespace) {
			continue
		}
		line := fmt.Sprintf("%s (%s): %s", n.Object, n.Layer, n.Why)
		if !seen[line] {
			seen[line] = true
			s.NotChecked = append(s.NotChecked, line)
		}
	}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	if res.Traces == nil {
		res.Traces = []Trace{}
	}
	return s
}
