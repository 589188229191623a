package testenv_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/source"
)

// benchEnv turns on TestLiveScanAtScale: seeding 5,000 pods takes minutes.
const benchEnv = "HOPSCOPE_LIVE_BENCH"

// TestLiveScanAtScale seeds 5,000 pods behind 1,000 Services (5 each,
// scheduled, Running and Ready, in the Endpoints and EndpointSlices the real
// controllers computed) and measures a full live scan: wall time, HTTP
// requests and objects, and the diagnosis of the result. The numbers go to
// BENCHMARKS.md ("Live scan").
//
//	HOPSCOPE_LIVE_BENCH=1 go test -run TestLiveScanAtScale -v -timeout 30m .
func TestLiveScanAtScale(t *testing.T) {
	if os.Getenv(benchEnv) == "" {
		t.Skipf("set %s=1 to seed 5,000 pods and measure a live scan (several minutes)", benchEnv)
	}
	const ns, services, podsPerService = "bench", 1000, 5
	ctx := context.Background()
	seeded := time.Now()
	if _, err := cluster.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	parallel(t, services, func(i int) error {
		_, err := cluster.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%04d", i)},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": fmt.Sprintf("app-%04d", i)},
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}, metav1.CreateOptions{})
		return err
	})
	parallel(t, services*podsPerService, func(i int) error {
		_, err := cluster.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": fmt.Sprintf("app-%04d", i%services)}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "hashicorp/http-echo:0.2.3",
				Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
			}}},
		}, metav1.CreateOptions{})
		return err
	})
	if err := cluster.WaitSettledWithin(ctx, 20*time.Minute, ns); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d pods behind %d services in %s", services*podsPerService, services, time.Since(seeded).Round(time.Second))

	var runs []time.Duration
	var requests, objects int
	var res *diagnose.Result
	var engine time.Duration
	for run := 0; run < 3; run++ {
		cfg, rec := recordedConfig(false)
		began := time.Now()
		snap, err := source.NewLiveForConfig(cfg, "").Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, time.Since(began))
		requests, objects = len(rec.requests), snap.ObjectCount()
		began = time.Now()
		res, err = diagnose.Engine{Checks: checks.All()}.Run(snap, diagnose.Options{})
		if err != nil {
			t.Fatal(err)
		}
		engine = time.Since(began)
		if len(snap.Pods) < services*podsPerService {
			t.Fatalf("scan saw %d pods, want >= %d", len(snap.Pods), services*podsPerService)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
	if errs := errorsOf(res); len(errs) != 0 {
		t.Errorf("healthy seeded cluster diagnosed with %d errors, first: %s", len(errs), errs[0])
	}
	t.Logf("live scan: %d objects, %d requests, median %s (min %s, max %s) over %d runs; diagnosis %s; %d traces; peak RSS of the test process %s",
		objects, requests, runs[1].Round(time.Millisecond), runs[0].Round(time.Millisecond), runs[2].Round(time.Millisecond),
		len(runs), engine.Round(time.Millisecond), len(res.Traces), peakRSS())
}

// parallel runs n calls of f, 16 at a time, failing the test on the first
// error.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
