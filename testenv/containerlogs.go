package testenv

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	// The kubelet decodes log options with the core API's conversions.
	_ "k8s.io/kubernetes/pkg/apis/core/install"
)

// LogsAnnotation sets the lines a pod's containers print, one per line of
// the value, in place of the stand-in's own; LogsAnnotation + "." + a
// container's name sets them for that container only. A lab uses it to put
// the evidence a real app would print in a crash loop's log, such as
// "dial tcp: lookup orders-db on 10.96.0.10:53: no such host".
const LogsAnnotation = "hopscope.dev/logs"

// logTimeFormat is the fixed-width RFC 3339 time the kubelet prefixes a
// line with when asked for timestamps.
const logTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// newContainerLogServer is the HTTPS server of every stand-in Node's
// kubelet port. It serves the one kubelet endpoint the API server's log
// subresource calls, /containerLogs/{namespace}/{pod}/{container}, with
// the query parameters and error messages of the real kubelet. Like a
// kubelet reached without client certificates configured on the API
// server, it authenticates no one: only the API server can reach it, over
// the egress socket.
func newContainerLogServer(k *Kubelet) (*http.Server, error) {
	var names []string
	var ips []net.IP
	for _, n := range k.nodes {
		names = append(names, n.Name)
		for _, a := range n.Status.Addresses {
			if ip := net.ParseIP(a.Address); ip != nil {
				ips = append(ips, ip)
			}
		}
	}
	conf, err := selfSignedTLS("hopscope-lab-kubelet", ips, names)
	if err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.serveContainerLogs)
	return &http.Server{Handler: mux, TLSConfig: conf}, nil
}

func (k *Kubelet) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	d, err := requestTarget(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	pod, err := k.pods.Pods(ns).Get(name)
	if err != nil || pod.Spec.NodeName != d.node {
		// A kubelet knows only the pods bound to its own Node.
		http.Error(w, fmt.Sprintf("pod %q does not exist", name), http.StatusNotFound)
		return
	}
	if !hasContainer(pod, container) {
		http.Error(w, fmt.Sprintf("container %q not found in pod %q", container, name), http.StatusNotFound)
		return
	}
	query := r.URL.Query()
	if tail := query.Get("tail"); tail != "" {
		// The kubelet still reads the old "tail" parameter.
		query.Set("tailLines", tail)
		if tail == "all" {
			query.Del("tailLines")
		}
	}
	opts := &corev1.PodLogOptions{}
	if err := legacyscheme.ParameterCodec.DecodeParameters(query, corev1.SchemeGroupVersion, opts); err != nil {
		http.Error(w, `{"message": "Unable to decode query."}`, http.StatusBadRequest)
		return
	}
	stdout := true
	if opts.Stream != nil {
		switch *opts.Stream {
		case corev1.LogStreamAll, corev1.LogStreamStdout:
		case corev1.LogStreamStderr:
			// Every simulated line goes to stdout.
			stdout = false
		default:
			http.Error(w, fmt.Sprintf("invalid stream type %q", *opts.Stream), http.StatusBadRequest)
			return
		}
	}
	run, err := logRun(pod, container, opts.Previous)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now()
	lines := simulatedLog(pod, container, run)
	var shown, later []logLine
	for _, l := range lines {
		if l.at.After(now) {
			later = append(later, l)
		} else {
			shown = append(shown, l)
		}
	}
	shown = selectLines(shown, opts, now)
	if !stdout {
		shown, later = nil, nil
	}
	w.Header().Set("Content-Type", "text/plain")
	out := &limitedWriter{w: w, remain: -1}
	if opts.LimitBytes != nil {
		out.remain = *opts.LimitBytes
	}
	for _, l := range shown {
		if !out.writeLine(l, opts.Timestamps) {
			return
		}
	}
	if !opts.Follow || !run.running {
		return
	}
	// Following a running container: later lines (a slow start's
	// "listening") arrive when their time comes; the stream stays open
	// until the client leaves, as the kubelet's does.
	_ = http.NewResponseController(w).Flush()
	for _, l := range later {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Until(l.at)):
		}
		if !out.writeLine(l, opts.Timestamps) {
			return
		}
		_ = http.NewResponseController(w).Flush()
	}
	<-r.Context().Done()
}

// logLine is one line a simulated container printed.
type logLine struct {
	at   time.Time
	text string
}

// containerRun is the run of a container whose log is read.
type containerRun struct {
	started time.Time
	// crashed: the run ended with a non-zero exit code.
	crashed bool
	// running: the run has not ended.
	running bool
}

// logRun picks the run a kubelet reads the log of, or the error it
// answers with, from the container's status: the running container, else
// the last terminated one; with previous, the last terminated one only.
func logRun(pod *corev1.Pod, container string, previous bool) (containerRun, error) {
	var cs *corev1.ContainerStatus
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == container {
				cs = &list[i]
				break
			}
		}
		if cs != nil {
			break
		}
	}
	if cs == nil {
		return containerRun{}, fmt.Errorf("container %q in pod %q is not available", container, pod.Name)
	}
	ended := func(t *corev1.ContainerStateTerminated) containerRun {
		return containerRun{started: t.StartedAt.Time, crashed: t.ExitCode != 0}
	}
	last := cs.LastTerminationState.Terminated
	switch state := cs.State; {
	case previous:
		if last == nil || last.ContainerID == "" {
			return containerRun{}, fmt.Errorf("previous terminated container %q in pod %q not found", container, pod.Name)
		}
		return ended(last), nil
	case state.Running != nil:
		return containerRun{started: state.Running.StartedAt.Time, running: true}, nil
	case state.Terminated != nil && state.Terminated.ContainerID != "":
		return ended(state.Terminated), nil
	case last != nil && last.ContainerID != "":
		return ended(last), nil
	case state.Terminated != nil || last != nil:
		return containerRun{}, fmt.Errorf("container %q in pod %q is terminated", container, pod.Name)
	case state.Waiting != nil:
		switch reason := state.Waiting.Reason; reason {
		case "ErrImagePull":
			return containerRun{}, fmt.Errorf("container %q in pod %q is waiting to start: image can't be pulled", container, pod.Name)
		case "ImagePullBackOff":
			return containerRun{}, fmt.Errorf("container %q in pod %q is waiting to start: trying and failing to pull image", container, pod.Name)
		default:
			return containerRun{}, fmt.Errorf("container %q in pod %q is waiting to start: %v", container, pod.Name, reason)
		}
	}
	return containerRun{}, fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
}

// simulatedLog is everything the container printed in run: the lines of
// LogsAnnotation when a lab set them, else what the stand-in's app says
// about itself.
func simulatedLog(pod *corev1.Pod, container string, run containerRun) []logLine {
	var lines []logLine
	add := func(at time.Time, text string) {
		// Lines printed within one second keep their order.
		lines = append(lines, logLine{at: at.Add(time.Duration(len(lines)) * time.Millisecond), text: text})
	}
	text, ok := pod.Annotations[LogsAnnotation+"."+container]
	if !ok {
		text, ok = pod.Annotations[LogsAnnotation]
	}
	if ok {
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			add(run.started, l)
		}
		return lines
	}
	if run.crashed {
		add(run.started, fmt.Sprintf("hopscope-lab: container %s exits with code 1 as it starts (%s=%s); a lab sets the lines it prints in %s",
			container, SimulateAnnotation, SimulateCrashLoop, LogsAnnotation))
		return lines
	}
	if !run.running && !isAppContainer(pod, container) {
		// A completed init container printed nothing.
		return lines
	}
	b := parseAppBehaviour(pod)
	if b.invalid != "" {
		add(run.started, fmt.Sprintf("hopscope-lab: unknown word %q in %s: this app listens on nothing", b.invalid, AppAnnotation))
		return lines
	}
	if b.refuse || b.slowStart > 0 {
		add(run.started, fmt.Sprintf("starting %s", container))
	}
	if b.refuse {
		return lines
	}
	if b.slowStart > 0 {
		add(run.started, fmt.Sprintf("warming up for %s before listening", b.slowStart))
	}
	host := "0.0.0.0"
	if b.localhost {
		host = "127.0.0.1"
	}
	proto := "http"
	if b.tls {
		proto = "https"
	}
	ports := listenPorts(pod, b)
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		if ports[port] == container {
			add(run.started.Add(b.slowStart), fmt.Sprintf("listening on %s (%s)", net.JoinHostPort(host, fmt.Sprint(port)), proto))
		}
	}
	return lines
}

func isAppContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func hasContainer(pod *corev1.Pod, name string) bool {
	if isAppContainer(pod, name) {
		return true
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// selectLines applies sinceSeconds, sinceTime and tailLines as the
// kubelet does: the time filter first, then the last N lines of what is
// left.
func selectLines(lines []logLine, opts *corev1.PodLogOptions, now time.Time) []logLine {
	var since time.Time
	switch {
	case opts.SinceSeconds != nil:
		since = now.Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	case opts.SinceTime != nil:
		since = opts.SinceTime.Time
	}
	if !since.IsZero() {
		var kept []logLine
		for _, l := range lines {
			if !l.at.Before(since) {
				kept = append(kept, l)
			}
		}
		lines = kept
	}
	if opts.TailLines != nil && *opts.TailLines >= 0 && int64(len(lines)) > *opts.TailLines {
		lines = lines[int64(len(lines))-*opts.TailLines:]
	}
	return lines
}

// limitedWriter stops a log after limitBytes, cutting the last line as
// the kubelet does.
type limitedWriter struct {
	w      io.Writer
	remain int64 // -1: no limit
}

// writeLine writes one line and says whether more may follow.
func (l *limitedWriter) writeLine(line logLine, timestamps bool) bool {
	text := line.text + "\n"
	if timestamps {
		text = line.at.UTC().Format(logTimeFormat) + " " + text
	}
	if l.remain >= 0 && int64(len(text)) > l.remain {
		text = text[:l.remain]
	}
	n, err := io.WriteString(l.w, text)
	if l.remain >= 0 {
		l.remain -= int64(n)
	}
	return err == nil && l.remain != 0
}
