package checks

// Service-layer checks: selectors that match nothing or too much,
// targetPorts and protocols, held to their evidence and to which side they
// fix (the seed's LAB 1 and LAB 3 among them).

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestSelectorLab1 holds the seed's LAB 1 to its answer: the label
// difference is quoted exactly, and the Deployment's template is the side
// to change because its own selector agrees with the Service.
func TestSelectorLab1(t *testing.T) {
	wantFinding(t, findingWant{check: serviceSelectorMatchesNoPods, file: "testdata/service-selector-matches-no-pods/bad-lab1.yaml",
		symptom: []string{"ENDPOINTS: <none>"},
		evidence: [][]string{
			{"selector: app=api"},
			{"Deployment/default/api (pod template)", `app: want "api", pod has "api-v1"`},
			{"own selector (app=api) agrees with the Service", "change the template"},
			{"alternative: patch the Service selector"},
			{"set app: api under spec.template.metadata.labels of Deployment/default/api"},
		},
		// The Deployment as written is rejected by the API server, so the
		// fix is to correct the manifest and apply it.
		fix:    "kubectl apply -f testdata/service-selector-matches-no-pods/bad-lab1.yaml -n default",
		verify: "kubectl get endpoints -n default -- api-svc",
	})
}

// TestServiceCreatedInOtherNamespace: a selector that matches pods only in
// another namespace names that namespace and moves the Service there; from
// a file the file is corrected, from a cluster the Service is exposed again
// next to its pods.
func TestServiceCreatedInOtherNamespace(t *testing.T) {
	file := "testdata/service-selector-matches-no-pods/bad-other-namespace.yaml"
	f := onlyFinding(t, serviceSelectorMatchesNoPods, file)
	wantContains(t, "cause", f.Cause, "created in namespace default", "run in namespace shop")
	wantEvidenceLine(t, f, "namespace default has no pods in the input")
	wantEvidenceLine(t, f, "namespace shop: 1 pod(s) carry these labels", "Deployment/shop/storefront")
	wantEqual(t, "fix", f.Fix, "kubectl apply -f "+file+" -n shop")
	wantEvidenceLine(t, f, "set metadata.namespace of Service storefront to shop")
	wantEqual(t, "verify", f.Verify, "kubectl get endpoints -n shop -- storefront")

	s := loadCase(t, file)
	s.Services[0].UID = "0c9d7e3a-5b1f-4c1e-9a51-2f3c4d5e6f70" // read from a cluster
	f = soleFinding(t, serviceSelectorMatchesNoPods, s, file+" (from a cluster)")
	wantEqual(t, "fix", f.Fix, "kubectl expose deployment storefront -n shop --name=storefront --port=80 --selector=app=storefront --target-port=http")
	wantEvidenceLine(t, f, "then delete the copy in default", "kubectl delete service storefront -n default")
}

// TestServicePortInvalidQuotesTheAPIServer: missing, out-of-range,
// misnamed and repeated Service ports are quoted as the API server words
// them.
func TestServicePortInvalidQuotesTheAPIServer(t *testing.T) {
	f := findingOn(t, servicePortInvalid, "testdata/service-port-invalid/bad-target-ports.yaml", "Service/test/invalid-target-ports")
	wantEvidenceLine(t, f, "spec.ports[2].targetPort: Invalid value: 123456: must be between 1 and 65535, inclusive")
	wantEvidenceLine(t, f, `spec.ports[3].targetPort: Invalid value: "n234567890123456": must be no more than 15 characters`)
	if len(f.Evidence) != 3 {
		t.Errorf("want the two rejected targetPorts and the note, got %v", f.Evidence)
	}
	f = findingOn(t, servicePortInvalid, "testdata/service-port-invalid/bad-target-ports.yaml", "Service/test/empty-ports")
	wantEvidenceLine(t, f, "spec.ports: Required value")
	f = onlyFinding(t, servicePortInvalid, "testdata/service-port-invalid/bad-names-and-duplicates.yaml")
	wantEvidenceLine(t, f, "spec.ports[0].name: Required value")
	wantEvidenceLine(t, f, `spec.ports[1].name: Invalid value: "Metrics"`)
	wantEvidenceLine(t, f, `spec.ports[2]: Duplicate value: "80/TCP"`)
}

// TestSelectorDumpPatchesService: real pods that consistently carry
// another value make the Service selector the side to change.
func TestSelectorDumpPatchesService(t *testing.T) {
	f := onlyFinding(t, serviceSelectorMatchesNoPods, "testdata/service-selector-matches-no-pods/bad-dump-pods.yaml")
	wantEvidenceLine(t, f, "Pod/default/api-6b7f9c8d4-x2x9k (of Deployment/default/api)", `app: want "api", pod has "api-v1"`)
	wantEvidenceLine(t, f, "consistently carry app=api-v1,tier=backend", "2 pod(s), all of Deployment/default/api")
	wantEvidenceLine(t, f, "alternative: relabel Deployment/default/api")
	want := `kubectl patch service -n default --type=merge -p '{"spec":{"selector":{"app":"api-v1"}}}' -- api-svc`
	wantEqual(t, "fix", f.Fix, want)
	wantNoLineWith(t, "a pod sharing only label keys is listed next to closer ones", f.Evidence, "web-5d8c7b6f9")
}

// TestSelectorAmbiguousLeavesChoice: when the closest pods' labels would
// sweep two workloads into the Service, no selector patch is guessed.
func TestSelectorAmbiguousLeavesChoice(t *testing.T) {
	s := loadCase(t, "testdata/service-selector-matches-no-pods/bad-dump-pods.yaml")
	// Relabel the unrelated pod so that app=api-v1,tier=backend also
	// selects it: the proposed selector then spans two owners.
	for _, p := range podsNamed(s, "web-") {
		p.Labels = map[string]string{"app": "api-v1", "tier": "backend"}
	}
	s.Index()
	f := soleFinding(t, serviceSelectorMatchesNoPods, s, "the relabelled dump")
	if f.Fix != "kubectl edit service -n default -- api-svc" {
		t.Errorf("fix %q, want kubectl edit", f.Fix)
	}
}

func TestWorkloadSelectorEvidence(t *testing.T) {
	f := onlyFinding(t, workloadSelectorMismatch, "testdata/workload-selector-mismatch/bad-lab1.yaml")
	wantEvidenceLine(t, f, "spec.selector app=api does not match template labels app=api-v1")
	wantEvidenceLine(t, f, `app: selector wants "api", template has "api-v1"`)
	wantContains(t, "cause", f.Cause, "the API server would reject")
}

func TestTargetPortEvidence(t *testing.T) {
	f := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-lab3-wrong-target-port.yaml")
	wantEvidenceLine(t, f, "port 80/TCP → targetPort 8081", "no selected pod declares 8081/TCP")
	wantEvidenceLine(t, f, "Deployment/default/api (pod template) declares container app: 8080/TCP")
	want := `kubectl patch service -n default --type=json -p '[{"op":"test","path":"/spec/ports/0/port","value":80},{"op":"add","path":"/spec/ports/0/targetPort","value":8080}]' -- lb-svc`
	wantEqual(t, "fix", f.Fix, want)
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)

	named := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-named.yaml")
	wantEvidenceLine(t, named, `targetPort "grpc"`, "resolves in 0 of 1 selected pod(s)")
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
	wantEvidenceLine(t, f, "port dns 53/UDP")
	wantEvidenceLine(t, f, "container dns: 53/TCP")
	wantContains(t, "fix", f.Fix, `"path":"/spec/ports/0/protocol","value":"TCP"`)
}

// TestTargetPortPartialIsWarning: when some selected pods serve the port,
// the Service is degraded, not down, and retargeting would break the pods
// that serve, so the fix is left to a human.
func TestTargetPortPartialIsWarning(t *testing.T) {
	f := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-selector-too-wide.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityWarning)
	wantEqual(t, "fix", f.Fix, "kubectl edit service -n default -- guestbook")
	wantContains(t, "cause", f.Cause, "also selects pods of Deployment/default/frontend")
}

// TestTargetPortNeverSuggestsASidecarPort: with a mesh proxy and a metrics
// port beside the app's port, the fix retargets to the app's port only.
func TestTargetPortNeverSuggestsASidecarPort(t *testing.T) {
	f := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-sidecar-ports.yaml")
	wantEvidenceLine(t, f, "the pods declare one TCP port: 9080 in container ratings")
	if !strings.Contains(f.Fix, `"path":"/spec/ports/0/targetPort","value":9080`) {
		t.Errorf("fix %q does not retarget to the app's 9080", f.Fix)
	}
}

func TestSelectorSpansAppsNamesTheReleaseLabel(t *testing.T) {
	f := onlyFinding(t, serviceSelectorSpansApps, "testdata/service-selector-spans-apps/bad-two-releases.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "Deployment/cloud/team-a-nextcloud", "Deployment/cloud/team-b-nextcloud", "app.kubernetes.io/instance=team-b")
	wantContains(t, "fix", f.Fix, "kubectl patch service -n cloud --type=merge", "-- team-a-nextcloud", `"app.kubernetes.io/instance":"team-a"`)
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
}

func TestSelectorSpansAppsQuotesBothImages(t *testing.T) {
	f := onlyFinding(t, serviceSelectorSpansApps, "testdata/service-selector-spans-apps/bad-copied-labels.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "registry.example.com/shop/web:3.1.0", "registry.example.com/shop/admin-console:1.4.2")
	// web is the workload named like the Service; component=storefront is
	// what only its pods carry.
	wantContains(t, "fix", f.Fix, `"component":"storefront"`)
}

// A live scan listed pods: a Service in a namespace with none selects
// nothing for certain, which is a finding, not "not checked".
func TestSelectorOnAnEmptyLiveNamespace(t *testing.T) {
	s := loadScenario(t, "selector-empty-live-namespace.yaml", true)
	soleFinding(t, ByID("service-selector-matches-no-pods"), s, "the inline case")
}

// When the Deployment's selector leaves the drifted label free, the fix
// relabels its template (the seed's lab 1 fix), with the Service patch as
// the alternative; lab check and lab solution then agree.
func TestSelectorFixRelabelsWhenTheWorkloadDoesNotPinTheLabel(t *testing.T) {
	s := loadScenario(t, "selector-relabel-unpinned.yaml", true)
	f := soleFinding(t, ByID("service-selector-matches-no-pods"), s, "the inline case")
	if !strings.HasPrefix(f.Fix, "kubectl patch deployment -n lab") || !strings.Contains(f.Fix, "-- api") || !strings.Contains(f.Fix, `"app":"api"`) {
		t.Fatalf("fix %s", f.Fix)
	}
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "alternative: patch the Service selector") {
		t.Fatalf("evidence lacks the Service alternative: %v", f.Evidence)
	}
}

// TestTargetPortListenSettingsBeatDeclarations: an app told by its args or
// env to listen on the targetPort serves it undeclared. The finding is an
// info that quotes the setting and proposes declaring the port, never a
// retarget.
func TestTargetPortListenSettingsBeatDeclarations(t *testing.T) {
	found := wantFindingPerObject(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-listen-settings-undeclared.yaml",
		diagnose.SeverityInfo, "is told to listen on", map[string]string{
			"Service/apps/agnhost":       "arg --listen=:9376",
			"Service/apps/apiserver":     "arg -port=6443",
			"Service/apps/echo":          "arg --port 8080",
			"Service/apps/jenkins-agent": `env JNLP_PORT="50000"`,
			"Service/apps/metrics-proxy": "arg -listen=0.0.0.0:8443",
			"Service/apps/web":           `env PORT="3000"`,
		})
	for ref, f := range found {
		if strings.Contains(f.Fix, "kubectl patch service") {
			t.Errorf("%s: fix retargets the Service: %s", ref, f.Fix)
		}
	}
	wantEqual(t, "jenkins fix", found["Service/apps/jenkins-agent"].Fix,
		`kubectl patch deployment -n apps --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/ports/-","value":{"containerPort":50000,"protocol":"TCP"}}]' -- jenkins`)
}

// TestTargetPortRancherInternalPort reproduces the Verrazzano snapshot of
// Rancher: 443 → 444 on Ready pods that declare only 80 and listen on
// undeclared ports. An info with no retarget, verified by connecting.
func TestTargetPortRancherInternalPort(t *testing.T) {
	wantFinding(t, findingWant{check: serviceTargetPortMissing, file: "testdata/service-target-port-missing/bad-rancher-undeclared-internal-port.yaml",
		severity: diagnose.SeverityInfo, evidence: [][]string{{"listens on ports it does not declare", "arg --https-listen-port=443"}, {"1 of 1 selected pod(s) are Ready"}},
		fix: "kubectl edit service -n cattle-system -- rancher", verify: "kubectl port-forward -n cattle-system pod/rancher-649dc876b-dt67w :444"})
}

// TestTargetPortProbedOnUndeclaredPort reproduces Envoy Gateway's ext-auth
// example: 9002 → 9002 on pods that declare only 8000 and are probed on the
// undeclared 8080. An info, never an error against a working app.
func TestTargetPortProbedOnUndeclaredPort(t *testing.T) {
	wantFinding(t, findingWant{check: serviceTargetPortMissing, file: "testdata/service-target-port-missing/bad-envoy-ext-auth-probed-undeclared.yaml",
		severity: diagnose.SeverityInfo, cause: []string{"they are probed on undeclared ports (container golang-app-container readinessProbe httpGet port 8080 path /healthz)"},
		evidence: [][]string{{"Deployment/default/grpc-ext-auth (pod template) declares container golang-app-container: 8000/TCP"}, {"is probed on ports it does not declare: container golang-app-container readinessProbe httpGet port 8080 path /healthz"}},
		fix:      "kubectl edit service -n default -- grpc-ext-auth"})
}

// TestTargetPortNeverProposesASidePort: metrics, health, mesh-proxy ports
// and a port another Service port already reaches are never proposed; the
// evidence says why none is.
func TestTargetPortNeverProposesASidePort(t *testing.T) {
	for ref, f := range wantFindingPerObject(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-no-proposal-for-side-ports.yaml",
		diagnose.SeverityError, "no targetPort is proposed", map[string]string{
			"Service/shop/cart":       "9100 is a metrics port",
			"Service/shop/catalog":    "8000 is a metrics port",
			"Service/shop/orders":     "8081 is a health/admin port",
			"Service/shop/search":     "15021 is a mesh proxy's port",
			"Service/shop/storefront": "80 is already the target of Service port http 80/TCP",
		}) {
		if !strings.HasPrefix(f.Fix, "kubectl edit service") {
			t.Errorf("%s: fix %q, want kubectl edit", ref, f.Fix)
		}
	}
}

// TestTargetPortClientSettingsAreNoEvidence: DB_PORT beside DB_HOST is
// where the app connects; a loopback listen address is unreachable. Both
// stay errors; the loopback one says to change the bind address.
func TestTargetPortClientSettingsAreNoEvidence(t *testing.T) {
	file := "testdata/service-target-port-missing/bad-client-port-is-not-a-listen-port.yaml"
	for _, w := range []findingWant{
		{object: "Service/shop/api"},
		{object: "Service/shop/local", evidence: [][]string{{"arg --listen=127.0.0.1:8080", "loopback address only", "bind it to 0.0.0.0"}},
			fix: "kubectl edit service -n shop -- local"},
	} {
		w.check, w.file, w.severity = serviceTargetPortMissing, file, diagnose.SeverityError
		wantFinding(t, w)
	}
}

// TestSelectorKeyOnlyIsNoMatch: pods that share only a label key with the
// selector are no suggestion; the evidence says there is no close match and
// the fix is left to a human.
func TestSelectorKeyOnlyIsNoMatch(t *testing.T) {
	f := onlyFinding(t, serviceSelectorMatchesNoPods, "testdata/service-selector-matches-no-pods/bad-key-only.yaml")
	wantEvidenceLine(t, f, "no close match", `app: want "payments", pod has "web"`)
	wantEqual(t, "fix", f.Fix, "kubectl edit service -n shop -- payments")
	for _, line := range f.Evidence {
		if strings.HasPrefix(line, "closest:") || strings.Contains(line, "app=web") {
			t.Errorf("evidence proposes the unrelated pods: %s", line)
		}
	}
}

// TestTargetPortMeshProxySettingsDoNotExcuseTheApp: a mesh proxy's
// undeclared listen ports do not make the app's declarations doubtful.
func TestTargetPortMeshProxySettingsDoNotExcuseTheApp(t *testing.T) {
	f := onlyFinding(t, serviceTargetPortMissing, "testdata/service-target-port-missing/bad-linkerd-meshed-typo.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	if !strings.Contains(f.Fix, `"path":"/spec/ports/0/targetPort","value":8080`) {
		t.Errorf("fix %q does not retarget to the app's 8080", f.Fix)
	}
}
