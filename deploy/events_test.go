package deploy_test

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// TestEventsOverlayIsTheOnlyWrite: the events overlay runs the watcher with
// --emit-events and grants create on events.k8s.io Events and nothing else;
// the base (checked by TestClusterRoleIsReadOnlyAndSufficient) grants no
// write at all.
func TestEventsOverlayIsTheOnlyWrite(t *testing.T) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "kustomize/events")
	if err != nil {
		t.Fatalf("kustomize build kustomize/events: %v", err)
	}
	var writes []string
	emits := false
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		switch r.GetKind() {
		case "ClusterRole":
			var role rbacv1.ClusterRole
			if err := yaml.Unmarshal(y, &role); err != nil {
				t.Fatal(err)
			}
			for _, rule := range role.Rules {
				for _, v := range rule.Verbs {
					if v == "list" || v == "watch" {
						continue
					}
					if v != "create" || !slices.Equal(rule.APIGroups, []string{"events.k8s.io"}) || !slices.Equal(rule.Resources, []string{"events"}) {
						t.Errorf("ClusterRole %s grants %s on %v %v: only create on events.k8s.io events may be added", role.Name, v, rule.APIGroups, rule.Resources)
					}
					writes = append(writes, role.Name+" "+v)
				}
			}
		case "Deployment":
			var d appsv1.Deployment
			if err := yaml.Unmarshal(y, &d); err != nil {
				t.Fatal(err)
			}
			c := d.Spec.Template.Spec.Containers[0]
			emits = slices.Contains(c.Args, "--emit-events")
			if len(c.Env) == 0 || c.Env[0].Name != "POD_NAME" || c.Env[0].ValueFrom == nil {
				t.Errorf("the Deployment does not pass POD_NAME for the Events' reportingInstance: %v", c.Env)
			}
		}
	}
	if !emits {
		t.Error("the events overlay does not pass --emit-events")
	}
	if !slices.Equal(writes, []string{"hopscope-watch-events create"}) {
		t.Errorf("writes granted: %v, want create on events by hopscope-watch-events only", writes)
	}
}
