package checks

// Which IngressClass, and so which controller, serves an Ingress: a class
// that does not exist, or none named while no single class is the default.

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var ingressClassMissing = &diagnose.Check{
	ID:       "ingress-class-missing",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress names an IngressClass that does not exist, or names none while no class is the default, so no controller serves it.",
	Run:      runIngressClassMissing,
}

// ingressClassAnnotation is the class annotation that predates
// spec.ingressClassName; controllers still honour it.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// ingressClassOf returns the class an Ingress asks for and whether it came
// from the legacy annotation.
func ingressClassOf(ing *networkingv1.Ingress) (class string, fromAnnotation bool) {
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName, false
	}
	if v := ing.Annotations[ingressClassAnnotation]; v != "" {
		return v, true
	}
	return "", false
}

// ingressAdmitted reports whether a controller has published an address for
// the Ingress: then some controller serves it, whatever its class says.
func ingressAdmitted(ing *networkingv1.Ingress) bool {
	return len(ing.Status.LoadBalancer.Ingress) > 0
}

func runIngressClassMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	known := s.Knows(snapshot.KindIngressClass, "")
	for _, ing := range s.Ingresses {
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		if !known {
			r.NotChecked(ref, "the input has no IngressClass objects: cannot tell which controller serves this Ingress")
			continue
		}
		if ingressAdmitted(ing) {
			continue
		}
		class, fromAnnotation := ingressClassOf(ing)
		if class != "" && s.IngressClass(class) != nil {
			continue
		}
		if defaults := s.DefaultIngressClasses(); class == "" && len(defaults) > 1 {
			r.Report(ingressClassAmbiguousFinding(s, ing, defaults))
			continue
		} else if class == "" && len(defaults) == 1 {
			continue
		}
		r.Report(ingressClassFinding(s, ing, class, fromAnnotation))
	}
}

func ingressClassFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, class string, fromAnnotation bool) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	var names, described []string
	for _, c := range s.IngressClasses {
		names = append(names, c.Name)
		d := c.Name + " (controller " + c.Spec.Controller
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			d += ", default"
		}
		described = append(described, d+")")
	}
	sort.Strings(names)
	var evidence []string
	var cause string
	f := diagnose.Finding{Object: ref, Origin: originOf(s, ref), Verify: diagnose.GetCmd(ref)}
	switch {
	case class == "":
		evidence = append(evidence, "spec.ingressClassName is not set and there is no "+ingressClassAnnotation+" annotation")
		evidence = append(evidence, "no IngressClass is marked default (annotation "+networkingv1.AnnotationIsDefaultIngressClass+": \"true\")")
		cause = fmt.Sprintf("Ingress %s names no class and the cluster has no default IngressClass, so no controller picks it up", ing.Name)
	case fromAnnotation:
		evidence = append(evidence, fmt.Sprintf("annotation %s: %q, and no IngressClass of that name exists", ingressClassAnnotation, class))
		evidence = append(evidence, "a controller started with that class name may still honour the legacy annotation without an IngressClass object; check its flags")
		cause = fmt.Sprintf("Ingress %s asks for class %q through the legacy annotation, and no IngressClass has that name", ing.Name, class)
		// The annotation is matched against controller flags, not only
		// against IngressClass objects, so a missing object is likely but
		// not certain to leave the Ingress unserved.
		f.Severity = diagnose.SeverityWarning
	default:
		evidence = append(evidence, fmt.Sprintf("spec.ingressClassName: %q, and no IngressClass of that name exists", class))
		cause = fmt.Sprintf("Ingress %s names IngressClass %q, which does not exist, so no controller serves it", ing.Name, class)
	}
	if len(described) == 0 {
		evidence = append(evidence, "the cluster has no IngressClass at all: no ingress controller is installed")
	} else {
		evidence = append(evidence, "IngressClasses: "+joinLimit(described, maxListed))
	}
	if fromCluster(s, ing) {
		evidence = append(evidence, "status.loadBalancer.ingress is empty: no controller has admitted this Ingress")
	}
	target := ""
	if class != "" {
		if best, dist, ok := nearestName(class, names); ok && typoOrSuffix(class, best) {
			target = best
			evidence = append(evidence, fmt.Sprintf("closest IngressClass: %q (edit distance %d)", best, dist))
		}
	}
	if target == "" && len(names) == 1 {
		target = names[0]
	}
	f.Fix = diagnose.EditCmd(ref)
	if target != "" {
		patch := map[string]any{"spec": map[string]any{"ingressClassName": target}}
		if _, ok := ing.Annotations[ingressClassAnnotation]; ok {
			// The API rejects an Ingress whose annotation and
			// ingressClassName disagree, so the patch drops the annotation.
			patch["metadata"] = map[string]any{"annotations": map[string]any{ingressClassAnnotation: nil}}
		}
		f.Fix = diagnose.MergePatchCmd(ref, patch)
	}
	f.Symptom = "the Ingress gets no ADDRESS and no controller routes its hosts: requests fail or hit another controller's default 404"
	f.Cause = cause
	f.Evidence = evidence
	return f
}

// ingressClassAmbiguousFinding reports a class-less Ingress in a cluster
// with more than one default IngressClass. Before Kubernetes 1.25 the
// DefaultIngressClass admission plugin rejects such an Ingress; since then it
// assigns the newest default (by creation time, then name), so which
// controller serves it depends on the cluster's version and history, not on
// the manifest.
func ingressClassAmbiguousFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, defaults []*networkingv1.IngressClass) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	sorted := append([]*networkingv1.IngressClass(nil), defaults...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return sorted[i].Name < sorted[j].Name
	})
	var described []string
	for _, c := range sorted {
		described = append(described, fmt.Sprintf("%s (controller %s)", c.Name, c.Spec.Controller))
	}
	newest := sorted[0].Name
	evidence := []string{
		"spec.ingressClassName is not set and there is no " + ingressClassAnnotation + " annotation",
		fmt.Sprintf("%d IngressClasses are marked default (%s: \"true\"): %s", len(sorted), networkingv1.AnnotationIsDefaultIngressClass, strings.Join(described, ", ")),
		"Kubernetes before 1.25 rejects the Ingress: \"" + fmt.Sprintf("%d default IngressClasses were found, only 1 allowed", len(sorted)) + "\"",
		fmt.Sprintf("Kubernetes 1.25 and later assign the newest default (by creationTimestamp, then by name) when the Ingress is created: %s", newest),
	}
	f := diagnose.Finding{
		Object:   ref,
		Symptom:  "the Ingress is rejected when applied, or served by whichever controller owns the newest default class: requests may reach the wrong controller or none",
		Cause:    fmt.Sprintf("Ingress %s names no class while %d IngressClasses are marked default, so the cluster, not the manifest, decides which controller serves it", ing.Name, len(sorted)),
		Evidence: evidence,
		Fix:      diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"ingressClassName": newest}}),
		Verify:   diagnose.GetCmd(ref),
		Origin:   originOf(s, ref),
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("fix: name the class explicitly (%s is what the API server would pick; use another if its controller should serve this Ingress), and keep one default: %s",
		newest, diagnose.KubectlOn([]string{"annotate", "ingressclass"}, sorted[len(sorted)-1].Name, networkingv1.AnnotationIsDefaultIngressClass+"-")))
	if !fromCluster(s, ing) {
		// A manifest is not applied yet: the outcome depends on the
		// cluster's version, not on what the input shows.
		f.Severity = diagnose.SeverityWarning
	} else {
		f.Evidence = append(f.Evidence, "status.loadBalancer.ingress is empty: no controller has admitted this Ingress")
	}
	return f
}

// classController returns the class an Ingress belongs to (the one it
// names, else the single default class) and that class's controller name;
// ok is false when either is unknown.
func classController(s *snapshot.Snapshot, ing *networkingv1.Ingress) (class, controller string, ok bool) {
	class, _ = ingressClassOf(ing)
	if class == "" {
		defs := s.DefaultIngressClasses()
		if len(defs) != 1 {
			return "", "", false
		}
		class = defs[0].Name
	}
	ic := s.IngressClass(class)
	if ic == nil {
		return class, "", false
	}
	return class, ic.Spec.Controller, true
}
