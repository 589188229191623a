package cli

import (
	"context"

	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// liveWithLogs is how a live diagnosis loads: the scan, then a second pass
// that fetches, through GET pods/log and bounded, the logs of exactly the
// failing containers the checks read (checks.LogsToRead: one per group of
// replicas failing alike, never a healthy pod's).
func liveWithLogs(live source.Live) func(context.Context) (*snapshot.Snapshot, error) {
	return func(ctx context.Context) (*snapshot.Snapshot, error) {
		s, err := live.Load(ctx)
		if err != nil {
			return nil, err
		}
		if err := live.ReadLogs(ctx, s, checks.LogsToRead(s)); err != nil {
			return nil, err
		}
		return s, nil
	}
}
