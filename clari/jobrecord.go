package clari

// What a job says about itself without a further call: the creation time in
// its id and the forecast, period and creation time in its result's file
// name. The pipeline watch reads other users' jobs this way (they cost no
// quota), and job adoption uses it to match a job Clari made to an intent.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// QuotaWindow is the length of Clari's rolling monthly-quota window: an
// export counts against the quota for this long after it was created.
const QuotaWindow = 30 * 24 * time.Hour

// jobIDFutureSkew is how far in the future a job id's time may be and still be
// believed: Clari's clock and ours differ by seconds, not minutes.
const jobIDFutureSkew = 5 * time.Minute

// JobIDTime returns the creation time embedded in a job id: its first 8 hex
// digits are Unix seconds (MongoDB ObjectId style). ok is false when the id is
// not 24 hex digits. The time is not checked for plausibility: see
// PlausibleJobIDTime.
func JobIDTime(id string) (t time.Time, ok bool) {
	if len(id) != 24 {
		return time.Time{}, false
	}
	var b [12]byte
	if _, err := hex.Decode(b[:], []byte(id)); err != nil {
		return time.Time{}, false
	}
	sec := int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
	return time.Unix(sec, 0).UTC(), true
}

// PlausibleJobIDTime is JobIDTime, with a time that cannot be a real creation
// time treated as unknown: one in the future (beyond a few minutes of clock
// skew) or, when window > 0, older than now − window. Ids listed in
// /admin/limits are inside the quota window by definition, so an older time
// there means the id does not carry its time; pass window = QuotaWindow for
// them, and window = 0 for a job history, where old jobs are normal.
func PlausibleJobIDTime(id string, now time.Time, window time.Duration) (time.Time, bool) {
	t, ok := JobIDTime(id)
	if !ok || t.Unix() <= 0 {
		return time.Time{}, false
	}
	if t.After(now.Add(jobIDFutureSkew)) {
		return time.Time{}, false
	}
	if window > 0 && t.Before(now.Add(-window)) {
		return time.Time{}, false
	}
	return t, true
}

// ExportFileName is what a result file name says about its job.
type ExportFileName struct {
	// ForecastID is the forecast tab slug (may contain underscores).
	ForecastID string
	// TimePeriod is the exported fiscal period, "2021_Q1".
	TimePeriod string
	// Created is the job's creation time (UTC, whole seconds).
	Created time.Time
	// Format is the result format, from the extension.
	Format ExportFormat
}

const fileNamePrefix = "clari_export_"

// ParseExportFileName reads a job's fileName,
//
//	clari_export_<forecastId>_<YYYY>_Q<N><4 digits>_<yyyyMMdd>_<HHmmss>.<json|csv>
//
// e.g. clari_export_forecast_new_summary_2021_Q12915_20210407_212737.json.
// Forecast ids contain underscores, so the name is read from the right; the
// error says which part is not of this shape.
func ParseExportFileName(name string) (ExportFileName, error) {
	var f ExportFileName
	if !strings.HasPrefix(name, fileNamePrefix) {
		return f, fmt.Errorf("file name %q does not start with %q", excerpt(name, 120), fileNamePrefix)
	}
	rest := name[len(fileNamePrefix):]
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return f, fmt.Errorf("file name %q has no .json or .csv extension", excerpt(name, 120))
	}
	switch strings.ToLower(rest[dot+1:]) {
	case "json":
		f.Format = FormatJSON
	case "csv":
		f.Format = FormatCSV
	default:
		return f, fmt.Errorf("file name %q: extension %q is neither json nor csv", excerpt(name, 120), excerpt(rest[dot+1:], 20))
	}
	rest = rest[:dot]

	// From the right: time, date, quarter+suffix, year, then the forecast id.
	var parts [4]string
	for i := 3; i >= 0; i-- {
		k := strings.LastIndexByte(rest, '_')
		if k < 0 {
			return f, fmt.Errorf("file name %q: too few _-separated parts for <forecast>_<year>_Q<n><4 digits>_<yyyyMMdd>_<HHmmss>", excerpt(name, 120))
		}
		parts[i], rest = rest[k+1:], rest[:k]
	}
	year, quarter, clock, date := parts[0], parts[1], parts[3], parts[2]
	if rest == "" {
		return f, fmt.Errorf("file name %q has no forecast id", excerpt(name, 120))
	}
	if len(year) != 4 || !allDigits(year) {
		return f, fmt.Errorf("file name %q: year %q is not 4 digits", excerpt(name, 120), excerpt(year, 20))
	}
	if len(quarter) != 6 || quarter[0] != 'Q' || quarter[1] < '1' || quarter[1] > '4' || !allDigits(quarter[2:]) {
		return f, fmt.Errorf("file name %q: %q is not Q<1-4> followed by 4 digits", excerpt(name, 120), excerpt(quarter, 20))
	}
	if len(date) != 8 || !allDigits(date) || len(clock) != 6 || !allDigits(clock) {
		return f, fmt.Errorf("file name %q: %q_%q is not <yyyyMMdd>_<HHmmss>", excerpt(name, 120), excerpt(date, 20), excerpt(clock, 20))
	}
	t, err := time.Parse("20060102150405", date+clock)
	if err != nil {
		return f, fmt.Errorf("file name %q: %s_%s is not a valid date and time", excerpt(name, 120), date, clock)
	}
	f.ForecastID = rest
	f.TimePeriod = year + "_" + quarter[:2]
	f.Created = t.UTC()
	return f, nil
}

// ExportFileNameFor builds the file name Clari gives a job's results: the
// inverse of ParseExportFileName (suffix is the 4 digits after the quarter,
// whose meaning is undocumented). The simulator names its jobs with it.
func ExportFileNameFor(forecastID, timePeriod string, suffix int, created time.Time, format ExportFormat) (string, error) {
	if len(timePeriod) != 7 || timePeriod[4] != '_' || timePeriod[5] != 'Q' {
		return "", errors.New("time period " + excerpt(timePeriod, 20) + " is not YYYY_QN")
	}
	ext := "json"
	if format == FormatCSV {
		ext = "csv"
	}
	return fmt.Sprintf("%s%s_%s%04d_%s.%s", fileNamePrefix, forecastID, timePeriod, suffix%10000, created.UTC().Format("20060102_150405"), ext), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
