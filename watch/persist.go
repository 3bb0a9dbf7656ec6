package watch

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

// stateName is the name of the watch's document in the store.
const stateName = "pipeline"

// docVersion is bumped when the document's meaning changes.
const docVersion = 1

// doc is everything the watch keeps across restarts, saved after every poll
// as one document: a job is counted exactly once because its id is in
// Counted (jobs created inside the quota window) or its creation time is
// before Watermark (everything older was settled before it was forgotten).
type doc struct {
	Version int `json:"version"`
	// Seeded is true once the first poll ran: jobs terminal then seed the
	// gauges without being counted.
	Seeded    bool      `json:"seeded"`
	Watermark time.Time `json:"watermark"`
	// Counted are the terminal jobs settled (counted or seeded), by id, with
	// their creation time (for pruning at the watermark).
	Counted map[string]time.Time `json:"counted"`
	// Open are the non-terminal jobs seen, so one that ends is counted even
	// when it started before the watermark.
	Open map[string]time.Time `json:"open"`
	// Inspect is the queue of DONE jobs still to download and check.
	Inspect []inspectItem `json:"inspect,omitempty"`
	// Own are this exporter's jobs seen in the list (by id, with their
	// creation time): remembered here because the store prunes old runs,
	// and a pruned run's job must not turn into a pipeline job.
	Own map[string]time.Time `json:"own,omitempty"`
	// OwnDownloads counts this exporter's downloads per job (only its own
	// downloads do not make a job "downloaded").
	OwnDownloads map[string]int `json:"own_downloads,omitempty"`

	Targets   map[string]*targetDoc   `json:"targets"`   // key forecast + "\x00" + period
	Forecasts map[string]*forecastDoc `json:"forecasts"` // by forecast
}

type targetDoc struct {
	Forecast      string            `json:"forecast"`
	Period        string            `json:"period"`
	Jobs          map[string]uint64 `json:"jobs"`
	CheckFailures map[string]uint64 `json:"check_failures"`
	LastSuccess   time.Time         `json:"last_success"`
	// LastTerminal orders terminal jobs: the newest decides LastJobSuccess.
	LastTerminal   time.Time `json:"last_terminal"`
	LastJobKnown   bool      `json:"last_job_known"`
	LastJobSuccess bool      `json:"last_job_success"`
	// History are the newest inspected snapshots (oldest first): the swing
	// baseline. Latest is the newest inspected one, its check aside.
	History       []snapshot.Snapshot `json:"history,omitempty"`
	Inspected     bool                `json:"inspected"`
	Rows          int                 `json:"rows"`
	DuplicateRows int                 `json:"duplicate_rows"`
	DataTypeRows  map[string]int      `json:"data_type_rows,omitempty"`
	Swings        []snapshot.Swing    `json:"swings,omitempty"`
	// InspectedAt is the endTime of the newest inspected job (older ones
	// never replace its figures).
	InspectedAt time.Time `json:"inspected_at"`
	// LastCheck is the newest inspected job's check, failed ones included.
	LastCheck Check `json:"last_check"`
}

type forecastDoc struct {
	Duration Histogram `json:"duration"`
}

type inspectItem struct {
	JobID    string    `json:"job_id"`
	Forecast string    `json:"forecast"`
	Period   string    `json:"period"`
	Format   string    `json:"format"`
	Ended    time.Time `json:"ended"`
	// Seed marks the newest DONE job at the first poll: it only sets the
	// swing baseline and figures, never counts a check failure.
	Seed bool `json:"seed,omitempty"`
	// Truncated is Clari's job record saying the document is incomplete.
	Truncated bool `json:"truncated,omitempty"`
}

func newDoc() *doc {
	return &doc{Version: docVersion, Counted: map[string]time.Time{}, Open: map[string]time.Time{},
		Own: map[string]time.Time{}, OwnDownloads: map[string]int{}, Targets: map[string]*targetDoc{}, Forecasts: map[string]*forecastDoc{}}
}

func decodeDoc(b []byte) (*doc, error) {
	d := newDoc()
	if len(b) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("watch: the saved pipeline watch state is not readable (%v); it is kept as is until it can be read", err)
	}
	if d.Version != docVersion {
		return nil, fmt.Errorf("watch: the saved pipeline watch state has version %d, this exporter reads %d", d.Version, docVersion)
	}
	if d.Counted == nil {
		d.Counted = map[string]time.Time{}
	}
	if d.Open == nil {
		d.Open = map[string]time.Time{}
	}
	if d.Own == nil {
		d.Own = map[string]time.Time{}
	}
	if d.OwnDownloads == nil {
		d.OwnDownloads = map[string]int{}
	}
	if d.Targets == nil {
		d.Targets = map[string]*targetDoc{}
	}
	for _, t := range d.Targets {
		// A reason added since the document was saved starts at 0 too.
		for _, r := range CheckReasons {
			if _, ok := t.CheckFailures[r]; !ok {
				if t.CheckFailures == nil {
					t.CheckFailures = map[string]uint64{}
				}
				t.CheckFailures[r] = 0
			}
		}
	}
	if d.Forecasts == nil {
		d.Forecasts = map[string]*forecastDoc{}
	}
	return d, nil
}

func (d *doc) target(forecast, period string) *targetDoc {
	k := forecast + "\x00" + period
	t := d.Targets[k]
	if t == nil {
		t = &targetDoc{Forecast: forecast, Period: period, Jobs: map[string]uint64{}, CheckFailures: map[string]uint64{}}
		// Every child at 0 from the first sight on.
		for _, s := range Statuses {
			t.Jobs[s] = 0
		}
		for _, r := range CheckReasons {
			t.CheckFailures[r] = 0
		}
		d.Targets[k] = t
	}
	if d.Forecasts[forecast] == nil {
		d.Forecasts[forecast] = &forecastDoc{Duration: Histogram{Buckets: make([]uint64, len(DurationBuckets))}}
	}
	return t
}
