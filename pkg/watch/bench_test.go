package watch

import (
	"context"
	"runtime"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metadatafake "k8s.io/client-go/metadata/fake"

	"github.com/hopscope/hopscope/internal/gen/synth"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
)

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchWatch loads a generated cluster into fake clients, starts a watcher
// on them and reports the heap the watcher adds (its caches, the snapshot
// and the published diagnosis: the heap after its first diagnosis minus
// the heap before it started) and the time from a Service change to the
// metrics of the diagnosis that includes it. The change-to-metrics time
// includes the 1 ms debounce and the fake watch's delivery, and is a full
// re-diagnosis: the watcher does not re-walk only the changed paths.
func benchWatch(b *testing.B, pods int) {
	cluster := synth.Generate(synth.Config{Pods: pods, Seed: 1})
	var objs []k8sruntime.Object
	for _, o := range cluster.Objects() {
		ro := o.(k8sruntime.Object)
		if _, _, err := scheme.Scheme.ObjectKinds(ro); err == nil {
			objs = append(objs, ro)
		}
	}
	typed := fake.NewClientset(objs...)
	sch := k8sruntime.NewScheme()
	_ = metav1.AddMetaToScheme(sch)
	cl := &Clients{Typed: typed, Metadata: metadatafake.NewSimpleMetadataClient(sch)}
	objs, cluster = nil, nil
	before := heapAfterGC()

	w, err := New(Options{Clients: cl, Debounce: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go func() { _ = w.Run(ctx) }()
	for w.Diagnoses() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	firstDiagnosis := time.Since(start)
	after := heapAfterGC()

	svcs, err := typed.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil || len(svcs.Items) == 0 {
		b.Fatalf("no Services to change: %v", err)
	}
	svc := svcs.Items[0]
	var total time.Duration
	i := 0
	for b.Loop() {
		i++
		n := w.Diagnoses()
		svc.Labels = map[string]string{"bench-change": string(rune('a' + i%26))}
		svc.ResourceVersion = ""
		t0 := time.Now()
		if _, err := typed.CoreV1().Services(svc.Namespace).Update(ctx, &svc, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		for w.Diagnoses() == n {
			time.Sleep(100 * time.Microsecond)
		}
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(i), "change-to-metrics-ms")
	b.ReportMetric(float64(after-before)/(1<<20), "watcher-heap-MiB")
	b.ReportMetric(firstDiagnosis.Seconds(), "sync-and-first-diagnosis-s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWatch20kPods: the targets are under 50 ms from a change
// to updated metrics and, at 150k pods, under 1 GiB.
func BenchmarkWatch20kPods(b *testing.B) { benchWatch(b, 20000) }

// BenchmarkWatch150kPods is the largest cluster Kubernetes supports.
func BenchmarkWatch150kPods(b *testing.B) { benchWatch(b, 150000) }
