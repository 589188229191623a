package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
