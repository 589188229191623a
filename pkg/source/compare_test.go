package source

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hopscope/hopscope/internal/gen/synth"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// objectsOf lists every object of a snapshot, kind by kind, in input order.
func objectsOf(s *snapshot.Snapshot) []any {
	var out []any
	for _, list := range []any{s.Pods, s.Services, s.Endpoints, s.EndpointSlices, s.Ingresses, s.IngressClasses,
		s.NetworkPolicies, s.Namespaces, s.Nodes, s.ConfigMaps, s.Secrets, s.Events, s.Deployments,
		s.StatefulSets, s.DaemonSets, s.ReplicaSets, s.ReplicationControllers, s.Jobs, s.CronJobs,
		s.GatewayClasses, s.Gateways, s.ListenerSets, s.HTTPRoutes, s.GRPCRoutes, s.TLSRoutes, s.TCPRoutes, s.UDPRoutes,
		s.ReferenceGrants, s.BackendTLSPolicies} {
		v := reflect.ValueOf(list)
		for i := range v.Len() {
			out = append(out, v.Index(i).Interface())
		}
	}
	return out
}

// sameAsReference decodes data both ways and requires the same objects,
// the same skipped kinds, and the same errors (or none).
func sameAsReference(t *testing.T, name string, data []byte) *snapshot.Snapshot {
	t.Helper()
	fast, ref := snapshot.New(), snapshot.New()
	ferr := DecodeBytes(fast, name, data, "")
	rerr := referenceDecode(ref, name, data, "")
	if (ferr == nil) != (rerr == nil) {
		t.Fatalf("%s: fast error %v, reference error %v", name, ferr, rerr)
	}
	fo, ro := objectsOf(fast), objectsOf(ref)
	if len(fo) != len(ro) {
		t.Fatalf("%s: fast path decoded %d objects, reference %d", name, len(fo), len(ro))
	}
	for i := range fo {
		if !reflect.DeepEqual(fo[i], ro[i]) {
			t.Fatalf("%s: object %d differs:\nfast: %+v\n ref: %+v", name, i, fo[i], ro[i])
		}
	}
	if !reflect.DeepEqual(fast.Skipped, ref.Skipped) {
		t.Fatalf("%s: skipped %v, reference %v", name, fast.Skipped, ref.Skipped)
	}
	return fast
}

func TestFastPathMatchesReference(t *testing.T) {
	files, err := filepath.Glob("testdata/compare/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no comparison inputs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := sameAsReference(t, f, data)
			if len(objectsOf(s)) == 0 {
				t.Fatal("decoded nothing")
			}
		})
	}
}

func TestFastPathMatchesReferenceOnGeneratedDumps(t *testing.T) {
	c := synth.Generate(synth.Config{Pods: 400, Seed: 7, Full: true})
	for _, f := range []synth.Format{synth.YAML, synth.JSON, synth.MultiDoc} {
		var buf bytes.Buffer
		if err := synth.WriteCluster(&buf, c, f); err != nil {
			t.Fatal(err)
		}
		s := sameAsReference(t, "dump", buf.Bytes())
		if got, want := len(objectsOf(s)), c.Len(); got != want {
			t.Fatalf("format %d: %d objects, generated %d", f, got, want)
		}
		if f == synth.YAML {
			// The same List saved on Windows.
			crlf := append(append([]byte{}, utf8BOM...), bytes.ReplaceAll(buf.Bytes(), []byte("\n"), []byte("\r\n"))...)
			if s := sameAsReference(t, "dump-crlf", crlf); len(objectsOf(s)) != c.Len() {
				t.Fatalf("CRLF dump: %d objects, generated %d", len(objectsOf(s)), c.Len())
			}
		}
	}
}

// TestFastPathMatchesReferenceOnOtherInputs compares both decoders on every
// manifest the project holds elsewhere: the real-world manifests in shared/
// and the check and incident cases. They agree on errors too.
func TestFastPathMatchesReferenceOnOtherInputs(t *testing.T) {
	n := 0
	for _, root := range []string{"../../testdata/realworld", "../diagnose", "../../testenv"} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(p) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if looksLikeJSON(data) {
				return nil // the reference reads no JSON streams
			}
			n++
			t.Run(p, func(t *testing.T) { sameAsReference(t, p, data) })
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("compared %d files", n)
}
