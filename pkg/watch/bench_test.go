package watch

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
// includes the 1 ms debounce and the fake watch's delivery. The Service is
// a ClusterIP one, so its change stays in its namespace and only that
// namespace is diagnosed again; one NotReady Node at the end measures a
// change that takes the whole cluster.
func benchWatch(b *testing.B, pods int) {
	cl, typed := syntheticClients(b, pods, 1)
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
	if err != nil {
		b.Fatal(err)
	}
	var svc corev1.Service
	for _, s := range svcs.Items {
		if s.Namespace != dnsNamespace && (s.Spec.Type == "" || s.Spec.Type == corev1.ServiceTypeClusterIP) {
			svc = s
			break
		}
	}
	if svc.Name == "" {
		b.Fatal("no ClusterIP Service to change")
	}
	changed := func(update func() error) time.Duration {
		n := w.Diagnoses()
		t0 := time.Now()
		if err := update(); err != nil {
			b.Fatal(err)
		}
		for w.Diagnoses() == n {
			time.Sleep(100 * time.Microsecond)
		}
		return time.Since(t0)
	}
	var total time.Duration
	i := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		i++
		svc.Labels = map[string]string{"bench-change": string(rune('a' + i%26))}
		svc.ResourceVersion = ""
		total += changed(func() error {
			_, err := typed.CoreV1().Services(svc.Namespace).Update(ctx, &svc, metav1.UpdateOptions{})
			return err
		})
	}
	cpu := processCPU(b) - cpu0
	// A change that reaches every namespace: a Node goes NotReady.
	nodes, err := typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		b.Fatalf("no Node to change: %v", err)
	}
	node := nodes.Items[0]
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}
	wide := changed(func() error {
		_, err := typed.CoreV1().Nodes().Update(ctx, &node, metav1.UpdateOptions{})
		return err
	})
	b.ReportMetric(float64(total.Microseconds())/1000/float64(i), "change-to-metrics-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-per-change-ms")
	b.ReportMetric(float64(wide.Milliseconds()), "cluster-wide-change-to-metrics-ms")
	b.ReportMetric(float64(after-before)/(1<<20), "watcher-heap-MiB")
	b.ReportMetric(firstDiagnosis.Seconds(), "sync-and-first-diagnosis-s")
	b.ReportMetric(0, "ns/op")
}

// processCPU is the CPU time the process has used (user and system): on a
// machine shared with other work the wall time of a change depends on the
// load, its CPU time much less. It includes the fake server's work.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWatch20kPods: the targets are under 50 ms from a change
// to updated metrics and, at 150k pods, under 1 GiB.
func BenchmarkWatch20kPods(b *testing.B) { benchWatch(b, 20000) }

// BenchmarkWatch150kPods is the largest cluster Kubernetes supports.
func BenchmarkWatch150kPods(b *testing.B) { benchWatch(b, 150000) }
