// A gRPC call is an HTTP/2 POST to /package.Service/Method. GRPCRoutes match
// it by service and method (Exact, or a RegularExpression on each) and by
// headers; among matching rules the specification prefers the most specific
// hostname, then the most characters of matching service, then of method,
// then the most header matches. HTTPRoutes and GRPCRoutes are never merged:
// when both kinds serve one hostname on one listener, the implementation
// accepts the oldest route (then the first by namespace/name) and rejects
// the other kind.

package diagnose

import (
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// isURLEntry reports whether a trace entry is a URL: http(s), or grpc(s)
// for a gRPC call.
func isURLEntry(raw string) bool {
	for _, scheme := range []string{"http://", "https://", "grpc://", "grpcs://"} {
		if strings.HasPrefix(raw, scheme) {
			return true
		}
	}
	return false
}

// grpcCall is the service and method a request path names.
type grpcCall struct {
	service, method string
	ok              bool
}

// String is the call as a path: /package.Service/Method.
func (c grpcCall) String() string { return "/" + c.service + "/" + c.method }

// parseGRPCCall reads /package.Service/Method; ok is false for any other
// path shape.
func parseGRPCCall(path string) grpcCall {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return grpcCall{}
	}
	service, method, ok := strings.Cut(rest, "/")
	if !ok || service == "" || method == "" || strings.Contains(method, "/") {
		return grpcCall{}
	}
	return grpcCall{service: service, method: method, ok: true}
}

// matchGRPC applies one GRPCRouteMatch to the request: its method match
// (Exact by default; either of service and method may be left out) and
// every header match must hold.
func matchGRPC(m gwv1.GRPCRouteMatch, req request) (routeMatch, bool) {
	var c routeMatch
	if mm := m.Method; mm != nil {
		regex := mm.Type != nil && *mm.Type == gwv1.GRPCMethodMatchRegularExpression
		if mm.Service != nil {
			if !valueMatches(regex, *mm.Service, req.rpc.service) {
				return c, false
			}
			c.service = len(*mm.Service)
		}
		if mm.Method != nil {
			if !valueMatches(regex, *mm.Method, req.rpc.method) {
				return c, false
			}
			c.rpc = len(*mm.Method)
		}
	}
	for _, h := range m.Headers {
		got, ok := req.headers[strings.ToLower(string(h.Name))]
		if !ok || !valueMatches(h.Type != nil && *h.Type == gwv1.GRPCHeaderMatchRegularExpression, h.Value, got) {
			return c, false
		}
		c.headers++
	}
	return c, true
}

// pickKind chooses between the best HTTPRoute and the best GRPCRoute match
// of one listener. Once kindConflicts has removed the routes that lose a
// hostname to the other kind, both can only match when their hostnames do
// not intersect, which one request host cannot satisfy; the older route is
// kept as a defensive order.
func pickKind(http, grpc *routeMatch) *routeMatch {
	switch {
	case http == nil:
		return grpc
	case grpc == nil:
		return http
	case olderRoute(grpc.route, http.route):
		return grpc
	}
	return http
}

// kindConflicts lists the HTTPRoutes and GRPCRoutes listener l does not
// accept because a route of the other kind, attached to l with an
// intersecting hostname, is older (then first by namespace/name): the
// specification has the implementation accept exactly one of the two.
func (d *diagnosis) kindConflicts(l snapshot.Listener) map[*snapshot.Route]bool {
	type claim struct {
		route *snapshot.Route
		hosts []string // nil: any host
	}
	var httpClaims, grpcClaims []claim
	for _, r := range d.s.RoutesOf(l.Owner()) {
		if r.HTTP == nil && r.GRPC == nil {
			continue
		}
		for _, a := range d.s.Attachments(r) {
			for _, acc := range a.Accepted {
				if acc.Listener.Ref() != l.Ref() {
					continue
				}
				c := claim{route: r, hosts: acc.Hostnames}
				if r.GRPC != nil {
					grpcClaims = append(grpcClaims, c)
				} else {
					httpClaims = append(httpClaims, c)
				}
			}
		}
	}
	out := map[*snapshot.Route]bool{}
	for _, h := range httpClaims {
		for _, g := range grpcClaims {
			if !hostsIntersect(h.hosts, g.hosts) {
				continue
			}
			if olderRoute(h.route, g.route) {
				out[g.route] = true
			} else {
				out[h.route] = true
			}
		}
	}
	return out
}

// hostsIntersect reports whether two accepted hostname sets (nil: any
// host) share a name.
func hostsIntersect(a, b []string) bool {
	if a == nil || b == nil {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if snapshot.HostnameMatches(x, y) || snapshot.HostnameMatches(y, x) {
				return true
			}
		}
	}
	return false
}
