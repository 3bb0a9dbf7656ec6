package checklist

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// WriteText writes the report for people: one line per check in the form
// `[PASS] id (P1): detail`, grouped by checklist section, then a summary
// line.
func WriteText(w io.Writer, rep *Report) error {
	env := ""
	if rep.Environment != "" {
		env = " (environment " + rep.Environment + ")"
	}
	if _, err := fmt.Fprintf(w, "Clari production-readiness audit of %s%s\n", rep.Config, env); err != nil {
		return err
	}
	for _, sec := range Sections {
		first := true
		for _, r := range rep.Results {
			if r.Section != sec {
				continue
			}
			if first {
				fmt.Fprintf(w, "\n%s\n", sec)
				first = false
			}
			if _, err := fmt.Fprintf(w, "  [%s] %s (%s): %s\n", r.Status, r.ID, r.Priority, r.Detail); err != nil {
				return err
			}
		}
	}
	s := rep.Summary
	verdict := "no P1 check failed"
	if s.P1Fail > 0 {
		verdict = fmt.Sprintf("%d P1 check(s) failed: not ready for production", s.P1Fail)
	}
	_, err := fmt.Fprintf(w, "\nSummary: %d passed, %d warnings, %d failed, %d skipped in %s; %s (exit %d)\n",
		s.Pass, s.Warn, s.Fail, s.Skip, rep.Duration.Round(time.Millisecond), verdict, rep.ExitCode)
	return err
}

// jsonReport adds the duration in seconds to Report for CI consumers.
type jsonReport struct {
	*Report
	DurationSeconds float64 `json:"duration_seconds"`
}

// WriteJSON writes the report as one JSON document (for CI).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonReport{Report: rep, DurationSeconds: rep.Duration.Seconds()})
}
