package incidentgen

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var exposureIncidents = []Incident{
	{
		Name:  "lb-pending-no-tagged-subnets",
		Check: "exposure-lb-pending", Object: "Service/default/nginx", Layer: "exposure",
		Source:  "https://github.com/pahud/amazon-eks-workshop/issues/9",
		Summary: "EXTERNAL-IP stays <pending>: SyncLoadBalancerFailed, could not find any suitable subnets for creating the ELB",
		Story: `"kubectl expose deployment nginx --type=LoadBalancer" never gets an address: EXTERNAL-IP stays
<pending>. The service controller keeps failing with "Error syncing load balancer: failed to ensure
load balancer: could not find any suitable subnets for creating the ELB" — the VPC's public subnets
lack the kubernetes.io/cluster/<name> and kubernetes.io/role/elb tags.`,
		Build: func(c *Cluster) {
			c.Deployment(App{Namespace: "default", Name: "nginx", Replicas: 2, Containers: []corev1.Container{web("nginx", "nginx:1.27.3", 80, "/")}})
			c.Service(Svc{Namespace: "default", Name: "nginx", Type: corev1.ServiceTypeLoadBalancer, Selector: labels("app", "nginx"), Ports: httpPort(), Age: 3 * time.Hour})
			c.loadBalancerEvents("default", "nginx", "Error syncing load balancer: failed to ensure load balancer: could not find any suitable subnets for creating the ELB", 38, 3*time.Hour)
		},
	},
	{
		Name:  "lb-pending-bare-metal",
		Check: "exposure-lb-pending", Object: "Service/ingress-nginx/ingress-nginx-controller", Layer: "exposure",
		Source:  "https://github.com/kubernetes/ingress-nginx/issues/5569",
		Summary: "ingress-nginx installed with type LoadBalancer on bare-metal VMs without a cloud provider or MetalLB: EXTERNAL-IP <pending> forever",
		Story: `On a kubeadm cluster of VirtualBox VMs, the ingress-nginx controller Service of type LoadBalancer
stays at EXTERNAL-IP <pending>. Nothing in the cluster implements LoadBalancer Services (no cloud
controller manager, no MetalLB), so no address will ever be assigned and no Event explains it.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			for _, s := range c.services {
				if s.Name == "ingress-nginx-controller" {
					s.Status.LoadBalancer.Ingress = nil
				}
			}
			c.SetIngressAddress("")
		},
	},
	{
		Name:  "lb-sync-failed-provider-timeout",
		Check: "exposure-lb-pending", Object: "Service/jupyterhub/proxy-public", Layer: "exposure",
		Source:  "https://github.com/jupyterhub/helm-chart/issues/111",
		Summary: "the cloud's load-balancer API times out: SyncLoadBalancerFailed context deadline exceeded, proxy-public stays <pending>",
		Story: `After installing JupyterHub, "kubectl get svc proxy-public" shows EXTERNAL-IP <pending>. The
service controller's Events say "Error syncing load balancer: failed to ensure load balancer: error
waiting for load balancer to be deployed ... context deadline exceeded": the provider's load-balancer
API never finished creating it.`,
		Build: func(c *Cluster) {
			l := labels("app", "jupyterhub", "component", "proxy", "release", "jhub")
			proxy := corev1.Container{Name: "chp", Image: "quay.io/jupyterhub/configurable-http-proxy:4.6.3",
				Ports: []corev1.ContainerPort{ContainerPort("http", 8000), ContainerPort("api", 8001)}, ReadinessProbe: HTTPProbe("/_chp_healthz", intstr.FromString("http"))}
			c.Deployment(App{Namespace: "jupyterhub", Name: "proxy", Labels: l, Containers: []corev1.Container{proxy}})
			c.Service(Svc{Namespace: "jupyterhub", Name: "proxy-public", Type: corev1.ServiceTypeLoadBalancer, Selector: l, Ports: httpPort(), Age: 40 * time.Minute})
			c.loadBalancerEvents("jupyterhub", "proxy-public", "Error syncing load balancer: failed to ensure load balancer: error waiting for load balancer to be deployed Get https://loadbalancer.eu.ovhapis.com/1.0/cloud/project/454c02d9087c4e1695f522524a5dda60/loadbalancer: context deadline exceeded", 9, 40*time.Minute)
		},
	},
	{
		Name:  "lb-static-ip-not-found",
		Check: "exposure-lb-pending", Object: "Service/ingress-nginx/ingress-nginx-controller", Layer: "exposure",
		Source:  "https://github.com/Azure/AKS/issues/3046",
		Summary: "reinstalled ingress-nginx asks for a static public IP the cloud cannot find in that resource group: <pending>, every site down",
		Story: `After reinstalling the ingress-nginx chart with the cluster's static public IP, the controller's
LoadBalancer Service stays <pending> and every site behind it is unreachable. The service controller
reports "Error syncing load balancer: failed to ensure load balancer: findMatchedPIPByLoadBalancerIP:
cannot find public IP with IP address 20.86.115.42 in resource group rg1": the IP lives in another
resource group and the azure-load-balancer-resource-group annotation is missing.`,
		Background: Background{IngressNginx: &IngressNginxOptions{}},
		Build: func(c *Cluster) {
			c.SetIngressAddress("")
			for _, s := range c.services {
				if s.Namespace == "ingress-nginx" && s.Name == "ingress-nginx-controller" {
					s.Status.LoadBalancer.Ingress = nil
					s.Spec.LoadBalancerIP = "20.86.115.42"
					s.CreationTimestamp = c.ago(18 * time.Minute)
				}
			}
			c.loadBalancerEvents("ingress-nginx", "ingress-nginx-controller", "Error syncing load balancer: failed to ensure load balancer: findMatchedPIPByLoadBalancerIP: cannot find public IP with IP address 20.86.115.42 in resource group rg1", 9, 18*time.Minute)
			c.webApp("shop", "storefront", "registry.example.com/shop/storefront:7.1.0", 8080, 2)
			c.Ingress(ingressFor("shop", "storefront", "nginx", "shop.example.com", route("/", "storefront", 80)))
		},
	},
}

// loadBalancerEvents records the service controller's attempts to give
// Service ns/name a load balancer, failing with msg count times since age ago.
func (c *Cluster) loadBalancerEvents(ns, name, msg string, count int32, age time.Duration) {
	for _, s := range c.services {
		if s.Namespace == ns && s.Name == name {
			ref := objectRef("Service", "v1", s.ObjectMeta)
			c.Event(EventSpec{Object: ref, Type: corev1.EventTypeNormal, Reason: "EnsuringLoadBalancer", Message: "Ensuring load balancer", Count: count, Component: "service-controller", First: age, Last: 90 * time.Second})
			c.Event(EventSpec{Object: ref, Reason: "SyncLoadBalancerFailed", Message: msg, Count: count, Component: "service-controller", First: age, Last: 90 * time.Second})
		}
	}
}
