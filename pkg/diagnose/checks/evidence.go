package checks

// Bounded quoting of what the input says. Every Event, status message and
// list a finding quotes passes through here, so that a pod with a day of
// probe failures or a stack trace in its status still yields a short,
// readable report.

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// maxListed bounds how many names, pods or addresses one evidence line
// lists; the rest are counted.
const maxListed = 5

// maxEvents bounds how many Events one finding quotes; a pod that failed
// its probe for a day has one Event with a large count, not many.
const maxEvents = 3

// maxMessage bounds a quoted status or Event message: kubelet messages
// can carry whole stack traces.
const maxMessage = 300

// clip shortens a message for quoting to at most maxMessage bytes. It cuts
// before a character, never inside one: half of a multi-byte character
// would be invalid UTF-8 in every report.
func clip(msg string) string {
	msg = strings.TrimSpace(msg)
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	// At most three continuation bytes precede a character's last byte;
	// invalid UTF-8 stops the search there and is escaped on output.
	for cut > maxMessage-utf8.UTFMax+1 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// joinLimit joins up to n items and says how many more there are.
func joinLimit(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

// dedupe drops repeated lines, keeping the first of each in order.
func dedupe(lines []string) []string {
	seen := keySet{}
	var out []string
	for _, x := range lines {
		if seen.add(x) {
			out = append(out, x)
		}
	}
	return out
}

// keySet remembers what a check has already reported on, so that the
// replicas of one workload, or a backend an Ingress lists twice, yield one
// finding.
type keySet map[string]bool

// add reports whether key is new, and remembers it.
func (k keySet) add(key string) bool {
	if k[key] {
		return false
	}
	k[key] = true
	return true
}

// containsAny reports whether v contains one of subs.
func containsAny(v string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(v, x) {
			return true
		}
	}
	return false
}

// eventsWhere quotes the Events about ref that keep accepts, at most
// maxEvents of them: Warnings first, since they hold the cause (a
// SyncLoadBalancerFailed among routine EnsuringLoadBalancer Events), then
// the others, each group newest first.
func eventsWhere(s *snapshot.Snapshot, ref snapshot.ObjectRef, keep func(*corev1.Event) bool) []string {
	evs := s.EventsFor(ref)
	var kept []*corev1.Event
	for i := len(evs) - 1; i >= 0; i-- {
		if keep(evs[i]) {
			kept = append(kept, evs[i])
		}
	}
	slices.SortStableFunc(kept, func(a, b *corev1.Event) int {
		aw, bw := a.Type == corev1.EventTypeWarning, b.Type == corev1.EventTypeWarning
		switch {
		case aw && !bw:
			return -1
		case bw && !aw:
			return 1
		}
		return 0
	})
	var out []string
	for _, e := range kept[:min(len(kept), maxEvents)] {
		out = append(out, eventLine(e))
	}
	return out
}

// eventLines quotes the Events about ref whose reason is one of reasons
// (any reason when none is given) and whose message contains one of the
// substrings in contains (any message when none is given), newest first.
func eventLines(s *snapshot.Snapshot, ref snapshot.ObjectRef, reasons []string, contains ...string) []string {
	return eventsWhere(s, ref, func(e *corev1.Event) bool {
		return (len(reasons) == 0 || slices.Contains(reasons, e.Reason)) &&
			(len(contains) == 0 || containsAny(e.Message, contains))
	})
}

// eventLine formats one Event the way `kubectl describe` users read
// them: type, reason, count, then the message.
func eventLine(e *corev1.Event) string {
	count := ""
	if e.Count > 1 {
		count = fmt.Sprintf(" (x%d)", e.Count)
	}
	typ := e.Type
	if typ == "" {
		typ = corev1.EventTypeNormal
	}
	return fmt.Sprintf("Event %s %s%s: %s", typ, e.Reason, count, clip(e.Message))
}
