package checks

// Service and workload selectors that match nothing: which pods come
// closest, and which side (the Service selector or the pod template) to
// change.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var serviceSelectorMatchesNoPods = &diagnose.Check{
	ID:       "service-selector-matches-no-pods",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service's selector matches no pod in its namespace, so it has no endpoints; names the closest pods and which side to change.",
	Run:      runServiceSelectorMatchesNoPods,
}

var workloadSelectorMismatch = &diagnose.Check{
	ID:       "workload-selector-mismatch",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A workload's spec.selector does not match its own pod template labels; the API server rejects it.",
	Run:      runWorkloadSelectorMismatch,
}

// serviceWorkloadsByNS indexes workloads by namespace once per check run.
func serviceWorkloadsByNS(s *snapshot.Snapshot) map[string][]snapshot.Workload {
	out := map[string][]snapshot.Workload{}
	for _, w := range s.Workloads() {
		out[w.Ref.Namespace] = append(out[w.Ref.Namespace], w)
	}
	return out
}

// serviceWorkloadSelects reports whether a workload's own selector matches
// a label set.
func serviceWorkloadSelects(w snapshot.Workload, set map[string]string) bool {
	if w.MapSelector != nil {
		return selectorMatches(w.MapSelector, set)
	}
	if w.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(w.Selector)
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(set))
}

// serviceSelectorWants returns the value a workload's selector requires for
// key through matchLabels (or the map selector), if any.
func serviceSelectorWants(w snapshot.Workload, key string) (string, bool) {
	if w.MapSelector != nil {
		v, ok := w.MapSelector[key]
		return v, ok
	}
	if w.Selector == nil {
		return "", false
	}
	v, ok := w.Selector.MatchLabels[key]
	return v, ok
}

// serviceTemplateLabelsPatch builds a merge patch that sets labels on a
// workload's pod template.
func serviceTemplateLabelsPatch(kind string, set map[string]string) map[string]any {
	var inner any = map[string]any{"metadata": map[string]any{"labels": set}}
	path := templatePath(kind)
	for i := len(path) - 1; i >= 0; i-- {
		inner = map[string]any{path[i]: inner}
	}
	return inner.(map[string]any)
}

// serviceWorkloadFix is the fix for a change to a workload's pod template.
// A workload read from a cluster is patched in place. One written in a
// manifest may never have been created (the API server rejects a template
// that its own selector does not match), so the fix is to edit the file and
// apply it; the evidence line says exactly what to change.
func serviceWorkloadFix(s *snapshot.Snapshot, w snapshot.Workload, set map[string]string) (fix, howto string) {
	var pairs []string
	for _, k := range sortedKeys(set) {
		pairs = append(pairs, k+": "+set[k])
	}
	change := fmt.Sprintf("set %s under %s.metadata.labels", strings.Join(pairs, ", "), strings.Join(templatePath(w.Ref.Kind), "."))
	if o, ok := s.Origin(w.Ref); ok && o.File != "" && o.File != "<stdin>" && !fromCluster(s, w.Object) {
		where := o.File
		if o.Line > 0 {
			where += fmt.Sprintf(" (document starting at line %d)", o.Line)
		}
		// -n keeps the namespace the diagnosis put the object in when the
		// file names none (`diagnose -f app.yaml -n shop`); it is harmless
		// when the file names the same one.
		return diagnose.Kubectl("apply", "-f", o.File, "-n", w.Ref.Namespace), fmt.Sprintf("in %s, %s of %s, then apply the file", where, change, w.Ref)
	}
	return diagnose.MergePatchCmd(w.Ref, serviceTemplateLabelsPatch(w.Ref.Kind, set)), change + " of " + w.Ref.String()
}

func runServiceSelectorMatchesNoPods(s *snapshot.Snapshot, r *diagnose.Reporter) {
	workloads := serviceWorkloadsByNS(s)
	for _, svc := range s.Services {
		if !routesToPods(svc) {
			continue
		}
		ns := svc.Namespace
		if len(s.PodsMatching(ns, svc.Spec.Selector)) > 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		if why, forbidden := s.Forbidden[snapshot.KindPod]; forbidden {
			r.NotChecked(ref, "pods could not be listed: "+why)
			continue
		}
		if f, ok := serviceWrongNamespaceFinding(s, svc, workloads[ns]); ok {
			r.Report(f)
			continue
		}
		// A live scan or a whole-cluster dump that listed pods knows an
		// empty namespace is empty; manifests without workloads there do not.
		if len(s.PodsIn(ns)) == 0 && len(workloads[ns]) == 0 && !s.Knows(snapshot.KindPod, ns) {
			r.NotChecked(ref, fmt.Sprintf("the input has no pods or workloads in namespace %s: cannot tell whether selector %s matches any", ns, selectorText(svc.Spec.Selector)))
			continue
		}
		// A workload whose template matches but that has no pods in the
		// input (scaled to zero, pods not created) is not a selector
		// problem; the pod layer owns that.
		templateMatch := false
		for _, w := range workloads[ns] {
			if w.Template != nil && selectorMatches(svc.Spec.Selector, w.Template.Labels) {
				templateMatch = true
				break
			}
		}
		if templateMatch {
			continue
		}
		r.Report(serviceSelectorFinding(s, svc, workloads[ns]))
	}
}

// serviceLabelDiff quotes how a pod's labels differ from a selector:
// `app: want "api", pod has "api-v1"`.
func serviceLabelDiff(diffs []snapshot.LabelDiff) string {
	parts := make([]string, 0, len(diffs))
	for _, d := range diffs {
		if d.Missing {
			parts = append(parts, fmt.Sprintf("%s: want %q, pod has no such label", d.Key, d.Want))
		} else {
			parts = append(parts, fmt.Sprintf("%s: want %q, pod has %q", d.Key, d.Want, d.Have))
		}
	}
	return strings.Join(parts, "; ")
}

func serviceSelectorFinding(s *snapshot.Snapshot, svc *corev1.Service, workloads []snapshot.Workload) diagnose.Finding {
	ns := svc.Namespace
	sel := svc.Spec.Selector
	ref := snapshot.Ref(snapshot.KindService, svc)
	pods := s.PodsIn(ns)
	kind := "pod(s)"
	if s.TemplatePods {
		kind = "pod template(s)"
	}
	evidence := []string{"selector: " + selectorText(sel)}
	if len(pods) > 0 {
		evidence = append(evidence, fmt.Sprintf("none of the %d %s in namespace %s carries all of these labels", len(pods), kind, ns))
	} else {
		var templates []string
		for _, w := range workloads {
			if w.Template != nil {
				templates = append(templates, fmt.Sprintf("%s template %s", w.Ref, labelsText(w.Template.Labels)))
			}
		}
		evidence = append(evidence, fmt.Sprintf("namespace %s has no pods in the input, and no workload template there carries these labels: %s", ns, joinLimit(templates, maxListed)))
	}
	near := s.ClosestPods(ns, sel, 3)
	// Pods that share only label keys are noise next to pods that carry
	// some of the selector's pairs; on their own they are no match at all
	// unless a value or the workload's name is close to what the Service
	// wants (app=api-v1 for app=api, Deployment iris-classifier for
	// app=iris-classifier). app=web is not close to app=payments, and a
	// fix re-pointing the Service at it would be a guess.
	var keyOnly []snapshot.NearPod
	if len(near) > 0 && near[0].Matched == 0 {
		kept := near[:0]
		for _, np := range near {
			if serviceNearPodSimilar(s, svc, np) {
				kept = append(kept, np)
			} else {
				keyOnly = append(keyOnly, np)
			}
		}
		near = kept
	}
	if len(near) > 0 && near[0].Matched > 0 {
		kept := near[:0]
		for _, np := range near {
			if np.Matched > 0 {
				kept = append(kept, np)
			}
		}
		near = kept
	}
	for _, np := range near {
		evidence = append(evidence, fmt.Sprintf("closest: %s: %s", podLabel(s, np.Pod), serviceLabelDiff(np.Diff)))
	}
	switch {
	case len(near) > 0:
	case len(keyOnly) > 0:
		var others []string
		for _, np := range keyOnly {
			others = append(others, fmt.Sprintf("%s (%s)", podLabel(s, np.Pod), serviceLabelDiff(np.Diff)))
		}
		evidence = append(evidence, fmt.Sprintf("no close match: the pods that share a label key with the selector carry no value close to it and belong to workloads of other names: %s", joinLimit(others, maxListed)))
	default:
		evidence = append(evidence, fmt.Sprintf("no pod in namespace %s has any of the label keys %s", ns, strings.Join(sortedKeys(sel), ", ")))
	}
	f := diagnose.Finding{
		Object:  ref,
		Symptom: fmt.Sprintf("`kubectl get endpoints %s -n %s` shows ENDPOINTS: <none>; connections to the Service are refused", svc.Name, ns),
		Cause:   fmt.Sprintf("Service %s selects %s, and no pod in namespace %s carries those labels", svc.Name, selectorText(sel), ns),
		Verify:  verifyEndpoints(svc),
		Origin:  originOf(s, ref),
		Fix:     diagnose.EditCmd(ref),
	}

	// Side 1: a workload whose own selector asks for the Service's labels
	// but whose template carries others has the typo; its template changes.
	if w, want, ok := serviceTemplateSide(workloads, sel, near, s); ok {
		fix, howto := serviceWorkloadFix(s, *w, want)
		evidence = append(evidence,
			fmt.Sprintf("%s's own selector (%s) agrees with the Service, but its pod template labels (%s) do not: change the template", w.Ref, serviceWorkloadSelectorText(*w), selectorText(w.Template.Labels)),
			"fix: "+howto,
			fmt.Sprintf("alternative: patch the Service selector to the template's labels — %s would still not match its own selector", w.Ref))
		f.Fix = fix
		f.Evidence = evidence
		return f
	}

	// Side 2: the pods consistently carry other values; the Service changes.
	if len(near) > 0 {
		if patch, proposed, owner, n, ok := serviceSelectorSide(s, svc, near[0]); ok {
			servicePatch := diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": patch}})
			evidence = append(evidence,
				fmt.Sprintf("the pods of %s consistently carry %s: selector %s would select %d pod(s), all of %s", owner, selectorText(proposed), selectorText(proposed), n, owner))
			// When the workload's own selector leaves the differing labels
			// free, relabelling its template is a plain patch: the
			// Service stays as it was written (the seed's lab 1 fix). When
			// the selector pins them (immutable), the Service is what can
			// change without re-creating the workload.
			if w := s.Workload(owner); w != nil && w.Template != nil && !servicePins(*w, sel, proposed) {
				fix, howto := serviceWorkloadFix(s, *w, sel)
				evidence = append(evidence,
					fmt.Sprintf("%s's selector (%s) does not pin the differing labels, so its template can be relabelled in place", owner, serviceWorkloadSelectorText(*w)),
					"fix: "+howto,
					"alternative: patch the Service selector to "+selectorText(proposed)+" ("+servicePatch+")")
				f.Fix = fix
			} else {
				evidence = append(evidence, "fix: patch the Service selector to "+selectorText(proposed))
				if alt := serviceRelabelAlternative(s, owner, sel, proposed); alt != "" {
					evidence = append(evidence, alt)
				}
				f.Fix = servicePatch
			}
		}
	}
	f.Evidence = evidence
	return f
}

// serviceNearPodSimilar reports whether a pod that carries none of the
// selector's pairs is still plausibly the one the Service means: one of its
// differing values is a typo, a suffix or the same stem of the wanted value,
// or its workload is named like a wanted value or like the Service.
func serviceNearPodSimilar(s *snapshot.Snapshot, svc *corev1.Service, np snapshot.NearPod) bool {
	alike := func(want, have string) bool {
		return want == have || typoOrSuffix(want, have) || typoOrStem(want, have)
	}
	owner := ownerOrPod(s, np.Pod).Name
	if alike(svc.Name, owner) {
		return true
	}
	for _, d := range np.Diff {
		if !d.Missing && alike(d.Want, d.Have) || alike(d.Want, owner) {
			return true
		}
	}
	return false
}

func serviceWorkloadSelectorText(w snapshot.Workload) string {
	if w.MapSelector != nil {
		return selectorText(w.MapSelector)
	}
	if w.Selector == nil {
		return "none"
	}
	return metav1.FormatLabelSelector(w.Selector)
}

// serviceTemplateSide finds a workload whose own selector requires, for at
// least one key, the Service's value while its template carries another:
// the template is what was mistyped. want is the set of labels to put on the
// template; the result must still satisfy the workload's own selector. The
// owner of the closest pod is preferred.
func serviceTemplateSide(workloads []snapshot.Workload, sel map[string]string, near []snapshot.NearPod, s *snapshot.Snapshot) (*snapshot.Workload, map[string]string, bool) {
	order := make([]int, 0, len(workloads))
	if len(near) > 0 {
		if owner, ok := s.OwnerOf(near[0].Pod); ok {
			for i, w := range workloads {
				if w.Ref == owner {
					order = append(order, i)
				}
			}
		}
	}
	for i := range workloads {
		order = append(order, i)
	}
	for _, i := range order {
		w := &workloads[i]
		if w.Template == nil {
			continue
		}
		agrees := false
		want := map[string]string{}
		for k, v := range sel {
			if w.Template.Labels[k] == v {
				continue
			}
			want[k] = v
			if sv, ok := serviceSelectorWants(*w, k); ok && sv == v {
				agrees = true
			}
		}
		if !agrees {
			continue
		}
		merged := map[string]string{}
		for k, v := range w.Template.Labels {
			merged[k] = v
		}
		for k, v := range want {
			merged[k] = v
		}
		if serviceWorkloadSelects(*w, merged) {
			return w, want, true
		}
	}
	return nil, nil, false
}

// serviceSelectorSide proposes a Service selector from the closest pod: the
// selector's keys with the pod's values, dropping keys the pod lacks. It is
// only proposed when it selects pods of one owner, so that the fix does not
// sweep other workloads into the Service.
func serviceSelectorSide(s *snapshot.Snapshot, svc *corev1.Service, np snapshot.NearPod) (patch map[string]any, proposed map[string]string, owner snapshot.ObjectRef, n int, ok bool) {
	proposed = map[string]string{}
	patch = map[string]any{}
	for k := range svc.Spec.Selector {
		if v, has := np.Pod.Labels[k]; has {
			proposed[k] = v
		}
	}
	for _, d := range np.Diff {
		if d.Missing {
			patch[d.Key] = nil
		} else {
			patch[d.Key] = d.Have
		}
	}
	if len(proposed) == 0 {
		return nil, nil, owner, 0, false
	}
	owner = ownerOrPod(s, np.Pod)
	matched := s.PodsMatching(svc.Namespace, proposed)
	for _, p := range matched {
		if ownerOrPod(s, p) != owner {
			return nil, nil, owner, 0, false
		}
	}
	return patch, proposed, owner, len(matched), len(matched) > 0
}

// servicePins reports whether the workload's selector requires, for a key
// where the Service and the pods differ, the pods' value.
func servicePins(w snapshot.Workload, want, have map[string]string) bool {
	for k := range want {
		if _, pinned := serviceSelectorWants(w, k); pinned && have[k] != want[k] {
			return true
		}
	}
	return false
}

// serviceRelabelAlternative says how to fix the other side: relabel the
// pods through their workload, noting when its selector pins the labels.
func serviceRelabelAlternative(s *snapshot.Snapshot, owner snapshot.ObjectRef, want, have map[string]string) string {
	w := s.Workload(owner)
	if w == nil {
		return fmt.Sprintf("alternative: relabel %s to %s", owner, selectorText(want))
	}
	for k := range want {
		if _, pinned := serviceSelectorWants(*w, k); pinned && have[k] != want[k] {
			switch w.Ref.Kind {
			case snapshot.KindDeployment, snapshot.KindStatefulSet, snapshot.KindDaemonSet, snapshot.KindReplicaSet, snapshot.KindJob:
				return fmt.Sprintf("alternative: change %s's template labels to %s — its spec.selector (%s) pins label %q and is immutable, so that means deleting and re-creating %s",
					owner, selectorText(want), serviceWorkloadSelectorText(*w), k, owner)
			}
			return fmt.Sprintf("alternative: change %s's selector and template labels to %s", owner, selectorText(want))
		}
	}
	return fmt.Sprintf("alternative: change %s's template labels to %s (%s)", owner, selectorText(want), diagnose.EditCmd(owner))
}

func runWorkloadSelectorMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, w := range s.Workloads() {
		if w.Template == nil {
			continue
		}
		var problem string
		switch w.Ref.Kind {
		case snapshot.KindCronJob:
			continue
		case snapshot.KindReplicationController:
			// An empty selector defaults to the template's labels.
			if len(w.MapSelector) == 0 || selectorMatches(w.MapSelector, w.Template.Labels) {
				continue
			}
			problem = fmt.Sprintf("spec.selector %s does not match template labels %s", selectorText(w.MapSelector), selectorText(w.Template.Labels))
		case snapshot.KindJob:
			// A Job without selector gets one generated with its template
			// labels; only a manual selector can disagree.
			if w.Selector == nil {
				continue
			}
			fallthrough
		default:
			problem = workloadSelectorProblem(w)
		}
		if problem == "" {
			continue
		}
		r.Report(workloadSelectorFinding(s, w, problem))
	}
}

// workloadSelectorProblem says why the API server would reject a workload's
// selector, or "" when it matches the template.
func workloadSelectorProblem(w snapshot.Workload) string {
	if w.Selector == nil {
		return "spec.selector is not set; apps/v1 workloads require it"
	}
	sel, err := metav1.LabelSelectorAsSelector(w.Selector)
	switch {
	case err != nil:
		return "spec.selector is invalid: " + err.Error()
	case sel.Empty():
		return "spec.selector is empty; it must select the template's labels"
	case !sel.Matches(labels.Set(w.Template.Labels)):
		return fmt.Sprintf("spec.selector %s does not match template labels %s", metav1.FormatLabelSelector(w.Selector), labelsText(w.Template.Labels))
	}
	return ""
}

func workloadSelectorFinding(s *snapshot.Snapshot, w snapshot.Workload, problem string) diagnose.Finding {
	evidence := []string{problem}
	want := map[string]string{}
	if w.MapSelector != nil {
		want = w.MapSelector
	} else if w.Selector != nil {
		want = w.Selector.MatchLabels
	}
	for _, k := range sortedKeys(want) {
		have, ok := w.Template.Labels[k]
		switch {
		case !ok:
			evidence = append(evidence, fmt.Sprintf("%s: selector wants %q, template has no such label", k, want[k]))
		case have != want[k]:
			evidence = append(evidence, fmt.Sprintf("%s: selector wants %q, template has %q", k, want[k], have))
		}
	}
	if w.Selector != nil && len(w.Selector.MatchExpressions) > 0 {
		evidence = append(evidence, "spec.selector.matchExpressions: "+metav1.FormatLabelSelector(&metav1.LabelSelector{MatchExpressions: w.Selector.MatchExpressions}))
	}
	fix := diagnose.EditCmd(w.Ref)
	set := map[string]string{}
	for k, v := range want {
		if w.Template.Labels[k] != v {
			set[k] = v
		}
	}
	if len(set) > 0 && (w.Selector == nil || len(w.Selector.MatchExpressions) == 0) {
		var howto string
		fix, howto = serviceWorkloadFix(s, w, set)
		evidence = append(evidence, "fix: "+howto+" (the selector is immutable once created, so the template is what changes)")
	}
	return diagnose.Finding{
		Object:   w.Ref,
		Symptom:  fmt.Sprintf("`kubectl apply` fails for %s: \"`selector` does not match template `labels`\"; no pods are created", w.Ref),
		Cause:    fmt.Sprintf("the API server would reject %s: its selector does not select its own pod template", w.Ref),
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.GetCmd(w.Ref),
		Origin:   originOf(s, w.Ref),
	}
}
