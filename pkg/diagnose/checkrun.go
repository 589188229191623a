// Running the checks is the first step of a diagnosis: every registered check
// looks at the whole snapshot once, and what they find is indexed by the hop
// it is about, so that the walk can ask each hop for its findings.

package diagnose

import (
	"runtime"
	"sync"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// findingIndex holds every finding of one run by the object and layer it is
// about, which is how hops look up their status.
type findingIndex struct {
	all   []*Finding
	byHop map[hopKey][]*Finding
	// byObject holds the error findings of each object, at any layer, for
	// ExplainedBy lookups.
	byObject map[snapshot.ObjectRef][]*Finding
	check    map[string]*Check
}

// hopKey names one hop: an object at a layer.
type hopKey struct {
	layer Layer
	ref   snapshot.ObjectRef
}

// runChecks runs every check (in parallel; each only reads the snapshot) and
// gathers their findings in registry order so output is deterministic.
func (e Engine) runChecks(s *snapshot.Snapshot, skip []string) (*findingIndex, []NotChecked) {
	skipped := map[string]bool{}
	for _, id := range skip {
		skipped[id] = true
	}
	var run []*Check
	for _, c := range e.Checks {
		if !skipped[c.ID] {
			run = append(run, c)
		}
	}
	reporters := make([]*Reporter, len(run))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, c := range run {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := NewReporter(c)
			c.Run(s, r)
			reporters[i] = r
		}()
	}
	wg.Wait()
	idx := &findingIndex{byHop: map[hopKey][]*Finding{}, byObject: map[snapshot.ObjectRef][]*Finding{}, check: map[string]*Check{}}
	var nc []NotChecked
	seen := map[string]bool{}
	for i, r := range reporters {
		idx.check[run[i].ID] = run[i]
		for _, f := range r.Findings() {
			if seen[f.Key()] {
				continue
			}
			seen[f.Key()] = true
			if f.Origin == nil {
				if o, ok := s.Origin(f.Object); ok {
					f.Origin = &o
				}
			}
			idx.all = append(idx.all, &f)
			k := hopKey{f.Layer, f.Object}
			idx.byHop[k] = append(idx.byHop[k], &f)
			if f.Severity == SeverityError {
				idx.byObject[f.Object] = append(idx.byObject[f.Object], &f)
			}
		}
		nc = append(nc, r.NotCheckedItems()...)
	}
	return idx, nc
}

// hasError reports whether any check found an error on ref at layer, whatever
// path it concerns.
func (x *findingIndex) hasError(layer Layer, ref snapshot.ObjectRef) bool {
	for _, f := range x.byHop[hopKey{layer, ref}] {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
