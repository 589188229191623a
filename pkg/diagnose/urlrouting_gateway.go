// A URL entry on a cluster with Gateways is the listener and route rule a
// Gateway would pick for it, in the order the Gateway API specification
// gives: the listener on the URL's port with the most specific hostname;
// then, across the routes that listener accepts, the route with the most
// specific matching hostname, an Exact path before the longest PathPrefix,
// a method match, most header matches, most query parameter matches; then
// the oldest route, then the first by namespace/name, then the first rule
// and match in list order. A gRPC call (grpc://host/pkg.Service/Method, or an
// http(s) URL with that path) is matched against GRPCRoutes the same way,
// with the longest matching service and method in place of the path
// (urlrouting_gateway_grpc.go).

package diagnose

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// urlEntries resolves a URL to the paths that serve it: the Ingress rule an
// ingress controller picks (urlrouting.go) and the Gateway route rule a
// Gateway picks. When both serve it both are traced: which one answers
// depends on where the name resolves. An Ingress default backend that only
// catches what no rule serves gives way to a Gateway route that does.
func (d *diagnosis) urlEntries(raw string) ([]entry, error) {
	ing, ingErr := d.urlEntry(raw)
	if len(d.s.Gateways) == 0 {
		if ingErr != nil {
			return nil, ingErr
		}
		return []entry{ing}, nil
	}
	var bad *EntryError
	if errors.As(ingErr, &bad) && bad.Why == notAURL {
		return nil, ingErr
	}
	gws, gwErr := d.gatewayURLEntries(raw)
	var out []entry
	if ingErr == nil && !(len(gws) > 0 && ing.ingress != nil && ing.backend == ing.ingress.Spec.DefaultBackend) {
		out = append(out, ing)
	}
	out = append(out, gws...)
	if len(out) > 0 {
		return out, nil
	}
	why := gwErr.Error()
	if errors.As(gwErr, &bad) {
		why = bad.Why
	}
	if len(d.s.Ingresses) > 0 && errors.As(ingErr, &bad) {
		why = bad.Why + "; " + why
	}
	return nil, &EntryError{Entry: raw, Why: why}
}

// notAURL is urlEntry's answer to text that is no URL with a host.
const notAURL = "not a URL with a host"

// request is what a URL entry sends, as the route matches see it.
type request struct {
	scheme, host, path, method string
	port                       int32
	query                      url.Values
	headers                    map[string]string // lower-case names
	// rpc is the gRPC call the path names (/package.Service/Method); ok is
	// false when the path is not one. grpcURL is set for grpc:// and
	// grpcs:// URLs: a gRPC call, which is an HTTP/2 POST that HTTPRoutes
	// may serve as well.
	rpc     grpcCall
	grpcURL bool
}

// newRequest reads the request a URL entry stands for.
func (d *diagnosis) newRequest(raw string) (request, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return request{}, &EntryError{Entry: raw, Why: notAURL}
	}
	r := request{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), path: u.Path, query: u.Query(),
		method: strings.ToUpper(d.opt.Method), headers: map[string]string{}}
	if r.path == "" {
		r.path = "/"
	}
	if r.method == "" {
		r.method = string(gwv1.HTTPMethodGet)
	}
	r.rpc = parseGRPCCall(r.path)
	switch r.scheme {
	case "grpc", "grpcs":
		if !r.rpc.ok {
			return request{}, &EntryError{Entry: raw, Why: fmt.Sprintf("a gRPC URL names the call as /package.Service/Method, not %q", r.path)}
		}
		r.grpcURL = true
		// gRPC is always a POST with content-type application/grpc:
		// --method does not apply.
		r.method = string(gwv1.HTTPMethodPost)
	}
	r.port = 80
	if r.scheme == "https" || r.scheme == "grpcs" {
		r.port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return request{}, &EntryError{Entry: raw, Why: "port " + p + " is not a port number"}
		}
		r.port = int32(n)
	}
	for k, v := range d.opt.Headers {
		r.headers[strings.ToLower(k)] = v
	}
	if _, set := r.headers["content-type"]; r.grpcURL && !set {
		r.headers["content-type"] = "application/grpc"
	}
	return r, nil
}

// gatewayURLEntries picks, on every Gateway that listens for the URL, the
// listener and route rule that serve it.
func (d *diagnosis) gatewayURLEntries(raw string) ([]entry, error) {
	req, err := d.newRequest(raw)
	if err != nil {
		return nil, err
	}
	var out []entry
	var whys []string
	for _, gw := range d.s.Gateways {
		if !gatewayHasAddress(gw, req.host) {
			continue
		}
		l, ok := d.pickListener(gw, req)
		if !ok {
			continue
		}
		en, why := d.routeForRequest(gw, l, req)
		if why != "" {
			whys = append(whys, why)
			continue
		}
		out = append(out, en...)
	}
	if len(out) > 0 {
		return out, nil
	}
	if len(whys) == 0 {
		return nil, &EntryError{Entry: raw, Why: fmt.Sprintf("no Gateway listener takes %s requests for host %q on port %d", req.scheme, req.host, req.port)}
	}
	return nil, &EntryError{Entry: raw, Why: strings.Join(whys, "; ")}
}

// gatewayHasAddress reports whether a URL host given as an IP address is
// one of the Gateway's addresses; a host name, or a Gateway whose status
// lists no address, may be any Gateway.
func gatewayHasAddress(gw *gwv1.Gateway, host string) bool {
	if net.ParseIP(host) == nil || len(gw.Status.Addresses) == 0 {
		return true
	}
	for _, a := range gw.Status.Addresses {
		if a.Value == host {
			return true
		}
	}
	return false
}

// hostSpecificity ranks a matching hostname: characters outside a
// wildcard, then characters; "" (any host) ranks lowest.
func hostSpecificity(h string) [2]int {
	if strings.HasPrefix(h, "*") {
		return [2]int{0, len(h)}
	}
	return [2]int{len(h), len(h)}
}

func moreSpecific(a, b [2]int) bool {
	if a[0] != b[0] {
		return a[0] > b[0]
	}
	return a[1] > b[1]
}

// pickListener chooses the listener of gw that takes the request: its port
// and protocol fit the URL and, among those, its hostname is the most
// specific that matches. The Gateway's own listeners come before its
// ListenerSets', as the merge order says.
func (d *diagnosis) pickListener(gw *gwv1.Gateway, req request) (snapshot.Listener, bool) {
	var best snapshot.Listener
	var bestScore [2]int
	found := false
	for _, l := range d.s.Listeners(gw) {
		if l.Spec.Port != req.port || !protocolServes(l.Spec.Protocol, req.scheme) {
			continue
		}
		h := l.Hostname()
		if h != "" && !snapshot.HostnameMatches(h, req.host) {
			continue
		}
		score := [2]int{-1, -1}
		if h != "" {
			score = hostSpecificity(h)
		}
		if !found || moreSpecific(score, bestScore) {
			best, bestScore, found = l, score, true
		}
	}
	return best, found
}

// protocolServes reports whether a listener protocol takes a URL scheme.
func protocolServes(p gwv1.ProtocolType, scheme string) bool {
	switch scheme {
	case "http", "grpc":
		return p == gwv1.HTTPProtocolType
	case "https", "grpcs":
		return p == gwv1.HTTPSProtocolType || p == gwv1.TLSProtocolType
	}
	return false
}

// routeMatch is one candidate for a request: a route rule's match, with
// the keys the specification orders candidates by.
type routeMatch struct {
	route     *snapshot.Route
	attach    *snapshot.ParentAttachment
	rule, idx int
	host      [2]int
	service   int // characters of a matching gRPC service
	rpc       int // characters of a matching gRPC method
	exact     bool
	prefix    int
	method    bool
	headers   int
	queries   int
}

// before reports whether m takes precedence over o.
func (m routeMatch) before(o routeMatch) bool {
	switch {
	case m.host != o.host:
		return moreSpecific(m.host, o.host)
	case m.service != o.service:
		return m.service > o.service
	case m.rpc != o.rpc:
		return m.rpc > o.rpc
	case m.exact != o.exact:
		return m.exact
	case m.prefix != o.prefix:
		return m.prefix > o.prefix
	case m.method != o.method:
		return m.method
	case m.headers != o.headers:
		return m.headers > o.headers
	case m.queries != o.queries:
		return m.queries > o.queries
	case m.route != o.route:
		return olderRoute(m.route, o.route)
	case m.rule != o.rule:
		return m.rule < o.rule
	}
	return m.idx < o.idx
}

// olderRoute reports whether route a takes precedence over route b in a
// tie: the older, then the first by namespace/name.
func olderRoute(a, b *snapshot.Route) bool {
	ta, tb := a.Meta.CreationTimestamp, b.Meta.CreationTimestamp
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.Ref.Namespace+"/"+a.Ref.Name < b.Ref.Namespace+"/"+b.Ref.Name
}

// routeForRequest finds the route rule listener l of gw gives the request
// to, or says why none does (the Gateway answers 404). HTTPRoute and
// GRPCRoute candidates are ranked apart: the specification never merges
// the two kinds' rules, and a route that loses a hostname to an older
// route of the other kind is not accepted at all.
func (d *diagnosis) routeForRequest(gw *gwv1.Gateway, l snapshot.Listener, req request) ([]entry, string) {
	var bestHTTP, bestGRPC *routeMatch
	shadowed := d.kindConflicts(l)
	consider := func(m routeMatch) {
		if shadowed[m.route] {
			return
		}
		best := &bestHTTP
		if m.route.GRPC != nil {
			best = &bestGRPC
		}
		if *best == nil || m.before(**best) {
			*best = &m
		}
	}
	parent := l.Owner()
	for _, r := range d.s.RoutesOf(parent) {
		atts := d.s.Attachments(r)
		for i := range atts {
			a := &atts[i]
			host, ok := acceptedHost(a, l, req.host)
			if !ok {
				continue
			}
			found := func(c routeMatch, rule, idx int) {
				c.route, c.attach, c.rule, c.idx, c.host = r, a, rule, idx, host
				consider(c)
			}
			switch {
			case r.HTTP != nil && l.Spec.Protocol != gwv1.TLSProtocolType:
				matchRules(r.HTTP.Spec.Rules, func(rule gwv1.HTTPRouteRule) []gwv1.HTTPRouteMatch { return rule.Matches },
					func(m gwv1.HTTPRouteMatch) (routeMatch, bool) { return matchHTTP(m, req) }, found)
			case r.GRPC != nil && l.Spec.Protocol != gwv1.TLSProtocolType && req.rpc.ok:
				matchRules(r.GRPC.Spec.Rules, func(rule gwv1.GRPCRouteRule) []gwv1.GRPCRouteMatch { return rule.Matches },
					func(m gwv1.GRPCRouteMatch) (routeMatch, bool) { return matchGRPC(m, req) }, found)
			case r.Ref.Kind == snapshot.KindTLSRoute && l.Spec.Protocol == gwv1.TLSProtocolType && len(r.Rules) > 0:
				consider(routeMatch{route: r, attach: a, host: host})
			}
		}
	}
	best := pickKind(bestHTTP, bestGRPC)
	if best == nil {
		what := fmt.Sprintf("%s %s", req.method, req.path)
		if req.grpcURL {
			what = "gRPC call " + req.rpc.String()
		}
		if l.Spec.Protocol == gwv1.TLSProtocolType {
			what = "server name " + req.host
		}
		return nil, fmt.Sprintf("Gateway %s/%s %s takes the request, but no route it accepts matches %s: it answers 404", gw.Namespace, gw.Name, l, what)
	}
	var out []entry
	for _, en := range routePaths(gw, best.attach, best.route) {
		if en.gw.rule == best.rule {
			en.gw.listener = &l
			en.label = pathLabel(en.gw)
			out = append(out, en)
		}
	}
	return out, ""
}

// matchRules offers every match of every rule that holds for the request
// to found, with the rule's and the match's index; a rule without matches
// matches every request, as the specification says for both kinds.
func matchRules[R, M any](rules []R, matchesOf func(R) []M, match func(M) (routeMatch, bool), found func(c routeMatch, rule, idx int)) {
	for ri, rule := range rules {
		matches := matchesOf(rule)
		if len(matches) == 0 {
			matches = make([]M, 1)
		}
		for mi, m := range matches {
			if c, ok := match(m); ok {
				found(c, ri, mi)
			}
		}
	}
}

// acceptedHost reports whether attachment a has listener l accept the
// route for host, and how specific the route's matching hostname is.
func acceptedHost(a *snapshot.ParentAttachment, l snapshot.Listener, host string) ([2]int, bool) {
	for _, acc := range a.Accepted {
		if acc.Listener.Ref() != l.Ref() {
			continue
		}
		if acc.Hostnames == nil {
			return [2]int{-1, -1}, true
		}
		found := false
		var best [2]int
		for _, h := range acc.Hostnames {
			if snapshot.HostnameMatches(h, host) {
				if s := hostSpecificity(h); !found || moreSpecific(s, best) {
					best, found = s, true
				}
			}
		}
		return best, found
	}
	return [2]int{}, false
}

// matchHTTP applies one HTTPRouteMatch to the request: every condition it
// sets must hold.
func matchHTTP(m gwv1.HTTPRouteMatch, req request) (routeMatch, bool) {
	var c routeMatch
	typ, value := gwv1.PathMatchPathPrefix, "/"
	if m.Path != nil {
		if m.Path.Type != nil {
			typ = *m.Path.Type
		}
		if m.Path.Value != nil {
			value = *m.Path.Value
		}
	}
	switch typ {
	case gwv1.PathMatchExact:
		if req.path != value {
			return c, false
		}
		c.exact = true
	case gwv1.PathMatchRegularExpression:
		// Implementation-specific precedence: ranked below every prefix.
		if !fullMatch(value, req.path) {
			return c, false
		}
	default:
		trimmed := strings.TrimSuffix(value, "/")
		if trimmed != "" && req.path != trimmed && !strings.HasPrefix(req.path, trimmed+"/") {
			return c, false
		}
		c.prefix = len(value)
	}
	if m.Method != nil {
		if string(*m.Method) != req.method {
			return c, false
		}
		c.method = true
	}
	for _, h := range m.Headers {
		got, ok := req.headers[strings.ToLower(string(h.Name))]
		if !ok || !valueMatches(h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression, h.Value, got) {
			return c, false
		}
		c.headers++
	}
	for _, q := range m.QueryParams {
		vals, ok := req.query[string(q.Name)]
		if !ok || len(vals) == 0 || !valueMatches(q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression, q.Value, vals[0]) {
			return c, false
		}
		c.queries++
	}
	return c, true
}

func valueMatches(regex bool, want, got string) bool {
	if regex {
		return fullMatch(want, got)
	}
	return want == got
}

// fullMatch matches a whole value against an RE2 expression; an invalid
// expression matches nothing.
func fullMatch(expr, value string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(value)
}
