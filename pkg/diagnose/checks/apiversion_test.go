package checks

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestRemovedAPIVersionSeverityAndLayer: a manifest in a removed version is
// an error at its object's layer naming the release; the same objects in a
// dump of a running cluster are one note.
func TestRemovedAPIVersionSeverityAndLayer(t *testing.T) {
	dir := filepath.Join("testdata", "manifest-api-version-removed")
	cases := []struct {
		file     string
		object   string
		severity diagnose.Severity
		layer    diagnose.Layer
		says     string
	}{
		{"bad-manifests.yaml", "Ingress/shop/web", diagnose.SeverityError, diagnose.LayerIngress, "Kubernetes 1.22"},
		{"bad-manifests.yaml", "Deployment/shop/web", diagnose.SeverityError, diagnose.LayerPod, "Kubernetes 1.16"},
		{"bad-manifests.yaml", "NetworkPolicy/shop/allow-web", diagnose.SeverityError, diagnose.LayerNetworkPolicy, "Kubernetes 1.16"},
		{"bad-old-cluster-dump.yaml", "Ingress/shop/web", diagnose.SeverityInfo, diagnose.LayerIngress, "2 Ingress object(s)"},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.object, func(t *testing.T) {
			for _, f := range runCheckFile(t, manifestAPIVersionRemoved, filepath.Join(dir, c.file)) {
				if f.Object.String() != c.object {
					continue
				}
				text := f.Symptom + " " + f.Cause + " " + strings.Join(f.Evidence, " ")
				if f.Severity != c.severity || f.Layer != c.layer || !strings.Contains(text, c.says) {
					t.Errorf("severity %s layer %s, want %s %s; %q does not say %q", f.Severity, f.Layer, c.severity, c.layer, text, c.says)
				}
				if f.Origin == nil || f.Origin.APIVersion == "" {
					t.Errorf("origin %+v does not record the written version", f.Origin)
				}
				return
			}
			t.Errorf("no finding on %s", c.object)
		})
	}
}
