package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// SystemNamespace is listed for DNS even when the scan is scoped to another
// namespace: cluster DNS (CoreDNS pods, the kube-dns Service) lives there.
const SystemNamespace = "kube-system"

// DefaultPageSize is the LIST page size of a live scan, the same as kubectl's
// --chunk-size default: big enough that most kinds take one request, small
// enough that a 20k-pod cluster never returns one huge response.
const DefaultPageSize = 500

// DefaultRequestTimeout bounds each request of a scan, body included, unless
// the kubeconfig flags set one (--request-timeout): a server that accepts a
// connection and never answers must not hang the scan.
const DefaultRequestTimeout = 30 * time.Second

// DefaultMaxResponseBytes bounds the body of one LIST response. A page of
// DefaultPageSize objects is a few MiB even for Pods with long status; 256
// MiB leaves room for pages of large ConfigMaps while an endless body ends
// in an error rather than exhausting memory.
const DefaultMaxResponseBytes = 256 << 20

// defaultWorkers bounds how many LISTs run at once. A scan issues about
// twenty lists; running all of them at once would spike API server load on
// big clusters for little gain.
const defaultWorkers = 4

// Live reads a snapshot from a cluster with the kubectl connection flags.
// A full scan makes one paged LIST per kind (plus one per kind for
// kube-system when scoped to another namespace) and no per-object GETs.
// Secrets are listed through the metadata API, so their data never reaches
// this process. Nothing in a scan writes to the cluster.
//
// A kind the user may not list is recorded in Snapshot.Forbidden and the
// rest of the scan goes on; any other failure (no kubeconfig, connection
// refused, bad credentials) ends the scan with an error that says which
// server and which list failed.
//
//	snap, err := source.Live{Flags: flags, AllNamespaces: all}.Load(ctx)
type Live struct {
	// Flags are the kubectl connection flags (--kubeconfig, --context, -n,
	// --as, --request-timeout...). Used when Config is nil.
	Flags *genericclioptions.ConfigFlags
	// Config, when set, reaches the cluster instead of Flags (tests,
	// embedders); the scan adjusts a copy (rate limits, warnings).
	Config *rest.Config
	// Namespace scopes the scan. When empty and AllNamespaces is false, it
	// comes from Flags (-n, then the kubeconfig context), as in kubectl,
	// falling back to "default".
	Namespace string
	// AllNamespaces scans every namespace (-A); Namespace is then ignored.
	AllNamespaces bool
	// PageSize is the LIST limit; DefaultPageSize when zero.
	PageSize int64
	// Workers bounds concurrent LISTs; 4 when zero.
	Workers int
	// Kinds, when set, limits the scan to these kinds (snapshot.Kind*
	// names); the others are not listed and checks that need them say "not
	// checked". A trace sets it to what its path can use (TraceKinds).
	Kinds map[string]bool
	// MaxResponseBytes bounds each response body; DefaultMaxResponseBytes
	// when zero.
	MaxResponseBytes int64
	// Warnings receives the API server's warnings ("Warning: ..." lines,
	// each once), as kubectl prints them; nil drops them. The deprecation
	// warning for v1 Endpoints is never shown: the scan reads Endpoints on
	// purpose, to compare them with EndpointSlices as users see both.
	Warnings io.Writer
}

// NewLiveForConfig returns a Live source that talks to the cluster of cfg,
// scoped to namespace ("" scans all namespaces).
func NewLiveForConfig(cfg *rest.Config, namespace string) Live {
	return Live{Config: cfg, Namespace: namespace, AllNamespaces: namespace == ""}
}

// scope is a resolved Live: the config to dial and the namespace to list
// ("" for all).
type scope struct {
	config    *rest.Config
	namespace string
	server    string
}

func (l Live) resolve() (scope, error) {
	var cfg *rest.Config
	ns := l.Namespace
	switch {
	case l.Config != nil:
		cfg = rest.CopyConfig(l.Config)
	case l.Flags != nil:
		c, err := l.Flags.ToRESTConfig()
		if err != nil {
			return scope{}, fmt.Errorf("read kubeconfig: %w (set --kubeconfig or KUBECONFIG, or use -f to read manifests instead)", err)
		}
		cfg = c
		if ns == "" && !l.AllNamespaces {
			n, _, err := l.Flags.ToRawKubeConfigLoader().Namespace()
			if err != nil {
				return scope{}, fmt.Errorf("read namespace from kubeconfig: %w", err)
			}
			ns = n
		}
	default:
		return scope{}, errors.New("live source: neither Config nor Flags is set")
	}
	if l.AllNamespaces {
		ns = ""
	} else if ns == "" {
		ns = metav1.NamespaceDefault
	}
	// client-go's default of 5 requests/s would make a 20-list scan wait on
	// the client, not the server; the scan is bounded by Workers anyway.
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst == 0 {
		cfg.Burst = 100
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "hopscope"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	limit := l.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return boundedBodies{next: rt, limit: limit} })
	var out rest.WarningHandler = rest.NoWarnings{}
	if l.Warnings != nil {
		out = rest.NewWarningWriter(l.Warnings, rest.WarningWriterOptions{Deduplicate: true})
	}
	cfg.WarningHandler, cfg.WarningHandlerWithContext = warningFilter{next: out}, nil
	return scope{config: cfg, namespace: ns, server: cfg.Host}, nil
}

// listing is one LIST of the scan: a kind in one namespace ("" for all
// namespaces or for a cluster-scoped kind).
type listing struct {
	kind      string
	resource  string
	namespace string
	fetch     fetchFunc
}

// page is one LIST response: its objects (typed, with TypeMeta set) and the
// continue token for the next page.
type page struct {
	objects []any
	next    string
}

// kindList describes how to list one kind; scan turns it into listings.
type kindList struct {
	kind       string
	resource   string
	namespaced bool
	// system is true for kinds the DNS checks need from kube-system even
	// when the scan is scoped to another namespace.
	system bool
	fetch  fetchFunc
}

// Load lists every kind the checks read and returns the indexed snapshot.
func (l Live) Load(ctx context.Context) (*snapshot.Snapshot, error) {
	sc, err := l.resolve()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(sc.config)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", sc.server, err)
	}
	md, err := metadata.NewForConfig(sc.config)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", sc.server, err)
	}
	ks := kinds(cs, md)
	if l.Kinds != nil {
		kept := ks[:0]
		for _, k := range ks {
			if l.Kinds[k.kind] {
				kept = append(kept, k)
			}
		}
		ks = kept
	}
	listings := plan(ks, sc.namespace)
	s := snapshot.New()
	s.Live = true
	if err := l.listInto(ctx, sc, s, listings); err != nil {
		return nil, err
	}
	if err := l.addGatewayAPI(ctx, sc, cs, s); err != nil {
		return nil, err
	}
	if len(s.Listed) == 0 && len(s.Forbidden) > 0 {
		return nil, &NothingListedError{Server: sc.server, NotChecked: s.Forbidden}
	}
	s.Index()
	return s, nil
}

// FollowUp is what a live diagnosis reads after its scan, picked by the
// checks from what the scan holds (package checks decides, the source only
// fetches): the other namespaces that names point into
// (checks.ReferencedNamespaces) and the logs of failing containers
// (checks.LogsToRead). A nil func reads nothing.
type FollowUp struct {
	Namespaces func(*snapshot.Snapshot) []string
	Logs       func(*snapshot.Snapshot) []snapshot.ContainerLog
}

// LoadAndFollow is Load, then FollowReferences into the namespaces
// f.Namespaces names, then ReadLogs of the logs f.Logs wants, picked after
// the references were followed: every request bounded, nothing written.
// f.Logs is asked a second time once the first logs are in, for what they
// implicate (CoreDNS's log when a crash's log shows lookups timing out);
// a log already read is not read again.
func (l Live) LoadAndFollow(ctx context.Context, f FollowUp) (*snapshot.Snapshot, error) {
	s, err := l.Load(ctx)
	if err != nil {
		return nil, err
	}
	if f.Namespaces != nil {
		if err := l.FollowReferences(ctx, s, f.Namespaces(s)); err != nil {
			return nil, err
		}
	}
	for round := 0; f.Logs != nil && round < 2; round++ {
		wanted := slices.DeleteFunc(f.Logs(s), func(w snapshot.ContainerLog) bool {
			return slices.ContainsFunc(s.Logs, func(had snapshot.ContainerLog) bool {
				return had.Namespace == w.Namespace && had.Pod == w.Pod && had.Container == w.Container && had.Previous == w.Previous
			})
		})
		if len(wanted) == 0 {
			break
		}
		if err := l.ReadLogs(ctx, s, wanted); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NothingListedError is a scan in which no kind could be listed: every LIST
// was forbidden or not served. Reporting such a cluster as healthy would
// be a lie; the CLI exits 2.
type NothingListedError struct {
	Server string
	// NotChecked says why each listing failed, keyed as
	// Snapshot.Forbidden is.
	NotChecked map[string]string
}

func (e *NothingListedError) Error() string {
	keys := make([]string, 0, len(e.NotChecked))
	for k := range e.NotChecked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	first := keys[0] + ": " + e.NotChecked[keys[0]]
	return fmt.Sprintf("no kind could be listed from %s (%d lists refused; %s): check the kubeconfig's user and its RBAC permissions (kubectl auth can-i list pods)", e.Server, len(keys), first)
}

// boundedBodies fails a response body that goes on past limit bytes.
type boundedBodies struct {
	next  http.RoundTripper
	limit int64
}

func (b boundedBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &boundedBody{body: resp.Body, left: b.limit, limit: b.limit, host: req.URL.Host}
	return resp, nil
}

// WrappedRoundTripper lets client-go reach the transport below, to cancel
// a request that timed out.
func (b boundedBodies) WrappedRoundTripper() http.RoundTripper { return b.next }

type boundedBody struct {
	body        io.ReadCloser
	left, limit int64
	host        string
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Read one byte more to tell a body of exactly limit bytes from a
		// longer one.
		var one [1]byte
		n, err := b.body.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("response from %s is larger than %s: hopscope stops reading it", b.host, mib(b.limit))
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }

// plan expands kinds into the LISTs of a scan of namespace ns ("" = all).
func plan(ks []kindList, ns string) []listing {
	var out []listing
	for _, k := range ks {
		switch {
		case !k.namespaced:
			out = append(out, listing{kind: k.kind, resource: k.resource, fetch: k.fetch})
		default:
			out = append(out, listing{kind: k.kind, resource: k.resource, namespace: ns, fetch: k.fetch})
			if k.system && ns != "" && ns != SystemNamespace {
				out = append(out, listing{kind: k.kind, resource: k.resource, namespace: SystemNamespace, fetch: k.fetch})
			}
		}
	}
	return out
}

// result is what one listing produced: objects, or why it was not checked.
type result struct {
	objects    []any
	notChecked string
}

// listInto performs the listings and adds what they return to s, marking
// each kind listed or, with the reason, not checked.
func (l Live) listInto(ctx context.Context, sc scope, s *snapshot.Snapshot, listings []listing) error {
	results, err := l.run(ctx, sc, listings)
	if err != nil {
		return err
	}
	for i, r := range results {
		li := listings[i]
		// A namespaced list is keyed by its namespace, so a forbidden
		// kube-system list (for DNS) never hides the scanned namespace.
		key := li.kind
		if li.namespace != "" {
			key = li.kind + "/" + li.namespace
		}
		if r.notChecked != "" {
			s.Forbidden[key] = r.notChecked
			continue
		}
		s.Listed[key] = true
		for _, obj := range r.objects {
			if err := s.Add(obj, snapshot.Origin{}); err != nil {
				return fmt.Errorf("list %s: %w", li.resource, err)
			}
		}
	}
	return nil
}

// run performs the listings with at most Workers in flight. The first hard
// error cancels the others; results keep the listings' order so snapshots
// are deterministic.
func (l Live) run(ctx context.Context, sc scope, listings []listing) ([]result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := l.Workers
	if workers <= 0 {
		workers = defaultWorkers
	}
	pageSize := l.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	results := make([]result, len(listings))
	errs := make([]error, len(listings))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range listings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i], errs[i] = listAll(ctx, listings[i], pageSize)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Report the error that caused the others: a listing that failed on its
	// own beats one that only saw the cancellation.
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if apierrors.IsUnauthorized(err) {
			err = fmt.Errorf("%w: the API server rejected the kubeconfig's credentials (expired token or certificate?)", err)
		}
		err = fmt.Errorf("list %s%s from %s: %w", listings[i].resource, inNamespace(listings[i].namespace), sc.server, err)
		if !errors.Is(err, context.Canceled) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}

// warningFilter drops the API server's deprecation warning for v1
// Endpoints and passes every other warning on.
type warningFilter struct{ next rest.WarningHandler }

func (f warningFilter) HandleWarningHeader(code int, agent, message string) {
	if strings.Contains(message, "v1 Endpoints is deprecated") {
		return
	}
	f.next.HandleWarningHeader(code, agent, message)
}

func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}

// listAll follows continue tokens to the end of one listing. A Forbidden or
// NotFound (the API server does not serve the kind) answer is not an error:
// the kind is reported as not checked and the scan goes on.
func listAll(ctx context.Context, li listing, pageSize int64) (result, error) {
	var r result
	opts := metav1.ListOptions{Limit: pageSize}
	restarted := false
	for {
		p, err := li.fetch(ctx, li.namespace, opts)
		switch {
		case err == nil:
		case NotListedReason(err) != "":
			return result{notChecked: NotListedReason(err)}, nil
		case apierrors.IsResourceExpired(err) && opts.Continue != "" && !restarted:
			// The continue token outlived etcd's compaction window (a very
			// slow scan); start this kind over once rather than fail.
			restarted = true
			r = result{}
			opts.Continue = ""
			continue
		default:
			return result{}, err
		}
		r.objects = append(r.objects, p.objects...)
		if p.next == "" {
			return r, nil
		}
		opts.Continue = p.next
	}
}

// NotListedReason says why a LIST that failed with err leaves its kind not
// checked rather than failing: "forbidden: ..." when the user may not list
// it, "not served by this API server: ..." when the server does not serve
// it; "" for any other error. A watch records the same reasons as a scan.
func NotListedReason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden: " + APIMessage(err)
	case apierrors.IsNotFound(err):
		return "not served by this API server: " + APIMessage(err)
	}
	return ""
}

// APIMessage is the API server's message in err, or err's text when the
// error carries no status: what a "not checked" note quotes.
func APIMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Message != "" {
		return st.Status().Message
	}
	return err.Error()
}

// fetchFunc performs one LIST request of a listing.
type fetchFunc func(ctx context.Context, ns string, opts metav1.ListOptions) (page, error)

// typedList lists resource, through the REST client of its group, into
// the typed list of gvk's kind: the same request the clientset's List
// method makes. ns "" lists every namespace, or a cluster-scoped resource.
func typedList(client func() rest.Interface, resource string, gvk schema.GroupVersionKind) fetchFunc {
	return func(ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
		list, err := scheme.Scheme.New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err != nil {
			return page{}, fmt.Errorf("read %s list: %w", gvk.Kind, err)
		}
		err = client().Get().NamespaceIfScoped(ns, ns != "").Resource(resource).
			VersionedParams(&o, scheme.ParameterCodec).Do(ctx).Into(list)
		if err != nil {
			return page{}, err
		}
		return listPage(list, gvk)
	}
}

// metadataList lists resource through the metadata API, which answers
// with PartialObjectMetadata.
func metadataList(md metadata.Interface, resource schema.GroupVersionResource, gvk schema.GroupVersionKind) fetchFunc {
	return func(ctx context.Context, ns string, o metav1.ListOptions) (page, error) {
		l, err := md.Resource(resource).Namespace(ns).List(ctx, o)
		if err != nil {
			return page{}, err
		}
		return listPage(l, gvk)
	}
}

// listPage turns one list response into a page, stamping each item with
// its kind: list responses leave TypeMeta empty on items.
func listPage(list runtime.Object, gvk schema.GroupVersionKind) (page, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return page{}, fmt.Errorf("read %s list: %w", gvk.Kind, err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return page{}, fmt.Errorf("read %s list: %w", gvk.Kind, err)
	}
	p := page{objects: make([]any, 0, len(items)), next: lm.GetContinue()}
	for _, obj := range items {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		p.objects = append(p.objects, obj)
	}
	return p, nil
}

// TraceKinds is what a trace of entries reads: the Service layers and what
// the pods below need (owners for fixes, nodes, policies and the namespaces
// their selectors name, Events as evidence), plus Ingresses, their classes
// and TLS Secrets' metadata only when an entry starts at an Ingress (an
// ingress/NAME or a URL). ConfigMaps, Jobs and CronJobs are never on a
// traced path and are not read.
func TraceKinds(entries []string) map[string]bool {
	out := map[string]bool{}
	for _, k := range []string{
		snapshot.KindService, snapshot.KindEndpoints, snapshot.KindEndpointSlice, snapshot.KindPod,
		snapshot.KindNetworkPolicy, snapshot.KindNamespace, snapshot.KindNode, snapshot.KindEvent,
		snapshot.KindDeployment, snapshot.KindReplicaSet, snapshot.KindStatefulSet, snapshot.KindDaemonSet,
		snapshot.KindReplicationController,
	} {
		out[k] = true
	}
	for _, e := range entries {
		lower := strings.ToLower(e)
		if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") ||
			strings.HasPrefix(lower, "ingress/") || strings.HasPrefix(lower, "ingresses/") || strings.HasPrefix(lower, "ing/") {
			out[snapshot.KindIngress] = true
			out[snapshot.KindIngressClass] = true
			out[snapshot.KindSecret] = true
		}
		addGatewayTraceKinds(out, lower)
	}
	return out
}
