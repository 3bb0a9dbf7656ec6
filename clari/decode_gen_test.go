package clari

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// genSpec describes a synthetic export result for decoder tests and
// benchmarks: users × fields × periods × weeks entries, with the shape of a
// real Clari document (unknown keys, nested unknown values, currency
// objects, nulls). It is deterministic, so the same spec always gives the
// same bytes; JSON and CSV renderings carry the same entries.
type genSpec struct {
	users, fields, periods, weeks int
}

// Bytes per entry of the renderings (measured): a JSON entries item, and
// the five CSV rows of one entry.
const (
	genJSONBytesPerEntry = 448
	genCSVBytesPerEntry  = 681
)

// genSpecForMB returns a spec whose rendering in format ("json" or "csv")
// is about mb MiB (mb×1.05 MB).
func genSpecForMB(format string, mb int) genSpec {
	g := genSpec{fields: 6, periods: 4, weeks: 13}
	per := genJSONBytesPerEntry
	if format == "csv" {
		per = genCSVBytesPerEntry
	}
	perUser := g.fields * g.periods * g.weeks * per
	g.users = max(1, (mb<<20+perUser-1)/perUser)
	return g
}

func (g genSpec) entries() int { return g.users * g.fields * g.periods * g.weeks }

func genUserID(u int) string  { return fmt.Sprintf("%024x", 0x5f3a0000+u*7919) }
func genCRMID(u int) string   { return fmt.Sprintf("005Hs%013d", u) }
func genFieldID(f int) string { return "field_" + strconv.Itoa(f) }
func genFieldName(f int) string {
	return [...]string{"Commit", "Best Case", "Pipeline", "Closed Won", "Most Likely", "Upside"}[f%6] + map[bool]string{true: "", false: " " + strconv.Itoa(f)}[f < 6]
}
func genPeriodID(p int) string { return fmt.Sprintf("%d_Q%d", 2025+p/4, p%4+1) }

// genWeekStart is the first day of week w of period p.
func genWeekStart(p, w int) time.Time {
	q := time.Date(2025+p/4, time.Month(1+3*(p%4)), 1, 0, 0, 0, 0, time.UTC)
	return q.AddDate(0, 0, 7*w)
}

// genValues returns deterministic values for one entry: cents of forecast,
// quota, adjustment, crm total, crm closed; isUpdated; and which of them are
// null.
type genValues struct {
	cents     [6]int64
	null      [6]bool
	updated   bool
	updatedOn int64
}

func genEntryValues(u, f, p, w int) genValues {
	h := uint64(u*1_000_003+f*10_007+p*101+w) * 0x9E3779B97F4A7C15
	h ^= h >> 29
	var v genValues
	for i := range v.cents {
		h = h*6364136223846793005 + 1442695040888963407
		v.cents[i] = int64(h>>40) % 500_000_000 // up to $5M
		if i == idxAdjustment {
			v.cents[i] -= 250_000_000 // adjustments go both ways
		}
	}
	v.null[idxForecast] = h%11 == 0
	v.null[idxAdjustment] = h%3 == 0
	v.updated = h%2 == 0
	v.updatedOn = 1_735_689_600_000 + int64(h%(400*86_400_000))
	return v
}

func appendCentsJSON(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	if c%100 != 0 {
		b = append(b, '.')
		if c%100 < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, c%100, 10)
	}
	return b
}

// writeGenJSON writes the document: an unknown key first, then entries,
// then the lookup lists (as Clari does), and reports the byte count.
func writeGenJSON(w io.Writer, g genSpec) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"exportInfo":{"generator":"decode_gen_test","nested":[1,{"a":[true,null,"x\"y"]},[]]},"entries":[`)
	b := make([]byte, 0, 1024)
	n := 0
	for u := 0; u < g.users; u++ {
		for f := 0; f < g.fields; f++ {
			for p := 0; p < g.periods; p++ {
				for wk := 0; wk < g.weeks; wk++ {
					v := genEntryValues(u, f, p, wk)
					b = b[:0]
					if n > 0 {
						b = append(b, ',')
					}
					n++
					b = append(b, `{"userId":"`...)
					b = append(b, genUserID(u)...)
					b = append(b, `","fieldId":"`...)
					b = append(b, genFieldID(f)...)
					b = append(b, `","timePeriodId":"`...)
					b = append(b, genPeriodID(p)...)
					b = append(b, `","timeFrameId":"TF:`...)
					b = genWeekStart(p, wk).AppendFormat(b, "2006-01-02")
					b = append(b, `","forecastValue":`...)
					if v.null[idxForecast] {
						b = append(b, "null"...)
					} else {
						b = appendCentsJSON(b, v.cents[idxForecast])
					}
					b = append(b, `,"quotaValue":`...)
					b = appendCentsJSON(b, v.cents[idxQuota])
					b = append(b, `,"isUpdated":`...)
					b = strconv.AppendBool(b, v.updated)
					b = append(b, `,"adjustmentValue":`...)
					if v.null[idxAdjustment] {
						b = append(b, "null"...)
					} else {
						b = appendCentsJSON(b, v.cents[idxAdjustment])
					}
					b = append(b, `,"crmClosedValue":`...)
					b = appendCentsJSON(b, v.cents[idxCRMClosed])
					b = append(b, `,"updatedBy":"`...)
					b = append(b, genUserID((u+f)%g.users)...)
					b = append(b, `","updatedOn":`...)
					b = strconv.AppendInt(b, v.updatedOn, 10)
					b = append(b, `,"currency":{"code":"USD","symbol":"$","precision":2},"scopeId":"1905::MGR","meta":{"source":"forecast","tags":["weekly",{"k":[1,2.5e3,null,false]}]}}`...)
					if _, err := bw.Write(b); err != nil {
						return err
					}
				}
			}
		}
	}
	bw.WriteString(`],"users":[`)
	for u := 0; u < g.users; u++ {
		if u > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"userId":"%s","name":"User \u00e9 %d","email":"user%d@example.com","crmId":"%s","hierarchyId":"%d::MGR","hierarchyName":"Team \"%d\"","roles":[]}`,
			genUserID(u), u, u, genCRMID(u), 1900+u%7, u%7)
	}
	bw.WriteString(`],"fields":[`)
	for f := 0; f < g.fields; f++ {
		if f > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"fieldId":"%s","fieldName":"%s","fieldType":"currency"}`, genFieldID(f), genFieldName(f))
	}
	bw.WriteString(`],"timePeriods":[`)
	for p := 0; p < g.periods; p++ {
		if p > 0 {
			bw.WriteByte(',')
		}
		start := genWeekStart(p, 0)
		fmt.Fprintf(bw, `{"timePeriodId":"%s","type":"quarter","label":"Q%d %d","year":%d,"startDate":"%s","endDate":"%s"}`,
			genPeriodID(p), p%4+1, 2025+p/4, 2025+p/4, start.Format("2006-01-02"), start.AddDate(0, 3, -1).Format("2006-01-02"))
	}
	bw.WriteString(`],"timeFrames":[`)
	for p := 0; p < g.periods; p++ {
		for wk := 0; wk < g.weeks; wk++ {
			if p+wk > 0 {
				bw.WriteByte(',')
			}
			s := genWeekStart(p, wk)
			fmt.Fprintf(bw, `{"timeFrameId":"TF:%s","startDate":"%s","endDate":"%s"}`, s.Format("2006-01-02"), s.Format("2006-01-02"), s.AddDate(0, 0, 6).Format("2006-01-02"))
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// writeGenCSV writes the same entries as the CSV export would: one row per
// user × field × week × data type, for the data types the JSON carries.
func writeGenCSV(w io.Writer, g genSpec) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("User,Email,CRM User ID,Role,Parent Role,Timeframe,Field,Week,Start Day,End Day,Data Type,Data Value\n")
	b := make([]byte, 0, 256)
	for u := 0; u < g.users; u++ {
		for f := 0; f < g.fields; f++ {
			for p := 0; p < g.periods; p++ {
				for wk := 0; wk < g.weeks; wk++ {
					v := genEntryValues(u, f, p, wk)
					start := genWeekStart(p, wk)
					for _, dt := range []struct {
						name string
						idx  int
					}{{"Forecast Value", idxForecast}, {"Quota Value", idxQuota}, {"Forecast Updated", idxForecastUpdated}, {"Adjustment", idxAdjustment}, {"CRM Closed", idxCRMClosed}} {
						b = b[:0]
						// The documented shape: Timeframe is the month label of
						// the week's start and the fiscal year, Week a 0-based
						// index.
						b = fmt.Appendf(b, "\"User %d, Jr.\",user%d@example.com,%s,Manager,VP Sales,%s FY %d,%s,%d,%s,%s,%s,",
							u, u, genCRMID(u), start.Month(), start.Year(), genFieldName(f), wk,
							start.Format("01/02/2006"), start.AddDate(0, 0, 6).Format("01/02/2006"), dt.name)
						switch {
						case dt.idx == idxForecastUpdated:
							if v.updated {
								b = append(b, "Yes"...)
							} else {
								b = append(b, "No"...)
							}
						case !v.null[dt.idx]:
							b = append(b, '"')
							b = appendMoneyCSV(b, v.cents[dt.idx])
							b = append(b, '"')
						}
						b = append(b, '\n')
						if _, err := bw.Write(b); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return bw.Flush()
}

// appendMoneyCSV formats cents like Clari's CSV: -$1,234.50.
func appendMoneyCSV(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = append(b, '$')
	s := strconv.FormatInt(c/100, 10)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return fmt.Appendf(b, ".%02d", c%100)
}
