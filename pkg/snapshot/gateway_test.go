package snapshot

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestHostnameIntersection(t *testing.T) {
	cases := []struct {
		listener string
		route    []gwv1.Hostname
		want     string // joined; "any" for nil with ok
		ok       bool
	}{
		{"", nil, "any", true},
		{"shop.example.com", nil, "shop.example.com", true},
		{"", []gwv1.Hostname{"a.example.com"}, "a.example.com", true},
		{"shop.example.com", []gwv1.Hostname{"shop.example.com"}, "shop.example.com", true},
		{"shop.example.com", []gwv1.Hostname{"*.example.com"}, "shop.example.com", true},
		{"*.example.com", []gwv1.Hostname{"a.b.example.com", "x.example.net"}, "a.b.example.com", true},
		{"*.example.com", []gwv1.Hostname{"*.shop.example.com"}, "*.shop.example.com", true},
		{"*.shop.example.com", []gwv1.Hostname{"*.example.com"}, "*.shop.example.com", true},
		{"*.example.com", []gwv1.Hostname{"example.com"}, "", false},
		{"Shop.Example.com", []gwv1.Hostname{"shop.example.COM"}, "shop.example.com", true},
		{"a.example.com", []gwv1.Hostname{"b.example.com"}, "", false},
	}
	for _, c := range cases {
		got, ok := HostnameIntersection(c.listener, c.route)
		text := strings.Join(got, ",")
		if got == nil && ok {
			text = "any"
		}
		if ok != c.ok || text != c.want {
			t.Errorf("HostnameIntersection(%q, %v) = %q %v, want %q %v", c.listener, c.route, text, ok, c.want, c.ok)
		}
	}
}

func TestListenerAllowsKind(t *testing.T) {
	group := gwv1.Group(GatewayGroup)
	other := gwv1.Group("example.com")
	cases := []struct {
		name     string
		listener gwv1.Listener
		kind     string
		want     bool
	}{
		{"HTTP carries HTTPRoute", gwv1.Listener{Protocol: gwv1.HTTPProtocolType}, KindHTTPRoute, true},
		{"HTTPS carries GRPCRoute", gwv1.Listener{Protocol: gwv1.HTTPSProtocolType}, KindGRPCRoute, true},
		{"HTTP does not carry TCPRoute", gwv1.Listener{Protocol: gwv1.HTTPProtocolType}, KindTCPRoute, false},
		{"TLS carries TLSRoute", gwv1.Listener{Protocol: gwv1.TLSProtocolType}, KindTLSRoute, true},
		{"TLS terminating carries TCPRoute", gwv1.Listener{Protocol: gwv1.TLSProtocolType,
			TLS: &gwv1.ListenerTLSConfig{Mode: ptrTo(gwv1.TLSModeTerminate)}}, KindTCPRoute, true},
		{"TLS passthrough does not carry TCPRoute", gwv1.Listener{Protocol: gwv1.TLSProtocolType,
			TLS: &gwv1.ListenerTLSConfig{Mode: ptrTo(gwv1.TLSModePassthrough)}}, KindTCPRoute, false},
		{"TLS terminating narrowed to TCPRoute", gwv1.Listener{Protocol: gwv1.TLSProtocolType,
			TLS:           &gwv1.ListenerTLSConfig{Mode: ptrTo(gwv1.TLSModeTerminate)},
			AllowedRoutes: &gwv1.AllowedRoutes{Kinds: []gwv1.RouteGroupKind{{Kind: KindTCPRoute}}}}, KindTLSRoute, false},
		{"UDP carries UDPRoute only", gwv1.Listener{Protocol: gwv1.UDPProtocolType}, KindTCPRoute, false},
		{"allowedRoutes.kinds narrows", gwv1.Listener{Protocol: gwv1.HTTPProtocolType,
			AllowedRoutes: &gwv1.AllowedRoutes{Kinds: []gwv1.RouteGroupKind{{Group: &group, Kind: KindGRPCRoute}}}}, KindHTTPRoute, false},
		{"a kind of another group admits nothing of ours", gwv1.Listener{Protocol: gwv1.HTTPProtocolType,
			AllowedRoutes: &gwv1.AllowedRoutes{Kinds: []gwv1.RouteGroupKind{{Group: &other, Kind: KindHTTPRoute}}}}, KindHTTPRoute, false},
		{"implementation-specific protocol is not judged", gwv1.Listener{Protocol: "istio.io/PROXY"}, KindTCPRoute, true},
	}
	for _, c := range cases {
		if got, _ := ListenerAllowsKind(c.listener, c.kind); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// attachmentsOf indexes objs and returns the attachments of the one route.
func attachmentsOf(t *testing.T, objs ...any) []ParentAttachment {
	t.Helper()
	s := indexedSnapshot(t, objs...)
	if len(s.Routes()) != 1 {
		t.Fatalf("%d routes", len(s.Routes()))
	}
	return s.Attachments(s.Routes()[0])
}

func TestAttachmentFollowsTheSpec(t *testing.T) {
	meta := func(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	from := func(f gwv1.FromNamespaces, sel *metav1.LabelSelector) *gwv1.AllowedRoutes {
		return &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &f, Selector: sel}}
	}
	shared := &metav1.LabelSelector{MatchLabels: map[string]string{"shared": "true"}}
	gateway := &gwv1.Gateway{ObjectMeta: meta("infra", "eg"), Spec: gwv1.GatewaySpec{Listeners: []gwv1.Listener{
		{Name: "internal", Protocol: gwv1.HTTPProtocolType, Port: 8080},
		{Name: "public", Protocol: gwv1.HTTPProtocolType, Port: 80, AllowedRoutes: from(gwv1.NamespacesFromSelector, shared)},
		{Name: "api", Protocol: gwv1.HTTPProtocolType, Port: 80, Hostname: ptrTo(gwv1.Hostname("api.example.com")), AllowedRoutes: from(gwv1.NamespacesFromAll, nil)},
	}}}
	route := func(labels map[string]string, hosts []gwv1.Hostname, parent gwv1.ParentReference) *gwv1.HTTPRoute {
		r := &gwv1.HTTPRoute{ObjectMeta: meta("shop", "store")}
		r.Labels = labels
		r.Spec.Hostnames = hosts
		r.Spec.ParentRefs = []gwv1.ParentReference{parent}
		return r
	}
	toEG := gwv1.ParentReference{Name: "eg", Namespace: ptrTo(gwv1.Namespace("infra"))}
	labelled := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"shared": "true"}}}
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}

	accepted := func(a ParentAttachment) string {
		var names []string
		for _, l := range a.Accepted {
			names = append(names, string(l.Listener.Spec.Name))
		}
		return strings.Join(names, ",")
	}
	cases := []struct {
		name string
		objs []any
		want string
	}{
		{"the namespace's labels admit it through public; api takes only its host", []any{gateway, labelled, route(nil, []gwv1.Hostname{"shop.example.com"}, toEG)}, "public"},
		{"the route's own labels do not count", []any{gateway, plain, route(map[string]string{"shared": "true"}, []gwv1.Hostname{"shop.example.com"}, toEG)}, ""},
		{"without hostnames every accepting listener takes it", []any{gateway, labelled, route(nil, nil, toEG)}, "public,api"},
		{"sectionName narrows to one listener", []any{gateway, labelled, route(nil, nil, gwv1.ParentReference{Name: "eg", Namespace: ptrTo(gwv1.Namespace("infra")), SectionName: ptrTo(gwv1.SectionName("api"))})}, "api"},
		{"port narrows", []any{gateway, labelled, route(nil, nil, gwv1.ParentReference{Name: "eg", Namespace: ptrTo(gwv1.Namespace("infra")), Port: ptrTo(gwv1.PortNumber(8080))})}, ""},
	}
	for _, c := range cases {
		atts := attachmentsOf(t, c.objs...)
		if len(atts) != 1 || atts[0].Gateway == nil {
			t.Fatalf("%s: attachments %+v", c.name, atts)
		}
		if got := accepted(atts[0]); got != c.want {
			t.Errorf("%s: accepted by %q, want %q; rejected: %+v", c.name, got, c.want, atts[0].Rejected)
		}
	}

	// A parentRef without namespace looks in the route's own namespace.
	atts := attachmentsOf(t, gateway, route(nil, nil, gwv1.ParentReference{Name: "eg"}))
	if atts[0].Gateway != nil || atts[0].Target != (ObjectRef{Kind: KindGateway, Namespace: "shop", Name: "eg"}) {
		t.Errorf("parentRef without namespace: %+v", atts[0])
	}
	// sectionName of no listener selects nothing.
	atts = attachmentsOf(t, gateway, route(nil, nil, gwv1.ParentReference{Name: "eg", Namespace: ptrTo(gwv1.Namespace("infra")), SectionName: ptrTo(gwv1.SectionName("https"))}))
	if !atts[0].SelectsNothing() {
		t.Errorf("sectionName https should select nothing: %+v", atts[0])
	}
	// A mesh parent is not judged.
	atts = attachmentsOf(t, route(nil, nil, gwv1.ParentReference{Group: ptrTo(gwv1.Group("")), Kind: ptrTo(gwv1.Kind("Service")), Name: "store"}))
	if !atts[0].Foreign {
		t.Errorf("a Service parent is foreign: %+v", atts[0])
	}
	// Unknown namespace labels: the selector cannot be judged.
	atts = attachmentsOf(t, gateway, route(nil, []gwv1.Hostname{"shop.example.com"}, gwv1.ParentReference{Name: "eg", Namespace: ptrTo(gwv1.Namespace("infra")), SectionName: ptrTo(gwv1.SectionName("public"))}))
	if len(atts[0].Rejected) != 1 || atts[0].Rejected[0].Reason != RejectedNamespaceUnknown {
		t.Errorf("without the Namespace object the selector is unknown: %+v", atts[0].Rejected)
	}
}

func TestListenerSetListeners(t *testing.T) {
	from := gwv1.NamespacesFromSame
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "eg"}, Spec: gwv1.GatewaySpec{
		Listeners: []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80}},
	}}
	set := &gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "team"}, Spec: gwv1.ListenerSetSpec{
		ParentRef: gwv1.ParentGatewayReference{Name: "eg"},
		Listeners: []gwv1.ListenerEntry{{Name: "team", Protocol: gwv1.HTTPProtocolType, Port: 8080}},
	}}
	route := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "r"}}
	route.Spec.ParentRefs = []gwv1.ParentReference{{Kind: ptrTo(gwv1.Kind(KindListenerSet)), Name: "team"}}

	s := indexedSnapshot(t, gw, set, route)
	if n := len(s.Listeners(gw)); n != 1 {
		t.Errorf("a Gateway that allows no ListenerSets has %d listeners, want its own 1", n)
	}
	if a := s.Attachments(s.Routes()[0])[0]; a.SetNotAllowed == "" || a.Attached() {
		t.Errorf("a route on a ListenerSet the Gateway does not allow is not attached: %+v", a)
	}

	allowed := gw.DeepCopy()
	allowed.Spec.AllowedListeners = &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: &from}}
	s = indexedSnapshot(t, allowed, set, route)
	ls := s.Listeners(allowed)
	if len(ls) != 2 || ls[1].Set == nil || ls[1].Ref() != (ObjectRef{Kind: KindListener, Namespace: "infra", Name: "team/team"}) {
		t.Fatalf("listeners %+v", ls)
	}
	a := s.Attachments(s.Routes()[0])[0]
	if !a.Attached() || a.Accepted[0].Listener.Set != set {
		t.Errorf("the route attaches through the set's listener: %+v", a)
	}
	if got := s.RoutesOf(Ref(KindListenerSet, set)); len(got) != 1 {
		t.Errorf("RoutesOf(ListenerSet) = %d routes", len(got))
	}
}

func TestGatewayObjectsAreCountedAndDeduplicated(t *testing.T) {
	s := New()
	r1 := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "store"}}
	r2 := r1.DeepCopy()
	r2.Spec.Hostnames = []gwv1.Hostname{"shop.example.com"}
	for _, o := range []any{r1, &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "eg"}}, r2} {
		if err := s.Add(o, Origin{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Index()
	if s.ObjectCount() != 2 || len(s.HTTPRoutes) != 1 || s.HTTPRoutes[0] != r2 {
		t.Fatalf("count %d, routes %v", s.ObjectCount(), s.HTTPRoutes)
	}
	if !s.Knows(KindHTTPRoute, "shop") || !s.Knows(KindGatewayClass, "") || s.Knows(KindGateway, "shop") {
		t.Error("Knows must follow what the input holds")
	}
	if got := s.Route(ObjectRef{Kind: KindHTTPRoute, Namespace: "shop", Name: "store"}); got == nil || len(got.Hostnames) != 1 {
		t.Errorf("Route lookup: %+v", got)
	}
}

func TestReferenceGrantPermits(t *testing.T) {
	name := gwv1.ObjectName("api")
	g := &gwv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: "backend", Name: "g"}, Spec: gwv1.ReferenceGrantSpec{
		From: []gwv1.ReferenceGrantFrom{{Group: GatewayGroup, Kind: KindHTTPRoute, Namespace: "shop"}},
		To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: KindService, Name: &name}},
	}}
	s := indexedSnapshot(t, g)
	cases := []struct {
		fromKind, fromNS, toName string
		want                     bool
	}{
		{KindHTTPRoute, "shop", "api", true},
		{KindHTTPRoute, "shop", "db", false},
		{KindGRPCRoute, "shop", "api", false},
		{KindHTTPRoute, "store", "api", false},
	}
	for _, c := range cases {
		got := s.ReferenceGrantFor(GatewayGroup, c.fromKind, c.fromNS, "", KindService, "backend", c.toName) != nil
		if got != c.want {
			t.Errorf("%s from %s to Service %s: %v, want %v", c.fromKind, c.fromNS, c.toName, got, c.want)
		}
	}
}
