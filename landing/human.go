package landing

import (
	"fmt"
	"strings"
	"time"

	"github.com/clari-exporter/clari_exporter/runlog"
)

// age says how long ago t was the way an on-call reads it at a glance:
// "12 s ago", "5 min ago", "3 h ago", "37 d ago" (hours up to two days, so
// "30 h" still reads as "more than a day", then days). A time ahead of now
// reads "in 3 h"; the zero time reads "never".
func age(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + span(-d)
	}
	return span(d) + " ago"
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// every reads a schedule interval: "every 6 h", "every 30 min".
func every(d time.Duration) string {
	if d <= 0 {
		return "not scheduled"
	}
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("every %d d", int(d/(24*time.Hour)))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("every %d h", int(d/time.Hour))
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("every %d min", int(d/time.Minute))
	}
	return "every " + d.String()
}

// percent reads a ratio as a signed percentage: 0.3 → "+30.0 %".
func percent(r float64) string { return fmt.Sprintf("%+.1f %%", 100*r) }

// errorText is a failed run's error as its log tells it: the message and
// err of its last error line (else its last warning), or the message and
// the other fields when the line has no err (a data-quality guard names
// the periods it found). "" when the run logged no problem.
func errorText(lines []runlog.Line) string {
	pick := -1
	for i, l := range lines {
		if l.Level == "error" || (l.Level == "warn" && (pick < 0 || lines[pick].Level != "error")) {
			pick = i
		}
	}
	if pick < 0 {
		return ""
	}
	l := lines[pick]
	if err := l.Value("err"); err != "" {
		return l.Msg + ": " + err
	}
	var kv []string
	for _, f := range l.Fields {
		if f.Key != "job" {
			kv = append(kv, f.Key+"="+f.Value)
		}
	}
	if len(kv) == 0 {
		return l.Msg
	}
	return l.Msg + " (" + strings.Join(kv, ", ") + ")"
}
