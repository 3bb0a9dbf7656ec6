package clarisim

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/clari-exporter/clari_exporter/clari"
)

// CSVHeader is the header row of a CSV result, in Clari's column order.
var CSVHeader = []string{"User", "Email", "CRM User ID", "Role", "Parent Role", "Timeframe", "Field", "Week", "Start Day", "End Day", "Data Type", "Data Value"}

// CSVDataTypeNames maps typesToExport values to the CSV "Data Type" column.
var CSVDataTypeNames = map[string]string{
	clari.DataForecast:        "Forecast",
	clari.DataQuota:           "Quota",
	clari.DataForecastUpdated: "Forecast Updated",
	clari.DataAdjustment:      "Adjustment",
	clari.DataCRMTotal:        "CRM Total",
	clari.DataCRMClosed:       "CRM Closed",
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
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	sym := currencySymbol(d.currency)
	period := d.quarter.ID()
	row := make([]string, len(CSVHeader))
	var buf []byte
	cachedUser := -1
	var u userInfo
	err := d.generate(func(e *genEntry) error {
		if e.stale {
			return nil // CSV carries no updatedOn, so no duplicates either
		}
		if e.user != cachedUser {
			u, cachedUser = makeUser(e.user), e.user
		}
		row[0], row[1], row[2], row[3], row[4] = u.name, u.email, u.crmID, u.role, u.parentRole
		row[5] = period
		row[6] = FieldName(e.field)
		row[7] = "Week " + strconv.Itoa(e.week.N)
		row[8] = e.week.Start.Format("01/02/2006")
		row[9] = e.week.End.Format("01/02/2006")
		for t := 0; t < numTypes; t++ {
			if !d.types[t] {
				continue
			}
			row[10] = CSVDataTypeNames[clari.AllDataTypes[t]]
			switch {
			case !e.has[t]:
				row[11] = ""
			case t == tForecastUpdated:
				row[11] = "No"
				if e.value[t] == 1 {
					row[11] = "Yes"
				}
			default:
				buf = AppendMoney(buf[:0], sym, e.value[t])
				row[11] = string(buf)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// AppendMoney formats cents the way Clari's CSV does: "$3,000,190.00",
// negative "-$1,234.50". sym is the currency symbol ("$", "€", or "CHF ").
func AppendMoney(b []byte, sym string, cents int64) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = append(b, sym...)
	whole := strconv.FormatInt(cents/100, 10)
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, whole[i])
	}
	r := cents % 100
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}
