package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// The live source is tested against a real API server in the testenv
// module; these tests cover the logic that needs no server: which
// namespace a scan covers, which LISTs it plans, and how one LIST's pages
// and errors are handled.

func TestLiveResolvesNamespaceLikeKubectl(t *testing.T) {
	flags := func(ns string) *genericclioptions.ConfigFlags {
		f := genericclioptions.NewConfigFlags(false)
		path := "testdata/live/kubeconfig.yaml"
		f.KubeConfig = &path
		f.Namespace = &ns
		return f
	}
	cases := []struct {
		name string
		live Live
		want string
	}{
		{"context namespace", Live{Flags: flags("")}, "shop"},
		{"-n wins over the context", Live{Flags: flags("payments")}, "payments"},
		{"-A scans everything", Live{Flags: flags("payments"), AllNamespaces: true}, ""},
		{"explicit Namespace", Live{Flags: flags(""), Namespace: "ops"}, "ops"},
		{"config without namespace", Live{Config: &rest.Config{Host: "https://127.0.0.1:6443"}}, "default"},
		{"config for all namespaces", NewLiveForConfig(&rest.Config{Host: "https://127.0.0.1:6443"}, ""), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := c.live.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if sc.namespace != c.want {
				t.Errorf("namespace = %q, want %q", sc.namespace, c.want)
			}
			if sc.config.QPS < 50 || sc.config.WarningHandler == nil {
				t.Errorf("config not prepared for a scan: QPS %v, warning handler %v", sc.config.QPS, sc.config.WarningHandler)
			}
		})
	}
}

func TestLiveNamesAMissingKubeconfig(t *testing.T) {
	f := genericclioptions.NewConfigFlags(false)
	path := "testdata/live/does-not-exist.yaml"
	f.KubeConfig = &path
	_, err := Live{Flags: f}.resolve()
	if err == nil || !strings.Contains(err.Error(), "read kubeconfig") || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Fatalf("err = %v, want it to say the kubeconfig could not be read and name the file", err)
	}
}

func TestPlanListsKubeSystemForDNSOnlyWhenScoped(t *testing.T) {
	ks := kinds(nil, nil)
	count := func(ls []listing, ns string) int {
		n := 0
		for _, l := range ls {
			if l.namespace == ns {
				n++
			}
		}
		return n
	}
	cases := []struct {
		ns                      string
		total, inNS, kubeSystem int
	}{
		// 3 cluster-scoped kinds are listed with namespace "".
		{ns: "", total: 19, inNS: 19, kubeSystem: 0},
		{ns: "shop", total: 25, inNS: 16, kubeSystem: 6},
		{ns: "kube-system", total: 19, inNS: 16, kubeSystem: 16},
	}
	for _, c := range cases {
		ls := plan(ks, c.ns)
		if len(ls) != c.total || count(ls, c.ns) != c.inNS || (c.ns != "kube-system" && count(ls, SystemNamespace) != c.kubeSystem) {
			t.Errorf("plan(%q): %d listings, %d in %q, %d in kube-system; want %d, %d, %d",
				c.ns, len(ls), count(ls, c.ns), c.ns, count(ls, SystemNamespace), c.total, c.inNS, c.kubeSystem)
		}
	}
}

// pager fakes one kind's LIST: pages of names, and an error to return on a
// given call.
type pager struct {
	pages   [][]string
	failAt  int
	failErr error
	calls   []string // continue tokens seen
}

func (p *pager) fetch(_ context.Context, _ string, o metav1.ListOptions) (page, error) {
	p.calls = append(p.calls, o.Continue)
	if p.failErr != nil && len(p.calls)-1 == p.failAt {
		return page{}, p.failErr
	}
	i := 0
	if o.Continue != "" {
		fmt.Sscanf(o.Continue, "page-%d", &i)
	}
	var pg page
	for _, n := range p.pages[i] {
		pg.objects = append(pg.objects, n)
	}
	if i+1 < len(p.pages) {
		pg.next = fmt.Sprintf("page-%d", i+1)
	}
	return pg, nil
}

func TestListAllFollowsPagesAndClassifiesErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	cases := []struct {
		name       string
		p          *pager
		want       string // objects joined
		notChecked string // prefix
		err        bool
		calls      int
	}{
		{name: "one page", p: &pager{pages: [][]string{{"a", "b"}}}, want: "a b", calls: 1},
		{name: "three pages", p: &pager{pages: [][]string{{"a"}, {"b"}, {"c"}}}, want: "a b c", calls: 3},
		{name: "forbidden", p: &pager{pages: [][]string{{"a"}}, failErr: apierrors.NewForbidden(gr, "", errors.New("RBAC: no")), failAt: 0},
			notChecked: "forbidden: ", calls: 1},
		{name: "not served", p: &pager{pages: [][]string{{"a"}}, failErr: apierrors.NewNotFound(gr, ""), failAt: 0},
			notChecked: "not served by this API server: ", calls: 1},
		{name: "continue token expired restarts once", p: &pager{pages: [][]string{{"a"}, {"b"}}, failErr: apierrors.NewResourceExpired("too old"), failAt: 1},
			want: "a b", calls: 4},
		{name: "server down", p: &pager{pages: [][]string{{"a"}}, failErr: errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"), failAt: 0},
			err: true, calls: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := listAll(context.Background(), listing{kind: "Pod", resource: "pods", fetch: c.p.fetch}, 500)
			if (err != nil) != c.err {
				t.Fatalf("err = %v, want error %v", err, c.err)
			}
			var got []string
			for _, o := range r.objects {
				got = append(got, o.(string))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("objects = %v, want %q", got, c.want)
			}
			if !strings.HasPrefix(r.notChecked, c.notChecked) || (c.notChecked == "") != (r.notChecked == "") {
				t.Errorf("notChecked = %q, want prefix %q", r.notChecked, c.notChecked)
			}
			if len(c.p.calls) != c.calls {
				t.Errorf("%d requests (continue tokens %q), want %d", len(c.p.calls), c.p.calls, c.calls)
			}
		})
	}
}

// TestScanStopsOnCancel: Ctrl-C cancels the context; every LIST in flight
// must return and the scan must report the cancellation, not hang.
func TestScanStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	blocked := func(ctx context.Context, _ string, _ metav1.ListOptions) (page, error) {
		<-ctx.Done()
		return page{}, ctx.Err()
	}
	var ls []listing
	for i := 0; i < 10; i++ {
		ls = append(ls, listing{kind: "Pod", resource: "pods", namespace: fmt.Sprint("ns", i), fetch: blocked})
	}
	done := make(chan error, 1)
	go func() {
		_, err := Live{}.run(ctx, scope{server: "https://127.0.0.1:6443"}, ls)
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "list pods in namespace ns") {
		t.Fatalf("err = %v, want the cancellation, naming the list", err)
	}
}

// apiServer answers a scan's LISTs as an API server would: an empty list
// of the right kind for every resource, and what answer gives for the
// others. Only the transport is real here: the scan's logic against a real
// API server is tested in the testenv module.
func apiServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, resource string) bool) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		resource := segs[len(segs)-1]
		if answer != nil && answer(w, r, resource) {
			return
		}
		if r.URL.Path == "/apis" {
			// Discovery, asked once for the Gateway API: none served.
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
			return
		}
		apiVersion := "v1"
		if segs[0] == "apis" {
			apiVersion = segs[1] + "/" + segs[2]
		}
		kind := resourceKinds[resource].kind + "List"
		if strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadataList") {
			apiVersion, kind = "meta.k8s.io/v1", "PartialObjectMetadataList"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"kind":%q,"apiVersion":%q,"metadata":{},"items":[]}`, kind, apiVersion)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

func TestLiveScanReadsTypedLists(t *testing.T) {
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request, resource string) bool {
		if resource != "pods" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"web-1","namespace":"shop"},"spec":{"containers":[{"name":"web","image":"nginx"}]}}]}`)
		return true
	})
	s, err := NewLiveForConfig(cfg, "").Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != 1 || s.Pods[0].Name != "web-1" || s.Pods[0].Kind != "Pod" || s.Pods[0].APIVersion != "v1" {
		t.Fatalf("pods %+v", s.Pods)
	}
	if len(s.Listed) != 19 || len(s.Forbidden) != 0 {
		t.Errorf("listed %d kinds, forbidden %v", len(s.Listed), s.Forbidden)
	}
}

func TestLiveScanWithNothingListedIsAnError(t *testing.T) {
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request, resource string) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"%s is forbidden: User \"dev\" cannot list resource \"%s\""}`, resource, resource)
		return true
	})
	_, err := NewLiveForConfig(cfg, "shop").Load(context.Background())
	var nothing *NothingListedError
	if !errors.As(err, &nothing) || len(nothing.NotChecked) == 0 || !strings.Contains(err.Error(), "no kind could be listed") || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("err = %v, want a NothingListedError", err)
	}
	// One kind listed is a partial scan, not an error.
	cfg = apiServer(t, func(w http.ResponseWriter, r *http.Request, resource string) bool {
		if resource == "pods" {
			return false
		}
		w.WriteHeader(http.StatusForbidden)
		return true
	})
	if _, err := NewLiveForConfig(cfg, "shop").Load(context.Background()); err != nil {
		t.Fatalf("a scan that listed pods failed: %v", err)
	}
}

func TestLiveRequestsTimeOut(t *testing.T) {
	if sc, err := (Live{Config: &rest.Config{Host: "https://127.0.0.1:6443"}}).resolve(); err != nil || sc.config.Timeout != DefaultRequestTimeout {
		t.Fatalf("timeout %v (%v), want the default %v", sc.config.Timeout, err, DefaultRequestTimeout)
	}
	if sc, _ := (Live{Config: &rest.Config{Host: "https://127.0.0.1:6443", Timeout: time.Minute}}).resolve(); sc.config.Timeout != time.Minute {
		t.Fatalf("timeout %v, want the one the config set", sc.config.Timeout)
	}
	release := make(chan struct{})
	defer close(release)
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request, resource string) bool {
		// Accept the request and never answer.
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	cfg.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := NewLiveForConfig(cfg, "").Load(context.Background())
	if err == nil || time.Since(start) > 20*time.Second {
		t.Fatalf("err = %v after %v, want a timeout", err, time.Since(start))
	}
}

func TestLiveResponseBodyIsBounded(t *testing.T) {
	cfg := apiServer(t, func(w http.ResponseWriter, r *http.Request, resource string) bool {
		if resource != "pods" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[`)
		item := []byte(`{"metadata":{"name":"p"}},`)
		for r.Context().Err() == nil {
			if _, err := w.Write(bytes.Repeat(item, 1000)); err != nil {
				break
			}
		}
		return true
	})
	live := NewLiveForConfig(cfg, "")
	live.MaxResponseBytes = 1 << 20
	_, err := live.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") || !strings.Contains(err.Error(), "list pods") {
		t.Fatalf("err = %v, want the response refused as too large", err)
	}
}
