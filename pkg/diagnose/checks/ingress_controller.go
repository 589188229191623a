package checks

// Whether a controller runs for an Ingress's class: controller pods found by
// image and --controller-class flag, and whether any is ready.

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ingressControllerUnavailable catches Ingresses whose class is served by no
// ready controller: the controller crash-loops, or no controller runs with
// that class's controller name.
var ingressControllerUnavailable = &diagnose.Check{
	ID:       "ingress-controller-unavailable",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "No ready ingress controller serves the Ingress's class: its controller pods are not ready, or no controller runs with the class's controller name.",
	Run:      runIngressControllerUnavailable,
}

const (
	// nginxControllerName is the controller name ingress-nginx serves when
	// started without --controller-class.
	nginxControllerName = "k8s.io/ingress-nginx"
	// controllerClassFlag is the flag that gives a controller its name.
	controllerClassFlag = "--controller-class="
)

// runningControllers maps each ingress controller name to the pods that run a
// controller for it, read from their --controller-class flags (ingress-nginx
// defaults to k8s.io/ingress-nginx when the flag is absent).
func runningControllers(s *snapshot.Snapshot) (map[string][]*corev1.Pod, bool) {
	out := map[string][]*corev1.Pod{}
	nginx := false
	for _, p := range s.Pods {
		if !hasStatus(p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			if class, isNginx := controllerClassOf(c); class != "" {
				out[class] = append(out[class], p)
				nginx = nginx || isNginx
				break
			}
		}
	}
	return out, nginx
}

// controllerClassOf returns the controller name a container serves
// Ingresses for, "" when it is no ingress controller, and whether it is
// ingress-nginx.
func controllerClassOf(c corev1.Container) (class string, nginx bool) {
	nginx = strings.Contains(c.Image, "ingress-nginx/controller") || strings.Contains(c.Image, "nginx-ingress-controller")
	for _, a := range slices.Concat(c.Command, c.Args) {
		if v, ok := strings.CutPrefix(a, controllerClassFlag); ok {
			class = v
		}
	}
	if class == "" && nginx {
		class = nginxControllerName
	}
	return class, nginx
}

// ingressControllerContainer names the container of p that runs the
// ingress controller (whose log tells what it routes), "" when none does.
func ingressControllerContainer(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if class, _ := controllerClassOf(c); class != "" {
			return c.Name
		}
	}
	return ""
}

// ingressOutage is one controller that serves no Ingress of its class, and
// the Ingresses it leaves unserved, in input order.
type ingressOutage struct {
	class, ctrl string
	pods        []*corev1.Pod // none: no controller runs with that name
	ingresses   []*networkingv1.Ingress
}

func runIngressControllerUnavailable(s *snapshot.Snapshot, r *diagnose.Reporter) {
	if !s.Live && !s.ClusterDump() {
		return
	}
	controllers, nginx := runningControllers(s)
	var outages []*ingressOutage
	byCtrl := map[string]*ingressOutage{}
	for _, ing := range s.Ingresses {
		class, ctrl, ok := classController(s, ing)
		if !ok {
			continue
		}
		pods := controllers[ctrl]
		switch {
		case len(pods) == 0 && (!nginx || !strings.HasPrefix(ctrl, "k8s.io/")):
			continue
		case len(pods) > 0 && ingressControllerReady(pods):
			continue
		}
		key := class + " " + ctrl
		o := byCtrl[key]
		if o == nil {
			o = &ingressOutage{class: class, ctrl: ctrl, pods: pods}
			byCtrl[key] = o
			outages = append(outages, o)
		}
		o.ingresses = append(o.ingresses, ing)
	}
	for _, o := range outages {
		// One outage, one finding: it sits on the first Ingress the
		// controller leaves unserved and is the root cause of every path
		// through the others, whose own findings name it in ExplainedBy
		// so that the engine marks them affected instead of ranking N
		// copies of one fault above it.
		var f diagnose.Finding
		if len(o.pods) == 0 {
			f = ingressNoControllerFinding(s, o.ingresses[0], o.class, o.ctrl, controllers)
		} else {
			f = ingressControllerDownFinding(s, o.ingresses[0], o)
		}
		first := f.Object
		if len(o.ingresses) > 1 {
			var others []string
			for _, ing := range o.ingresses[1:] {
				others = append(others, snapshot.Ref(snapshot.KindIngress, ing).String())
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("%d more Ingress(es) of class %s are down with it: %s", len(others), o.class, joinLimit(others, maxListed)))
		}
		r.Report(f)
		for _, ing := range o.ingresses[1:] {
			ref := snapshot.Ref(snapshot.KindIngress, ing)
			r.Report(diagnose.Finding{
				Object:      ref,
				ExplainedBy: []snapshot.ObjectRef{first},
				Symptom:     f.Symptom,
				Cause:       fmt.Sprintf("the same controller outage as %s: %s", first, f.Cause),
				Evidence:    []string{fmt.Sprintf("IngressClass %s (controller %s) serves this Ingress; see %s for the controller's state", o.class, o.ctrl, first)},
				Fix:         f.Fix,
				Verify:      f.Verify,
				Origin:      originOf(s, ref),
			})
		}
	}
}

// ingressControllerReady reports whether one of a controller's pods is
// ready: then it serves its Ingresses.
func ingressControllerReady(pods []*corev1.Pod) bool {
	for _, p := range pods {
		if c := podCondition(p, corev1.PodReady); c != nil && c.Status == corev1.ConditionTrue && p.Status.Phase == corev1.PodRunning {
			return true
		}
	}
	return false
}

// ingressControllerDownFinding is the outage of a controller whose pods run
// but none is ready, on the first Ingress it leaves unserved.
func ingressControllerDownFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, o *ingressOutage) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	pods := o.pods
	ev := []string{fmt.Sprintf("IngressClass %s is served by controller %s: %d pod(s), none ready", o.class, o.ctrl, len(pods))}
	for _, p := range pods {
		for _, c := range containersOf(p) {
			if c.Status == nil || c.Status.Ready {
				continue
			}
			ev = append(ev, s.SubjectOf(p).String()+" "+stateLine(c))
			if t := c.Status.LastTerminationState.Terminated; t != nil {
				ev = append(ev, "last termination: "+terminatedLine(t))
			}
		}
		ev = append(ev, eventLines(s, snapshot.Ref(snapshot.KindPod, p), []string{"BackOff", "Unhealthy", "Failed"})...)
	}
	// Controller pods on a NotReady node are down because of the node:
	// then the node is the cause, and editing the controller would not
	// help. A crash loop of the controller itself stays this finding's
	// own cause (its evidence quotes the crash).
	var explainedBy []snapshot.ObjectRef
	seenNode := map[string]bool{}
	for _, p := range pods {
		if n := p.Spec.NodeName; n != "" && !seenNode[n] {
			seenNode[n] = true
			explainedBy = append(explainedBy, snapshot.ObjectRef{Kind: snapshot.KindNode, Name: n})
		}
	}
	target, _ := fixTarget(s, pods[0])
	return diagnose.Finding{
		Object:      ref,
		ExplainedBy: explainedBy,
		Symptom:     "every host of the Ingress is unreachable (connection refused or timeout on the controller's address); the Ingress has no ADDRESS",
		Cause:       fmt.Sprintf("the ingress controller for class %s (%s) is not running: none of its pods is ready, so nothing routes this Ingress", o.class, o.ctrl),
		Evidence:    ev,
		Fix:         diagnose.EditCmd(target),
		Verify:      verifyPod(s, pods[0]),
		Origin:      originOf(s, ref),
	}
}

func ingressNoControllerFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, class, ctrl string, controllers map[string][]*corev1.Pod) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	var running []string
	for name := range controllers {
		running = append(running, name)
	}
	sort.Strings(running)
	ev := []string{fmt.Sprintf("the Ingress uses IngressClass %s, whose spec.controller is %s", class, ctrl),
		"ingress controllers running in the cluster (--controller-class): " + strings.Join(running, ", ")}
	fix := diagnose.EditCmd(ref)
	var served []string
	for _, ic := range s.IngressClasses {
		if len(controllers[ic.Spec.Controller]) > 0 {
			served = append(served, ic.Name)
		}
	}
	if len(served) == 1 {
		ev = append(ev, "IngressClass "+served[0]+" is served by a running controller")
		fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"ingressClassName": served[0]}})
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  "the Ingress never gets an ADDRESS and its hosts answer 404 (or nothing): no controller picks it up",
		Cause:    fmt.Sprintf("no ingress controller runs for controller name %s (IngressClass %s); the controllers in the cluster ignore the Ingress (\"Ignoring ingress because of error while validating ingress class\")", ctrl, class),
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.GetCmd(ref),
		Origin:   originOf(s, ref),
	}
}
