package clarisim

import (
	"bufio"
	"io"
	"strconv"

	"github.com/clari-exporter/clari_exporter/clari"
)

// WriteResultJSON streams the JSON result document for params to w. Nothing
// but one entry at a time is held in memory, so documents of any size can
// be generated (benchmarks: 20k users × 10 fields × 13 weeks is > 500 MB).
func WriteResultJSON(w io.Writer, spec TenantSpec, params ExportParams, seed int64) error {
	d, err := planDocument(spec, params, seed)
	if err != nil {
		return err
	}
	return d.writeJSON(w)
}

// WriteResult streams the document in params.Format (JSON unless CSV).
func WriteResult(w io.Writer, spec TenantSpec, params ExportParams, seed int64) error {
	if params.Format == clari.FormatCSV {
		return WriteResultCSV(w, spec, params, seed)
	}
	return WriteResultJSON(w, spec, params, seed)
}

type jsonDoc struct {
	*docPlan
	bw  *bufio.Writer
	buf []byte
}

func (d *docPlan) writeJSON(w io.Writer) error {
	j := &jsonDoc{docPlan: d, bw: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024)}
	j.raw("{")
	for i, k := range d.keyOrder {
		if i > 0 {
			j.raw(",")
		}
		var err error
		switch k {
		case "entries":
			err = j.entries()
		case "users":
			j.users()
		case "fields":
			j.fields()
		case "timePeriods":
			j.timePeriods()
		case "timeFrames":
			j.timeFrames()
		default:
			j.raw(strconv.Quote(k) + ":null")
		}
		if err != nil {
			return err
		}
	}
	j.raw("}\n")
	return j.bw.Flush()
}

func (j *jsonDoc) raw(s string) { j.bw.WriteString(s) }

// flush hands the scratch buffer to the bufio writer and reports its error.
func (j *jsonDoc) flush() error {
	_, err := j.bw.Write(j.buf)
	j.buf = j.buf[:0]
	return err
}

func (j *jsonDoc) entries() error {
	j.raw(`"entries":[`)
	first := true
	sym := currencySymbol(j.currency)
	err := j.generate(func(e *genEntry) error {
		b := j.buf[:0]
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"userId":"`...)
		b = append(b, e.userID...)
		b = append(b, `","fieldId":"`...)
		b = append(b, FieldID(e.field)...)
		b = append(b, `","timePeriodId":"`...)
		b = append(b, j.periodID...)
		b = append(b, `","timeFrameId":"TF:`...)
		b = e.week.Start.AppendFormat(b, "2006-01-02")
		b = append(b, '"')
		if j.types[tForecast] {
			b = append(b, `,"forecastValue":`...)
			if e.has[tForecast] {
				b = appendCents(b, e.value[tForecast])
			} else {
				b = append(b, "null"...)
			}
		}
		if j.types[tQuota] {
			b = append(b, `,"quotaValue":`...)
			b = appendCents(b, e.value[tQuota])
		}
		if j.types[tForecastUpdated] {
			b = append(b, `,"isUpdated":`...)
			b = strconv.AppendBool(b, e.value[tForecastUpdated] == 1)
		}
		if j.types[tAdjustment] {
			// Who adjusted and when come with the value [doc].
			b = append(b, `,"adjustmentValue":`...)
			b = appendCents(b, e.value[tAdjustment])
			b = append(b, `,"adjustedBy":`...)
			b = j.appendID(b, e.updatedBy)
			b = append(b, `,"adjustedOn":`...)
			b = strconv.AppendInt(b, e.updatedOn, 10)
		}
		if j.types[tCRMTotal] {
			b = append(b, ',')
			b = appendJSONString(b, j.crmTotalKey)
			b = append(b, ':')
			b = appendCents(b, e.value[tCRMTotal])
		}
		if j.types[tCRMClosed] {
			b = append(b, `,"crmClosedValue":`...)
			b = appendCents(b, e.value[tCRMClosed])
		}
		// updatedBy is a number unless the scenario asks for strings:
		// Clari sends either.
		b = append(b, `,"updatedBy":`...)
		b = j.appendID(b, e.updatedBy)
		b = append(b, `,"updatedOn":`...)
		b = strconv.AppendInt(b, e.updatedOn, 10)
		b = append(b, `,"currency":{"code":"`...)
		b = append(b, j.currency...)
		b = append(b, `","symbol":`...)
		b = appendJSONString(b, sym)
		b = append(b, "}}"...)
		j.buf = b
		return j.flush()
	})
	if err != nil {
		return err
	}
	j.raw("]")
	return nil
}

func (j *jsonDoc) users() {
	j.raw(`"users":[`)
	for i := 0; i < j.spec.Users; i++ {
		u := j.spec.makeUser(i)
		b := j.buf[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"userId":`...)
		b = appendJSONString(b, u.id)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, u.name)
		b = append(b, `,"email":`...)
		b = appendJSONString(b, u.email)
		b = append(b, `,"crmId":`...)
		b = appendJSONString(b, u.crmID)
		b = append(b, `,"hierarchyId":`...)
		b = appendJSONString(b, u.hierarchyID)
		b = append(b, `,"hierarchyName":`...)
		b = appendJSONString(b, u.hierarchyName)
		b = append(b, `,"parentHierarchyId":`...)
		b = appendNullableString(b, u.parentID)
		b = append(b, `,"parentHierarchyName":`...)
		b = appendNullableString(b, u.parentName)
		b = append(b, `,"scopeId":`...)
		b = appendJSONString(b, u.scopeID)
		b = append(b, '}')
		j.buf = b
		j.flush()
	}
	j.raw("]")
}

func (j *jsonDoc) fields() {
	j.raw(`"fields":[`)
	for i := 0; i < j.spec.Fields; i++ {
		b := j.buf[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"fieldId":`...)
		b = appendJSONString(b, FieldID(i))
		b = append(b, `,"fieldName":`...)
		b = appendJSONString(b, FieldName(i))
		b = append(b, `,"fieldType":"money"}`...)
		j.buf = b
		j.flush()
	}
	j.raw("]")
}

func (j *jsonDoc) timePeriods() {
	q := j.quarter
	b := j.buf[:0]
	b = append(b, `"timePeriods":[{"timePeriodId":"`...)
	b = append(b, q.ID()...)
	b = append(b, `","type":"quarter","label":"`...)
	b = append(b, q.Label()...)
	b = append(b, `","year":"`...)
	b = strconv.AppendInt(b, int64(q.FiscalYear), 10)
	b = append(b, `","startDate":"`...)
	b = q.Start.AppendFormat(b, "2006-01-02")
	b = append(b, `","endDate":"`...)
	b = q.End.AppendFormat(b, "2006-01-02")
	b = append(b, `","crmId":"`...)
	b = append(b, q.CRMID()...)
	b = append(b, `"}]`...)
	j.buf = b
	j.flush()
}

func (j *jsonDoc) timeFrames() {
	j.raw(`"timeFrames":[`)
	for i, w := range j.weeksInDocs {
		b := j.buf[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"timeFrameId":"`...)
		b = append(b, w.TimeFrameID()...)
		b = append(b, `","startDate":"`...)
		b = w.Start.AppendFormat(b, "2006-01-02")
		b = append(b, `","endDate":"`...)
		b = w.End.AppendFormat(b, "2006-01-02")
		b = append(b, `"}`...)
		j.buf = b
		j.flush()
	}
	j.raw("]")
}

// appendID appends a numeric user id as a JSON number, or as a string when
// the scenario sends ids as strings.
func (j *jsonDoc) appendID(b []byte, id string) []byte {
	if j.params.StringIDs {
		return appendJSONString(b, id)
	}
	return append(b, id...)
}

// appendCents appends cents as a JSON number: whole amounts as integers
// ("120000"), others with two decimals ("-12.05"), as Clari's documents mix
// both.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	r := c % 100
	if r == 0 {
		return b
	}
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}

// appendNullableString appends s as a JSON string, or null when empty.
func appendNullableString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
