package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/fiscal/calendar"
)

// CalendarCollector exposes clari_fiscal_calendar_info and
// clari_fiscal_calendar_mismatch.
type CalendarCollector struct {
	latest         func() calendar.State
	info, mismatch *prometheus.Desc
}

// NewCalendarCollector reads the state latest returns on every scrape (it
// must be cheap). A nil latest exposes nothing.
func NewCalendarCollector(latest func() calendar.State) *CalendarCollector {
	return &CalendarCollector{
		latest: latest,
		info: prometheus.NewDesc("clari_fiscal_calendar_info",
			"1: the fiscal calendar period labels are computed in; source is config (fiscal_calendar), clari (learned from the period dates of a Clari export) or unknown (not learned yet: only the learning export runs). start_month and year_label are empty while unknown.",
			[]string{"source", "start_month", "year_label"}, nil),
		mismatch: prometheus.NewDesc("clari_fiscal_calendar_mismatch",
			"1 when the period dates of a Clari export contradict the configured fiscal_calendar: every export is held (skipped, reason calendar_mismatch) until the configuration is fixed.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *CalendarCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.info
	ch <- c.mismatch
}

// Collect implements prometheus.Collector.
func (c *CalendarCollector) Collect(ch chan<- prometheus.Metric) {
	if c.latest == nil {
		return
	}
	st := c.latest()
	m := ""
	if st.StartMonth > 0 {
		m = strconv.Itoa(st.StartMonth)
	}
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, st.Source, m, st.YearLabel)
	ch <- prometheus.MustNewConstMetric(c.mismatch, prometheus.GaugeValue, boolFloat(st.Mismatch))
}
