package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
	"github.com/clari-exporter/clari_exporter/config"
)

// memClari serves a pre-rendered job list, so the benchmark measures the
// watch's own work (decoding included) and not an HTTP server's.
type memClari struct {
	list []byte
}

func (m *memClari) Limits(context.Context) (clari.Limits, error) {
	return clari.Limits{MonthlyQuota: 1000, AvailableMonthlyQuota: 500}, nil
}

func (m *memClari) StreamJobs(_ context.Context, fn func(*clari.Job) error) error {
	return clari.DecodeJobList(bytes.NewReader(m.list), fn)
}

func (m *memClari) Results(context.Context, string, clari.ExportFormat, clari.Visitor) error {
	return fmt.Errorf("not served")
}

type memStore struct{ doc []byte }

func (m *memStore) LoadWatchState(context.Context, string) ([]byte, error) { return m.doc, nil }
func (m *memStore) SaveWatchState(_ context.Context, _ string, d []byte) error {
	m.doc = append(m.doc[:0], d...)
	return nil
}
func (m *memStore) OwnJobIDs(context.Context) (map[string]bool, error) { return nil, nil }

var benchNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// history renders n jobs of which the newest inWindow were created inside
// the quota window (one a minute); the rest are older, one an hour.
func history(n, inWindow int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		var created time.Time
		if k := n - 1 - i; k < inWindow {
			created = benchNow.Add(-time.Duration(k+1) * time.Minute)
		} else {
			created = benchNow.Add(-31*24*time.Hour - time.Duration(k)*time.Hour)
		}
		name, _ := clari.ExportFileNameFor([]string{"net_arr", "bookings", "pipeline_cov"}[i%3], fmt.Sprintf("%d_Q%d", created.Year(), (int(created.Month())-1)/3+1), i, created, clari.FormatJSON)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jobId":"%08x%016x","status":"DONE","startTime":%d,"endTime":%d,"expiredTime":%d,"title":"Forecast Export","fileName":%q,"fileType":"JSON","downloads":1,"userId":1}`,
			uint32(created.Unix()), i, created.UnixMilli()+5000, created.UnixMilli()+45000, created.UnixMilli()+45000+30*24*3600*1000, name)
	}
	b.WriteByte(']')
	return bytes.Clone(b.Bytes()) // exactly its length: the benchmark subtracts it from the heap
}

func benchWatcher(list []byte) (*Watcher, *memStore) {
	cfg := config.Default()
	cfg.Watch.Enabled = true
	cfg.Watch.InspectResults = false
	st := &memStore{}
	w := New(Options{Clari: &memClari{list: list}, Store: st, Config: func() *config.File { return &cfg.File }, Now: func() time.Time { return benchNow }})
	return w, st
}

// TestStateDoesNotGrowWithHistory: what a poll keeps (the saved document
// and the jobs held between polls) is the same for a 2,000- and a
// 20,000-job history with the same jobs inside the window.
func TestStateDoesNotGrowWithHistory(t *testing.T) {
	size := func(n int) (int, int, int) {
		w, st := benchWatcher(history(n, 500))
		for range 2 {
			if err := w.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		var d doc
		if err := json.Unmarshal(st.doc, &d); err != nil {
			t.Fatal(err)
		}
		return len(d.Counted), len(w.current), len(d.Targets)
	}
	c10, cur10, t10 := size(2_000)
	c100, cur100, t100 := size(20_000)
	if c10 != 500 || c100 != 500 || cur10 != cur100 {
		t.Fatalf("counted %d vs %d (want 500), held %d vs %d", c10, c100, cur10, cur100)
	}
	// Targets are (forecast, quarter) pairs: they grow with the years of
	// history covered, never with the number of jobs.
	if t100 > 3*4*12 || t10 > t100 {
		t.Fatalf("targets %d and %d", t10, t100)
	}
}

// BenchmarkPoll100kHistory is one poll of a 100,000-job history (500 jobs
// inside the window), after the first poll seeded the state. cpu-ms/op is
// process CPU time; heap-MB is the live heap after the poll, less the
// rendered list.
func BenchmarkPoll100kHistory(b *testing.B) {
	list := history(100_000, 500)
	w, _ := benchWatcher(list)
	ctx := context.Background()
	if err := w.Poll(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := w.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// The rendered list itself (the "response") is not the watch's.
	b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(len(list)))/(1<<20), "heap-MB")
	runtime.KeepAlive(w)
	runtime.KeepAlive(list)
}
