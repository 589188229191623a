// The summary counts what a diagnosis saw and found, and lists what it could
// not check, so that a clean result is never mistaken for a complete one.

package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

func (d *diagnosis) summary(res *Result) Summary {
	s := Summary{
		Objects:      d.s.ObjectCount(),
		Findings:     len(res.Findings),
		Skipped:      d.s.SkippedTotal(),
		TemplatePods: d.s.TemplatePods,
	}
	if len(d.s.Skipped) > 0 {
		s.SkippedKinds = d.s.Skipped
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
	kinds := make([]string, 0, len(d.s.Forbidden))
	for k := range d.s.Forbidden {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s.NotChecked = append(s.NotChecked, k+": "+d.s.Forbidden[k])
	}
	for ref, n := range d.s.Duplicates {
		if d.inNS(ref.Namespace) {
			s.Duplicates = append(s.Duplicates, fmt.Sprintf("%s is defined %d times in the input; the last definition is diagnosed", ref, n))
		}
	}
	sort.Strings(s.Duplicates)
	for _, f := range d.s.SkippedFiles {
		s.SkippedFiles = append(s.SkippedFiles, fmt.Sprintf("skipped file %s: %s", f.Path, f.Reason))
	}
	if more := d.s.SkippedFileCount - len(d.s.SkippedFiles); more > 0 {
		s.SkippedFiles = append(s.SkippedFiles, fmt.Sprintf("and %d more skipped files", more))
	}
	for _, g := range slices.Sorted(maps.Keys(d.s.NotServed)) {
		s.NotChecked = append(s.NotChecked, d.s.NotServed[g])
	}
	for _, ns := range d.opt.Namespaces {
		if !slices.Contains(d.s.NamespaceNames(), ns) {
			s.NotChecked = append(s.NotChecked, fmt.Sprintf("namespace %s: the input holds no objects in it", ns))
		}
	}
	seen := map[string]bool{}
	for _, n := range d.notChecked {
		if !d.inNS(n.Object.Namespace) {
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
