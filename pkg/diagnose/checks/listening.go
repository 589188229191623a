package checks

// Where a container listens beyond the ports it declares, and what each of
// its ports is for. containerPorts are informational: an app listens where
// its args, command and env tell it to, and a Service's numeric targetPort
// reaches it there whether the port is declared or not. Rancher serves its
// internal HTTPS port without declaring it; Jenkins takes its agent port
// from JNLP_PORT. Reading those settings keeps an undeclared port from being
// called dead; knowing a port's role (the app's, metrics, health, a mesh
// proxy's) keeps a fix from sending a Service's clients to a port that is
// not theirs.

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// portRole is what a port is for.
type portRole int

const (
	// roleApp: the port the app serves its clients on.
	roleApp portRole = iota
	// roleMetrics: a port a scraper reads.
	roleMetrics
	// roleHealth: a health, probe, admin or debug endpoint.
	roleHealth
	// roleProxy: a mesh proxy's inbound, outbound or admin port.
	roleProxy
)

func (r portRole) String() string {
	switch r {
	case roleMetrics:
		return "a metrics port"
	case roleHealth:
		return "a health/admin port"
	case roleProxy:
		return "a mesh proxy's port"
	}
	return "an app port"
}

// listenSetting is a port a container is told to listen on by its own spec.
type listenSetting struct {
	Container string
	Port      int32
	// Setting quotes where it is said: `arg --listen=:9376`, `env JNLP_PORT="50000"`.
	Setting string
	Role    portRole
	// Loopback is true when the address is 127.0.0.1, ::1 or localhost:
	// nothing outside the pod reaches the port, a Service included.
	Loopback bool
}

// meshProxyPorts are the ports a mesh proxy listens on in every pod it
// joins: Istio's outbound and inbound capture (15001, 15006), admin and
// health (15000, 15020, 15021), HBONE (15008) and Prometheus (15090);
// Linkerd's inbound, outbound and admin ports (4143, 4140, 4191); Envoy's
// usual admin port (9901).
var meshProxyPorts = map[int32]bool{
	15000: true, 15001: true, 15006: true, 15008: true, 15020: true, 15021: true, 15090: true,
	4140: true, 4143: true, 4191: true, 9901: true,
}

// metricsPortNumbers are ports exporters listen on by convention
// (Prometheus, node and process exporters, CoreDNS metrics).
var metricsPortNumbers = map[int32]bool{9090: true, 9091: true, 9100: true, 9102: true, 9113: true, 9153: true}

// clientWords mark a setting as the address of something the container
// connects to ("--redis-port", "DB_PORT"), not where it listens.
var clientWords = map[string]bool{
	"db": true, "database": true, "redis": true, "mysql": true, "postgres": true, "postgresql": true, "pg": true,
	"mongo": true, "mongodb": true, "kafka": true, "amqp": true, "rabbitmq": true, "rabbit": true, "nats": true,
	"memcache": true, "memcached": true, "etcd": true, "zookeeper": true, "zk": true, "cassandra": true,
	"elasticsearch": true, "es": true, "influx": true, "influxdb": true, "graphite": true, "statsd": true,
	"jaeger": true, "zipkin": true, "otlp": true, "collector": true, "syslog": true, "sentry": true, "vault": true,
	"consul": true, "ldap": true, "smtp": true, "mail": true, "dns": true, "upstream": true, "backend": true,
	"remote": true, "target": true, "peer": true, "peers": true, "master": true, "apiserver": true,
	"kubelet": true, "node": true, "host": true, "service": true, "svc": true, "kubernetes": true, "client": true,
}

// roleWords map words of a setting's or port's name to the port's role.
var roleWords = map[string]portRole{
	"metric": roleMetrics, "metrics": roleMetrics, "prom": roleMetrics, "prometheus": roleMetrics, "telemetry": roleMetrics,
	"health": roleHealth, "healthz": roleHealth, "healthcheck": roleHealth, "probe": roleHealth, "liveness": roleHealth,
	"readiness": roleHealth, "ready": roleHealth, "status": roleHealth, "admin": roleHealth, "debug": roleHealth,
	"pprof": roleHealth, "management": roleHealth, "mgmt": roleHealth,
}

// nameWords splits a flag, variable or port name into lower-case words:
// "httpListenAddress", "HTTP_LISTEN_ADDRESS" and "http-listen-address" all
// give http, listen, address.
func nameWords(name string) []string {
	var b strings.Builder
	prevLower := false
	for _, r := range name {
		switch {
		case r == '-' || r == '_' || r == '.':
			b.WriteByte(' ')
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			b.WriteByte(' ')
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.Fields(b.String())
}

// roleOfName is the role a name gives a port: "http-metrics" is a metrics
// port, "healthz" a health port, anything else the app's.
func roleOfName(words []string) portRole {
	for _, w := range words {
		if r, ok := roleWords[w]; ok {
			return r
		}
	}
	return roleApp
}

// listenName reports whether a setting's name says where the container
// listens: a word "listen" or "bind", or a name ending in port, addr or
// address that names nothing the container connects to.
func listenName(words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if clientWords[w] {
			return false
		}
	}
	if slices.Contains(words, "listen") || slices.Contains(words, "bind") {
		return true
	}
	switch words[len(words)-1] {
	case "port", "addr", "address":
		return true
	}
	return false
}

// expandEnv replaces $(NAME) references with the container's literal env
// values, as the kubelet does for command and args.
func expandEnv(v string, env map[string]string) string {
	if !strings.Contains(v, "$(") {
		return v
	}
	return envRefRE.ReplaceAllStringFunc(v, func(ref string) string {
		if val, ok := env[ref[2:len(ref)-1]]; ok {
			return val
		}
		return ref
	})
}

var envRefRE = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_.-]*\)`)

// listenAddress is a port with the host part of its address, as written.
type listenAddress struct {
	host string
	port int32
}

// parseListenAddress reads "8080", ":8080", "0.0.0.0:8080", "[::]:8080" or
// "http://0.0.0.0:8080".
func parseListenAddress(value string) (listenAddress, bool) {
	value = strings.Trim(strings.TrimSpace(value), `"';,`)
	host, p := "", value
	switch {
	case strings.Contains(value, "://"):
		u, err := url.Parse(value)
		if err != nil {
			return listenAddress{}, false
		}
		host, p = u.Hostname(), u.Port()
	case strings.Contains(value, ":"):
		i := strings.LastIndex(value, ":")
		host, p = strings.Trim(value[:i], "[]"), value[i+1:]
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return listenAddress{}, false
	}
	return listenAddress{host: host, port: int32(n)}, true
}

// wildcard reports whether the address listens on every interface.
func (a listenAddress) wildcard() bool {
	switch a.host {
	case "", "0.0.0.0", "::", "*":
		return true
	}
	return false
}

// loopback reports whether only the pod itself reaches the address.
func (a listenAddress) loopback() bool {
	if a.host == "localhost" {
		return true
	}
	ip := net.ParseIP(a.host)
	return ip != nil && ip.IsLoopback()
}

// listenSettings lists the ports p's containers (and native sidecars) are
// told to listen on by their command, args and literal env values. Only the pod's
// own spec counts: the <SVC>_SERVICE_PORT variables Kubernetes injects are
// not in it, and name other Services' ports anyway.
func listenSettings(p *corev1.Pod) []listenSetting {
	var out []listenSetting
	for _, c := range containersOf(p) {
		// A plain init container has exited before the pod serves.
		if c.Init && !c.Sidecar() {
			continue
		}
		out = append(out, containerListenSettings(c.Spec)...)
	}
	return out
}

func containerListenSettings(c *corev1.Container) []listenSetting {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	var out []listenSetting
	add := func(words []string, value, setting string) {
		if !listenName(words) {
			return
		}
		a, ok := parseListenAddress(value)
		// Only a listen or bind setting says where to listen on a named
		// host; "--api-address=http://api:8080" is where something else
		// listens.
		explicit := slices.Contains(words, "listen") || slices.Contains(words, "bind")
		if !ok || !explicit && !a.wildcard() && !a.loopback() {
			return
		}
		out = append(out, listenSetting{Container: c.Name, Port: a.port, Setting: setting, Role: roleOfName(words), Loopback: a.loopback()})
	}
	// A shell script in one argument ("sh -c 'exec app --port 8080'") is
	// read word by word.
	var words []string
	for _, a := range slices.Concat(c.Command, c.Args) {
		words = append(words, strings.Fields(expandEnv(a, env))...)
	}
	for i, w := range words {
		if !strings.HasPrefix(w, "-") || len(w) < 2 {
			continue
		}
		flag := strings.TrimLeft(w, "-")
		if strings.HasPrefix(w, "-D") && strings.Contains(w, ".") {
			// A Java system property: -Dserver.port=8080.
			flag = w[2:]
		}
		name, value, hasValue := strings.Cut(flag, "=")
		shown := w
		if !hasValue {
			if i+1 == len(words) || strings.HasPrefix(words[i+1], "-") {
				continue
			}
			value = words[i+1]
			shown = w + " " + value
		}
		add(nameWords(name), value, "arg "+shown)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil || e.Value == "" {
			continue
		}
		words := nameWords(e.Name)
		if envNamesPeer(words, env) {
			continue
		}
		add(words, e.Value, "env "+e.Name+"="+strconv.Quote(e.Value))
	}
	return out
}

// envNamesPeer reports whether a *_PORT variable is half of a client's
// address: the container also has <PREFIX>_HOST (or _ADDR, _SERVER, _URL)
// naming another host, as in DB_HOST=postgres, DB_PORT=5432. A wildcard
// host (HOST=0.0.0.0, PORT=8080) is where the app itself listens.
func envNamesPeer(words []string, env map[string]string) bool {
	if len(words) < 2 || words[len(words)-1] != "port" {
		return false
	}
	prefix := strings.ToUpper(strings.Join(words[:len(words)-1], "_"))
	for name, v := range env {
		w := nameWords(name)
		if len(w) < 2 || strings.ToUpper(strings.Join(w[:len(w)-1], "_")) != prefix {
			continue
		}
		switch w[len(w)-1] {
		case "host", "hostname", "addr", "address", "server", "url", "uri", "endpoint":
			switch strings.TrimSpace(v) {
			case "", "0.0.0.0", "::", "[::]", "*":
				continue
			}
			return true
		}
	}
	return false
}

// listensOn returns the setting that tells one of p's containers to listen
// on port where a Service can reach it.
func listensOn(settings []listenSetting, port int32) (listenSetting, bool) {
	for _, l := range settings {
		if l.Port == port && !l.Loopback {
			return l, true
		}
	}
	return listenSetting{}, false
}

// undeclaredListens returns the settings of p's app containers that name a
// port no container of p declares: proof that p's declarations are not the
// full list of where the app listens. A mesh proxy's own ports (Linkerd's
// control port 4190 is told by env and never declared) say nothing about
// the app's.
func undeclaredListens(p *corev1.Pod, settings []listenSetting) []listenSetting {
	declared := map[int32]bool{}
	for _, d := range snapshot.DeclaredPorts(p) {
		declared[d.Port.ContainerPort] = true
	}
	var out []listenSetting
	for _, l := range settings {
		if !declared[l.Port] && !l.Loopback && !snapshot.IsSidecar(p, l.Container) && !meshProxyPorts[l.Port] {
			out = append(out, l)
		}
	}
	return out
}

// declaredPortRole is what a declared port of p is for, from its container
// (a mesh proxy), its number (a mesh proxy's or an exporter's), its name,
// the pod's prometheus.io/port annotation, and the settings that name it.
func declaredPortRole(p *corev1.Pod, d snapshot.DeclaredPort, settings []listenSetting) portRole {
	switch {
	case snapshot.IsSidecar(p, d.Container) || meshProxyPorts[d.Port.ContainerPort]:
		return roleProxy
	case snapshot.IsMetricsPort(d.Port) || metricsPortNumbers[d.Port.ContainerPort] ||
		p.Annotations["prometheus.io/port"] == strconv.Itoa(int(d.Port.ContainerPort)):
		return roleMetrics
	}
	if r := roleOfName(nameWords(d.Port.Name)); r != roleApp {
		return r
	}
	for _, l := range settings {
		if l.Port == d.Port.ContainerPort && l.Role != roleApp {
			return l.Role
		}
	}
	return roleApp
}

// servicePortRole is what a Service port is for, from its name: a Service
// port named "metrics" may go to a metrics port.
func servicePortRole(sp corev1.ServicePort) portRole {
	return roleOfName(nameWords(sp.Name))
}
