package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/hopscope/hopscope/pkg/logscan"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// ReadLogs is the second pass of a live diagnosis: after a first run of
// the checks names the failing containers (checks.LogsToRead: one per
// group of replicas failing alike, never a healthy pod), it fetches their
// logs with GET pods/log, each bounded by the server to the last
// logscan.MaxLines lines and logscan.MaxBytes bytes and read through a
// reader that stops there, and appends them to s.Logs. RBAC: `get
// pods/log` and nothing else; nothing is written.
//
// A log that cannot be read is kept as a ContainerLog with Unread saying
// why, so the check reports it "not checked" instead of guessing: the user
// may not read it ("forbidden: ..."), it no longer exists (the pod was
// replaced, there is no previous run), the API server cannot reach the
// kubelet, or more than MaxLogRequests logs were wanted. Only a failure to
// reach the API server at all, or a cancelled context, ends the pass with
// an error.
func (l Live) ReadLogs(ctx context.Context, s *snapshot.Snapshot, wanted []snapshot.ContainerLog) error {
	if len(wanted) == 0 {
		return nil
	}
	sc, cs, err := l.connect()
	if err != nil {
		return err
	}
	for i, w := range wanted {
		if i >= MaxLogRequests {
			w.Unread = fmt.Sprintf("not fetched: more than %d failing containers; narrow the diagnosis with -n or an entry point", MaxLogRequests)
			s.Logs = append(s.Logs, w)
			continue
		}
		got, err := readPodLog(ctx, cs, w)
		if err != nil {
			return fmt.Errorf("read log of container %s of pod %s/%s from %s: %w", w.Container, w.Namespace, w.Pod, sc.server, err)
		}
		s.Logs = append(s.Logs, got)
	}
	return nil
}

// connect resolves the connection flags and makes the typed client of a
// pass after the scan.
func (l Live) connect() (scope, kubernetes.Interface, error) {
	sc, err := l.resolve()
	if err != nil {
		return sc, nil, err
	}
	cs, err := kubernetes.NewForConfig(sc.config)
	if err != nil {
		return sc, nil, fmt.Errorf("connect to %s: %w", sc.server, err)
	}
	return sc, cs, nil
}

// MaxLogRequests bounds the GET pods/log requests of one diagnosis: a
// cluster with hundreds of crash loops is diagnosed from the first ones.
const MaxLogRequests = 50

// readPodLog fetches one container's log: the last MaxLines lines, at most
// MaxBytes of them.
func readPodLog(ctx context.Context, cs kubernetes.Interface, w snapshot.ContainerLog) (snapshot.ContainerLog, error) {
	tail, limit := int64(logscan.MaxLines), int64(logscan.MaxBytes)
	out := snapshot.ContainerLog{Namespace: w.Namespace, Pod: w.Pod, Container: w.Container, Previous: w.Previous}
	req := cs.CoreV1().Pods(w.Namespace).GetLogs(w.Pod, &corev1.PodLogOptions{
		Container: w.Container, Previous: w.Previous, TailLines: &tail, LimitBytes: &limit,
	})
	stream, err := req.Stream(ctx)
	switch {
	case err == nil:
	case apierrors.IsForbidden(err):
		out.Unread = "forbidden: " + APIMessage(err)
		return out, nil
	case apierrors.IsNotFound(err), apierrors.IsBadRequest(err):
		// The pod is gone, or the container has no previous run yet.
		out.Unread = "not available: " + APIMessage(err)
		return out, nil
	case ctx.Err() != nil:
		return out, err
	default:
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			return out, err // the API server itself did not answer
		}
		// The API server answered but could not serve this log (its
		// kubelet is unreachable, the runtime failed).
		out.Unread = "not read: " + APIMessage(err)
		return out, nil
	}
	defer stream.Close()
	// The server honours limitBytes; the reader does not trust it to.
	data, err := io.ReadAll(io.LimitReader(stream, limit))
	if err != nil {
		return out, err
	}
	cut := int64(len(data)) == limit
	if cut {
		// limitBytes cut the last line: drop what is left of it.
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	}
	// With as many lines as asked for, earlier ones were left on the
	// node: line numbers count from the start of this tail (whose first
	// line the check drops as possibly partial, as for a file's tail).
	out.Truncated = cut || bytes.Count(data, []byte("\n")) >= logscan.MaxLines
	out.Tail = string(data)
	return out, nil
}
