package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/klog/v2"
	apiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
)

// Options shape a local cluster.
type Options struct {
	// DataDir keeps etcd's data (and so every object) across restarts. When
	// empty the cluster lives in a temporary directory removed by Stop.
	DataDir string
	// Nodes is how many Nodes the kubelet stand-in registers; 2 when zero.
	Nodes int
	// Log receives control-plane logs (API server, etcd, controllers). They
	// are discarded when nil: a learner wants the kubeconfig line, not
	// thousands of klog lines.
	Log io.Writer
	// NoSeed skips the kube-system and ingress-nginx contents.
	NoSeed bool
}

// controlPlaneIP is the InternalIP of lab-node-1, where a kubeadm cluster
// would run the API server.
const controlPlaneIP = "172.18.0.2"

// ServiceCIDR is the Service ClusterIP range, the kubeadm default, so that
// kube-dns gets the familiar 10.96.0.10.
const ServiceCIDR = "10.96.0.0/12"

// Cluster is a running local control plane: etcd, kube-apiserver, the
// controllers that compute Endpoints and EndpointSlices and run
// Deployments, the garbage collector and namespace controller, and the
// kubelet stand-in. Everything runs in this process.
type Cluster struct {
	// Config reaches the API server as the kubeconfig written by
	// WriteKubeconfig does: an admin (system:masters) bearer token over TLS.
	Config *rest.Config
	// Client is a clientset for Config, without client-side rate limits.
	Client kubernetes.Interface
	// Kubelet is the stand-in for node agents and the scheduler.
	Kubelet *Kubelet

	caData  []byte
	applier *applier
	stop    func()
	once    sync.Once
}

// Start brings a cluster up and returns when the API server answers, the
// Nodes are registered and (unless NoSeed) the kube-system contents exist.
// Cancelling ctx stops nothing: call Stop.
func Start(ctx context.Context, opt Options) (c *Cluster, err error) {
	if opt.Nodes <= 0 {
		opt.Nodes = 2
	}
	quietKlog(opt.Log)
	var cleanups []func()
	stopAll := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	defer func() {
		if err != nil {
			stopAll()
		}
	}()

	dir := opt.DataDir
	persistent := dir != ""
	if !persistent {
		tmp, err := os.MkdirTemp("", "hopscope-lab-")
		if err != nil {
			return nil, fmt.Errorf("create cluster dir: %w", err)
		}
		dir = tmp
		cleanups = append(cleanups, func() { _ = os.RemoveAll(tmp) })
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}

	etcd, err := startEtcd(filepath.Join(dir, "etcd"), persistent, zapLogger(opt.Log))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, etcd.close)

	certDir := filepath.Join(dir, "pki")
	certFile, keyFile, caData, err := servingCert(certDir)
	if err != nil {
		return nil, err
	}

	network, err := listenPodNetwork(opt.Log)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, network.close)

	storage := storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = []string{etcd.clientURL}
	life := newLifetime(opt.Log)
	cleanups = append(cleanups, life.cleanup)
	server, err := startAPIServer(life, storage, certFile, keyFile, network.egressConfig())
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, server.TearDownFn)

	admin := rest.CopyConfig(server.ClientConfig)
	cfg := &rest.Config{
		Host:            admin.Host,
		BearerToken:     admin.BearerToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: caData},
	}
	// The admin client seeds and breaks things in bulk.
	fast, client, err := componentClient(cfg, "", 1000, 2000)
	if err != nil {
		return nil, fmt.Errorf("build client: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	cleanups = append(cleanups, cancel)
	plane, err := startControllers(runCtx, admin)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, plane.stop)

	kubelet, err := startKubelet(runCtx, admin, opt.Nodes)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, kubelet.stop)
	if err := network.serve(kubelet); err != nil {
		return nil, err
	}

	ap, err := newApplier(fast)
	if err != nil {
		return nil, err
	}
	c = &Cluster{Config: cfg, Client: client, Kubelet: kubelet, caData: caData, applier: ap, stop: stopAll}
	if !opt.NoSeed {
		if err := c.seed(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Stop shuts everything down and removes temporary state; a DataDir is
// kept. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.once.Do(c.stop)
}

// Kubeconfig returns a kubeconfig for the cluster, with context name
// "hopscope-lab" and namespace "default".
func (c *Cluster) Kubeconfig() *clientcmdapi.Config {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["hopscope-lab"] = &clientcmdapi.Cluster{
		Server:                   c.Config.Host,
		CertificateAuthorityData: c.caData,
	}
	kc.AuthInfos["hopscope-lab-admin"] = &clientcmdapi.AuthInfo{Token: c.Config.BearerToken}
	kc.Contexts["hopscope-lab"] = &clientcmdapi.Context{
		Cluster:   "hopscope-lab",
		AuthInfo:  "hopscope-lab-admin",
		Namespace: "default",
	}
	kc.CurrentContext = "hopscope-lab"
	return kc
}

// WriteKubeconfig writes Kubeconfig to path (mode 0600: it holds an admin
// token).
func (c *Cluster) WriteKubeconfig(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if err := clientcmd.WriteToFile(*c.Kubeconfig(), path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// startAPIServer runs kube-apiserver in-process against etcd.
func startAPIServer(life *lifetime, storage *storagebackend.Config, certFile, keyFile, egressConfig string) (srv apiservertesting.TestServer, err error) {
	flags := []string{
		// The "kubernetes" Service gets its endpoints as in a kubeadm
		// cluster: the API server advertises the control-plane node's IP
		// (lab-node-1). It is data only: clients use the kubeconfig's
		// 127.0.0.1, and the default (127.0.0.1) is rejected by Endpoints
		// validation.
		"--endpoint-reconciler-type=lease",
		"--advertise-address=" + controlPlaneIP,
		// No service-account token controller runs, so pods must not need
		// a token mounted.
		"--disable-admission-plugins=ServiceAccount",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--authorization-mode=RBAC",
		// Our own serving certificate: the test server otherwise writes
		// generated certificates next to its source in the module cache.
		// The peer proxy reads it as <cert-dir>/apiserver.crt.
		"--cert-dir=" + filepath.Dir(certFile),
		"--tls-cert-file=" + certFile,
		"--tls-private-key-file=" + keyFile,
		// Requests to pods, Services and kubelets (pods/proxy,
		// services/proxy, pods/log) go through the pod network's CONNECT
		// proxy instead of dialling addresses that exist nowhere.
		"--egress-selector-config-file=" + egressConfig,
	}
	opts := apiservertesting.NewDefaultTestServerOptions()
	// The invariant check scrapes metrics at teardown and reports through
	// the test object; it is meant for the Kubernetes test suite itself.
	opts.DisableInvariantChecks = true
	defer func() {
		// StartTestServer reports some setup failures through Fatalf,
		// which the lifetime turns into a panic outside of tests.
		if r := recover(); r != nil {
			err = fmt.Errorf("start kube-apiserver: %v", r)
		}
	}()
	srv, err = apiservertesting.StartTestServer(life, opts, flags, storage)
	if err != nil {
		return srv, fmt.Errorf("start kube-apiserver: %w", err)
	}
	return srv, nil
}

// servingCert makes (or reuses) the API server's self-signed serving
// certificate for 127.0.0.1 and localhost, and returns its files and the CA
// bundle clients must trust.
func servingCert(dir string) (certFile, keyFile string, caData []byte, err error) {
	certFile = filepath.Join(dir, "apiserver.crt")
	keyFile = filepath.Join(dir, "apiserver.key")
	if crt, err := os.ReadFile(certFile); err == nil {
		if _, err := os.Stat(keyFile); err == nil {
			return certFile, keyFile, crt, nil
		}
	}
	crt, key, err := certutil.GenerateSelfSignedCertKey("127.0.0.1", []net.IP{net.ParseIP("127.0.0.1")}, []string{"localhost"})
	if err != nil {
		return "", "", nil, fmt.Errorf("generate serving certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", nil, fmt.Errorf("write serving certificate: %w", err)
	}
	if err := os.WriteFile(certFile, crt, 0o600); err != nil {
		return "", "", nil, fmt.Errorf("write serving certificate: %w", err)
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return "", "", nil, fmt.Errorf("write serving certificate: %w", err)
	}
	return certFile, keyFile, crt, nil
}

var klogOnce sync.Once

// quietKlog routes klog (used by the API server and controllers) to w, or
// drops it. klog is process-global, so the first cluster decides.
func quietKlog(w io.Writer) {
	klogOnce.Do(func() {
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("logtostderr", "false")
		_ = fs.Set("alsologtostderr", "false")
		_ = fs.Set("stderrthreshold", "FATAL")
		if w == nil {
			w = io.Discard
		}
		// Every severity goes to the INFO stream, so binding that one to w
		// writes each line once; the others are bound to io.Discard because
		// an unbound severity makes klog create log files in /tmp.
		klog.SetOutputBySeverity("INFO", w)
		for _, sev := range []string{"WARNING", "ERROR", "FATAL"} {
			klog.SetOutputBySeverity(sev, io.Discard)
		}
		klog.LogToStderr(false)
	})
}

func zapLogger(w io.Writer) *zap.Logger {
	if w == nil {
		return zap.NewNop()
	}
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.WarnLevel))
}

// lifetime is the test object StartTestServer wants (ktesting.TB) for a
// cluster that may live outside of `go test`: cleanups run at Stop, logs go
// to the cluster's log writer, fatal errors panic so Start can return them.
type lifetime struct {
	mu       sync.Mutex
	log      io.Writer
	cleanups []func()
	failed   bool
}

func newLifetime(w io.Writer) *lifetime {
	if w == nil {
		w = io.Discard
	}
	return &lifetime{log: w}
}

func (l *lifetime) cleanup() {
	l.mu.Lock()
	fns := l.cleanups
	l.cleanups = nil
	l.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

func (l *lifetime) Attr(key, value string) {}
func (l *lifetime) Chdir(dir string)       { panic("testenv: Chdir is not supported outside tests") }
func (l *lifetime) Cleanup(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanups = append(l.cleanups, f)
}
func (l *lifetime) Error(args ...any) { l.setFailed(); l.Log(args...) }
func (l *lifetime) Errorf(format string, args ...any) {
	l.setFailed()
	l.Logf(format, args...)
}
func (l *lifetime) Fail()    { l.setFailed() }
func (l *lifetime) FailNow() { l.setFailed(); panic(errors.New("control plane failed")) }
func (l *lifetime) Failed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}
func (l *lifetime) Fatal(args ...any) { l.setFailed(); panic(fmt.Sprint(args...)) }
func (l *lifetime) Fatalf(format string, args ...any) {
	l.setFailed()
	panic(fmt.Sprintf(format, args...))
}
func (l *lifetime) Helper()         {}
func (l *lifetime) Log(args ...any) { fmt.Fprintln(l.log, args...) }
func (l *lifetime) Logf(format string, args ...any) {
	fmt.Fprintf(l.log, format+"\n", args...)
}
func (l *lifetime) Name() string             { return "hopscope-lab" }
func (l *lifetime) Setenv(key, value string) { _ = os.Setenv(key, value) }
func (l *lifetime) Skip(args ...any)         { panic("testenv: Skip is not supported outside tests") }
func (l *lifetime) Skipf(format string, args ...any) {
	panic("testenv: Skip is not supported outside tests")
}
func (l *lifetime) SkipNow()      { panic("testenv: Skip is not supported outside tests") }
func (l *lifetime) Skipped() bool { return false }
func (l *lifetime) TempDir() string {
	d, err := os.MkdirTemp("", "hopscope-lab-")
	if err != nil {
		panic(err)
	}
	l.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func (l *lifetime) setFailed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = true
}

// waitFor polls cond until it returns true or the timeout passes: every
// 100ms for the short waits of a lab, every 2s for long ones (thousands of
// pods), where each poll is itself a big LIST.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	interval := 100 * time.Millisecond
	if timeout > settle {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr error
	for {
		ok, err := cond(ctx)
		if err != nil {
			lastErr = err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("wait for %s: %w (last error: %v)", what, ctx.Err(), lastErr)
			}
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
