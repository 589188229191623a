package probe

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// clientScript is what the level-1 container runs: the seed article's own
// tests, each bounded by timeout, one result line per test written to the
// termination message as "TEST EXITCODE OUTPUT". The values arrive as
// positional parameters ($1 name, $2 Service port, $3 ClusterIP, $4 pod IP,
// $5 target port, $6 the port the client names with the name), never spliced into the script, so nothing the cluster
// names can become a command.
const clientScript = `t() { k=$1; shift; o=$("$@" 2>&1); r=$?; printf '%s %s %s\n' "$k" "$r" "$(printf '%s' "$o" | tr '\n\t' '  ' | cut -c1-200)"; }
{
t dns timeout 5 nslookup "$1"
t tcp-service-name timeout 5 nc -z -w 3 "$1" "$6"
t tcp-cluster-ip timeout 5 nc -z -w 3 "$3" "$2"
t tcp-pod-ip timeout 5 nc -z -w 3 "$4" "$5"
} > /dev/termination-log`

// clientTests are the tests of a level-1 run, in the order the script runs
// them.
var clientTests = []diagnose.ProbeTest{diagnose.ProbeTestDNS, diagnose.ProbeTestServiceName, diagnose.ProbeTestClusterIP, diagnose.ProbeTestPodIP}

// maxTerminationMessage bounds what is parsed of a termination message;
// the kubelet keeps at most 4096 bytes of one.
const maxTerminationMessage = 4096

// clientExit is the longest the script runs: four tests of at most five
// seconds each.
const clientExit = 20 * time.Second

// Command is the level-1 container's command line. The local cluster's
// kubelet stand-in (testenv/ephemeral.go) recognises a probe container by
// rebuilding this exact command line from its parameters, and writes the
// termination message results parses: a change here is a change there.
func (run ClientRun) Command() []string {
	return []string{"sh", "-c", clientScript, "hopscope-probe", run.LookupName, strconv.Itoa(int(run.Port)), run.ClusterIP, run.PodIP, strconv.Itoa(int(run.TargetPort)), strconv.Itoa(int(run.NamePort))}
}

// Describe says in one line what the level-1 container does, for --dry-run.
func (run ClientRun) Describe() string {
	return fmt.Sprintf("container hopscope-probe-<random> in pod %s (image %s, user 65534, no privileges, all capabilities dropped), chosen because %s; it runs nslookup %s, then nc -z -w 3 to %s:%d, %s:%d and pod %s at %s:%d, writes the results to its termination message and exits within %s",
		run.Client, run.Image, run.ChosenBecause, run.LookupName, run.LookupName, run.NamePort, run.ClusterIP, run.Port, run.Pod.Name, run.PodIP, run.TargetPort, clientExit)
}

// container is the ephemeral container a run adds. It meets the
// "restricted" Pod Security Standard, so namespaces that enforce it accept
// it.
func (run ClientRun) container(name string) corev1.EphemeralContainer {
	no, yes, nobody := false, true, int64(65534)
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: name, Image: run.Image, ImagePullPolicy: corev1.PullIfNotPresent, Command: run.Command(),
		TerminationMessagePath: corev1.TerminationMessagePathDefault, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no, RunAsNonRoot: &yes, RunAsUser: &nobody,
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}}
}

// base is the Probe every test of the run starts from.
func (run ClientRun) base(test diagnose.ProbeTest) diagnose.Probe {
	from := run.Client
	p := diagnose.Probe{Path: run.Path, Static: run.Static, Level: 1, Test: test, From: &from, Target: run.Service,
		Request: "PUT /api/v1/namespaces/" + run.Client.Namespace + "/pods/" + run.Client.Name + "/ephemeralcontainers"}
	switch test {
	case diagnose.ProbeTestDNS:
		p.Address = run.LookupName
	case diagnose.ProbeTestServiceName:
		p.Address = fmt.Sprintf("%s:%d", run.LookupName, run.NamePort)
	case diagnose.ProbeTestClusterIP:
		p.Address = fmt.Sprintf("%s:%d", run.ClusterIP, run.Port)
	case diagnose.ProbeTestPodIP:
		p.Target = run.Pod
		p.Address = fmt.Sprintf("%s:%d", run.PodIP, run.TargetPort)
	}
	p.Expected = run.predicted[test].text()
	return p
}

// allNotRun is every test of the run with one outcome and why.
func (run ClientRun) allNotRun(outcome diagnose.ProbeOutcome, why string) []diagnose.Probe {
	out := make([]diagnose.Probe, 0, len(clientTests))
	for _, t := range clientTests {
		p := run.base(t)
		p.Outcome, p.Detail = outcome, why
		out = append(out, judge(p, run.predicted[t], nil))
	}
	return out
}

// runClient reviews the run's permissions, adds its container to the
// client pod, waits (bounded) for it to terminate and reads its results.
// A refused review means no write: the tests come back forbidden.
func (pr Prober) runClient(ctx context.Context, run ClientRun) ([]diagnose.Probe, error) {
	for _, a := range Review(ctx, pr.Client, run.Needs()) {
		if !a.Allowed {
			return run.allNotRun(diagnose.ProbeForbidden, fmt.Sprintf("nothing written: %s is not allowed: %s", a.Permission, a.Reason)), nil
		}
	}
	pods := pr.Client.CoreV1().Pods(run.Client.Namespace)
	pod, err := pods.Get(ctx, run.Client.Name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
			return run.allNotRun(diagnose.ProbeNotRun, "nothing written: the client pod cannot be read: "+err.Error()), nil
		}
		return nil, fmt.Errorf("probe: get client pod %s: %w", run.Client, err)
	}
	name := "hopscope-probe-" + rand.String(5)
	if pr.ContainerName != nil {
		name = pr.ContainerName()
	}
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, run.container(name))
	if _, err := pods.UpdateEphemeralContainers(ctx, pod.Name, pod, metav1.UpdateOptions{}); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("probe: add container to %s: %w", run.Client, ctx.Err())
		}
		return run.allNotRun(diagnose.ProbeNotRun, "the API server did not accept the probe container: "+err.Error()), nil
	}
	message, state, err := pr.awaitTermination(ctx, run.Client, name)
	if err != nil {
		return nil, err
	}
	if state != "" {
		return run.allNotRun(diagnose.ProbeNotRun, fmt.Sprintf("container %s did not finish within %s (%s); it exits on its own within %s of starting", name, orDefault(pr.Wait, DefaultWait), state, clientExit)), nil
	}
	return run.results(name, message), nil
}

// awaitTermination reads the pod back every Poll until container name has
// terminated, and returns its termination message; or, when Wait runs out
// first, the container's last state in words.
func (pr Prober) awaitTermination(ctx context.Context, client snapshot.ObjectRef, name string) (message, state string, err error) {
	wait := orDefault(pr.Wait, DefaultWait)
	poll := orDefault(pr.Poll, 2*time.Second)
	deadline := time.Now().Add(wait)
	state = "no status yet"
	for {
		pod, err := pr.Client.CoreV1().Pods(client.Namespace).Get(ctx, client.Name, metav1.GetOptions{})
		switch {
		case err == nil:
			for _, st := range pod.Status.EphemeralContainerStatuses {
				if st.Name != name {
					continue
				}
				switch {
				case st.State.Terminated != nil:
					return st.State.Terminated.Message, "", nil
				case st.State.Waiting != nil:
					state = strings.TrimSpace("waiting: " + st.State.Waiting.Reason + " " + st.State.Waiting.Message)
				case st.State.Running != nil:
					state = "running"
				}
			}
		case ctx.Err() != nil:
			return "", "", fmt.Errorf("probe: wait for %s in %s: %w", name, client, ctx.Err())
		case apierrors.IsNotFound(err):
			return "", "the client pod was deleted", nil
		default:
			state = "the pod cannot be read: " + err.Error()
		}
		if !time.Now().Add(poll).Before(deadline) {
			return "", state, nil
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("probe: wait for %s in %s: %w", name, client, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// results parses a termination message into the run's probes, judged
// together. The message is hostile text: only lines of the four known
// tests with a numeric exit code count, the first of each; a test the
// message does not report is "not run".
func (run ClientRun) results(container, message string) []diagnose.Probe {
	if len(message) > maxTerminationMessage {
		message = message[:maxTerminationMessage]
	}
	got := map[diagnose.ProbeTest]diagnose.Probe{}
	for _, line := range strings.Split(message, "\n") {
		key, rest, _ := strings.Cut(line, " ")
		code, output, _ := strings.Cut(rest, " ")
		test := diagnose.ProbeTest(key)
		rc, err := strconv.Atoi(code)
		if _, dup := got[test]; dup || err != nil || !knownClientTest(test) {
			continue
		}
		p := run.base(test)
		p.Outcome = clientOutcome(test, rc, output)
		p.Detail = fmt.Sprintf("exit %d", rc)
		if o := strings.TrimSpace(output); o != "" {
			p.Detail += ": " + o
		}
		got[test] = p
	}
	out := make([]diagnose.Probe, 0, len(clientTests))
	for _, t := range clientTests {
		p, ok := got[t]
		if !ok {
			p = run.base(t)
			p.Outcome, p.Detail = diagnose.ProbeNotRun, "container "+container+" reported no result for this test"
		}
		out = append(out, judge(p, run.predicted[t], got))
	}
	return out
}

// missingTool reports whether the test could not run at all: the image
// lacks the tool (the shell's exit 127 or 126) or the tool lacks an option
// the script uses. That says nothing about the network, and must not be
// read as a refusal.
func missingTool(rc int, output string) bool {
	o := strings.ToLower(output)
	return rc == 126 || rc == 127 || strings.Contains(o, ": not found") || strings.Contains(o, "applet not found") ||
		strings.Contains(o, "unrecognized option") || strings.Contains(o, "invalid option")
}

func knownClientTest(t diagnose.ProbeTest) bool {
	for _, k := range clientTests {
		if k == t {
			return true
		}
	}
	return false
}

// clientOutcome reads one test's exit code and output. A lookup answered
// when it printed a "Name:" record; busybox's nslookup also reports the
// AAAA query it could not answer ("can't find ...: No answer") and some
// builds exit 0 on NXDOMAIN, so without a record an NXDOMAIN is a failure
// whatever the exit code. timeout(1) kills with SIGTERM, exit 143; nc -z
// that gives up after -w often prints nothing.
func clientOutcome(test diagnose.ProbeTest, rc int, output string) diagnose.ProbeOutcome {
	if missingTool(rc, output) {
		return diagnose.ProbeNotRun
	}
	o := classifyMessage(output)
	if test == diagnose.ProbeTestDNS {
		switch {
		case rc == 0 && strings.Contains(output, "Name:"):
			return diagnose.ProbeAnswered
		case o == diagnose.ProbeUnresolved:
			return o
		}
	}
	switch {
	case rc == 0:
		return diagnose.ProbeAnswered
	case rc == 143:
		return diagnose.ProbeTimeout
	case o == diagnose.ProbeUnreachable && strings.TrimSpace(output) == "":
		return diagnose.ProbeTimeout
	}
	return o
}
