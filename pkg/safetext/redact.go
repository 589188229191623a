package safetext

import (
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces the value of a credential. It is the word kubectl config
// view prints for hidden tokens, so readers know it.
const Redacted = "REDACTED"

// Redact returns s with the values of credentials replaced by Redacted, and
// everything else as it was. It recognises:
//
//   - the password of a URL's userinfo: postgres://app:REDACTED@db/app;
//   - name=value pairs, in queries, DSNs, env listings and flags, whose name
//     says it holds a credential: ?access_token=, password=, PGPASSWORD=,
//     API_KEY=, --client-secret=, X-Amz-Signature=, and Azure's sig=;
//   - the same names as JSON keys ("password":"…"), in Kubernetes env
//     entries ({"name":"DB_PASSWORD","value":"…"}) and as long flags with a
//     separate value (--token …);
//   - curl's -u/--user user:password;
//   - Authorization and Cookie headers (the scheme stays: Bearer REDACTED),
//     header-cased names that say credential (X-Api-Key:) and a bare
//     "Bearer <token>";
//   - the body of a PEM private key block.
//
// A name says credential when its last word is password, passwd, pwd, pass,
// passphrase, secret, token, credential(s), signature, authorization, auth,
// jwt or sig, or when it ends in key after another word (SIGNING_KEY,
// api-key); a lone key counts only as a query parameter (?key=). Names that
// only point at a credential do not count: secretName, tokenFile,
// passwordRef keep their values. Quoted values are redacted inside their
// quotes; an unquoted value ends at white space, a quote, &, ;, < or >.
//
// Redact errs towards hiding: a label named token loses its value. It does
// not recognise a bare secret with no name beside it.
func Redact(s string) string {
	spans := credentialSpans(s)
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(spans); {
		// Overlapping finds (a URL password inside PASSWORD=...) become
		// one marker.
		sp := spans[i]
		for i++; i < len(spans) && spans[i].start <= sp.end; i++ {
			sp.end = max(sp.end, spans[i].end)
		}
		b.WriteString(s[last:sp.start])
		b.WriteString(Redacted)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// span is a byte range [start, end) of s that holds a credential.
type span struct{ start, end int }

// credentialSpans finds the credentials of s in one pass: each =, : and -
// may start one. A position inside a credential already found is skipped,
// so text made of nothing but "token=token=…" costs one scan, not one per
// separator.
func credentialSpans(s string) []span {
	var out []span
	covered := 0
	for i := 0; i < len(s); i++ {
		if len(out) > 0 {
			covered = max(covered, out[len(out)-1].end)
		}
		if i < covered {
			continue
		}
		switch s[i] {
		case '=':
			out = pairValue(s, i, out)
		case ':':
			if strings.HasPrefix(s[i:], "://") {
				out = urlPassword(s, i+3, out)
			} else {
				out = keyValue(s, i, out)
			}
		case '-':
			if strings.HasPrefix(s[i:], pemBegin) {
				out = privateKey(s, i+len(pemBegin), out)
			} else if i == 0 || wordStart(s[i-1]) {
				out = flagValue(s, i, out)
			}
		}
	}
	out = envEntries(s, out)
	out = bearerTokens(s, out)
	return out
}

// urlPassword finds the password of scheme://user:password@host, where the
// authority starts at start. The password runs to the last @ before the
// authority ends, as URL parsers read it, so an unencoded @ inside it is
// hidden too.
func urlPassword(s string, start int, out []span) []span {
	colon := -1
	for j := start; j < len(s) && !authorityEnd(s[j]) && s[j] != '@'; j++ {
		if s[j] == ':' {
			colon = j
			break
		}
	}
	if colon < 0 {
		return out
	}
	at := -1
	for j := colon + 1; j < len(s) && !authorityEnd(s[j]); j++ {
		if s[j] == '@' {
			at = j
		}
	}
	if at > colon+1 {
		out = append(out, span{colon + 1, at})
	}
	return out
}

// authorityEnd reports whether c ends a URL's authority, or a URL within
// text.
func authorityEnd(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\n', '\r', '"', '\'', '`', '<', '>', '\\':
		return true
	}
	return false
}

// nameChar reports whether c can be part of a variable, parameter, key or
// flag name.
func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// maxName bounds how far back a name is read, so a long run of name
// characters costs a constant per separator.
const maxName = 128

// nameBefore returns the start of the name that ends at end (exclusive).
func nameBefore(s string, end int) int {
	start := end
	for start > 0 && end-start < maxName && nameChar(s[start-1]) {
		start--
	}
	return start
}

// jsonHTMLEscapes are how encoding/json writes &, < and > by default: a
// query such as ?a=1&token=x inside a printed JSON patch reads
// ?a=1\u0026token=x.
var jsonHTMLEscapes = []string{`\u0026`, `\u003c`, `\u003e`}

// pairValue handles the = at i.
func pairValue(s string, i int, out []span) []span {
	end := i
	for end > 0 && i-end < 3 && s[end-1] == ' ' {
		end--
	}
	start := nameBefore(s, end)
	if start == end {
		return out
	}
	name := s[start:end]
	query := start > 0 && (s[start-1] == '?' || s[start-1] == '&')
	if start > 0 && s[start-1] == '\\' {
		for _, e := range jsonHTMLEscapes {
			if strings.HasPrefix(name, e[1:]) {
				name = name[len(e)-1:]
				query = e == `\u0026`
				break
			}
		}
	}
	if !credentialName(name, query) {
		return out
	}
	v := i + 1
	if end < i { // spaced: password = value
		for v < len(s) && v-i <= 3 && s[v] == ' ' {
			v++
		}
	}
	return appendValue(s, v, out)
}

// keyValue handles the : at i: a JSON key ("password": "value") or a
// header (Authorization: Bearer value).
func keyValue(s string, i int, out []span) []span {
	if i > 0 && s[i-1] == '"' {
		q := strings.LastIndexByte(s[max(0, i-1-maxName):i-1], '"')
		if q < 0 {
			return out
		}
		name := s[max(0, i-1-maxName)+q+1 : i-1]
		v := i + 1
		for v < len(s) && s[v] == ' ' {
			v++
		}
		if (strings.HasPrefix(s[v:], `"`) || strings.HasPrefix(s[v:], `\"`)) && credentialName(name, false) {
			out = appendValue(s, v, out)
		}
		return out
	}
	if i+1 >= len(s) || s[i+1] != ' ' {
		return out
	}
	start := nameBefore(s, i)
	name := s[start:i]
	if name == "" {
		return out
	}
	v := i + 1
	for v < len(s) && s[v] == ' ' {
		v++
	}
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		return appendAuthorization(s, v, out)
	case "cookie", "set-cookie":
		if e := lineEnd(s, v); e > v {
			out = append(out, span{v, e})
		}
		return out
	}
	// Other headers: Header-Case names with a dash (X-Api-Key,
	// Private-Token). Lower-case names with a dash are object names
	// (db-password: …), which say nothing about the text after them.
	if name[0] >= 'A' && name[0] <= 'Z' && strings.Contains(name, "-") && credentialName(name, false) {
		out = appendValue(s, v, out)
	}
	return out
}

// appendAuthorization redacts the credentials of an Authorization value up
// to the end of its line, keeping its scheme (Bearer, Basic, Digest)
// readable. Some schemes carry several comma-separated fields, so the rest
// of the line goes.
func appendAuthorization(s string, v int, out []span) []span {
	w := v
	for w < len(s) && (s[w] >= 'a' && s[w] <= 'z' || s[w] >= 'A' && s[w] <= 'Z') {
		w++
	}
	if w > v && w+1 < len(s) && s[w] == ' ' && s[w+1] != ' ' {
		v = w + 1
	}
	if e := lineEnd(s, v); e > v {
		out = append(out, span{v, e})
	}
	return out
}

// appendValue adds the value that starts at v, without its quotes. Empty
// values add nothing.
func appendValue(s string, v int, out []span) []span {
	if start, end := valueAt(s, v); end > start {
		out = append(out, span{start, end})
	}
	return out
}

// valueAt returns the bounds of the value that starts at v: inside its
// quotes when it is quoted (a cut-off quote runs to the end of s), up to
// valueEnd otherwise.
func valueAt(s string, v int) (start, end int) {
	switch {
	case strings.HasPrefix(s[v:], `\"`):
		// A quoted value inside a quoted string (Go's %q of k="v", a JSON
		// document held in a string): it ends at the next escaped quote,
		// where valueEnd stops.
		return v + 2, valueEnd(s, v+2)
	case strings.HasPrefix(s[v:], `"`):
		e := v + 1
		for e < len(s) && s[e] != '"' {
			if s[e] == '\\' {
				e++
			}
			e++
		}
		return v + 1, min(e, len(s))
	case strings.HasPrefix(s[v:], "'"):
		if e := strings.IndexByte(s[v+1:], '\''); e >= 0 {
			return v + 1, v + 1 + e
		}
		return v + 1, len(s)
	}
	return v, valueEnd(s, v)
}

// valueEnd is where an unquoted value that starts at v ends: at white space,
// a quote, a separator of queries and DSNs (& ;), an angle bracket, or the
// JSON escape of one of them. A backslash followed by anything else belongs
// to the value.
func valueEnd(s string, v int) int {
	for j := v; j < len(s); j++ {
		switch s[j] {
		case ' ', '\t', '\n', '\r', '"', '\'', '`', '&', ';', '<', '>':
			return j
		case '\\':
			if j+1 < len(s) && strings.IndexByte(`"ntr`, s[j+1]) >= 0 {
				return j
			}
			for _, e := range jsonHTMLEscapes {
				if strings.HasPrefix(s[j:], e) {
					return j
				}
			}
		}
	}
	return len(s)
}

// lineEnd is where the rest of a header line ends: at a quote or a line
// break (raw or escaped).
func lineEnd(s string, v int) int {
	for j := v; j < len(s); j++ {
		switch s[j] {
		case '\n', '\r', '"', '\'':
			return j
		case '\\':
			if j+1 < len(s) && strings.IndexByte(`"nr`, s[j+1]) >= 0 {
				return j
			}
		}
	}
	return len(s)
}

// envEntry is a Kubernetes env entry as JSON, the form printed patches use.
var envEntry = regexp.MustCompile(`"name"\s*:\s*"([^"\\]{1,128})"\s*,\s*"value"\s*:\s*"`)

// envEntries redacts the value of env entries whose name says credential.
func envEntries(s string, out []span) []span {
	if !strings.Contains(s, `"value"`) {
		return out
	}
	for _, m := range envEntry.FindAllStringSubmatchIndex(s, -1) {
		if credentialName(s[m[2]:m[3]], false) {
			out = appendValue(s, m[1]-1, out)
		}
	}
	return out
}

// flagValue handles a word that starts with - at i: a long flag whose
// value follows after a space (--token abc, --client-secret 'x y'), or
// curl's -u/--user user:password.
func flagValue(s string, i int, out []span) []span {
	e := i
	for e < len(s) && nameChar(s[e]) {
		e++
	}
	flag := s[i:e]
	if e >= len(s) || s[e] != ' ' && !(s[e] == '=' && userFlag(flag)) {
		return out
	}
	v := e + 1
	if v >= len(s) || s[v] == '-' || s[v] == ' ' {
		return out
	}
	switch {
	case userFlag(flag):
		ve := valueEnd(s, v)
		if c := strings.IndexByte(s[v:ve], ':'); c >= 0 && v+c+1 < ve {
			out = append(out, span{v + c + 1, ve})
		}
	case strings.HasPrefix(flag, "--") && credentialName(flag, false):
		out = appendValue(s, v, out)
	}
	return out
}

// wordStart reports whether a flag may begin after c.
func wordStart(c byte) bool {
	return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '(' || c == '['
}

func userFlag(flag string) bool { return flag == "-u" || flag == "--user" }

// bearer finds a bare bearer token; tokenShaped below keeps prose such as
// "bearer authentication" out.
var bearer = regexp.MustCompile(`(?i)\bbearer[ \t]+([A-Za-z0-9._~+/=-]{8,})`)

func bearerTokens(s string, out []span) []span {
	if !containsFold(s, "bearer") {
		return out
	}
	for _, m := range bearer.FindAllStringSubmatchIndex(s, -1) {
		if tokenShaped(s[m[2]:m[3]]) {
			out = append(out, span{m[2], m[3]})
		}
	}
	return out
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case, without the cost of a regular expression on every string.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// tokenShaped reports whether a word holds a digit or a symbol, as tokens
// do and English words do not.
func tokenShaped(w string) bool {
	return strings.ContainsAny(w, "0123456789._~+/=-")
}

// pemBegin starts a PEM block.
const pemBegin = "-----BEGIN "

// privateKey hides the body of a PEM block whose label (starting at label)
// ends in PRIVATE KEY, up to its END line or the end of s when the block
// was cut.
func privateKey(s string, label int, out []span) []span {
	h := strings.Index(s[label:], "-----")
	if h < 0 || !strings.HasSuffix(s[label:label+h], "PRIVATE KEY") {
		return out
	}
	body := label + h + len("-----")
	e := strings.Index(s[body:], "-----END ")
	if e < 0 {
		e = len(s) - body
	}
	if e > 0 {
		out = append(out, span{body, body + e})
	}
	return out
}

// credentialName reports whether a variable, key, parameter, header or flag
// name says its value is a credential. query is set for URL query
// parameters, where a lone "key" is an API key.
func credentialName(name string, query bool) bool {
	words := nameWords(name)
	if len(words) == 0 {
		return false
	}
	joined := strings.Join(words, "")
	for _, suffix := range credentialSuffixes {
		if strings.HasSuffix(joined, suffix) {
			return true
		}
	}
	switch words[len(words)-1] {
	case "pwd", "pass", "sig", "auth", "jwt":
		return true
	case "key":
		return len(words) > 1 || query
	}
	return false
}

// credentialSuffixes end the names of credentials, whether the words are
// joined (PGPASSWORD, clientsecret) or separated (DB_PASSWORD, api-key).
var credentialSuffixes = []string{
	"password", "passwd", "passphrase", "secret", "token", "credential", "credentials",
	"signature", "authorization", "apikey",
}

// nameWords splits a name into lower-case words at every non-alphanumeric
// character and at each lower-to-upper case change: "X-Amz-Signature",
// "clientSecret" and "DB_PASSWORD" give x amz signature, client secret and
// db password.
func nameWords(name string) []string {
	var words []string
	var w []byte
	flush := func() {
		if len(w) > 0 {
			words = append(words, string(w))
			w = w[:0]
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && name[i-1] >= 'a' && name[i-1] <= 'z' {
				flush()
			}
			w = append(w, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			w = append(w, c)
		default:
			flush()
		}
	}
	flush()
	return words
}
