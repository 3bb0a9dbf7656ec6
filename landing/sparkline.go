package landing

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/store"
)

// SparkRuns is how many of a target's newest runs its sparkline draws.
const SparkRuns = 20

// Sparkline geometry, in SVG user units (CSS pixels at the page's size).
const (
	sparkWidth  = 120
	sparkHeight = 28
	sparkPad    = 3
)

// sparkline is a target's last runs drawn inline as SVG (no JavaScript):
// one line for the job's duration and one for its rows, each scaled to its
// own maximum, oldest run left; a failed run is a red dot on the duration
// line. Points are "x,y" pairs the template writes into <polyline>.
type sparkline struct {
	Width, Height  int
	Duration, Rows string
	Failures       []point
	Title          string // what the figure says, for a tooltip and a screen reader
}

type point struct{ X, Y float64 }

// newSparkline draws runs (newest first, as the store returns them); nil
// when there are none.
func newSparkline(runs []store.Run) *sparkline {
	if len(runs) == 0 {
		return nil
	}
	n := min(len(runs), SparkRuns)
	ordered := make([]store.Run, n) // oldest first
	for i := range n {
		ordered[n-1-i] = runs[i]
	}
	var maxDur time.Duration
	maxRows, failed := 0, 0
	for _, r := range ordered {
		maxDur = max(maxDur, runDuration(r))
		maxRows = max(maxRows, r.Rows)
		if !r.Success() {
			failed++
		}
	}
	s := &sparkline{Width: sparkWidth, Height: sparkHeight}
	var dur, rows []string
	for i, r := range ordered {
		x := sparkX(i, n)
		yd := sparkY(float64(runDuration(r)), float64(maxDur))
		dur = append(dur, pair(x, yd))
		rows = append(rows, pair(x, sparkY(float64(r.Rows), float64(maxRows))))
		if !r.Success() {
			s.Failures = append(s.Failures, point{x, yd})
		}
	}
	s.Duration, s.Rows = strings.Join(dur, " "), strings.Join(rows, " ")
	s.Title = fmt.Sprintf("last %d runs, oldest left: duration up to %s, rows up to %d, %d failed",
		n, maxDur.Round(time.Millisecond), maxRows, failed)
	return s
}

// runDuration is the job's duration, or the run's wall time when the store
// has none (Run.Duration 0).
func runDuration(r store.Run) time.Duration {
	if r.Duration > 0 {
		return r.Duration
	}
	return max(r.FinishedAt.Sub(r.StartedAt), 0)
}

// sparkX spreads n runs over the width; one run sits in the middle.
func sparkX(i, n int) float64 {
	if n == 1 {
		return sparkWidth / 2
	}
	return sparkPad + float64(i)*float64(sparkWidth-2*sparkPad)/float64(n-1)
}

// sparkY puts v on a scale of 0..top, 0 at the bottom; everything sits on
// the bottom when top is 0.
func sparkY(v, top float64) float64 {
	if top <= 0 {
		return sparkHeight - sparkPad
	}
	return sparkHeight - sparkPad - v/top*float64(sparkHeight-2*sparkPad)
}

func pair(x, y float64) string {
	return strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64)
}
