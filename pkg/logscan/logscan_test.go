package logscan

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCatalogueClassifiesNetworkingFailures(t *testing.T) {
	cases := []struct {
		line, sig, target string
	}{
		{`panic: dial tcp: lookup orders-db on 10.96.0.10:53: no such host`, "name-not-resolved", "orders-db"},
		{`Error: getaddrinfo ENOTFOUND redis-master`, "name-not-resolved", "redis-master"},
		{`java.net.UnknownHostException: kafka-0.kafka: Name or service not known`, "name-not-resolved", "kafka-0.kafka"},
		{`lookup api.example.com on 10.96.0.10:53: server misbehaving`, "name-not-resolved", "api.example.com"},
		{`Get "http://api-svc/": dial tcp: lookup api-svc on 10.96.0.10:53: read udp 10.244.0.7:40000->10.96.0.10:53: i/o timeout`, "dns-lookup-timeout", "api-svc"},
		{`;; connection timed out; no servers could be reached`, "dns-lookup-timeout", ""},
		{`[ERROR] plugin/errors: 2 orders.shop.svc.cluster.local. A: read udp 10.244.0.5:41234->8.8.8.8:53: i/o timeout`, "dns-server-failure", "orders.shop.svc.cluster.local"},
		{`;; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 4242`, "dns-server-failure", ""},
		{`2024/05/01 10:00:00 [error] 31#31: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://10.244.1.7:8080/", host: "shop.example.com"`, "upstream-unreachable", "10.244.1.7:8080"},
		{`upstream connect error or disconnect/reset before headers. reset reason: connection failure`, "upstream-unreachable", ""},
		{`2024/05/01 [error] no live upstreams while connecting to upstream`, "upstream-unreachable", ""},
		{`Get "https://billing:8443/v1": x509: certificate signed by unknown authority`, "certificate-rejected", "billing:8443"},
		{`x509: certificate has expired or is not yet valid`, "certificate-rejected", ""},
		{`x509: certificate is valid for web.default.svc, not web.shop.svc`, "certificate-rejected", ""},
		{`http: TLS handshake error from 10.244.0.9:51234: tls: first record does not look like a TLS handshake`, "tls-handshake-failed", "10.244.0.9:51234"},
		{`Get "https://api:8080/": http: server gave HTTP response to HTTPS client`, "tls-handshake-failed", "api:8080"},
		{`remote error: tls: handshake failure`, "tls-handshake-failed", ""},
		{` * Running on http://127.0.0.1:5000`, "listening-on-loopback", "127.0.0.1:5000"},
		{`Server listening on localhost:8080`, "listening-on-loopback", "localhost:8080"},
		{`INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)`, "listening-on-loopback", "127.0.0.1:8000"},
		{`Server started at http://localhost:3000/`, "listening-on-loopback", "localhost:3000"},
		{`listen tcp :8080: bind: address already in use`, "address-in-use", ":8080"},
		{`listen tcp :80: bind: permission denied`, "bind-permission-denied", ":80"},
		{`dial tcp 10.96.14.2:5432: connect: connection refused`, "connection-refused", "10.96.14.2:5432"},
		{`Error: connect ECONNREFUSED 10.96.3.3:6379`, "connection-refused", "10.96.3.3:6379"},
		{`dial tcp 10.96.14.2:5432: i/o timeout`, "connect-timeout", "10.96.14.2:5432"},
		{`failed to dial payments:9000: context deadline exceeded`, "connect-timeout", ""},
	}
	for _, c := range cases {
		m := Scan([]Line{{N: 7, Text: c.line}})
		if len(m) != 1 {
			t.Errorf("%q: %d matches, want 1", c.line, len(m))
			continue
		}
		if m[0].Signature.ID != c.sig || m[0].Target != c.target || m[0].Line != 7 {
			t.Errorf("%q: got %s target %q line %d, want %s target %q", c.line, m[0].Signature.ID, m[0].Target, m[0].Line, c.sig, c.target)
		}
	}
}

func TestScanIgnoresOrdinaryErrors(t *testing.T) {
	for _, line := range []string{
		`ERROR failed to parse config: unexpected key "colour"`,
		`exception in thread main java.lang.NullPointerException`,
		`GET /healthz 200 1ms`,
		`listening on 0.0.0.0:8080`,
		`listening on :8080`,
		`config: tls: enabled, port: 8443`,
		`started; connecting to redis at 127.0.0.1:6379`,
		`connecting to database at localhost:5432 through the proxy sidecar`,
		`running with config from /etc/app/localhost.yaml`,
	} {
		if m := Scan([]Line{{N: 1, Text: line}}); len(m) != 0 {
			t.Errorf("%q matched %s", line, m[0].Signature.ID)
		}
	}
}

func TestScanDeduplicatesMaskedRepeatsAndRedacts(t *testing.T) {
	lines := []Line{
		{1, `2024-05-01T10:00:01Z dial tcp 10.96.14.2:5432: connect: connection refused req=3f2a9c1d-1111-4c2b-9d3e-aaaaaaaaaaaa`},
		{2, `2024-05-01T10:00:02Z dial tcp 10.96.14.3:5432: connect: connection refused req=7e2a9c1d-2222-4c2b-9d3e-bbbbbbbbbbbb`},
		{3, `retrying postgres://app:hunter2@orders-db:5432/orders: dial tcp 10.96.14.2:5432: connect: connection refused`},
		{4, `everything fine`},
	}
	m := Scan(lines)
	if len(m) != 2 {
		t.Fatalf("got %d matches, want 2: %+v", len(m), m)
	}
	if m[0].Line != 1 || m[0].LastLine != 2 || m[0].Count != 2 {
		t.Errorf("first match lines %d-%d count %d, want lines 1-2 count 2", m[0].Line, m[0].LastLine, m[0].Count)
	}
	if strings.Contains(m[1].Text, "hunter2") || !strings.Contains(m[1].Text, "REDACTED") {
		t.Errorf("credential not redacted: %q", m[1].Text)
	}
	if q := m[0].Quote(); !strings.HasPrefix(q, "line 1: ") || !strings.HasSuffix(q, "(2 lines like it)") {
		t.Errorf("quote %q", q)
	}
}

func TestScanKeepsAtMostMaxMatches(t *testing.T) {
	var lines []Line
	for i, host := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		lines = append(lines, Line{i + 1, "dial tcp: lookup " + host + "-svc on x: no such host"})
	}
	if m := Scan(lines); len(m) != MaxMatches {
		t.Errorf("got %d matches, want %d", len(m), MaxMatches)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// A container whose log is 1 GiB costs at most the bound in bytes read.
func TestReadTailOfOneGiBReadsAtMostTheBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "current.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 30
	if err := f.Truncate(size); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	last := "dial tcp 10.96.14.2:5432: connect: connection refused\n"
	if _, err := f.WriteAt([]byte("\n"+last), size-int64(len(last))-1); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := &countingReader{r: f}
	tail, err := ReadTail(cr, size, MaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	if got := cr.n.Load(); got > MaxBytes {
		t.Errorf("read %d bytes of a 1 GiB log, bound is %d", got, MaxBytes)
	}
	if !tail.Truncated {
		t.Error("tail of a 1 GiB log not marked truncated")
	}
	lines := tail.Lines(MaxLines)
	if len(lines) == 0 || lines[len(lines)-1].Text != strings.TrimSuffix(last, "\n") {
		t.Fatalf("last line not read: %+v", lines)
	}
	if m := Scan(lines); len(m) != 1 || m[0].Signature.ID != "connection-refused" {
		t.Errorf("matches %+v", m)
	}
	// ReadFileTail goes through the same bounded read.
	ft, err := ReadFileTail(path, MaxBytes)
	if err != nil || len(ft.Text) > MaxBytes {
		t.Errorf("ReadFileTail: %d bytes, %v", len(ft.Text), err)
	}
}

func TestReadFileTailRefusesWhatIsNotARegularFile(t *testing.T) {
	if _, err := ReadFileTail(t.TempDir(), MaxBytes); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v", err)
	}
}

func TestLinesKeepsTheLastLinesWithTheirNumbers(t *testing.T) {
	tail := Tail{Text: "a\nb\nc\nd\n"}
	got := tail.Lines(2)
	if len(got) != 2 || got[0] != (Line{3, "c"}) || got[1] != (Line{4, "d"}) {
		t.Errorf("got %+v", got)
	}
	cut := TailOf([]byte("rtial line\nwhole\n"), true)
	if cut.Text != "whole\n" {
		t.Errorf("partial first line kept: %q", cut.Text)
	}
}

func TestSectionFindsOneContainersLogInADumpFile(t *testing.T) {
	text := "==== START logs for container init of pod shop/api-1 ====\n" +
		"init ok\n" +
		"==== END logs for container init of pod shop/api-1 ====\n" +
		"==== START logs for container api of pod shop/api-1 ====\n" +
		"no such host\n" +
		"==== END logs for container api of pod shop/api-1 ====\n"
	lines := Tail{Text: text}.Lines(MaxLines)
	got, ok := Section(lines, "api")
	if !ok || len(got) != 1 || got[0] != (Line{5, "no such host"}) {
		t.Errorf("got %+v %v", got, ok)
	}
	if _, ok := Section(lines, "sidecar"); ok {
		t.Error("found a section for a container the file does not hold")
	}
	// A tail that starts inside the section still finds it.
	got, ok = Section(lines[4:], "api")
	if !ok || len(got) != 1 || got[0].N != 5 {
		t.Errorf("tail inside the section: %+v %v", got, ok)
	}
	got, ok = Section(lines[1:], "api")
	if !ok || len(got) != 1 {
		t.Errorf("tail inside the section before: %+v %v", got, ok)
	}
}

// The proxies' and CoreDNS's own lines, each read only with its hop's
// catalogue; the app catalogue leaves the DNS server's words alone.
func TestHopCataloguesClassifyTheirOwnLogs(t *testing.T) {
	cases := []struct {
		catalogue       []*Signature
		line, sig, host string
	}{
		{ProxyCatalogue, `2026/01/02 10:00:00 [error] 40#40: *7 SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream, client: 10.0.0.1, server: shop.example.com, request: "GET / HTTP/2.0", upstream: "https://10.244.1.7:8080/", host: "shop.example.com"`, "upstream-tls-mismatch", "10.244.1.7:8080"},
		{ProxyCatalogue, `2026/01/02 10:00:00 [error] 40#40: *8 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 10.0.0.1, server: _, request: "GET /api HTTP/1.1", upstream: "http://10.244.2.3:9000/api", host: "api.example.com"`, "upstream-reset", "10.244.2.3:9000"},
		{ProxyCatalogue, `[2026-01-02T10:00:00.000Z] "GET /cart HTTP/1.1" 503 UF 0 91 2 - "10.0.0.1" "curl/8.5.0" "6f1c" "shop.example.com" "10.244.1.9:8080"`, "upstream-failure-response", "10.244.1.9:8080"},
		{ProxyCatalogue, `2026/01/02 10:00:00 [error] 40#40: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, upstream: "http://10.244.1.7:8080/", host: "shop.example.com"`, "upstream-unreachable", "10.244.1.7:8080"},
		{ClusterDNSCatalogue, `[ERROR] plugin/kubernetes: Failed to watch *v1.EndpointSlice: failed to list *v1.EndpointSlice: endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:kube-system:coredns" cannot list resource "endpointslices"`, "dns-api-unreachable", ""},
		{ClusterDNSCatalogue, `[INFO] plugin/kubernetes: reflector.go:231: failed to list *v1.Namespace: Get "https://10.96.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: i/o timeout`, "dns-api-unreachable", "10.96.0.1:443"},
		{ClusterDNSCatalogue, `[WARNING] plugin/kubernetes: starting server with unsynced Kubernetes API`, "dns-api-unreachable", ""},
		{ClusterDNSCatalogue, `[ERROR] plugin/errors: 2 registry.example.com. AAAA: read udp 10.244.0.3:43214->10.0.0.2:53: i/o timeout`, "dns-upstream-timeout", "10.0.0.2:53"},
		{ClusterDNSCatalogue, `[FATAL] plugin/loop: Loop (127.0.0.1:46007 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting`, "dns-forwarding-loop", ""},
		{ClusterDNSCatalogue, `[ERROR] plugin/errors: 2 orders.shop.svc.cluster.local. A: unreachable backend: no upstream host`, "dns-server-failure", "orders.shop.svc.cluster.local"},
	}
	for _, c := range cases {
		m := ScanWith([]Line{{N: 3, Text: c.line}}, c.catalogue)
		if len(m) != 1 || m[0].Signature.ID != c.sig || m[0].Target != c.host {
			t.Errorf("%q: got %+v, want %s target %q", c.line, m, c.sig, c.host)
		}
	}
	if m := Scan([]Line{{N: 1, Text: `E0102 operator.go:12] failed to list *v1.Service: services is forbidden`}}); len(m) != 0 {
		t.Errorf("an app's own API error read as a networking failure: %+v", m)
	}
}
