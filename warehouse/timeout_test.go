package warehouse

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// slowViews are views with the configured columns whose every scan takes
// seconds, to show the statement timeout stops the checks.
var slowViews = map[string]string{
	DriverPostgres: `CREATE VIEW %s AS SELECT 'f'::text AS forecast_id, '2026_Q4'::text AS time_period_id,
		'TF'::text AS time_frame_id, 'u'::text AS user_id, 'x'::text AS field_id, 'forecast'::text AS data_type,
		1.0::float8 AS value, 0::bigint AS updated_on, now() AS loaded_at FROM (SELECT pg_sleep(60)) s`,
	DriverSQLite: `CREATE VIEW %s AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 1000000000)
		SELECT 'f' AS forecast_id, '2026_Q4' AS time_period_id, 'TF' AS time_frame_id, 'u' AS user_id,
		'x' AS field_id, 'forecast' AS data_type, 1.0 AS value, 0 AS updated_on, x AS loaded_at FROM c`,
}

func TestStatementTimeoutStopsSlowChecks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		cfg := b.cfg(t, "slow")
		cfg.StatementTimeout = model.Duration(300 * time.Millisecond)
		db := b.raw(t, cfg)
		w := openTest(t, cfg)
		view := slowViews[b.name]
		if b.name == DriverRedshift {
			view = slowViews[DriverPostgres] // the engine under the Redshift dialect
		}
		if _, err := db.Exec(fmt.Sprintf(view, w.r.qtable)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res := w.RunChecks(context.Background(), CheckInput{CurrentPeriod: "2026_Q4", Expected: []Expected{{"f", "2026_Q4", 1}}})
		// Four checks of at most 300 ms each; 10x that leaves a busy CI
		// machine room and is still far below the minute a slow view
		// takes without the timeout.
		if d, limit := time.Since(start), 10*4*time.Duration(cfg.StatementTimeout); d > limit {
			t.Errorf("four checks with a 300ms timeout took %v, want under %v", d, limit)
		}
		for _, c := range []string{CheckReconciliation, CheckDuplicates, CheckRetention, CheckFreshness} {
			if err := res.Errors[c]; err == nil || !strings.Contains(err.Error(), "took longer than warehouse.statement_timeout (300ms)") {
				t.Errorf("check %s on a slow table: error %v, want one naming the statement timeout", c, err)
			} else {
				t.Logf("%s: %v", c, res.Errors[c])
			}
		}
		if res.Errors[CheckConnect] != nil {
			t.Errorf("connect failed: %v", res.Errors[CheckConnect])
		}
	})
}
