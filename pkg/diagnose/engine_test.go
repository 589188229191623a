package diagnose

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/manifesttest"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The engine's walk is tested with small synthetic checks so that its rules
// (root cause, affected, demotion, partial pod failure) do not depend on the
// real checks' details.

// apiService selects the api pods and sends port 80 to their port 8080.
const apiService = `
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`

const walkYAML = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /api/v2/exact, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---` + apiService + `---
apiVersion: v1
kind: Endpoints
metadata: {name: api}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, labels: {app: api}}
spec: {containers: [{name: app, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-2, labels: {app: api}}
spec: {containers: [{name: app, image: x}]}
`

func load(t *testing.T, yaml string) *snapshot.Snapshot {
	t.Helper()
	return manifesttest.Snapshot(t, "test.yaml", []byte(yaml))
}

// fakeFinding is a complete finding on o whose texts do not matter.
func fakeFinding(o snapshot.ObjectRef) Finding {
	return Finding{Object: o, Symptom: "s", Cause: "c", Evidence: []string{"e"}, Fix: "f", Verify: "v"}
}

// fakeCheck reports fixed findings on the named objects.
func fakeCheck(id string, layer Layer, symptom bool, objects ...snapshot.ObjectRef) *Check {
	return &Check{ID: id, Layer: layer, Severity: SeverityError, Doc: id, Symptom: symptom,
		Run: func(_ *snapshot.Snapshot, r *Reporter) {
			for _, o := range objects {
				r.Report(fakeFinding(o))
			}
		}}
}

var (
	svcRef = snapshot.ObjectRef{Kind: "Service", Namespace: "default", Name: "api"}
	epRef  = snapshot.ObjectRef{Kind: "Endpoints", Namespace: "default", Name: "api"}
	pod1   = snapshot.ObjectRef{Kind: "Pod", Namespace: "default", Name: "api-1"}
	pod2   = snapshot.ObjectRef{Kind: "Pod", Namespace: "default", Name: "api-2"}
)

// walkWith diagnoses walkYAML with checks.
func walkWith(t *testing.T, checks ...*Check) *Result {
	t.Helper()
	res, err := Engine{Checks: checks}.Run(load(t, walkYAML), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func traceOf(t *testing.T, res *Result, entry string) Trace {
	t.Helper()
	for _, tr := range res.Traces {
		if tr.Entry == entry {
			return tr
		}
	}
	t.Fatalf("no trace %q", entry)
	return Trace{}
}

func statuses(tr Trace) string {
	var parts []string
	for _, h := range tr.Hops {
		parts = append(parts, string(h.Layer)+"="+string(h.Status))
	}
	return strings.Join(parts, " ")
}

// wantHops fails the test unless the hops of tr have these statuses.
func wantHops(t *testing.T, tr Trace, want string) {
	t.Helper()
	if got := statuses(tr); got != want {
		t.Fatalf("hops %s, want %s", got, want)
	}
}

func TestWalkMarksLayersAboveRootCauseAffected(t *testing.T) {
	res := walkWith(t, fakeCheck("svc-broken", LayerService, false, svcRef))
	tr := traceOf(t, res, "Ingress/default/web shop.example.com/api")
	wantHops(t, tr, "ingress=affected service=broken endpoints=ok pod=ok container=ok")
	if tr.RootCause != "svc-broken Service/default/api" {
		t.Fatalf("root cause %q", tr.RootCause)
	}
	if len(res.Findings) != 1 || strings.Join(res.Findings[0].Path, ">") != "Ingress/default/web>Service/default/api" {
		t.Fatalf("findings %+v", res.Findings)
	}
}

func TestSymptomIsDemotedWhenEveryPodIsBroken(t *testing.T) {
	res := walkWith(t, fakeCheck("no-ready", LayerEndpoints, true, epRef),
		fakeCheck("crash", LayerContainer, false, pod1, pod2))
	tr := traceOf(t, res, "Ingress/default/web */")
	wantHops(t, tr, "ingress=affected service=affected endpoints=affected pod=affected container=broken pod=ok container=broken")
	for _, f := range res.Findings {
		if f.Check == "no-ready" {
			t.Fatalf("symptom finding was not demoted: %+v", f)
		}
	}
	if res.Findings[0].Key() != "crash Pod/default/api-1" {
		t.Fatalf("first finding %s", res.Findings[0].Key())
	}
}

func TestSymptomStaysRootCauseWhenNothingExplainsIt(t *testing.T) {
	res := walkWith(t, fakeCheck("no-ready", LayerEndpoints, true, epRef))
	tr := traceOf(t, res, "Ingress/default/web */")
	if tr.RootCause != "no-ready Endpoints/default/api" || res.Summary.Errors != 1 {
		t.Fatalf("root %q, errors %d", tr.RootCause, res.Summary.Errors)
	}
}

func TestOneBrokenReplicaDoesNotTakeThePathDown(t *testing.T) {
	res := walkWith(t, fakeCheck("crash", LayerContainer, false, pod2))
	tr := traceOf(t, res, "Ingress/default/web */")
	wantHops(t, tr, "ingress=ok service=ok endpoints=ok pod=affected container=broken")
	if !strings.Contains(tr.Hops[3].Reason, "1 of 2 pod(s) broken") {
		t.Fatalf("pod hop reason %q", tr.Hops[3].Reason)
	}
}

func TestEveryPathAndServiceIsAnEntry(t *testing.T) {
	res := walkWith(t)
	var entries []string
	for _, tr := range res.Traces {
		entries = append(entries, tr.Entry)
	}
	// The Service behind the Ingress is not traced twice; the missing
	// "exact" Service is a hop that is not checked... here it is reported
	// as absent from an input that does hold Services.
	want := "Ingress/default/web shop.example.com/api|Ingress/default/web shop.example.com/api/v2/exact|Ingress/default/web */"
	if got := strings.Join(entries, "|"); got != want {
		t.Fatalf("entries %s, want %s", got, want)
	}
	tr := traceOf(t, res, "Ingress/default/web shop.example.com/api/v2/exact")
	if got := statuses(tr); got != "ingress=ok service=not checked" || tr.Hops[1].Reason != "not in the input" {
		t.Fatalf("hops %s (%q)", got, tr.Hops[1].Reason)
	}
}

func TestTraceURLPicksTheRuleAnIngressControllerWould(t *testing.T) {
	s := load(t, walkYAML)
	cases := map[string]string{
		"http://shop.example.com/api/orders":   "Ingress/default/web shop.example.com/api",
		"http://shop.example.com/api/v2/exact": "Ingress/default/web shop.example.com/api/v2/exact",
		"http://shop.example.com/apiary":       "Ingress/default/web */",
		"https://other.example.com/api":        "Ingress/default/web */",
	}
	for url, want := range cases {
		res, err := Engine{}.Run(s, Options{Entries: []string{url}})
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if len(res.Traces) != 1 || res.Traces[0].Entry != want {
			t.Errorf("%s → %v, want %s", url, res.Traces, want)
		}
	}
	if _, err := (Engine{}).Run(s, Options{Entries: []string{"service/nope"}}); err == nil {
		t.Error("tracing a missing service must fail")
	}
	if _, err := (Engine{}).Run(s, Options{Entries: []string{"deployment/api"}}); err == nil {
		t.Error("tracing an unsupported kind must fail")
	}
}

func TestTemplatePodsStandInForManifests(t *testing.T) {
	s := load(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 8080}]}]}
---`+apiService)
	if !s.TemplatePods || len(s.Pods) != 1 {
		t.Fatalf("template pods %v %d", s.TemplatePods, len(s.Pods))
	}
	if got := s.SubjectOf(s.Pods[0]).String(); got != "Deployment/default/api" {
		t.Fatalf("subject %s", got)
	}
	res, _ := Engine{}.Run(s, Options{})
	tr := res.Traces[0]
	if got := statuses(tr); got != "service=ok endpoints=not checked pod=ok container=ok" {
		t.Fatalf("hops %s", got)
	}
	if tr.Hops[2].Object.Kind != "Deployment" {
		t.Fatalf("pod hop names %s", tr.Hops[2].Object)
	}
}

func TestAffectsLimitsAFindingToThePathsItConcerns(t *testing.T) {
	other := snapshot.ObjectRef{Kind: "Service", Namespace: "default", Name: "other"}
	scoped := &Check{ID: "scoped", Layer: LayerService, Severity: SeverityError, Doc: "d",
		Run: func(_ *snapshot.Snapshot, r *Reporter) {
			f := fakeFinding(svcRef)
			f.Affects = []snapshot.ObjectRef{other}
			r.Report(f)
		}}
	res := walkWith(t, scoped)
	tr := traceOf(t, res, "Ingress/default/web */")
	if tr.Status != TraceOK || tr.Hops[1].Status != StatusOK {
		t.Fatalf("a finding scoped to another path broke this one: %s (%s)", statuses(tr), tr.Status)
	}
}

func TestPodSymptomBelowTheRootCauseIsNotItsConsequence(t *testing.T) {
	res := walkWith(t, fakeCheck("svc-broken", LayerService, false, svcRef),
		fakeCheck("not-ready", LayerPod, true, pod1, pod2))
	tr := traceOf(t, res, "Ingress/default/web */")
	wantHops(t, tr, "ingress=affected service=broken endpoints=ok pod=broken container=ok pod=broken container=ok")
	if tr.Status != TraceBroken || !tr.Hops[1].RootCause {
		t.Fatalf("status %s, root hop %+v", tr.Status, tr.Hops[1])
	}
	n := 0
	for _, f := range res.Findings {
		if f.Check == "not-ready" {
			n++
			if got := strings.Join(f.Path, ">"); got != "Ingress/default/web>Service/default/api>Endpoints/default/api>"+f.Object.String() {
				t.Errorf("path %s", got)
			}
		}
	}
	if n != 2 {
		t.Fatalf("pod findings kept: %d, want 2", n)
	}
}

func TestTraceStatusAndRootHop(t *testing.T) {
	res := walkWith(t, fakeCheck("crash", LayerContainer, false, pod2))
	tr := traceOf(t, res, "Ingress/default/web */")
	if tr.Status != TraceDegraded {
		t.Fatalf("status %s, want degraded", tr.Status)
	}
	marked := 0
	for _, h := range tr.Hops {
		if h.RootCause {
			marked++
		}
	}
	if marked != 1 {
		t.Fatalf("%d hops marked as root cause, want 1", marked)
	}
	res = walkWith(t)
	if got := traceOf(t, res, "Ingress/default/web */").Status; got != TraceOK {
		t.Fatalf("healthy status %s", got)
	}
}

func TestMissingEntryPointsSayWhereTheNameExists(t *testing.T) {
	_, err := Engine{}.Run(load(t, walkYAML), Options{Entries: []string{"service/api"}, Namespace: "shop"})
	if err == nil || !strings.Contains(err.Error(), "it exists in namespace default") {
		t.Fatalf("error %v", err)
	}
	res, _ := Engine{}.Run(load(t, walkYAML), Options{Namespaces: []string{"nowhere"}})
	if len(res.Summary.NotChecked) == 0 || !strings.Contains(res.Summary.NotChecked[0], "namespace nowhere") {
		t.Fatalf("notChecked %v", res.Summary.NotChecked)
	}
}

func TestExplainedByMovesTheRootCauseToWhatExplainsIt(t *testing.T) {
	dep := snapshot.ObjectRef{Kind: "Deployment", Namespace: "default", Name: "api"}
	crash := &Check{ID: "crash", Layer: LayerContainer, Severity: SeverityError, Doc: "d",
		Run: func(_ *snapshot.Snapshot, r *Reporter) {
			for _, p := range []snapshot.ObjectRef{pod1, pod2} {
				f := fakeFinding(p)
				f.ExplainedBy = []snapshot.ObjectRef{dep}
				r.Report(f)
			}
		}}
	res := walkWith(t, crash, fakeCheck("dns-name", LayerDNS, false, dep))
	tr := traceOf(t, res, "Ingress/default/web */")
	if tr.RootCause != "dns-name Deployment/default/api" {
		t.Fatalf("root cause %q, hops %s", tr.RootCause, statuses(tr))
	}
	if res.Findings[0].Check != "dns-name" {
		t.Fatalf("first finding %s", res.Findings[0].Key())
	}
	for _, f := range res.Findings {
		if f.Check == "crash" {
			t.Fatalf("explained finding still reported: %s", f.Key())
		}
	}
	// Without the explaining finding the crash is the root cause.
	res = walkWith(t, crash)
	if got := traceOf(t, res, "Ingress/default/web */").RootCause; got != "crash Pod/default/api-1" {
		t.Fatalf("root cause %q", got)
	}
}

func TestOneFindingPerWorkloadNotPerReplica(t *testing.T) {
	s := load(t, `
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: api, controller: true, uid: u}]}
spec: {containers: [{name: app, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-2, labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: api, controller: true, uid: u}]}
spec: {containers: [{name: app, image: x}]}
`)
	res, _ := Engine{Checks: []*Check{fakeCheck("crash", LayerContainer, false, pod1, pod2)}}.Run(s, Options{})
	if len(res.Findings) != 1 || res.Summary.Errors != 1 {
		t.Fatalf("%d findings, %d errors; want one finding for the workload", len(res.Findings), res.Summary.Errors)
	}
	if ev := strings.Join(res.Findings[0].Evidence, "|"); !strings.Contains(ev, "the same on 1 more pod(s) of StatefulSet/default/api: api-2") {
		t.Fatalf("evidence %s", ev)
	}
	for _, h := range res.Traces[0].Hops {
		for _, k := range h.Findings {
			if k == "crash Pod/default/api-2" {
				t.Fatalf("a hop still names the merged finding %s", k)
			}
		}
	}
}

func TestFailureSignatureIgnoresWhatDiffersBetweenReplicas(t *testing.T) {
	sig := func(name, cause string) string {
		return failureSignature(Finding{Object: snapshot.ObjectRef{Kind: "Pod", Name: name}, Cause: cause})
	}
	a := sig("api-7d9f-x2k4p", "container app keeps exiting with Error (exit code 1) at 2025-03-14T09:24:31Z (22 restarts); pod api-7d9f-x2k4p at 10.244.1.7")
	b := sig("api-7d9f-q9z8m", "container app keeps exiting with Error (exit code 1) at 2025-03-14T08:55:37Z (191 restarts); pod api-7d9f-q9z8m at 10.244.2.9")
	if a != b {
		t.Fatalf("same failure, different signatures:\n%s\n%s", a, b)
	}
	if c := sig("api-7d9f-q9z8m", "container app was OOMKilled (exit code 137) at 2025-03-14T08:55:37Z (3 restarts)"); c == a {
		t.Fatal("an OOMKill has the signature of an error exit")
	}
}
