package diagnose

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Every command that names an object puts its options first and the name
// after `--`, where kubectl's option parser no longer reads it; the forms
// below are the ones checked by hand against kubectl v1.32 and a real API
// server (see docs/security.md).
func TestCommandsEndOptionsBeforeNames(t *testing.T) {
	deploy := snapshot.ObjectRef{Kind: snapshot.KindDeployment, Namespace: "shop", Name: "api"}
	node := snapshot.ObjectRef{Kind: snapshot.KindNode, Name: "worker-2"}
	for _, tc := range []struct{ got, want string }{
		{GetCmd(deploy), "kubectl get deployment -n shop -- api"},
		{GetCmd(deploy, "-o", "wide"), "kubectl get deployment -n shop -o wide -- api"},
		{GetCmd(snapshot.ObjectRef{Kind: snapshot.KindEndpoints, Namespace: "shop", Name: "api"}), "kubectl get endpoints -n shop -- api"},
		{DescribeCmd(node), "kubectl describe node -- worker-2"},
		{EditCmd(deploy), "kubectl edit deployment -n shop -- api"},
		{MergePatchCmd(deploy, map[string]any{"spec": map[string]any{"replicas": 2}}),
			`kubectl patch deployment -n shop --type=merge -p '{"spec":{"replicas":2}}' -- api`},
		{JSONPatchCmd(deploy, JSONPatchOp{Op: "remove", Path: "/spec/replicas"}),
			`kubectl patch deployment -n shop --type=json -p '[{"op":"remove","path":"/spec/replicas"}]' -- api`},
		{KubectlOn([]string{"rollout", "status", "-n", "shop"}, "deployment/api"), "kubectl rollout status -n shop -- deployment/api"},
		{KubectlOn([]string{"set", "image", "-n", "shop"}, "deployment/api", "api=registry.example.com/api:1.2"),
			"kubectl set image -n shop -- deployment/api api=registry.example.com/api:1.2"},
		{KubectlOn([]string{"annotate", "ingressclass"}, "nginx", "ingressclass.kubernetes.io/is-default-class-"),
			"kubectl annotate ingressclass -- nginx ingressclass.kubernetes.io/is-default-class-"},
		{KubectlOn([]string{"drain", "--ignore-daemonsets"}, "worker-2"), "kubectl drain --ignore-daemonsets -- worker-2"},
		// exec and run read the object before `--` and the command after it.
		{KubectlOn([]string{"exec", "-n", "ingress-nginx"}, "deployment/ingress-nginx-controller", "curl", "-sS", "http://api.shop.svc/"),
			"kubectl exec -n ingress-nginx deployment/ingress-nginx-controller -- curl -sS http://api.shop.svc/"},
		{KubectlOn([]string{"run", "--rm", "-i", "--restart=Never", "--image=busybox:1.36"}, "dns-check", "nslookup", "kubernetes.default"),
			"kubectl run --rm -i --restart=Never --image=busybox:1.36 dns-check -- nslookup kubernetes.default"},
		// The create commands count no name after `--`.
		{KubectlOn([]string{"create", "secret", "tls", "-n", "shop", "--cert=tls.crt", "--key=tls.key"}, "shop-tls"),
			"kubectl create secret tls -n shop --cert=tls.crt --key=tls.key shop-tls"},
		{Kubectl("get", "pods", "-n", "shop", "-l", "app=api,tier in (web)"), "kubectl get pods -n shop -l 'app=api,tier in (web)'"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

// A name the API server would refuse never reaches a printed command: not
// as an option, not as another object (a '/' or ',' names another type or a
// list), not in a namespace.
func TestInvalidNamesAreNotPrinted(t *testing.T) {
	hostile := []string{
		"--server=https://evil.example",
		"--all",
		"-n",
		"api,db",
		"API",
		"api\n--all",
		"api;rm -rf ~",
		strings.Repeat("a", 254),
	}
	refused := func(what, name, got string) {
		t.Helper()
		if !strings.HasPrefix(got, "# no command printed: ") || strings.Contains(got, "\n") {
			t.Errorf("%s with %q printed a command: %s", what, name, got)
		}
	}
	for _, name := range append(hostile, "", "secrets/db") {
		deploy := snapshot.ObjectRef{Kind: snapshot.KindDeployment, Namespace: "shop", Name: name}
		refused("get", name, GetCmd(deploy))
		refused("describe", name, DescribeCmd(deploy))
		refused("edit", name, EditCmd(deploy))
		refused("merge patch", name, MergePatchCmd(deploy, map[string]any{"spec": nil}))
		refused("json patch", name, JSONPatchCmd(deploy, JSONPatchOp{Op: "remove", Path: "/spec"}))
	}
	for _, name := range append(hostile, "") {
		refused("rollout", name, KubectlOn([]string{"rollout", "restart", "-n", "shop"}, "deployment/"+name))
		refused("delete", name, KubectlOn([]string{"delete", "pod", "-n", "shop"}, name))
		refused("create", name, KubectlOn([]string{"create", "secret", "tls", "-n", "shop"}, name))
		refused("exec", name, KubectlOn([]string{"exec", "-n", "shop"}, "pod/"+name, "true"))
		refused("nameless command", name, Kubectl("get", "pods", "-n", name))
		if name != "" { // an empty namespace is a cluster-scoped object
			refused("namespace", name, GetCmd(snapshot.ObjectRef{Kind: snapshot.KindDeployment, Namespace: name, Name: "api"}))
		}
	}
	refused("resource type", "--all/api", KubectlOn([]string{"rollout", "restart"}, "--all/api"))
	refused("kind", "--server=x", GetCmd(snapshot.ObjectRef{Kind: "--server=x", Name: "api"}))
}
