package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// BenchmarkScrapeClariHealthy and BenchmarkScrapeClariHung are sequential
// /metrics requests of the running app while Clari answers (200 ms per
// request) or hangs: a scrape never waits for Clari, so the two cost the
// same (goal: hung within 1.5x of healthy).
func BenchmarkScrapeClariHealthy(b *testing.B) { benchScrapeClari(b, false) }
func BenchmarkScrapeClariHung(b *testing.B)    { benchScrapeClari(b, true) }

func benchScrapeClari(b *testing.B, hung bool) {
	sim := clarisim.New(clarisim.Options{APIKey: testKey, Seed: 1, Tenant: clarisim.TenantSpec{Users: 2, Fields: 1}})
	fault := clarisim.Fault{Kind: clarisim.FaultSlow, Delay: 200 * time.Millisecond, Count: -1}
	if hung {
		fault = clarisim.Fault{Kind: clarisim.FaultHang, Count: -1}
	}
	if err := sim.AddFault(fault); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer func() { srv.Close(); sim.Close() }()
	dir := b.TempDir()
	// A short probe interval keeps a probe in flight most of the time.
	a, err := New(Options{ConfigFile: testConfig(b, dir, srv.URL, "1s", ""), Web: webFlags(freeAddr(b))})
	if err != nil {
		b.Fatal(err)
	}
	run(b, a)
	for deadline := time.Now().Add(20 * time.Second); !a.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("not ready within 20 s")
		}
	}
	h := a.Handler()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	// The deferred teardown is not a scrape: closing the simulator waits
	// for its hung requests to time out (about 2 s), which the timer
	// counted into the hung case's ns/op.
	b.StopTimer()
}
