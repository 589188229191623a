package testenv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// etcdServer is a single-member etcd running inside this process.
type etcdServer struct {
	etcd      *embed.Etcd
	clientURL string
}

// peerURLFile keeps the peer URL of a persistent data directory: a member
// restarted on its existing WAL must advertise the peer URL it was created
// with, so a restart reuses the port rather than picking a new one.
const peerURLFile = "peer-url"

// startEtcd starts etcd with its data in dir. When persistent is false the
// data is throw-away and etcd skips fsync, which makes test clusters much
// faster on slow disks.
func startEtcd(dir string, persistent bool, logger *zap.Logger) (*etcdServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create etcd data dir: %w", err)
	}
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := stablePeerURL(dir)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "hopscope-lab"
	cfg.Dir = filepath.Join(dir, "member-data")
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = !persistent
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	// Serve only what the API server needs: no metrics listener, no
	// self-signed peer TLS, a quota big enough for the 5,000-pod benchmark.
	cfg.Metrics = "basic"
	cfg.QuotaBackendBytes = 2 << 30

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("start etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("start etcd: not ready after 60s")
	}
	return &etcdServer{etcd: e, clientURL: clientURL.String()}, nil
}

func (s *etcdServer) close() { s.etcd.Close() }

// stablePeerURL returns the peer URL recorded in dir, or picks a free port
// and records it.
func stablePeerURL(dir string) (*url.URL, error) {
	path := filepath.Join(dir, peerURLFile)
	if b, err := os.ReadFile(path); err == nil {
		u, err := url.Parse(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return u, nil
	}
	u, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(u.String()+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("record etcd peer url: %w", err)
	}
	return u, nil
}

// freeLoopbackURL picks a free TCP port on 127.0.0.1. The port is released
// before etcd binds it; on a busy machine another process could take it in
// between, which surfaces as a clear bind error from etcd.
func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	return &url.URL{Scheme: "http", Host: addr}, nil
}
