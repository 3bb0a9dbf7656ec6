package alerts

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

func decodePrometheusRule(data []byte) (*monitoringv1.PrometheusRule, error) {
	var pr monitoringv1.PrometheusRule
	if err := sigsyaml.UnmarshalStrict(data, &pr); err != nil {
		return nil, err
	}
	return &pr, nil
}

// TestPrometheusRuleHoldsTheGeneratedRules decodes the committed
// PrometheusRule strictly with prometheus-operator's types and checks it
// holds exactly the generated rules, group by group.
func TestPrometheusRuleHoldsTheGeneratedRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", PrometheusRulePath))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := decodePrometheusRule(data)
	if err != nil {
		t.Fatalf("%s does not decode strictly as a PrometheusRule: %v", PrometheusRulePath, err)
	}
	if pr.APIVersion != monitoringv1.SchemeGroupVersion.String() || pr.Kind != monitoringv1.PrometheusRuleKind || pr.Name == "" {
		t.Errorf("apiVersion %q, kind %q, name %q; want %s, %s and a name", pr.APIVersion, pr.Kind, pr.Name, monitoringv1.SchemeGroupVersion, monitoringv1.PrometheusRuleKind)
	}
	rf := generated(t, DefaultConfig())
	var got RuleFile
	for _, g := range pr.Spec.Groups {
		out := RuleGroup{Name: g.Name}
		if g.Interval != nil {
			out.Interval = string(*g.Interval)
		}
		for _, r := range g.Rules {
			e := Rule{Alert: r.Alert, Record: r.Record, Expr: r.Expr.String(), Labels: r.Labels, Annotations: r.Annotations}
			if r.For != nil {
				e.For = string(*r.For)
			}
			if r.KeepFiringFor != nil {
				t.Errorf("%s%s: keep_firing_for, which the generated rule has not", r.Alert, r.Record)
			}
			out.Rules = append(out.Rules, e)
		}
		got.Groups = append(got.Groups, out)
	}
	if !reflect.DeepEqual(&got, rf) {
		t.Errorf("the PrometheusRule's groups differ from the generated rules (run go generate ./alerts)\ngot  %+v\nwant %+v", got, *rf)
	}

	// The decoding is strict: a misspelt field is an error, not a dropped rule.
	bad := bytes.Replace(data, []byte("annotations:"), []byte("annotation:"), 1)
	if _, err := decodePrometheusRule(bad); err == nil {
		t.Error("a PrometheusRule with a misspelt field decoded without error")
	}
}
