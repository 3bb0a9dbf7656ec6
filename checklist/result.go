package checklist

import (
	"time"
)

// Status is the outcome of one check.
type Status string

// Statuses. A WARN is a gap worth fixing that does not block go-live; a
// SKIP says why the check could not run (its detail names the reason).
const (
	Pass Status = "PASS"
	Warn Status = "WARN"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Priorities, from the checklist's risk table: P1 blocks go-live (the
// audit exits 1 on a P1 FAIL).
const (
	P1 = "P1"
	P2 = "P2"
	P3 = "P3"
)

// Sections group the checks like the checklist does.
const (
	SectionConfig     = "Configuration"
	SectionAuth       = "Authentication & security"
	SectionAPI        = "API configuration"
	SectionResilience = "Error handling & resilience"
	SectionData       = "Data quality & warehouse"
	SectionMonitoring = "Monitoring & alerting"
)

// Sections lists the sections in report order.
var Sections = []string{SectionConfig, SectionAuth, SectionAPI, SectionResilience, SectionData, SectionMonitoring}

// Result is one check's outcome.
type Result struct {
	ID       string `json:"id"`
	Section  string `json:"section"`
	Items    []int  `json:"checklist_items,omitempty"`
	Title    string `json:"title"`
	Priority string `json:"priority"`
	Status   Status `json:"result"`
	// Detail is one line naming the evidence (a file and its mode, a URL and
	// its latency, a config line); never a secret.
	Detail string `json:"detail"`
}

func result(id string, s Status, detail string) Result {
	d := definition(id)
	return Result{ID: d.ID, Section: d.Section, Items: d.Items, Title: d.Title, Priority: d.Priority, Status: s, Detail: detail}
}

// Summary counts results.
type Summary struct {
	Pass   int `json:"pass"`
	Warn   int `json:"warn"`
	Fail   int `json:"fail"`
	Skip   int `json:"skip"`
	P1Fail int `json:"p1_fail"`
}

// Report is one audit run.
type Report struct {
	Config      string        `json:"config"`
	Environment string        `json:"environment,omitempty"`
	StartedAt   time.Time     `json:"started_at"`
	Duration    time.Duration `json:"-"`
	Results     []Result      `json:"checks"`
	Summary     Summary       `json:"summary"`
	ExitCode    int           `json:"exit_code"`
}

// Summarize counts r and returns the summary; ExitCode is 1 when a P1
// check failed, else 0.
func Summarize(rs []Result) (Summary, int) {
	var s Summary
	for _, r := range rs {
		switch r.Status {
		case Pass:
			s.Pass++
		case Warn:
			s.Warn++
		case Fail:
			s.Fail++
			if r.Priority == P1 {
				s.P1Fail++
			}
		case Skip:
			s.Skip++
		}
	}
	if s.P1Fail > 0 {
		return s, 1
	}
	return s, 0
}
