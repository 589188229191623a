package source

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

func TestLoadReadsEveryKindOfLineBreak(t *testing.T) {
	for _, name := range []string{"cr-line-breaks.yaml", "mixed-line-breaks.yaml"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name)
			var names []string
			for _, cm := range s.ConfigMaps {
				names = append(names, cm.Name)
			}
			if strings.Join(names, ",") != "first,second,third" || s.ConfigMaps[0].Data["a"] != "one\ntwo\n" {
				t.Fatalf("config maps %v, data %q", names, s.ConfigMaps[0].Data)
			}
			o, _ := s.Origin(snapshot.ObjectRef{Kind: "ConfigMap", Namespace: "default", Name: "second"})
			if o.Document != 2 || o.Line < 10 {
				t.Errorf("second document's origin %+v", o)
			}
		})
	}
}

func TestLoadAcceptsMergeKeyOverrides(t *testing.T) {
	s := load(t, "merge-override.yaml")
	if len(s.ConfigMaps) != 2 {
		t.Fatalf("%d config maps", len(s.ConfigMaps))
	}
	want := map[string]string{"LOG_LEVEL": "debug", "TIMEOUT": "30"}
	if !reflect.DeepEqual(s.ConfigMaps[1].Data, want) {
		t.Errorf("data %v, want %v: the written key wins over the merged one", s.ConfigMaps[1].Data, want)
	}
	if s.ConfigMaps[0].Data["LOG_LEVEL"] != "info" {
		t.Errorf("the anchored mapping: %v", s.ConfigMaps[0].Data)
	}
}

func TestLoadKeepsGenerateNameAsName(t *testing.T) {
	s := load(t, "generate-name.yaml")
	if len(s.Jobs) != 1 || s.Jobs[0].Name != "migrate-" {
		t.Fatalf("jobs %v", s.Jobs)
	}
}

func TestLoadReadsJSONArraysOfObjects(t *testing.T) {
	s := load(t, "pods-array.json")
	if len(s.Pods) != 1 || len(s.Services) != 1 || s.Pods[0].Name != "web-1" {
		t.Fatalf("pods %d services %d", len(s.Pods), len(s.Services))
	}
	if o, _ := s.Origin(snapshot.Ref("Service", s.Services[0])); o.Line != 8 {
		t.Errorf("service origin %+v, want line 8", o)
	}
}

func TestLoadKeepsLogSectionsOfAStream(t *testing.T) {
	s := load(t, "cluster-info-stream.json")
	if len(s.Pods) != 1 {
		t.Fatalf("%d pods", len(s.Pods))
	}
	want := []snapshot.ContainerLog{{Namespace: "shop", Pod: "web-1", Container: "web", Tail: "listening on :8080\nGET / 200\n"}}
	if !reflect.DeepEqual(s.Logs, want) {
		t.Errorf("logs %+v, want %+v", s.Logs, want)
	}
	// A long log keeps its end, cut at a character boundary.
	long := `{"kind": "PodList", "apiVersion": "v1", "items": []}` + "\n==== START logs for container c of pod ns/p ====\n" + strings.Repeat("é", snapshot.MaxLogTail) + "end\n==== END logs for container c of pod ns/p ====\n"
	sn := snapshot.New()
	if err := DecodeBytes(sn, "stream", []byte(long), ""); err != nil {
		t.Fatal(err)
	}
	if l := sn.Logs[0]; !l.Truncated || len(l.Tail) > snapshot.MaxLogTail || !strings.HasSuffix(l.Tail, "éend\n") || !strings.HasPrefix(l.Tail, "é") {
		t.Errorf("tail of %d bytes, truncated %v, starts %q", len(l.Tail), l.Truncated, l.Tail[:4])
	}
}

func TestLoadSkipsDirectoryFilesThatHoldNoObject(t *testing.T) {
	dir := filepath.Join("testdata", "dirs", "not-objects")
	s, err := Files{Paths: []string{dir}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != 1 {
		t.Fatalf("%d pods", len(s.Pods))
	}
	want := []snapshot.SkippedFile{
		{Path: filepath.Join(dir, "etcd-member-list.json"), Reason: "no Kubernetes object: no apiVersion and kind"},
		{Path: filepath.Join(dir, "nested", "analysis.json"), Reason: "no Kubernetes object: the document is a list of objects without apiVersion and kind"},
		{Path: filepath.Join(dir, "nested", "values.yaml"), Reason: "no Kubernetes object: no apiVersion and kind"},
	}
	if !reflect.DeepEqual(s.SkippedFiles, want) || s.SkippedFileCount != 3 {
		t.Errorf("skipped %+v (%d), want %+v", s.SkippedFiles, s.SkippedFileCount, want)
	}
	// Named directly, such a file is an error.
	_, err = Files{Paths: []string{filepath.Join(dir, "etcd-member-list.json")}}.Load()
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "etcd-member-list.json (document 1, line 1): not a Kubernetes object") {
		t.Errorf("err = %v", err)
	}
	// A file holding objects and a document that is none is broken.
	_, err = Files{Paths: []string{filepath.Join("testdata", "dirs", "object-and-not-object")}}.Load()
	if !errors.As(err, &ie) || ie.Document != 2 || !strings.Contains(err.Error(), "not a Kubernetes object: no apiVersion and kind") {
		t.Errorf("err = %v, want document 2 named", err)
	}
}

// TestLoadReadsCaptureLayouts reads a small tree of each capture layout:
// the objects, the kinds its layout gives items that name none, its logs,
// and its files that are no objects.
func TestLoadReadsCaptureLayouts(t *testing.T) {
	type counts struct{ pods, services, deployments, ingresses, nodes, namespaces int }
	cases := []struct {
		layout  string
		want    counts
		logs    []string // namespace/pod/container[/previous] file-base
		skipped []string // file bases
	}{
		{"must-gather", counts{pods: 1, services: 1, deployments: 1, nodes: 1, namespaces: 1},
			[]string{"shop/web-1/web current.log", "shop/web-1/web/previous previous.log"}, []string{"member_list.json"}},
		{"sonobuoy", counts{pods: 1, deployments: 1, ingresses: 1, nodes: 1},
			[]string{"shop/web-1/web web.txt"}, []string{"serverversion.json"}},
		// sonobuoy before 0.11 named files for the kind's plural.
		{"sonobuoy-0.10", counts{pods: 1, deployments: 1, nodes: 1}, nil, []string{"serverversion.json"}},
		// An Insights archive writes one object per file without TypeMeta.
		{"insights", counts{pods: 1, nodes: 1}, nil, []string{"version.json"}},
		{"support-bundle", counts{pods: 1, services: 1, deployments: 1, ingresses: 1, nodes: 1},
			[]string{"shop/web-1/web web.log", "shop/web-1/web/previous web-previous.log"}, []string{"analysis.json", "shop.json"}},
		{"cluster-info", counts{pods: 1, nodes: 1},
			[]string{"shop/web-1/ logs.txt"}, nil},
	}
	for _, c := range cases {
		t.Run(c.layout, func(t *testing.T) {
			s, err := Files{Paths: []string{filepath.Join("testdata", "layouts", c.layout)}}.Load()
			if err != nil {
				t.Fatal(err)
			}
			got := counts{len(s.Pods), len(s.Services), len(s.Deployments), len(s.Ingresses), len(s.Nodes), len(s.Namespaces)}
			if got != c.want {
				t.Errorf("objects %+v, want %+v", got, c.want)
			}
			if len(s.Duplicates) != 0 {
				t.Errorf("duplicates %v: the same object captured twice is one", s.Duplicates)
			}
			var logs []string
			for _, l := range s.Logs {
				k := l.Namespace + "/" + l.Pod + "/" + l.Container
				if l.Previous {
					k += "/previous"
				}
				logs = append(logs, k+" "+filepath.Base(l.File))
			}
			sort.Strings(logs)
			if strings.Join(logs, ", ") != strings.Join(c.logs, ", ") {
				t.Errorf("logs %v, want %v", logs, c.logs)
			}
			var skipped []string
			for _, f := range s.SkippedFiles {
				skipped = append(skipped, filepath.Base(f.Path))
			}
			if strings.Join(skipped, ", ") != strings.Join(c.skipped, ", ") {
				t.Errorf("skipped %v, want %v", s.SkippedFiles, c.skipped)
			}
			for _, p := range s.Pods {
				if p.Kind != "Pod" || p.APIVersion != "v1" || p.Spec.Containers[0].Name != "web" {
					t.Errorf("pod %s: kind %q apiVersion %q", p.Name, p.Kind, p.APIVersion)
				}
			}
			for _, ing := range s.Ingresses {
				if b := ing.Spec.Rules; len(b) > 0 && b[0].HTTP.Paths[0].Backend.Service.Name != "web" {
					t.Errorf("ingress %s not converted: %+v", ing.Name, ing.Spec)
				}
				if d := ing.Spec.DefaultBackend; len(ing.Spec.Rules) == 0 && (d == nil || d.Service.Port.Number != 80) {
					t.Errorf("ingress %s default backend %+v", ing.Name, d)
				}
			}
		})
	}
}

func TestLoadBoundsFileSize(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), 200), 0o644); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse.yaml")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	cases := []struct {
		name  string
		files Files
		file  string
		says  string
	}{
		{"file over the limit", Files{Paths: []string{big}, MaxFileBytes: 1000}, big, "the input is 2000 bytes"},
		{"2 GiB sparse file at the default limit", Files{Paths: []string{sparse}}, sparse, "the input is 2048 MiB, above the 256 MiB read limit"},
		{"standard input over the limit", Files{Paths: []string{"-"}, Stdin: bytes.NewReader(make([]byte, 5000)), MaxFileBytes: 1000}, "<stdin>", "more than 1000 bytes"},
		{"file in a directory", Files{Paths: []string{dir}, MaxFileBytes: 1000}, big, "above the 1000 bytes read limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.files.Load()
			var ie *InputError
			var tl *TooLargeError
			if !errors.As(err, &ie) || ie.File != c.file || !errors.As(err, &tl) {
				t.Fatalf("err = %v, want a TooLargeError about %s", err, c.file)
			}
			if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "--max-input-size") {
				t.Errorf("%q does not say %q and how to raise the limit", err, c.says)
			}
		})
	}
	if _, err := (Files{Paths: []string{big}, MaxFileBytes: 2000}).Load(); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
}

func TestLoadBoundsAliasExpansion(t *testing.T) {
	scalar := strings.Repeat("x", 1<<20)
	var many strings.Builder
	many.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a: &a \"" + scalar + "\"\n")
	for i := range 100 {
		many.WriteString("  k" + strings.Repeat("0", 3-len(itoa(i))) + itoa(i) + ": *a\n")
	}
	nested := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nx0: &x0 [\"" + strings.Repeat("y", 1000) + "\"]\n"
	for i := 1; i < 12; i++ {
		nested += "x" + itoa(i) + ": &x" + itoa(i) + " [" + strings.Repeat("*x"+itoa(i-1)+",", 9) + "*x" + itoa(i-1) + "]\n"
	}
	cases := map[string]string{
		"aliases of one large scalar": many.String(),
		"nested aliases":              nested,
		"aliases in a List item":      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: bomb\n  data:\n    a: &a \"" + scalar + "\"\n" + strings.Repeat("    b: *a\n", 1)[0:0] + "    b: [" + strings.Repeat("*a,", 99) + "*a]\n",
		"a recursive alias":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata: &a\n  b: *a\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := DecodeBytes(snapshot.New(), "bomb.yaml", []byte(in), "")
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "bomb.yaml" {
				t.Fatalf("err = %v, want an InputError about bomb.yaml", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "YAML aliases expand this document past the 64 MiB") && !strings.Contains(msg, "refers to the node that contains it") {
				t.Errorf("err = %v, want the expansion refused", err)
			}
		})
	}
	// A few aliases are fine.
	ok := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  a: &a \"" + strings.Repeat("z", 1000) + "\"\n  b: *a\n  c: *a\n"
	s := snapshot.New()
	if err := DecodeBytes(s, "ok.yaml", []byte(ok), ""); err != nil || len(s.ConfigMaps[0].Data["c"]) != 1000 {
		t.Fatalf("aliases within the allowance: %v", err)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestLayoutLogNeedsValidNames(t *testing.T) {
	cases := map[string]bool{
		"dump/shop/web-1/logs.txt":      true,
		"docs/notes/logs.txt":           true,
		"dump/Shop Prod/web-1/logs.txt": false,
		"logs.txt":                      false,
		"mg/namespaces/shop/pods/web-1/web/web/logs/current.log":                  true,
		"mg/namespaces/shop/pods/web-1/web/other/logs/current.log":                false,
		"bundle/cluster-resources/pods/logs/shop/web-1/Web.log":                   false,
		"results/podlogs/kube-system/coredns-74ff55c5b-cpfqs/logs/coredns.txt":    true,
		"results/podlogs/kube-system/coredns-74ff55c5b-cpfqs/logs/../coredns.txt": false,
	}
	for path, want := range cases {
		if _, got := layoutLog(path); got != want {
			t.Errorf("%s: recognised %v, want %v", path, got, want)
		}
	}
}
