// Package deploy_test checks the shipped manifests: the kustomize bases
// build, the ClusterRole grants exactly what the watcher reads and nothing
// that writes, the alert rules pass promtool, and the Grafana dashboard
// queries only metrics the watcher exports.
package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/hopscope/hopscope/internal/testbinary"
	"github.com/hopscope/hopscope/pkg/watch"
)

const operatorDir = "kustomize/prometheus-operator"

// exportedMetrics are the watcher's metric names, for checking what the
// rules and the dashboard query.
var exportedMetrics = []string{watch.MetricFindings, watch.MetricPaths, watch.MetricPathBrokenInfo, watch.MetricPathBrokenOmitted,
	watch.MetricKindListed, watch.MetricObjects, watch.MetricLastDiagnosis, watch.MetricDiagnosisDuration,
	watch.MetricDiagnosisFailures, watch.MetricWatchEvents, watch.MetricBuildInfo, watch.MetricDiagnoses,
	watch.MetricPartialMismatches, watch.MetricKubeEvents}

// promtool finds promtool or skips (fails when HOPSCOPE_REQUIRE_PROMETHEUS=1,
// as in CI).
func promtool(t *testing.T) string {
	return testbinary.Find(t, "HOPSCOPE_REQUIRE_PROMETHEUS", "apt-get install prometheus", "promtool")
}

// ruleFile writes the PrometheusRule's spec (a plain rule file) and the
// promtool unit test beside it in a temporary directory.
func ruleFile(t *testing.T) (rules, unitTest string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(operatorDir, "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Kind string         `json:"kind"`
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &pr); err != nil {
		t.Fatalf("prometheusrule.yaml: %v", err)
	}
	if pr.Kind != "PrometheusRule" || pr.Spec["groups"] == nil {
		t.Fatalf("prometheusrule.yaml: kind %q with no spec.groups", pr.Kind)
	}
	spec, err := yaml.Marshal(pr.Spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rules = filepath.Join(dir, "hopscope-rules.yaml")
	if err := os.WriteFile(rules, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(operatorDir, "rules_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	unitTest = filepath.Join(dir, "rules_test.yaml")
	if err := os.WriteFile(unitTest, tests, 0o600); err != nil {
		t.Fatal(err)
	}
	return rules, unitTest
}

// TestAlertRules: promtool accepts the rules, their unit test passes (a
// path broken for 5 minutes pages, one fixed sooner does not, the watcher
// down alerts), and every hopscope metric they name is one the watcher
// exports.
func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	rules, unitTest := ruleFile(t)
	for _, args := range [][]string{{"check", "rules", rules}, {"test", "rules", unitTest}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	raw, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`hopscope_[a-z_]+`).FindAllString(string(raw), -1) {
		if !slices.Contains(exportedMetrics, name) {
			t.Errorf("the rules use %s, which the watcher does not export", name)
		}
	}
}

// TestClusterRoleIsReadOnlyAndSufficient builds both kustomize bases and
// checks the ClusterRole: only list and watch, and every resource the
// watcher watches is granted (a missing one would be "not checked" in
// every cluster it runs in).
func TestClusterRoleIsReadOnlyAndSufficient(t *testing.T) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	for _, dir := range []string{"kustomize/base", operatorDir} {
		m, err := k.Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Fatalf("kustomize build %s: %v", dir, err)
		}
		var role *rbacv1.ClusterRole
		for _, r := range m.Resources() {
			if r.GetKind() != "ClusterRole" {
				continue
			}
			y, err := r.AsYAML()
			if err != nil {
				t.Fatal(err)
			}
			role = &rbacv1.ClusterRole{}
			if err := yaml.Unmarshal(y, role); err != nil {
				t.Fatalf("%s: ClusterRole: %v", dir, err)
			}
		}
		if role == nil {
			t.Fatalf("%s has no ClusterRole", dir)
		}
		granted := map[string]bool{}
		for _, rule := range role.Rules {
			for _, v := range rule.Verbs {
				if v != "list" && v != "watch" {
					t.Errorf("%s: ClusterRole grants %q on %v: the watcher only lists and watches", dir, v, rule.Resources)
				}
			}
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					if slices.Contains(rule.Verbs, "list") && slices.Contains(rule.Verbs, "watch") {
						granted[g+"/"+res] = true
					}
				}
			}
		}
		for _, gvr := range slices.Concat(watch.Resources(), watch.GatewayResources()) {
			if !granted[gvr.Group+"/"+gvr.Resource] {
				t.Errorf("%s: ClusterRole does not grant list and watch on %s", dir, gvr.GroupResource())
			}
		}
	}
}

// TestDashboardQueriesExportedMetrics: the Grafana dashboard is valid JSON
// and every hopscope metric its queries name is one the watcher exports
// (histogram series by their _bucket name).
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("grafana/hopscope-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana/hopscope-dashboard.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			names := regexp.MustCompile(`hopscope_[a-z_]+`).FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q queries no hopscope metric: %s", p.Title, tg.Expr)
			}
			for _, name := range names {
				if !slices.Contains(exportedMetrics, strings.TrimSuffix(name, "_bucket")) {
					t.Errorf("panel %q queries %s, which the watcher does not export", p.Title, name)
				}
			}
		}
	}
}
