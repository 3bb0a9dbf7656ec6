package checklist

import (
	"testing"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

func TestPipelineWatchReported(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL, "watch:\n  enabled: true", "watch:\n  enabled: false")})
	r := expect(t, rep, CheckPipelineWatch, Warn, "watch.enabled is false", "the only source")
	if r.Priority != P3 {
		t.Errorf("priority %s, want P3", r.Priority)
	}
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "watch:\n  enabled: true", "watch:\n  enabled: true\n  forecasts: [net_arr]")})
	expect(t, rep, CheckPipelineWatch, Pass, "watch on, beside the schedule", "forecast net_arr", "every 5m")
	rep = audit(t, Options{ConfigFile: writeConfig(t, s.URL, "monthly_budget: 200", "monthly_budget: 200\n  enabled: false")})
	expect(t, rep, CheckPipelineWatch, Pass, "zero-quota mode", "every forecast seen")
}
