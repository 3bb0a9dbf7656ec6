package clarisim

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// CSVHeader is the header row of a CSV result, in Clari's column order.
var CSVHeader = []string{"User", "Email", "CRM User ID", "Role", "Parent Role", "Timeframe", "Field", "Week", "Start Day", "End Day", "Data Type", "Data Value"}

// CSVDataTypeNames maps typesToExport values to the CSV "Data Type" column.
// Clari documents "Forecast Value" and "Forecast Updated"; the labels of the
// other types are undocumented, and the simulator uses the "X Value" form
// for the money types and the bare form for the CRM ones, so a client must
// accept both shapes.
var CSVDataTypeNames = map[string]string{
	clari.DataForecast:        "Forecast Value",
	clari.DataQuota:           "Quota Value",
	clari.DataForecastUpdated: "Forecast Updated",
	clari.DataAdjustment:      "Adjustment Value",
	clari.DataCRMTotal:        "CRM Total",
	clari.DataCRMClosed:       "CRM Closed",
}

// CSVTimeframe is the documented Timeframe cell of a week: the month of the
// week's start and the fiscal year, "July FY 2023". It is a label, not a
// period id.
func CSVTimeframe(weekStart time.Time, fiscalYear int) string {
	return weekStart.Month().String() + " FY " + strconv.Itoa(fiscalYear)
}

// WriteResultCSV streams the CSV result document for params to w. Columns:
// see CSVHeader and doc.go. One row per user × field × week × data type,
// data types in clari.AllDataTypes order.
func WriteResultCSV(w io.Writer, spec TenantSpec, params ExportParams, seed int64) error {
	d, err := planDocument(spec, params, seed)
	if err != nil {
		return err
	}
	return d.writeCSV(w)
}

func (d *docPlan) writeCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	eol := "\n"
	if d.params.CSVCRLF {
		eol = "\r\n"
	}
	if d.params.CSVBOM {
		bw.WriteString("\uFEFF")
	}
	var b []byte
	for i, h := range CSVHeader {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, h)
	}
	b = append(b, eol...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	sym := currencySymbol(d.currency)
	// Everything up to the Timeframe column is fixed per user; Timeframe
	// depends on the week and comes before Field, so the row is user,
	// timeframe(week), field, week columns.
	cachedUser := -1
	var userCols []byte
	fieldCols := make([][]byte, d.spec.Fields)
	for f := range fieldCols {
		fieldCols[f] = append(appendCSVField(nil, FieldName(f)), ',')
	}
	timeframeCols := make([][]byte, d.weeks+1)
	weekCols := make([][]byte, d.weeks+1)
	for n := 1; n <= d.weeks; n++ {
		w := d.allWeeks[n-1]
		timeframeCols[n] = append(appendCSVField(nil, CSVTimeframe(w.Start, d.quarter.FiscalYear)), ',')
		c := strconv.AppendInt(nil, int64(n-1), 10) // Week is a 0-based index
		c = w.Start.AppendFormat(append(c, ','), "01/02/2006")
		c = w.End.AppendFormat(append(c, ','), "01/02/2006")
		weekCols[n] = append(c, ',')
	}
	var scratch []byte
	var typeCols [numTypes][]byte
	for t := range typeCols {
		typeCols[t] = append(appendCSVField(nil, CSVDataTypeNames[clari.AllDataTypes[t]]), ',')
	}
	err := d.generate(func(e *genEntry) error {
		if e.stale {
			return nil // CSV carries no updatedOn, so no duplicates either
		}
		if e.user != cachedUser {
			u := d.spec.makeUser(e.user)
			userCols = userCols[:0]
			// Role and Parent Role are the JSON hierarchyName and
			// parentHierarchyName.
			for _, c := range []string{u.name, u.email, u.crmID, u.hierarchyName, u.parentName} {
				userCols = append(appendCSVField(userCols, c), ',')
			}
			cachedUser = e.user
		}
		b = b[:0]
		for t := 0; t < numTypes; t++ {
			if !d.types[t] {
				continue
			}
			b = append(b, userCols...)
			b = append(b, timeframeCols[e.week.N]...)
			b = append(b, fieldCols[e.field]...)
			b = append(b, weekCols[e.week.N]...)
			b = append(b, typeCols[t]...)
			switch {
			case !e.has[t]:
			case t == tForecastUpdated:
				if e.value[t] == 1 {
					b = append(b, "Yes"...)
				} else {
					b = append(b, "No"...)
				}
			default:
				// Money always contains a comma or not; quote when needed.
				start := len(b)
				b = AppendMoney(b, sym, e.value[t])
				if bytesNeedQuotes(b[start:]) {
					// Money never contains a quote: wrapping it is enough.
					scratch = append(scratch[:0], b[start:]...)
					b = append(append(append(b[:start], '"'), scratch...), '"')
				}
			}
			b = append(b, eol...)
		}
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendCSVField appends s, quoted per RFC 4180 when it needs to be.
func appendCSVField(b []byte, s string) []byte {
	if !stringNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func stringNeedsQuotes(s string) bool {
	if s != "" && (s[0] == ' ' || s[0] == '\t') {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

func bytesNeedQuotes(b []byte) bool {
	for _, c := range b {
		if c == ',' || c == '"' {
			return true
		}
	}
	return false
}

// AppendMoney formats cents the way Clari's CSV does: "$3,000,190.00",
// negative "-$1,234.50". sym is the currency symbol ("$", "€", or "CHF ").
func AppendMoney(b []byte, sym string, cents int64) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = append(b, sym...)
	var digits [20]byte
	whole := strconv.AppendInt(digits[:0], cents/100, 10)
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, whole[i])
	}
	r := cents % 100
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}
