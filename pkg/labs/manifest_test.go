package labs_test

import (
	"strings"
	"testing"
)

// TestFixedObjectsOverlay replaces broken objects by their fixed version and
// keeps the rest, as a server-side apply of fix/ would.
func TestFixedObjectsOverlay(t *testing.T) {
	fixed, err := mustLab(t, "clusterip-selector").FixedObjects()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range fixed {
		got = append(got, o.Object.GetKind()+"/"+o.Object.GetNamespace()+"/"+o.Object.GetName()+" from "+o.Path)
	}
	want := []string{"Deployment/hopscope-lab-1/api from fix/api.yaml", "Service/hopscope-lab-1/api-svc from broken/api.yaml"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("fixed objects %v, want %v", got, want)
	}
}

// TestExtraNamespaces places files of broken/<sub>/ in the lab's extra
// namespace.
func TestExtraNamespaces(t *testing.T) {
	l := mustLab(t, "7")
	objs, err := l.BrokenObjects()
	if err != nil {
		t.Fatal(err)
	}
	nsOf := map[string]string{}
	for _, o := range objs {
		nsOf[o.Object.GetKind()+"/"+o.Object.GetName()] = o.Object.GetNamespace()
	}
	if nsOf["Service/orders"] != "hopscope-lab-7-orders" || nsOf["Deployment/storefront"] != "hopscope-lab-7" {
		t.Fatalf("namespaces %v", nsOf)
	}
	if got := strings.Join(l.Namespaces(), ","); got != "hopscope-lab-7,hopscope-lab-7-orders" {
		t.Fatalf("Namespaces() = %s", got)
	}
}
