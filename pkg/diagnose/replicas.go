// Replicas of one workload usually fail the same way, from one template
// mistake. Twenty findings that say the same thing about twenty pods are one
// finding that names the other pods, as long as the pods really fail alike.

package diagnose

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// groupReplicas merges findings that say the same thing about several
// replicas of one workload (one check, one container, pods of one owner):
// a template mistake in a 20-replica Deployment is one finding naming the
// other pods, not 20. merged maps each dropped key to the kept one.
func (d *diagnosis) groupReplicas(in []Finding) (out []Finding, merged map[string]string) {
	// Replicas merge only when they fail the same way: the cause, with the
	// pod's own name taken out, must match (one replica OOMKilled and one
	// exiting with an error are two findings).
	type groupKey struct {
		check, container, cause string
		severity                Severity
		owner                   snapshot.ObjectRef
	}
	merged = map[string]string{}
	first := map[groupKey]int{}
	others := map[int][]string{}
	for _, f := range in {
		if f.Object.Kind == snapshot.KindPod && (f.Layer == LayerPod || f.Layer == LayerContainer) {
			if p := d.s.Pod(f.Object.Namespace, f.Object.Name); p != nil {
				if owner, ok := d.s.OwnerOf(p); ok {
					k := groupKey{f.Check, f.Container, failureSignature(f), f.Severity, owner}
					if i, seen := first[k]; seen {
						merged[f.Key()] = out[i].Key()
						others[i] = append(others[i], f.Object.Name)
						continue
					}
					first[k] = len(out)
				}
			}
		}
		out = append(out, f)
	}
	for i, names := range others {
		f := &out[i]
		owner, _ := d.s.OwnerOf(d.s.Pod(f.Object.Namespace, f.Object.Name))
		shown := names
		if len(shown) > 5 {
			shown = shown[:5]
		}
		line := fmt.Sprintf("the same on %d more pod(s) of %s: %s", len(names), owner, strings.Join(shown, ", "))
		if len(names) > len(shown) {
			line += fmt.Sprintf(" and %d more", len(names)-len(shown))
		}
		f.Evidence = append(append([]string(nil), f.Evidence...), line)
	}
	return out, merged
}

// renameMerged points the traces at the findings kept when replicas were
// merged, so that no hop names a finding the report leaves out.
func renameMerged(traces []Trace, merged map[string]string) {
	for i := range traces {
		if k, ok := merged[traces[i].RootCause]; ok {
			traces[i].RootCause = k
		}
		for j := range traces[i].Hops {
			for n, key := range traces[i].Hops[j].Findings {
				if k, ok := merged[key]; ok {
					traces[i].Hops[j].Findings[n] = k
				}
			}
		}
	}
}

// Parts of a cause that differ between replicas failing the same way.
var (
	causeTime   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	causeCount  = regexp.MustCompile(`\((x\d+|\d+ restarts?)\)`)
	causeIP     = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`)
	causeSuffix = regexp.MustCompile(`-[a-z0-9]{5}\b`)
)

// failureSignature is a finding's cause with what differs between replicas
// taken out (the pod's name, timestamps, restart and event counts, pod
// IPs), so that replicas failing the same way compare equal and one
// OOMKilled among crashing ones does not.
func failureSignature(f Finding) string {
	c := strings.ReplaceAll(f.Cause, f.Object.Name, "<pod>")
	c = causeTime.ReplaceAllString(c, "<time>")
	c = causeCount.ReplaceAllString(c, "(<n>)")
	c = causeIP.ReplaceAllString(c, "<ip>")
	return causeSuffix.ReplaceAllString(c, "-<id>")
}
