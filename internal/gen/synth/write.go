package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// Format is a way a dump is written.
type Format int

const (
	// YAML is `kubectl get -A -o yaml`: one `kind: List` document.
	YAML Format = iota
	// JSON is `kubectl get -A -o json`: one List object.
	JSON
	// MultiDoc is a manifest-style stream of `---`-separated documents.
	MultiDoc
	// ClusterInfoStream is what `kubectl cluster-info dump` prints to stdout:
	// concatenated per-kind JSON lists (whose items carry no apiVersion or
	// kind) with pod logs in between.
	ClusterInfoStream
)

// ParseFormat maps a -format flag value to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "yaml":
		return YAML, nil
	case "json":
		return JSON, nil
	case "multidoc":
		return MultiDoc, nil
	case "cluster-info":
		return ClusterInfoStream, nil
	}
	return 0, fmt.Errorf("unknown format %q (want yaml, json, multidoc or cluster-info)", s)
}

// chunk is how many objects are marshalled at once: large enough that
// per-call overhead vanishes, small enough to spread over the cores.
const chunk = 512

// Write generates the cluster cfg describes and writes it to w in format f.
func Write(w io.Writer, cfg Config, f Format) error {
	return WriteCluster(w, Generate(cfg), f)
}

// WriteCluster writes c to w in format f.
func WriteCluster(w io.Writer, c *Cluster, f Format) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var err error
	switch f {
	case YAML:
		err = writeYAMLList(bw, c.Objects())
	case JSON:
		err = writeJSONList(bw, c.Objects())
	case MultiDoc:
		err = writeMultiDoc(bw, c.Objects())
	case ClusterInfoStream:
		err = writeClusterInfo(c, func(string) (io.Writer, error) { return bw, nil })
	default:
		err = fmt.Errorf("unknown format %d", f)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFile writes the cluster cfg describes to path.
func WriteFile(path string, cfg Config, f Format) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create dump: %w", err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close dump: %w", cerr)
		}
	}()
	return Write(out, cfg, f)
}

// WriteClusterInfoDir writes c as `kubectl cluster-info dump
// --output-directory dir` does: nodes.json, and per namespace
// events.json, services.json, deployments.json, replicasets.json, pods.json
// and the other lists, plus one logs.txt per pod (which loaders must
// ignore).
func WriteClusterInfoDir(dir string, c *Cluster) error {
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	err := writeClusterInfo(c, func(name string) (io.Writer, error) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		open = append(open, f)
		return f, nil
	})
	if err != nil {
		return fmt.Errorf("write cluster-info dump: %w", err)
	}
	for _, f := range open {
		if err := f.Close(); err != nil {
			return fmt.Errorf("write cluster-info dump: %w", err)
		}
	}
	open = nil
	return nil
}

// marshalChunks turns objects into text with marshal, chunk by chunk over
// all cores, and writes the pieces in order.
func marshalChunks(w io.Writer, objs []any, marshal func(first int, part []any) ([]byte, error)) error {
	n := (len(objs) + chunk - 1) / chunk
	out := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = marshal(i*chunk, objs[i*chunk:min(len(objs), (i+1)*chunk)])
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			return errs[i]
		}
		if _, err := w.Write(out[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeYAMLList writes the List the way kubectl does: keys sorted, so items
// come before kind, and the sequence is not indented under "items:".
// Marshalling the items as a top-level sequence gives the same text as
// marshalling them under "items:", since YAML block sequences in a mapping
// are written at the mapping's indentation.
func writeYAMLList(w io.Writer, objs []any) error {
	if _, err := io.WriteString(w, "apiVersion: v1\nitems:\n"); err != nil {
		return err
	}
	if len(objs) == 0 {
		return writeString(w, "[]\nkind: List\nmetadata:\n  resourceVersion: \"\"\n")
	}
	err := marshalChunks(w, objs, func(_ int, part []any) ([]byte, error) { return yaml.Marshal(part) })
	if err != nil {
		return fmt.Errorf("marshal yaml: %w", err)
	}
	return writeString(w, "kind: List\nmetadata:\n  resourceVersion: \"\"\n")
}

func writeString(w io.Writer, s string) error {
	_, err := io.WriteString(w, s)
	return err
}

// writeJSONList writes the List as `kubectl get -o json` does, indented by
// four spaces.
func writeJSONList(w io.Writer, objs []any) error {
	if err := writeString(w, "{\n    \"apiVersion\": \"v1\",\n    \"items\": ["); err != nil {
		return err
	}
	err := marshalChunks(w, objs, func(first int, part []any) ([]byte, error) {
		var b bytes.Buffer
		for i, o := range part {
			js, err := json.MarshalIndent(o, "        ", "    ")
			if err != nil {
				return nil, err
			}
			if first+i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n        ")
			b.Write(js)
		}
		return b.Bytes(), nil
	})
	if err != nil {
		return fmt.Errorf("marshal json: %w", err)
	}
	return writeString(w, "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
}

func writeMultiDoc(w io.Writer, objs []any) error {
	err := marshalChunks(w, objs, func(_ int, part []any) ([]byte, error) {
		var b bytes.Buffer
		for _, o := range part {
			y, err := yaml.Marshal(o)
			if err != nil {
				return nil, err
			}
			b.WriteString("---\n")
			b.Write(y)
		}
		return b.Bytes(), nil
	})
	if err != nil {
		return fmt.Errorf("marshal yaml: %w", err)
	}
	return nil
}

// writeClusterInfo writes the per-kind lists of `kubectl cluster-info dump`.
// The client lists typed objects, so only the list carries apiVersion and
// kind; the items have none. create gives the writer for a relative file
// name (the stream format writes everything to one writer).
func writeClusterInfo(c *Cluster, create func(name string) (io.Writer, error)) error {
	list := func(name, kind string, items []any) error {
		w, err := create(name)
		if err != nil {
			return err
		}
		raw := make([]json.RawMessage, 0, len(items))
		for _, it := range items {
			js, err := json.Marshal(it)
			if err != nil {
				return err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(js, &m); err != nil {
				return err
			}
			delete(m, "apiVersion")
			delete(m, "kind")
			js, err = json.Marshal(m)
			if err != nil {
				return err
			}
			raw = append(raw, js)
		}
		js, err := json.MarshalIndent(map[string]any{
			"kind": kind, "apiVersion": apiVersionOf(kind), "metadata": map[string]string{"resourceVersion": "1"}, "items": raw,
		}, "", "    ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(js, '\n'))
		return err
	}
	if err := list("nodes.json", "NodeList", anys(c.Nodes)); err != nil {
		return err
	}
	for _, ns := range c.Namespaces {
		name := ns.Name
		if err := list(name+"/events.json", "EventList", inNS(c.Events, name)); err != nil {
			return err
		}
		if err := list(name+"/replicationcontrollers.json", "ReplicationControllerList", nil); err != nil {
			return err
		}
		if err := list(name+"/services.json", "ServiceList", inNS(c.Services, name)); err != nil {
			return err
		}
		if err := list(name+"/daemonsets.json", "DaemonSetList", nil); err != nil {
			return err
		}
		if err := list(name+"/deployments.json", "DeploymentList", inNS(c.Deployments, name)); err != nil {
			return err
		}
		if err := list(name+"/replicasets.json", "ReplicaSetList", inNS(c.ReplicaSets, name)); err != nil {
			return err
		}
		pods := inNS(c.Pods, name)
		if err := list(name+"/pods.json", "PodList", pods); err != nil {
			return err
		}
		for _, p := range c.Pods {
			if p.Namespace != name {
				continue
			}
			w, err := create(name + "/" + p.Name + "/logs.txt")
			if err != nil {
				return err
			}
			// The same markers kubectl prints around each container's log.
			container := p.Spec.Containers[0].Name
			fmt.Fprintf(w, "==== START logs for container %s of pod %s/%s ====\n", container, name, p.Name)
			fmt.Fprintf(w, "{\"level\":\"info\",\"msg\":\"listening on :8080\"}\n---\nkind: not-an-object\n")
			if _, err := fmt.Fprintf(w, "==== END logs for container %s of pod %s/%s ====\n", container, name, p.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

func apiVersionOf(listKind string) string {
	switch strings.TrimSuffix(listKind, "List") {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet":
		return "apps/v1"
	}
	return "v1"
}

func anys[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

type namespaced interface{ GetNamespace() string }

func inNS[T namespaced](in []T, ns string) []any {
	var out []any
	for _, v := range in {
		if v.GetNamespace() == ns {
			out = append(out, v)
		}
	}
	return out
}

// Version names the generator's output: it changes whenever the same
// Config would make different bytes, so cached dumps are not reused
// across versions.
const Version = 4

// CachedFile returns the path of a dump of cfg in format f, writing it the
// first time. Benchmarks use it so that a 100k-pod dump is generated once,
// not on every run. Dumps live in dir (os.TempDir() when empty).
func CachedFile(dir string, cfg Config, f Format) (string, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "hopscope-synth")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("dump cache: %w", err)
	}
	ext := map[Format]string{YAML: "yaml", JSON: "json", MultiDoc: "multi.yaml", ClusterInfoStream: "cluster-info.json"}[f]
	detail := "lean"
	if cfg.Full {
		detail = "full"
	}
	path := filepath.Join(dir, fmt.Sprintf("v%d-pods%d-seed%d-%s.%s", Version, cfg.Pods, cfg.Seed, detail, ext))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := path + ".tmp"
	if err := WriteFile(tmp, cfg, f); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("dump cache: %w", err)
	}
	return path, nil
}
