package collector

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clari-exporter/clari_exporter/fiscal"
	"github.com/clari-exporter/clari_exporter/fiscal/calendar"
)

func init() {
	contractMetrics = append(contractMetrics, "clari_fiscal_calendar_info", "clari_fiscal_calendar_mismatch")
}

// learnedFebruary is the state after learning GitLab's calendar.
var learnedFebruary = fiscal.State{Source: fiscal.SourceClari, StartMonth: 2, YearLabel: "end", Verified: true}

func TestCalendarMetrics(t *testing.T) {
	cases := []struct {
		name  string
		state fiscal.State
		want  string
	}{
		{"learned", learnedFebruary, `
clari_fiscal_calendar_info{source="clari",start_month="2",year_label="end"} 1
clari_fiscal_calendar_mismatch 0
`},
		{"configured and contradicted", fiscal.State{Source: fiscal.SourceConfig, StartMonth: 1, YearLabel: "end", Mismatch: true, Fix: "set fiscal_calendar.start_month: 2"}, `
clari_fiscal_calendar_info{source="config",start_month="1",year_label="end"} 1
clari_fiscal_calendar_mismatch 1
`},
		{"not known yet", fiscal.State{Source: fiscal.SourceUnknown}, `
clari_fiscal_calendar_info{source="unknown",start_month="",year_label=""} 1
clari_fiscal_calendar_mismatch 0
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := c.state
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(NewCalendarCollector(func() calendar.State { return st }))
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			got.WriteString("\n")
			for _, mf := range mfs {
				for _, m := range mf.Metric {
					var ls []string
					for _, l := range m.Label {
						ls = append(ls, l.GetName()+`="`+l.GetValue()+`"`)
					}
					series := mf.GetName()
					if len(ls) > 0 {
						series += "{" + strings.Join(ls, ",") + "}"
					}
					fmt.Fprintf(&got, "%s %g\n", series, m.GetGauge().GetValue())
				}
			}
			if got.String() != c.want {
				t.Errorf("got%s\nwant%s", got.String(), c.want)
			}
		})
	}
}
