package checks

// Pod-layer checks: not-ready and pending pods and readiness probe ports,
// held to the cause they name and the fix they give.

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestPodNotReadyNamesTheProbePort(t *testing.T) {
	f := findingOn(t, podNotReady, "testdata/pod-not-ready/bad-probe-port-dump.yaml", "Pod/default/api-7d9f8c6b5-x2k4p")
	wantContains(t, "cause", f.Cause, "port 8081", "8080/TCP")
	ev := strings.Join(f.Evidence, "\n")
	wantContains(t, "evidence", ev,
		"condition Ready=False (ContainersNotReady)",
		"readinessProbe: httpGet port 8081 path /healthz; declared ports: 8080/TCP",
		"Event Warning Unhealthy (x42): Readiness probe failed: Get \"http://10.244.1.5:8081/healthz\"",
	)
	// Probes of a pod are immutable: the patch goes to the Deployment that
	// owns its ReplicaSet.
	wantContains(t, "fix", f.Fix, "kubectl patch deployment -n default --type=json", "-- api",
		`"path":"/spec/template/spec/containers/0/readinessProbe/httpGet/port","value":8080`)
	wantContains(t, "verify", f.Verify, "kubectl rollout status -n default -- deployment/api")
}

func TestPodNotReadyBelowACrashLoop(t *testing.T) {
	f := findingOn(t, podNotReady, "testdata/pod-not-ready/bad-crashloop-dump.yaml", "Pod/shop/cart-5c8d7f9b4d-q7wzt")
	wantContains(t, "cause", f.Cause, "container server is waiting (CrashLoopBackOff)")
	if strings.Contains(f.Cause, "port") {
		t.Errorf("the gRPC probe targets the declared port 7070; cause blames a port: %s", f.Cause)
	}
}

// TestProbePortExplainsNotReady runs the engine: the container-layer probe
// finding is the root cause, and the pod-not-ready symptom is demoted.
func TestProbePortExplainsNotReady(t *testing.T) {
	s := loadCase(t, filepath.Join("testdata", "pod-not-ready", "bad-probe-port-dump.yaml"))
	res, err := diagnose.Engine{Checks: runtimeChecks()}.Run(s, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Check+" "+string(f.Severity))
	}
	if len(got) != 1 || got[0] != "pod-readiness-probe-port error" {
		t.Errorf("findings = %v, want only the probe port as an error (pod-not-ready explained by it)", got)
	}
}

func TestPodReadinessProbePortSeverity(t *testing.T) {
	for _, tc := range []struct {
		file, ref string
		container string
		fix       string
	}{
		// A named port the container does not define can never resolve.
		{"testdata/pod-readiness-probe-port/bad-manifest.yaml", "StatefulSet/data/search", "es",
			"kubectl edit statefulset -n data -- search"},
		// A running pod that is not ready, with connection refused.
		{"testdata/pod-readiness-probe-port/bad-dump.yaml", "Pod/default/api-7d9f8c6b5-x2k4p", "app",
			"kubectl patch deployment -n default --type=json"},
	} {
		f := findingOn(t, podReadinessProbePort, tc.file, tc.ref)
		if f.Severity != diagnose.SeverityError {
			t.Errorf("%s: severity %s, want error", tc.ref, f.Severity)
		}
		if f.Layer != diagnose.LayerContainer || f.Container != tc.container {
			t.Errorf("%s: layer %s container %q, want container layer, container %q", tc.ref, f.Layer, f.Container, tc.container)
		}
		wantContains(t, tc.ref+" fix", f.Fix, tc.fix)
	}
	f := findingOn(t, podReadinessProbePort, "testdata/pod-readiness-probe-port/bad-manifest.yaml", "StatefulSet/data/search")
	wantContains(t, "cause", f.Cause, `names port "health"`, "9200/TCP (http), 9300/TCP (transport)")
}

// TestProbePortBlamesTheAppNotTheReadySidecar is QA defect 3: a Ready
// native sidecar probing an undeclared port is not the cause; the app
// container, refused on its probe port, is — and the fix patches the app's
// probe to the port its startup probe uses, not the metrics port.
func TestProbePortBlamesTheAppNotTheReadySidecar(t *testing.T) {
	got := runCheckFile(t, podReadinessProbePort, filepath.Join("testdata", "pod-readiness-probe-port", "bad-sidecar-dump.yaml"))
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1 (the app container only)", len(got))
	}
	f := got[0]
	wantEqual(t, "container", f.Container, "app")
	wantContains(t, "cause", f.Cause, "port 8081", "container app", "connection refused")
	if strings.Contains(f.Cause, "envoy") || strings.Contains(f.Fix, "initContainers") {
		t.Errorf("envoy blamed: cause %q fix %q", f.Cause, f.Fix)
	}
	wantContains(t, "fix", f.Fix, "kubectl patch deployment -n shop --type=json", "-- web",
		`"path":"/spec/template/spec/containers/0/readinessProbe/httpGet/port","value":8080`)
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"suggested probe port: 8080 (http), the declared port the startupProbe of container app reaches",
		`dial tcp 10.244.0.17:8081: connect: connection refused`)

	nr := findingOn(t, podNotReady, "testdata/pod-readiness-probe-port/bad-sidecar-dump.yaml", "Pod/shop/web-5d8f7c9b6-ax7q2")
	wantContains(t, "pod-not-ready cause", nr.Cause, "readiness probe of container app never passes")
}

func TestPodPendingQuotesTheScheduler(t *testing.T) {
	f := findingOn(t, podPending, "testdata/pod-pending/bad-unschedulable.yaml", "Pod/default/api-7d9f8c6b5-m4n8q")
	wantContains(t, "cause", f.Cause, "0/3 nodes are available: 3 Insufficient cpu", "lower its requests")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"Event Warning FailedScheduling (x18): 0/3 nodes are available",
		"requests: app cpu=4 memory=2Gi")
	// Without the nodes' capacity the value is a placeholder that says what
	// to put.
	wantContains(t, "fix", f.Fix, "kubectl set resources -n default -c app '--requests=cpu=<at most the cpu a node has free>' -- deployment/api")

	f = findingOn(t, podPending, "testdata/pod-pending/bad-insufficient-cpu-dump.yaml", "Pod/shop/report-6c9f8d7b5-k2m4n")
	wantContains(t, "fix", f.Fix, "kubectl set resources -n shop -c app --requests=cpu=1500m -- deployment/report")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "container app requests cpu=3500m (pod total 4)",
		"node node-a has the most free: 2 of allocatable cpu is not requested by its pods")

	f = findingOn(t, podPending, "testdata/pod-pending/bad-sandbox.yaml", "Pod/default/web-0")
	wantContains(t, "cause", f.Cause, "FailedCreatePodSandBox", `plugin type="calico" failed`)
	wantContains(t, "fix", f.Fix, "kubectl rollout restart -n default -- statefulset/web")
}

func TestPodNotReadyOnADeadNode(t *testing.T) {
	wantFinding(t, findingWant{check: podNotReady, file: "testdata/pod-not-ready/bad-node-down.yaml", object: "Pod/default/web-0",
		cause: []string{"node worker-2 is not Ready (Ready=Unknown NodeStatusUnknown)"}, fixHas: []string{"kubectl drain --ignore-daemonsets --delete-emptydir-data -- worker-2"}})
}

// TestPodNotReadyOffEveryPathIsInfo: a pod no Service selects drops out of
// no endpoints; its unreadiness is an info that says so.
func TestPodNotReadyOffEveryPathIsInfo(t *testing.T) {
	wantFinding(t, findingWant{check: podNotReady, file: "testdata/pod-not-ready/bad-unselected-one-off.yaml",
		severity: diagnose.SeverityInfo, symptom: []string{"no Service selects it"}, evidence: [][]string{{"no Service in namespace cattle-system selects the pod's labels"}}})
}
