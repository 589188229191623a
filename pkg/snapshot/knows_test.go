package snapshot

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// indexedSnapshot adds objs to a new snapshot and indexes it, as a source
// does.
func indexedSnapshot(t *testing.T, objs ...any) *Snapshot {
	t.Helper()
	s := New()
	for _, o := range objs {
		if err := s.Add(o, Origin{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Index()
	return s
}

func TestKnowsOnlyWhatTheInputHolds(t *testing.T) {
	meta := func(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	manifests := indexedSnapshot(t, &corev1.Service{ObjectMeta: meta("shop", "api")})
	if !manifests.Knows(KindService, "shop") || manifests.Knows(KindService, "other") || manifests.Knows(KindEndpoints, "shop") {
		t.Fatal("manifests know exactly the kinds and namespaces they hold")
	}

	// A `kubectl cluster-info dump`: Nodes, pods and services everywhere,
	// but no Endpoints and no Secrets at all.
	dump := indexedSnapshot(t,
		&corev1.Node{ObjectMeta: meta("", "n1")},
		&corev1.Pod{ObjectMeta: meta("kube-system", "coredns-1")},
		&corev1.Service{ObjectMeta: meta("kube-system", "kube-dns")})
	if !dump.ClusterDump() {
		t.Fatal("Nodes plus objects in kube-system make a cluster dump")
	}
	if !dump.Knows(KindService, "shop") {
		t.Error("a cluster dump that holds Services knows every namespace has none it did not list")
	}
	if dump.Knows(KindEndpoints, "kube-system") || dump.Knows(KindSecret, "shop") {
		t.Error("a cluster dump knows nothing of kinds it does not hold")
	}

	// `kubectl get nodes,ns` next to one namespace's objects is not a
	// whole cluster.
	partial := indexedSnapshot(t,
		&corev1.Node{ObjectMeta: meta("", "n1")},
		&corev1.Namespace{ObjectMeta: meta("", "kube-system")},
		&corev1.Service{ObjectMeta: meta("shop", "api")})
	if partial.ClusterDump() || partial.Knows(KindService, "kube-system") {
		t.Error("a Namespace object alone does not make kube-system known")
	}

	live := New()
	live.Live = true
	live.Listed[KindService+"/shop"] = true
	live.Index()
	if !live.Knows(KindService, "shop") || live.Knows(KindService, "other") {
		t.Error("a live snapshot knows what it listed")
	}
}

func TestTheLastDefinitionOfAnObjectWins(t *testing.T) {
	s := New()
	first := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "dup"}}
	second := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "dup", Labels: map[string]string{"v": "2"}}}
	_ = s.Add(first, Origin{File: "a.yaml", Document: 1, Line: 1})
	_ = s.Add(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "other"}}, Origin{})
	_ = s.Add(second, Origin{File: "b.yaml", Document: 1, Line: 1})
	s.Index()
	if len(s.Services) != 2 || s.Service("d", "dup") != second || s.Services[0].Name != "other" {
		t.Fatalf("services %v", s.Services)
	}
	if got := s.Duplicates[ObjectRef{Kind: KindService, Namespace: "d", Name: "dup"}]; got != 2 {
		t.Fatalf("duplicates %v", s.Duplicates)
	}
}
