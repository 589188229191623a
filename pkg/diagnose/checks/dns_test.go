package checks

// DNS-layer checks: CoreDNS and its Service down, names that do not resolve,
// dnsPolicy, the Corefile's zone and StatefulSet names, held to their
// evidence and fixes.

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

func TestDNSNameWrongNamespace(t *testing.T) {
	f := findingOn(t, dnsNameUnresolvable, "testdata/dns-name-unresolvable/bad-wrong-namespace.yaml", "Deployment/shop/web")
	wantContains(t, "cause", f.Cause, "wrong namespace", "pod's namespace shop", "lives in namespace backend")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		`env API_URL="http://api-svc:80/v1" in container web`,
		"a bare name resolves in the pod's own namespace (shop)",
		"Service api-svc exists in namespace backend: use api-svc.backend")
	wantContains(t, "fix", f.Fix, `"path":"/spec/template/spec/containers/0/env/0/value","value":"http://api-svc.backend:80/v1"`)
	wantContains(t, "verify", f.Verify, "kubectl get service -n backend -- api-svc")

	f = findingOn(t, dnsNameUnresolvable, "testdata/dns-name-unresolvable/bad-wrong-namespace.yaml", "ConfigMap/shop/web-env")
	wantContains(t, "fix", f.Fix, `kubectl patch configmap -n shop --type=merge`, "-- web-env",
		`"CATALOG_URL":"http://api-svc.backend.svc.cluster.local/catalog"`)
}

func TestDNSNameDeletedService(t *testing.T) {
	f := findingOn(t, dnsNameUnresolvable, "testdata/dns-name-unresolvable/bad-deleted-dump.yaml", "Deployment/shop/checkout")
	if f.Severity != diagnose.SeverityError {
		t.Errorf("severity %s: the catalog Deployment still runs, so its Service was needed", f.Severity)
	}
	wantContains(t, "cause", f.Cause, "Service catalog does not exist in namespace shop")
	wantContains(t, "fix", f.Fix, "kubectl expose deployment -n shop --name=catalog --port=3550 -- catalog")
}

// TestDNSNameManifestsProveNothing: a name whose Service the manifests do
// not hold is "not checked", never a finding.
func TestDNSNameManifestsProveNothing(t *testing.T) {
	s := loadCase(t, "testdata/dns-name-unresolvable/good-manifests.yaml")
	r := diagnose.NewReporter(dnsNameUnresolvable)
	dnsNameUnresolvable.Run(s, r)
	if len(r.Findings()) != 0 {
		t.Fatalf("findings: %v", r.Findings())
	}
	var why []string
	for _, n := range r.NotCheckedItems() {
		why = append(why, n.Why)
	}
	wantContains(t, "not checked", strings.Join(why, "\n"), "AUDIT_ADDR=audit-collector:9000 names Service audit-collector in namespace default")
}

func TestDNSCoreDNSCrashLoopEvidence(t *testing.T) {
	f := findingOn(t, dnsCoreDNSUnavailable, "testdata/dns-coredns-unavailable/bad-crashloop.yaml", "Deployment/kube-system/coredns")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"replicas 2, ready 0, available 0", "2 DNS pod(s) (k8s-app=kube-dns) in kube-system, 0 ready",
		"plugin/loop: Loop")
	wantContains(t, "fix", f.Fix, "kubectl rollout restart -n kube-system -- deployment/coredns")
	wantContains(t, "verify", f.Verify, "kubectl get pods -n kube-system -l k8s-app=kube-dns")

	f = findingOn(t, dnsCoreDNSUnavailable, "testdata/dns-coredns-unavailable/bad-scaled-to-zero.yaml", "Deployment/kube-system/coredns")
	wantContains(t, "cause", f.Cause, "scaled to 0 replicas")
	wantContains(t, "fix", f.Fix, "kubectl scale deployment -n kube-system --replicas=2 -- coredns")
}

func TestDNSServiceMissingFix(t *testing.T) {
	f := findingOn(t, dnsServiceMissing, "testdata/dns-service-missing/bad-deleted.yaml", "Service/kube-system/kube-dns")
	// The kubelets send queries to 10.96.0.10: the recreated Service must
	// get that address back.
	wantContains(t, "fix", f.Fix, "kubectl expose deployment -n kube-system --name=kube-dns", "--cluster-ip=10.96.0.10 -- coredns")

	f = findingOn(t, dnsServiceMissing, "testdata/dns-service-missing/bad-selector.yaml", "Service/kube-system/kube-dns")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "closest pod coredns-a differs in: k8s-app=coredns (pod has kube-dns)")
	wantContains(t, "fix", f.Fix, `kubectl patch service -n kube-system --type=merge -p '{"spec":{"selector":{"k8s-app":"kube-dns"}}}' -- kube-dns`)
}

func TestDNSRenamedServiceFix(t *testing.T) {
	f := findingOn(t, dnsNameUnresolvable, "testdata/dns-name-unresolvable/bad-renamed.yaml", "Deployment/open-webui/open-webui")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	wantContains(t, "cause", f.Cause, "Service open-webui-redis-master exists there", "renamed")
	wantContains(t, "fix", f.Fix, `"value":"redis://open-webui-redis-master:6379/0"`)
}

func TestDNSPolicyFixMatchesTheCase(t *testing.T) {
	f := onlyFinding(t, dnsPolicyBypassesClusterDNS, "testdata/dns-policy-bypasses-cluster-dns/bad-hostnetwork.yaml")
	wantContains(t, "fix", f.Fix, `"path":"/spec/template/spec/dnsPolicy"`, `"value":"ClusterFirstWithHostNet"`)
	f = onlyFinding(t, dnsPolicyBypassesClusterDNS, "testdata/dns-policy-bypasses-cluster-dns/bad-default-policy.yaml")
	wantContains(t, "fix", f.Fix, `"value":"ClusterFirst"`)
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "postgres.billing.svc.cluster.local (ConfigMap invoicer-config key DATABASE_URL)")
}

func TestCorefileZoneQuotesWhereTheDomainComesFrom(t *testing.T) {
	f := onlyFinding(t, dnsCorefileClusterZone, "testdata/dns-corefile-cluster-zone/bad-wrong-zone.yaml")
	wantContains(t, "cause", f.Cause, "lzjcluster.local", "cluster.local")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "ConfigMap shop/checkout-config key ORDERS_URL")
	f = onlyFinding(t, dnsCorefileClusterZone, "testdata/dns-corefile-cluster-zone/bad-no-kubernetes-plugin.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "clusterDomain cluster.local")
	wantContains(t, "verify", f.Verify, "nslookup kubernetes.default.svc.cluster.local")
}

// TestDNSNameIntoAbsentNamespace: a name into a namespace the cluster does
// not have is an error with the namespaces quoted; the fix points it at
// the Service it meant (hard-coded namespace, swapped parts), and a name of
// another cluster's zone is left alone.
func TestDNSNameIntoAbsentNamespace(t *testing.T) {
	dir := "testdata/dns-name-unresolvable/"
	f := onlyFinding(t, dnsNameUnresolvable, dir+"bad-namespace-absent-dump.yaml")
	wantEqual(t, "severity", f.Severity, diagnose.SeverityError)
	wantContains(t, "cause", f.Cause, "namespace testyomesh does not exist", "Service testyomesh-3 lives in namespace test, the client's own namespace")
	wantEvidenceLine(t, f, "namespace testyomesh does not exist; the namespaces are default, kube-system, test")
	wantContains(t, "fix", f.Fix, `"value":"http://testyomesh-3.test.svc.cluster.local/downstream"`)
	wantEqual(t, "verify", f.Verify, "kubectl get service -n test -- testyomesh-3")

	f = onlyFinding(t, dnsNameUnresolvable, dir+"bad-namespace-swapped.yaml")
	wantContains(t, "cause", f.Cause, "swapped: Service bookwarehouse lives in namespace warehouse-7f3a")
	wantContains(t, "fix", f.Fix, `"value":"http://bookwarehouse.warehouse-7f3a.svc.cluster.local:14001/restock-books"`)

	s := loadCase(t, dir+"bad-namespace-absent-dump.yaml")
	s.Deployments[0].Spec.Template.Spec.Containers[0].Env[0].Value = "http://testyomesh-3.testyomesh.svc.clusterset.local/downstream"
	s.Index()
	if got := runCheck(dnsNameUnresolvable, s); len(got) != 0 {
		t.Errorf("a clusterset.local name is judged: %v", got)
	}
	// A dump that lacks the Namespace object of a namespace it holds
	// objects of lists only some namespaces: absence proves nothing.
	s = loadCase(t, dir+"bad-namespace-absent-dump.yaml")
	s.Namespaces = s.Namespaces[:2]
	s.Index()
	if got := runCheck(dnsNameUnresolvable, s); len(got) != 0 {
		t.Errorf("a partial namespace list is taken as proof: %v", got)
	}
}

// TestDNSNameRenamedServiceSamePort: a client still on an old Service name
// is pointed at the Service that now serves its port under a new name.
func TestDNSNameRenamedServiceSamePort(t *testing.T) {
	f := onlyFinding(t, dnsNameUnresolvable, "testdata/dns-name-unresolvable/bad-renamed-same-port.yaml")
	wantContains(t, "cause", f.Cause, "renamed", "elk-elasticsearch-client")
	wantEvidenceLine(t, f, "Service elk-elasticsearch-client serves port 9200, the port the client asks for")
	wantEvidenceLine(t, f, "share the name part(s) elasticsearch")
	wantContains(t, "fix", f.Fix, `"value":"http://elk-elasticsearch-client:9200"`)
}

// TestDNSClusterIPMismatchQuotesBothAddresses: a re-created kube-dns gets
// its old address back; a kubelet configuration naming another Service
// network is what changes.
func TestDNSClusterIPMismatchQuotesBothAddresses(t *testing.T) {
	dir := "testdata/dns-cluster-ip-mismatch/"
	f := onlyFinding(t, dnsClusterIPMismatch, dir+"bad-recreated.yaml")
	wantEvidenceLine(t, f, "kubelet clusterDNS (ConfigMap kube-system/kubelet-config, key kubelet): 10.96.0.10")
	wantEvidenceLine(t, f, "Service kube-system/kube-dns clusterIP: 10.96.0.53")
	wantEvidenceLine(t, f, "it was re-created")
	wantContains(t, "cause", f.Cause, "kube-dns was re-created and got cluster IP 10.96.0.53", "nameserver 10.96.0.10")
	wantEqual(t, "fix", f.Fix, `kubectl get service -n kube-system -o yaml -- kube-dns | sed -e 's/10\.96\.0\.53/10.96.0.10/' -e '/^  resourceVersion:/d' -e '/^  uid:/d' | kubectl replace --force -f -`)

	f = onlyFinding(t, dnsClusterIPMismatch, dir+"bad-service-network.yaml")
	wantContains(t, "cause", f.Cause, "not in the cluster's Service network")
	wantEvidenceLine(t, f, "Service default/kubernetes at 172.168.0.1: 10.96.0.10 lies outside it")
	wantEqual(t, "fix", f.Fix, "kubectl edit configmap kubelet-config -n kube-system")
}

// TestStatefulSetGoverningServiceMissingIsAnError: a serviceName naming no
// Service is an error even when no member name is in use.
func TestStatefulSetGoverningServiceMissingIsAnError(t *testing.T) {
	wantFinding(t, findingWant{check: statefulSetGoverningService, file: "testdata/statefulset-governing-service/bad-service-missing.yaml",
		severity: diagnose.SeverityError, cause: []string{"no Service svc-test-1 exists in namespace default"}, evidence: [][]string{{"headless Service(s) selecting these pods: svc-test-2"}}})
}

func TestStatefulSetGoverningServiceListsNamesInUse(t *testing.T) {
	f := onlyFinding(t, statefulSetGoverningService, "testdata/statefulset-governing-service/bad-servicename-mismatch.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"), "database-0.db-svc", "headless Service(s) selecting these pods: db-svc")
	wantContains(t, "fix", f.Fix, "kubectl expose statefulset -n foo --name=database --cluster-ip=None -- database")
}

// TestCoreDNSPendingOnNotReadyNodesFixesTheNode: CoreDNS pods that wait
// for a NotReady node are not restarted; the fix goes to the node.
func TestCoreDNSPendingOnNotReadyNodesFixesTheNode(t *testing.T) {
	f := onlyFinding(t, dnsCoreDNSUnavailable, "testdata/dns-coredns-unavailable/bad-pending-on-not-ready-nodes.yaml")
	// cp-1 is the only node: draining it would leave CoreDNS nowhere to run.
	wantEqual(t, "fix", f.Fix, "kubectl get pods -n kube-system -o wide")
	wantContains(t, "cause", f.Cause, "restarting them does not help", "repair the NotReady node(s) cp-1")
	wantEvidenceLine(t, f, "coredns-7db6d8ff4d-4x7kq: Pending", "PodScheduled=False (Unschedulable)")
}
