package clari

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"

	"github.com/cenkalti/backoff/v4"
)

// StreamJobs reads GET /export/jobs and calls fn with each job as it is
// decoded. The list is a user's whole job history (no paging, no filter):
// streaming keeps memory at a fixed buffer whatever its length, so the
// caller decides what to keep. The *Job passed to fn is reused: copy it to
// keep it (its strings may be kept).
//
// Like Results, only the request is retried: once the body started, a
// failure is returned as is (a retry would hand fn the same jobs twice). A
// malformed or truncated list gives a *DecodeError; an error of fn is
// returned as is.
func (c *Client) StreamJobs(ctx context.Context, fn func(*Job) error) error {
	return c.call(ctx, &request{endpoint: EndpointListJobs, method: http.MethodGet, path: "/export/jobs"},
		func(_ *http.Response, body io.Reader) error {
			if err := DecodeJobList(body, fn); err != nil {
				return backoff.Permanent(err)
			}
			return nil
		})
}

// DecodeJobList streams a job list, a bare array [doc] or {"jobs":[...]},
// whose items may each be wrapped as {"job":{...}}, to fn. Values are read as
// leniently as GetJob reads them: ids and strings may be numbers, times
// numbers or numeric strings, currency a code or {"code":...}. Unknown keys
// are skipped. Statuses are upper-cased.
func DecodeJobList(r io.Reader, fn func(*Job) error) error {
	if r == nil {
		return &DecodeError{Format: string(FormatJSON), Entry: -1, Err: errNilReader}
	}
	d := jobListDecoder{jsonDecoder: jsonDecoder{s: newJSONScanner(r), ids: make(map[string]string, 64)}, fn: fn}
	err := d.document()
	if ve, ok := err.(visitorError); ok {
		return ve.err
	}
	return err
}

type jobListDecoder struct {
	jsonDecoder
	fn  func(*Job) error
	job Job
	// per-key previous values, for interning (statuses, titles, types repeat)
	lastStatus, lastTitle, lastType, lastCurrency, lastUser string
}

func (d *jobListDecoder) document() error {
	c, err := d.s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '[':
		err = d.array()
	case '{':
		d.s.pos++
		found := false
		err = d.members(classifyJobs, func(k int) error {
			if k != 1 || found {
				return d.s.skipValue(1)
			}
			found = true
			if c, err := d.s.peek(); err != nil {
				return err
			} else if c == 'n' {
				_, err = d.s.readLiteral()
				return err
			}
			return d.array()
		})
	default:
		return d.s.errorf("job list: expected an array or an object, found %s", describe(c))
	}
	if err != nil {
		return err
	}
	return d.end("job list")
}

func (d *jobListDecoder) array() error {
	if err := d.s.expectDelim('[', "the job list (an array)"); err != nil {
		return err
	}
	return d.elements(func() error {
		d.s.entry = d.entries
		if err := d.s.expectDelim('{', "a job (an object)"); err != nil {
			return err
		}
		d.job = Job{}
		var id string
		if err := d.object(&id, 0); err != nil {
			return err
		}
		if d.job.JobID == "" {
			d.job.JobID = id
		}
		d.entries++
		if err := d.fn(&d.job); err != nil {
			return visitorError{err}
		}
		return nil
	})
}

// Job keys.
const (
	jkUnknown = iota
	jkJobID
	jkID
	jkStatus
	jkStartTime
	jkEndTime
	jkExpiredTime
	jkTitle
	jkFileName
	jkFileType
	jkCurrency
	jkDownloads
	jkUserID
	jkRowsTruncated
	jkCellsTruncated
	jkJob
)

func classifyJobKey(b []byte) int {
	switch string(b) {
	case "jobId":
		return jkJobID
	case "id":
		return jkID
	case "status":
		return jkStatus
	case "startTime":
		return jkStartTime
	case "endTime":
		return jkEndTime
	case "expiredTime":
		return jkExpiredTime
	case "title":
		return jkTitle
	case "fileName":
		return jkFileName
	case "fileType":
		return jkFileType
	case "currency":
		return jkCurrency
	case "downloads":
		return jkDownloads
	case "userId":
		return jkUserID
	case "rowsTruncated":
		return jkRowsTruncated
	case "cellsTruncated":
		return jkCellsTruncated
	case "job":
		return jkJob
	}
	return jkUnknown
}

// object decodes a job's members after its '{'. A "job" member holding an
// object is the wrapped form: its members are the job's.
func (d *jobListDecoder) object(id *string, depth int) error {
	return d.members(classifyJobKey, func(k int) (err error) {
		switch k {
		case jkJobID:
			d.job.JobID, err = d.id("jobId", nil)
		case jkID:
			*id, err = d.id("id", nil)
		case jkStatus:
			var s string
			s, err = d.id("status", &d.lastStatus)
			d.job.Status = normalStatus(s)
		case jkStartTime:
			d.job.StartTime, err = d.millis("startTime")
		case jkEndTime:
			d.job.EndTime, err = d.millis("endTime")
		case jkExpiredTime:
			d.job.ExpiredTime, err = d.millis("expiredTime")
		case jkTitle:
			d.job.Title, err = d.id("title", &d.lastTitle)
		case jkFileName:
			d.job.FileName, err = d.id("fileName", nil)
		case jkFileType:
			d.job.FileType, err = d.id("fileType", &d.lastType)
		case jkCurrency:
			d.last[lastCurrency] = d.lastCurrency
			d.job.Currency, err = d.currency()
			d.lastCurrency = d.last[lastCurrency]
		case jkDownloads:
			var n int64
			n, err = d.millis("downloads")
			d.job.Downloads = int(max(0, min(n, math.MaxInt32)))
		case jkUserID:
			// A number at Clari (kept as its text), a string accepted.
			d.job.UserID, err = d.id("userId", &d.lastUser)
		case jkRowsTruncated:
			d.job.RowsTruncated, err = d.truncation()
		case jkCellsTruncated:
			d.job.CellsTruncated, err = d.truncation()
		case jkJob:
			var c byte
			if c, err = d.s.peek(); err == nil {
				if c == '{' && depth == 0 {
					d.s.pos++
					err = d.object(id, 1)
				} else {
					err = d.s.skipValue(2)
				}
			}
		default:
			err = d.s.skipValue(2)
		}
		return err
	})
}

// millis reads a whole number (epoch ms, a count): a number, a numeric
// string or null (0).
func (d *jobListDecoder) millis(name string) (int64, error) {
	c, err := d.s.peek()
	if err != nil {
		return 0, err
	}
	if c == '"' {
		// An RFC 3339 time is accepted by GetJob; keep the two alike.
		off := d.s.offset()
		b, err := d.s.readString()
		if err != nil {
			return 0, err
		}
		var f flexMillis
		q := make([]byte, 0, len(b)+2)
		q = append(append(append(q, '"'), b...), '"')
		if err := f.UnmarshalJSON(q); err != nil {
			return 0, d.s.errAt(off, errors.New(name+": "+err.Error()))
		}
		return int64(f), nil
	}
	return d.epochMillis(name)
}

// truncation reads a truncation flag as Truncation.UnmarshalJSON does: a
// boolean, a number, a string or null; an array or object counts as set.
func (d *jobListDecoder) truncation() (Truncation, error) {
	c, err := d.s.peek()
	if err != nil {
		return Truncation{}, err
	}
	switch {
	case c == 't' || c == 'f' || c == 'n':
		lit, err := d.s.readLiteral()
		return Truncation{Set: lit == 't'}, err
	case c == '"':
		b, err := d.s.readString()
		return parseTruncation(string(b)), err
	case c == '-' || (c >= '0' && c <= '9'):
		b, err := d.s.readNumber()
		return parseTruncation(string(b)), err
	}
	return Truncation{Set: true}, d.s.skipValue(2)
}

// normalStatus upper-cases a status without allocating for the usual ones.
func normalStatus(s string) JobStatus {
	switch JobStatus(s) {
	case StatusScheduled, StatusStarted, StatusDone, StatusFailed, StatusCancelled, StatusAborted:
		return JobStatus(s)
	}
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'z' {
			out[i] = c - 'a' + 'A'
		}
	}
	return JobStatus(trimSpace(out))
}
