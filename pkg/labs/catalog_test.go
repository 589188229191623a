package labs

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

// TestCatalogLoads holds the embedded catalog to its contract: it parses,
// every lab is complete (validateLab), IDs and slugs are unique, and the
// seed article's five labs plus the incidents the project promised are all
// there.
func TestCatalogLoads(t *testing.T) {
	all := loadCatalog(t)
	if len(all) < 12 {
		t.Fatalf("catalog has %d labs, want at least 12", len(all))
	}
	seeds := map[int]bool{}
	checksUsed := map[string]bool{}
	for _, l := range all {
		seeds[l.SeedLab] = true
		checksUsed[l.Expect.Check] = true
	}
	for n := 1; n <= 5; n++ {
		if !seeds[n] {
			t.Errorf("no lab comes from the seed article's lab %d", n)
		}
	}
	// One lab per incident the issue names, told apart by the check that
	// must find it.
	for _, id := range []string{
		"service-selector-matches-no-pods", "exposure-nodeport", "service-target-port-missing",
		"ingress-backend-service-missing", "dns-coredns-unavailable", "dns-name-unresolvable",
		"pod-readiness-probe-port", "ingress-class-missing", "ingress-tls-secret-missing",
		"netpol-blocks-ingress-controller", "netpol-egress-blocks-dns", "exposure-local-traffic-policy",
		// The Gateway API path, listener → route → backendRef → Service.
		"route-parent-missing", "route-not-allowed", "route-backend-not-permitted", "route-hostname-mismatch",
		"route-backend-port-missing", "route-backend-weights-zero",
		// The Gateway's own listeners, judged from the spec: a missing
		// certificate Secret, and one in another namespace without a grant.
		"gateway-tls-certificate-missing", "gateway-certificate-ref-not-permitted",
	} {
		if !checksUsed[id] {
			t.Errorf("no lab expects check %s", id)
		}
	}
}

// TestExpectedChecksExist makes a renamed or removed check fail here rather
// than in a learner's `lab check`, and keeps each lab's layer the one its
// check reports at.
func TestExpectedChecksExist(t *testing.T) {
	all := loadCatalog(t)
	for _, l := range all {
		if l.Expect.Probe != "" {
			continue // a probe, not a check: validateLab holds it to a level-0 test
		}
		c := checks.ByID(l.Expect.Check)
		if c == nil {
			t.Errorf("lab %s expects check %q, which is not registered", l.ID, l.Expect.Check)
			continue
		}
		// container-log-failure reports a crash at the hop its log line
		// names: a lookup that fails is a DNS finding.
		movesLayer := c.ID == "container-log-failure" && l.NeedsLogs()
		if string(c.Layer) != l.Layer && !movesLayer {
			t.Errorf("lab %s says its fault is at the %s layer, but %s reports at the %s layer", l.ID, l.Layer, c.ID, c.Layer)
		}
		for _, tol := range l.Tolerate {
			if checks.ByID(tol.Check) == nil {
				t.Errorf("lab %s tolerates check %q, which is not registered", l.ID, tol.Check)
			}
		}
	}
}

// TestSeedBroken gives the demo the seed labs' broken manifests in their own
// namespaces, and nothing the demo could not diagnose offline.
func TestSeedBroken(t *testing.T) {
	files, err := SeedBroken()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if !strings.HasPrefix(f.Namespace, NamespacePrefix) || len(f.Data) == 0 {
			t.Errorf("%s: namespace %q, %d bytes", f.Name, f.Namespace, len(f.Data))
		}
		seen[strings.SplitN(f.Name, "-", 3)[1]] = true
	}
	for _, id := range []string{"1", "2", "3", "4"} {
		if !seen[id] {
			t.Errorf("SeedBroken lacks lab %s (have %v)", id, seen)
		}
	}
	if seen["5"] {
		t.Errorf("SeedBroken holds lab 5, whose fault cannot be seen offline")
	}
}

// TestValidateRejects feeds broken lab folders to the loader: each must be
// refused with a message naming the problem.
func TestValidateRejects(t *testing.T) {
	good, err := catalogFS.ReadFile("catalog/01-clusterip-selector/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	goodBroken, _ := catalogFS.ReadFile("catalog/01-clusterip-selector/broken/api.yaml")
	goodFix, _ := catalogFS.ReadFile("catalog/01-clusterip-selector/fix/api.yaml")
	cases := []struct {
		name  string
		edit  func(files fstest.MapFS)
		error string
	}{
		{"unknown field", func(f fstest.MapFS) { f["c/x/lab.yaml"].Data = append(f["c/x/lab.yaml"].Data, "colour: red\n"...) }, "unknown field"},
		{"no hints", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = []byte(strings.Replace(string(f["c/x/lab.yaml"].Data), "hints:", "oldHints:", 1))
		}, "unknown field"},
		{"namespace in manifest", func(f fstest.MapFS) {
			f["c/x/broken/api.yaml"].Data = []byte(strings.Replace(string(goodBroken), "  name: api-svc\n", "  name: api-svc\n  namespace: default\n", 1))
		}, "namespace-less"},
		{"cluster-scoped kind", func(f fstest.MapFS) {
			f["c/x/broken/ns.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n")}
		}, "cluster-scoped"},
		{"foreign namespace in a command", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = []byte(strings.Replace(string(f["c/x/lab.yaml"].Data), "-n hopscope-lab-1 --show-labels", "-n production --show-labels", 1))
		}, "does not own"},
		{"no fix", func(f fstest.MapFS) { delete(f, "c/x/fix/api.yaml") }, "fix/"},
		{"GatewayClass in a lab", func(f fstest.MapFS) {
			f["c/x/broken/class.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: mine\nspec:\n  controllerName: example.com/gw\n")}
		}, "cluster-scoped"},
		{"Gateway of another class", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = append(f["c/x/lab.yaml"].Data, toleratesController...)
			f["c/x/broken/gateway.yaml"] = &fstest.MapFile{Data: []byte(labGateway("eg"))}
		}, `names GatewayClass "eg"`},
		{"Gateway without the controller note", func(f fstest.MapFS) {
			f["c/x/broken/gateway.yaml"] = &fstest.MapFile{Data: []byte(labGateway(LabGatewayClass))}
		}, "tolerates gateway-controller-unavailable"},
		{"probe expected without needs", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = []byte(strings.Replace(string(f["c/x/lab.yaml"].Data), "  check: service-selector-matches-no-pods\n", "  probe: pod-http\n  outcome: refused\n", 1))
		}, "needs: [probe]"},
		{"check and probe expected", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = []byte(strings.Replace(string(f["c/x/lab.yaml"].Data), "  check: service-selector-matches-no-pods\n", "  check: service-selector-matches-no-pods\n  probe: pod-http\n  outcome: refused\n", 1))
			f["c/x/lab.yaml"].Data = append(f["c/x/lab.yaml"].Data, "needs: [probe]\n"...)
		}, "a check or a probe"},
		{"probe outcome that is a success", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = []byte(strings.Replace(string(f["c/x/lab.yaml"].Data), "  check: service-selector-matches-no-pods\n", "  probe: pod-http\n  outcome: answered\n", 1))
			f["c/x/lab.yaml"].Data = append(f["c/x/lab.yaml"].Data, "needs: [probe]\n"...)
		}, "traffic failing"},
		{"unknown need", func(f fstest.MapFS) {
			f["c/x/lab.yaml"].Data = append(f["c/x/lab.yaml"].Data, "needs: [exec]\n"...)
		}, "needs may list only"},
		{"stand-in annotation without simulated", func(f fstest.MapFS) {
			f["c/x/broken/api.yaml"].Data = []byte(strings.Replace(string(goodBroken), "  template:\n    metadata:\n", "  template:\n    metadata:\n      annotations:\n        hopscope.dev/app: localhost\n", 1))
		}, "simulated is required"},
		{"duplicate id", func(f fstest.MapFS) {
			f["c/y/lab.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(good), "slug: clusterip-selector", "slug: other", 1))}
			f["c/y/broken/api.yaml"] = &fstest.MapFile{Data: goodBroken}
			f["c/y/fix/api.yaml"] = &fstest.MapFile{Data: goodFix}
		}, "used twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := fstest.MapFS{
				"c/x/lab.yaml":        {Data: append([]byte(nil), good...)},
				"c/x/broken/api.yaml": {Data: goodBroken},
				"c/x/fix/api.yaml":    {Data: goodFix},
			}
			if _, err := load(files, "c"); err != nil {
				t.Fatalf("the unedited lab must load: %v", err)
			}
			tc.edit(files)
			_, err := load(files, "c")
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Fatalf("got error %v, want one containing %q", err, tc.error)
			}
		})
	}
}

// toleratesController is the lab.yaml entry every lab with a Gateway needs.
const toleratesController = "tolerate:\n  - check: gateway-controller-unavailable\n    why: no controller runs on the local cluster\n"

func labGateway(class string) string {
	return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: edge\nspec:\n  gatewayClassName: " + class +
		"\n  listeners:\n    - {name: http, protocol: HTTP, port: 80}\n"
}

// TestLabGatewayWithToleration: a Gateway of the lab class with the
// controller note loads, so the two cases above fail for their own reason.
func TestLabGatewayWithToleration(t *testing.T) {
	lab, _ := catalogFS.ReadFile("catalog/01-clusterip-selector/lab.yaml")
	broken, _ := catalogFS.ReadFile("catalog/01-clusterip-selector/broken/api.yaml")
	fix, _ := catalogFS.ReadFile("catalog/01-clusterip-selector/fix/api.yaml")
	files := fstest.MapFS{
		"c/x/lab.yaml":            {Data: append(append([]byte(nil), lab...), toleratesController...)},
		"c/x/broken/api.yaml":     {Data: broken},
		"c/x/broken/gateway.yaml": {Data: []byte(labGateway(LabGatewayClass))},
		"c/x/fix/api.yaml":        {Data: fix},
	}
	if _, err := load(files, "c"); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayAPIReleaseIsTheBuiltOne: the release whose CRDs the messages
// tell users to install is the one hopscope decodes with.
func TestGatewayAPIReleaseIsTheBuiltOne(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sigs.k8s.io/gateway-api " + GatewayAPIRelease + "\n"; !strings.Contains(string(mod), want) {
		t.Errorf("go.mod does not require %q: update GatewayAPIRelease", strings.TrimSpace(want))
	}
}

func TestGet(t *testing.T) {
	for _, key := range []string{"1", "clusterip-selector", "hopscope-lab-1", " 1 "} {
		l, err := Get(key)
		if err != nil || l.ID != "1" {
			t.Errorf("Get(%q) = %v, %v", key, l, err)
		}
	}
	if _, err := Get("99"); err == nil || !strings.Contains(err.Error(), "hopscope lab list") {
		t.Errorf("Get(99) error %v, want a pointer to lab list", err)
	}
}

// loadCatalog is the embedded catalog; a catalog that does not load fails
// the test.
func loadCatalog(t *testing.T) []*Lab {
	t.Helper()
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return all
}
