package incidentgen

import (
	corev1 "k8s.io/api/core/v1"
)

// endpointsSharedIncidents are reports that showed only a Service and its
// endpoints: the diagnosis works from what the endpoints controllers wrote.
func endpointsSharedIncidents() []Incident {
	return []Incident{
		{
			Name:  "endpoints-only-not-ready-addresses",
			Check: "endpoints-no-ready-address", Object: "Endpoints/d8-cloud-instance-manager/bashible-api", Layer: "endpoints",
			Source:  "https://github.com/deckhouse/deckhouse/issues/8625",
			Summary: "only `kubectl get svc,ep` was shared: bashible-api's Endpoints list the pod's IP under notReadyAddresses, so the Service has no endpoint",
			Story: `The report shows what "kubectl get svc,endpoints -A -o yaml" printed, and nothing else: the
Endpoints of bashible-api list the pod's address under notReadyAddresses and no ready one, so the
Service answers nothing. The pods themselves are not in the report; the endpoints controllers'
view is the evidence, and the next step is the pod it names.`,
			Shared: []string{"Service", "Endpoints", "EndpointSlice"},
			Build: func(c *Cluster) {
				api := web("bashible-apiserver", "registry.deckhouse.io/deckhouse/ce/bashible-apiserver:v1.61.0", 4221, "/readyz")
				c.deploymentWithService(App{Namespace: "d8-cloud-instance-manager", Name: "bashible-api", Labels: labels("app", "bashible-apiserver"),
					Containers: []corev1.Container{api}, States: []PodState{NotReady("bashible-apiserver", "HTTP probe failed with statuscode: 500", 240)}},
					NamedPort("https", 443, "http"))
			},
		},
	}
}
