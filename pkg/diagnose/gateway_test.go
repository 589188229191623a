package diagnose_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/manifesttest"
	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// Gateway API paths walk Gateway → route → Service → Endpoints → Pod, the
// way Ingress paths do, and a URL picks the listener and route rule a
// Gateway would.

// gatewayCase returns the manifest testdata/gateway/name, for a test to load
// with loadYAML as it stands or with objects appended to its List.
func gatewayCase(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gateway", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func loadYAML(t *testing.T, doc string) *snapshot.Snapshot {
	t.Helper()
	return manifesttest.Snapshot(t, "test.yaml", []byte(doc))
}

func run(t *testing.T, s *snapshot.Snapshot, opt diagnose.Options) (*diagnose.Result, error) {
	t.Helper()
	return diagnose.Engine{Checks: checks.All()}.Run(s, opt)
}

func layersOf(tr diagnose.Trace) string {
	var out []string
	for _, h := range tr.Hops {
		out = append(out, string(h.Layer)+":"+string(h.Status))
	}
	return strings.Join(out, " ")
}

// entriesOf lists the entry of every path res walked, for a failure
// message.
func entriesOf(res *diagnose.Result) []string {
	var entries []string
	for _, tr := range res.Traces {
		entries = append(entries, tr.Entry)
	}
	return entries
}

// urlRule is one URL and the route rule a Gateway picks for it, named by
// the rule's backend Service and the listener the request comes through.
type urlRule struct {
	name, url, method string
	headers           map[string]string
	backend, listener string
}

// urlRules reads the want lines of testdata/gateway/file, each
// "name | [method] url [header=value ...] | backend | listener", so that a
// reader sees the competing routes next to the requests they must serve.
func urlRules(t *testing.T, file string) []urlRule {
	t.Helper()
	var rules []urlRule
	for _, line := range manifesttest.WantLines(t, filepath.Join("testdata", "gateway", file)) {
		cells := strings.Split(line, "|")
		if len(cells) != 4 {
			t.Fatalf("%s: want line %q is not name | request | backend | listener", file, line)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		r := urlRule{name: cells[0], backend: cells[2], listener: cells[3]}
		for _, word := range strings.Fields(cells[1]) {
			name, value, isHeader := strings.Cut(word, "=")
			switch {
			case strings.Contains(word, "://"):
				r.url = word
			case isHeader:
				if r.headers == nil {
					r.headers = map[string]string{}
				}
				r.headers[name] = value
			default:
				r.method = word
			}
		}
		if r.url == "" {
			t.Fatalf("%s: want line %q names no URL", file, line)
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no want lines", file)
	}
	return rules
}

// wantURLRules loads testdata/gateway/file, traces the URL of each of its
// want lines and checks the listener and backend of the rule it picked;
// unless routeKind is "", every pick must also be a route of that kind. It
// returns the loaded snapshot for the test's other requests.
func wantURLRules(t *testing.T, file, routeKind string) *snapshot.Snapshot {
	t.Helper()
	s := loadYAML(t, gatewayCase(t, file))
	for _, c := range urlRules(t, file) {
		t.Run(c.name, func(t *testing.T) {
			res, err := run(t, s, diagnose.Options{Entries: []string{c.url}, Method: c.method, Headers: c.headers})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Traces) != 1 {
				t.Fatalf("%d traces", len(res.Traces))
			}
			tr := res.Traces[0]
			if !strings.Contains(tr.Entry, "→ Service/shop/"+c.backend+":") {
				t.Errorf("entry %q, want backend %s", tr.Entry, c.backend)
			}
			if !strings.Contains(tr.Hops[0].Reason, `listener "`+c.listener+`"`) {
				t.Errorf("gateway hop %q, want listener %s", tr.Hops[0].Reason, c.listener)
			}
			if routeKind != "" && !strings.HasPrefix(tr.Entry, routeKind+"/") {
				t.Errorf("entry %q, want a %s", tr.Entry, routeKind)
			}
		})
	}
	return s
}

// wantSoleTrace traces url over s and checks that exactly one path serves
// it and that match (strings.HasPrefix or strings.Contains) holds for its
// entry and entry; what names the case.
func wantSoleTrace(t *testing.T, s *snapshot.Snapshot, what, url string, match func(string, string) bool, entry string) {
	t.Helper()
	res, err := run(t, s, diagnose.Options{Entries: []string{url}})
	if err != nil || len(res.Traces) != 1 || !match(res.Traces[0].Entry, entry) {
		t.Errorf("%s: %v %+v", what, err, res)
	}
}

// wantEntryError traces opt and checks that its entry point is refused for
// the reason why; what names the case.
func wantEntryError(t *testing.T, s *snapshot.Snapshot, what string, opt diagnose.Options, why string) {
	t.Helper()
	_, err := run(t, s, opt)
	var ee *diagnose.EntryError
	if !errors.As(err, &ee) || !strings.Contains(ee.Why, why) {
		t.Errorf("%s: %v, want an entry error saying %q", what, err, why)
	}
}

func TestGatewayPathWalksDownToThePods(t *testing.T) {
	res, err := run(t, loadYAML(t, gatewayCase(t, "shop-crashloop.yaml")), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 1 {
		t.Fatalf("want one path (the Service behind the route is not walked again), got %v", entriesOf(res))
	}
	tr := res.Traces[0]
	if !strings.HasPrefix(tr.Entry, "HTTPRoute/shop/store via Gateway/infra/eg shop.example.com/ → Service/shop/store:80") {
		t.Errorf("entry %q", tr.Entry)
	}
	// Manifests hold no Endpoints: that hop cannot be judged.
	want := "gateway:affected route:affected service:affected endpoints:not checked pod:affected container:broken"
	if got := layersOf(tr); got != want {
		t.Errorf("hops %s\nwant %s", got, want)
	}
	if tr.Status != diagnose.TraceBroken || !strings.HasPrefix(tr.RootCause, "container-crashloop ") {
		t.Errorf("status %s, root cause %q", tr.Status, tr.RootCause)
	}
	if f := res.Findings[0]; f.Path[0] != "Gateway/infra/eg" || f.Path[1] != "HTTPRoute/shop/store" {
		t.Errorf("the root cause's path starts at the Gateway: %v", f.Path)
	}
}

func TestNamedGatewayAndRouteEntries(t *testing.T) {
	s := loadYAML(t, gatewayCase(t, "shop-crashloop.yaml"))
	for _, c := range []struct{ entry, ns string }{{"gateway/eg", "infra"}, {"httproute/store", "shop"}, {"HTTPRoutes/store", "shop"}} {
		res, err := run(t, s, diagnose.Options{Entries: []string{c.entry}, Namespace: c.ns})
		if err != nil {
			t.Fatalf("%s: %v", c.entry, err)
		}
		if len(res.Traces) != 1 || res.Traces[0].Hops[0].Layer != diagnose.LayerGateway {
			t.Errorf("%s: traces %+v", c.entry, res.Traces)
		}
	}
	wantEntryError(t, s, "a route in another namespace", diagnose.Options{Entries: []string{"httproute/store"}, Namespace: "default"}, "exists in namespace shop")
	wantEntryError(t, s, "a Gateway in another namespace", diagnose.Options{Entries: []string{"gateway/eg"}, Namespace: "shop"}, "add -n infra")
}

func TestTraceURLFollowsGatewayAPIPrecedence(t *testing.T) {
	s := wantURLRules(t, "http-precedence.yaml", "")
	// Path prefixes match whole segments: /api does not serve /apiary, and
	// nothing else does either.
	wantEntryError(t, s, "/apiary", diagnose.Options{Entries: []string{"http://shop.example.com/apiary"}}, "answers 404")
	wantEntryError(t, s, "port 9090", diagnose.Options{Entries: []string{"http://shop.example.com:9090/"}}, "no Gateway listener")
}

func TestURLServedByIngressAndGatewayTracesBoth(t *testing.T) {
	doc := gatewayCase(t, "shop-crashloop.yaml") + `
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: legacy, namespace: shop}
  spec:
    rules:
    - host: shop.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: store, port: {number: 80}}}}]}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: catch-all, namespace: other}
  spec:
    defaultBackend: {service: {name: fallback, port: {number: 80}}}
`
	res, err := run(t, loadYAML(t, doc), diagnose.Options{Entries: []string{"http://shop.example.com/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Traces) != 2 || !strings.HasPrefix(res.Traces[0].Entry, "Ingress/shop/legacy") || !strings.HasPrefix(res.Traces[1].Entry, "HTTPRoute/shop/store") {
		t.Errorf("a migration in progress: the Ingress rule and the route both serve the URL: %v", entriesOf(res))
	}
	// No route serves www.shop.example.com: the Ingress default backend
	// does.
	wantSoleTrace(t, loadYAML(t, doc), "www.shop.example.com", "http://www.shop.example.com/", strings.HasPrefix, "Ingress/other/catch-all")
	// A route does serve shop.example.com/x: the default backend gives way.
	doc = strings.Replace(doc, "host: shop.example.com", "host: legacy.example.com", 1)
	wantSoleTrace(t, loadYAML(t, doc), "shop.example.com/x", "http://shop.example.com/x", strings.HasPrefix, "HTTPRoute/shop/store")
}

// TestListenerFindingsBreakOnlyTheirListener: the https listener's
// certificate is missing; the route on the http listener still works.
func TestListenerFindingsBreakOnlyTheirListener(t *testing.T) {
	doc := gatewayCase(t, "listener-certificate-missing.yaml")
	res, err := run(t, loadYAML(t, doc), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]diagnose.HopStatus{}
	for _, tr := range res.Traces {
		if len(tr.Hops) > 1 {
			status[tr.Hops[1].Object.Name] = tr.Hops[0].Status
		}
	}
	if status["plain"] == diagnose.StatusBroken || status["secure"] != diagnose.StatusBroken {
		t.Errorf("gateway hop per route: %v", status)
	}
}

// TestRouteFindingBreaksOnlyItsParent: a route attached to two Gateways,
// accepted by one and rejected by the other.
func TestRouteFindingBreaksOnlyItsParent(t *testing.T) {
	doc := gatewayCase(t, "route-two-parents.yaml")
	res, err := run(t, loadYAML(t, doc), diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string]bool{}
	for _, tr := range res.Traces {
		broken[tr.Hops[0].Object.Name] = tr.Status == diagnose.TraceBroken
	}
	if !broken["internal"] || broken["public"] {
		t.Errorf("broken by Gateway: %v", broken)
	}
	if len(res.Findings) != 1 || res.Findings[0].Check != "route-not-allowed" || res.Findings[0].Affects[0].Name != "internal" {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestGatewayAPINotInstalledIsANote: a live cluster without the Gateway API
// CRDs diagnoses without error; the summary says the layer was not checked,
// and a trace of a Gateway says why there is none.
func TestGatewayAPINotInstalledIsANote(t *testing.T) {
	s := snapshot.New()
	s.Live = true
	s.NotServed[snapshot.GatewayGroup] = "Gateway API: not checked: the Gateway API is not installed"
	s.Index()
	res, err := run(t, s, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxSeverity() != "" || !strings.Contains(strings.Join(res.Summary.NotChecked, "\n"), "Gateway API is not installed") {
		t.Errorf("findings %v, not checked %v", res.Findings, res.Summary.NotChecked)
	}
	wantEntryError(t, s, "trace gateway/eg", diagnose.Options{Entries: []string{"gateway/eg"}, Namespace: "infra"}, "not installed")
}
