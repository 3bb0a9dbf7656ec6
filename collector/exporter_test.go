package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/version"
)

type fakeReload struct {
	ok bool
	at time.Time
}

func (f fakeReload) LastReloadSuccessful() bool       { return f.ok }
func (f fakeReload) LastReloadSuccessTime() time.Time { return f.at }

func TestExporterCollectorGolden(t *testing.T) {
	// Fixed build values, so the golden does not depend on ldflags.
	defer func(v, r string) { version.Version, version.Revision = v, r }(version.Version, version.Revision)
	version.Version, version.Revision = "1.2.3", "abc123"

	c := NewExporterCollector(ExporterOptions{
		Reload:          fakeReload{ok: false, at: t0},
		KeyRotationTime: func() float64 { return 1790000000 },
	})
	c.SetLeader(true)
	want := `
# HELP clari_api_key_rotation_timestamp_seconds When the Clari API key was last rotated, in unix seconds (config clari.rotated_at, else the key file's modification time).
# TYPE clari_api_key_rotation_timestamp_seconds gauge
clari_api_key_rotation_timestamp_seconds 1.79e+09
# HELP clari_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which clari_exporter was built, and the goos and goarch for the build.
# TYPE clari_exporter_build_info gauge
clari_exporter_build_info{branch="",goarch="` + version.GoArch + `",goos="` + version.GoOS + `",goversion="` + version.GoVersion + `",revision="abc123",tags="` + version.GetTags() + `",version="1.2.3"} 1
# HELP clari_exporter_config_last_reload_success_timestamp_seconds When the configuration was last loaded successfully, in unix seconds.
# TYPE clari_exporter_config_last_reload_success_timestamp_seconds gauge
clari_exporter_config_last_reload_success_timestamp_seconds 1.7957808e+09
# HELP clari_exporter_config_last_reload_successful 1 if the last configuration load or reload succeeded, 0 if it failed (the previous configuration stays in force).
# TYPE clari_exporter_config_last_reload_successful gauge
clari_exporter_config_last_reload_successful 0
# HELP clari_exporter_leader 1 where this replica holds the leader lease and runs exports, the pipeline watch and warehouse checks (always on SQLite), 0 on a follower, which serves the shared state.
# TYPE clari_exporter_leader gauge
clari_exporter_leader 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	c.SetLeader(false)
	if got := testutil.ToFloat64(nameFilter{c, "clari_exporter_leader"}); got != 0 {
		t.Errorf("after SetLeader(false): clari_exporter_leader = %v", got)
	}
}

// Unknown values are left out rather than exposed as 0 (a 0 timestamp would
// read as "rotated in 1970" and fire the rotation alert).
func TestExporterCollectorLeavesOutUnknowns(t *testing.T) {
	c := NewExporterCollector(ExporterOptions{
		Reload:          fakeReload{ok: true}, // never succeeded before: no timestamp
		KeyRotationTime: func() float64 { return 0 },
	})
	for name, want := range map[string]int{
		"clari_exporter_build_info":                                   1,
		"clari_exporter_leader":                                       1,
		"clari_exporter_config_last_reload_successful":                1,
		"clari_exporter_config_last_reload_success_timestamp_seconds": 0,
		"clari_api_key_rotation_timestamp_seconds":                    0,
	} {
		if got := testutil.CollectAndCount(c, name); got != want {
			t.Errorf("%s: %d series, want %d", name, got, want)
		}
	}
	if n := testutil.CollectAndCount(NewExporterCollector(ExporterOptions{})); n != 2 {
		t.Errorf("without sources: %d series, want 2 (build_info, leader)", n)
	}
}

func TestExporterCollectorLint(t *testing.T) {
	lintClean(t, NewExporterCollector(ExporterOptions{
		Reload:          fakeReload{ok: true, at: t0},
		KeyRotationTime: func() float64 { return 1790000000 },
	}))
}

func TestExporterCollectorKeyRotationDue(t *testing.T) {
	c := NewExporterCollector(ExporterOptions{KeyRotationDue: func() float64 { return 1797776000 }})
	if got := testutil.ToFloat64(nameFilter{c, "clari_api_key_rotation_due_timestamp_seconds"}); got != 1797776000 {
		t.Errorf("clari_api_key_rotation_due_timestamp_seconds = %v, want 1797776000", got)
	}
	unknown := NewExporterCollector(ExporterOptions{KeyRotationDue: func() float64 { return 0 }})
	if n := testutil.CollectAndCount(unknown, "clari_api_key_rotation_due_timestamp_seconds"); n != 0 {
		t.Errorf("unknown rotation time: %d series, want none", n)
	}
}
