package source

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// addSeedFiles adds every file of the test data folders dirs whose name
// matches pattern as a seed.
func addSeedFiles(f *testing.F, pattern string, dirs ...string) {
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// addSeeds adds every file of the test data as a seed.
func addSeeds(f *testing.F) {
	addSeedFiles(f, "*", "compare", "good", "bad")
	for _, s := range []string{
		"", "---", "...", "a: 1", "- a", "{}", "[]", `{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p"}}]}`,
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n",
		"a: |\n  x\n", "a: \"x\\\n y\"", "a: 'x\n\n y'", "a: &x 1\nb: *x", "--- !!str\n",
		"==== START logs for container a of pod b/c ====\nx\n==== END logs for container a of pod b/c ====\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecodeBytes holds the loader to its contract on any input: no
// panic, errors are InputErrors naming the file, and the result does not
// depend on the number of workers.
func FuzzDecodeBytes(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := snapshot.New()
		errA := DecodeBytes(a, "in.yaml", data, "")
		if errA != nil {
			var ie *InputError
			if !errors.As(errA, &ie) || ie.File != "in.yaml" || ie.Document < 0 || ie.Line < 0 {
				t.Fatalf("error %v is not an InputError about in.yaml", errA)
			}
		}
		b := newBatch("")
		b.addFile("in.yaml", data, fileOptions{})
		b.decode(1)
		sb := snapshot.New()
		errB := b.apply(sb)
		if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
			t.Fatalf("parallel error %v, sequential %v", errA, errB)
		}
		if !reflect.DeepEqual(objectsOf(a), objectsOf(sb)) {
			t.Fatal("parallel and sequential decoding differ")
		}
	})
}

// FuzzFastYAMLMatchesReference holds the fast YAML path to the reference
// decoder: whenever it converts a document, the result must be the
// reference's.
func FuzzFastYAMLMatchesReference(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for d := range splitYAML(data) {
			if !d.whole {
				checkAgainstReference(t, string(d.body))
			}
		}
	})
}

// FuzzTypedDecodeMatchesEncodingJSON holds the fast JSON decoder to
// encoding/json: whenever it accepts an object, it must decode it the same.
// (When it fails, the loader asks encoding/json anyway.)
func FuzzTypedDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1"}}}]},"status":{"startTime":"2024-01-01T00:00:00Z"}}`,
		`{"kind":"Service","spec":{"ports":[{"port":80,"targetPort":"http"},{"port":81,"targetPort":8080}],"selector":null}}`,
		`{"metadata":{"Name":"x","name":"y","creationTimestamp":null,"annotations":{"k":"\u00e9\ud83d\ude00"}}}`,
		`{"spec":{"replicas":1.0}}`, `{"spec":{"replicas":"1"}}`, `{"status":{"capacity":{"cpu":1.5,"memory":"1Gi"}}}`,
	} {
		f.Add([]byte(s))
	}
	kinds := [][2]string{{"v1", "Pod"}, {"v1", "Service"}, {"apps/v1", "Deployment"}, {"v1", "Node"}, {"discovery.k8s.io/v1", "EndpointSlice"}, {"v1", "Secret"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		for _, k := range kinds {
			fast, std := newObject(k[0], k[1]), newObject(k[0], k[1])
			if fastJSON.Unmarshal(data, fast) != nil {
				continue
			}
			if err := json.Unmarshal(data, std); err != nil {
				t.Fatalf("%s: the fast decoder accepted what encoding/json rejects (%v): %s", k[1], err, data)
			}
			if !reflect.DeepEqual(fast, std) {
				t.Fatalf("%s: decoders differ on %s:\nfast: %+v\n std: %+v", k[1], data, fast, std)
			}
		}
	})
}

// FuzzDecodeJSON holds the JSON path to its contract: the stream scanner
// cuts only values encoding/json accepts, a JSON array of objects reads
// like a List, and log sections are kept whole or refused.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`,
		`[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}},{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]`,
		`[{"metadata":{"name":"p"}}]`, `["a", 1]`, `[]`, `{"items":[]}`,
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"p\"}}]}\n==== START logs for container c of pod ns/p ====\nhello\n==== END logs for container c of pod ns/p ====\n{}",
	} {
		f.Add([]byte(s))
	}
	addSeedFiles(f, "*.json", "good", "bad")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sections []logSection
		values, _ := jsonStream(data, &sections)
		for _, v := range values {
			if !json.Valid(data[v.start:v.end]) {
				t.Fatalf("the scanner cut %q, which encoding/json rejects", data[v.start:v.end])
			}
		}
		for _, sec := range sections {
			l := sec.log(data)
			if len(l.Tail) > snapshot.MaxLogTail || (utf8.Valid(data) && !utf8.ValidString(l.Tail)) {
				t.Fatalf("log tail of %d bytes, valid UTF-8 %v", len(l.Tail), utf8.ValidString(l.Tail))
			}
		}
		s := snapshot.New()
		if err := DecodeBytes(s, "in.json", data, ""); err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "in.json" {
				t.Fatalf("error %v is not an InputError about in.json", err)
			}
		}
	})
}

// FuzzCaptureLayouts reads any content at any path of a capture layout as a
// file found in a directory: no panic, errors name the file, and a file is
// skipped as holding no object only when nothing of it was read.
func FuzzCaptureLayouts(f *testing.F) {
	paths := []string{
		"must-gather/namespaces/shop/core/pods.yaml", "must-gather/namespaces/shop/pods/web-1/web/web/logs/current.log",
		"sonobuoy/resources/ns/shop/core_v1_pods.json", "sonobuoy/resources/ns/shop/extensions_v1beta1_ingresses.json",
		"bundle/cluster-resources/ingress/shop.json", "bundle/cluster-resources/pods/logs/shop/web-1/web-previous.log",
		"dump/shop/web-1/logs.txt", "dump/shop/pods.json", "analysis.json",
	}
	for _, p := range paths {
		f.Add(p, []byte(`[{"metadata":{"name":"web-1","namespace":"shop"},"spec":{"backend":{"serviceName":"web","servicePort":80}}}]`))
		f.Add(p, []byte(`{"metadata":{},"items":[{"metadata":{"name":"x"}}]}`))
		f.Add(p, []byte("a: b\n"))
	}
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		if path == "" {
			return
		}
		layoutLog(path)
		b := newBatch("")
		b.addFile(path, data, fileOptions{inDirectory: true, hint: layoutKind(path)})
		if len(b.skipped) > 0 && len(b.units) > 0 {
			t.Fatalf("file skipped as holding no object, yet %d objects were read", len(b.units))
		}
		b.decode(1)
		if err := b.apply(snapshot.New()); err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != path {
				t.Fatalf("error %v is not an InputError about %q", err, path)
			}
		}
	})
}

// FuzzReferenceYAMLIsBounded holds the reference path to its bound: what
// it returns is never larger than the document plus the alias allowance
// (with room for JSON's quotes and commas).
func FuzzReferenceYAMLIsBounded(f *testing.F) {
	for _, s := range []string{
		"a: &a [1, 2, 3]\nb: *a\nc: [*a, *a]\n", "a: &a x\nb: {<<: *a}\n", "a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n",
		"a: &a\n  b: *a\n", "- &x [*x]\n", "a: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		room := new(atomic.Int64)
		room.Store(1 << 16)
		js, err := referenceYAMLToJSON(data, room)
		if err == nil && int64(len(js)) > 8*int64(len(data))+1<<16+64 {
			t.Fatalf("%d bytes of JSON from %d bytes of YAML", len(js), len(data))
		}
	})
}

// FuzzNameChecksMatchAPIMachinery holds the loader's name checks to
// k8s.io/apimachinery's validation.
func FuzzNameChecksMatchAPIMachinery(f *testing.F) {
	for _, s := range []string{"web", "web-1", "a.b.c", "-web", "web-", "Web", "1web", "", "a..b", "--server=https://x", "é", strings.Repeat("a", 64), strings.Repeat("a.", 127)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDNS1123Label(s), len(validation.IsDNS1123Label(s)) == 0; got != want {
			t.Fatalf("DNS-1123 label %q: %v, apimachinery %v", s, got, want)
		}
		if got, want := isDNS1035Label(s), len(validation.IsDNS1035Label(s)) == 0; got != want {
			t.Fatalf("DNS-1035 label %q: %v, apimachinery %v", s, got, want)
		}
		if got, want := isDNS1123Subdomain(s), len(validation.IsDNS1123Subdomain(s)) == 0; got != want {
			t.Fatalf("DNS-1123 subdomain %q: %v, apimachinery %v", s, got, want)
		}
	})
}
