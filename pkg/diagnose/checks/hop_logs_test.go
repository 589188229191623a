package checks

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// The controller's lines about the Ingress's own backend are quoted with
// their numbers, the pod behind the address is named, another app's
// line is left out.
func TestIngressControllerLogQuotesTheBackendsLines(t *testing.T) {
	f := onlyFinding(t, ingressControllerLogUpstream, "testdata/ingress-controller-log-upstream/bad-dump-refused.yaml")
	ev := strings.Join(f.Evidence, "\n")
	wantContains(t, "evidence", ev,
		"log of container controller of pod ingress-nginx/ingress-nginx-controller-7c9f-abcde, current run, from the dump's log section",
		`line 8: 2026/01/02 10:00:01 [error] 40#40: *1 connect() failed (111: Connection refused) while connecting to upstream`, "(3 lines like it)")
	if strings.Contains(ev, "blog.example.com") {
		t.Errorf("another app's upstream quoted: %s", ev)
	}
	wantContains(t, "cause", f.Cause, "ingress-nginx/ingress-nginx-controller-7c9f-abcde", "Service/shop/web (10.244.1.9:8080 is pod shop/web-1)", "refuses the connection")
	wantContains(t, "verify", f.Verify, "kubectl logs -n ingress-nginx -c controller --since=5m -- ingress-nginx-controller-7c9f-abcde")
	if f.Severity != diagnose.SeverityWarning {
		t.Errorf("severity %s: the controller's log is evidence beside the path's own verdict", f.Severity)
	}
}

func TestCoreDNSLogNamesTheForbiddenList(t *testing.T) {
	f := onlyFinding(t, dnsCoreDNSLogErrors, "testdata/dns-coredns-log-errors/bad-dump-api-forbidden.yaml")
	wantContains(t, "evidence", strings.Join(f.Evidence, "\n"),
		"log of container coredns of pod kube-system/coredns-5d78c9869d-q2w3e, current run",
		"Failed to watch *v1.EndpointSlice", "(2 lines like it)")
	if len(f.Evidence) < 2 || !strings.HasPrefix(f.Evidence[1], "log line 8: [ERROR] plugin/kubernetes:") {
		t.Errorf("first quote %q, want the error line, not the readiness wait it causes", f.Evidence)
	}
	wantContains(t, "cause", f.Cause, "kubernetes plugin cannot read Services", "ClusterRole system:coredns")
	wantContains(t, "fix", f.Fix, "kubectl edit clusterrole system:coredns")
}

// Only failing paths' hop logs are read: a live scan asks for the
// controller's log when its Ingress's path is broken, CoreDNS's when the
// DNS is implicated, and for neither on a healthy cluster.
func TestHopLogsAreReadOnlyForFailingPaths(t *testing.T) {
	live := func(file string) *snapshot.Snapshot {
		s := decodeCase(t, file, true)
		s.Logs = nil // what a live scan holds before it reads any log
		for _, k := range []string{snapshot.KindIngress, snapshot.KindIngressClass, snapshot.KindEndpointSlice, snapshot.KindNode, snapshot.KindReplicaSet, snapshot.KindNetworkPolicy} {
			s.Listed[k] = true
		}
		s.Index()
		return s
	}
	pods := func(logs []snapshot.ContainerLog) string {
		var out []string
		for _, l := range logs {
			out = append(out, l.Namespace+"/"+l.Pod+"/"+l.Container)
		}
		return strings.Join(out, ",")
	}
	// Healthy: web's pod is Ready behind its Ingress.
	if got := pods(LogsToRead(live("testdata/ingress-controller-log-upstream/good-dump-other-backend.yaml"))); got != "" {
		t.Errorf("logs read on a healthy path: %s", got)
	}
	// The same path with web's endpoint gone not ready: broken.
	s := live("testdata/ingress-controller-log-upstream/good-dump-other-backend.yaml")
	ep := s.EndpointsFor("shop", "web")
	ep.Subsets[0].NotReadyAddresses, ep.Subsets[0].Addresses = ep.Subsets[0].Addresses, nil
	s.Index()
	if got := pods(LogsToRead(s)); got != "ingress-nginx/ingress-nginx-controller-7c9f-abcde/controller" {
		t.Errorf("logs read for a broken Ingress path: %q, want the controller's", got)
	}
	if got := pods(LogsToRead(live("testdata/dns-coredns-log-errors/bad-dump-api-forbidden.yaml"))); got != "kube-system/coredns-5d78c9869d-q2w3e/coredns" {
		t.Errorf("logs read with CoreDNS not ready: %q, want CoreDNS's", got)
	}
	if got := pods(LogsToRead(live("testdata/dns-coredns-log-errors/good-dump-healthy-dns.yaml"))); got != "" {
		t.Errorf("logs read with the DNS healthy: %q", got)
	}
}

// A dump directory carries every pod's logs.txt: the controller's and
// CoreDNS's are read from there like a failing container's, and no other.
func TestHopLogsFromDumpDirectories(t *testing.T) {
	cases := []struct {
		dir, check, object, quote, log string
	}{
		{"testdata/logs/cluster-info-dump-coredns-forbidden", dnsCoreDNSLogErrors.ID, "Deployment/kube-system/coredns",
			"log line 5: [ERROR] plugin/kubernetes:", "kube-system/coredns-5d78c9869d-q2w3e/logs.txt"},
		{"testdata/logs/cluster-info-dump-ingress-refused", ingressControllerLogUpstream.ID, "Ingress/shop/web",
			"log line 4: 2026/01/02 10:00:01 [error] 40#40: *1 connect() failed (111: Connection refused)", "ingress-nginx/ingress-nginx-controller-7c9f-abcde/logs.txt"},
	}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			reads := countLogReads(t)
			res, err := diagnose.Engine{Checks: All()}.Run(loadCapture(t, c.dir), diagnose.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := findingOf(t, res, c.check)
			if f.Object.String() != c.object || !hasEvidence(f, c.quote) || !hasEvidence(f, c.log) {
				t.Errorf("finding on %s, evidence:\n%s", f.Object, strings.Join(f.Evidence, "\n"))
			}
			got := reads()
			if len(got) == 0 {
				t.Fatal("no log file read")
			}
			for _, p := range got {
				if !strings.HasSuffix(filepath.ToSlash(p), c.log) {
					t.Errorf("read %s, want only %s", p, c.log)
				}
			}
		})
	}
}

// A live read of the controller's log that was refused is "not checked:
// forbidden" on the Ingress, and nothing is invented.
func TestHopLogForbiddenIsNotChecked(t *testing.T) {
	s := loadCase(t, "testdata/ingress-controller-log-upstream/bad-dump-refused.yaml")
	s.Logs = []snapshot.ContainerLog{{Namespace: "ingress-nginx", Pod: "ingress-nginx-controller-7c9f-abcde", Container: "controller",
		Unread: `forbidden: User "dev" cannot get resource "pods/log" in the namespace "ingress-nginx"`}}
	r := diagnose.NewReporter(ingressControllerLogUpstream)
	ingressControllerLogUpstream.Run(s, r)
	if len(r.Findings()) != 0 {
		t.Errorf("findings without a log: %v", r.Findings())
	}
	nc := r.NotCheckedItems()
	if len(nc) != 1 || nc[0].Object.String() != "Ingress/shop/web" || !strings.Contains(nc[0].Why, "not checked: forbidden") {
		t.Errorf("not checked = %+v", nc)
	}
}

// A crash whose log shows its lookups timing out implicates the DNS:
// CoreDNS's log is then read, and its silent upstream quoted.
func TestCoreDNSLogIsReadWhenACrashTimesOutOnLookups(t *testing.T) {
	s := loadCase(t, "testdata/dns-coredns-log-errors/good-dump-healthy-dns.yaml")
	if got := runCheck(dnsCoreDNSLogErrors, s); len(got) != 0 {
		t.Fatalf("findings with the DNS healthy: %v", got)
	}
	crash := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "api-1", Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "example/api:1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "api", RestartCount: 4, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}},
		}}},
	}
	if err := s.Add(crash, snapshot.Origin{}); err != nil {
		t.Fatal(err)
	}
	s.Logs = append(s.Logs, snapshot.ContainerLog{Namespace: "shop", Pod: "api-1", Container: "api", Previous: true,
		Tail: "panic: Get \"http://registry.example.com/\": dial tcp: lookup registry.example.com on 10.96.0.10:53: read udp 10.244.1.7:40000->10.96.0.10:53: i/o timeout\n"})
	s.Index()
	f := soleFinding(t, dnsCoreDNSLogErrors, s, "healthy DNS and a crash timing out on lookups")
	wantContains(t, "cause", f.Cause, "forwards names outside the cluster to does not answer", "(10.0.0.2:53)")
	wantContains(t, "fix", f.Fix, "kubectl edit configmap -n kube-system -- coredns")
}

// What a proxy's log may call an Ingress's backend: ingress-nginx's
// upstream name, the Service's cluster IP, its endpoints' and pods'
// addresses, with or without a port.
func TestIngressUpstreamsNameTheBackend(t *testing.T) {
	s := loadCase(t, "testdata/ingress-controller-log-upstream/bad-dump-refused.yaml")
	ups := ingressUpstreams(s, s.Ingresses[0])
	for _, target := range []string{"shop-web-80", "10.96.20.2:80", "10.244.1.9:8080", "10.244.1.9"} {
		u, ok := upstreamNamed(ups, target)
		if !ok || u.service.String() != "Service/shop/web" {
			t.Errorf("%s: %+v %v, want Service/shop/web", target, u, ok)
		}
	}
	if u, ok := upstreamNamed(ups, "10.244.1.9:8080"); !ok || u.pod == nil || u.pod.Name != "web-1" {
		t.Errorf("the endpoint's pod is not named: %+v", u)
	}
	for _, target := range []string{"", "10.244.7.7:3000", "blog-web-80", "shop-web-8080"} {
		if u, ok := upstreamNamed(ups, target); ok {
			t.Errorf("%q names %+v, which is no backend of the Ingress", target, u)
		}
	}
}
