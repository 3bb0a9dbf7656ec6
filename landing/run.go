package landing

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clari-exporter/clari_exporter/runlog"
	"github.com/clari-exporter/clari_exporter/store"
)

// runPath is a run's page: /run?forecast=…&period=…&at=<its end, unix ns>.
// A run is named by its target and end (what the store orders runs by),
// not its job id: a run that failed before Clari answered has none.
const runPath = "/run"

func runLink(r store.Run) string {
	q := url.Values{"forecast": {r.Forecast}, "period": {r.Period}, "at": {strconv.FormatInt(r.FinishedAt.UnixNano(), 10)}}
	return runPath + "?" + q.Encode()
}

// runView is one run's page: its record as the store holds it and the log
// lines it left in this process.
type runView struct {
	Name             string
	Now              time.Time
	Forecast, Period string
	Found            bool
	Row              row
	Lines            []runlog.Line
	// Complete is false when lines of the run may be missing: the run is
	// from before this process started, ran on another replica, or its
	// lines rotated out of the bounded history.
	Complete  bool
	Kept      int    // lines kept per target
	NoHistory bool   // no history wired: the record only
	Error     string // the store could not be read
}

func (h *Handler) runView(r *http.Request) (runView, int) {
	q := r.URL.Query()
	v := runView{Name: h.o.Name, Now: h.o.Now(), Forecast: q.Get("forecast"), Period: q.Get("period")}
	at, err := strconv.ParseInt(q.Get("at"), 10, 64)
	if err != nil || v.Forecast == "" || v.Period == "" {
		return v, http.StatusNotFound
	}
	// The page links only the runs it shows, the newest RecentRuns of a
	// target: the run is among them unless it was pruned since.
	runs, err := h.o.Runs.Runs(r.Context(), v.Forecast, v.Period, RecentRuns)
	if err != nil {
		h.o.Logger.Warn("run page: reading runs", "forecast", v.Forecast, "period", v.Period, "err", err)
		v.Error = "The runs could not be read (see the exporter's log)."
		return v, http.StatusInternalServerError
	}
	for i, run := range runs {
		if run.FinishedAt.UnixNano() != at {
			continue
		}
		v.Found, v.Row = true, h.row(runs, i)
		if h.o.Logs == nil {
			v.NoHistory = true
			break
		}
		from, to := runWindow(runs, i)
		v.Kept = h.o.Logs.LinesPerTarget()
		v.Lines, v.Complete = h.o.Logs.Lines(run.Forecast, run.Period, from, to)
		break
	}
	if !v.Found {
		return v, http.StatusNotFound
	}
	return v, http.StatusOK
}
