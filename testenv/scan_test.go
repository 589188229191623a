package testenv_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// recorder is a RoundTripper that records every request of a scan and,
// when keepBodies is set, every response body.
type recorder struct {
	next       http.RoundTripper
	keepBodies bool

	mu       sync.Mutex
	requests []*http.Request
	bodies   bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req)
	if err == nil && r.keepBodies {
		b, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		r.bodies.Write(b)
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, err
}

// recorded are the requests recorded so far, while the client may still
// be sending more.
func (r *recorder) recorded() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// recordedConfig is the cluster's config with every request going through
// a recorder.
func recordedConfig(keepBodies bool) (*rest.Config, *recorder) {
	cfg := rest.CopyConfig(cluster.Config)
	return cfg, record(cfg, keepBodies)
}

// record sends every request of cfg through a new recorder, behind what
// cfg already wraps its transport in.
func record(cfg *rest.Config, keepBodies bool) *recorder {
	rec := &recorder{keepBodies: keepBodies}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		rec.next = rt
		return rec
	})
	return rec
}

// kindOfPath maps a LIST path to the snapshot kind it lists.
var kindOfPath = map[string]string{
	"pods": snapshot.KindPod, "services": snapshot.KindService, "endpoints": snapshot.KindEndpoints,
	"endpointslices": snapshot.KindEndpointSlice, "ingresses": snapshot.KindIngress,
	"ingressclasses": snapshot.KindIngressClass, "networkpolicies": snapshot.KindNetworkPolicy,
	"namespaces": snapshot.KindNamespace, "nodes": snapshot.KindNode, "configmaps": snapshot.KindConfigMap,
	"secrets": snapshot.KindSecret, "events": snapshot.KindEvent, "deployments": snapshot.KindDeployment,
	"statefulsets": snapshot.KindStatefulSet, "daemonsets": snapshot.KindDaemonSet,
	"replicasets": snapshot.KindReplicaSet, "replicationcontrollers": snapshot.KindReplicationController,
	"jobs": snapshot.KindJob, "cronjobs": snapshot.KindCronJob,
}

// gatewayKindOfPath maps a Gateway API LIST path to its kind: listed once
// for the whole cluster when the CRDs are served, not at all otherwise.
var gatewayKindOfPath = map[string]string{
	"gatewayclasses": snapshot.KindGatewayClass, "gateways": snapshot.KindGateway, "listenersets": snapshot.KindListenerSet,
	"httproutes": snapshot.KindHTTPRoute, "grpcroutes": snapshot.KindGRPCRoute, "tlsroutes": snapshot.KindTLSRoute,
	"tcproutes": snapshot.KindTCPRoute, "udproutes": snapshot.KindUDPRoute, "referencegrants": snapshot.KindReferenceGrant,
	"backendtlspolicies": snapshot.KindBackendTLSPolicy,
}

// discoveryPath is the one request that asks which Gateway API kinds the
// API server serves.
const discoveryPath = "/apis"

// countOf returns how many objects of kind the snapshot holds.
func countOf(s *snapshot.Snapshot, kind string) int {
	return map[string]int{
		snapshot.KindPod: len(s.Pods), snapshot.KindService: len(s.Services), snapshot.KindEndpoints: len(s.Endpoints),
		snapshot.KindEndpointSlice: len(s.EndpointSlices), snapshot.KindIngress: len(s.Ingresses),
		snapshot.KindIngressClass: len(s.IngressClasses), snapshot.KindNetworkPolicy: len(s.NetworkPolicies),
		snapshot.KindNamespace: len(s.Namespaces), snapshot.KindNode: len(s.Nodes), snapshot.KindConfigMap: len(s.ConfigMaps),
		snapshot.KindSecret: len(s.Secrets), snapshot.KindEvent: len(s.Events), snapshot.KindDeployment: len(s.Deployments),
		snapshot.KindStatefulSet: len(s.StatefulSets), snapshot.KindDaemonSet: len(s.DaemonSets),
		snapshot.KindReplicaSet: len(s.ReplicaSets), snapshot.KindReplicationController: len(s.ReplicationControllers),
		snapshot.KindJob: len(s.Jobs), snapshot.KindCronJob: len(s.CronJobs),
	}[kind]
}

// seedConfigMaps makes n ConfigMaps in ns, enough to force a second page.
func seedConfigMaps(t *testing.T, ns string, n int) {
	t.Helper()
	ctx := context.Background()
	tempNamespace(t, ns)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := cluster.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%04d", i)},
				Data:       map[string]string{"i": fmt.Sprint(i)},
			}, metav1.CreateOptions{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFullScanListsEachKindOnce counts the HTTP requests of a full scan:
// exactly one paged LIST per kind, a second page only where a kind holds
// more than 500 objects, one discovery request for the Gateway API (and one
// cluster-wide LIST per Gateway API kind it serves), and nothing else (no
// GET of single objects, no write).
func TestFullScanListsEachKindOnce(t *testing.T) {
	seedConfigMaps(t, "paging", 600)
	cfg, rec := recordedConfig(false)
	snap := scanLive(t, cfg, "")

	perKind := map[string]int{}
	discovery, gatewayLists := 0, 0
	for _, req := range rec.requests {
		if req.Method != http.MethodGet {
			t.Errorf("scan sent %s %s: a scan must not write", req.Method, req.URL)
			continue
		}
		if req.URL.Path == discoveryPath {
			discovery++
			continue
		}
		q := req.URL.Query()
		if q.Get("limit") != "500" {
			t.Errorf("request %s is not a paged LIST (limit=500)", req.URL)
		}
		parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
		if gk, ok := gatewayKindOfPath[parts[len(parts)-1]]; ok && parts[1] == snapshot.GatewayGroup {
			if len(parts) != 4 {
				t.Errorf("Gateway API kind listed in one namespace (%s): it is listed for the whole cluster", req.URL.Path)
			}
			if perKind[gk]++; perKind[gk] > 1 || !snap.Listed[gk] {
				t.Errorf("%s listed %d times (listed=%v)", gk, perKind[gk], snap.Listed[gk])
			}
			gatewayLists++
			continue
		}
		kind, ok := kindOfPath[parts[len(parts)-1]]
		if !ok {
			t.Errorf("request %s is not a LIST of a known kind (a GET of one object?)", req.URL)
			continue
		}
		if q.Get("continue") == "" {
			perKind[kind]++
		}
	}
	if discovery != 1 {
		t.Errorf("%d discovery requests, want exactly 1", discovery)
	}
	if _, absent := snap.NotServed[snapshot.GatewayGroup]; absent && gatewayLists > 0 {
		t.Errorf("Gateway API not served, yet %d Gateway API LISTs", gatewayLists)
	}
	total := 0
	for _, kind := range sortedKinds() {
		if perKind[kind] != 1 {
			t.Errorf("%s: %d first-page LISTs, want exactly 1", kind, perKind[kind])
		}
		if !snap.Listed[kind] {
			t.Errorf("%s not marked listed", kind)
		}
		n := countOf(snap, kind)
		total += max(1, (n+499)/500)
	}
	if want := total + discovery + gatewayLists; len(rec.requests) != want {
		t.Errorf("scan made %d requests, want %d (one per kind plus one per extra page of 500, discovery and the Gateway API kinds)", len(rec.requests), want)
	}
	if countOf(snap, snapshot.KindConfigMap) < 600 {
		t.Errorf("scan saw %d ConfigMaps, want >= 600 (paging lost objects)", countOf(snap, snapshot.KindConfigMap))
	}
	t.Logf("full scan: %d requests for %d kinds, %d objects", len(rec.requests), len(kindOfPath), snap.ObjectCount())
}

func sortedKinds() []string {
	var out []string
	for _, k := range kindOfPath {
		out = append(out, k)
	}
	return out
}

// TestNamespaceScanAddsKubeSystemForDNS checks that a scan scoped with -n
// lists the namespace and, for the DNS checks, kube-system's pods,
// services, endpoints, deployments and replicasets, and marks exactly what
// it listed.
func TestNamespaceScanAddsKubeSystemForDNS(t *testing.T) {
	snap := scanLive(t, cluster.Config, "default")
	for _, kind := range []string{snapshot.KindPod, snapshot.KindService, snapshot.KindDeployment} {
		if !snap.Knows(kind, "kube-system") {
			t.Errorf("%s in kube-system not listed; DNS checks need it", kind)
		}
		if !snap.Knows(kind, "default") {
			t.Errorf("%s in default not listed", kind)
		}
		if snap.Knows(kind, "ingress-nginx") {
			t.Errorf("%s in ingress-nginx claimed known by a scan of default", kind)
		}
	}
	if !snap.Knows(snapshot.KindNode, "") || !snap.Knows(snapshot.KindIngressClass, "") {
		t.Errorf("cluster-scoped kinds not listed: %v", snap.Listed)
	}
	if snap.Knows(snapshot.KindConfigMap, "kube-system") {
		t.Errorf("a scan of default listed kube-system ConfigMaps")
	}
	found := false
	for _, p := range snap.Pods {
		if p.Namespace == "kube-system" && p.Labels["k8s-app"] == "kube-dns" {
			found = true
		}
		if p.Kind != "Pod" || p.APIVersion != "v1" {
			t.Errorf("pod %s/%s has TypeMeta %q %q, want Pod v1", p.Namespace, p.Name, p.Kind, p.APIVersion)
		}
	}
	if !found {
		t.Error("no CoreDNS pod in the snapshot")
	}
}

// TestSecretDataNeverReachesTheProcess reads every response body of a scan
// and looks for a Secret's value: the metadata API must have stripped it.
func TestSecretDataNeverReachesTheProcess(t *testing.T) {
	ctx := context.Background()
	const value = "hopscope-test-value-9f3c1a"
	ns := "secret-check"
	tempNamespace(t, ns)
	_, err := cluster.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "tls", Annotations: map[string]string{"note": "metadata is fine"}},
		StringData: map[string]string{"password": value},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, rec := recordedConfig(true)
	snap := scanLive(t, cfg, ns)
	if got := snap.Secret(ns, "tls"); got == nil || got.Annotations["note"] != "metadata is fine" {
		t.Fatalf("secret metadata missing from the snapshot: %+v", got)
	}
	body := rec.bodies.String()
	for _, leak := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
		if strings.Contains(body, leak) {
			t.Fatalf("a scan response carried the secret's data (%q)", leak)
		}
	}
	for _, req := range rec.requests {
		if strings.HasSuffix(req.URL.Path, "/secrets") && !strings.Contains(req.Header.Get("Accept"), "as=PartialObjectMetadataList") {
			t.Errorf("secrets listed with Accept %q, want metadata only", req.Header.Get("Accept"))
		}
	}
}
