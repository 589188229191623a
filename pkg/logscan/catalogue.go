package logscan

import "regexp"

// Hop is the part of a path a log signature explains.
type Hop string

// The hops a log line can explain.
const (
	// HopDNS: a name the container looks up does not resolve, or the
	// resolver fails (NXDOMAIN, SERVFAIL, CoreDNS's plugin/errors).
	HopDNS Hop = "dns"
	// HopDependency: something the container calls refuses, times out or
	// fails its TLS handshake; the target names it.
	HopDependency Hop = "dependency"
	// HopListener: the container's own listening socket is wrong: bound to
	// loopback only, already taken, or a port it may not bind.
	HopListener Hop = "listener"
	// HopUpstream: a proxy (an ingress controller) cannot reach the
	// backend it routes to.
	HopUpstream Hop = "upstream"
)

// Signature is one kind of networking failure as programs print it.
type Signature struct {
	ID  string
	Hop Hop
	// Meaning says what the failure means for traffic, in a finding's words.
	Meaning string
	match   []*regexp.Regexp
	// target extracts the host (or host:port) the line is about; its first
	// submatch that is not empty wins.
	target []*regexp.Regexp
}

// Target returns the host or host:port a matching line names, or "".
func (s *Signature) Target(line string) string {
	for _, re := range s.target {
		if m := re.FindStringSubmatch(line); m != nil {
			for _, g := range m[1:] {
				if g != "" {
					return g
				}
			}
		}
	}
	return ""
}

func (s *Signature) matches(line string) bool {
	for _, re := range s.match {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

func res(exprs ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}

// hostPort is a host or host:port as dialers print it.
const hostPort = `([A-Za-z0-9_.\-]+(?::\d+)?|\[[0-9a-fA-F:.]+\](?::\d+)?)`

// listenTarget is the address a Go server failed to listen on; its host is
// empty when it listens on every address (":8080").
const listenTarget = `listen tcp[46]? ([A-Za-z0-9_.\-]*:\d+|\[[0-9a-fA-F:.]*\]:\d+)`

// dialTarget finds what a Go, Node.js, Java or Python client was dialling.
var dialTarget = res(
	`dial (?:tcp|udp)[46]? `+hostPort+`:`,
	`(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) `+hostPort,
	`[Cc]onnect(?:ion)? to `+hostPort,
	`(?:Get|Post|Put|Delete|Patch|Head) "https?://`+hostPort,
)

// Catalogue is every signature, most specific first: a line is counted
// under the first signature it matches.
var Catalogue = []*Signature{
	{
		ID: "name-not-resolved", Hop: HopDNS,
		Meaning: "a host name the container connects to does not resolve",
		match: res(`no such host`, `NXDOMAIN`, `[Nn]ame or service not known`, `Temporary failure in name resolution`,
			`getaddrinfo (?:ENOTFOUND|EAI_AGAIN)`, `UnknownHostException`, `[Cc]ould not resolve host`,
			`Name does not resolve`, `nodename nor servname`, `server misbehaving`),
		target: res(`lookup ([A-Za-z0-9_.\-]+)`, `getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([A-Za-z0-9_.\-]+)`,
			`UnknownHostException: ([A-Za-z0-9_.\-]+)`, `[Cc]ould not resolve host:? '?([A-Za-z0-9_.\-]+)`,
			`([A-Za-z0-9_.\-]+): (?:Name or service not known|Temporary failure in name resolution|Name does not resolve)`),
	},
	{
		ID: "dns-lookup-timeout", Hop: HopDNS,
		Meaning: "name lookups time out: the cluster DNS server does not answer (a NetworkPolicy without egress to port 53, CoreDNS down)",
		match:   res(`lookup [^\s]+ on [^\s]+: (?:read|dial|write) udp[^\n]*(?:i/o timeout|connection refused)`, `lookup [^\s]+[^\n]*i/o timeout`, `connection timed out; no servers could be reached`),
		target:  res(`lookup ([A-Za-z0-9_.\-]+)`),
	},
	{
		ID: "dns-server-failure", Hop: HopDNS,
		Meaning: "the cluster DNS server fails to answer (SERVFAIL, or CoreDNS reports an error for the query)",
		match:   res(`SERVFAIL`, `\[ERROR\] plugin/errors:`),
		target:  res(`plugin/errors: \d+ ([A-Za-z0-9_.\-]+?)\.? (?:A|AAAA|SRV|PTR|CNAME|MX|TXT|NS|SOA):? `, `SERVFAIL.*? ([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`),
	},
	{
		ID: "upstream-unreachable", Hop: HopUpstream,
		Meaning: "the proxy cannot reach the backend it routes to and answers 502/503/504",
		match: res(`upstream connect error`, `no live upstreams`, `while connecting to upstream`,
			`upstream timed out`, `no healthy upstream`, `upstream prematurely closed`),
		target: res(`upstream: "https?://`+hostPort, `upstream "`+hostPort),
	},
	{
		ID: "certificate-rejected", Hop: HopDependency,
		Meaning: "a TLS certificate is rejected: unknown authority, expired, or issued for another name",
		match: res(`x509: `, `certificate signed by unknown authority`, `certificate has expired`,
			`PKIX path building failed`, `CERTIFICATE_VERIFY_FAILED`, `unable to verify the first certificate`,
			`Hostname/IP does not match certificate`, `certificate is valid for`),
		target: dialTarget,
	},
	{
		ID: "tls-handshake-failed", Hop: HopDependency,
		Meaning: "a TLS handshake fails: one side speaks TLS and the other plain text, or they share no protocol",
		match: res(`TLS handshake error`, `tls: (?:handshake|first record|bad certificate|unknown certificate|protocol version|no application protocol|internal error|failed to verify|received record)`, `server gave HTTP response to HTTPS client`,
			`first record does not look like a TLS handshake`, `SSL routines`, `wrong version number`, `SSLHandshakeException`),
		target: append(res(`TLS handshake error from `+hostPort), dialTarget...),
	},
	{
		ID: "listening-on-loopback", Hop: HopListener,
		Meaning: "the app listens on the loopback address only, which nothing outside its pod can reach",
		match: res(`(?i)\b(?:listening|listen|serving|running|bound|started|binding)\b(?:\s+\w+)?\s+(?:on|at|to)\s+(?:https?://)?(?:127\.0\.0\.1|localhost|\[::1\])(?:[:/\s]|$)`,
			`listen tcp[46]? (?:127\.0\.0\.1|localhost|\[::1\]):\d+`),
		target: res(`(127\.0\.0\.1:\d+|localhost:\d+|\[::1\]:\d+)`, `(127\.0\.0\.1|localhost|\[::1\])`),
	},
	{
		ID: "address-in-use", Hop: HopListener,
		Meaning: "the app cannot listen: its port is already taken in the pod",
		match:   res(`address already in use`, `EADDRINUSE`, `Address in use`),
		target:  res(listenTarget, `EADDRINUSE:? (?:address already in use )?`+hostPort),
	},
	{
		ID: "bind-permission-denied", Hop: HopListener,
		Meaning: "the app may not bind its port (a port below 1024 without the capability or root)",
		match:   res(`bind: permission denied`, `EACCES.*(?:bind|listen)|(?:bind|listen).*EACCES`, `[Pp]ermission denied.*(?:bind|listen)`),
		target:  res(listenTarget, `EACCES:? permission denied `+hostPort),
	},
	{
		ID: "connection-refused", Hop: HopDependency,
		Meaning: "a dependency refuses the connection: nothing listens on that address and port",
		match:   res(`(?i)connection refused`, `ECONNREFUSED`),
		target:  dialTarget,
	},
	{
		ID: "connect-timeout", Hop: HopDependency,
		Meaning: "a connection to a dependency times out: a NetworkPolicy, a firewall or a missing route drops it",
		match: res(`i/o timeout`, `dial[^\n]*context deadline exceeded`, `ETIMEDOUT`, `(?i)connect(?:ion)? timed out`,
			`(?i)connection timed out`, `No route to host`, `EHOSTUNREACH`),
		target: dialTarget,
	},
}

// ByID returns the catalogue's signature with that ID, or nil.
func ByID(id string) *Signature {
	for _, s := range Catalogue {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// The signatures of the proxies' and the cluster DNS server's own logs.
// They are kept out of Catalogue, which reads apps' logs: an operator that
// logs "failed to list *v1.Service" has a problem of its own, not one of
// the cluster's DNS. A check reads an ingress controller's log with
// ProxyCatalogue and CoreDNS's with ClusterDNSCatalogue.
var (
	// ProxyCatalogue is what an ingress controller (ingress-nginx, an
	// Envoy-based one) prints when it cannot get an answer from the
	// backend of a route.
	ProxyCatalogue = []*Signature{
		{
			ID: "upstream-tls-mismatch", Hop: HopUpstream,
			Meaning: "the proxy speaks TLS to a backend that answers in plain text, or its TLS handshake with the backend fails (the backend protocol annotation or appProtocol does not match what the pod serves)",
			match:   res(`while SSL handshaking to upstream`, `SSL_do_handshake\(\) failed[^\n]*upstream`),
			target:  res(`upstream: "https?://` + hostPort),
		},
		{
			ID: "upstream-reset", Hop: HopUpstream,
			Meaning: "the backend accepts the proxy's connection and then resets it: the app fails mid-request, or speaks another protocol (TLS, gRPC) on that port",
			match:   res(`Connection reset by peer\)? while (?:reading response header from|sending request to|reading upstream)`),
			target:  res(`upstream: "https?://` + hostPort),
		},
		{
			ID: "upstream-failure-response", Hop: HopUpstream,
			Meaning: "the proxy answers 502/503/504 because the backend did not: Envoy's response flag says so (UF connection failure, UH no healthy upstream, URX retries exhausted, UT timeout, UC connection terminated)",
			match:   res(`HTTP/[0-9.]+" 50[234] (?:UF|UH|URX|UT|UC|UO)\b`),
			// Envoy's default access log ends with the upstream host.
			target: res(`"` + hostPort + `"\s*$`),
		},
		ByID("upstream-unreachable"),
	}

	// ClusterDNSCatalogue is what CoreDNS prints when it cannot answer:
	// its kubernetes plugin cut off from the API server, the upstream
	// resolver silent, a forwarding loop, a query it fails (plugin/errors).
	ClusterDNSCatalogue = []*Signature{
		{
			ID: "dns-api-unreachable", Hop: HopDNS,
			Meaning: "CoreDNS's kubernetes plugin cannot read Services and EndpointSlices from the API server (its RBAC, its credentials, or the network to the API): cluster names stop resolving or resolve to stale addresses",
			match: res(`plugin/kubernetes:[^\n]*(?:[Ff]ailed to (?:list|watch)|is forbidden|Unauthorized|connection refused|i/o timeout|no route to host)`,
				`starting server with unsynced Kubernetes API`, `plugin/ready: Still waiting on: "kubernetes"`),
			target: res(`(?:Get|Watch) "https://` + hostPort),
		},
		{
			ID: "dns-upstream-timeout", Hop: HopDNS,
			Meaning: "the resolver CoreDNS forwards names outside the cluster to does not answer: external names fail, cluster names still resolve",
			match:   res(`\[ERROR\] plugin/errors: \d+ [^\s]+ [A-Z]+: (?:read|dial|write) (?:udp|tcp) [^\s]+: i/o timeout`),
			target:  res(`(?:read|dial|write) (?:udp|tcp) [^\s]*->`+hostPort+`:`, `(?:read|dial|write) (?:udp|tcp) `+hostPort+`:`),
		},
		{
			ID: "dns-forwarding-loop", Hop: HopDNS,
			Meaning: "CoreDNS forwards queries back to itself (the node's resolv.conf names a local stub resolver) and stops",
			match:   res(`plugin/loop: Loop \([^)]*\) detected`),
		},
		ByID("dns-server-failure"),
	}
)
