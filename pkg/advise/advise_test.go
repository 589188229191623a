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
		"Cloud simple exposure":       {External: true, CloudLB: true},
		"Debug only":                  {Debug: true},
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
	// aks-store exposes its storefront and its admin UI as two HTTP
	// LoadBalancer Services: two billed load balancers where one Ingress
	// would route both, which is the advice the matrix gives.
	want := "aks-store-all-in-one.yaml: loadbalancer-per-http-service Service/default/store-admin\n" +
		"aks-store-all-in-one.yaml: loadbalancer-per-http-service Service/default/store-front\n" +
		"guestbook-all-in-one.yaml: nodeport-in-production Service/default/frontend"
	if strings.Join(got, "\n") != want {
		t.Errorf("advice on the real-world manifests:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
