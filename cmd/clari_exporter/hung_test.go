package main

import (
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

// TestMetricsFastWhenClariHangsOrIsDown: with Clari hung (or gone), /metrics
// still answers fast with clari_up 0; 10 scrapes a second for 10 s (20 per
// probe interval) cause at most one live probe per interval and no export
// job at all.
//
// "Fast" is judged against the hang, not against a healthy scrape's few
// milliseconds: Clari hangs for the whole 10 s request timeout, so a scrape
// that waited for the probe would take seconds. The bounds (95th percentile
// under 1 s, slowest under 5 s) are a tenth and a half of the hang and far
// above a normal scrape, so a busy CI machine under -race does not trip them.
// The scrapes are sequential (at most 10/s): concurrent ones would queue
// behind each other on two busy cores, and queueing measures the machine,
// not whether a scrape waits for Clari.
func TestMetricsFastWhenClariHangsOrIsDown(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hung", "down"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// Clari (hung) holds every request until the client gives up:
			// after the request timeout, which the scrape-timeout header
			// below does not shorten.
			const hang = 10 * time.Second
			sim, srv := simServer(t, testAPIKey)
			if err := sim.AddFault(clarisim.Fault{Kind: clarisim.FaultHang, Count: -1}); err != nil {
				t.Fatal(err)
			}
			url := srv.URL
			if mode == "down" {
				url = "http://" + freeAddr(t) // nothing listens there
			}
			state := filepath.Join(t.TempDir(), "state.db")
			cfg := strings.ReplaceAll(exporterConfig(url, ""), "%STATE%", state)
			cfg = strings.Replace(cfg, "probe_interval: 1s", "probe_interval: 2s\n  request_timeout: "+hang.String(), 1)
			cfg = strings.Replace(cfg, "schedule:\n", "schedule:\n  enabled: false\n", 1)
			f, base := testFlags(t)
			f.configFile = writeConfig(t, cfg)
			startServe(t, f, base)

			// Each finished probe stamps clari_exporter_probe_last_timestamp_seconds;
			// sampling it every 500 ms counts the probes (they are >= 2 s apart).
			probeStamps := map[float64]bool{}
			stopSampling := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					select {
					case <-stopSampling:
						return
					case <-time.After(500 * time.Millisecond):
					}
					// Not scrape(): t.Fatal must not be called off the test goroutine.
					resp, err := http.Get(base + "/metrics")
					if err != nil {
						continue
					}
					parser := expfmt.NewTextParser(model.UTF8Validation)
					mfs, err := parser.TextToMetricFamilies(resp.Body)
					resp.Body.Close()
					if err != nil {
						continue
					}
					if v, ok := value(mfs, "clari_exporter_probe_last_timestamp_seconds", nil); ok {
						probeStamps[v] = true
					}
				}
			}()

			// One scrape per tick, each waited for: a slow scrape delays the
			// next instead of piling up behind it.
			const rate, seconds = 10, 10
			var took []time.Duration
			tick := time.NewTicker(time.Second / rate)
			start := time.Now()
			for i := 0; i < rate*seconds; i++ {
				<-tick.C
				req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
				req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.Itoa(int(2*hang/time.Second)))
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("scrape: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took = append(took, time.Since(t0))
			}
			tick.Stop()
			elapsed := time.Since(start)
			close(stopSampling)
			<-sampled

			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			t.Logf("%d scrapes with Clari %s: median %v, 95th percentile %v, slowest %v",
				len(took), mode, took[len(took)/2], took[len(took)*95/100], took[len(took)-1])
			if p95 := took[len(took)*95/100]; p95 > hang/10 {
				t.Errorf("95th percentile scrape took %v with Clari %s for %v, want under %v", p95, mode, hang, hang/10)
			}
			if slowest := took[len(took)-1]; slowest > hang/2 {
				t.Errorf("slowest scrape took %v with Clari %s for %v: it waited for Clari (want under %v)", slowest, mode, hang, hang/2)
			}
			mfs, _ := scrape(t, base)
			if up, ok := value(mfs, "clari_up", nil); !ok || up != 0 {
				t.Errorf("clari_up = %v (present %v), want 0 with Clari %s", up, ok, mode)
			}
			probes := len(probeStamps)
			switch mode {
			case "down":
				// A refused connection ends a probe at once: one per interval.
				if probes < 2 {
					t.Errorf("%d probes finished while scraping: the probe never ran, the test tests nothing", probes)
				}
			case "hung":
				// The probe started at start-up hangs through the scraping.
				if n := sim.Stats().Faults[clarisim.FaultHang]; n == 0 {
					t.Errorf("no request hung in the simulator: the test tests nothing")
				}
			}
			// One probe per 2 s interval, plus the one started before ready.
			if maxProbes := int(elapsed.Seconds()/2) + 2; probes > maxProbes {
				t.Errorf("%d live probes in %v of scraping, want at most %d", probes, elapsed, maxProbes)
			}
			if mode == "hung" && sim.Stats().Requests[clari.EndpointLimits] == 0 {
				t.Errorf("the simulator saw no probe: the test tests nothing")
			}
			if n := sim.Stats().CreateCalls; n != 0 {
				t.Errorf("scrapes caused %d export creates, want 0", n)
			}
		})
	}
}
