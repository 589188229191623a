package safetext

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"OSC 0 title \x1b]0;pwned\x07", `OSC 0 title \x1b]0;pwned\x07`},
		{"OSC 52 \x1b]52;c;ZWNobyBoaQ==\x1b\\", `OSC 52 \x1b]52;c;ZWNobyBoaQ==\x1b\`},
		{"OSC 8 \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", `OSC 8 \x1b]8;;https://evil.example/\x1b\click\x1b]8;;\x1b\`},
		{"erase \x1b[2K\x1b[1A line", `erase \x1b[2K\x1b[1A line`},
		{"ok\rFAKE", `ok\rFAKE`},
		{"two\nlines\tand tab", `two\nlines\tand tab`},
		{"nul \x00 del \x7f", `nul \x00 del \x7f`},
		{"C1 CSI \u009b2J", `C1 CSI \u009b2J`},
		{"raw C1 byte \x9b2J", `raw C1 byte \x9b2J`},
		{"bidi \u202eevil\u202c \u2066iso\u2069 \u200fmark", `bidi \u202eevil\u202c \u2066iso\u2069 \u200fmark`},
		{"sep \u2028 \u2029", `sep \u2028 \u2029`},
		{"zero\u200bwidth \ufeffbom \U000e0041tag", `zero\u200bwidth \ufeffbom \U000e0041tag`},
		{"cut \xe6\x97 utf-8", `cut \xe6\x97 utf-8`},
		{"surrogate \xed\xa0\x80", `surrogate \xed\xa0\x80`},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// benign is text that must pass Sanitize unchanged: names, messages, other
// scripts, emoji sequences, and commands without credentials.
var benign = []string{
	"",
	"api-svc",
	"Deployment/default/api-6c9f7d8b5-2xkqp",
	"ENDPOINTS: <none> for Service api-svc",
	"selector: app=api, tier=backend",
	"Readiness probe failed: HTTP probe failed with statuscode: 503",
	`Back-off pulling image "registry.example.com/team/api:1.4.2"`,
	"café résumé naïve — 日本語のサービス — Ελληνικά — עברית — العربية",
	"नमस्ते ज़िन्दगी", // Devanagari with a nukta; ZWJ/ZWNJ stay too
	"👩‍💻 👍🏽 🇩🇪",
	"envelope \u200c non-joiner",
	"replacement \ufffd char",
	`kubectl patch deployment api -n default --type=json -p '[{"op":"replace","path":"/spec/template/metadata/labels/app","value":"api"}]'`,
	`kubectl patch configmap app-config -n shop --type=merge -p '{"data":{"DB_HOST":"postgres.shop.svc.cluster.local:5432"}}'`,
	"kubectl get endpoints api-svc -n default",
	`env DB_URL="postgres://app@db.shop.svc:5432/app?sslmode=disable" in container api`,
	"redis://redis-master.cache.svc:6379/0",
	"http://user@example.com/path",
	"https://example.com:8443/login?next=/home&lang=en",
	"spec.tls[0] hosts [shop.example.com] → secretName \"shop-tls\": no Secret of that name in namespace shop",
	`closest existing Secret: "shop-tls" (edit distance 1)`,
	`MountVolume.SetUp failed for volume "db-password" : secret "db-password" not found`,
	"volume db-password: secret db-password not found",
	"Pod shop/fortune-cookie: 2 of 2 containers ready",
	"secretKeyRef db-credentials/password: key missing",
	"env from Secret api-token, key token",
	"secretName=shop-tls tokenFile=/var/run/token passwordRef=vault",
	"kubectl taint nodes node-1 key=value:NoSchedule-",
	"--key=tls.key --cert=tls.crt",
	"bearer authentication failed",
	"Authorization header missing",
	`C:\Program Files\app\run.exe`,
	"regex ^api-[0-9]+$ matched",
	"-----BEGIN CERTIFICATE-----MIIB-----END CERTIFICATE-----",
}

func TestSanitizeKeepsBenignText(t *testing.T) {
	for _, s := range benign {
		if got := Sanitize(s); got != s {
			t.Errorf("Sanitize changed benign text\n in: %q\nout: %q", s, got)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://user:password@db.shop.svc/app", "postgres://user:REDACTED@db.shop.svc/app"},
		{"mysql://root:p@ss:w0rd@mysql:3306/db?tls=true", "mysql://root:REDACTED@mysql:3306/db?tls=true"},
		{"redis://:s3cret@redis:6379/0", "redis://:REDACTED@redis:6379/0"},
		{`env DATABASE_URL="postgres://app:hunter2@db/app" in container api`, `env DATABASE_URL="postgres://app:REDACTED@db/app" in container api`},
		{"https://x-access-token:ghs_abc123@github.com/org/repo.git", "https://x-access-token:REDACTED@github.com/org/repo.git"},
		{"https://api.example.com/v1?access_token=abc123&page=2", "https://api.example.com/v1?access_token=REDACTED&page=2"},
		{"https://maps.example.com/api?key=AIzaSyA&q=x", "https://maps.example.com/api?key=REDACTED&q=x"},
		{"https://store.blob.core.windows.net/c/b?sv=2021-06-08&sig=abc%2Bdef%3D", "https://store.blob.core.windows.net/c/b?sv=2021-06-08&sig=REDACTED"},
		{"https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA/2024&X-Amz-Signature=deadbeef", "https://b.s3.amazonaws.com/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED"},
		{"?api_key=1&password=2&token=3&secret=4&client_secret=5", "?api_key=REDACTED&password=REDACTED&token=REDACTED&secret=REDACTED&client_secret=REDACTED"},
		{`-p '{"value":"https://h/x?a=1\u0026token=abc"}'`, `-p '{"value":"https://h/x?a=1\u0026token=REDACTED"}'`},
		{"host=db port=5432 user=app password=s3cr3t dbname=app", "host=db port=5432 user=app password=REDACTED dbname=app"},
		{"host=db password = 's3 cr3t' sslmode=require", "host=db password = 'REDACTED' sslmode=require"},
		{"Server=db;Database=app;User Id=sa;Password=Pa55;Encrypt=true", "Server=db;Database=app;User Id=sa;Password=REDACTED;Encrypt=true"},
		{"Data Source=db;Uid=sa;Pwd=Pa55;", "Data Source=db;Uid=sa;Pwd=REDACTED;"},
		{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Authorization: Bearer REDACTED"},
		{`curl -H "Authorization: Basic dXNlcjpwYXNz" http://api:8080/healthz`, `curl -H "Authorization: Basic REDACTED" http://api:8080/healthz`},
		{"authorization: token123abc", "authorization: REDACTED"},
		{"X-Api-Key: abcdef0123 and more", "X-Api-Key: REDACTED and more"},
		{"Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc", "Authorization: REDACTED"},
		{"Cookie: session=abc; theme=dark", "Cookie: REDACTED"},
		{`-H "Proxy-Authorization: Basic dXNlcjpwYXNz"`, `-H "Proxy-Authorization: Basic REDACTED"`},
		{"probe: curl -H 'bearer abc.def-123' /", "probe: curl -H 'bearer REDACTED' /"},
		{`env DB_PASSWORD="hunter2" in container api`, `env DB_PASSWORD="REDACTED" in container api`},
		{`env PGPASSWORD=hunter2 API_KEY=k-123 GITHUB_TOKEN=ghp_x AWS_SECRET_ACCESS_KEY=wJalr`, `env PGPASSWORD=REDACTED API_KEY=REDACTED GITHUB_TOKEN=REDACTED AWS_SECRET_ACCESS_KEY=REDACTED`},
		{"PRIVATE_KEY=abc CREDENTIALS=xyz SIGNING_KEY=k DB_PASS=p BASIC_AUTH=u:p JWT=e.y.z", "PRIVATE_KEY=REDACTED CREDENTIALS=REDACTED SIGNING_KEY=REDACTED DB_PASS=REDACTED BASIC_AUTH=REDACTED JWT=REDACTED"},
		{`ConfigMap shop/app key SMTP_PASSWORD="p\"w d"`, `ConfigMap shop/app key SMTP_PASSWORD="REDACTED"`},
		{`{"password":"x y","user":"app"}`, `{"password":"REDACTED","user":"app"}`},
		{`{"apiKey": "k1"}`, `{"apiKey": "REDACTED"}`},
		{`"{\"token\":\"abc\"}"`, `"{\"token\":\"REDACTED\"}"`},
		{`[{"name":"DB_PASSWORD","value":"hunter2"},{"name":"DB_HOST","value":"db"}]`, `[{"name":"DB_PASSWORD","value":"REDACTED"},{"name":"DB_HOST","value":"db"}]`},
		{"app --db-password hunter2 --port 8080", "app --db-password REDACTED --port 8080"},
		{"app --token=abc --verbose", "app --token=REDACTED --verbose"},
		{"curl -u admin:hunter2 http://x/", "curl -u admin:REDACTED http://x/"},
		{"curl --user=admin:hunter2 http://x/", "curl --user=admin:REDACTED http://x/"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----"},
		{"key: -----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqh…", "key: -----BEGIN PRIVATE KEY-----REDACTED"},
		{"DB_URL=postgres://u:p@h/d", "DB_URL=postgres://u:REDACTED@h/d"},
		{"PASSWORD=postgres://u:p@h/d", "PASSWORD=REDACTED"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if again := Redact(c.want); again != c.want {
			t.Errorf("Redact is not idempotent on %q: %q", c.want, again)
		}
	}
}

// TestSanitizeRedactsBeforeEscaping: a credential cut by a control
// character is still hidden, and the control characters after it are
// escaped.
func TestSanitizeRedactsBeforeEscaping(t *testing.T) {
	got := Sanitize("token=abc\x1b]0;t\x07 postgres://u:p\x00w@h/\r")
	want := `token=REDACTED;t\x07 postgres://u:REDACTED@h/\r`
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSanitizeLargeInput(t *testing.T) {
	s := strings.Repeat("a=b:c \x1b[2K password=x ", 1<<20/24)
	out := Sanitize(s)
	if !utf8.ValidString(out) || strings.ContainsRune(out, 0x1b) || strings.Contains(out, "password=x") {
		t.Fatal("1 MiB input not sanitized")
	}
}

// TestRedactIsLinear: text made of nothing but credential names, quotes
// or header names costs one scan, not one per separator.
func TestRedactIsLinear(t *testing.T) {
	for _, unit := range []string{"token=", `password="`, "Cookie: ", "Authorization: ", "--token ", "a://b:c", "-----BEGIN PRIVATE KEY-----", `"secret":"`} {
		s := strings.Repeat(unit, 1<<20/len(unit))
		start := time.Now()
		out := Sanitize(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%d bytes of %q took %v", len(s), unit, d)
		}
		if !utf8.ValidString(out) {
			t.Errorf("%q: invalid output", unit)
		}
	}
}

func TestSanitizeDoesNotAllocateForPlainText(t *testing.T) {
	s := "Readiness probe failed: Get \"http://10.0.0.7:8080/healthz\": dial tcp 10.0.0.7:8080: connect: connection refused"
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Errorf("Sanitize allocated %v times on plain text", n)
	}
}

func TestSanitizeLinesKeepsLineFeedsOnly(t *testing.T) {
	in := "kubectl apply -f - <<'EOF'\nmetadata:\n  name: a\x1b[2K\r\n  password: x\nEOF"
	want := "kubectl apply -f - <<'EOF'\nmetadata:\n  name: a\\x1b[2K\\r\n  password: x\nEOF"
	if got := SanitizeLines(in); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"
	if got := SanitizeLines(key); strings.Contains(got, "MHcCAQEE") {
		t.Errorf("key body across lines not redacted: %q", got)
	}
}

// FuzzSanitize: whatever the input, the output is valid UTF-8 that Escape
// leaves alone, and sanitizing twice changes nothing.
func FuzzSanitize(f *testing.F) {
	for _, s := range benign {
		f.Add(s)
	}
	f.Add("\x1b]52;c;ZWNobw==\x07 postgres://u:p@h/d?token=x \u202e \xff")
	f.Add(`PASSWORD="a\"b" Authorization: Bearer abc.def-1 --token x -u a:b`)
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
		}
		if Escape(out) != out {
			t.Fatalf("unsafe characters left in %q", out)
		}
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		lines := SanitizeLines(s)
		for _, l := range strings.Split(lines, "\n") {
			if Escape(l) != l {
				t.Fatalf("unsafe characters left in line %q of SanitizeLines(%q)", l, s)
			}
		}
		if again := SanitizeLines(lines); again != lines {
			t.Fatalf("SanitizeLines not idempotent: %q -> %q -> %q", s, lines, again)
		}
	})
}
