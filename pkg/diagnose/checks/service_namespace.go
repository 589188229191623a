package checks

// A Service whose selector matches no pod of its own namespace but pods of
// another: the Service (or its pods) was created in the wrong namespace,
// typically by a manifest or chart without metadata.namespace that went to
// the kubectl context's namespace. A selector only ever selects pods of the
// Service's own namespace, so the Service must live where the pods are.

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// serviceMatchElsewhere is one other namespace whose pods a Service's
// selector matches.
type serviceMatchElsewhere struct {
	Namespace string
	Pods      []*corev1.Pod
}

// serviceSelectedElsewhere lists, by namespace name, the other namespaces
// in which svc's selector matches pods.
func serviceSelectedElsewhere(s *snapshot.Snapshot, svc *corev1.Service) []serviceMatchElsewhere {
	var out []serviceMatchElsewhere
	for _, ns := range s.NamespaceNames() {
		if ns == svc.Namespace {
			continue
		}
		if pods := s.PodsMatching(ns, svc.Spec.Selector); len(pods) > 0 {
			out = append(out, serviceMatchElsewhere{Namespace: ns, Pods: pods})
		}
	}
	return out
}

// serviceWrongNamespaceFinding judges a Service whose selector matches no
// pod of its namespace: it is the wrong-namespace finding when pods of
// another namespace carry every label of the selector while nothing in its
// own namespace comes close (no pod shares a selector label, no workload
// template matches). With a near miss at home, label drift is the likelier
// story and the closest-pod analysis judges it.
func serviceWrongNamespaceFinding(s *snapshot.Snapshot, svc *corev1.Service, workloads []snapshot.Workload) (diagnose.Finding, bool) {
	ns := svc.Namespace
	sel := svc.Spec.Selector
	for _, w := range workloads {
		if w.Template != nil && selectorMatches(sel, w.Template.Labels) {
			return diagnose.Finding{}, false
		}
	}
	if near := s.ClosestPods(ns, sel, 1); len(near) > 0 && near[0].Matched > 0 {
		return diagnose.Finding{}, false
	}
	elsewhere := serviceSelectedElsewhere(s, svc)
	if len(elsewhere) == 0 {
		return diagnose.Finding{}, false
	}
	ref := snapshot.Ref(snapshot.KindService, svc)
	home := fmt.Sprintf("namespace %s has no pods in the input", ns)
	if n := len(s.PodsIn(ns)); n > 0 {
		home = fmt.Sprintf("none of the %d pod(s) in namespace %s carries any of these labels", n, ns)
	}
	ev := []string{"selector: " + selectorText(sel), home}
	var where []string
	for _, m := range elsewhere {
		where = append(where, m.Namespace)
		var owners []string
		for _, g := range groupByOwner(s, m.Pods) {
			owners = append(owners, groupLabel(s, g))
		}
		ev = append(ev, fmt.Sprintf("namespace %s: %d pod(s) carry these labels: %s", m.Namespace, len(m.Pods), joinLimit(owners, maxListed)))
	}
	target := elsewhere[0]
	f := diagnose.Finding{
		Object:  ref,
		Symptom: fmt.Sprintf("`kubectl get endpoints %s -n %s` shows ENDPOINTS: <none>; connections to the Service are refused", svc.Name, ns),
		Cause: fmt.Sprintf("Service %s was created in namespace %s, but the pods its selector %s matches run in namespace %s: a selector only selects pods of the Service's own namespace (a manifest without metadata.namespace lands in the current context's namespace)",
			svc.Name, ns, selectorText(sel), strings.Join(where, ", ")),
		Verify: diagnose.GetCmd(snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: target.Namespace, Name: svc.Name}),
		Origin: originOf(s, ref),
	}
	if len(elsewhere) > 1 {
		ev = append(ev, "the selector matches pods in several namespaces: create the Service in the one whose clients use it")
	}
	if twin := s.Service(target.Namespace, svc.Name); twin != nil && selectorMatches(twin.Spec.Selector, target.Pods[0].Labels) {
		// The Service already exists where its pods are: this one is a
		// stray copy in the wrong namespace.
		ev = append(ev, fmt.Sprintf("Service %s/%s exists and selects these pods: Service %s/%s is a stray copy; clients in %s reach the pods as %s.%s",
			target.Namespace, svc.Name, ns, svc.Name, ns, svc.Name, target.Namespace))
		f.Fix = diagnose.Kubectl("delete", "service", svc.Name, "-n", ns)
		f.Evidence = ev
		return f, true
	}
	fix, howto := serviceMoveFix(s, svc, target)
	f.Fix = fix
	f.Evidence = append(ev, "fix: "+howto)
	return f, true
}

// serviceMoveFix re-creates svc in the namespace of its pods. A Service
// from a manifest file is moved by changing its namespace there; one from a
// cluster with one port is exposed again next to its pods with the same
// selector and ports; otherwise its YAML is re-applied in the other
// namespace (kubectl cannot move an object).
func serviceMoveFix(s *snapshot.Snapshot, svc *corev1.Service, to serviceMatchElsewhere) (fix, howto string) {
	ref := snapshot.Ref(snapshot.KindService, svc)
	if o, ok := s.Origin(ref); ok && o.File != "" && o.File != "<stdin>" && !fromCluster(s, svc) {
		where := o.File
		if o.Line > 0 {
			where += fmt.Sprintf(" (document starting at line %d)", o.Line)
		}
		return diagnose.Kubectl("apply", "-f", o.File, "-n", to.Namespace),
			fmt.Sprintf("in %s, set metadata.namespace of Service %s to %s (or remove it), then apply the file", where, svc.Name, to.Namespace)
	}
	if len(svc.Spec.Ports) == 1 {
		sp := svc.Spec.Ports[0]
		subject := ownerOrPod(s, to.Pods[0])
		if subject.Kind == snapshot.KindPod || dnsExposable(subject.Kind) {
			args := []string{"expose", strings.ToLower(subject.Kind), subject.Name, "-n", to.Namespace, "--name=" + svc.Name,
				"--port=" + strconv.Itoa(int(sp.Port)), "--selector=" + selectorText(svc.Spec.Selector)}
			if tp := sp.TargetPort.String(); tp != "0" && tp != "" {
				args = append(args, "--target-port="+tp)
			}
			if p := snapshot.ProtocolOrTCP(sp.Protocol); p != corev1.ProtocolTCP {
				args = append(args, "--protocol="+string(p))
			}
			if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
				args = append(args, "--type="+string(svc.Spec.Type))
			}
			return diagnose.Kubectl(args...), fmt.Sprintf("create Service %s in namespace %s with the same selector and port, then delete the copy in %s (%s)",
				svc.Name, to.Namespace, svc.Namespace, diagnose.Kubectl("delete", "service", svc.Name, "-n", svc.Namespace))
		}
	}
	return diagnose.GetCmd(ref, "-o", "yaml"), fmt.Sprintf("save this YAML, set metadata.namespace to %s, remove metadata.uid, metadata.resourceVersion, spec.clusterIP and spec.clusterIPs, apply it, then delete the copy in %s (ports: %s)",
		to.Namespace, svc.Namespace, strings.Join(servicePortsText(svc), "; "))
}
