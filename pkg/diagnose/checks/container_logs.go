package checks

// The last step of the seed's playbook ("check container logs"), done by the
// tool: the log of a container that crash-loops or runs without becoming
// ready is read within bounds, matched against the networking signatures of
// package logscan, and a match names the hop the failure is really on. A
// crash whose log says `lookup orders-db ...: no such host` is a DNS
// finding, not a container one.
//
// Logs are read only for failing containers, and once per group of replicas
// that fail alike (one workload, one container, one way of failing): twenty
// replicas crashing on the same lookup cost one read.

import (
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var containerLogFailure = &diagnose.Check{
	ID:       "container-log-failure",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc: "The log of a crash-looping or not-ready container shows a networking failure that explains it: a name that does not resolve, " +
		"a refused or timed-out connection, a TLS or certificate error, a listener on localhost only, a port taken or not permitted.",
	Run: runContainerLogFailure,
}

// readLogFile reads the bounded tail of a log file of a capture; every read
// of a file goes through it.
var readLogFile = func(path string) (logscan.Tail, error) { return logscan.ReadFileTail(path, logscan.MaxBytes) }

// failingContainer is a container whose log can explain its failure.
type failingContainer struct {
	pod   *corev1.Pod
	c     podContainer
	crash bool // crash-looping; otherwise running and not ready
}

// logGroup is the replicas whose container fails alike; the log of one of
// them stands for all.
type logGroup struct {
	members []failingContainer
}

// failingContainers groups the containers of pods whose logs the check
// reads, in input order. An OOMKilled crash is left out: memory, not the
// network, ends it, and its log is cut off mid-work.
func failingContainers(s *snapshot.Snapshot, pods []*corev1.Pod) []*logGroup {
	var groups []*logGroup
	byKey := map[string]*logGroup{}
	for _, p := range pods {
		if !containerLive(p) {
			continue
		}
		for _, c := range containersOf(p) {
			if g, key, ok := failingGroupKey(s, p, c); ok {
				if byKey[key] == nil {
					byKey[key] = &logGroup{}
					groups = append(groups, byKey[key])
				}
				byKey[key].members = append(byKey[key].members, g)
			}
		}
	}
	return groups
}

// failingGroupKey says whether c of p fails in a way its log can explain,
// and the key of the replicas that fail alike: the workload a fix
// changes, the container, and how it fails.
func failingGroupKey(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) (failingContainer, string, bool) {
	fc := failingContainer{pod: p, c: c, crash: containerCrashing(p, c)}
	if !fc.crash && !runningNotReady(p, c) {
		return fc, "", false
	}
	how := "not ready"
	if fc.crash {
		last := c.Status.LastTerminationState.Terminated
		if last == nil {
			last = c.Status.State.Terminated
		}
		if last != nil && last.Reason == "OOMKilled" {
			return fc, "", false
		}
		how = "crash"
		if last != nil {
			how = fmt.Sprintf("crash %s %d", last.Reason, last.ExitCode)
		}
	}
	target, _ := fixTarget(s, p)
	return fc, target.String() + "\x00" + c.Spec.Name + "\x00" + how, true
}

// runningNotReady reports whether c runs in a Running pod that is not
// Ready, and is not ready itself: the pod-not-ready case a log can explain.
func runningNotReady(p *corev1.Pod, c podContainer) bool {
	cs := c.Status
	if c.Init || cs == nil || cs.State.Running == nil || cs.Ready || p.Status.Phase != corev1.PodRunning {
		return false
	}
	ready := podCondition(p, corev1.PodReady)
	return ready != nil && ready.Status != corev1.ConditionTrue
}

// wantsPrevious reports whether the run to read is the previous one: the
// crash already happened and the current run may not have failed yet.
func (fc failingContainer) wantsPrevious() bool {
	return fc.crash && fc.c.Status.LastTerminationState.Terminated != nil
}

// LogsToRead lists the container logs a diagnosis of s would read: one per
// group of replicas failing alike, the failing container, its previous run
// when it has terminated before; then the logs of the pods that serve a
// failing hop (hopLogsToRead). A live source fetches exactly these (and
// nothing for healthy paths) before the checks run. Called again once the
// first logs are in s, it adds what they implicate (CoreDNS, when a crash's
// log shows lookups timing out).
func LogsToRead(s *snapshot.Snapshot) []snapshot.ContainerLog {
	var out []snapshot.ContainerLog
	for _, g := range failingContainers(s, s.Pods) {
		fc := g.members[0]
		out = append(out, containerLogOf(fc))
	}
	for _, l := range hopLogsToRead(s) {
		if !slices.ContainsFunc(out, func(o snapshot.ContainerLog) bool { return o.Namespace == l.Namespace && o.Pod == l.Pod }) {
			out = append(out, l)
		}
	}
	return out
}

func containerLogOf(fc failingContainer) snapshot.ContainerLog {
	return snapshot.ContainerLog{Namespace: fc.pod.Namespace, Pod: fc.pod.Name, Container: fc.c.Spec.Name, Previous: fc.wantsPrevious()}
}

// hopLogsToRead lists the logs of pods that serve other pods' paths, read
// only when such a path fails: one pod of each ingress controller one of
// whose Ingress paths is broken or degraded (ingress-controller-log-upstream),
// and one CoreDNS pod when the cluster DNS is implicated
// (dns-coredns-log-errors). Ready pods come first: a failing one is read
// as a failing container already.
func hopLogsToRead(s *snapshot.Snapshot) []snapshot.ContainerLog {
	var out []snapshot.ContainerLog
	pick := func(pods []*corev1.Pod, containerOf func(*corev1.Pod) string) {
		for _, p := range pods {
			if c, ok := containerNamed(p, containerOf(p)); ok && c.Status != nil {
				out = append(out, containerLogOf(failingContainer{pod: p, c: c, crash: containerCrashing(p, c)}))
				return
			}
		}
	}
	controllers, _ := runningControllers(s)
	for _, ctrl := range failingIngressControllers(s, controllers) {
		pods := slices.Clone(controllers[ctrl])
		slices.SortStableFunc(pods, func(a, b *corev1.Pod) int { return boolRank(podServing(b)) - boolRank(podServing(a)) })
		pick(pods, ingressControllerContainer)
	}
	if dnsClusterState(s) {
		if pods := dnsLogPods(s); len(pods) > 0 && dnsImplicated(s) {
			pick(pods, dnsServerContainer)
		}
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// failingIngressControllers lists, sorted, the controllers (by name) that
// serve an Ingress path a diagnosis of s finds broken or degraded. It walks
// the paths only when some Ingress has a controller with pods in s.
func failingIngressControllers(s *snapshot.Snapshot, controllers map[string][]*corev1.Pod) []string {
	byIngress := map[snapshot.ObjectRef]string{}
	for _, ing := range s.Ingresses {
		if _, ctrl, ok := classController(s, ing); ok && len(controllers[ctrl]) > 0 {
			byIngress[snapshot.Ref(snapshot.KindIngress, ing)] = ctrl
		}
	}
	if len(byIngress) == 0 {
		return nil
	}
	res, err := diagnose.Engine{Checks: All()}.Run(s, diagnose.Options{})
	if err != nil {
		return nil // only named entries fail, and there are none
	}
	set := map[string]bool{}
	for _, t := range res.Traces {
		if len(t.Hops) == 0 || t.Hops[0].Layer != diagnose.LayerIngress || (t.Status != diagnose.TraceBroken && t.Status != diagnose.TraceDegraded) {
			continue
		}
		if ctrl, ok := byIngress[t.Hops[0].Object]; ok {
			set[ctrl] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// podLogs indexes a snapshot's logs by namespace and pod.
type podLogs map[[2]string][]snapshot.ContainerLog

func indexLogs(s *snapshot.Snapshot) podLogs {
	idx := podLogs{}
	for _, l := range s.Logs {
		k := [2]string{l.Namespace, l.Pod}
		idx[k] = append(idx[k], l)
	}
	return idx
}

// logOf picks the log of fc: the run it wants (previous or current), or
// the other run when only that one was captured; a cluster-info dump's
// logs.txt holds every container's current run. ok is false when the
// input holds none; unread says why a live source could not fetch it.
func (idx podLogs) logOf(fc failingContainer) (l snapshot.ContainerLog, ok bool, unread string) {
	var other *snapshot.ContainerLog
	for _, cand := range idx[[2]string{fc.pod.Namespace, fc.pod.Name}] {
		if cand.Container != "" && cand.Container != fc.c.Spec.Name {
			continue
		}
		if cand.Unread != "" {
			unread = cand.Unread
			continue
		}
		if cand.Previous == fc.wantsPrevious() {
			return cand, true, ""
		}
		if other == nil {
			other = &cand
		}
	}
	if other != nil {
		return *other, true, ""
	}
	return snapshot.ContainerLog{}, false, unread
}

// logLines reads the bounded tail of l and returns its last lines for
// container, numbered as in the log.
func logLines(l snapshot.ContainerLog, container string) ([]logscan.Line, logscan.Tail, error) {
	var tail logscan.Tail
	if l.File != "" {
		t, err := readLogFile(l.File)
		if err != nil {
			return nil, t, err
		}
		tail = t
	} else {
		tail = logscan.TailOf([]byte(l.Tail), l.Truncated)
	}
	lines := tail.Lines(math.MaxInt)
	if l.Container == "" {
		sec, ok := logscan.Section(lines, container)
		if !ok {
			return nil, tail, nil
		}
		lines = sec
	}
	if len(lines) > logscan.MaxLines {
		lines = lines[len(lines)-logscan.MaxLines:]
	}
	return lines, tail, nil
}

// logReading is what one group's log says.
type logReading struct {
	fc      failingContainer // the replica whose log was read
	log     snapshot.ContainerLog
	tail    logscan.Tail
	matches []logscan.Match
	primary logscan.Match
}

// readGroupLog reads the log of the first replica of g that has one and
// matches it. ok is false when no log of the group shows a networking
// failure that explains it; notChecked says why a log could not be read.
func readGroupLog(s *snapshot.Snapshot, idx podLogs, g *logGroup) (rd logReading, ok bool, notChecked string) {
	for _, fc := range g.members {
		l, found, unread := idx.logOf(fc)
		if !found {
			if unread != "" && notChecked == "" {
				notChecked = fmt.Sprintf("log of %s not checked: %s", fc.c.Label(), unread)
			}
			continue
		}
		lines, tail, err := logLines(l, fc.c.Spec.Name)
		if err != nil {
			return rd, false, fmt.Sprintf("log of %s not checked: %v", fc.c.Label(), err)
		}
		rd = logReading{fc: fc, log: l, tail: tail, matches: logscan.Scan(lines)}
		end := 0
		if len(lines) > 0 {
			end = lines[len(lines)-1].N
		}
		primary, ok := explainingMatch(fc, rd.matches, end, livenessKilled(s, fc))
		if !ok {
			return rd, false, ""
		}
		rd.primary = primary
		return rd, true, ""
	}
	return rd, false, notChecked
}

// livenessKilled reports whether the kubelet restarts fc because its
// liveness probe fails: then the app did not exit on its own.
func livenessKilled(s *snapshot.Snapshot, fc failingContainer) bool {
	return fc.crash && len(eventLines(s, snapshot.Ref(snapshot.KindPod, fc.pod), []string{"Unhealthy"}, "Liveness probe")) > 0
}

// crashWindow is how near the end of a crashed run's log a failure must
// still show to explain the exit: a crash explains itself last, and a
// stack trace below the failing line takes a few dozen lines.
const crashWindow = 50

// explainingMatch picks the match that explains the failure: for a crash
// the most recent one among the last crashWindow lines up to end (the app
// exits after it), for a container that is not ready or killed by its
// liveness probe a listener on loopback (the probes cannot reach it),
// which is then the only failure that explains a liveness kill.
func explainingMatch(fc failingContainer, matches []logscan.Match, end int, liveness bool) (logscan.Match, bool) {
	if fc.crash && !liveness {
		matches = slices.DeleteFunc(slices.Clone(matches), func(m logscan.Match) bool { return m.LastLine <= end-crashWindow })
	}
	if len(matches) == 0 {
		return logscan.Match{}, false
	}
	if liveness || !fc.crash {
		for _, m := range matches {
			if m.Signature.Hop == logscan.HopListener {
				return m, true
			}
		}
		if liveness {
			return logscan.Match{}, false
		}
	}
	latest := matches[0]
	for _, m := range matches[1:] {
		if m.LastLine > latest.LastLine {
			latest = m
		}
	}
	return latest, true
}

func runContainerLogFailure(s *snapshot.Snapshot, r *diagnose.Reporter) {
	idx := indexLogs(s)
	var unresolvable map[snapshot.ObjectRef]bool
	for _, g := range failingContainers(s, s.Pods) {
		rd, ok, notChecked := readGroupLog(s, idx, g)
		if notChecked != "" {
			r.NotChecked(snapshot.Ref(snapshot.KindPod, g.members[0].pod), notChecked)
		}
		if !ok {
			continue
		}
		for _, f := range logFindings(s, g, rd) {
			if f.Layer == diagnose.LayerDNS {
				// dns-name-unresolvable names the same failure from the
				// workload's env; when it does, it is the root cause
				// and this finding its evidence.
				if unresolvable == nil {
					unresolvable = dnsUnresolvableObjects(s)
				}
				if unresolvable[f.Object] {
					f.ExplainedBy = append(f.ExplainedBy, f.Object)
				}
			}
			r.Report(f)
		}
	}
}

// dnsUnresolvableObjects are the objects dns-name-unresolvable reports.
func dnsUnresolvableObjects(s *snapshot.Snapshot) map[snapshot.ObjectRef]bool {
	sub := diagnose.NewReporter(dnsNameUnresolvable)
	dnsNameUnresolvable.Run(s, sub)
	out := map[snapshot.ObjectRef]bool{}
	for _, f := range sub.Findings() {
		out[f.Object] = true
	}
	return out
}

// logFindings turns one group's reading into findings. A crash is one
// finding on the object a fix changes (the workload), at the layer of the
// signature, which container-crashloop names in ExplainedBy (see
// crashExplainedByLog), so the crash is its consequence. A container that
// is not ready gets a finding on each pod of the group, on the pod's own
// container hop, under the pod-not-ready symptom.
func logFindings(s *snapshot.Snapshot, g *logGroup, rd logReading) []diagnose.Finding {
	fc := rd.fc
	target, _ := fixTarget(s, fc.pod)
	podRef := snapshot.Ref(snapshot.KindPod, fc.pod)
	base := diagnose.Finding{
		Layer:     diagnose.LayerContainer,
		Container: fc.c.Spec.Name,
		Cause:     logCause(s, fc, rd.primary),
		Evidence:  logEvidence(s, g, rd),
		Fix:       diagnose.EditCmd(target),
		Verify:    verifyPod(s, fc.pod),
	}
	what := rd.primary.Signature.Meaning
	if !fc.crash {
		var out []diagnose.Finding
		for _, m := range g.members {
			f := base
			f.Object = snapshot.Ref(snapshot.KindPod, m.pod)
			f.Symptom = fmt.Sprintf("pod %s/%s is not Ready and the log of %s shows why: %s", m.pod.Namespace, m.pod.Name, fc.c.Label(), what)
			f.Origin = originOf(s, f.Object)
			out = append(out, f)
		}
		return out
	}
	f := base
	f.Object = target
	f.Symptom = fmt.Sprintf("%s of pod %s/%s crash-loops (%d restarts) and its log shows why: %s",
		fc.c.Label(), fc.pod.Namespace, fc.pod.Name, fc.c.Status.RestartCount, what)
	f.Origin = originOf(s, target)
	if rd.primary.Signature.Hop == logscan.HopDNS {
		f.Layer = diagnose.LayerDNS
	} else if target == podRef {
		// A bare pod's crash and this finding would share its container
		// hop; the crash stays the root cause and this is its evidence.
		f.Severity = diagnose.SeverityWarning
	}
	return []diagnose.Finding{f}
}

// logCause says what the matching line means for the path, naming the host
// or address the line names and the Service it is, when the input has it.
func logCause(s *snapshot.Snapshot, fc failingContainer, m logscan.Match) string {
	var b strings.Builder
	if fc.crash {
		fmt.Fprintf(&b, "%s crashes on a networking failure its log shows: ", fc.c.Label())
	} else {
		fmt.Fprintf(&b, "%s is not ready because of a networking failure its log shows: ", fc.c.Label())
	}
	b.WriteString(m.Signature.Meaning)
	if m.Target != "" {
		fmt.Fprintf(&b, " (%s)", m.Target)
	}
	ns := fc.pod.Namespace
	switch m.Signature.ID {
	case "name-not-resolved":
		if host := m.Target; host != "" && !strings.Contains(host, ".") && s.Knows(snapshot.KindService, ns) && s.Service(ns, host) == nil {
			fmt.Fprintf(&b, "; namespace %s has no Service named %s", ns, host)
		}
	case "listening-on-loopback":
		b.WriteString("; it must listen on 0.0.0.0 (or the pod IP) for Services and probes to reach it")
	}
	if m.Signature.Hop == logscan.HopDependency || m.Signature.Hop == logscan.HopUpstream {
		if svc := serviceAt(s, ns, m.Target); svc != nil {
			fmt.Fprintf(&b, "; that is Service %s/%s: diagnose its path with `hopscope diagnose service/%s -n %s`", svc.Namespace, svc.Name, svc.Name, svc.Namespace)
		}
	}
	return b.String()
}

// serviceAt finds the Service a host or host:port of a log line names: by
// ClusterIP, or by name (name, name.ns, name.ns.svc...) from namespace ns.
func serviceAt(s *snapshot.Snapshot, ns, target string) *corev1.Service {
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	if host == "" {
		return nil
	}
	if net.ParseIP(host) != nil {
		for _, svc := range s.Services {
			if svc.Spec.ClusterIP == host || slices.Contains(svc.Spec.ClusterIPs, host) {
				return svc
			}
		}
		return nil
	}
	name, rest, _ := strings.Cut(strings.TrimSuffix(host, "."), ".")
	if rest != "" {
		svcNS, tail, _ := strings.Cut(rest, ".")
		if tail != "" && !strings.HasPrefix(tail, "svc") {
			return nil // a name outside the cluster
		}
		ns = svcNS
	}
	return s.Service(ns, name)
}

// logEvidence quotes the log: which run of which replica was read, within
// which bounds, and every distinct matching line with its number.
func logEvidence(s *snapshot.Snapshot, g *logGroup, rd logReading) []string {
	fc := rd.fc
	ev := []string{stateLine(fc.c)}
	if last := fc.c.Status.LastTerminationState.Terminated; last != nil {
		ev = append(ev, "last termination: "+terminatedLine(last))
	}
	run := "current run"
	if rd.log.Previous {
		run = "previous run"
	} else if fc.wantsPrevious() {
		run = "current run (the capture has no log of the previous run)"
	}
	ev = append(ev, logReadLine(s, fc.c, fc.pod, run, rd.log))
	ev = append(ev, logQuotes(rd.tail, rd.primary, rd.matches)...)
	if n := len(g.members); n > 1 {
		ev = append(ev, fmt.Sprintf("%d pods fail alike (container %s, same workload); the log of %s was read for all of them",
			n, fc.c.Spec.Name, fc.pod.Name))
	}
	return ev
}

// logReadLine says which log a finding quotes: which run of which
// container, where it was read from, and within which bounds.
func logReadLine(s *snapshot.Snapshot, c podContainer, p *corev1.Pod, run string, l snapshot.ContainerLog) string {
	from := "the API server (pods/log)"
	switch {
	case l.File != "":
		from = l.File
	case l.Tail != "" && !s.Live:
		from = "the dump's log section"
	}
	return fmt.Sprintf("log of %s of pod %s/%s, %s, from %s: at most the last %d lines and %d KiB read",
		c.Label(), p.Namespace, p.Name, run, from, logscan.MaxLines, logscan.MaxBytes>>10)
}

// logQuotes quotes the primary match first, then every other one, each
// with its line number.
func logQuotes(tail logscan.Tail, primary logscan.Match, matches []logscan.Match) []string {
	where := "log"
	if tail.Truncated {
		where = "log (lines counted from the start of the tail read)"
	}
	out := []string{where + " " + primary.Quote()}
	for _, m := range matches {
		if m.Line != primary.Line {
			out = append(out, where+" "+m.Quote())
		}
	}
	return out
}

// hopLog is the log of a pod that serves a hop of other pods' paths (an
// ingress controller, CoreDNS), read within the same bounds as a failing
// container's and matched against that hop's catalogue.
type hopLog struct {
	pod     *corev1.Pod
	c       podContainer
	run     string
	log     snapshot.ContainerLog
	tail    logscan.Tail
	matches []logscan.Match
}

// readHopLog reads the log of the first of pods whose log the input holds:
// the container containerOf names, in its previous run when it crash-loops
// and that run was captured. ok is false when no pod's log is there;
// notChecked says why a live read of one failed ("forbidden: ...").
func readHopLog(s *snapshot.Snapshot, idx podLogs, pods []*corev1.Pod, containerOf func(*corev1.Pod) string, catalogue []*logscan.Signature) (hl hopLog, ok bool, notChecked string) {
	for _, p := range pods {
		c, found := containerNamed(p, containerOf(p))
		if !found || c.Status == nil {
			continue
		}
		fc := failingContainer{pod: p, c: c, crash: containerCrashing(p, c)}
		l, found, unread := idx.logOf(fc)
		if !found {
			if unread != "" && notChecked == "" {
				notChecked = fmt.Sprintf("log of %s of pod %s/%s not checked: %s", c.Label(), p.Namespace, p.Name, unread)
			}
			continue
		}
		lines, tail, err := logLines(l, c.Spec.Name)
		if err != nil {
			return hl, false, fmt.Sprintf("log of %s of pod %s/%s not checked: %v", c.Label(), p.Namespace, p.Name, err)
		}
		run := "current run"
		if l.Previous {
			run = "previous run"
		}
		return hopLog{pod: p, c: c, run: run, log: l, tail: tail, matches: logscan.ScanWith(lines, catalogue)}, true, ""
	}
	return hl, false, notChecked
}

// crashExplainedByLog returns the object of the container-log-failure
// finding that explains the crash of c in p, when the log of its group of
// replicas shows a networking failure; container-crashloop names it in
// ExplainedBy so that the crash is the consequence and the log's failure
// the root cause.
func crashExplainedByLog(s *snapshot.Snapshot, p *corev1.Pod, c podContainer) []snapshot.ObjectRef {
	if len(s.Logs) == 0 {
		return nil
	}
	// Replicas share their namespace: the group is found among its pods.
	for _, g := range failingContainers(s, s.PodsIn(p.Namespace)) {
		if !slices.ContainsFunc(g.members, func(fc failingContainer) bool { return fc.pod == p && fc.c.Spec.Name == c.Spec.Name }) {
			continue
		}
		rd, ok, _ := readGroupLog(s, indexLogs(s), g)
		if !ok || !rd.fc.crash {
			return nil
		}
		for _, f := range logFindings(s, g, rd) {
			if f.Severity == "" || f.Severity == diagnose.SeverityError {
				return []snapshot.ObjectRef{f.Object}
			}
		}
		return nil
	}
	return nil
}

// appendMissing appends the refs refs does not hold yet.
func appendMissing(refs []snapshot.ObjectRef, more ...snapshot.ObjectRef) []snapshot.ObjectRef {
	for _, r := range more {
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return refs
}
