package checks

// Label selectors and the label sets they match: formatting them as
// kubectl -l accepts them, telling an app's own labels from the ones
// controllers add, and walking the Services whose selector picks pods.

import (
	"iter"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// sortedKeys returns the keys of a label map (or any string map) in order,
// so that evidence built from it is stable.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// selectorText formats a plain selector as kubectl -l accepts it, sorted by
// key.
func selectorText(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// labelsText formats labels for evidence, "(none)" when there are none.
func labelsText(m map[string]string) string {
	if len(m) == 0 {
		return "(none)"
	}
	return selectorText(m)
}

// revisionLabels are the labels workload controllers add to tell one
// revision of a pod template from another.
var revisionLabels = []string{"pod-template-hash", "controller-revision-hash", "pod-template-generation"}

// replicaSelector is the kubectl -l selector for the pods that share p's
// labels across rollouts: its labels without the revision labels.
func replicaSelector(podLabels map[string]string) string {
	kept := map[string]string{}
	for k, v := range podLabels {
		if !slices.Contains(revisionLabels, k) {
			kept[k] = v
		}
	}
	return selectorText(kept)
}

// controllerLabel reports labels controllers add to pods (revisions, pod
// names and indexes, Job identities), which say nothing about which app a
// pod is.
func controllerLabel(k string) bool {
	switch k {
	case "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid",
		"controller-uid", "batch.kubernetes.io/job-name", "job-name":
		return true
	}
	return slices.Contains(revisionLabels, k)
}

// appLabels are a pod's labels without the ones controllers add.
func appLabels(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !controllerLabel(k) {
			out[k] = v
		}
	}
	return out
}

// selectorMatches reports whether a non-empty plain selector selects a
// label set; an empty selector selects nothing here, as a Service or
// ReplicationController without one picks no pods by label.
func selectorMatches(selector, set map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(set))
}

// routesToPods reports whether svc is a Service whose endpoints the
// controller computes from its selector.
func routesToPods(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName && len(svc.Spec.Selector) > 0
}

// servicesWithPods yields every Service that routes to pods by its
// selector, with the pods it selects; Services that select none are left
// out (service-selector-matches-no-pods judges those).
func servicesWithPods(s *snapshot.Snapshot) iter.Seq2[*corev1.Service, []*corev1.Pod] {
	return func(yield func(*corev1.Service, []*corev1.Pod) bool) {
		for _, svc := range s.Services {
			if !routesToPods(svc) {
				continue
			}
			pods := s.PodsMatching(svc.Namespace, svc.Spec.Selector)
			if len(pods) > 0 && !yield(svc, pods) {
				return
			}
		}
	}
}
