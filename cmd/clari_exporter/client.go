package main

import (
	"context"
	"sync/atomic"

	"github.com/go-kit/log"
	"github.com/prometheus/common/version"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// clientBox holds the current Clari client. A config reload that changes the
// clari section (a rotated key, another base URL) swaps in a new client; the
// runner and the probe always use the current one.
type clientBox struct{ c atomic.Pointer[clari.Client] }

func (b *clientBox) get() *clari.Client { return b.c.Load() }

func (b *clientBox) Limits(ctx context.Context) (clari.Limits, error) {
	return b.get().Limits(ctx)
}

func (b *clientBox) RunExport(ctx context.Context, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.get().RunExport(ctx, req, o)
}

func (b *clientBox) ResumeExport(ctx context.Context, jobID string, req clari.ExportRequest, o clari.RunOptions) clari.RunResult {
	return b.get().ResumeExport(ctx, jobID, req, o)
}

// newClient builds a Clari client from the clari section of the config.
func newClient(c config.Clari, instr clari.Instrumentation, logger log.Logger) (*clari.Client, error) {
	o := c.ClientOptions()
	o.UserAgentVersion = version.Version
	o.Instrumentation = instr
	o.Logger = logger
	return clari.New(o)
}

// sameClari reports whether two clari sections build the same client.
func sameClari(a, b config.Clari) bool {
	return a.BaseURL == b.BaseURL && a.Key == b.Key && a.RequestTimeout == b.RequestTimeout &&
		a.Retry == b.Retry && a.Breaker == b.Breaker && a.Pacing == b.Pacing
}
