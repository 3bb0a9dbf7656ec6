package clarisim

import (
	"github.com/clari-exporter/clari_exporter/clari"
)

// Summary is what a correct decoder + deduplicator must find in a document,
// computed from the generator itself (not from parsing).
type Summary struct {
	// Period is the exported period id (after fallback); FellBack reports
	// the fallback.
	Period   string
	FellBack bool
	// TimeFrames lists the exported weeks ("TF:yyyy-mm-dd").
	TimeFrames []string
	// JSONEntries is the number of JSON entries, stale duplicates included.
	JSONEntries int
	// Keys is the number of distinct natural keys (user × field × week).
	Keys int
	// Values is the number of normalised clari.Entry values after dedup:
	// Keys × requested data types (nulls included, HasValue=false).
	Values int
	// Nulls counts null forecastValues after dedup.
	Nulls int
	// CSVRows is the number of CSV data rows (header excluded).
	CSVRows int
	// Totals sums the values after dedup, per field id and data type
	// (forecast_updated counts the true flags). Nulls add nothing.
	Totals map[string]map[string]float64
}

// Summarize computes the Summary of the document spec/params/seed describe.
func Summarize(spec TenantSpec, params ExportParams, seed int64) (Summary, error) {
	d, err := planDocument(spec, params, seed)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Period: d.quarter.ID(), FellBack: d.fellBack, Totals: map[string]map[string]float64{}}
	for _, w := range d.weeksInDocs {
		s.TimeFrames = append(s.TimeFrames, w.TimeFrameID())
	}
	ntypes := 0
	for t := 0; t < numTypes; t++ {
		if d.types[t] {
			ntypes++
		}
	}
	cents := map[string]map[string]int64{}
	err = d.generate(func(e *genEntry) error {
		s.JSONEntries++
		if e.stale {
			return nil
		}
		s.Keys++
		s.Values += ntypes
		s.CSVRows += ntypes
		f := FieldID(e.field)
		if cents[f] == nil {
			cents[f] = map[string]int64{}
		}
		for t := 0; t < numTypes; t++ {
			if !d.types[t] {
				continue
			}
			if !e.has[t] {
				if t == tForecast {
					s.Nulls++
				}
				continue
			}
			cents[f][clari.AllDataTypes[t]] += e.value[t]
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	for f, m := range cents {
		s.Totals[f] = map[string]float64{}
		for t, c := range m {
			if t == clari.DataForecastUpdated {
				s.Totals[f][t] = float64(c)
			} else {
				s.Totals[f][t] = float64(c) / 100
			}
		}
	}
	return s, nil
}

// JobSummary is Summarize for a job's document.
func (s *Sim) JobSummary(jobID string) (Summary, error) {
	j, ok := s.Job(jobID)
	if !ok {
		return Summary{}, errorf("no job %q", jobID)
	}
	return Summarize(s.tenant, j.Params, s.seed)
}
