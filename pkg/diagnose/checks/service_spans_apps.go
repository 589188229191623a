package checks

// A Service selector that matches too much: pods of several apps (different
// images or releases) behind one Service.

import (
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// serviceSelectorSpansApps catches the selector that matches too much: a
// copied Deployment that kept another app's labels, or two releases of one
// chart whose Services select only the chart's name. Every pod is healthy;
// a share of the requests is answered by the wrong app.
var serviceSelectorSpansApps = &diagnose.Check{
	ID:       "service-selector-spans-apps",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A Service's selector picks pods of several workloads that run different images or belong to different releases: some requests reach the wrong app.",
	Run:      runServiceSelectorSpansApps,
}

// appGroup is the pods of one workload a Service selects, with what tells
// that workload's app apart: its image and release.
type appGroup struct {
	owner    snapshot.ObjectRef
	pods     []*corev1.Pod
	repo     string
	image    string
	instance string
	labels   map[string]string
}

func runServiceSelectorSpansApps(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for svc, selected := range servicesWithPods(s) {
		if len(svc.Spec.Ports) == 0 {
			continue
		}
		var pods []*corev1.Pod
		for _, p := range selected {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				pods = append(pods, p)
			}
		}
		groups := groupByOwner(s, pods)
		if len(groups) < 2 {
			continue
		}
		var apps []appGroup
		repos, instances := map[string]bool{}, map[string]bool{}
		for _, g := range groups {
			p := g.Pods[0]
			c := servingContainer(p, svc.Spec.Ports[0])
			if c == nil {
				continue
			}
			a := appGroup{owner: g.Owner, pods: g.Pods, repo: appImageKey(c.Image), image: c.Image, instance: p.Labels["app.kubernetes.io/instance"], labels: p.Labels}
			repos[a.repo] = true
			if a.instance != "" {
				instances[a.instance] = true
			}
			apps = append(apps, a)
		}
		if len(repos) < 2 && len(instances) < 2 {
			continue
		}
		r.Report(serviceSpansAppsFinding(s, svc, apps, len(repos) > 1))
	}
}

func serviceSpansAppsFinding(s *snapshot.Snapshot, svc *corev1.Service, apps []appGroup, byImage bool) diagnose.Finding {
	ref := snapshot.Ref(snapshot.KindService, svc)
	what := "different releases (app.kubernetes.io/instance)"
	if byImage {
		what = "different images"
	}
	ev := []string{"selector " + selectorText(svc.Spec.Selector) + " picks pods of " + strconv.Itoa(len(apps)) + " workloads"}
	for _, a := range apps {
		line := fmt.Sprintf("%s: %d pod(s), image %s", a.owner, len(a.pods), a.image)
		if a.instance != "" {
			line += ", app.kubernetes.io/instance=" + a.instance
		}
		ev = append(ev, line+", labels "+labelsText(appLabels(a.labels)))
	}
	fix := diagnose.EditCmd(ref)
	if intended, ok := intendedApp(svc, apps); ok {
		if k, v, ok := distinguishingLabel(apps, intended); ok {
			ev = append(ev, fmt.Sprintf("%s is the workload named like the Service; only its pods carry %s=%s", apps[intended].owner, k, v))
			fix = diagnose.MergePatchCmd(ref, map[string]any{"spec": map[string]any{"selector": map[string]string{k: v}}})
		}
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("requests to Service %s are spread over pods of %d workloads running %s: a share of them is answered by the wrong app (wrong responses, 404s, intermittent errors)", svc.Name, len(apps), what),
		Cause:    fmt.Sprintf("the selector of Service %s matches too much: it selects pods of %s, which run %s, so its endpoints mix apps", svc.Name, appOwnersText(apps), what),
		Evidence: ev,
		Fix:      fix,
		Verify:   diagnose.Kubectl("get", "pods", "-n", svc.Namespace, "-l", selectorText(svc.Spec.Selector), "-o", "wide"),
		Origin:   originOf(s, ref),
	}
}

// appOwnersText names the workloads of apps, a few at most.
func appOwnersText(apps []appGroup) string {
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.owner.String())
	}
	return joinLimit(names, 4)
}

// intendedApp is the group whose workload is named like the Service
// (the Service's own app), if exactly one is.
func intendedApp(svc *corev1.Service, apps []appGroup) (int, bool) {
	found := -1
	for i, a := range apps {
		if a.owner.Name == svc.Name || nameStem(a.owner.Name) == nameStem(svc.Name) {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}

// distinguishingLabel finds a label of the intended group's pods that no
// other group's pods carry with that value, preferring the release label.
func distinguishingLabel(apps []appGroup, intended int) (string, string, bool) {
	cand := appLabels(apps[intended].labels)
	keys := sortedKeys(cand)
	sort.SliceStable(keys, func(i, j int) bool {
		return keys[i] == "app.kubernetes.io/instance" && keys[j] != "app.kubernetes.io/instance"
	})
	for _, k := range keys {
		unique := true
		for i, a := range apps {
			if i != intended && a.labels[k] == cand[k] {
				unique = false
				break
			}
		}
		if unique {
			return k, cand[k], true
		}
	}
	return "", "", false
}
