package report

import (
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The golden tests build their Result by hand, the way the engine would for
// the seed's lab 1 held as a cluster dump (a Service whose selector matches
// no pod, its Endpoints empty), a crash-looping worker, a healthy web path, a
// NodePort warning and a DNS warning that sits on no path. Renderers are
// tested on their own: a change in the engine must not move these files.

func ref(kind, ns, name string) snapshot.ObjectRef {
	return snapshot.ObjectRef{Kind: kind, Namespace: ns, Name: name}
}

var (
	ingressRef  = ref("Ingress", "default", "app-ingress")
	apiSvcRef   = ref("Service", "default", "api-svc")
	apiEpRef    = ref("Endpoints", "default", "api-svc")
	workerRef   = ref("Service", "default", "worker")
	workerEp    = ref("Endpoints", "default", "worker")
	workerPod1  = ref("Pod", "default", "worker-6c9f7d8b5-2xkqp")
	workerPod2  = ref("Pod", "default", "worker-6c9f7d8b5-h7r4m")
	webIngRef   = ref("Ingress", "default", "web")
	webSvcRef   = ref("Service", "default", "web")
	webEpRef    = ref("Endpoints", "default", "web")
	webPodRef   = ref("Pod", "default", "web-5f7b9c6d4-abcde")
	nodeSvcRef  = ref("Service", "default", "node-svc")
	nodeSvcEp   = ref("Endpoints", "default", "node-svc")
	nodeSvcPod  = ref("Pod", "default", "api-7c8d9-x2x2x")
	configMap   = ref("ConfigMap", "default", "app-config")
	selectorKey = "service-selector-matches-no-pods " + apiSvcRef.String()
	crash1Key   = "container-crashloop " + workerPod1.String()
	crash2Key   = "container-crashloop " + workerPod2.String()
	nodePortKey = "exposure-nodeport " + nodeSvcRef.String()
	emptyEpKey  = "endpoints-no-ready-address " + apiEpRef.String()
)

func labChecks() []*diagnose.Check {
	noop := func(*snapshot.Snapshot, *diagnose.Reporter) {}
	return []*diagnose.Check{
		{ID: "service-selector-matches-no-pods", Layer: diagnose.LayerService, Severity: diagnose.SeverityError, Doc: "A Service's selector matches no pod, so its Endpoints stay empty", Run: noop},
		{ID: "endpoints-no-ready-address", Layer: diagnose.LayerEndpoints, Severity: diagnose.SeverityError, Doc: "Endpoints of a Service have no ready address", Symptom: true, Run: noop},
		{ID: "container-crashloop", Layer: diagnose.LayerContainer, Severity: diagnose.SeverityError, Doc: "A container is in CrashLoopBackOff, OOMKilled or cannot pull its image", Run: noop},
		{ID: "exposure-nodeport", Layer: diagnose.LayerExposure, Severity: diagnose.SeverityWarning, Doc: "A NodePort Service opens its port on every node", Run: noop},
		{ID: "dns-reference-unknown-service", Layer: diagnose.LayerDNS, Severity: diagnose.SeverityWarning, Doc: "A config value names a Service that does not exist where it would resolve", Run: noop},
		{ID: "ingress-backend-service-missing", Layer: diagnose.LayerIngress, Severity: diagnose.SeverityError, Doc: "An Ingress routes to a Service that does not exist", Run: noop},
	}
}

func labResult() *diagnose.Result {
	selector := diagnose.Finding{
		Layer: diagnose.LayerService, Check: "service-selector-matches-no-pods", Severity: diagnose.SeverityError,
		Object:  apiSvcRef,
		Path:    []string{ingressRef.String(), apiSvcRef.String()},
		Symptom: "ENDPOINTS: <none> for Service api-svc",
		Cause:   "the Service selects app=api but no pod carries that label; the closest pods are labelled app=api-v1",
		Evidence: []string{
			"selector: app=api",
			"Deployment/default/api template labels: app=api-v1 (differs: app=api-v1, want app=api)",
			"Endpoints/default/api-svc: no addresses",
		},
		Fix:    `kubectl patch deployment api -n default --type=json -p '[{"op":"replace","path":"/spec/template/metadata/labels/app","value":"api"}]'`,
		Verify: "kubectl get endpoints api-svc -n default",
		Origin: &snapshot.Origin{File: "k8s/lab1.yaml", Document: 2, Line: 24},
	}
	crash1 := diagnose.Finding{
		Layer: diagnose.LayerContainer, Check: "container-crashloop", Severity: diagnose.SeverityError,
		Object:  workerPod1,
		Path:    []string{workerRef.String(), workerEp.String(), workerPod1.String()},
		Symptom: "container app is in CrashLoopBackOff (restarted 7 times)",
		Cause:   "the process exits right after it starts; the kubelet backs off before each restart",
		Evidence: []string{
			"state: waiting, reason CrashLoopBackOff",
			"lastState: terminated, exit code 1, reason Error",
			`Event BackOff: "Back-off restarting failed container app in pod worker-6c9f7d8b5-2xkqp"`,
		},
		Fix:    "kubectl logs worker-6c9f7d8b5-2xkqp -n default -c app --previous",
		Verify: "kubectl get pod worker-6c9f7d8b5-2xkqp -n default",
		Origin: &snapshot.Origin{File: "dump/pods.yaml", Document: 1, Line: 140},
	}
	crash2 := crash1
	crash2.Object = workerPod2
	crash2.Path = []string{workerRef.String(), workerEp.String(), workerPod2.String()}
	crash2.Symptom = "container app is in CrashLoopBackOff (restarted 6 times)"
	crash2.Evidence = []string{"state: waiting, reason CrashLoopBackOff", "lastState: terminated, exit code 1, reason Error"}
	crash2.Fix = "kubectl logs worker-6c9f7d8b5-h7r4m -n default -c app --previous"
	crash2.Verify = "kubectl get pod worker-6c9f7d8b5-h7r4m -n default"
	crash2.Origin = &snapshot.Origin{File: "dump/pods.yaml", Document: 1, Line: 231}
	nodePort := diagnose.Finding{
		Layer: diagnose.LayerExposure, Check: "exposure-nodeport", Severity: diagnose.SeverityWarning,
		Object:   nodeSvcRef,
		Path:     []string{nodeSvcRef.String()},
		Symptom:  "works on one node IP, fails on another after a node change",
		Cause:    "type NodePort opens port 30080 on every node and ties clients to node IPs",
		Evidence: []string{"spec.type: NodePort", "ports[0].nodePort: 30080"},
		Fix:      `kubectl patch service node-svc -n default --type=merge -p '{"spec":{"type":"ClusterIP"}}'`,
		Verify:   "kubectl get service node-svc -n default",
		Origin:   &snapshot.Origin{File: "k8s/lab2.yaml", Document: 1, Line: 1},
	}
	dns := diagnose.Finding{
		Layer: diagnose.LayerDNS, Check: "dns-reference-unknown-service", Severity: diagnose.SeverityWarning,
		Object:   configMap,
		Symptom:  "lookups of orders.billing.svc.cluster.local fail with NXDOMAIN",
		Cause:    "data.ORDERS_URL names Service orders in namespace billing, which the input does not hold",
		Evidence: []string{"data.ORDERS_URL: http://orders.billing.svc.cluster.local:8080", "Services in billing: payments"},
		Fix:      "kubectl edit configmap app-config -n default",
		Verify:   "kubectl get service orders -n billing",
		Origin:   &snapshot.Origin{File: "k8s/config.yaml", Document: 1, Line: 1},
	}
	return &diagnose.Result{
		Findings: []diagnose.Finding{selector, crash1, crash2, nodePort, dns},
		Traces: []diagnose.Trace{
			{
				Entry: "Ingress/default/app-ingress shop.example.com/api",
				Hops: []diagnose.Hop{
					{Layer: diagnose.LayerIngress, Object: ingressRef, Status: diagnose.StatusAffected, Reason: "affected by Service/default/api-svc (service)"},
					{Layer: diagnose.LayerService, Object: apiSvcRef, Status: diagnose.StatusBroken, Findings: []string{selectorKey}},
					{Layer: diagnose.LayerEndpoints, Object: apiEpRef, Status: diagnose.StatusAffected, Reason: "consequence of Service/default/api-svc (service)", Findings: []string{emptyEpKey}},
				},
				RootCause: selectorKey,
			},
			{
				Entry: "Service/default/worker",
				Hops: []diagnose.Hop{
					{Layer: diagnose.LayerService, Object: workerRef, Status: diagnose.StatusAffected, Reason: "affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)"},
					{Layer: diagnose.LayerEndpoints, Object: workerEp, Status: diagnose.StatusAffected, Reason: "affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)"},
					{Layer: diagnose.LayerPod, Object: workerPod1, Status: diagnose.StatusAffected, Reason: "2 of 2 pod(s) broken; affected by Pod/default/worker-6c9f7d8b5-2xkqp (container)"},
					{Layer: diagnose.LayerContainer, Object: workerPod1, Status: diagnose.StatusBroken, Findings: []string{crash1Key}},
					{Layer: diagnose.LayerPod, Object: workerPod2, Status: diagnose.StatusOK},
					{Layer: diagnose.LayerContainer, Object: workerPod2, Status: diagnose.StatusBroken, Findings: []string{crash2Key}},
				},
				RootCause: crash1Key,
			},
			{
				Entry: "Ingress/default/web shop.example.com/",
				Hops: []diagnose.Hop{
					{Layer: diagnose.LayerIngress, Object: webIngRef, Status: diagnose.StatusOK},
					{Layer: diagnose.LayerService, Object: webSvcRef, Status: diagnose.StatusOK},
					{Layer: diagnose.LayerEndpoints, Object: webEpRef, Status: diagnose.StatusOK},
					{Layer: diagnose.LayerPod, Object: webPodRef, Status: diagnose.StatusOK, Reason: "3/3 pod(s) healthy"},
					{Layer: diagnose.LayerContainer, Object: webPodRef, Status: diagnose.StatusOK},
				},
			},
			{
				Entry: "Service/default/node-svc",
				Hops: []diagnose.Hop{
					{Layer: diagnose.LayerExposure, Object: nodeSvcRef, Status: diagnose.StatusOK, Findings: []string{nodePortKey}},
					{Layer: diagnose.LayerService, Object: nodeSvcRef, Status: diagnose.StatusOK},
					{Layer: diagnose.LayerEndpoints, Object: nodeSvcEp, Status: diagnose.StatusNotChecked, Reason: "the input holds no Endpoints for namespace default; 2 pod(s) match the selector"},
					{Layer: diagnose.LayerPod, Object: nodeSvcPod, Status: diagnose.StatusOK, Reason: "2/2 pod(s) healthy"},
					{Layer: diagnose.LayerContainer, Object: nodeSvcPod, Status: diagnose.StatusOK},
				},
			},
		},
		Summary: diagnose.Summary{
			Objects: 23, Findings: 5, Errors: 3, Warnings: 2,
			Skipped: 1, SkippedKinds: map[string]int{"cert-manager.io/v1/Certificate": 1},
			NotChecked: []string{"IngressClass: the input has no IngressClass objects, so ingressClassName was not checked"},
		},
	}
}
