package checks

// Where an object was read from, and what that says about how far its
// fields can be trusted: a manifest carries no status, a dump or a live
// read does.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// originOf is where ref was read from, for Finding.Origin.
func originOf(s *snapshot.Snapshot, ref snapshot.ObjectRef) *snapshot.Origin {
	if o, ok := s.Origin(ref); ok {
		return &o
	}
	return nil
}

// fromCluster reports whether an object was read from a cluster (a dump or
// a live list) rather than written by hand: the API server sets uid and
// creationTimestamp, so only then do its status fields mean anything.
func fromCluster(s *snapshot.Snapshot, meta metav1.Object) bool {
	created := meta.GetCreationTimestamp()
	return s.Live || s.ClusterDump() || meta.GetUID() != "" || !created.IsZero()
}

// hasStatus reports whether the input holds runtime state for p: a pod
// read from a dump or a cluster, not one made from a template nor a bare Pod
// manifest without status.
func hasStatus(p *corev1.Pod) bool {
	return !snapshot.IsTemplatePod(p) && p.Status.Phase != ""
}

// rejectedManifestFix is the fix for an object the API server rejects: it
// does not exist in the cluster, so the file it came from is corrected and
// applied; without a file, a human writes it.
func rejectedManifestFix(s *snapshot.Snapshot, ref snapshot.ObjectRef) string {
	if o, ok := s.Origin(ref); ok && o.File != "" && o.File != "<stdin>" {
		return diagnose.Kubectl("apply", "-f", o.File, "-n", ref.Namespace)
	}
	return diagnose.EditCmd(ref)
}
