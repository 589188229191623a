package testenv

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	certutil "k8s.io/client-go/util/cert"
)

// AppAnnotation shapes how a pod's simulated app answers connections
// through the pod network. Without it, every running container listens on
// all addresses, in plain HTTP, on each TCP port it declares and each
// port number its probes name. The value is a comma-separated list of:
//
//	localhost       the app listens on 127.0.0.1 only: connections to the
//	                pod IP are refused
//	refuse          nothing listens: every connection is refused
//	tls             the app speaks HTTPS with a self-signed certificate, so a
//	                plain HTTP request gets 400 "Client sent an HTTP request
//	                to an HTTPS server."
//	tls=8443        HTTPS on these ports only (repeatable), plain HTTP on
//	                the others: an app with a TLS port and a plain one
//	slow-start=30s  connections are refused until the container has run
//	                that long
//	port=8081       the app listens on these ports (repeatable) instead of
//	                the declared ones
//	hang            the app accepts connections and reads requests but
//	                never answers, as a deadlocked app does: the client
//	                times out
//
// An unknown word makes the app refuse everything and say why in its log.
const AppAnnotation = "hopscope.dev/app"

// Words of AppAnnotation.
const (
	AppLocalhost = "localhost"
	AppRefuse    = "refuse"
	AppTLS       = "tls"
	AppSlowStart = "slow-start"
	AppPort      = "port"
	AppHang      = "hang"
)

// appBehaviour is a parsed AppAnnotation.
type appBehaviour struct {
	localhost, refuse, tls, hang bool
	slowStart                    time.Duration
	ports                        []int32
	// tlsPorts are the ports that speak HTTPS when not all do (tls=PORT).
	tlsPorts []int32
	// invalid is the word that could not be parsed, if any.
	invalid string
}

func parseAppBehaviour(pod *corev1.Pod) appBehaviour {
	var b appBehaviour
	for _, word := range strings.Split(pod.Annotations[AppAnnotation], ",") {
		word = strings.TrimSpace(word)
		name, value, hasValue := strings.Cut(word, "=")
		switch {
		case word == "":
		case word == AppLocalhost:
			b.localhost = true
		case word == AppRefuse:
			b.refuse = true
		case word == AppTLS:
			b.tls = true
		case word == AppHang:
			b.hang = true
		case name == AppSlowStart && hasValue:
			d, err := time.ParseDuration(value)
			if err != nil || d < 0 {
				b.invalid = word
				continue
			}
			b.slowStart = d
		case (name == AppPort || name == AppTLS) && hasValue:
			p, err := strconv.ParseInt(value, 10, 32)
			if err != nil || p <= 0 || p > 65535 {
				b.invalid = word
				continue
			}
			if name == AppTLS {
				b.tlsPorts = append(b.tlsPorts, int32(p))
			} else {
				b.ports = append(b.ports, int32(p))
			}
		default:
			b.invalid = word
		}
	}
	return b
}

// listenPorts maps each port the pod's app binds to the container that
// binds it.
func listenPorts(pod *corev1.Pod, b appBehaviour) map[int32]string {
	out := map[int32]string{}
	if len(pod.Spec.Containers) == 0 {
		return out
	}
	if len(b.ports) > 0 {
		for _, p := range b.ports {
			out[p] = pod.Spec.Containers[0].Name
		}
		return out
	}
	for _, c := range pod.Spec.Containers {
		add := func(p int32) {
			if _, taken := out[p]; !taken && p > 0 {
				out[p] = c.Name
			}
		}
		for _, cp := range c.Ports {
			if cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP {
				add(cp.ContainerPort)
			}
		}
		// The stand-in reports probes on port numbers as passing, so the
		// app must answer there too.
		for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if port, ok := probePort(p); ok && port.Type == intstr.Int {
				add(port.IntVal)
			}
		}
	}
	return out
}

// probePort is the port of an httpGet or tcpSocket probe.
func probePort(p *corev1.Probe) (intstr.IntOrString, bool) {
	switch {
	case p == nil:
		return intstr.IntOrString{}, false
	case p.HTTPGet != nil:
		return p.HTTPGet.Port, true
	case p.TCPSocket != nil:
		return p.TCPSocket.Port, true
	}
	return intstr.IntOrString{}, false
}

// listeningApp is the app of pod answering on port at now, if one does.
func listeningApp(pod *corev1.Pod, port int32, now time.Time) (destination, bool) {
	if pod.Status.Phase != corev1.PodRunning {
		return destination{}, false
	}
	b := parseAppBehaviour(pod)
	if b.invalid != "" || b.refuse || b.localhost {
		return destination{}, false
	}
	container, ok := listenPorts(pod, b)[port]
	if !ok {
		return destination{}, false
	}
	running := runningSince(pod, container)
	if running == nil || now.Before(running.Add(b.slowStart)) {
		return destination{}, false
	}
	return destination{pod: pod, container: container, port: port, tls: b.tls || slices.Contains(b.tlsPorts, port)}, true
}

// runningSince is when the named container started, nil when it is not
// running.
func runningSince(pod *corev1.Pod, container string) *time.Time {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container && cs.State.Running != nil {
			t := cs.State.Running.StartedAt.Time
			return &t
		}
	}
	return nil
}

// serveApp is every pod's simulated app: it names the pod, container and
// port that answered, so a test sees which endpoint a Service picked. A pod
// the stand-in keeps not ready answers 503, as its failing readiness probe
// says.
func (k *Kubelet) serveApp(w http.ResponseWriter, r *http.Request) {
	d, err := requestTarget(r)
	if err != nil || d.pod == nil {
		http.Error(w, "no pod behind this connection", http.StatusInternalServerError)
		return
	}
	if parseAppBehaviour(d.pod).hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("X-Hopscope-Lab-Pod", d.pod.Namespace+"/"+d.pod.Name)
	status := http.StatusOK
	if d.pod.Annotations[SimulateAnnotation] == SimulateNotReady {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "pod %s/%s container %s port %d answered %s %s with %d (simulated by hopscope-lab)\n",
		d.pod.Namespace, d.pod.Name, d.container, d.port, r.Method, r.URL.Path, status)
}

// podsAt are the pods (not on the host network) whose IP is ip.
func (k *Kubelet) podsAt(ip string) []*corev1.Pod {
	objs, err := k.podIndex.ByIndex(podIPIndex, ip)
	if err != nil {
		return nil
	}
	var out []*corev1.Pod
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			out = append(out, p)
		}
	}
	return out
}

// hostNetworkPods are the pods sharing node's network.
func (k *Kubelet) hostNetworkPods(node string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, o := range k.podIndex.List() {
		if p, ok := o.(*corev1.Pod); ok && p.Spec.HostNetwork && p.Spec.NodeName == node {
			out = append(out, p)
		}
	}
	return out
}

// podIPIndex indexes the stand-in's pod cache by pod IP.
const podIPIndex = "podIP"

func indexByPodIP(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.HostNetwork || p.Status.PodIP == "" {
		return nil, nil
	}
	return []string{p.Status.PodIP}, nil
}

// selfSignedTLS is a server TLS configuration with a fresh self-signed
// certificate for host.
func selfSignedTLS(host string, ips []net.IP, names []string) (*tls.Config, error) {
	crt, key, err := certutil.GenerateSelfSignedCertKey(host, ips, names)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}
