package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// kubeletPort is the port every stand-in Node reports as its kubelet
// endpoint, the kubelet's default.
const kubeletPort = 10250

// podNetwork is the only network the local cluster has: the API server's
// "cluster" egress (pods/proxy, services/proxy, pods/log and every other
// request to a kubelet) is an HTTP CONNECT proxy on a Unix socket that this
// process serves. Nothing is ever dialled: a CONNECT to a Node's kubelet
// port reaches the kubelet stand-in's log server, one to a pod IP and a
// port the pod's simulated app listens on reaches that app, and anything
// else is refused with the error a dial would have given. Only addresses
// the stand-in assigned answer.
type podNetwork struct {
	dir      string // holds the socket and the egress configuration
	errorLog *log.Logger
	socket   string
	listener net.Listener
	kubelet  atomic.Pointer[Kubelet]

	// Connections the proxy accepted are handed to in-process HTTP
	// servers through these listeners.
	containerLogs, apps, tlsApps *connListener
	servers                      []*http.Server

	wg        sync.WaitGroup
	closeOnce sync.Once
}

// listenPodNetwork opens the egress socket and writes the
// EgressSelectorConfiguration the API server reads. Connections wait in
// the socket's backlog until serve is called with the kubelet stand-in.
func listenPodNetwork(logTo io.Writer) (*podNetwork, error) {
	// A Unix socket path is limited to about 100 bytes, so the socket
	// lives in a short temporary directory even when the cluster's data
	// directory is deep.
	dir, err := os.MkdirTemp("", "hopscope-egress-")
	if err != nil {
		return nil, fmt.Errorf("pod network: %w", err)
	}
	if logTo == nil {
		logTo = io.Discard
	}
	n := &podNetwork{dir: dir, socket: filepath.Join(dir, "egress.sock"), errorLog: log.New(logTo, "pod network: ", log.LstdFlags)}
	n.listener, err = net.Listen("unix", n.socket)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pod network: listen on %s: %w", n.socket, err)
	}
	config := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %q
`, n.socket)
	if err := os.WriteFile(n.egressConfig(), []byte(config), 0o600); err != nil {
		n.close()
		return nil, fmt.Errorf("pod network: write egress configuration: %w", err)
	}
	return n, nil
}

// egressConfig is the path of the API server's
// --egress-selector-config-file.
func (n *podNetwork) egressConfig() string { return filepath.Join(n.dir, "egress.yaml") }

// serve starts answering CONNECT requests for the pods and Nodes of k.
func (n *podNetwork) serve(k *Kubelet) error {
	logServer, err := newContainerLogServer(k)
	if err != nil {
		return err
	}
	appTLS, err := selfSignedTLS("hopscope-lab-app", nil, []string{"hopscope-lab-app"})
	if err != nil {
		return fmt.Errorf("pod network: app certificate: %w", err)
	}
	addr := &net.UnixAddr{Name: n.socket, Net: "unix"}
	n.containerLogs, n.apps, n.tlsApps = newConnListener(addr), newConnListener(addr), newConnListener(addr)
	app := &http.Server{Handler: http.HandlerFunc(k.serveApp)}
	tlsApp := &http.Server{Handler: http.HandlerFunc(k.serveApp), TLSConfig: appTLS}
	n.servers = []*http.Server{logServer, app, tlsApp}
	for _, s := range n.servers {
		s.ConnContext = withConnTarget
		s.ReadHeaderTimeout = 10 * time.Second
		// A plain HTTP request to a TLS app is a handshake error the
		// client sees; the server's own line about it is noise.
		s.ErrorLog = n.errorLog
	}
	n.start(func() error { return logServer.ServeTLS(n.containerLogs, "", "") })
	n.start(func() error { return app.Serve(n.apps) })
	n.start(func() error { return tlsApp.ServeTLS(n.tlsApps, "", "") })
	n.kubelet.Store(k)
	n.start(n.accept)
	return nil
}

func (n *podNetwork) start(serve func() error) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		_ = serve()
	}()
}

func (n *podNetwork) close() {
	n.closeOnce.Do(func() {
		_ = n.listener.Close()
		for _, s := range n.servers {
			_ = s.Close()
		}
		n.wg.Wait()
		_ = os.RemoveAll(n.dir)
	})
}

func (n *podNetwork) accept() error {
	for {
		conn, err := n.listener.Accept()
		if err != nil {
			return err
		}
		go n.connect(conn)
	}
}

// connect answers one CONNECT request from the API server.
func (n *podNetwork) connect(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(io.LimitReader(conn, http.DefaultMaxHeaderBytes))
	req, err := http.ReadRequest(r)
	if err != nil {
		_ = conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	if req.Method != http.MethodConnect {
		_, _ = io.WriteString(conn, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
		_ = conn.Close()
		return
	}
	target := req.URL.Host
	k := n.kubelet.Load()
	if k == nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 503 kubelet stand-in not started\r\n\r\n")
		_ = conn.Close()
		return
	}
	dest, refusal := k.route(target, time.Now())
	if refusal != "" {
		// The API server quotes the status line in its error, so it
		// carries the message a direct dial would have failed with.
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 502 dial tcp %s: %s\r\n\r\n", target, refusal)
		_ = conn.Close()
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = conn.Close()
		return
	}
	tc := &targetConn{Conn: conn, dest: dest}
	switch {
	case dest.kubelet:
		n.containerLogs.deliver(tc)
	case dest.tls:
		n.tlsApps.deliver(tc)
	default:
		n.apps.deliver(tc)
	}
}

// destination is what a CONNECT reached.
type destination struct {
	// kubelet: the log server of node; otherwise the app of pod's
	// container on port.
	kubelet   bool
	node      string
	pod       *corev1.Pod
	container string
	port      int32
	tls       bool
}

// Refusals, worded as the errors of a dial from the API server's host.
const (
	refusedConnection = "connect: connection refused"
	noRoute           = "connect: no route to host"
)

// route decides what a connection to target (host:port) reaches at now,
// or why it is refused.
func (k *Kubelet) route(target string, now time.Time) (destination, string) {
	host, portText, err := net.SplitHostPort(target)
	if err != nil {
		return destination{}, noRoute
	}
	port, err := strconv.ParseInt(portText, 10, 32)
	if err != nil || port <= 0 || port > 65535 {
		return destination{}, noRoute
	}
	var pods []*corev1.Pod
	if node := k.nodeAt(host); node != nil {
		if port == kubeletPort {
			return destination{kubelet: true, node: node.Name}, ""
		}
		pods = k.hostNetworkPods(node.Name)
	} else {
		pods = k.podsAt(host)
	}
	if len(pods) == 0 {
		return destination{}, noRoute
	}
	for _, p := range pods {
		if app, ok := listeningApp(p, int32(port), now); ok {
			return app, ""
		}
	}
	return destination{}, refusedConnection
}

// nodeAt is the Node whose name or address is host.
func (k *Kubelet) nodeAt(host string) *corev1.Node {
	for _, n := range k.nodes {
		if n.Name == host {
			return n
		}
		for _, a := range n.Status.Addresses {
			if a.Address == host {
				return n
			}
		}
	}
	return nil
}

// targetConn is a proxied connection and what it reached, for the server
// that answers it.
type targetConn struct {
	net.Conn
	dest destination
}

// connListener hands connections the proxy accepted to an http.Server.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

func (l *connListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// connTargetKey is the context key of a request's destination.
type connTargetKey struct{}

func withConnTarget(ctx context.Context, c net.Conn) context.Context {
	var tc *targetConn
	switch c := c.(type) {
	case *targetConn:
		tc = c
	case interface{ NetConn() net.Conn }:
		tc, _ = c.NetConn().(*targetConn)
	}
	if tc == nil {
		return ctx
	}
	return context.WithValue(ctx, connTargetKey{}, tc.dest)
}

// requestTarget is the destination the request's connection reached.
func requestTarget(r *http.Request) (destination, error) {
	d, ok := r.Context().Value(connTargetKey{}).(destination)
	if !ok {
		return destination{}, errors.New("connection did not come through the pod network")
	}
	return d, nil
}
