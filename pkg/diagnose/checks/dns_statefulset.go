package checks

// StatefulSets whose per-pod DNS names cannot exist: the governing Service
// is missing or not headless.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// statefulSetGoverningService catches StatefulSets whose per-pod DNS names
// cannot exist: spec.serviceName names no Service, or one that is not
// headless.
var statefulSetGoverningService = &diagnose.Check{
	ID:       "statefulset-governing-service",
	Layer:    diagnose.LayerDNS,
	Severity: diagnose.SeverityError,
	Doc:      "A StatefulSet's serviceName names a Service that does not exist or is not headless: its pods get no <pod>.<service> DNS names.",
	Run:      runStatefulSetGoverningService,
}

func runStatefulSetGoverningService(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, sts := range s.StatefulSets {
		name := sts.Spec.ServiceName
		if name == "" {
			continue
		}
		svc := s.Service(sts.Namespace, name)
		if svc == nil && !s.Knows(snapshot.KindService, sts.Namespace) {
			continue
		}
		if svc != nil && svc.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		ref := snapshot.Ref(snapshot.KindStatefulSet, sts)
		svcRef := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: sts.Namespace, Name: name}
		uses := statefulSetNamesUsed(s, sts.Namespace, sts.Name)
		// A missing governing Service leaves every member without its
		// stable network identity, which is what a StatefulSet is for. A
		// Service that exists but has a ClusterIP is the design of some
		// charts (testdata/realworld): only names in use make it an error.
		sev := diagnose.SeverityInfo
		if len(uses) > 0 || svc == nil {
			sev = diagnose.SeverityError
		}
		expose := diagnose.KubectlOn([]string{"expose", "statefulset", "-n", sts.Namespace, "--name=" + name, "--cluster-ip=None"}, sts.Name)
		var cause, fix string
		ev := []string{fmt.Sprintf("StatefulSet %s spec.serviceName: %s (its pods get hostname <pod> and subdomain %s)", sts.Name, name, name)}
		if svc == nil {
			cause = fmt.Sprintf("StatefulSet %s names %s as its governing Service, but no Service %s exists in namespace %s, so its pods get no DNS records of the form %s-0.%s", sts.Name, name, name, sts.Namespace, sts.Name, name)
			fix = expose
			var headless []string
			for _, o := range s.ServicesIn(sts.Namespace) {
				if o.Spec.ClusterIP == corev1.ClusterIPNone && selectorMatches(o.Spec.Selector, sts.Spec.Template.Labels) {
					headless = append(headless, o.Name)
				}
			}
			if len(headless) > 0 {
				ev = append(ev, "headless Service(s) selecting these pods: "+strings.Join(headless, ", ")+" — but per-pod names only exist under spec.serviceName, which cannot be changed")
			}
		} else {
			ip := svc.Spec.ClusterIP
			if ip == "" {
				ip = "unset, so one is allocated"
			}
			cause = fmt.Sprintf("StatefulSet %s's governing Service %s is not headless (clusterIP %s): per-pod records such as %s-0.%s are only published for a headless Service", sts.Name, name, ip, sts.Name, name)
			fix = diagnose.KubectlOn([]string{"delete", "service", "-n", sts.Namespace}, name) + " && " + expose
			ev = append(ev, fmt.Sprintf("Service %s: clusterIP %s (not None)", name, ip))
		}
		if len(uses) > 0 {
			ev = append(ev, "per-pod names in use: "+joinLimit(uses, 4))
		}
		r.Report(diagnose.Finding{
			Object:   ref,
			Severity: sev,
			Symptom:  fmt.Sprintf("nslookup %s-0.%s fails (NXDOMAIN): the StatefulSet's members cannot find each other by name", sts.Name, name),
			Cause:    cause,
			Evidence: ev,
			Fix:      fix,
			Verify:   diagnose.GetCmd(svcRef, "-o", "jsonpath={.spec.clusterIP}"),
			Origin:   originOf(s, ref),
		})
	}
}

// statefulSetNamesUsed finds per-pod names of StatefulSet sts (sts-N.service...)
// in the configuration of namespace ns: env values, commands and
// ConfigMaps.
func statefulSetNamesUsed(s *snapshot.Snapshot, ns, sts string) []string {
	re := regexp.MustCompile(`(?:^|[^a-z0-9-])(` + regexp.QuoteMeta(sts) + `-[0-9]+\.[a-z0-9][-a-z0-9]*)`)
	var out []string
	seen := map[string]bool{}
	note := func(v string) {
		for _, m := range re.FindAllStringSubmatch(v, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	for _, p := range s.PodsIn(ns) {
		for _, c := range containersOf(p) {
			for _, e := range c.Spec.Env {
				note(e.Value)
			}
			note(commandLine(c.Spec))
		}
	}
	for _, cm := range s.ConfigMaps {
		if cm.Namespace == ns {
			for _, k := range sortedKeys(cm.Data) {
				note(cm.Data[k])
			}
		}
	}
	sort.Strings(out)
	return out
}
