package source

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

func TestLoadRejectsMalformedInput(t *testing.T) {
	cases := []struct {
		file string
		doc  int
		line int
		msg  string
	}{
		{"bad-indentation.yaml", 1, 5, "mapping values are not allowed"},
		{"tab-indentation.yaml", 1, 4, "tab"},
		{"scalar-document.yaml", 1, 1, "not a Kubernetes object"},
		{"list-document.yaml", 1, 2, "not a Kubernetes object: the document is a YAML sequence"},
		{"replicas-string.yaml", 2, 13, "decode apps/v1 Deployment shop/web: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"},
		{"duplicate-keys.yaml", 1, 5, `: key "name" already set in map`},
		{"truncated.json", 1, 6, "unexpected end of JSON input"},
		{"bad-item.yaml", 1, 12, "item 1: decode apps/v1 Deployment b:"},
		{"no-name.yaml", 1, 1, "ConfigMap has no metadata.name"},
		{"no-kind.yaml", 1, 1, "object has no kind"},
		{"unterminated-quote.yaml", 1, 7, "found unexpected end of stream"},
		{"stream-broken.json", 3, 3, "invalid character '}'"},
		{"unquoted-yes-label.yaml", 1, 8, "cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"},
		{"merge-duplicate.yaml", 1, 9, `key "TIMEOUT" already set in map`},
		{"name-like-a-flag.yaml", 2, 6, `Deployment name "--server=https://attacker.example" is not valid (the API server rejects it)`},
		{"service-name-uppercase.yaml", 1, 1, `Service name "Web" is not valid (the API server rejects it): a DNS-1035 label must consist of lower case`},
		{"namespace-with-space.yaml", 1, 1, `ConfigMap namespace "shop prod" is not valid`},
		{"name-control-characters.json", 1, 3, `item 1: Pod name "evil\x1b]0;owned\a" is not valid`},
		{"array-of-strings.json", 1, 1, "not a Kubernetes object: the document is a list of values"},
		{"array-without-kinds.json", 1, 1, "not a Kubernetes object: the document is a list of objects without apiVersion and kind"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			_, err := Files{Paths: []string{path}}.Load()
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an InputError, got %v", err)
			}
			if ie.File != path || ie.Document != tc.doc || ie.Line != tc.line {
				t.Errorf("error at %s document %d line %d, want %s document %d line %d (%v)", ie.File, ie.Document, ie.Line, path, tc.doc, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestLoadNeverPanicsOnGarbage(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		{0, 1, 2, 3, 'g', 'a', 'r', 'b', 'a', 'g', 'e'},
		[]byte("\xff\xfe\xfd not utf-8"),
		[]byte("{{{{"),
		[]byte("[1, 2"),
		[]byte(strings.Repeat("[", 100000)),
		[]byte(strings.Repeat("- ", 50000) + "x"),
		[]byte(strings.Repeat("a:\n ", 20000)),
	}
	for range 20 {
		b := make([]byte, 1+rnd.IntN(4096))
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		s := snapshot.New()
		err := DecodeBytes(s, "garbage", in, "")
		if err == nil && s.ObjectCount() > 0 {
			t.Errorf("input %d: garbage decoded into %d objects", i, s.ObjectCount())
		}
		var ie *InputError
		if err != nil && !errors.As(err, &ie) {
			t.Errorf("input %d: error %v is not an InputError", i, err)
		}
	}
}

// load reads testdata/good/name and fails the test on error.
func load(t *testing.T, name string) *snapshot.Snapshot {
	t.Helper()
	s, err := Files{Paths: []string{filepath.Join("testdata", "good", name)}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadAcceptsEmptyAndCommentOnlyFiles(t *testing.T) {
	for _, name := range []string{"empty.yaml", "comments-only.yaml", "markers-only.yaml"} {
		if s := load(t, name); s.ObjectCount() != 0 || s.SkippedTotal() != 0 {
			t.Errorf("%s: %d objects, %d skipped; want none", name, s.ObjectCount(), s.SkippedTotal())
		}
	}
}

func TestLoadSkipsAndCountsUnknownKinds(t *testing.T) {
	s := load(t, "crds.yaml")
	want := map[string]int{
		"apiextensions.k8s.io/v1/CustomResourceDefinition": 1,
		"example.com/v1/Widget":                            2,
	}
	if !reflect.DeepEqual(s.Skipped, want) {
		t.Errorf("skipped %v, want %v", s.Skipped, want)
	}
	// The extensions/v1beta1 Ingress is a removed version of a modelled
	// kind: it is read, not skipped.
	if len(s.Ingresses) != 1 || s.Ingresses[0].APIVersion != "networking.k8s.io/v1" {
		t.Errorf("ingresses %v, want the old one converted", s.Ingresses)
	}
}

func TestLoadRecordsDocumentsAndLines(t *testing.T) {
	s := load(t, "multi.yaml")
	file := filepath.Join("testdata", "good", "multi.yaml")
	want := map[snapshot.ObjectRef]snapshot.Origin{
		{Kind: "Namespace", Name: "shop"}:                   {File: file, Document: 1, Line: 3},
		{Kind: "Service", Namespace: "shop", Name: "web"}:   {File: file, Document: 2, Line: 12},
		{Kind: "ConfigMap", Namespace: "shop", Name: "one"}: {File: file, Document: 3, Line: 27},
		{Kind: "ConfigMap", Namespace: "shop", Name: "two"}: {File: file, Document: 3, Line: 38},
	}
	for ref, w := range want {
		got, ok := s.Origin(ref)
		if !ok || got != w {
			t.Errorf("%s: origin %+v, want %+v", ref, got, w)
		}
	}
	if s.Skipped["example.com/v1/Widget"] != 1 {
		t.Errorf("the Widget item was not counted as skipped: %v", s.Skipped)
	}
}

func TestLoadReadsQuotedValueSpanningWhatLooksLikeAnItem(t *testing.T) {
	s := load(t, "item-quote-cut.yaml")
	if len(s.ConfigMaps) != 1 {
		t.Fatalf("%d ConfigMaps, want 1", len(s.ConfigMaps))
	}
	if got, want := s.ConfigMaps[0].Data["k"], "a quoted value continued - on a line that looks like a new item"; got != want {
		t.Errorf("value %q, want %q", got, want)
	}
}

func TestLoadHandlesLineEndingsAndByteOrderMark(t *testing.T) {
	dir := filepath.Join("testdata", "compare")
	s, err := Files{Paths: []string{filepath.Join(dir, "crlf.yaml"), filepath.Join(dir, "bom.yaml")}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ConfigMaps) != 2 || s.ConfigMaps[0].Data["b"] != "two\nlines\n" || s.ConfigMaps[1].Name != "bom" {
		t.Errorf("got %+v", s.ConfigMaps)
	}
}

func TestLoadReadsStdin(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-stdin\n"
	s, err := Files{Paths: []string{"-"}, Stdin: strings.NewReader(in)}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Namespaces) != 1 || s.Namespaces[0].Name != "from-stdin" {
		t.Fatalf("got %v", s.Namespaces)
	}
	if o, _ := s.Origin(snapshot.ObjectRef{Kind: "Namespace", Name: "from-stdin"}); o.File != "<stdin>" || o.Line != 1 {
		t.Errorf("origin %+v", o)
	}
}

func TestLoadReadsJSONListWithItemLines(t *testing.T) {
	c := synth.Generate(synth.Config{Pods: 30, Seed: 3})
	var buf bytes.Buffer
	if err := synth.WriteCluster(&buf, c, synth.JSON); err != nil {
		t.Fatal(err)
	}
	s := snapshot.New()
	if err := DecodeBytes(s, "list.json", buf.Bytes(), ""); err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != len(c.Pods) || s.ObjectCount() != c.Len() {
		t.Fatalf("%d pods, %d objects; want %d, %d", len(s.Pods), s.ObjectCount(), len(c.Pods), c.Len())
	}
	lines := strings.Split(buf.String(), "\n")
	for _, p := range s.Pods[:3] {
		o, _ := s.Origin(snapshot.Ref("Pod", p))
		if o.Line < 2 || strings.TrimSpace(lines[o.Line-1]) != "{" || !strings.Contains(lines[o.Line], `"kind": "Pod"`) {
			t.Errorf("pod %s: line %d is %q", p.Name, o.Line, lines[o.Line-1])
		}
	}
}

func TestLoadReadsClusterInfoDumpStream(t *testing.T) {
	c := synth.Generate(synth.Config{Pods: 40, Seed: 4})
	var buf bytes.Buffer
	if err := synth.WriteCluster(&buf, c, synth.ClusterInfoStream); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("==== START logs for container")) {
		t.Fatal("the stream has no log sections to skip")
	}
	s := snapshot.New()
	if err := DecodeBytes(s, "dump", buf.Bytes(), ""); err != nil {
		t.Fatal(err)
	}
	checkClusterInfo(t, s, c)
}

func TestLoadReadsClusterInfoDumpDirectory(t *testing.T) {
	c := synth.Generate(synth.Config{Pods: 40, Seed: 4})
	dir := t.TempDir()
	if err := synth.WriteClusterInfoDir(dir, c); err != nil {
		t.Fatal(err)
	}
	s, err := Files{Paths: []string{dir}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	checkClusterInfo(t, s, c)
}

// checkClusterInfo requires the kinds a cluster-info dump holds, with the
// kinds its items lack filled in from their lists.
func checkClusterInfo(t *testing.T, s *snapshot.Snapshot, c *synth.Cluster) {
	t.Helper()
	if len(s.Pods) != len(c.Pods) || len(s.Services) != len(c.Services) || len(s.Nodes) != len(c.Nodes) ||
		len(s.Deployments) != len(c.Deployments) || len(s.ReplicaSets) != len(c.ReplicaSets) || len(s.Events) != len(c.Events) {
		t.Fatalf("pods %d/%d services %d/%d nodes %d/%d deployments %d/%d replicasets %d/%d events %d/%d",
			len(s.Pods), len(c.Pods), len(s.Services), len(c.Services), len(s.Nodes), len(c.Nodes),
			len(s.Deployments), len(c.Deployments), len(s.ReplicaSets), len(c.ReplicaSets), len(s.Events), len(c.Events))
	}
	if p := s.Pods[0]; p.Kind != "Pod" || p.APIVersion != "v1" || p.Status.Phase == "" {
		t.Errorf("first pod: kind %q apiVersion %q phase %q", p.Kind, p.APIVersion, p.Status.Phase)
	}
	if d := s.Deployments[0]; d.APIVersion != "apps/v1" {
		t.Errorf("deployment apiVersion %q", d.APIVersion)
	}
}

func TestLoadOrderDoesNotDependOnWorkers(t *testing.T) {
	c := synth.Generate(synth.Config{Pods: 300, Seed: 5})
	path := filepath.Join(t.TempDir(), "dump.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteCluster(f, c, synth.YAML); err != nil {
		t.Fatal(err)
	}
	f.Close()
	one, err := Files{Paths: []string{path}, Workers: 1}.Load()
	if err != nil {
		t.Fatal(err)
	}
	many, err := Files{Paths: []string{path}, Workers: 7}.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, b := objectsOf(one), objectsOf(many)
	if len(a) != c.Len() || !reflect.DeepEqual(a, b) {
		t.Fatalf("1 worker: %d objects, 7 workers: %d; equal: %v", len(a), len(b), reflect.DeepEqual(a, b))
	}
	for _, p := range one.Pods[:5] {
		o1, _ := one.Origin(snapshot.Ref("Pod", p))
		o7, _ := many.Origin(snapshot.Ref("Pod", p))
		if o1 != o7 || o1.Line == 0 {
			t.Errorf("pod %s: origins %+v and %+v", p.Name, o1, o7)
		}
	}
}

func TestLoadReadsHugeDocument(t *testing.T) {
	// One 50 MB document: a ConfigMap whose value is a literal block.
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n")
	line := "    " + strings.Repeat("0123456789abcdef", 6) + "\n"
	for b.Len() < 50<<20 {
		b.WriteString(line)
	}
	b.WriteString("  small: x\n")
	s := snapshot.New()
	if err := DecodeBytes(s, "big.yaml", b.Bytes(), ""); err != nil {
		t.Fatal(err)
	}
	if len(s.ConfigMaps) != 1 || len(s.ConfigMaps[0].Data["blob"]) < 40<<20 || s.ConfigMaps[0].Data["small"] != "x" {
		t.Fatalf("big ConfigMap not decoded whole")
	}
}

func TestLoadPointsJSONErrorsAtTheirLine(t *testing.T) {
	in := "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\",\n     \"metadata\": {\"name\": \"x\"},\n     \"spec\": {\"replicas\": \"2\"}}\n  ]\n}\n"
	err := DecodeBytes(snapshot.New(), "in.json", []byte(in), "")
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 7 || ie.Document != 1 || !strings.Contains(err.Error(), "item 0: decode apps/v1 Deployment x") {
		t.Fatalf("got %v", err)
	}
}
