package checks

// Container-layer checks: what crash loops, image pulls, missing ConfigMaps
// and Secrets, and blocked init containers quote and how they fix them.

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// TestContainerProbePortSaysWhatTheKubeletDoes: an unresolvable startup
// port leaves the pod never started (an error), an unresolvable liveness
// port disables the probe (a warning), a TCP probe on a UDP-only port
// fails; each fix patches the probe to the port it most likely meant.
func TestContainerProbePortSaysWhatTheKubeletDoes(t *testing.T) {
	dir := "testdata/container-probe-port/"
	f := onlyFinding(t, containerProbePort, dir+"bad-startup-named-port.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	wantEqual(t, "container", f.Container, "nextcloud")
	wantContains(t, "cause", f.Cause, `names port "http"`, "never counts as started")
	wantEvidenceLine(t, f, "container nginx of the same pod declares 80 (http)")
	wantEqual(t, "fix", f.Fix, `kubectl patch deployment -n cloud --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/startupProbe/httpGet/port","value":80}]' -- nextcloud`)

	f = onlyFinding(t, containerProbePort, dir+"bad-liveness-named-port.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityWarning)
	wantContains(t, "cause", f.Cause, "can never fail")

	f = onlyFinding(t, containerProbePort, dir+"bad-udp-port-probe.yaml")
	wantContains(t, "cause", f.Cause, "declares for UDP only", "restarts the container")
	wantEvidenceLine(t, f, "suggested probe port: 8126 (admin)")
}

// TestContainerPortInvalidQuotesTheAPIServer: each rejected field is quoted
// as `kubectl apply` prints it, and the fix corrects and re-applies the file.
func TestContainerPortInvalidQuotesTheAPIServer(t *testing.T) {
	file := "testdata/container-port-invalid/bad-duplicate-and-long-names.yaml"
	f := findingOn(t, containerPortInvalid, file, "Deployment/default/app")
	wantEvidenceLine(t, f, `spec.template.spec.containers[0].ports[1].name: Duplicate value: "app"`)
	wantEvidenceLine(t, f, `spec.template.spec.containers[0].ports[2].name: Invalid value: "my-very-long-port-name": must be no more than 15 characters`)
	wantContains(t, "symptom", f.Symptom, "`kubectl apply` fails: The Deployment \"app\" is invalid")
	wantEqual(t, "fix", f.Fix, "kubectl apply -f "+file+" -n default")
	wantEqual(t, "verify", f.Verify, "kubectl apply --dry-run=server -f "+file+" -n default")
	f = findingOn(t, containerPortInvalid, file, "Pod/default/relay")
	wantEvidenceLine(t, f, `spec.containers[0].ports[0].name: Invalid value: "123456": must contain at least one letter`)
	wantEvidenceLine(t, f, "spec.containers[0].ports[0].containerPort: Invalid value: 123456: must be between 1 and 65535, inclusive")
}

func TestContainerCrashLoopNamesOOMKilled(t *testing.T) {
	f := findingOn(t, containerCrashLoop, "testdata/container-crashloop/bad-oomkilled.yaml", "Pod/shop/cart-5c8d7f9b4d-q7wzt")
	wantContains(t, "cause", f.Cause, "OOMKilled", "limit 128Mi", "exit code 137", "7 restarts")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"last termination: OOMKilled (exit code 137) at 2025-03-01T10:20:41Z",
		"Event Warning BackOff (x31): Back-off restarting failed container server",
		"kubectl logs -n shop -c server --previous -- cart-5c8d7f9b4d-q7wzt")
	wantContains(t, "fix", f.Fix, "kubectl patch deployment -n shop --type=json", "-- cart",
		`"path":"/spec/template/spec/containers/0/resources/limits/memory","value":"256Mi"`)
}

func TestContainerCrashLoopInitContainer(t *testing.T) {
	f := findingOn(t, containerCrashLoop, "testdata/container-crashloop/bad-init.yaml", "Pod/shop/orders-0")
	wantContains(t, "symptom", f.Symptom, "Init:CrashLoopBackOff with 5 restarts")
	wantContains(t, "cause", f.Cause, "init container wait-db", "Error (exit code 1)")
	wantContains(t, "verify", f.Verify, "kubectl rollout status -n shop -- statefulset/orders")
}

func TestContainerImagePullQuotesThePullError(t *testing.T) {
	f := findingOn(t, containerImagePull, "testdata/container-image-pull/bad-dump.yaml", "Pod/default/web-59d8c7d9f-7xk2m")
	wantContains(t, "cause", f.Cause, `image "nginx:1.255" does not exist`, "docker.io/library/nginx:1.255: not found")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "container nginx image: nginx:1.255", "Event Warning Failed (x4)")
	// No other revision in the input: the placeholder says what to put.
	wantContains(t, "fix", f.Fix, "kubectl set image -n default -- deployment/web 'nginx=nginx:<a tag that exists>'")
	wantEqual(t, "container", f.Container, "nginx")

	f = findingOn(t, containerImagePull, "testdata/container-image-pull/bad-dump.yaml", "Pod/default/typo")
	wantContains(t, "cause", f.Cause, "InvalidImageName", "repository name must be lowercase")
	wantContains(t, "fix", f.Fix, "kubectl set image -n default -- pod/typo app=example/app:latest")

	// The Deployment's previous ReplicaSet ran a tag that worked.
	f = findingOn(t, containerImagePull, "testdata/container-image-pull/bad-rollout-dump.yaml", "Pod/shop/api-7f9c6d5b8-q2w4e")
	wantContains(t, "fix", f.Fix, "kubectl set image -n shop -- deployment/api api=registry.example.com:5000/shop/api:1.9.8")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), `ReplicaSet api-6b8d7c9f4 (revision 6) of Deployment/shop/api runs container api with image "registry.example.com:5000/shop/api:1.9.8"`)
}

func TestImageRepo(t *testing.T) {
	for _, tc := range []struct{ image, repo, rest string }{
		{"nginx", "nginx", ""},
		{"nginx:1.27", "nginx", ":1.27"},
		{"registry.example.com:5000/shop/api:1.9.8", "registry.example.com:5000/shop/api", ":1.9.8"},
		{"ghcr.io/x/y@sha256:abc", "ghcr.io/x/y", "@sha256:abc"},
		{"localhost:5000/app", "localhost:5000/app", ""},
	} {
		if repo, rest := imageRepo(tc.image); repo != tc.repo || rest != tc.rest {
			t.Errorf("imageRepo(%q) = %q, %q", tc.image, repo, rest)
		}
	}
}

func TestContainerConfigErrorPatchesTheTypo(t *testing.T) {
	f := findingOn(t, containerConfigError, "testdata/container-config-error/bad-missing-key.yaml", "Pod/shop/api-6b8f9d7c4-p2q9r")
	wantContains(t, "cause", f.Cause, `ConfigMap api-config has no key "DB_HOST"`, `it has "DB_HOSTS"`)
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"couldn't find key DB_HOST in ConfigMap shop/api-config", "has keys: DB_HOSTS, LOG_LEVEL")
	wantContains(t, "fix", f.Fix, "kubectl patch deployment -n shop", "-- api",
		`"path":"/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/key","value":"DB_HOSTS"`)

	f = findingOn(t, containerConfigError, "testdata/container-config-error/bad-failed-mount.yaml", "Pod/shop/web-7c9d8b6f5-k8s2d")
	wantContains(t, "cause", f.Cause, `volume "config" cannot be mounted`, `ConfigMap "web-confg" does not exist`)
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		`Event Warning FailedMount (x14): MountVolume.SetUp failed for volume "config" : configmap "web-confg" not found`)
	wantContains(t, "fix", f.Fix, `"path":"/spec/template/spec/volumes/0/configMap/name","value":"web-config"`)

	// Without an Event, the dump's ConfigMaps prove the volume's is absent;
	// no near name exists, so a human edits the Deployment.
	f = findingOn(t, containerConfigError, "testdata/container-config-error/bad-failed-mount.yaml", "Pod/shop/worker-7f6d5c4b3-z9x8w")
	wantContains(t, "cause", f.Cause, `ConfigMap "worker-settings" does not exist in namespace shop`)
	wantContains(t, "fix", f.Fix, "kubectl edit deployment -n shop -- worker")
}

func TestContainerParseMissing(t *testing.T) {
	for _, tc := range []struct {
		msg             string
		kind, name, key string
		ok              bool
	}{
		{`configmap "app-config" not found`, "ConfigMap", "app-config", "", true},
		{`secret "db-creds" not found`, "Secret", "db-creds", "", true},
		{`MountVolume.SetUp failed for volume "tls" : secret "web-tls" not found`, "Secret", "web-tls", "", true},
		{`couldn't find key password in Secret shop/db-creds`, "Secret", "db-creds", "password", true},
		{`couldn't find key DB_HOST in ConfigMap shop/api-config`, "ConfigMap", "api-config", "DB_HOST", true},
		{`failed to create containerd container: error unpacking image`, "", "", "", false},
	} {
		got, ok := containerParseMissing(tc.msg)
		if ok != tc.ok || got.Kind != tc.kind || got.Name != tc.name || got.Key != tc.key {
			t.Errorf("containerParseMissing(%q) = %+v, %v", tc.msg, got, ok)
		}
	}
}

func TestContainerCrashLoopRollsBackANewImage(t *testing.T) {
	f := findingOn(t, containerCrashLoop, "testdata/container-crashloop/bad-new-image-dump.yaml", "Pod/shop/cart-8d7c6b5a4-r7t9y")
	wantContains(t, "fix", f.Fix, "kubectl rollout undo -n shop --to-revision=3 -- deployment/cart")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		`ReplicaSet cart-5c8d7f9b4d (revision 3) of Deployment/shop/cart runs container server with image "example/cart:2.3.0"; this pod runs example/cart:2.4.0`)
	wantEqual(t, "container", f.Container, "server")
}

func TestInitContainerBlockedResolvesTheNamespaceExpansion(t *testing.T) {
	f := onlyFinding(t, initContainerBlocked, "testdata/init-container-blocked/bad-waits-for-missing-service.yaml")
	wantContains(t, "cause", f.Cause, "myservice.default.svc.cluster.local: no Service myservice in namespace default")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "init container init-myservice: running", "containers with incomplete status")
	f = onlyFinding(t, initContainerBlocked, "testdata/init-container-blocked/bad-manifest-waits-for-unknown-name.yaml")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("a manifest cannot prove the Service is absent everywhere: severity %s, want warning", f.Severity)
	}
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "redis-master")
}
