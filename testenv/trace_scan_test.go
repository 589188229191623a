package testenv_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// TestTraceReadsOnlyWhatItsPathNeeds: tracing a Service lists the layers of
// its path in its namespace (and kube-system for DNS), never ConfigMaps,
// Secrets, Ingresses, Jobs or CronJobs, and still names the root cause.
func TestTraceReadsOnlyWhatItsPathNeeds(t *testing.T) {
	ctx := context.Background()
	const ns = "trace-scope"
	manifest := `
apiVersion: v1
kind: Namespace
metadata: {name: trace-scope}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: trace-scope}
spec:
  replicas: 1
  selector: {matchLabels: {app: api-v1}}
  template:
    metadata: {labels: {app: api-v1}}
    spec:
      containers:
      - {name: app, image: hashicorp/http-echo:0.2.3, args: ["-listen=:8080"], ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-svc, namespace: trace-scope}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`
	deploy(t, ns, manifest)
	cfg, rec := recordedConfig(false)
	live := source.NewLiveForConfig(cfg, ns)
	live.Kinds = source.TraceKinds([]string{"service/api-svc"})
	snap, err := live.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range rec.requests {
		if req.Method != http.MethodGet {
			t.Errorf("trace sent %s %s", req.Method, req.URL)
		}
		parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
		switch kindOfPath[parts[len(parts)-1]] {
		case snapshot.KindConfigMap, snapshot.KindSecret, snapshot.KindIngress, snapshot.KindIngressClass, snapshot.KindJob, snapshot.KindCronJob:
			t.Errorf("a Service trace listed %s", req.URL.Path)
		}
	}
	res := diagnoseSnapshot(t, snap, scopedTo(ns, "service/api-svc"))
	if len(res.Findings) == 0 || res.Findings[0].Check != "service-selector-matches-no-pods" {
		t.Fatalf("findings %+v", res.Findings)
	}
	t.Logf("service trace: %d requests", len(rec.requests))
}
