package testenv_test

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// webApp is a healthy two-pod web server behind its Service.
const webApp = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
`

// namespaceReader lets user alice read the namespace it is applied to, and
// nothing else.
var namespaceReader = userRole("alice", "namespace-reader", `
- apiGroups: ["", "apps", "batch", "networking.k8s.io", "discovery.k8s.io"]
  resources: ["*"]
  verbs: ["get", "list", "watch"]`)

const orphanService = `
apiVersion: v1
kind: Service
metadata:
  name: orphan
spec:
  selector:
    app: nothing-has-this-label
  ports:
  - port: 80
`

// TestNamespaceReaderGetsPartialResults scans as a user who may read one
// namespace and nothing cluster-wide (impersonated, as with --as): the scan
// succeeds, records what it may not list, the layers that need those kinds
// are "not checked: forbidden", and a healthy namespace still diagnoses
// without errors while a broken Service in it is still found.
func TestNamespaceReaderGetsPartialResults(t *testing.T) {
	const ns = "team-a"
	namespaceWith(t, ns, webApp+"---"+namespaceReader)
	alice := impersonating("alice")

	snap, res := diagnoseAs(t, alice, ns)
	for _, kind := range []string{snapshot.KindNode, snapshot.KindIngressClass, snapshot.KindNamespace,
		snapshot.KindPod + "/kube-system", snapshot.KindService + "/kube-system"} {
		if why := snap.Forbidden[kind]; !strings.HasPrefix(why, "forbidden: ") || !strings.Contains(why, "alice") {
			t.Errorf("Forbidden[%s] = %q, want the API server's forbidden message for alice", kind, why)
		}
	}
	for _, kind := range []string{snapshot.KindPod, snapshot.KindService, snapshot.KindEndpointSlice, snapshot.KindSecret} {
		if !snap.Knows(kind, ns) {
			t.Errorf("%s in %s not listed although alice may list it", kind, ns)
		}
	}
	notChecked := strings.Join(res.Summary.NotChecked, "\n")
	if !strings.Contains(notChecked, "Node: forbidden") {
		t.Errorf("summary does not say Nodes were not checked (forbidden):\n%s", notChecked)
	}
	if res.MaxSeverity() == diagnose.SeverityError {
		t.Errorf("healthy namespace diagnosed with errors as a namespace reader (forbidden layers must not count):\n%s", rendered(res))
	}

	deploy(t, ns, orphanService)
	_, res = diagnoseAs(t, alice, ns)
	orphan := snapshot.ObjectRef{Kind: snapshot.KindService, Namespace: ns, Name: "orphan"}
	if findingOf(res, "service-selector-matches-no-pods", orphan) == nil {
		t.Errorf("partial results miss the broken Service; findings:\n  %s", keys(res))
	}
	if errs := errorsOf(res); len(errs) != 1 {
		t.Errorf("want exactly the orphan Service's error, got %v", errs)
	}
}
