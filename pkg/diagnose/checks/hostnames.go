package checks

// How a host written in configuration resolves to a Service: the resolv.conf
// search path, name.namespace, *.svc names and URLs. The DNS checks and the
// init-container check share it.

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// serviceHost is a Service name found in a configuration value.
type serviceHost struct {
	Host      string // the host as written
	Service   string
	Namespace string // where the name resolves
	// Explicit is true when the namespace is written in the name.
	Explicit bool
	// Strong is true when the value is unmistakably a network address
	// (URL, host:port, .svc name, or an address-typed variable).
	Strong bool
	Port   string
}

// Variable name endings that say the value is a host.
var (
	hostVarSuffixes = []string{"_HOST", "_HOSTNAME", "_ADDR", "_ADDRESS", "_SERVER", "_SVC", "_SERVICE_HOST"}
	// A bare word under these names is often a provider name ("sendgrid")
	// rather than a host: judged only with positive evidence.
	weakHostVarSuffixes = []string{"_SERVICE", "_ENDPOINT", "_URL", "_URI"}
)

// hostVarKind classifies a variable name: 2 address-typed, 1 maybe, 0 not an
// address (or one the check must not judge: images, versions, the pod's own
// listen address).
func hostVarKind(name string) int {
	n := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	for _, bad := range []string{"IMAGE", "VERSION", "TAG", "LISTEN", "BIND"} {
		if strings.Contains(n, bad) {
			return -1
		}
	}
	// KUBERNETES_SERVICE_HOST overrides where the API server is: usually a
	// node-level name, never a Service of the pod's namespace.
	if strings.HasSuffix(n, "_NAME") || n == "HOSTNAME" || n == "KUBERNETES_SERVICE_HOST" {
		return -1
	}
	for _, suf := range hostVarSuffixes {
		if strings.HasSuffix(n, suf) {
			return 2
		}
	}
	for _, suf := range weakHostVarSuffixes {
		if strings.HasSuffix(n, suf) {
			return 1
		}
	}
	return 0
}

// networkSchemes are the URL schemes whose authority is a host to connect
// to: the web, RPC, message-queue and database protocols apps are
// configured with.
var networkSchemes = map[string]bool{
	"http": true, "https": true, "ws": true, "wss": true, "grpc": true, "grpcs": true, "h2c": true,
	"tcp": true, "udp": true, "tls": true, "ssl": true, "dns": true, "ftp": true, "sftp": true, "nfs": true,
	"redis": true, "rediss": true, "memcached": true, "mongodb": true, "mongodb+srv": true,
	"postgres": true, "postgresql": true, "mysql": true, "mariadb": true, "sqlserver": true, "mssql": true,
	"clickhouse": true, "cassandra": true, "cql": true, "elasticsearch": true, "couchdb": true, "etcd": true,
	"amqp": true, "amqps": true, "nats": true, "kafka": true, "mqtt": true, "mqtts": true, "stomp": true,
	"zookeeper": true, "thrift": true, "ldap": true, "ldaps": true, "smtp": true, "smtps": true,
	"imap": true, "imaps": true, "pop3": true, "pop3s": true, "statsd": true, "syslog": true,
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

var serviceNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// parseServiceHost finds the Service a configuration value names, resolving a bare
// name in podNS as the pod's resolv.conf search path does. namespaces is the
// set of namespaces the input knows.
func parseServiceHost(s *snapshot.Snapshot, varName, value, podNS string, namespaces map[string]bool) (serviceHost, bool) {
	return parseServiceHostIn(s, varName, value, podNS, func(ns string) bool { return namespaces[ns] })
}

// parseServiceHostIn is parseServiceHost with the namespaces that may exist
// given as a test: a live scan scoped to one namespace asks it of every
// valid name, to learn which namespaces to look into (ReferencedNamespaces).
func parseServiceHostIn(s *snapshot.Snapshot, varName, value, podNS string, isNamespace func(string) bool) (serviceHost, bool) {
	kind := hostVarKind(varName)
	value = strings.TrimSpace(value)
	if kind < 0 || value == "" || strings.ContainsAny(value, " \t\n,;$\"'{}") {
		return serviceHost{}, false
	}
	var ref serviceHost
	switch {
	case strings.Contains(value, "://"):
		u, err := url.Parse(value)
		if err != nil || u.Hostname() == "" || !networkSchemes[strings.ToLower(u.Scheme)] {
			// kubernetes://apis/apps/v1/... (Istio's ISTIO_META_OWNER),
			// spiffe://, s3://bucket: the part after :// is no host a
			// pod looks up in the cluster DNS.
			return serviceHost{}, false
		}
		ref.Host, ref.Port, ref.Strong = u.Hostname(), u.Port(), true
	case strings.ContainsAny(value, "/@"):
		return serviceHost{}, false
	case strings.Count(value, ":") == 1:
		host, port, _ := strings.Cut(value, ":")
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || host == "" {
			return serviceHost{}, false
		}
		ref.Host, ref.Port, ref.Strong = host, port, true
	case strings.Contains(value, ":"):
		return serviceHost{}, false
	default:
		if kind == 0 {
			return serviceHost{}, false
		}
		ref.Host, ref.Strong = value, kind == 2
	}
	host := strings.TrimSuffix(ref.Host, ".")
	if host != strings.ToLower(host) || net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return serviceHost{}, false
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if !dnsLabelRE.MatchString(l) {
			return serviceHost{}, false
		}
	}
	switch {
	case len(labels) == 1:
		ref.Service, ref.Namespace = labels[0], podNS
	case len(labels) == 2:
		// "a.b": pod a behind headless Service b of the pod's namespace
		// (searched first), else Service a in namespace b, else an outside
		// name.
		if s.Service(podNS, labels[1]) != nil || !isNamespace(labels[1]) {
			return serviceHost{}, false
		}
		ref.Service, ref.Namespace, ref.Explicit = labels[0], labels[1], true
	case labels[2] == "svc":
		ref.Service, ref.Namespace, ref.Explicit, ref.Strong = labels[0], labels[1], true, true
	case len(labels) >= 4 && labels[3] == "svc":
		// pod.service.namespace.svc...: a pod of a headless Service.
		ref.Service, ref.Namespace, ref.Explicit, ref.Strong = labels[1], labels[2], true, true
	default:
		return serviceHost{}, false
	}
	if !serviceNameRE.MatchString(ref.Service) || ref.Service == "kubernetes" && ref.Namespace == "default" {
		return serviceHost{}, false
	}
	return ref, true
}

// rewriteServiceHost writes a host naming Service svc in namespace ns in the
// same form as the original (bare names gain the namespace).
func rewriteServiceHost(ref serviceHost, svc, ns string) string {
	host := strings.TrimSuffix(ref.Host, ".")
	labels := strings.Split(host, ".")
	if !ref.Explicit {
		if ns == ref.Namespace {
			return svc
		}
		return svc + "." + ns
	}
	if len(labels) >= 4 && labels[3] == "svc" {
		labels[1], labels[2] = svc, ns
	} else {
		labels[0], labels[1] = svc, ns
	}
	return strings.Join(labels, ".")
}

// namespaceSet is the set of namespaces the input knows.
func namespaceSet(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, ns := range s.NamespaceNames() {
		out[ns] = true
	}
	return out
}
