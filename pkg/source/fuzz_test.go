package source

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// addSeeds adds every file of the test data as a seed.
func addSeeds(f *testing.F) {
	for _, dir := range []string{"compare", "good", "bad"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
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
		for _, d := range splitYAML(data) {
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
