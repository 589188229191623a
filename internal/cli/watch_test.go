package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/hopscope/hopscope/pkg/watch"
)

// TestWatchValidateRejectsUselessValues: every bad flag is a usage error
// (exit 2) that names the flag.
func TestWatchValidateRejectsUselessValues(t *testing.T) {
	for name, o := range map[string]WatchOptions{
		"--debounce":          {Listen: ":8080", Options: watch.Options{Debounce: 0, MaxBrokenPaths: 1, Reconcile: time.Minute, EventsPerMinute: 1}},
		"--max-broken-paths":  {Listen: ":8080", Options: watch.Options{Debounce: time.Second, MaxBrokenPaths: 0, Reconcile: time.Minute, EventsPerMinute: 1}},
		"--listen":            {Listen: "8080", Options: watch.Options{Debounce: time.Second, MaxBrokenPaths: 1, Reconcile: time.Minute, EventsPerMinute: 1}},
		"--reconcile":         {Listen: ":8080", Options: watch.Options{Debounce: time.Second, MaxBrokenPaths: 1, Reconcile: 0, EventsPerMinute: 1}},
		"--events-per-minute": {Listen: ":8080", Options: watch.Options{Debounce: time.Second, MaxBrokenPaths: 1, Reconcile: time.Minute, EventsPerMinute: 0}},
	} {
		err := o.Validate()
		if ExitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v (exit %d), want a usage error naming the flag", name, err, ExitCode(err))
		}
	}
	ok := WatchOptions{Listen: "127.0.0.1:0", Options: watch.Options{Debounce: time.Second, MaxBrokenPaths: 1, Reconcile: time.Minute, EventsPerMinute: 1}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}
