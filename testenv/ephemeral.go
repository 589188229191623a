package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/probe"
)

const (
	// probeContainerRuns starts the message of an ephemeral container
	// that is not hopscope's probe.
	probeContainerRuns = "hopscope-lab: the kubelet stand-in runs no images"
	// clusterDomain is the cluster's DNS domain.
	clusterDomain = "cluster.local"
	// dnsNamespace/dnsService is the Service CoreDNS answers behind.
	dnsNamespace, dnsService = "kube-system", "kube-dns"
	// probeTimeoutExit is timeout(1)'s exit code after it killed a tool.
	probeTimeoutExit = 143
	// terminationMessageMax is how much of a termination message the
	// kubelet keeps.
	terminationMessageMax = 4096
)

// runEphemeralContainers "runs" the ephemeral containers (`hopscope
// probe --level 1`, `kubectl debug`) of a Running pod that have no status
// yet, once the stand-in has settled the pod's own status. Only one command line is understood: hopscope's level-1
// probe script, recognised by rebuilding probe.ClientRun.Command from the
// container's own arguments and requiring the whole command line to be
// equal (no args, the default termination message path), so a change of
// that script in pkg/probe makes the stand-in stop answering it instead
// of answering it wrongly. Its four tests are answered from the API
// server's objects the way a cluster would, and the results are written
// as the script writes them ("TEST EXITCODE OUTPUT", busybox's words,
// newlines and tabs turned to spaces, 200 characters at most) to the
// container's terminated status, exit code 0. Any other ephemeral
// container terminates at once with exit code 127 and a message saying the
// stand-in runs no images.
//
// What is simulated, and nothing more:
//   - DNS: no DNS server runs (CoreDNS is a Deployment whose pods run
//     nothing). A lookup is answered from the Services the API server
//     holds, as CoreDNS's kubernetes plugin would for a pod with the
//     ClusterFirst policy whatever its dnsPolicy: the search list
//     NS.svc.cluster.local, svc.cluster.local, cluster.local with ndots 5
//     relative to the pod's namespace, so name, name.ns, name.ns.svc and
//     name.ns.svc.cluster.local find Service name in namespace ns. A
//     ClusterIP Service answers its ClusterIP, a headless one the
//     addresses of its ready endpoints, an ExternalName one its target
//     when that is a Service's name; a Service that does not exist, and
//     any name outside the cluster (no upstream resolver is simulated),
//     NXDOMAIN. When the kube-dns Service is absent or has no ready
//     endpoint (CoreDNS pods not Ready), every lookup times out.
//   - kube-proxy: a connection to a ClusterIP and one of its Service's TCP
//     ports goes to a ready endpoint picked at random from the Service's
//     EndpointSlices, on the endpoint's port of that name; no ready
//     endpoint is refused (kube-proxy's REJECT rule); a port the Service
//     does not have gets no answer (nc gives up after -w without a word).
//   - The app: a connection to a pod IP (or to the endpoint kube-proxy
//     picked) is accepted or refused as the pod network routes it
//     (AppAnnotation); an address the stand-in never assigned has no route
//     to host. nc -z only connects, so a hung app accepts.
//   - No NetworkPolicy is enforced, no packet is sent, no time passes: the
//     results are written at once, also for the tests a real run would
//     spend seconds timing out on.
func (k *Kubelet) runEphemeralContainers(ctx context.Context, pod *corev1.Pod) error {
	if pod.Status.Phase != corev1.PodRunning || len(pod.Spec.EphemeralContainers) == 0 {
		return nil
	}
	done := map[string]bool{}
	for _, st := range pod.Status.EphemeralContainerStatuses {
		done[st.Name] = true
	}
	p := pod.DeepCopy()
	ran := false
	for _, c := range pod.Spec.EphemeralContainers {
		if done[c.Name] {
			continue
		}
		started := metav1.Now()
		exit, reason, message := int32(127), "Error", fmt.Sprintf("%s: container %s (image %s) was not started", probeContainerRuns, c.Name, c.Image)
		if args, ok := probeScriptArgs(c); ok {
			exit, reason, message = 0, "Completed", k.runProbeScript(ctx, pod, args)
		}
		if len(message) > terminationMessageMax {
			message = message[:terminationMessageMax]
		}
		no := false
		p.Status.EphemeralContainerStatuses = append(p.Status.EphemeralContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: imageID(c.Image), ContainerID: containerID(pod, c.Name), Started: &no,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: exit, Reason: reason, Message: message, ContainerID: containerID(pod, c.Name),
				StartedAt: started, FinishedAt: metav1.Now(),
			}},
		})
		ran = true
	}
	if !ran {
		return nil
	}
	if _, err := k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("ephemeral container status of %s: %w", key(pod), err)
	}
	return nil
}

// probeArgs are the positional parameters of hopscope's level-1 script.
type probeArgs struct {
	name                       string
	namePort, port, targetPort int32
	clusterIP, podIP           string
}

// probeScriptArgs recognises hopscope's level-1 probe container: its
// command line must be exactly the one probe.ClientRun.Command builds from
// the same parameters, its output must go where the script writes it.
func probeScriptArgs(c corev1.EphemeralContainer) (probeArgs, bool) {
	cmd := c.Command
	if len(cmd) != 10 || len(c.Args) != 0 || c.TerminationMessagePath != corev1.TerminationMessagePathDefault {
		return probeArgs{}, false
	}
	port, err1 := strconv.ParseInt(cmd[5], 10, 32)
	target, err2 := strconv.ParseInt(cmd[8], 10, 32)
	namePort, err3 := strconv.ParseInt(cmd[9], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return probeArgs{}, false
	}
	a := probeArgs{name: cmd[4], namePort: int32(namePort), port: int32(port), clusterIP: cmd[6], podIP: cmd[7], targetPort: int32(target)}
	want := probe.ClientRun{LookupName: a.name, NamePort: a.namePort, Port: a.port, ClusterIP: a.clusterIP, PodIP: a.podIP, TargetPort: a.targetPort}.Command()
	if !slices.Equal(cmd, want) {
		return probeArgs{}, false
	}
	return a, true
}

// runProbeScript is the termination message the script would write in
// pod: nslookup of the name, then nc -z to the name (on the port the
// client names), the ClusterIP and the pod IP.
func (k *Kubelet) runProbeScript(ctx context.Context, pod *corev1.Pod, a probeArgs) string {
	r := &clusterResolver{k: k, ctx: ctx, namespace: pod.Namespace}
	now := time.Now()
	lines := []string{
		scriptLine("dns", r.nslookup(a.name)),
		scriptLine("tcp-service-name", r.nc(a.name, a.namePort, now)),
		scriptLine("tcp-cluster-ip", r.nc(a.clusterIP, a.port, now)),
		scriptLine("tcp-pod-ip", r.nc(a.podIP, a.targetPort, now)),
	}
	return strings.Join(lines, "")
}

// toolRun is what one tool of the script printed and its exit code.
type toolRun struct {
	exit   int
	output string
}

// scriptLine is the script's t(): "KEY EXIT OUTPUT", the output on one
// line and cut to 200 characters.
func scriptLine(key string, r toolRun) string {
	o := strings.TrimRight(r.output, "\n")
	o = strings.NewReplacer("\n", " ", "\t", " ").Replace(o)
	if len(o) > 200 {
		o = o[:200]
	}
	return fmt.Sprintf("%s %d %s\n", key, r.exit, o)
}

// clusterResolver answers one probe run's lookups and connections from
// the API server's objects.
type clusterResolver struct {
	k         *Kubelet
	ctx       context.Context
	namespace string
}

// dnsAnswer is the outcome of one lookup.
type dnsAnswer struct {
	fqdn  string
	addrs []string
	// cname is the ExternalName Service's name whose target fqdn is.
	cname string
	// rcode: "" answered, else NXDOMAIN; timeout: no server answered.
	rcode   string
	timeout bool
}

// lookup resolves name as a pod's resolver would, through the search list.
func (r *clusterResolver) lookup(name string) dnsAnswer {
	if _, ok := r.dnsServer(); !ok {
		return dnsAnswer{timeout: true}
	}
	absolute := strings.HasSuffix(name, ".")
	name = strings.TrimSuffix(name, ".")
	var candidates []string
	if !absolute && strings.Count(name, ".") < 5 {
		for _, s := range []string{r.namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain} {
			candidates = append(candidates, name+"."+s)
		}
	}
	candidates = append(candidates, name)
	for _, fqdn := range candidates {
		if a := r.answer(fqdn, true); a.rcode == "" {
			return a
		}
	}
	return dnsAnswer{fqdn: name, rcode: "NXDOMAIN"}
}

// answer is what CoreDNS's kubernetes plugin answers for one absolute
// name; follow: an ExternalName's target is looked up in turn.
func (r *clusterResolver) answer(fqdn string, follow bool) dnsAnswer {
	nx := dnsAnswer{fqdn: fqdn, rcode: "NXDOMAIN"}
	rest, inCluster := strings.CutSuffix(strings.ToLower(fqdn), ".svc."+clusterDomain)
	if !inCluster {
		return nx
	}
	name, ns, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(ns, ".") {
		return nx
	}
	svc, err := r.k.client.CoreV1().Services(ns).Get(r.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nx
	}
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		if !follow {
			return nx
		}
		a := r.answer(strings.TrimSuffix(svc.Spec.ExternalName, "."), false)
		a.cname = fqdn
		return a
	case svc.Spec.ClusterIP == corev1.ClusterIPNone:
		var addrs []string
		for _, ep := range r.readyEndpoints(svc) {
			addrs = append(addrs, ep.Addresses...)
		}
		if len(addrs) == 0 {
			return nx
		}
		return dnsAnswer{fqdn: fqdn, addrs: addrs}
	}
	return dnsAnswer{fqdn: fqdn, addrs: []string{svc.Spec.ClusterIP}}
}

// dnsServer is the kube-dns ClusterIP when a ready CoreDNS endpoint is
// behind it.
func (r *clusterResolver) dnsServer() (string, bool) {
	svc, err := r.k.client.CoreV1().Services(dnsNamespace).Get(r.ctx, dnsService, metav1.GetOptions{})
	if err != nil || len(r.readyEndpoints(svc)) == 0 {
		return "", false
	}
	return svc.Spec.ClusterIP, true
}

// nslookup is busybox's nslookup of name.
func (r *clusterResolver) nslookup(name string) toolRun {
	server, _ := r.dnsServer()
	a := r.lookup(name)
	if a.timeout {
		return toolRun{exit: 1, output: ";; connection timed out; no servers could be reached\n"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Server:\t\t%s\nAddress:\t%s\n\n", server, net.JoinHostPort(server, "53"))
	if a.rcode != "" {
		fmt.Fprintf(&b, "** server can't find %s: %s\n\n", a.fqdn, a.rcode)
		return toolRun{exit: 1, output: b.String()}
	}
	if a.cname != "" {
		fmt.Fprintf(&b, "%s\tcanonical name = %s\n", a.cname, a.fqdn)
	}
	for _, addr := range a.addrs {
		fmt.Fprintf(&b, "Name:\t%s\nAddress: %s\n\n", a.fqdn, addr)
	}
	// The AAAA query of a single-stack cluster finds nothing.
	fmt.Fprintf(&b, "*** Can't find %s: No answer\n\n", a.fqdn)
	return toolRun{output: b.String()}
}

// nc is busybox's nc -z -w 3 host port, run under timeout 5.
func (r *clusterResolver) nc(host string, port int32, now time.Time) toolRun {
	ip := host
	if _, err := netip.ParseAddr(host); err != nil {
		a := r.lookup(host)
		switch {
		case a.timeout:
			// The resolver waits longer than timeout(1) lets it.
			return toolRun{exit: probeTimeoutExit}
		case a.rcode != "":
			return toolRun{exit: 1, output: fmt.Sprintf("nc: bad address '%s'\n", host)}
		}
		ip = a.addrs[0]
	}
	refused := func(why string) toolRun {
		return toolRun{exit: 1, output: fmt.Sprintf("nc: can't connect to remote host (%s): %s\n", ip, why)}
	}
	target := net.JoinHostPort(ip, strconv.Itoa(int(port)))
	if svc, ok := r.serviceAt(ip); ok {
		// kube-proxy's rules for the ClusterIP.
		backend, reason := r.kubeProxy(svc, port)
		switch reason {
		case "":
			target = backend
		case "reject":
			return refused("Connection refused")
		default:
			// No rule matches: the packet goes nowhere, nc gives up
			// after -w without a word.
			return toolRun{exit: 1}
		}
	}
	switch _, refusal := r.k.route(target, now); refusal {
	case "":
		return toolRun{}
	case refusedConnection:
		return refused("Connection refused")
	default:
		return refused("No route to host")
	}
}

// serviceAt is the Service whose ClusterIP is ip.
func (r *clusterResolver) serviceAt(ip string) (*corev1.Service, bool) {
	list, err := r.k.client.CoreV1().Services("").List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return nil, false
	}
	for i := range list.Items {
		s := &list.Items[i]
		if s.Spec.ClusterIP == ip || slices.Contains(s.Spec.ClusterIPs, ip) {
			return s, true
		}
	}
	return nil, false
}

// kubeProxy is the pod address and port a connection to svc's ClusterIP
// on port reaches, or "reject" when the Service has no ready endpoint for
// it, or "no rule" when the Service has no such TCP port.
func (r *clusterResolver) kubeProxy(svc *corev1.Service, port int32) (string, string) {
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Port == port && (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP) {
			sp = p
		}
	}
	if sp == nil {
		return "", "no rule"
	}
	var backends []string
	for _, slice := range r.slices(svc) {
		var target *int32
		for _, p := range slice.Ports {
			if p.Name != nil && *p.Name == sp.Name && p.Port != nil && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) {
				target = p.Port
			}
		}
		if target == nil {
			continue
		}
		for _, ep := range slice.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				for _, a := range ep.Addresses {
					backends = append(backends, net.JoinHostPort(a, strconv.Itoa(int(*target))))
				}
			}
		}
	}
	if len(backends) == 0 {
		return "", "reject"
	}
	return backends[rand.IntN(len(backends))], ""
}

// readyEndpoints are svc's ready endpoints.
func (r *clusterResolver) readyEndpoints(svc *corev1.Service) []discoveryv1.Endpoint {
	var out []discoveryv1.Endpoint
	for _, slice := range r.slices(svc) {
		for _, ep := range slice.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				out = append(out, ep)
			}
		}
	}
	return out
}

// slices are svc's EndpointSlices.
func (r *clusterResolver) slices(svc *corev1.Service) []discoveryv1.EndpointSlice {
	list, err := r.k.client.DiscoveryV1().EndpointSlices(svc.Namespace).List(r.ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name,
	})
	if err != nil {
		return nil
	}
	return list.Items
}
