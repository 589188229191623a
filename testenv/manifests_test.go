package testenv_test

import "fmt"

// The builders of the manifest parts many tests share: a reader of a test
// sees the lab it deploys as these calls plus the YAML that is its own.

// ordersCrashLoop is the annotations of the orders-api container that
// crash-loops because the database's name does not resolve: the three lines
// its run prints, the last one the lookup failure. A flow mapping, so that
// a Pod and a Deployment's pod template carry it at any indentation.
const ordersCrashLoop = `{hopscope.dev/simulate: crashloop, hopscope.dev/logs: "starting orders-api 2.3.1\nconnecting to postgres://orders-db:5432/orders\ndial tcp: lookup orders-db on 10.96.0.10:53: no such host\n"}`

// noisyPod is the manifest of Pod noisy, a crash loop whose previous run
// wrote 1 GiB of padding lines and then lastLine: the log a bounded read
// must not pull whole.
func noisyPod(lastLine string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: noisy
  annotations:
    hopscope.dev/simulate: crashloop
    hopscope.dev/log-bytes: 1Gi
    hopscope.dev/logs: %q
spec:
  containers:
  - {name: app, image: shop/batch:1.0}
---
`, lastLine)
}

// simulatedAppPod is the manifest of a Pod labelled app: name whose one
// container, app, runs the kubelet stand-in's simulated app with behaviour
// (the hopscope.dev/app annotation: localhost, tls, hang, slow-start=D,
// port=N; "" for none, an app that listens where it declares); container is
// the rest of the container's fields, its ports and probes.
func simulatedAppPod(name, behaviour, container string) string {
	annotations := ""
	if behaviour != "" {
		annotations = "\n  annotations: {hopscope.dev/app: " + behaviour + "}"
	}
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  labels: {app: %[1]s}%[2]s
spec:
  containers:
  - {name: app, image: shop/api:1.0, %[3]s}
---
`, name, annotations, container)
}

// httpPort is a container's one port, 8080, named http.
const httpPort = "ports: [{name: http, containerPort: 8080}]"

// httpService is the manifest of Service name, which sends its port 80,
// http, to the port named http of the pods labelled app: app.
func httpService(name, app string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: %s}
spec:
  selector: {app: %s}
  ports: [{name: http, port: 80, targetPort: http}]
---
`, name, app)
}

// userRole is the manifest of Role role, whose rules are the YAML list
// rules, and of the RoleBinding that grants it to user in the namespace it
// is applied to.
func userRole(user, role, rules string) string {
	return fmt.Sprintf(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: %[2]s}
rules:%[3]s
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %[1]s-reads}
subjects: [{kind: User, name: %[1]s, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: %[2]s, apiGroup: rbac.authorization.k8s.io}
`, user, role, rules)
}
