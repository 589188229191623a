package advise

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/manifesttest"
	"github.com/hopscope/hopscope/pkg/source"
)

func TestRecommend(t *testing.T) {
	cases := []struct {
		name   string
		needs  Needs
		want   Choice
		rule   string
		caveat string // a caveat that must be given, if any
	}{
		{"internal only", Needs{Internal: true}, ClusterIP, "Internal traffic", ""},
		{"internal production HTTP", Needs{Internal: true, Production: true, Protocol: HTTP}, ClusterIP, "Internal traffic", ""},
		{"external production HTTP", Needs{External: true, Production: true, Protocol: HTTP, CloudLB: true}, Ingress, "External production traffic", ""},
		{"external production, protocol not said", Needs{External: true, Production: true, CloudLB: true}, Ingress, "External production traffic", "assumes HTTP"},
		{"external production HTTP on bare metal", Needs{External: true, Production: true, Protocol: HTTP}, Ingress, "External production traffic", "NodePort fronted"},
		{"external production TCP on a cloud", Needs{External: true, Production: true, Protocol: TCP, CloudLB: true}, LoadBalancer, "External production traffic (not HTTP)", ""},
		{"external production TCP on bare metal", Needs{External: true, Production: true, Protocol: TCP}, LoadBalancer, "External production traffic (not HTTP)", "MetalLB"},
		{"simple cloud exposure", Needs{External: true, CloudLB: true}, LoadBalancer, "Cloud simple exposure", "one Ingress is cheaper"},
		{"external HTTP, no cloud LB, not production", Needs{External: true, Protocol: HTTP}, Ingress, "External traffic without cloud load balancers", ""},
		{"external TCP, no cloud LB, not production", Needs{External: true, Protocol: TCP}, LoadBalancer, "External non-HTTP traffic without cloud load balancers", "<pending>"},
		{"debug only", Needs{Debug: true}, NodePort, "Debug only", "port-forward"},
		{"debug on a production service", Needs{Debug: true, External: true, Production: true}, NodePort, "Debug only", "Never leave production traffic"},
		{"external production HTTP, ingress-nginx retired", Needs{External: true, Production: true, Protocol: HTTP, CloudLB: true}, Ingress, "External production traffic", "end of maintenance in March 2026"},
		{"platform team and app teams", Needs{External: true, Production: true, Protocol: HTTP, CloudLB: true, RoleSplit: true}, GatewayAPI, gatewayRow, ""},
		{"canary by weight on bare metal", Needs{External: true, Production: true, AdvancedRouting: true}, GatewayAPI, gatewayRow, "Accepted but not Programmed"},
		{"gRPC from outside", Needs{External: true, Protocol: GRPC, CloudLB: true}, GatewayAPI, gatewayRow, ""},
		{"TCP services sharing the platform's gateway", Needs{External: true, Production: true, Protocol: TCP, CloudLB: true, RoleSplit: true}, GatewayAPI, gatewayRow, "experimental channel"},
		{"internal traffic stays ClusterIP whatever the routing", Needs{Internal: true, AdvancedRouting: true}, ClusterIP, "Internal traffic", ""},
		{"debugging stays NodePort", Needs{Debug: true, RoleSplit: true}, NodePort, "Debug only", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Recommend(tc.needs)
			if err != nil {
				t.Fatal(err)
			}
			if r.Choice != tc.want || r.Rule != tc.rule {
				t.Fatalf("got %s (%s), want %s (%s)", r.Choice, r.Rule, tc.want, tc.rule)
			}
			if len(r.Reasons) == 0 || len(r.Pros) == 0 || len(r.Cons) == 0 || r.Summary == "" {
				t.Errorf("incomplete recommendation: %+v", r)
			}
			if tc.caveat != "" && !strings.Contains(strings.Join(r.Caveats, " | "), tc.caveat) {
				t.Errorf("caveats %q lack %q", r.Caveats, tc.caveat)
			}
		})
	}
}

// gatewayRow is the matrix row that answers Gateway API.
const gatewayRow = "External traffic with split roles, header or weight routing, or gRPC/TCP/UDP routes"

// TestGatewayReasons: the reasons name each need that chose Gateway API.
func TestGatewayReasons(t *testing.T) {
	r, err := Recommend(Needs{External: true, RoleSplit: true, AdvancedRouting: true, Protocol: GRPC, CloudLB: true})
	if err != nil {
		t.Fatal(err)
	}
	why := strings.Join(r.Reasons, " | ")
	for _, want := range []string{"allowedRoutes", "weighted backendRefs", "GRPCRoute"} {
		if !strings.Contains(why, want) {
			t.Errorf("reasons %q lack %q", r.Reasons, want)
		}
	}
	if len(r.Reasons) != 3 {
		t.Errorf("%d reasons for three needs: %q", len(r.Reasons), r.Reasons)
	}
}

// TestAnnotationEquivalents: the translations a platform engineer looks up
// first, and the annotations that are not controller-specific.
func TestAnnotationEquivalents(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
		has, ok          bool
	}{
		{"nginx.ingress.kubernetes.io/rewrite-target", "/", "URLRewrite filter", true, true},
		{"nginx.ingress.kubernetes.io/rewrite-target", "/$2", "capture groups this value uses have no equivalent", true, true},
		{"nginx.ingress.kubernetes.io/canary-weight", "10", "backendRefs weights", true, true},
		{"nginx.ingress.kubernetes.io/ssl-redirect", "true", "RequestRedirect filter", true, true},
		{"nginx.ingress.kubernetes.io/backend-protocol", "HTTPS", "BackendTLSPolicy", true, true},
		{"nginx.ingress.kubernetes.io/backend-protocol", "GRPC", "GRPCRoute", true, true},
		{"nginx.ingress.kubernetes.io/backend-protocol", "FCGI", noEquivalent, false, true},
		{"nginx.ingress.kubernetes.io/configuration-snippet", "more_set_headers x;", noEquivalent, false, true},
		{"nginx.ingress.kubernetes.io/server-snippet", "location /x {}", noEquivalent, false, true},
		{"nginx.ingress.kubernetes.io/auth-url", "http://auth", noEquivalent, false, true},
		{"nginx.ingress.kubernetes.io/affinity", "cookie", "sessionPersistence", false, true},
		{"nginx.ingress.kubernetes.io/some-future-key", "x", "implementation's documentation", false, true},
		{"alb.ingress.kubernetes.io/scheme", "internet-facing", "AWS Load Balancer Controller", false, true},
		{"alb.ingress.kubernetes.io/ssl-redirect", "443", "RequestRedirect filter", true, true},
		{"traefik.ingress.kubernetes.io/router.middlewares", "default-strip@kubernetescrd", "ExtensionRef", true, true},
		{"traefik.frontend.rule.type", "PathPrefixStrip", "Traefik setting", false, true},
		{"kubernetes.io/ingress.class", "nginx", "", false, false},
		{"cert-manager.io/cluster-issuer", "letsencrypt", "", false, false},
	} {
		to, has, ok := gatewayEquivalent(tc.key, tc.value)
		if ok != tc.ok || has != tc.has || !strings.Contains(to, tc.want) {
			t.Errorf("%s=%s: %q has=%v ok=%v; want %q has=%v ok=%v", tc.key, tc.value, to, has, ok, tc.want, tc.has, tc.ok)
		}
	}
}

// TestIngressAnnotationAdvice: the advice quotes each annotation with its
// translation, counts those without a standard equivalent, and shortens a
// multi-line snippet to its first line.
func TestIngressAnnotationAdvice(t *testing.T) {
	s, err := source.Files{Paths: []string{"testdata/ingress-annotations.yaml"}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Advice{}
	for _, a := range ReviewServices(s, nil).Advice {
		got[a.Object.String()] = a
	}
	web := got["Ingress/shop/web"]
	if web.Suggest != GatewayAPI || web.Current != Ingress || strings.Contains(web.Reason, "no standard equivalent") {
		t.Errorf("shop/web: every annotation has an equivalent: %+v", web)
	}
	for _, want := range []string{
		"nginx.ingress.kubernetes.io/backend-protocol: HTTPS → BackendTLSPolicy",
		"nginx.ingress.kubernetes.io/rewrite-target: / → HTTPRoute URLRewrite filter",
		"nginx.ingress.kubernetes.io/ssl-redirect: true → HTTPRoute RequestRedirect filter",
	} {
		if !containsPrefix(web.Evidence, want) {
			t.Errorf("shop/web evidence %q lacks %q", web.Evidence, want)
		}
	}
	admin := got["Ingress/legacy/admin"]
	if !strings.Contains(admin.Reason, "3 controller-specific annotation(s)") || !strings.Contains(admin.Reason, "3 have no standard equivalent") {
		t.Errorf("legacy/admin reason: %s", admin.Reason)
	}
	if !containsPrefix(admin.Evidence, `nginx.ingress.kubernetes.io/configuration-snippet: more_set_headers "X-Frame-Options: DENY"; … → no Gateway API equivalent`) {
		t.Errorf("legacy/admin evidence: %q", admin.Evidence)
	}
	if _, ok := got["Ingress/shop/docs"]; ok {
		t.Error("an Ingress with only a class and a cert-manager annotation moves as it is")
	}
	if rv := ReviewServices(s, []string{"edge"}); len(rv.Advice) != 1 || rv.Advice[0].Object.Name != "blog" {
		t.Errorf("namespace filter: %+v", rv.Advice)
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestRecommendRejects(t *testing.T) {
	if _, err := Recommend(Needs{}); !errors.Is(err, ErrNoNeeds) {
		t.Errorf("empty needs: %v", err)
	}
	if _, err := Recommend(Needs{Internal: true, External: true}); !errors.Is(err, ErrContradiction) {
		t.Errorf("internal and external: %v", err)
	}
}

// TestMatrixRows: every row of the article's matrix is what Recommend
// answers for that requirement.
func TestMatrixRows(t *testing.T) {
	needs := map[string]Needs{
		"Internal traffic":            {Internal: true},
		"External production traffic": {External: true, Production: true, Protocol: HTTP, CloudLB: true},
		"External traffic with split roles, header or weight routing, or gRPC/TCP/UDP routes": {External: true, Production: true, RoleSplit: true},
		"Cloud simple exposure": {External: true, CloudLB: true},
		"Debug only":            {Debug: true},
	}
	for _, row := range Matrix {
		r, err := Recommend(needs[row.Requirement])
		if err != nil || r.Choice != row.Use {
			t.Errorf("%s: got %s, %v; the matrix says %s", row.Requirement, r.Choice, err, row.Use)
		}
	}
}

// TestReviewCases runs the review over each testdata file; "# want: RULE
// Kind/ns/name" lines list exactly the advice expected.
func TestReviewCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := source.Files{Paths: []string{file}}.Load()
			if err != nil {
				t.Fatal(err)
			}
			rv := ReviewServices(s, nil)
			var got []string
			for _, a := range rv.Advice {
				got = append(got, a.Rule+" "+a.Object.String())
				if a.Reason == "" || len(a.Evidence) == 0 || a.Look == "" || a.Suggest == "" {
					t.Errorf("incomplete advice %+v", a)
				}
			}
			sort.Strings(got)
			want := manifesttest.WantLines(t, file)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("advice:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestReviewSkipsIngressController(t *testing.T) {
	s, err := source.Files{Paths: []string{"testdata/healthy.yaml"}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	rv := ReviewServices(s, nil)
	if len(rv.Skipped) != 1 || !strings.Contains(rv.Skipped[0], "ingress-nginx-controller") {
		t.Errorf("skipped %v", rv.Skipped)
	}
	if rv.Types["ClusterIP"] != 1 || rv.Types["NodePort"] != 1 {
		t.Errorf("types %v", rv.Types)
	}
}

func TestReviewNamespaceFilter(t *testing.T) {
	s, err := source.Files{Paths: []string{"testdata/many-lbs.yaml"}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	rv := ReviewServices(s, []string{"docs"})
	if len(rv.Advice) != 0 {
		t.Errorf("one HTTP LoadBalancer in namespace docs needs no advice, got %+v", rv.Advice)
	}
	rv = ReviewServices(s, []string{"shop"})
	if len(rv.Advice) != 2 {
		t.Errorf("shop has two HTTP LoadBalancers, got %d advice", len(rv.Advice))
	}
}

// TestReviewRealWorld: public manifests of healthy apps. The guestbook
// publishes its frontend as a NodePort (a demo, as its own comment says),
// which is exactly what the review must point out; the single LoadBalancers
// of the others are "cloud simple exposure" and get nothing.
func TestReviewRealWorld(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/realworld/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in testdata/realworld")
	}
	var got []string
	for _, f := range files {
		s, err := source.Files{Paths: []string{f}}.Load()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, a := range ReviewServices(s, nil).Advice {
			got = append(got, filepath.Base(f)+": "+a.Rule+" "+a.Object.String())
		}
	}
	// The TensorFlow serving example rewrites paths with an NGINX regex
	// capture group, which an HTTPRoute cannot say as it is.
	// aks-store exposes its storefront and its admin UI as two HTTP
	// LoadBalancer Services: two billed load balancers where one Ingress
	// would route both, which is the advice the matrix gives.
	want := "aks-store-all-in-one.yaml: loadbalancer-per-http-service Service/default/store-admin\n" +
		"aks-store-all-in-one.yaml: loadbalancer-per-http-service Service/default/store-front\n" +
		"guestbook-all-in-one.yaml: nodeport-in-production Service/default/frontend\n" +
		"model-serving-tensorflow.yaml: annotations-without-gateway-api-field Ingress/default/tf-serving-ingress"
	if strings.Join(got, "\n") != want {
		t.Errorf("advice on the real-world manifests:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
