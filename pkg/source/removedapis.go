package source

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// This file reads objects written in API versions that API servers no
// longer serve (snapshot.RemovedAPIs) into the current types, with the
// meaning the API server gave their fields. Manifests written for old
// clusters and dumps of old clusters hold them; skipping them would switch
// off every Ingress check on a 1.18 dump and make a Service in front of an
// extensions/v1beta1 Deployment look like it selects nothing.
//
// Where a removed version has the same JSON as the current one for every
// field they share (the workloads, NetworkPolicy, IngressClass, CronJob),
// the object is decoded straight into the current type: fields only the old
// version had (spec.rollbackTo, spec.templateGeneration) have no meaning in
// the current one and are dropped, as the API server's conversion drops
// them. Defaults that differed are applied here. Ingress and EndpointSlice
// changed shape and are converted field by field.

// decodeRemoved decodes js, an object written in the removed version r,
// into the current type of its kind, with TypeMeta set to the current
// version.
func decodeRemoved(js []byte, r snapshot.RemovedAPI) (any, error) {
	var obj any
	switch r.Kind {
	case snapshot.KindIngress:
		var old networkingv1beta1.Ingress
		if err := unmarshalTyped(js, &old); err != nil {
			return nil, err
		}
		obj = convertIngress(&old)
	case snapshot.KindEndpointSlice:
		var old discoveryv1beta1.EndpointSlice
		if err := unmarshalTyped(js, &old); err != nil {
			return nil, err
		}
		obj = convertEndpointSlice(&old)
	default:
		obj = newObject(r.Current, r.Kind)
		if obj == nil {
			return nil, fmt.Errorf("internal: no current type for %s %s", r.Current, r.Kind)
		}
		if err := unmarshalTyped(js, obj); err != nil {
			return nil, err
		}
		applyRemovedDefaults(obj, r.APIVersion)
	}
	setTypeMeta(obj, r.Current, r.Kind)
	return obj, nil
}

// unmarshalTyped decodes with the fast decoder, asking encoding/json again
// on failure so that errors read as the reference's.
func unmarshalTyped(js []byte, v any) error {
	if fastJSON.Unmarshal(js, v) == nil {
		return nil
	}
	return json.Unmarshal(js, v)
}

// applyRemovedDefaults gives a workload the defaults its old version had
// where they differ from the current one's. extensions/v1beta1 and
// apps/v1beta1 did not require a selector: the API server took the pod
// template's labels (and gave them to the object too when it had none).
// Their DaemonSets and StatefulSets were not rolled on a template change
// unless asked (OnDelete).
func applyRemovedDefaults(obj any, apiVersion string) {
	if apiVersion == "apps/v1beta2" {
		return // v1beta2 already had the current defaults
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		o.Spec.Selector = defaultSelector(&o.ObjectMeta, o.Spec.Selector, &o.Spec.Template)
	case *appsv1.ReplicaSet:
		o.Spec.Selector = defaultSelector(&o.ObjectMeta, o.Spec.Selector, &o.Spec.Template)
	case *appsv1.DaemonSet:
		o.Spec.Selector = defaultSelector(&o.ObjectMeta, o.Spec.Selector, &o.Spec.Template)
		if o.Spec.UpdateStrategy.Type == "" {
			o.Spec.UpdateStrategy.Type = appsv1.OnDeleteDaemonSetStrategyType
		}
	case *appsv1.StatefulSet:
		o.Spec.Selector = defaultSelector(&o.ObjectMeta, o.Spec.Selector, &o.Spec.Template)
		if o.Spec.UpdateStrategy.Type == "" {
			o.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType
		}
	}
}

// defaultSelector is the selector the old API server gave a workload
// without one: its template's labels.
func defaultSelector(meta *metav1.ObjectMeta, sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec) *metav1.LabelSelector {
	labels := tmpl.Labels
	if len(meta.Labels) == 0 && len(labels) > 0 {
		meta.Labels = copyLabels(labels)
	}
	if sel != nil || len(labels) == 0 {
		return sel
	}
	return &metav1.LabelSelector{MatchLabels: copyLabels(labels)}
}

func copyLabels(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// convertIngress converts a networking.k8s.io/v1beta1 Ingress (which has
// the JSON of an extensions/v1beta1 one) to networking.k8s.io/v1: backend
// is defaultBackend, serviceName/servicePort are service.name and
// service.port.number or .name, and a path without pathType had
// ImplementationSpecific.
func convertIngress(in *networkingv1beta1.Ingress) *networkingv1.Ingress {
	out := &networkingv1.Ingress{ObjectMeta: in.ObjectMeta}
	out.Spec.IngressClassName = in.Spec.IngressClassName
	out.Spec.DefaultBackend = convertBackend(in.Spec.Backend)
	for _, t := range in.Spec.TLS {
		out.Spec.TLS = append(out.Spec.TLS, networkingv1.IngressTLS{Hosts: t.Hosts, SecretName: t.SecretName})
	}
	for _, r := range in.Spec.Rules {
		rule := networkingv1.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			rule.HTTP = &networkingv1.HTTPIngressRuleValue{Paths: make([]networkingv1.HTTPIngressPath, 0, len(r.HTTP.Paths))}
			for _, p := range r.HTTP.Paths {
				pathType := networkingv1.PathTypeImplementationSpecific
				if p.PathType != nil {
					pathType = networkingv1.PathType(*p.PathType)
				}
				backend := convertBackend(&p.Backend)
				rule.HTTP.Paths = append(rule.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p.Path, PathType: &pathType, Backend: *backend})
			}
		}
		out.Spec.Rules = append(out.Spec.Rules, rule)
	}
	for _, lb := range in.Status.LoadBalancer.Ingress {
		ing := networkingv1.IngressLoadBalancerIngress{IP: lb.IP, Hostname: lb.Hostname}
		for _, p := range lb.Ports {
			ing.Ports = append(ing.Ports, networkingv1.IngressPortStatus{Port: p.Port, Protocol: p.Protocol, Error: p.Error})
		}
		out.Status.LoadBalancer.Ingress = append(out.Status.LoadBalancer.Ingress, ing)
	}
	return out
}

// convertBackend converts one backend as the API server did: a Service
// backend exists when it names a Service or a port.
func convertBackend(in *networkingv1beta1.IngressBackend) *networkingv1.IngressBackend {
	if in == nil {
		return nil
	}
	out := &networkingv1.IngressBackend{Resource: in.Resource}
	if in.ServiceName != "" || in.ServicePort.IntVal != 0 || in.ServicePort.Type == intstr.String {
		out.Service = &networkingv1.IngressServiceBackend{Name: in.ServiceName}
		if in.ServicePort.Type == intstr.String {
			out.Service.Port.Name = in.ServicePort.StrVal
		} else {
			out.Service.Port.Number = in.ServicePort.IntVal
		}
	}
	return out
}

// convertEndpointSlice converts a discovery.k8s.io/v1beta1 EndpointSlice:
// the topology map's zone label became zone, and the node name, which the
// EndpointSlice controller wrote into the topology map's hostname label
// before nodeName existed, is nodeName. What else the map held stays in
// deprecatedTopology, as the API server keeps it.
func convertEndpointSlice(in *discoveryv1beta1.EndpointSlice) *discoveryv1.EndpointSlice {
	out := &discoveryv1.EndpointSlice{
		ObjectMeta:  in.ObjectMeta,
		AddressType: discoveryv1.AddressType(in.AddressType),
	}
	for _, p := range in.Ports {
		out.Ports = append(out.Ports, discoveryv1.EndpointPort{Name: p.Name, Protocol: p.Protocol, Port: p.Port, AppProtocol: p.AppProtocol})
	}
	for _, e := range in.Endpoints {
		ep := discoveryv1.Endpoint{
			Addresses: e.Addresses,
			Conditions: discoveryv1.EndpointConditions{
				Ready: e.Conditions.Ready, Serving: e.Conditions.Serving, Terminating: e.Conditions.Terminating,
			},
			Hostname:  e.Hostname,
			TargetRef: e.TargetRef,
			NodeName:  e.NodeName,
		}
		if e.Hints != nil {
			ep.Hints = &discoveryv1.EndpointHints{}
			for _, z := range e.Hints.ForZones {
				ep.Hints.ForZones = append(ep.Hints.ForZones, discoveryv1.ForZone{Name: z.Name})
			}
			for _, n := range e.Hints.ForNodes {
				ep.Hints.ForNodes = append(ep.Hints.ForNodes, discoveryv1.ForNode{Name: n.Name})
			}
		}
		if len(e.Topology) > 0 {
			rest := copyLabels(e.Topology)
			if zone, ok := rest[corev1.LabelTopologyZone]; ok {
				ep.Zone = &zone
				delete(rest, corev1.LabelTopologyZone)
			}
			if host, ok := rest[corev1.LabelHostname]; ok {
				if ep.NodeName == nil {
					ep.NodeName = &host
				}
				if *ep.NodeName == host {
					delete(rest, corev1.LabelHostname)
				}
			}
			if len(rest) > 0 {
				ep.DeprecatedTopology = rest
			}
		}
		out.Endpoints = append(out.Endpoints, ep)
	}
	return out
}
