package source

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSlowPathGroupDoesNotDropWhatFollows: a List whose items share a YAML
// anchor falls back to the reference decoder; the documents and files after
// it must still be read (a QA run once lost them without a word).
func TestSlowPathGroupDoesNotDropWhatFollows(t *testing.T) {
	dir := t.TempDir()
	list := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: l1, namespace: x}
  spec: {selector: &s {app: a}, ports: [{port: 80}]}
- apiVersion: v1
  kind: Service
  metadata: {name: l2, namespace: x}
  spec: {selector: *s, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: same-file, namespace: d}
spec: {selector: {app: b}, ports: [{port: 80}]}
`
	other := "apiVersion: v1\nkind: Service\nmetadata: {name: next-file, namespace: d}\nspec: {ports: [{port: 80}]}\n"
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	if err := os.WriteFile(a, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Files{Paths: []string{a, b}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range s.Services {
		names = append(names, svc.Name)
	}
	if got := len(names); got != 4 {
		t.Fatalf("loaded %v, want l1, l2, same-file, next-file", names)
	}
	if s.Services[1].Spec.Selector["app"] != "a" {
		t.Fatalf("alias not resolved: %v", s.Services[1].Spec.Selector)
	}
}
