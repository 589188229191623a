package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// DefaultDebounce is how long the cluster must be quiet after a change
// before the diagnosis runs again: a rollout changes dozens of objects in a
// second, and one diagnosis after it is what a reader of the metrics wants.
const DefaultDebounce = time.Second

// maxDelayFactor bounds the wait of a cluster that never goes quiet: at most
// this many Debounce periods pass between a change and its diagnosis.
const maxDelayFactor = 10

// DefaultMaxBrokenPaths caps the series of hopscope_path_broken_info: each
// broken path is one series, and a cluster where every path breaks (DNS
// down, a node pool gone) must not flood Prometheus with thousands of them.
const DefaultMaxBrokenPaths = 100

// Options configure a Watcher.
type Options struct {
	// Config reaches the cluster. The Watcher uses a copy without a
	// client timeout (a watch stream is long-lived by design).
	Config *rest.Config
	// Namespaces limits the diagnosis to these namespaces (empty: all). The
	// watch itself is cluster-wide: cluster DNS in kube-system and the
	// nodes below every pod are on the paths of every namespace.
	Namespaces []string
	// Debounce is DefaultDebounce when zero.
	Debounce time.Duration
	// MaxBrokenPaths is DefaultMaxBrokenPaths when zero.
	MaxBrokenPaths int
	// Version is reported in hopscope_build_info.
	Version string
	// Log receives one line per diagnosis and per failure; nil discards.
	Log io.Writer
	// Clients, when set, are used instead of clients built from Config
	// (tests with fake clientsets).
	Clients *Clients
}

// Clients are the two API clients a watch needs: typed for every kind but
// Secrets, metadata-only for Secrets.
type Clients struct {
	Typed    kubernetes.Interface
	Metadata metadata.Interface
}

// Watcher keeps the diagnosis of a cluster current. Create it with New,
// serve Handler, then Run.
type Watcher struct {
	opt     Options
	kinds   []*watchedKind
	typed   informers.SharedInformerFactory
	md      metadatainformer.SharedInformerFactory
	metrics *metrics
	changed chan struct{}
	ready   atomic.Bool
	// diagnoses counts finished diagnoses; tests wait on it.
	diagnoses atomic.Int64
	logMu     sync.Mutex
}

// New builds the informers (nothing is requested until Run).
func New(opt Options) (*Watcher, error) {
	if opt.Debounce <= 0 {
		opt.Debounce = DefaultDebounce
	}
	if opt.MaxBrokenPaths <= 0 {
		opt.MaxBrokenPaths = DefaultMaxBrokenPaths
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	cl := opt.Clients
	if cl == nil {
		if opt.Config == nil {
			return nil, errors.New("watch: neither Config nor Clients is set")
		}
		cfg := rest.CopyConfig(opt.Config)
		cfg.Timeout = 0
		if cfg.UserAgent == "" {
			cfg.UserAgent = "hopscope-watch"
		}
		// The initial LISTs of twenty kinds must not wait on client-go's
		// default of 5 requests/s; after them a watch makes none.
		if cfg.QPS == 0 {
			cfg.QPS = 50
		}
		if cfg.Burst == 0 {
			cfg.Burst = 100
		}
		typed, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
		}
		md, err := metadata.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
		}
		cl = &Clients{Typed: typed, Metadata: md}
	}
	w := &Watcher{
		opt:     opt,
		kinds:   watchedKinds(),
		typed:   informers.NewSharedInformerFactory(cl.Typed, 0),
		md:      metadatainformer.NewSharedInformerFactory(cl.Metadata, 0),
		metrics: newMetrics(opt.Version, opt.MaxBrokenPaths),
		changed: make(chan struct{}, 1),
	}
	for _, k := range w.kinds {
		if err := k.bind(w.typed, w.md); err != nil {
			return nil, fmt.Errorf("watch %s: %w", k.resource.Resource, err)
		}
		if _, err := k.informer.AddEventHandler(w.counting(k.kind)); err != nil {
			return nil, fmt.Errorf("watch %s: %w", k.resource.Resource, err)
		}
	}
	return w, nil
}

// counting counts each change of kind and asks for a diagnosis. An update
// that changes nothing (same resourceVersion) is not a change.
func (w *Watcher) counting(kind string) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) {
			w.metrics.event(kind, "ADDED")
			w.poke()
		},
		UpdateFunc: func(prev, cur any) {
			if sameVersion(prev, cur) {
				return
			}
			w.metrics.event(kind, "MODIFIED")
			w.poke()
		},
		DeleteFunc: func(any) {
			w.metrics.event(kind, "DELETED")
			w.poke()
		},
	}
}

// sameVersion is true for the re-delivery of an object unchanged. Objects
// without a resourceVersion (never from a real API server) always count
// as changed.
func sameVersion(prev, cur any) bool {
	type versioned interface{ GetResourceVersion() string }
	p, ok1 := prev.(versioned)
	c, ok2 := cur.(versioned)
	return ok1 && ok2 && p.GetResourceVersion() != "" && p.GetResourceVersion() == c.GetResourceVersion()
}

func (w *Watcher) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// Ready reports whether every kind's cache is complete (or known to be
// refused) and the first diagnosis is published.
func (w *Watcher) Ready() bool { return w.ready.Load() }

// Diagnoses counts the diagnoses published so far.
func (w *Watcher) Diagnoses() int64 { return w.diagnoses.Load() }

// Run starts the watches, publishes the first diagnosis once every kind is
// listed (or refused), then diagnoses again after each quiet period that
// follows a change, until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	w.typed.Start(ctx.Done())
	w.md.Start(ctx.Done())
	defer w.typed.Shutdown()
	defer w.md.Shutdown()
	if err := w.waitSettled(ctx); err != nil {
		return err
	}
	// The first diagnosis reads every object the initial lists delivered;
	// their ADDED events need no second one.
	select {
	case <-w.changed:
	default:
	}
	for {
		w.diagnose()
		if err := w.quiet(ctx); err != nil {
			return nil
		}
	}
}

// waitSettled waits until each kind is synced or refused.
func (w *Watcher) waitSettled(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		settled := true
		for _, k := range w.kinds {
			if synced, why := k.state(); !synced && why == "" {
				settled = false
				break
			}
		}
		if settled {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// quiet returns after a change followed by Debounce without another one,
// or after maxDelayFactor*Debounce of constant change.
func (w *Watcher) quiet(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.changed:
	}
	deadline := time.NewTimer(maxDelayFactor * w.opt.Debounce)
	defer deadline.Stop()
	for {
		settle := time.NewTimer(w.opt.Debounce)
		select {
		case <-ctx.Done():
			settle.Stop()
			return ctx.Err()
		case <-w.changed:
			settle.Stop()
		case <-settle.C:
			return nil
		case <-deadline.C:
			settle.Stop()
			return nil
		}
	}
}

// diagnose rebuilds the snapshot from the caches, runs every check and
// publishes the result.
func (w *Watcher) diagnose() {
	start := time.Now()
	s, err := w.snapshot()
	var res *diagnose.Result
	if err == nil {
		res, err = diagnose.Engine{Checks: checks.All()}.Run(s, diagnose.Options{Namespaces: w.opt.Namespaces})
	}
	took := time.Since(start)
	if err != nil {
		w.metrics.failed()
		w.logf("diagnosis failed after %s: %v", took.Round(time.Millisecond), err)
		return
	}
	w.metrics.publish(s, res, took, start)
	w.diagnoses.Add(1)
	listed := len(s.Listed) > 0
	w.ready.Store(listed)
	w.logf("diagnosed %d objects in %s: %d findings, %d paths, %d kinds not checked",
		s.ObjectCount(), took.Round(time.Millisecond), len(res.Findings), len(res.Traces), len(s.Forbidden))
}

// snapshot copies the caches into a snapshot. The objects are shared with
// the caches, not copied: the diagnosis only reads them (pkg/snapshot's
// contract), and the informers replace an object on change, never edit it.
func (w *Watcher) snapshot() (*snapshot.Snapshot, error) {
	s := snapshot.New()
	s.Live = true
	for _, k := range w.kinds {
		synced, why := k.state()
		if !synced {
			if why == "" {
				why = "not yet listed"
			}
			s.Forbidden[k.kind] = why
			continue
		}
		s.Listed[k.kind] = true
		for _, obj := range k.informer.GetStore().List() {
			if err := s.Add(obj, snapshot.Origin{}); err != nil {
				return nil, fmt.Errorf("watch %s: %w", k.resource.Resource, err)
			}
		}
	}
	s.Index()
	return s, nil
}

func (w *Watcher) logf(format string, args ...any) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	fmt.Fprintf(w.opt.Log, time.Now().UTC().Format(time.RFC3339)+" "+format+"\n", args...)
}
