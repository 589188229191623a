package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// frontOne runs one check on one case file and returns its only finding.
func frontOne(t *testing.T, c *diagnose.Check, file string) diagnose.Finding {
	t.Helper()
	got := runCheckFile(t, c, file)
	if len(got) != 1 {
		t.Fatalf("%s on %s: %d findings, want 1", c.ID, file, len(got))
	}
	return got[0]
}

// frontHasEvidence fails unless some evidence line contains every part.
func frontHasEvidence(t *testing.T, f diagnose.Finding, parts ...string) {
	t.Helper()
	for _, line := range f.Evidence {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return
		}
	}
	t.Errorf("no evidence line of %s contains %q:\n  %s", f.Key(), parts, strings.Join(f.Evidence, "\n  "))
}

// TestSelectorLab1 holds the seed's LAB 1 to its answer: the label
// difference is quoted exactly, and the Deployment's template is the side
// to change because its own selector agrees with the Service.
func TestSelectorLab1(t *testing.T) {
	f := frontOne(t, serviceSelectorMatchesNoPods, "testdata/service-selector-matches-no-pods/bad-lab1.yaml")
	frontHasEvidence(t, f, "selector: app=api")
	frontHasEvidence(t, f, "Deployment/default/api (pod template)", `app: want "api", pod has "api-v1"`)
	frontHasEvidence(t, f, "own selector (app=api) agrees with the Service", "change the template")
	frontHasEvidence(t, f, "alternative: patch the Service selector")
	// The Deployment as written is rejected by the API server, so the fix
	// is to correct the manifest and apply it.
	if want := "kubectl apply -f testdata/service-selector-matches-no-pods/bad-lab1.yaml -n default"; f.Fix != want {
		t.Errorf("fix %q, want %q", f.Fix, want)
	}
	frontHasEvidence(t, f, "set app: api under spec.template.metadata.labels of Deployment/default/api")
	if f.Verify != "kubectl get endpoints api-svc -n default" {
		t.Errorf("verify %q", f.Verify)
	}
	if !strings.Contains(f.Symptom, "ENDPOINTS: <none>") {
		t.Errorf("symptom %q does not say ENDPOINTS: <none>", f.Symptom)
	}
}

// TestSelectorDumpPatchesService: real pods that consistently carry
// another value make the Service selector the side to change.
func TestSelectorDumpPatchesService(t *testing.T) {
	f := frontOne(t, serviceSelectorMatchesNoPods, "testdata/service-selector-matches-no-pods/bad-dump-pods.yaml")
	frontHasEvidence(t, f, "Pod/default/api-6b7f9c8d4-x2x9k (of Deployment/default/api)", `app: want "api", pod has "api-v1"`)
	frontHasEvidence(t, f, "consistently carry app=api-v1,tier=backend", "2 pod(s), all of Deployment/default/api")
	frontHasEvidence(t, f, "alternative: relabel Deployment/default/api")
	want := `kubectl patch service api-svc -n default --type=merge -p '{"spec":{"selector":{"app":"api-v1"}}}'`
	if f.Fix != want {
		t.Errorf("fix %q, want %q", f.Fix, want)
	}
	for _, line := range f.Evidence {
		if strings.Contains(line, "web-5d8c7b6f9") {
			t.Errorf("a pod sharing only label keys is listed next to closer ones: %s", line)
		}
	}
}

// TestSelectorAmbiguousLeavesChoice: when the closest pods' labels would
// sweep two workloads into the Service, no selector patch is guessed.
func TestSelectorAmbiguousLeavesChoice(t *testing.T) {
	s := loadCase(t, "testdata/service-selector-matches-no-pods/bad-dump-pods.yaml")
	// Relabel the unrelated pod so that app=api-v1,tier=backend also
	// selects it: the proposed selector then spans two owners.
	for _, p := range s.Pods {
		if strings.HasPrefix(p.Name, "web-") {
			p.Labels = map[string]string{"app": "api-v1", "tier": "backend"}
		}
	}
	s.Index()
	r := diagnose.NewReporter(serviceSelectorMatchesNoPods)
	serviceSelectorMatchesNoPods.Run(s, r)
	if len(r.Findings()) != 1 {
		t.Fatalf("%d findings", len(r.Findings()))
	}
	if f := r.Findings()[0]; f.Fix != "kubectl edit service api-svc -n default" {
		t.Errorf("fix %q, want kubectl edit", f.Fix)
	}
}

func TestWorkloadSelectorEvidence(t *testing.T) {
	f := frontOne(t, workloadSelectorMismatch, "testdata/workload-selector-mismatch/bad-lab1.yaml")
	frontHasEvidence(t, f, "spec.selector app=api does not match template labels app=api-v1")
	frontHasEvidence(t, f, `app: selector wants "api", template has "api-v1"`)
	if !strings.Contains(f.Cause, "the API server would reject") {
		t.Errorf("cause %q", f.Cause)
	}
}

func TestTargetPortEvidence(t *testing.T) {
	f := frontOne(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-lab3-wrong-target-port.yaml")
	frontHasEvidence(t, f, "port 80/TCP → targetPort 8081", "no selected pod declares 8081/TCP")
	frontHasEvidence(t, f, "Deployment/default/api (pod template) declares container app: 8080/TCP")
	want := `kubectl patch service lb-svc -n default --type=json -p '[{"op":"test","path":"/spec/ports/0/port","value":80},{"op":"add","path":"/spec/ports/0/targetPort","value":8080}]'`
	if f.Fix != want {
		t.Errorf("fix %q\nwant %q", f.Fix, want)
	}
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s", f.Severity)
	}

	named := frontOne(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-named.yaml")
	frontHasEvidence(t, named, `targetPort "grpc"`, "resolves in 0 of 1 selected pod(s)")
	if !strings.Contains(named.Fix, `"value":"grpc-api"`) {
		t.Errorf("fix %q does not switch to the declared name", named.Fix)
	}
}

func TestProtocolEvidence(t *testing.T) {
	got := runCheckFile(t, serviceProtocolMismatch, "testdata/service-protocol-mismatch/bad-udp.yaml")
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	frontHasEvidence(t, f, "port dns 53/UDP")
	frontHasEvidence(t, f, "container dns: 53/TCP")
	if !strings.Contains(f.Fix, `"path":"/spec/ports/0/protocol","value":"TCP"`) {
		t.Errorf("fix %q", f.Fix)
	}
}

// TestTargetPortPartialIsWarning: when some selected pods serve the port,
// the Service is degraded, not down, and retargeting would break the pods
// that serve, so the fix is left to a human.
func TestTargetPortPartialIsWarning(t *testing.T) {
	f := frontOne(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-selector-too-wide.yaml")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("severity %s, want warning", f.Severity)
	}
	if f.Fix != "kubectl edit service guestbook -n default" {
		t.Errorf("fix %q", f.Fix)
	}
	if !strings.Contains(f.Cause, "also selects pods of Deployment/default/frontend") {
		t.Errorf("cause %q", f.Cause)
	}
}

// TestTargetPortNeverSuggestsASidecarPort: with a mesh proxy and a metrics
// port beside the app's port, the fix retargets to the app's port only.
func TestTargetPortNeverSuggestsASidecarPort(t *testing.T) {
	f := frontOne(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-sidecar-ports.yaml")
	frontHasEvidence(t, f, "the pods declare one TCP port: 9080 in container ratings")
	if !strings.Contains(f.Fix, `"path":"/spec/ports/0/targetPort","value":9080`) {
		t.Errorf("fix %q does not retarget to the app's 9080", f.Fix)
	}
}
