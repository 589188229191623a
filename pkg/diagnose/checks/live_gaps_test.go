package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

func decode(t *testing.T, yaml string, live bool) *snapshot.Snapshot {
	t.Helper()
	s := snapshot.New()
	if err := source.DecodeBytes(s, "case.yaml", []byte(yaml), ""); err != nil {
		t.Fatal(err)
	}
	if live {
		s.Live = true
		for _, k := range []string{snapshot.KindPod, snapshot.KindService, snapshot.KindDeployment, snapshot.KindEndpoints} {
			s.Listed[k] = true
		}
	}
	s.Index()
	return s
}

// findingsOf runs one registered check over s.
func findingsOf(id string, s *snapshot.Snapshot) []diagnose.Finding {
	c := ByID(id)
	r := diagnose.NewReporter(c)
	c.Run(s, r)
	return r.Findings()
}

// A live scan listed pods: a Service in a namespace with none selects
// nothing for certain, which is a finding, not "not checked".
func TestSelectorOnAnEmptyLiveNamespace(t *testing.T) {
	s := decode(t, `
apiVersion: v1
kind: Service
metadata: {name: api-svc, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`, true)
	if got := findingsOf("service-selector-matches-no-pods", s); len(got) != 1 {
		t.Fatalf("findings %v", got)
	}
}

// The readiness probe suggested for a LoadBalancer's pods goes to the port
// the container declares, not to the Service's wrong targetPort.
func TestLBProbeFixUsesTheDeclaredPort(t *testing.T) {
	s := decode(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: app, image: hashicorp/http-echo:0.2.3, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb-svc, namespace: default}
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{port: 80, targetPort: 8081}]
`, false)
	got := findingsOf("exposure-lb-no-readiness-probe", s)
	if len(got) != 1 {
		t.Fatalf("findings %v", got)
	}
	if fix := got[0].Fix; !strings.Contains(fix, `"port":8080`) {
		t.Fatalf("fix probes the wrong port: %s", fix)
	}
}

// When the Deployment's selector leaves the drifted label free, the fix
// relabels its template (the seed's lab 1 fix), with the Service patch as
// the alternative; lab check and lab solution then agree.
func TestSelectorFixRelabelsWhenTheWorkloadDoesNotPinTheLabel(t *testing.T) {
	s := decode(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: lab}
spec:
  selector: {matchLabels: {tier: backend}}
  template:
    metadata: {labels: {app: api-v1, tier: backend}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-1
  namespace: lab
  labels: {app: api-v1, tier: backend}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, controller: true, uid: u1}]
spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-svc, namespace: lab}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`, true)
	got := findingsOf("service-selector-matches-no-pods", s)
	if len(got) != 1 {
		t.Fatalf("findings %v", got)
	}
	f := got[0]
	if !strings.Contains(f.Fix, "patch deployment api") || !strings.Contains(f.Fix, `"app":"api"`) {
		t.Fatalf("fix %s", f.Fix)
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "alternative: patch the Service selector") {
		t.Fatalf("evidence lacks the Service alternative: %v", f.Evidence)
	}
}
