package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var serviceChecks = []*diagnose.Check{
	serviceSelectorMatchesNoPods, workloadSelectorMismatch, serviceTargetPortMissing,
	serviceNoSelectorNoEndpoints, serviceProtocolMismatch,
}

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

var serviceTargetPortMissing = &diagnose.Check{
	ID:       "service-target-port-missing",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service targetPort names a port no selected pod declares (named), or a number none of them declares or probes while they declare others.",
	Run:      runServiceTargetPortMissing,
}

var serviceNoSelectorNoEndpoints = &diagnose.Check{
	ID:       "service-no-selector-no-endpoints",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service without selector has no Endpoints or EndpointSlices with addresses, so nothing answers it.",
	Run:      runServiceNoSelectorNoEndpoints,
}

var serviceProtocolMismatch = &diagnose.Check{
	ID:       "service-protocol-mismatch",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service port's protocol (TCP/UDP/SCTP) differs from the protocol of the container port it targets.",
	Run:      runServiceProtocolMismatch,
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
	// some of the selector's pairs.
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
	if len(near) == 0 {
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
	owner = s.SubjectOf(np.Pod)
	if o, has := s.OwnerOf(np.Pod); has {
		owner = o
	}
	matched := s.PodsMatching(svc.Namespace, proposed)
	for _, p := range matched {
		o, has := s.OwnerOf(p)
		if !has {
			o = snapshot.Ref(snapshot.KindPod, p)
		}
		if o != owner {
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
		Verify:   diagnose.Kubectl("get", strings.ToLower(w.Ref.Kind), w.Ref.Name, "-n", w.Ref.Namespace),
		Origin:   originOf(s, w.Ref),
	}
}

// servicePortVerdict is what one Service port finds on the selected pods.
type servicePortVerdict struct {
	index int
	sp    corev1.ServicePort
	// serving: pods where the port resolves to a declared or probed port
	// (or, for a number, pods that declare no ports: the input cannot tell).
	serving int
	// missing: pods where it resolves to nothing declared (named: the
	// controller drops them; numeric: declared ports are all different).
	missing []*corev1.Pod
	// wrongProto: pods that declare the target only with another protocol.
	wrongProto []*corev1.Pod
	otherProto corev1.Protocol
}

// serviceJudgePorts resolves every port of svc on every selected pod.
func serviceJudgePorts(svc *corev1.Service, pods []*corev1.Pod) []servicePortVerdict {
	out := make([]servicePortVerdict, 0, len(svc.Spec.Ports))
	probes := make([]map[int32]bool, len(pods))
	for i, p := range pods {
		probes[i] = probedPorts(p)
	}
	for i, sp := range svc.Spec.Ports {
		v := servicePortVerdict{index: i, sp: sp}
		target := snapshot.TargetPortOf(sp)
		proto := snapshot.ProtocolOrTCP(sp.Protocol)
		for j, p := range pods {
			_, declared, ok := snapshot.ResolveTargetPort(p, sp)
			if ok && (declared != nil || target.Type == intstr.String) {
				v.serving++
				continue
			}
			ports := snapshot.DeclaredPorts(p)
			var other *snapshot.DeclaredPort
			for k := range ports {
				d := &ports[k]
				byName := target.Type == intstr.String && d.Port.Name == target.StrVal
				byNumber := target.Type == intstr.Int && d.Port.ContainerPort == target.IntVal
				if (byName || byNumber) && d.Protocol() != proto {
					other = d
					break
				}
			}
			switch {
			case other != nil:
				v.wrongProto = append(v.wrongProto, p)
				v.otherProto = other.Protocol()
			case target.Type == intstr.String:
				v.missing = append(v.missing, p)
			case len(snapshot.AppPorts(p)) == 0 || probes[j][target.IntVal]:
				// A numeric targetPort is valid declared or not: it is only
				// judged when the app containers declare where they serve.
				// Without such a port (only a mesh proxy's or a metrics
				// port), or with a probe on the target, the app listens
				// where the input cannot see.
				v.serving++
			default:
				v.missing = append(v.missing, p)
			}
		}
		out = append(out, v)
	}
	return out
}

func runServiceTargetPortMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if !routesToPods(svc) {
			continue
		}
		pods := s.PodsMatching(svc.Namespace, svc.Spec.Selector)
		if len(pods) == 0 {
			continue
		}
		var bad []servicePortVerdict
		noneServe := false
		for _, v := range serviceJudgePorts(svc, pods) {
			if len(v.missing) == 0 {
				continue
			}
			named := snapshot.TargetPortOf(v.sp).Type == intstr.String
			// A number is only judged when no selected pod serves it:
			// containerPorts are informational and one replica set may
			// simply declare less than another.
			if !named && v.serving > 0 {
				continue
			}
			if v.serving == 0 && len(v.wrongProto) == 0 {
				noneServe = true
			}
			bad = append(bad, v)
		}
		if len(bad) == 0 {
			continue
		}
		r.Report(serviceTargetPortFinding(s, svc, pods, bad, noneServe))
	}
}

func serviceTargetPortFinding(s *snapshot.Snapshot, svc *corev1.Service, pods []*corev1.Pod, bad []servicePortVerdict, noneServe bool) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	var evidence []string
	var ops []diagnose.JSONPatchOp
	allFixed := true
	for _, v := range bad {
		target := snapshot.TargetPortOf(v.sp)
		line := "port " + servicePortText(v.sp)
		if target.Type == intstr.String {
			line += fmt.Sprintf(": the name resolves in %d of %d selected pod(s); the endpoints controller leaves the others out of this port", v.serving, len(pods))
		} else {
			line += fmt.Sprintf(": no selected pod declares %d/%s or probes it", target.IntVal, snapshot.ProtocolOrTCP(v.sp.Protocol))
		}
		evidence = append(evidence, line)
		for _, g := range groupByOwner(s, v.missing) {
			evidence = append(evidence, fmt.Sprintf("%s declares %s", groupLabel(s, g), declaredPortsText(g.Pods[0])))
		}
		if v.serving > 0 {
			// Other pods serve the port: retargeting would break them. The
			// selector is too wide, or a rollout changed the port's name.
			evidence = append(evidence, fmt.Sprintf("%d selected pod(s) do serve %s: the selector may also pick pods of another workload", v.serving, targetPortText(v.sp)))
			allFixed = false
			continue
		}
		if value, why, ok := serviceSuggestTarget(v); ok {
			evidence = append(evidence, why)
			ops = append(ops,
				diagnose.JSONPatchOp{Op: "test", Path: fmt.Sprintf("/spec/ports/%d/port", v.index), Value: v.sp.Port},
				// "add" replaces an existing member and also works when
				// targetPort was left to its default.
				diagnose.JSONPatchOp{Op: "add", Path: fmt.Sprintf("/spec/ports/%d/targetPort", v.index), Value: value})
		} else {
			allFixed = false
		}
	}
	fix := diagnose.EditCmd(ref)
	if allFixed {
		fix = diagnose.JSONPatchCmd(ref, ops...)
	}
	first := bad[0]
	symptom := fmt.Sprintf("connections to port %d of Service %s are refused or time out: they reach a pod port nothing listens on", first.sp.Port, svc.Name)
	if snapshot.TargetPortOf(first.sp).Type == intstr.String {
		symptom = fmt.Sprintf("`kubectl get endpoints %s -n %s` lacks port %d for the pods without port %s", svc.Name, svc.Namespace, first.sp.Port, targetPortText(first.sp))
	}
	cause := fmt.Sprintf("Service %s sends port %d to targetPort %s, which the selected pods do not declare", svc.Name, first.sp.Port, targetPortText(first.sp))
	if first.serving > 0 {
		var owners []string
		for _, g := range groupByOwner(s, first.missing) {
			owners = append(owners, g.Owner.String())
		}
		cause = fmt.Sprintf("Service %s also selects pods of %s, which have no port %s: they get no endpoint for port %d", svc.Name, joinLimit(owners, maxListed), targetPortText(first.sp), first.sp.Port)
	}
	f := diagnose.Finding{
		Object:   ref,
		Symptom:  symptom,
		Cause:    cause,
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.DescribeCmd(ref),
		Origin:   originOf(s, ref),
	}
	if !noneServe {
		// Some pods serve every port: the Service is degraded, not down.
		f.Severity = diagnose.SeverityWarning
	}
	return f
}

// serviceSuggestTarget proposes a targetPort for a port that resolves
// nowhere: a declared name close to the one given, or the one port (same
// number and protocol) every pod that lacks the target declares. Only the
// app containers' client ports are candidates: retargeting a Service to a
// mesh proxy's or a metrics port sends its clients to the wrong server.
func serviceSuggestTarget(v servicePortVerdict) (any, string, bool) {
	target := snapshot.TargetPortOf(v.sp)
	proto := snapshot.ProtocolOrTCP(v.sp.Protocol)
	if target.Type == intstr.String {
		names := map[string]bool{}
		for _, p := range v.missing {
			for _, d := range snapshot.AppPorts(p) {
				if d.Port.Name != "" && d.Protocol() == proto {
					names[d.Port.Name] = true
				}
			}
		}
		var list []string
		for n := range names {
			list = append(list, n)
		}
		if best, dist, ok := nearestName(target.StrVal, list); ok && typoOrSuffix(target.StrVal, best) {
			return best, fmt.Sprintf("the pods declare a port named %q (edit distance %d from %q)", best, dist, target.StrVal), true
		}
	}
	var only *snapshot.DeclaredPort
	for _, p := range v.missing {
		var mine []snapshot.DeclaredPort
		for _, d := range snapshot.AppPorts(p) {
			if d.Protocol() == proto {
				mine = append(mine, d)
			}
		}
		if len(mine) != 1 || only != nil && (mine[0].Port.ContainerPort != only.Port.ContainerPort || mine[0].Port.Name != only.Port.Name) {
			return nil, "", false
		}
		only = &mine[0]
	}
	if only == nil {
		return nil, "", false
	}
	if target.Type == intstr.String && only.Port.Name != "" {
		return only.Port.Name, fmt.Sprintf("the pods declare one %s port: %d (%s)", proto, only.Port.ContainerPort, only.Port.Name), true
	}
	return only.Port.ContainerPort, fmt.Sprintf("the pods declare one %s port: %d in container %s", proto, only.Port.ContainerPort, only.Container), true
}

func runServiceNoSelectorNoEndpoints(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if svc.Spec.Type == corev1.ServiceTypeExternalName || len(svc.Spec.Selector) > 0 {
			continue
		}
		ns := svc.Namespace
		addrs, has := serviceAddresses(s, ns, svc.Name)
		if len(addrs) > 0 {
			continue
		}
		ref := snapshot.Ref(snapshot.KindService, svc)
		if !s.Knows(snapshot.KindEndpoints, ns) && !s.Knows(snapshot.KindEndpointSlice, ns) {
			r.NotChecked(ref, fmt.Sprintf("Service has no selector and the input has no Endpoints or EndpointSlices in namespace %s", ns))
			continue
		}
		if !has && ns == metav1.NamespaceDefault && svc.Name == "kubernetes" {
			// The API server itself keeps the endpoints of this Service
			// current; a cluster that answered for the dump has them.
			r.NotChecked(ref, "the input holds no Endpoints of Service default/kubernetes, which the API server maintains")
			continue
		}
		evidence := []string{"spec.selector: not set, so no controller computes endpoints: they must be created by hand or by another controller"}
		if has {
			evidence = append(evidence, fmt.Sprintf("the Endpoints/EndpointSlices for %s hold no addresses", svc.Name))
		} else {
			evidence = append(evidence, fmt.Sprintf("no Endpoints named %s and no EndpointSlice labelled %s=%s in namespace %s", svc.Name, discoveryv1.LabelServiceName, svc.Name, ns))
		}
		evidence = append(evidence, "ports: "+strings.Join(servicePortsText(svc), "; "))
		fix := diagnose.EditCmd(ref)
		for _, key := range []string{"app", "app.kubernetes.io/name"} {
			guess := map[string]string{key: svc.Name}
			if pods := s.PodsMatching(ns, guess); len(pods) > 0 {
				evidence = append(evidence, fmt.Sprintf("%d pod(s) in namespace %s carry %s (e.g. %s): the Service probably lost its selector", len(pods), ns, selectorText(guess), podLabel(s, pods[0])))
				fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": guess}})
				break
			}
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Symptom:  fmt.Sprintf("connections to Service %s are refused: `kubectl get endpoints %s -n %s` shows ENDPOINTS: <none>", svc.Name, svc.Name, ns),
			Cause:    fmt.Sprintf("Service %s has no selector and no endpoints were created for it", svc.Name),
			Evidence: evidence,
			Fix:      fix,
			Verify:   diagnose.Kubectl("get", "endpointslices", "-n", ns, "-l", discoveryv1.LabelServiceName+"="+svc.Name),
			Origin:   originOf(s, ref),
		})
	}
}

func runServiceProtocolMismatch(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		if !routesToPods(svc) {
			continue
		}
		pods := s.PodsMatching(svc.Namespace, svc.Spec.Selector)
		if len(pods) == 0 {
			continue
		}
		var bad []servicePortVerdict
		for _, v := range serviceJudgePorts(svc, pods) {
			// Judged only when no selected pod serves the port with the
			// Service's protocol: one declaring both is fine.
			if len(v.wrongProto) > 0 && v.serving == 0 {
				bad = append(bad, v)
			}
		}
		if len(bad) == 0 {
			continue
		}
		r.Report(serviceProtocolFinding(s, svc, bad))
	}
}

func serviceProtocolFinding(s *snapshot.Snapshot, svc *corev1.Service, bad []servicePortVerdict) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	var evidence []string
	var ops []diagnose.JSONPatchOp
	allFixed := true
	for _, v := range bad {
		evidence = append(evidence, "port "+servicePortText(v.sp))
		for _, g := range groupByOwner(s, v.wrongProto) {
			evidence = append(evidence, fmt.Sprintf("%s declares %s", groupLabel(s, g), declaredPortsText(g.Pods[0])))
		}
		clash := false
		for _, other := range svc.Spec.Ports {
			clash = clash || other.Port == v.sp.Port && snapshot.ProtocolOrTCP(other.Protocol) == v.otherProto
		}
		if clash {
			evidence = append(evidence, fmt.Sprintf("the Service already has port %d/%s: decide which protocol the app speaks", v.sp.Port, v.otherProto))
			allFixed = false
			continue
		}
		ops = append(ops,
			diagnose.JSONPatchOp{Op: "test", Path: fmt.Sprintf("/spec/ports/%d/port", v.index), Value: v.sp.Port},
			diagnose.JSONPatchOp{Op: "add", Path: fmt.Sprintf("/spec/ports/%d/protocol", v.index), Value: string(v.otherProto)})
	}
	fix := diagnose.EditCmd(ref)
	if allFixed {
		fix = diagnose.JSONPatchCmd(ref, ops...)
	}
	first := bad[0]
	proto := snapshot.ProtocolOrTCP(first.sp.Protocol)
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("%s clients of port %d of Service %s get no answer: the pods serve that port over %s", proto, first.sp.Port, svc.Name, first.otherProto),
		Cause:    fmt.Sprintf("Service %s port %d is %s, but the container port it targets (%s) is %s", svc.Name, first.sp.Port, proto, targetPortText(first.sp), first.otherProto),
		Evidence: evidence,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref, "-o", "jsonpath={.spec.ports}"),
		Origin:   originOf(s, ref),
	}
}
