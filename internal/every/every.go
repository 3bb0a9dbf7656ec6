// Package every runs background work on a fixed interval: the export
// scheduler's tick, the readiness checks, warehouse retention.
package every

import (
	"context"
	"time"
)

// Run calls fn at once, then every interval, until ctx ends. A call that
// takes longer than interval delays the next one rather than overlapping it.
func Run(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
