package warehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/config"
)

// rawDocument is one Clari export document (JSON) as a pipeline lands it
// whole: the entries of a February tenant, with the lookup lists empty
// because the checks read only the entries.
func rawDocument(entries ...string) string {
	return fmt.Sprintf(`{"entries":[%s],"users":[],"fields":[],"timePeriods":[],"timeFrames":[]}`, strings.Join(entries, ","))
}

// rawEntry is one entry; values holds its value keys as raw JSON members.
func rawEntry(user, period, values string) string {
	return fmt.Sprintf(`{"userId":%q,"fieldId":"f","timePeriodId":%q,"timeFrameId":"TF:2027-02-01","updatedOn":5,"currency":{"code":"USD","symbol":"$"},%s}`,
		user, period, values)
}

// rawTableDDL is a raw-grain table as a pipeline would create it: the
// document in the backend's JSON column (jsonb on PostgreSQL, JSON text on
// SQLite).
func rawTableDDL(w *Warehouse) string {
	doc, loaded := "jsonb", "timestamptz"
	if w.r.driver == DriverSQLite {
		doc, loaded = "TEXT", "INTEGER"
	}
	return fmt.Sprintf("CREATE TABLE %s (%s text NOT NULL, %s %s NOT NULL, %s %s NOT NULL)",
		w.r.qtable, w.r.q.forecast, w.r.q.loadedAt, loaded, w.r.q.document, doc)
}

// TestConformanceRawGrain: the checks read a table holding one export
// document per row and count the entries inside, once per value key
// (null included, unknown keys ignored), on every backend that reads raw
// grain (config.RawGrainDrivers: not Redshift).
func TestConformanceRawGrain(t *testing.T) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(b.name, func(t *testing.T) { testRawGrain(t, b) })
	}
}

func testRawGrain(t *testing.T, b backend) {
	{
		ctx := context.Background()
		cfg := b.cfg(t, "clari_raw_exports")
		cfg.Grain = config.GrainRaw
		w := openTest(t, cfg)
		db := b.raw(t, cfg)

		if err := w.ValidateSchema(ctx); err == nil {
			t.Fatal("ValidateSchema passed without the table")
		}
		if _, err := db.ExecContext(ctx, rawTableDDL(w)); err != nil {
			t.Fatal(err)
		}
		first := time.Date(2027, 2, 10, 8, 0, 0, 0, time.UTC) // FY2028 Q1 of a February tenant
		insert := fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (%s, %s, %s)", w.r.qtable, w.r.q.forecast, w.r.q.loadedAt, w.r.q.document,
			w.d.placeholder(1), w.d.placeholder(2), w.d.placeholder(3))
		load := func(forecast string, at time.Time, doc string) {
			t.Helper()
			var v any = at
			if w.r.driver == DriverSQLite {
				v = at.UnixMilli()
			}
			if _, err := db.ExecContext(ctx, insert, forecast, v, doc); err != nil {
				t.Fatal(err)
			}
		}
		// net_arr: three 2028_Q1 entries with forecast and quota (one
		// forecast null) = 6 rows of the row grain; one 2025_Q4 entry, a
		// key the decoder does not know is not a row.
		load("net_arr", first, rawDocument(
			rawEntry("u0", "2028_Q1", `"forecastValue":1,"quotaValue":10`),
			rawEntry("u1", "2028_Q1", `"forecastValue":null,"quotaValue":10`),
			rawEntry("u2", "2028_Q1", `"forecastValue":3,"quotaValue":10,"notAValue":7`),
			rawEntry("u0", "2025_Q4", `"forecastValue":4`),
		))
		// bookings: u0's isUpdated twice in one document (a duplicate key).
		load("bookings", first.Add(time.Hour), rawDocument(
			rawEntry("u0", "2028_Q1", `"isUpdated":true`),
			rawEntry("u1", "2028_Q1", `"isUpdated":false`),
			rawEntry("u0", "2028_Q1", `"isUpdated":true`),
		))
		// An empty export is still a load.
		newest := first.Add(2 * time.Hour)
		load("pipeline", newest, rawDocument())

		if err := w.Connect(ctx); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		t.Run("counts", func(t *testing.T) {
			got, err := w.Reconcile(ctx, []Expected{{"net_arr", "2028_Q1", 6}, {"net_arr", "2025_Q4", 1}, {"bookings", "2028_Q1", 2}, {"pipeline", "2028_Q1", 0}})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []int{6, 1, 3, 0} {
				if got[i].Actual != want {
					t.Errorf("%s %s: %d entries, want %d", got[i].Forecast, got[i].Period, got[i].Actual, want)
				}
			}
		})
		t.Run("duplicate_keys", func(t *testing.T) {
			keys, surplus, err := w.DuplicateKeys(ctx)
			if err != nil || keys != 1 || surplus != 1 {
				t.Errorf("DuplicateKeys = %d keys, %d surplus, %v; want 1, 1", keys, surplus, err)
			}
		})
		t.Run("distinct_periods", func(t *testing.T) {
			old, err := w.PeriodsBeyondRetention(ctx, "2028_Q1", 8)
			if err != nil || !slices.Equal(old, []string{"2025_Q4"}) {
				t.Errorf("PeriodsBeyondRetention = %v, %v; want [2025_Q4]", old, err)
			}
			would, deleted, err := w.EnforceRetention(ctx, "2028_Q1", 8, false)
			if err != nil || would != 1 || deleted != 0 {
				t.Errorf("EnforceRetention dry run = %d, %d, %v; want 1 entry, none deleted", would, deleted, err)
			}
		})
		t.Run("freshness", func(t *testing.T) {
			last, err := w.LastLoad(ctx)
			if err != nil || !last.Equal(newest) {
				t.Errorf("LastLoad = %v, %v; want %v", last, err, newest)
			}
		})
		t.Run("schema_names_the_document_key", func(t *testing.T) {
			c := cfg
			c.Columns.Document = "payload"
			err := openTest(t, c).ValidateSchema(ctx)
			var se *SchemaError
			if !errors.As(err, &se) || se.ConfigKey != "warehouse.columns.document" {
				t.Errorf("ValidateSchema = %v; want a SchemaError naming warehouse.columns.document", err)
			}
		})
	}
}
