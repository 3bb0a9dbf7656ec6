package config

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// Watch is the pipeline watch: what Clari's own job records say about the
// production pipeline, read without spending quota (GET /admin/limits and
// GET /export/jobs are free). With schedule.enabled false it is the whole
// exporter (zero-quota mode).
type Watch struct {
	// Enabled turns the watch on. Default false.
	Enabled bool `yaml:"enabled"`
	// Interval is how often both lists are read. Default 5m.
	Interval model.Duration `yaml:"interval"`
	// Forecasts are the forecast ids reported on; empty means every
	// forecast seen in the job list.
	Forecasts []string `yaml:"forecasts"`
	// InspectResults downloads each newly DONE job of a watched forecast
	// once and checks it like the exporter's own exports. Default true.
	InspectResults bool `yaml:"inspect_results"`
	// StuckAfter is the age past which a job that has not finished is
	// stuck. Default 30m.
	StuckAfter model.Duration `yaml:"stuck_after"`
	// DownloadGrace is how long a DONE job may wait for its first download
	// before it counts as a wasted export. Default 2h.
	DownloadGrace model.Duration `yaml:"download_grace"`
	// InspectPace is the pause between two result downloads, so a backlog
	// of DONE jobs is fetched one at a time without a burst. Default 2s.
	InspectPace model.Duration `yaml:"inspect_pace"`
}

func defaultWatch() Watch {
	return Watch{
		Interval:       dur(5 * time.Minute),
		InspectResults: true,
		StuckAfter:     dur(30 * time.Minute),
		DownloadGrace:  dur(2 * time.Hour),
		InspectPace:    dur(2 * time.Second),
	}
}

// UnmarshalYAML applies the section's defaults before decoding.
func (w *Watch) UnmarshalYAML(unmarshal func(any) error) error {
	*w = defaultWatch()
	type plainWatch Watch
	return unmarshal((*plainWatch)(w))
}

// ZeroQuota reports the zero-quota mode: the watch runs and the schedule
// does not, so the exporter never creates an export.
func (c *File) ZeroQuota() bool { return c.Watch.Enabled && !c.Schedule.Enabled }

// WatchesForecast reports whether forecast id is reported on.
func (w Watch) WatchesForecast(id string) bool {
	if len(w.Forecasts) == 0 {
		return true
	}
	for _, f := range w.Forecasts {
		if f == id {
			return true
		}
	}
	return false
}

func (c *Config) validateWatch(errs *fieldErrors) {
	w := c.Watch
	positive(errs, "watch.interval", w.Interval)
	positive(errs, "watch.stuck_after", w.StuckAfter)
	positive(errs, "watch.download_grace", w.DownloadGrace)
	if w.InspectPace < 0 {
		errs.add("watch.inspect_pace", "must be >= 0, got %s", w.InspectPace)
	}
	seen := map[string]int{}
	for i, f := range w.Forecasts {
		p := fmt.Sprintf("watch.forecasts[%d]", i)
		switch {
		case !forecastIDPattern.MatchString(f):
			errs.add(p, "must be a forecast tab slug (letters, digits, '_' and '-'), got %q", f)
		default:
			if j, dup := seen[f]; dup {
				errs.add(p, "%q is already listed at watch.forecasts[%d]", f, j)
			}
			seen[f] = i
		}
	}
}
