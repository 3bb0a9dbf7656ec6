package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clari-exporter/clari_exporter/leader/leadership"
)

func TestHACollector(t *testing.T) {
	var elected leadership.State
	var synced leadership.Sync
	c := NewHACollector(HAOptions{
		Leadership: func() leadership.State { return elected },
		Sync:       func() leadership.Sync { return synced },
	})
	// Before the first sync: the counter at 0, no sync time.
	want := `# HELP clari_exporter_leader_transitions_total Times this replica became leader (took the lease of the shared store).
# TYPE clari_exporter_leader_transitions_total counter
clari_exporter_leader_transitions_total 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	elected = leadership.State{Leader: true, Term: 3, Transitions: 3}
	synced = leadership.Sync{Synced: true, LastSync: time.Unix(1764620000, 500e6), Generation: 9}
	want = `# HELP clari_exporter_leader_transitions_total Times this replica became leader (took the lease of the shared store).
# TYPE clari_exporter_leader_transitions_total counter
clari_exporter_leader_transitions_total 3
# HELP clari_exporter_store_last_sync_timestamp_seconds When this replica last read the shared store's state, in unix seconds (absent before the first read).
# TYPE clari_exporter_store_last_sync_timestamp_seconds gauge
clari_exporter_store_last_sync_timestamp_seconds 1.7646200005e+09
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(NewHACollector(HAOptions{})); n != 0 {
		t.Fatalf("a single replica without sources exposes %d HA series", n)
	}
}

// Every reason of the producer's list is served, from 0, with the
// producer's count; a reason outside the list is not.
func TestHACollectorCreateRefused(t *testing.T) {
	counts := map[string]uint64{}
	c := NewHACollector(HAOptions{CreateRefused: func() map[string]uint64 { return counts },
		CreateRefusedReasons: []string{"not_leader", "slot_taken"}})
	help := `# HELP clari_export_create_refused_total Creates this replica refused to send although the schedule wanted them, by reason (not_leader, slot_taken): it no longer led the term of its intent, or another process (a second leader) holds or exported the slot. Nothing was spent.
# TYPE clari_export_create_refused_total counter
`
	want := help + `clari_export_create_refused_total{reason="not_leader"} 0
clari_export_create_refused_total{reason="slot_taken"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	counts = map[string]uint64{"slot_taken": 2, "other": 5}
	want = help + `clari_export_create_refused_total{reason="not_leader"} 0
clari_export_create_refused_total{reason="slot_taken"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
