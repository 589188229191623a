package mcpserver

import (
	"sync"
	"time"

	"github.com/hopscope/hopscope/pkg/diagnose"
)

// readingTTL is how long the pages of one answer are served from the
// reading of its first page. A call without a cursor always reads afresh.
const readingTTL = 10 * time.Minute

// maxReadings bounds the diagnoses kept for cursors: a 20,000-pod result
// takes a few megabytes.
const maxReadings = 4

// readings keeps the latest diagnoses by query, so that the pages of one
// answer come from one reading of the input: consistent with each other
// (no finding skipped or repeated because the cluster changed between
// pages) and without re-reading a large cluster for every page.
type readings struct {
	mu      sync.Mutex
	byQuery map[uint64]reading
}

type reading struct {
	res *diagnose.Result
	at  time.Time
}

// get returns the diagnosis for query: for a page after the first, the
// one its first page was cut from while it is kept; otherwise a fresh one
// from read. reread reports that a later page had to read again.
func (r *readings) get(query uint64, continued bool, read func() (*diagnose.Result, error)) (res *diagnose.Result, reread bool, err error) {
	if continued {
		r.mu.Lock()
		got, ok := r.byQuery[query]
		r.mu.Unlock()
		if ok && time.Since(got.at) < readingTTL {
			return got.res, false, nil
		}
	}
	res, err = read()
	if err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byQuery == nil {
		r.byQuery = map[uint64]reading{}
	}
	if _, ok := r.byQuery[query]; !ok && len(r.byQuery) >= maxReadings {
		var oldest uint64
		first := true
		for q, rd := range r.byQuery {
			if first || rd.at.Before(r.byQuery[oldest].at) {
				oldest, first = q, false
			}
		}
		delete(r.byQuery, oldest)
	}
	r.byQuery[query] = reading{res: res, at: time.Now()}
	return res, continued, nil
}

// rereadNote is the page note of a later page that had to read again.
const rereadNote = "the input was read again for this page (the first page's reading had expired): findings may have moved between pages since"
