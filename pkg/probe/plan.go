package probe

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// DefaultImage runs a level-1 probe: it needs sh, nslookup, nc (with -z
// and -w) and timeout, as busybox has them.
const DefaultImage = "busybox:1.36"

// MaxPaths bounds the paths one run probes; the others get a "not run"
// probe saying so, never silence.
const MaxPaths = 10

// podsPerPath bounds the pods probed behind one Service: one that is not
// Ready and one that is, when both exist.
const podsPerPath = 2

// Options tune a plan.
type Options struct {
	// Level is 0 (through the API server, no write) or 1 (also from a
	// client pod, in an ephemeral container).
	Level int
	// AllPaths probes every traced path, not only the broken and degraded
	// ones: set when the user named the paths.
	AllPaths bool
	// ClientPod names the pod a level-1 probe runs in: NAME (in the Service's
	// namespace) or NAMESPACE/NAME; empty lets ChooseClient pick one, in any
	// namespace. The CLI has checked its form.
	ClientPod string
	// Image is the level-1 container image; DefaultImage when empty.
	Image string
}

// Plan is every probe one run would make, before any request: what
// Describe prints for --dry-run and what Prober.Run executes.
type Plan struct {
	Level int
	// Proxies are the level-0 GETs through the API server's proxy.
	Proxies []ProxyProbe
	// Clients are the level-1 runs, one ephemeral container each.
	Clients []ClientRun
	// NotRun are paths or tests that cannot be probed, with why.
	NotRun []diagnose.Probe
}

// ProxyProbe is one GET through pods/proxy or services/proxy.
type ProxyProbe struct {
	diagnose.Probe
	// Resource is "pods" or "services"; Name is the proxy name,
	// "[https:]NAME:PORT".
	Resource, Namespace, Name string
	predicted                 prediction
}

// URLPath is the request path of the GET, below the API server's root.
func (p ProxyProbe) URLPath() string {
	return fmt.Sprintf("/api/v1/namespaces/%s/%s/%s/proxy/", url.PathEscape(p.Namespace), p.Resource, url.PathEscape(p.Name))
}

// ClientRun is one level-1 run: one ephemeral container in one client pod
// testing one Service.
type ClientRun struct {
	Path   string
	Static diagnose.TraceStatus
	// Client is the pod the container is added to.
	Client snapshot.ObjectRef
	Image  string
	// LookupName is the name the client uses for the Service, exactly as
	// its configuration writes it; NamePort the port it names with it, else
	// the Service port; Port the Service port; ClusterIP the Service's;
	// PodIP and TargetPort one backend pod's.
	LookupName string
	NamePort   int32
	Port       int32
	ClusterIP  string
	Service    snapshot.ObjectRef
	Pod        snapshot.ObjectRef
	PodIP      string
	TargetPort int32
	// ChosenBecause says how the client pod was chosen.
	ChosenBecause string
	predicted     map[diagnose.ProbeTest]prediction
}

// prediction is what the declared state says a probe will see.
type prediction struct {
	// answer: the probe should get an answer; fail: it should not; neither:
	// the declared state makes no prediction (the path breaks above what
	// the probe reaches).
	answer, fail bool
	why          string
}

func predictAnswer(why string) prediction  { return prediction{answer: true, why: why} }
func predictFail(why string) prediction    { return prediction{fail: true, why: why} }
func predictNothing(why string) prediction { return prediction{why: why} }

// pathFacts is what a trace says about the layers a probe reaches.
type pathFacts struct {
	trace diagnose.Trace
	// above is set when the root cause sits above the Service's endpoints
	// (ingress, gateway, route, exposure); service when it sits on the
	// Service itself (its selector or ports).
	above, service bool
	rootCheck      string
	rootLayer      diagnose.Layer
	endpointsOK    bool
	policyBroken   bool
}

func factsOf(res *diagnose.Result, t diagnose.Trace) pathFacts {
	f := pathFacts{trace: t}
	for _, fd := range res.Findings {
		if t.RootCause != "" && fd.Key() == t.RootCause {
			f.rootCheck, f.rootLayer = fd.Check, fd.Layer
		}
	}
	switch f.rootLayer {
	case diagnose.LayerIngress, diagnose.LayerGateway, diagnose.LayerRoute, diagnose.LayerExposure:
		f.above = true
	case diagnose.LayerService:
		f.service = true
	}
	for _, h := range t.Hops {
		switch h.Layer {
		case diagnose.LayerEndpoints:
			f.endpointsOK = h.Status == diagnose.StatusOK
		case diagnose.LayerNetworkPolicy:
			f.policyBroken = f.policyBroken || h.Status == diagnose.StatusBroken
		}
	}
	return f
}

// rootText names the root cause for a prediction: "the Service (check
// service-selector-mismatch)".
func (f pathFacts) rootText() string {
	return fmt.Sprintf("the %s layer (%s)", f.rootLayer, f.rootCheck)
}

// predictService is what the declared state says about reaching the
// Service's port (through the API server, by name or ClusterIP).
func (f pathFacts) predictService() prediction {
	switch {
	case f.above:
		return predictNothing("the path breaks above the Service, at " + f.rootText() + ": the Service itself is not judged broken")
	case f.service:
		return predictFail("the path breaks at " + f.rootText())
	case f.endpointsOK:
		return predictAnswer("the Service has ready endpoints")
	}
	return predictFail("the Service has no ready endpoint")
}

// predictPod is what the declared state says about reaching pod p on its
// target port.
func (f pathFacts) predictPod(p *corev1.Pod) prediction {
	ready, why := podReady(p)
	switch {
	case f.above:
		return predictNothing("the path breaks above the pods, at " + f.rootText() + ": whether the app answers is for the probe to tell")
	case f.service:
		return predictFail("the path breaks at " + f.rootText() + ", which may be the port the Service targets")
	case ready:
		return predictAnswer("pod " + p.Name + " is Ready")
	}
	return predictFail("pod " + p.Name + " is not Ready: " + why)
}

// podReady reports the pod's Ready condition, with why when it is not.
func podReady(p *corev1.Pod) (bool, string) {
	if p.Status.Phase != corev1.PodRunning {
		return false, "phase " + string(p.Status.Phase)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			if c.Status == corev1.ConditionTrue {
				return true, ""
			}
			if c.Message != "" {
				return false, c.Message
			}
			return false, "condition Ready is " + string(c.Status)
		}
	}
	return false, "no Ready condition"
}

// Build plans the probes of res's paths: the broken and degraded ones, or
// every path when opt.AllPaths is set, at most MaxPaths of them. It only
// reads res and s.
func Build(res *diagnose.Result, s *snapshot.Snapshot, opt Options) Plan {
	plan := Plan{Level: opt.Level}
	probed := 0
	for _, t := range res.Traces {
		if !opt.AllPaths && t.Status != diagnose.TraceBroken && t.Status != diagnose.TraceDegraded {
			continue
		}
		base := diagnose.Probe{Path: t.Entry, Static: t.Status, Level: 0}
		if probed == MaxPaths {
			plan.NotRun = append(plan.NotRun, notRun(base, fmt.Sprintf("more than %d paths to probe; name this one: hopscope probe %s", MaxPaths, entryArg(t))))
			continue
		}
		probed++
		svcRef, ok := serviceOf(t)
		if !ok {
			plan.NotRun = append(plan.NotRun, notRun(base, "the path reaches no Service to probe"))
			continue
		}
		base.Target = svcRef
		svc := s.Service(svcRef.Namespace, svcRef.Name)
		switch {
		case svc == nil:
			plan.NotRun = append(plan.NotRun, notRun(base, "Service "+svcRef.String()+" does not exist"))
			continue
		case svc.Spec.Type == corev1.ServiceTypeExternalName:
			plan.NotRun = append(plan.NotRun, notRun(base, "an ExternalName Service has no endpoints to probe"))
			continue
		}
		sp, ok := pathPort(s, t, svc)
		if !ok {
			plan.NotRun = append(plan.NotRun, notRun(base, "the Service has no TCP port"))
			continue
		}
		facts := factsOf(res, t)
		plan.Proxies = append(plan.Proxies, serviceProxy(base, svc, sp, facts))
		pods := probedPods(s, svc)
		if len(pods) == 0 {
			plan.NotRun = append(plan.NotRun, notRun(withTest(base, diagnose.ProbeTestPodHTTP), noPodWhy(s, svc)))
		}
		for _, p := range pods {
			plan.Proxies = append(plan.Proxies, podProxy(base, svc, sp, p, facts))
		}
		if opt.Level >= 1 {
			run, why := clientRun(res, s, t, svc, sp, pods, facts, opt)
			if why != "" {
				nr := withTest(base, diagnose.ProbeTestDNS)
				nr.Level = 1
				plan.NotRun = append(plan.NotRun, notRun(nr, why))
				continue
			}
			plan.Clients = append(plan.Clients, run)
		}
	}
	return plan
}

func notRun(p diagnose.Probe, why string) diagnose.Probe {
	p.Outcome, p.Detail, p.Agreement = diagnose.ProbeNotRun, why, diagnose.ProbeInconclusive
	p.Note = "not probed: " + why
	return p
}

func withTest(p diagnose.Probe, t diagnose.ProbeTest) diagnose.Probe {
	p.Test = t
	return p
}

// entryArg is the command-line argument that names t's entry point.
func entryArg(t diagnose.Trace) string {
	if len(t.Hops) == 0 {
		return t.Entry
	}
	o := t.Hops[0].Object
	return strings.ToLower(o.Kind) + "/" + o.Name + " -n " + o.Namespace
}

// serviceOf is the Service hop of a trace.
func serviceOf(t diagnose.Trace) (snapshot.ObjectRef, bool) {
	for _, h := range t.Hops {
		if h.Layer == diagnose.LayerService && h.Object.Kind == snapshot.KindService {
			return h.Object, true
		}
	}
	return snapshot.ObjectRef{}, false
}

// pathPort is the Service port the path uses: the one the Ingress backend
// names, else the Service's first TCP port.
func pathPort(s *snapshot.Snapshot, t diagnose.Trace, svc *corev1.Service) (corev1.ServicePort, bool) {
	var tcp []corev1.ServicePort
	for _, sp := range svc.Spec.Ports {
		if snapshot.ProtocolOrTCP(sp.Protocol) == corev1.ProtocolTCP {
			tcp = append(tcp, sp)
		}
	}
	if len(tcp) == 0 {
		return corev1.ServicePort{}, false
	}
	if len(t.Hops) > 0 && t.Hops[0].Object.Kind == snapshot.KindIngress {
		if ing := ingressOf(s, t.Hops[0].Object); ing != nil {
			for _, b := range snapshot.IngressBackends(ing) {
				bs := b.Backend.Service
				if bs == nil || bs.Name != svc.Name {
					continue
				}
				for _, sp := range tcp {
					if (bs.Port.Name != "" && bs.Port.Name == sp.Name) || (bs.Port.Number != 0 && bs.Port.Number == sp.Port) {
						return sp, true
					}
				}
			}
		}
	}
	return tcp[0], true
}

func ingressOf(s *snapshot.Snapshot, ref snapshot.ObjectRef) *networkingv1.Ingress {
	for _, ing := range s.IngressesIn(ref.Namespace) {
		if ing.Name == ref.Name {
			return ing
		}
	}
	return nil
}

// probedPods picks, among the running pods behind svc that have an IP, the
// first that is not Ready and the first that is: the one the static
// verdict blames and the one it trusts.
func probedPods(s *snapshot.Snapshot, svc *corev1.Service) []*corev1.Pod {
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	var notReady, ready *corev1.Pod
	for _, p := range s.PodsMatching(svc.Namespace, svc.Spec.Selector) {
		if p.Status.PodIP == "" || snapshot.IsTemplatePod(p) || p.DeletionTimestamp != nil {
			continue
		}
		if ok, _ := podReady(p); ok {
			if ready == nil {
				ready = p
			}
		} else if notReady == nil {
			notReady = p
		}
	}
	var out []*corev1.Pod
	for _, p := range []*corev1.Pod{notReady, ready} {
		if p != nil && len(out) < podsPerPath {
			out = append(out, p)
		}
	}
	return out
}

// noPodWhy says why no pod behind svc can be probed.
func noPodWhy(s *snapshot.Snapshot, svc *corev1.Service) string {
	switch {
	case len(svc.Spec.Selector) == 0:
		return "the Service has no selector, so no pod is known to be behind it"
	case len(s.PodsMatching(svc.Namespace, svc.Spec.Selector)) == 0:
		return "no pod matches the Service's selector"
	}
	return "no pod behind the Service has an IP (none is running)"
}

func serviceProxy(base diagnose.Probe, svc *corev1.Service, sp corev1.ServicePort, f pathFacts) ProxyProbe {
	port := strconv.Itoa(int(sp.Port))
	if sp.Name != "" {
		port = sp.Name
	}
	name := svc.Name + ":" + port
	if httpsPort(sp.Name, sp.AppProtocol, sp.Port) {
		name = "https:" + name
	}
	p := ProxyProbe{Probe: base, Resource: "services", Namespace: svc.Namespace, Name: name, predicted: f.predictService()}
	p.Test = diagnose.ProbeTestServiceHTTP
	p.Address = fmt.Sprintf("%s:%d", svc.Name, sp.Port)
	p.Request = "GET " + p.URLPath()
	p.Expected = p.predicted.text()
	return p
}

func podProxy(base diagnose.Probe, svc *corev1.Service, sp corev1.ServicePort, pod *corev1.Pod, f pathFacts) ProxyProbe {
	port, declared, _ := snapshot.ResolveTargetPort(pod, sp)
	portName := ""
	if declared != nil {
		portName = declared.Port.Name
	}
	name := fmt.Sprintf("%s:%d", pod.Name, port)
	if httpsPort(portName, sp.AppProtocol, port) {
		name = "https:" + name
	}
	p := ProxyProbe{Probe: base, Resource: "pods", Namespace: pod.Namespace, Name: name, predicted: f.predictPod(pod)}
	p.Test = diagnose.ProbeTestPodHTTP
	p.Target = snapshot.Ref(snapshot.KindPod, pod)
	p.Address = fmt.Sprintf("%s:%d", pod.Status.PodIP, port)
	p.Request = "GET " + p.URLPath()
	p.Expected = p.predicted.text()
	return p
}

// text is the prediction as the report's "expected" line.
func (p prediction) text() string {
	switch {
	case p.answer:
		return p.why + ": it should answer"
	case p.fail:
		return p.why + ": it should fail"
	}
	return p.why
}

// httpsPort reports whether a port speaks TLS, by its appProtocol, its name
// or its well-known number: the proxy must then dial it with https.
func httpsPort(name string, appProtocol *string, port int32) bool {
	if appProtocol != nil && strings.EqualFold(*appProtocol, "https") {
		return true
	}
	n := strings.ToLower(name)
	return n == "https" || strings.HasPrefix(n, "https-") || port == 443 || port == 8443
}

// clientRun plans the level-1 run of one path, or says why there is none.
func clientRun(res *diagnose.Result, s *snapshot.Snapshot, t diagnose.Trace, svc *corev1.Service, sp corev1.ServicePort, pods []*corev1.Pod, f pathFacts, opt Options) (ClientRun, string) {
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return ClientRun{}, "a headless Service has no ClusterIP to connect to"
	}
	var target *corev1.Pod
	for _, p := range pods {
		if ok, _ := podReady(p); ok || target == nil {
			target = p
		}
	}
	if target == nil {
		return ClientRun{}, "no pod behind the Service has an IP to connect to"
	}
	choice, why := ChooseClient(s, svc, opt.ClientPod)
	if why != "" {
		return ClientRun{}, why
	}
	lookup := choice.lookup(svc)
	namePort := sp.Port
	if n, err := strconv.ParseInt(choice.name.Port, 10, 32); err == nil && n > 0 {
		namePort = int32(n)
	}
	tport, _, _ := snapshot.ResolveTargetPort(target, sp)
	image := opt.Image
	if image == "" {
		image = DefaultImage
	}
	run := ClientRun{
		Path: t.Entry, Static: t.Status, Client: snapshot.Ref(snapshot.KindPod, choice.pod), Image: image,
		LookupName: lookup, NamePort: namePort, Port: sp.Port, ClusterIP: svc.Spec.ClusterIP, Service: snapshot.Ref(snapshot.KindService, svc),
		Pod: snapshot.Ref(snapshot.KindPod, target), PodIP: target.Status.PodIP, TargetPort: tport, ChosenBecause: choice.because,
	}
	svcPred := f.predictService()
	podPred := f.predictPod(target)
	if f.policyBroken {
		blocked := predictFail("a NetworkPolicy on the path blocks it")
		svcPred, podPred = blocked, blocked
	}
	dnsPred := predictAnswer("Service " + svc.Name + " exists, so " + lookup + " has a record")
	namePred := svcPred
	if choice.name.NoService {
		// The client's name finds no Service whatever this one does: the
		// lookup and the connect by name fail on the name.
		dnsPred = predictFail(choice.name.From + " names " + lookup + ": " + wrongNameWhy(choice.name, svc) + dnsFindingOf(res, lookup))
		namePred = dnsPred
	}
	run.predicted = map[diagnose.ProbeTest]prediction{
		diagnose.ProbeTestDNS:         dnsPred,
		diagnose.ProbeTestServiceName: namePred,
		diagnose.ProbeTestClusterIP:   svcPred,
		diagnose.ProbeTestPodIP:       podPred,
	}
	return run, ""
}

// clientChoice is the pod a level-1 probe runs in and the name that pod
// uses for the Service.
type clientChoice struct {
	pod *corev1.Pod
	// name is the Service name the pod's configuration uses; Host "" when
	// it uses none, and the probe looks up the Service's own name.
	name    checks.ServiceName
	because string
}

// lookup is the host the probe looks up and connects to by name.
func (c clientChoice) lookup(svc *corev1.Service) string {
	if c.name.Host != "" {
		return c.name.Host
	}
	return svc.Name
}

// ChooseClient picks the pod a level-1 probe runs in, and the name that
// pod uses for svc, so the probe resolves the name as that client does.
// A pod named with --from-pod (in svc's namespace) wins. Otherwise a
// running, Ready pod that is not behind svc (a backend dialling its own
// Service tests hairpin traffic, not a client's), preferring a consumer —
// a pod whose env or ConfigMaps name the Service, in any namespace the
// snapshot holds: first one whose name leads to svc, then one whose name
// finds no Service (orders.shop for Service orders of store, a bare
// orders from another namespace), as that client's lookup is the one that
// fails — and then the first pod of svc's namespace by name. Nothing
// suitable: why says so.
func ChooseClient(s *snapshot.Snapshot, svc *corev1.Service, named string) (choice clientChoice, why string) {
	if named != "" {
		ns, name := svc.Namespace, named
		if i := strings.IndexByte(named, '/'); i >= 0 {
			// NAMESPACE/NAME: a client in another namespace, the one whose
			// lookup of the Service is in question.
			ns, name = named[:i], named[i+1:]
		}
		p := s.Pod(ns, name)
		if p == nil {
			return clientChoice{}, fmt.Sprintf("client pod %s/%s does not exist", ns, name)
		}
		if p.Status.Phase != corev1.PodRunning {
			return clientChoice{}, fmt.Sprintf("client pod %s/%s is %s, not Running", ns, name, p.Status.Phase)
		}
		choice = clientChoice{pod: p, because: "named with --from-pod"}
		if n, ok := nameUsedBy(s, p, svc); ok {
			choice.name = n
			choice.because += "; " + n.From + " names " + n.Host
		}
		return choice, ""
	}
	backends := map[*corev1.Pod]bool{}
	if len(svc.Spec.Selector) > 0 {
		for _, p := range s.PodsMatching(svc.Namespace, svc.Spec.Selector) {
			backends[p] = true
		}
	}
	usable := func(p *corev1.Pod) bool {
		ok, _ := podReady(p)
		return ok && !backends[p] && !snapshot.IsTemplatePod(p) && !p.Spec.HostNetwork && p.DeletionTimestamp == nil
	}
	var leads, finds []clientChoice
	for _, p := range s.Pods {
		if !usable(p) {
			continue
		}
		if n, ok := nameUsedBy(s, p, svc); ok {
			c := clientChoice{pod: p, name: n, because: n.From + " of pod " + p.Namespace + "/" + p.Name + " names " + n.Host}
			if n.NoService {
				c.because += ", which finds no Service: " + wrongNameWhy(n, svc)
				finds = append(finds, c)
			} else {
				leads = append(leads, c)
			}
		}
	}
	for _, group := range [][]clientChoice{leads, finds} {
		if len(group) > 0 {
			sort.SliceStable(group, func(i, j int) bool {
				a, b := group[i].pod, group[j].pod
				if (a.Namespace == svc.Namespace) != (b.Namespace == svc.Namespace) {
					return a.Namespace == svc.Namespace
				}
				return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
			})
			return group[0], ""
		}
	}
	var candidates []*corev1.Pod
	for _, p := range s.PodsIn(svc.Namespace) {
		if usable(p) {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		return clientChoice{}, fmt.Sprintf("no Ready pod in namespace %s other than the Service's own to run the probe from, and no pod's configuration names it; name one with --from-pod", svc.Namespace)
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Name < candidates[j].Name })
	return clientChoice{pod: candidates[0], because: "the first Ready pod of the namespace that is not behind the Service; no pod's configuration names it"}, ""
}

// nameUsedBy is the name p's configuration uses for svc: one that leads
// to it (orders, orders.store, orders.store.svc.cluster.local from the
// right namespace), else one that means it and finds no Service (orders.shop
// when no namespace shop holds a Service orders; a bare orders from
// another namespace).
func nameUsedBy(s *snapshot.Snapshot, p *corev1.Pod, svc *corev1.Service) (checks.ServiceName, bool) {
	var wrong *checks.ServiceName
	for _, n := range checks.PodServiceNames(s, p) {
		if n.Service != svc.Name {
			continue
		}
		if n.Namespace == svc.Namespace {
			return n, true
		}
		if n.NoService && wrong == nil {
			wrong = &n
		}
	}
	if wrong != nil {
		return *wrong, true
	}
	return checks.ServiceName{}, false
}

// wrongNameWhy says why a client's name for svc finds no Service.
func wrongNameWhy(n checks.ServiceName, svc *corev1.Service) string {
	return fmt.Sprintf("%s is looked up in namespace %s, which holds no Service %s; Service %s is in namespace %s", n.Host, n.Namespace, n.Service, svc.Name, svc.Namespace)
}

// dnsFindingOf names the DNS finding the diagnosis made about host, as
// " (finding CHECK on OBJECT)", "" when it made none.
func dnsFindingOf(res *diagnose.Result, host string) string {
	for _, fd := range res.Findings {
		if fd.Layer != diagnose.LayerDNS {
			continue
		}
		for _, text := range append([]string{fd.Symptom, fd.Cause}, fd.Evidence...) {
			if containsHost(text, host) {
				return " (finding " + fd.Check + " on " + fd.Object.String() + ")"
			}
		}
	}
	return ""
}

// containsHost reports whether text names host as a whole name: "orders"
// is not in "orders-db" nor in "orders.shop".
func containsHost(text, host string) bool {
	inName := func(b byte) bool { return b == '.' || b == '-' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	for i := 0; ; {
		j := strings.Index(text[i:], host)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(host)
		if (start == 0 || !inName(text[start-1])) && (end == len(text) || !inName(text[end]) || text[end] == '.' && (end+1 == len(text) || !inName(text[end+1]))) {
			return true
		}
		i = start + 1
	}
}
