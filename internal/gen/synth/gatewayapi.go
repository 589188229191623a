package synth

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The shared Gateway's setup, as a platform team runs one on EKS: a
// cloud-managed class (judged by its status, as no in-cluster controller pod
// serves it), a Gateway in its own namespace with an HTTP listener open to
// every namespace and an HTTPS listener open to the namespaces labelled for
// it, and the wildcard certificate beside it.
const (
	gatewayNamespace   = "gateway-infra"
	gatewayName        = "shared"
	gatewayClassName   = "aws-alb"
	gatewayController  = "gateway.k8s.aws/alb"
	gatewayCertificate = "wildcard-example-com"
	gatewayAccessLabel = "gateway.example.com/access"
	// routeEvery: one healthy app in this many gets an HTTPRoute.
	routeEvery = 10
	// crossNamespaceEvery: one route in this many lives in another
	// namespace than its Service, which grants it with a ReferenceGrant.
	crossNamespaceEvery = 20
)

// routeTarget is a Service an HTTPRoute will front.
type routeTarget struct{ ns, svc string }

// healthyApp reports whether app n has ready pods its Service selects, so
// that a route to it serves and the dump stays free of new findings.
func healthyApp(n int) bool {
	return n%crashLoopEvery != 7 && n%notReadyEvery != 11 && n%selectorDriftEvery != 23
}

func gatewayMeta(g *generator, name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, UID: g.newUID(), Generation: 1,
		ResourceVersion: strconv.Itoa(80000 + int(g.uid%10000)), CreationTimestamp: g.ago(24 * 60)}
}

func condition(typ, reason string, now metav1.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: 1, LastTransitionTime: now}
}

// gatewayAPI adds the class, the shared Gateway with its certificate, one
// HTTPRoute per target and a ReferenceGrant for each route that reaches into
// another namespace. teamNamespaces are where routes may live.
func (g *generator) gatewayAPI(targets []routeTarget, teamNamespaces []string) {
	now := metav1.NewTime(g.now.Add(-time.Hour))
	g.namespace(gatewayNamespace)
	class := &gwv1.GatewayClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "GatewayClass"},
		ObjectMeta: gatewayMeta(g, gatewayClassName, ""),
		Spec:       gwv1.GatewayClassSpec{ControllerName: gatewayController},
		Status: gwv1.GatewayClassStatus{Conditions: []metav1.Condition{
			condition(string(gwv1.GatewayClassConditionStatusAccepted), string(gwv1.GatewayClassReasonAccepted), now),
		}},
	}
	g.c.GatewayClasses = append(g.c.GatewayClasses, class)
	g.c.Secrets = append(g.c.Secrets, &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: gatewayMeta(g, gatewayCertificate, gatewayNamespace),
		Type:       corev1.SecretTypeTLS,
	})

	var routes []*gwv1.HTTPRoute
	for i, t := range targets {
		routeNS := t.ns
		if i%crossNamespaceEvery == crossNamespaceEvery-1 && len(teamNamespaces) > 1 {
			// A team's portal route fronts a Service another team runs.
			routeNS = teamNamespaces[(i/crossNamespaceEvery)%len(teamNamespaces)]
			if routeNS == t.ns {
				routeNS = teamNamespaces[(i/crossNamespaceEvery+1)%len(teamNamespaces)]
			}
		}
		routes = append(routes, g.httpRoute(t, routeNS, now))
		if routeNS != t.ns {
			g.referenceGrant(t, routeNS)
		}
	}
	g.c.HTTPRoutes = append(g.c.HTTPRoutes, routes...)

	wildcard := gwv1.Hostname("*.example.com")
	all := gwv1.NamespacesFromAll
	selector := gwv1.NamespacesFromSelector
	certNS := gwv1.Namespace(gatewayNamespace)
	listenerStatus := func(name string) gwv1.ListenerStatus {
		return gwv1.ListenerStatus{
			Name: gwv1.SectionName(name), AttachedRoutes: int32(len(routes)),
			SupportedKinds: []gwv1.RouteGroupKind{{Group: ptr(gwv1.Group(gwv1.GroupName)), Kind: "HTTPRoute"}},
			Conditions: []metav1.Condition{
				condition(string(gwv1.ListenerConditionAccepted), string(gwv1.ListenerReasonAccepted), now),
				condition(string(gwv1.ListenerConditionProgrammed), string(gwv1.ListenerReasonProgrammed), now),
				condition(string(gwv1.ListenerConditionResolvedRefs), string(gwv1.ListenerReasonResolvedRefs), now),
			},
		}
	}
	g.c.Gateways = append(g.c.Gateways, &gwv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway"},
		ObjectMeta: gatewayMeta(g, gatewayName, gatewayNamespace),
		Spec: gwv1.GatewaySpec{
			GatewayClassName: gatewayClassName,
			Listeners: []gwv1.Listener{
				{Name: "http", Port: 80, Protocol: gwv1.HTTPProtocolType,
					AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &all}}},
				{Name: "https", Port: 443, Protocol: gwv1.HTTPSProtocolType, Hostname: &wildcard,
					TLS: &gwv1.ListenerTLSConfig{Mode: ptr(gwv1.TLSModeTerminate),
						CertificateRefs: []gwv1.SecretObjectReference{{Name: gatewayCertificate, Namespace: &certNS}}},
					AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &selector,
						Selector: &metav1.LabelSelector{MatchLabels: map[string]string{gatewayAccessLabel: gatewayName}}}}},
			},
		},
		Status: gwv1.GatewayStatus{
			Addresses: []gwv1.GatewayStatusAddress{{Type: ptr(gwv1.HostnameAddressType), Value: "k8s-gatewayi-shared-" + g.suffix(10) + ".elb.us-east-1.amazonaws.com"}},
			Conditions: []metav1.Condition{
				condition(string(gwv1.GatewayConditionAccepted), string(gwv1.GatewayReasonAccepted), now),
				condition(string(gwv1.GatewayConditionProgrammed), string(gwv1.GatewayReasonProgrammed), now),
			},
			Listeners: []gwv1.ListenerStatus{listenerStatus("http"), listenerStatus("https")},
		},
	})
}

// httpRoute fronts t on both listeners of the shared Gateway, under a
// hostname inside the HTTPS listener's wildcard.
func (g *generator) httpRoute(t routeTarget, routeNS string, now metav1.Time) *gwv1.HTTPRoute {
	gwNS := gwv1.Namespace(gatewayNamespace)
	parents := []gwv1.ParentReference{
		{Name: gatewayName, Namespace: &gwNS, SectionName: ptr(gwv1.SectionName("https"))},
		{Name: gatewayName, Namespace: &gwNS, SectionName: ptr(gwv1.SectionName("http"))},
	}
	backend := gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
		Name: gwv1.ObjectName(t.svc), Port: ptr(gwv1.PortNumber(80)),
	}}}
	if routeNS != t.ns {
		backend.Namespace = ptr(gwv1.Namespace(t.ns))
	}
	var status []gwv1.RouteParentStatus
	for _, p := range parents {
		status = append(status, gwv1.RouteParentStatus{
			ParentRef: p, ControllerName: gatewayController,
			Conditions: []metav1.Condition{
				condition(string(gwv1.RouteConditionAccepted), string(gwv1.RouteReasonAccepted), now),
				condition(string(gwv1.RouteConditionResolvedRefs), string(gwv1.RouteReasonResolvedRefs), now),
			},
		})
	}
	prefix := gwv1.PathMatchPathPrefix
	return &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
		ObjectMeta: gatewayMeta(g, t.svc, routeNS),
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: parents},
			Hostnames:       []gwv1.Hostname{gwv1.Hostname(fmt.Sprintf("%s-%s.example.com", t.svc, t.ns))},
			Rules: []gwv1.HTTPRouteRule{{
				Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: &prefix, Value: ptr("/")}}},
				BackendRefs: []gwv1.HTTPBackendRef{backend},
			}},
		},
		Status: gwv1.HTTPRouteStatus{RouteStatus: gwv1.RouteStatus{Parents: status}},
	}
}

// referenceGrant lets HTTPRoutes of routeNS reach Service t.svc.
func (g *generator) referenceGrant(t routeTarget, routeNS string) {
	svc := gwv1.ObjectName(t.svc)
	g.c.ReferenceGrants = append(g.c.ReferenceGrants, &gwv1.ReferenceGrant{
		TypeMeta:   metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "ReferenceGrant"},
		ObjectMeta: gatewayMeta(g, "from-"+routeNS+"-to-"+t.svc, t.ns),
		Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: "HTTPRoute", Namespace: gwv1.Namespace(routeNS)}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Service", Name: &svc}},
		},
	})
}
