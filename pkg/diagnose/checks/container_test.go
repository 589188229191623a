package checks

import (
	"strings"
	"testing"
)

func TestContainerCrashLoopNamesOOMKilled(t *testing.T) {
	f := backFinding(t, containerCrashLoop, "container-crashloop/bad-oomkilled.yaml", "Pod/shop/cart-5c8d7f9b4d-q7wzt")
	backWant(t, "cause", f.Cause, "OOMKilled", "limit 128Mi", "exit code 137", "7 restarts")
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		"last termination: OOMKilled (exit code 137) at 2025-03-01T10:20:41Z",
		"Event Warning BackOff (x31): Back-off restarting failed container server",
		"kubectl logs cart-5c8d7f9b4d-q7wzt -n shop -c server --previous")
	backWant(t, "fix", f.Fix, "kubectl patch deployment cart -n shop --type=json",
		`"path":"/spec/template/spec/containers/0/resources/limits/memory","value":"256Mi"`)
}

func TestContainerCrashLoopInitContainer(t *testing.T) {
	f := backFinding(t, containerCrashLoop, "container-crashloop/bad-init.yaml", "Pod/shop/orders-0")
	backWant(t, "symptom", f.Symptom, "Init:CrashLoopBackOff with 5 restarts")
	backWant(t, "cause", f.Cause, "init container wait-db", "Error (exit code 1)")
	backWant(t, "verify", f.Verify, "kubectl rollout status statefulset/orders -n shop")
}

func TestContainerImagePullQuotesThePullError(t *testing.T) {
	f := backFinding(t, containerImagePull, "container-image-pull/bad-dump.yaml", "Pod/default/web-59d8c7d9f-7xk2m")
	backWant(t, "cause", f.Cause, `image "nginx:1.255" does not exist`, "docker.io/library/nginx:1.255: not found")
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"), "container nginx image: nginx:1.255", "Event Warning Failed (x4)")
	backWant(t, "fix", f.Fix, "kubectl edit deployment web -n default")

	f = backFinding(t, containerImagePull, "container-image-pull/bad-dump.yaml", "Pod/default/typo")
	backWant(t, "cause", f.Cause, "InvalidImageName", "repository name must be lowercase")
	backWant(t, "fix", f.Fix, "kubectl edit pod typo -n default")
}

func TestContainerConfigErrorPatchesTheTypo(t *testing.T) {
	f := backFinding(t, containerConfigError, "container-config-error/bad-missing-key.yaml", "Pod/shop/api-6b8f9d7c4-p2q9r")
	backWant(t, "cause", f.Cause, `ConfigMap api-config has no key "DB_HOST"`, `it has "DB_HOSTS"`)
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		"couldn't find key DB_HOST in ConfigMap shop/api-config", "has keys: DB_HOSTS, LOG_LEVEL")
	backWant(t, "fix", f.Fix, "kubectl patch deployment api -n shop",
		`"path":"/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/key","value":"DB_HOSTS"`)

	f = backFinding(t, containerConfigError, "container-config-error/bad-failed-mount.yaml", "Pod/shop/web-7c9d8b6f5-k8s2d")
	backWant(t, "cause", f.Cause, `volume "config" cannot be mounted`, `ConfigMap "web-confg" does not exist`)
	backWant(t, "evidence", strings.Join(f.Evidence, "\n"),
		`Event Warning FailedMount (x14): MountVolume.SetUp failed for volume "config" : configmap "web-confg" not found`)
	backWant(t, "fix", f.Fix, `"path":"/spec/template/spec/volumes/0/configMap/name","value":"web-config"`)

	// Without an Event, the dump's ConfigMaps prove the volume's is absent;
	// no near name exists, so a human edits the Deployment.
	f = backFinding(t, containerConfigError, "container-config-error/bad-failed-mount.yaml", "Pod/shop/worker-7f6d5c4b3-z9x8w")
	backWant(t, "cause", f.Cause, `ConfigMap "worker-settings" does not exist in namespace shop`)
	backWant(t, "fix", f.Fix, "kubectl edit deployment worker -n shop")
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
