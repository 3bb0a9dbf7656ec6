package clari

import (
	"errors"
	"io"
	"strconv"
)

// DecodeError says where decoding an export result failed, so a bad or
// truncated document can be located (and reported to Clari) without keeping
// it: the format, the byte offset, the entry being decoded and, for CSV, the
// line.
type DecodeError struct {
	// Format is "JSON" or "CSV".
	Format string
	// Offset is the byte offset in the document where the problem was found.
	Offset int64
	// Entry is the 0-based index of the entry (JSON entries item, CSV data
	// row) being decoded, -1 when the failure is outside any entry.
	Entry int
	// Line is the 1-based CSV line; 0 for JSON.
	Line int
	// Err is the cause. A truncated document unwraps to io.ErrUnexpectedEOF;
	// an I/O error of the reader unwraps to that error.
	Err error
}

// Error reads like
// `clari: decode JSON result: entry 1234 at byte 56789: unexpected end of input`.
func (e *DecodeError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "clari: decode "...)
	b = append(b, e.Format...)
	b = append(b, " result: "...)
	if e.Line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
		b = append(b, ", "...)
	}
	if e.Entry >= 0 {
		b = append(b, "entry "...)
		b = strconv.AppendInt(b, int64(e.Entry), 10)
		b = append(b, ' ')
	}
	b = append(b, "at byte "...)
	b = strconv.AppendInt(b, e.Offset, 10)
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	} else {
		b = append(b, "unknown error"...)
	}
	return string(b)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// errUnexpectedEnd is the cause of a DecodeError for a document that ends
// in the middle of a value. It matches io.ErrUnexpectedEOF with errors.Is so
// callers need not know this package's sentinel.
var errUnexpectedEnd error = unexpectedEndError{}

type unexpectedEndError struct{}

func (unexpectedEndError) Error() string { return "unexpected end of input" }

func (unexpectedEndError) Is(target error) bool { return target == io.ErrUnexpectedEOF }

var errNilReader = errors.New("no document: the reader is nil")

// errNoCalendar is returned by DecodeCSV without Visitor.PeriodOf: a CSV
// result has no period column, so its rows cannot be placed without the
// fiscal calendar.
var errNoCalendar = errors.New("CSV results carry no period column: decoding needs the fiscal calendar (Visitor.PeriodOf)")

// visitorError carries an error returned by a Visitor func up through the
// decoder, so DecodeJSON/DecodeCSV can return it as is (not wrapped in a
// DecodeError: it is the caller's own error).
type visitorError struct{ err error }

func (e visitorError) Error() string { return e.err.Error() }
