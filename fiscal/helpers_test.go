package fiscal_test

import "time"

// t0 is 2026-12-08, the day the wrong quarters were exported.
func t0() time.Time { return time.Date(2026, time.December, 8, 12, 0, 0, 0, time.UTC) }
