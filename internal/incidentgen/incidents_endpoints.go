package incidentgen

import (
	"fmt"

	"github.com/hopscope/hopscope/internal/clusterstate"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var endpointsIncidents = []Incident{
	{
		Name:  "endpointslice-without-service-name-label",
		Check: "service-no-selector-no-endpoints", Object: "Service/rook-ceph/rook-ceph-mgr-external", Layer: "service",
		Source:  "https://github.com/rook/rook/issues/16607",
		Summary: "an operator replaced Endpoints by an EndpointSlice but forgot the kubernetes.io/service-name label: the Service has no endpoints",
		Story: `After the operator upgrade, the external Ceph manager is unreachable through the selector-less
Service rook-ceph-mgr-external. The operator moved from the deprecated Endpoints API to an
EndpointSlice, but created the slice without the kubernetes.io/service-name label, so nothing ties
it to the Service: kube-proxy sees no endpoints.`,
		Build: func(c *Cluster) {
			c.Service(Svc{Namespace: "rook-ceph", Name: "rook-ceph-mgr-external", Labels: labels("app", "rook-ceph-mgr", "rook_cluster", "rook-ceph"),
				Ports: []corev1.ServicePort{{Name: "http-metrics", Port: 9283, TargetPort: intstr.FromInt32(9283)}}})
			c.AddEndpointSlice(readySlice(metav1.ObjectMeta{Namespace: "rook-ceph", Name: "rook-ceph-mgr-external", Labels: labels("app", "rook-ceph-mgr", "rook_cluster", "rook-ceph")},
				"192.168.100.21", "http-metrics", 9283))
		},
	},
	{
		Name:  "manual-endpoints-port-name-mismatch",
		Check: "service-endpoints-port-name-mismatch", Object: "Endpoints/default/custom-service", Layer: "endpoints",
		Source:  "https://github.com/kubernetes/kubernetes/issues/16293",
		Summary: "a selector-less Service port is named http, the hand-written Endpoints port has no name: kube-proxy routes nothing",
		Story: `To front an external server, a Service without selector (port 80 named http) was created with a
hand-written Endpoints object of the same name. "kubectl describe service custom-service" lists no
endpoints and the ClusterIP does not answer: endpoint ports are matched to Service ports by name,
and the Endpoints' port has none.`,
		Build: func(c *Cluster) {
			c.Service(Svc{Namespace: "default", Name: "custom-service", Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80)}}})
			c.AddEndpoints(&corev1.Endpoints{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "custom-service"},
				Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.0.0.50"}},
					Ports: []corev1.EndpointPort{{Port: 80, Protocol: corev1.ProtocolTCP}}}},
			})
			// The EndpointSlice mirroring controller copies the hand-written
			// Endpoints into a slice, port name and all.
			c.AddEndpointSlice(readySlice(metav1.ObjectMeta{Namespace: "default", Name: "custom-service-" + c.suffix(5), GenerateName: "custom-service-",
				Labels: labels(discoveryv1.LabelServiceName, "custom-service", discoveryv1.LabelManagedBy, "endpointslicemirroring-controller.k8s.io")},
				"10.0.0.50", "", 80))
		},
	},
	{
		Name:  "stale-endpointslices-after-controller-restart",
		Check: "endpoints-stale-pod", Object: "Endpoints/shop/cart", Layer: "endpoints",
		Source:  "https://github.com/kubernetes/kubernetes/issues/107583",
		Summary: "the EndpointSlice controller did not start after a controller-manager restart: the cart slice still lists the pods of the last rollout",
		Story: `After kube-controller-manager restarted, its EndpointSlice controller was skipped ("failed to
start endpointslice controller"). The cart Deployment rolled out since; the Endpoints object (kept by
the still-running endpoints controller) lists the new pods, but the EndpointSlice — which kube-proxy
reads — still lists the two deleted pods and their old IPs, so kube-proxy sends cart traffic to
addresses where nothing runs.`,
		Build: func(c *Cluster) {
			w := c.Deployment(App{Namespace: "shop", Name: "cart", Replicas: 2, Containers: []corev1.Container{web("cart", "registry.example.com/shop/cart:2.5.0", 8080, "/healthz")}})
			svc := c.Service(Svc{Namespace: "shop", Name: "cart", Selector: labels("app", "cart"), Ports: httpPort()})
			c.ManualEndpoints("shop", "cart")
			ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart"}}
			sub := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}}}
			for _, p := range w.Pods {
				sub.Addresses = append(sub.Addresses, corev1.EndpointAddress{IP: p.Status.PodIP, NodeName: ptrTo(p.Spec.NodeName),
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}})
			}
			ep.Subsets = []corev1.EndpointSubset{sub}
			c.AddEndpoints(ep)
			old := &discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart-" + c.suffix(5), GenerateName: "cart-",
					Labels:          labels(discoveryv1.LabelServiceName, "cart", discoveryv1.LabelManagedBy, "endpointslice-controller.k8s.io"),
					OwnerReferences: []metav1.OwnerReference{clusterstate.ControllerRef("v1", "Service", svc.ObjectMeta)}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("http"), Port: ptrTo(int32(8080)), Protocol: ptrTo(corev1.ProtocolTCP)}},
			}
			for i, node := range []string{Worker1, Worker2} {
				name := fmt.Sprintf("cart-%s-%s", hashSuffix("cart-old", 10), c.suffix(5))
				old.Endpoints = append(old.Endpoints, discoveryv1.Endpoint{
					Addresses:  []string{fmt.Sprintf("10.244.%d.%d", c.nodeIndex[node], 200+i)},
					Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(true), Serving: ptrTo(true), Terminating: ptrTo(false)},
					NodeName:   ptrTo(node),
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: name, UID: uid("Pod", "shop", name)},
				})
			}
			c.AddEndpointSlice(old)
		},
	},
	// Reports that showed only a Service and its endpoints: the diagnosis works from what the endpoints
	// controllers wrote.
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
