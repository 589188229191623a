package cli

import (
	"context"

	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// liveFollowUp is what a live diagnosis reads after its scan: the
// namespaces that env values and ConfigMaps point into (one GET and one
// LIST each, never the whole cluster), then, through GET pods/log and
// bounded, the logs of exactly the failing containers the checks read
// (checks.LogsToRead: one per group of replicas failing alike, never a
// healthy pod's).
var liveFollowUp = source.FollowUp{Namespaces: checks.ReferencedNamespaces, Logs: checks.LogsToRead}

// liveWithLogs is how a live diagnosis loads: the scan, then liveFollowUp.
func liveWithLogs(live source.Live) func(context.Context) (*snapshot.Snapshot, error) {
	return func(ctx context.Context) (*snapshot.Snapshot, error) {
		return live.LoadAndFollow(ctx, liveFollowUp)
	}
}
