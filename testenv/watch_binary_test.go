package testenv_test

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/cli/clitest"
	"github.com/hopscope/hopscope/internal/servetest"
)

// TestWatchBinaryServesAndStopsOnSIGTERM runs the built hopscope binary as
// its Deployment runs it: `hopscope watch` with a kubeconfig and a listen
// address, as a process of its own. It must serve /readyz and publish a
// broken Service created after it started; SIGTERM, which the kubelet
// sends to stop a pod, must end it cleanly (exit 0, no goroutine dump)
// within the grace period a pod gets. The other watch tests run the
// watcher in-process; this one holds the flags, main and signal handling.
func TestWatchBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	bin := clitest.Build(t, "hopscope")
	kubeconfig := writeKubeconfig(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "watch", "--kubeconfig", kubeconfig, "--listen", addr, "--debounce", "200ms")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	// killed ends the process (if SIGTERM did not) and returns what it
	// wrote to stderr, which is safe to read only once it has exited.
	killed := func() string {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
			stopped = true
		}
		return stderr.String()
	}
	t.Cleanup(func() { killed() })

	url := "http://" + addr
	ready := func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if !eventually(time.Minute, 100*time.Millisecond, ready) {
		t.Fatalf("hopscope watch did not become ready on %s in a minute; stderr:\n%s", addr, killed())
	}

	const ns = "watch-binary"
	namespaceWith(t, ns, orphanService)
	finding := `hopscope_findings{check="service-selector-matches-no-pods",layer="service",namespace="` + ns + `",severity="error"} 1`
	var body string
	if !eventually(30*time.Second, 100*time.Millisecond, func() bool {
		_, body = servetest.Get(t, url+"/metrics")
		return strings.Contains(body, finding)
	}) {
		t.Fatalf("/metrics never showed %s; stderr:\n%s", finding, killed())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("hopscope watch still running 30 s after SIGTERM (a pod's default grace period); stderr:\n%s", killed())
	}
	if out := stderr.String(); strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
		t.Errorf("stderr after SIGTERM holds a crash:\n%s", out)
	}
}
