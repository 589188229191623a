package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/hopscope/hopscope/pkg/source"
)

// DefaultDebounce is how long the cluster must be quiet after a change
// before the diagnosis runs again: a rollout changes dozens of objects in a
// second, and one diagnosis after it is what a reader of the metrics wants.
const DefaultDebounce = time.Second

// maxDelayFactor bounds the wait of a cluster that never goes quiet: at most
// this many Debounce periods pass between a change and its diagnosis.
const maxDelayFactor = 10

// DefaultReconcile is how long after a diagnosis of only the changed
// namespaces a diagnosis of the whole cluster follows: it replaces the
// partial one, and counts in hopscope_partial_diagnosis_mismatches_total
// any difference it finds (a read across namespaces that the change
// classification in changes.go missed).
const DefaultReconcile = time.Minute

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
	// Reconcile is DefaultReconcile when zero.
	Reconcile time.Duration
	// EmitEvents records a Kubernetes Event on the root-cause object when
	// a path breaks and when it recovers (events.go). Off, the watcher
	// never writes to the cluster.
	EmitEvents bool
	// EventsPerMinute bounds the Events written; DefaultEventsPerMinute
	// when zero.
	EventsPerMinute int
	// Version is reported in hopscope_build_info.
	Version string
	// Log receives one line per diagnosis and per failure; nil discards.
	Log io.Writer
	// Clients, when set, are used instead of clients built from Config
	// (tests with fake clientsets).
	Clients *Clients
}

// Clients are the API clients a watch needs: typed for the built-in kinds
// (and discovery), metadata-only for Secrets, dynamic for the Gateway API.
type Clients struct {
	Typed    kubernetes.Interface
	Metadata metadata.Interface
	// Dynamic may be nil when the server serves no Gateway API kind.
	Dynamic dynamic.Interface
}

// Watcher keeps the diagnosis of a cluster current. Create it with New,
// serve Handler, then Run.
type Watcher struct {
	opt     Options
	kinds   []*watchedKind
	clients *Clients
	typed   informers.SharedInformerFactory
	md      metadatainformer.SharedInformerFactory
	dyn     dynamicinformer.DynamicSharedInformerFactory
	// Why the Gateway API is not watched, set by Run: not installed
	// (the snapshot's NotServed) or not discoverable (its Forbidden).
	gatewayNotServed  string
	gatewayNotChecked string
	metrics           *metrics
	changed           chan struct{}
	pending           changes
	ready             atomic.Bool
	// announcer writes Events; nil unless Options.EmitEvents.
	announcer *announcer

	// Owned by Run's goroutine: the published diagnosis by namespace,
	// what every partial diagnosis reads beside the changed namespaces
	// (readContext), and whether a partial diagnosis was published since
	// the last whole one.
	parts        partitions
	context      readContext
	partialSince bool
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
	if opt.Reconcile <= 0 {
		opt.Reconcile = DefaultReconcile
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
		dyn, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
		}
		cl = &Clients{Typed: typed, Metadata: md, Dynamic: dyn}
	}
	w := &Watcher{
		opt:     opt,
		kinds:   watchedKinds(),
		clients: cl,
		typed:   informers.NewSharedInformerFactory(cl.Typed, 0),
		md:      metadatainformer.NewSharedInformerFactory(cl.Metadata, 0),
		metrics: newMetrics(opt.Version, opt.MaxBrokenPaths),
		changed: make(chan struct{}, 1),
	}
	if cl.Dynamic != nil {
		w.dyn = dynamicinformer.NewDynamicSharedInformerFactory(cl.Dynamic, 0)
	}
	if opt.EmitEvents {
		w.announcer = newAnnouncer(cl.Typed, opt.EventsPerMinute, w.metrics, w.logf, w.objectUID)
	}
	if err := w.bind(w.kinds); err != nil {
		return nil, err
	}
	return w, nil
}

// bind creates the informers of kinds and counts their changes.
func (w *Watcher) bind(kinds []*watchedKind) error {
	for _, k := range kinds {
		if err := k.bind(w.typed, w.md, w.dyn); err != nil {
			return fmt.Errorf("watch %s: %w", k.resource.Resource, err)
		}
		if _, err := k.informer.AddEventHandler(w.counting(k)); err != nil {
			return fmt.Errorf("watch %s: %w", k.resource.Resource, err)
		}
	}
	return nil
}

// watchGatewayAPI adds an informer for each Gateway API kind the server
// serves, or notes why there is none.
func (w *Watcher) watchGatewayAPI() error {
	served, err := gatewayKindsServed(w.clients.Typed.Discovery())
	switch {
	case err != nil:
		w.gatewayNotChecked = "not checked: cannot discover the Gateway API: " + source.APIMessage(err)
		return nil
	case len(served) == 0:
		w.gatewayNotServed = source.GatewayAPINotInstalled
		return nil
	case w.dyn == nil:
		w.gatewayNotChecked = "not checked: the watch has no dynamic client for the Gateway API"
		return nil
	}
	kinds := gatewayKinds(served)
	if err := w.bind(kinds); err != nil {
		return err
	}
	w.kinds = append(w.kinds, kinds...)
	return nil
}

// counting counts each change of kind, notes where it happened and asks
// for a diagnosis. The Events the watcher writes itself are counted only:
// they are no reason to diagnose again. An update
// that changes nothing (same resourceVersion) is not a change.
func (w *Watcher) counting(k *watchedKind) cache.ResourceEventHandler {
	kind := k.kind
	// seen handles one change of obj, from prev to cur (nil when the
	// object is new or gone).
	seen := func(change string, obj, prev, cur any) {
		if ownEvent(obj) {
			w.metrics.event(kind, change)
			return
		}
		w.pending.note(kind, prev, cur)
		w.metrics.event(kind, change)
		w.poke()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			k.objects.Add(1)
			seen("ADDED", obj, nil, obj)
		},
		UpdateFunc: func(prev, cur any) {
			if !sameVersion(prev, cur) {
				seen("MODIFIED", cur, prev, cur)
			}
		},
		DeleteFunc: func(obj any) {
			k.objects.Add(-1)
			seen("DELETED", obj, obj, nil)
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
// follows a change, until ctx ends: the namespaces the changes touched when
// they stay in their namespaces, else the whole cluster. A whole diagnosis
// also follows Reconcile after a partial one (see diagnose).
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.watchGatewayAPI(); err != nil {
		return err
	}
	if w.announcer != nil {
		go w.announcer.run(ctx)
	}
	w.typed.Start(ctx.Done())
	w.md.Start(ctx.Done())
	defer w.typed.Shutdown()
	defer w.md.Shutdown()
	if w.dyn != nil {
		w.dyn.Start(ctx.Done())
		defer w.dyn.Shutdown()
	}
	if err := w.waitSettled(ctx); err != nil {
		return err
	}
	// The first diagnosis reads every object the initial lists delivered;
	// their ADDED events need no second one.
	select {
	case <-w.changed:
	default:
	}
	w.pending.take()
	w.diagnoseCluster("first diagnosis", false)
	var reconcile <-chan time.Time
	for {
		if w.partialSince && reconcile == nil {
			reconcile = time.After(w.opt.Reconcile)
		}
		byTimer, err := w.quiet(ctx, reconcile)
		if err != nil {
			return nil
		}
		if byTimer {
			reconcile = nil
		}
		if w.rediagnose(w.pending.take(), byTimer) == scopeCluster {
			reconcile = nil
		}
	}
}

// rediagnose diagnoses what a batch of changes needs: the whole cluster
// when a change reaches beyond its namespace or the reconcile timer fired,
// else the touched namespaces. It returns the scope it diagnosed, "" for
// none.
func (w *Watcher) rediagnose(b batch, byTimer bool) string {
	switch {
	case w.parts == nil && (byTimer || b.wide != "" || len(b.namespaces) > 0):
		// No whole diagnosis was published yet (the first one failed).
		w.diagnoseCluster("no whole diagnosis yet", false)
	case byTimer:
		w.diagnoseCluster("reconcile", b.namespaces == nil && b.wide == "")
	case b.wide != "":
		w.diagnoseCluster(b.wide, false)
	case w.parts.podsCoupled(b.podNodes):
		w.diagnoseCluster("Pod changed while a Node or a Pending pod has findings", false)
	case len(b.namespaces) > 0:
		w.diagnoseNamespaces(b)
		return scopeNamespaces
	default:
		return ""
	}
	return scopeCluster
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
// after maxDelayFactor*Debounce of constant change, or (byTimer) when
// reconcile fires first.
func (w *Watcher) quiet(ctx context.Context, reconcile <-chan time.Time) (byTimer bool, err error) {
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-reconcile:
		return true, nil
	case <-w.changed:
	}
	deadline := time.NewTimer(maxDelayFactor * w.opt.Debounce)
	defer deadline.Stop()
	for {
		settle := time.NewTimer(w.opt.Debounce)
		select {
		case <-ctx.Done():
			settle.Stop()
			return false, ctx.Err()
		case <-w.changed:
			settle.Stop()
		case <-settle.C:
			return false, nil
		case <-deadline.C:
			settle.Stop()
			return false, nil
		}
	}
}

func (w *Watcher) logf(format string, args ...any) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	fmt.Fprintf(w.opt.Log, time.Now().UTC().Format(time.RFC3339)+" "+format+"\n", args...)
}
