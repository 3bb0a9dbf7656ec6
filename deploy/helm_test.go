package deploy

import (
	"bytes"
	"errors"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/clari-exporter/clari_exporter/config"
	"github.com/clari-exporter/clari_exporter/internal/testtier"
)

const chartDir = "../charts/clari-exporter"

// helmBinary finds helm on PATH or where `go install` put it (.ci/run
// installs the pinned version into $(go env GOPATH)/bin). Outside CI a
// missing helm skips the test; under CI=true it fails.
func helmBinary(t *testing.T) string {
	t.Helper()
	testtier.Outside(t, "runs helm lint and helm template")
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	p := filepath.Join(gopath, "bin", "helm")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	const install = "go install helm.sh/helm/v3/cmd/helm@" + "v3.22.1 (as .ci/run does)"
	if testtier.InCI() {
		t.Fatalf("helm not found on PATH or in %s; CI must install it: %s", filepath.Dir(p), install)
	}
	t.Skipf("helm not found on PATH or in %s; install it to run this test: %s", filepath.Dir(p), install)
	return ""
}

// kubeVersion is the cluster version helm renders for: a helm built with
// `go install` has no stamped default (it assumes v1.20, below the chart's
// kubeVersion).
const kubeVersion = "1.33.0"

func runHelm(t *testing.T, helm string, args ...string) ([]byte, error) {
	t.Helper()
	if args[0] == "template" || args[0] == "lint" {
		args = append(args, "--kube-version", kubeVersion)
	}
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// chartValues are the values a CI file sets that the test needs to know.
type chartValues struct {
	Mode     string `yaml:"mode"`
	Replicas int    `yaml:"replicas"`
	Clari    struct {
		APIKeySecret secretRef `yaml:"apiKeySecret"`
	} `yaml:"clari"`
	Postgres struct {
		DSNSecret secretRef `yaml:"dsnSecret"`
	} `yaml:"postgres"`
	Warehouse struct {
		DSNSecret secretRef `yaml:"dsnSecret"`
	} `yaml:"warehouse"`
	Web struct {
		ConfigSecret secretRef `yaml:"configSecret"`
	} `yaml:"web"`
}

type secretRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

// existingSecrets are the Secrets the values name, as the user would have
// created them before installing (the chart never creates a Secret).
func existingSecrets(v chartValues) []*corev1.Secret {
	mk := func(ref secretRef, defKey, value string) *corev1.Secret {
		if ref.Name == "" {
			return nil
		}
		if ref.Key == "" {
			ref.Key = defKey
		}
		s := &corev1.Secret{StringData: map[string]string{ref.Key: value}}
		s.Name = ref.Name
		return s
	}
	var out []*corev1.Secret
	for _, s := range []*corev1.Secret{
		mk(v.Clari.APIKeySecret, "api-key", "sk-helm-test-0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
		mk(v.Postgres.DSNSecret, "dsn", "postgres://clari:pw@postgres:5432/clari?sslmode=disable"),
		mk(v.Warehouse.DSNSecret, "dsn", "postgres://clari:pw@warehouse:5432/analytics?sslmode=disable"),
		mk(v.Web.ConfigSecret, "web-config.yml", "basic_auth_users:\n  prometheus: $2y$10$abcdefghijklmnopqrstuv\n"),
	} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// TestHelmChart: for every ci/*-values.yaml, `helm lint --strict` passes
// and `helm template` renders objects that decode strictly into their
// Kubernetes and prometheus-operator types, and that keep the promises of
// deploy/kubernetes (probes, GOMEMLIMIT from the memory limit, non-root,
// read-only root filesystem, a Service and ServiceMonitor that reach the
// pods); the rendered config loads with the exporter's loader given the
// existing Secrets; single mode is one replica on SQLite on the claim, ha
// mode PostgreSQL with the DSN from its Secret; the PrometheusRule holds
// exactly the groups of alerts/clari.rules.yml.
func TestHelmChart(t *testing.T) {
	helm := helmBinary(t)
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("want a ci/*-values.yaml per variant in %s, got %v (%v)", chartDir, files, err)
	}
	var wantRules monitoringv1.PrometheusRuleSpec
	rulesYAML, err := os.ReadFile("../alerts/clari.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.UnmarshalStrict(rulesYAML, &wantRules); err != nil || len(wantRules.Groups) == 0 {
		t.Fatalf("alerts/clari.rules.yml: %v (%d groups)", err, len(wantRules.Groups))
	}
	dec := strictSerializer(t)
	modes := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var vals chartValues
			readYAML(t, file, &vals)
			modes[vals.Mode] = true
			if out, err := runHelm(t, helm, "lint", "--strict", chartDir, "-f", file); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
			out, err := runHelm(t, helm, "template", "clari-exporter", chartDir, "-f", file, "--namespace", "monitoring")
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			v := newVariant(filepath.Base(file))
			for _, doc := range splitYAML(t, out) {
				obj, _, err := dec.Decode(doc, nil, nil)
				if err != nil {
					t.Fatalf("rendered object does not decode strictly: %v\n%s", err, doc)
				}
				v.add(t, obj, "helm template")
			}
			for _, s := range existingSecrets(vals) {
				v.secrets[s.Name] = s
			}
			v.requireOneEach(t)
			checkPod(t, v)
			checkReach(t, v)
			if sm := v.serviceMonitor[0]; sm.Spec.JobLabel != "app.kubernetes.io/name" || !regexp.MustCompile(`^clari.*$`).MatchString(v.services[0].Labels[sm.Spec.JobLabel]) {
				t.Errorf("ServiceMonitor jobLabel %q (value %q) does not give a job the alerts' job=~\"clari.*\" selects", sm.Spec.JobLabel, v.services[0].Labels[sm.Spec.JobLabel])
			}
			if len(v.serviceAccounts) != 1 || v.deployment.Spec.Template.Spec.ServiceAccountName != v.serviceAccounts[0].Name {
				t.Error("the pods do not run as the chart's ServiceAccount")
			}
			cfg := loadPodConfig(t, v)
			d := v.deployment
			switch vals.Mode {
			case "single":
				if r := d.Spec.Replicas; r == nil || *r != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
					t.Errorf("single: replicas %v strategy %q, want 1 and Recreate", r, d.Spec.Strategy.Type)
				}
				if cfg.Storage.Driver != config.StorageSQLite || !onVolume(v, cfg.Storage.Path, func(vol corev1.Volume) bool {
					return vol.PersistentVolumeClaim != nil && v.pvcs[vol.PersistentVolumeClaim.ClaimName] != nil
				}) {
					t.Errorf("single: storage %s %s is not SQLite on the chart's PersistentVolumeClaim", cfg.Storage.Driver, cfg.Storage.Path)
				}
			case "ha":
				if r := d.Spec.Replicas; r == nil || int(*r) != vals.Replicas || *r < 2 {
					t.Errorf("ha: replicas %v, want %d", r, vals.Replicas)
				}
				if cfg.Storage.Driver != config.StoragePostgres || !strings.HasPrefix(string(cfg.Secrets.StorageDSN), "postgres://") {
					t.Errorf("ha: storage.driver %q, DSN from the Secret reached the config: %v", cfg.Storage.Driver, cfg.Secrets.StorageDSN != "")
				}
				if len(v.pdbs) != 1 || !selects(t, v.pdbs[0].Spec.Selector, d) {
					t.Error("ha: want one PodDisruptionBudget selecting the pods")
				}
				if len(v.pvcs) != 0 {
					t.Error("ha: a PersistentVolumeClaim is rendered; the state is in PostgreSQL")
				}
			default:
				t.Fatalf("%s: mode %q", file, vals.Mode)
			}
			if cfg.Warehouse != nil && cfg.Secrets.WarehouseDSN == "" {
				t.Error("the warehouse DSN from its Secret did not reach the config")
			}
			for _, r := range v.rules {
				if !reflect.DeepEqual(r.Spec, wantRules) {
					t.Errorf("PrometheusRule %s does not hold the groups of alerts/clari.rules.yml", r.Name)
				}
			}
			if len(v.rules) != 1 {
				t.Errorf("%d PrometheusRules rendered, want 1 (prometheusRule.enabled in the CI values)", len(v.rules))
			}
		})
	}
	if !modes["single"] || !modes["ha"] {
		t.Errorf("the CI values cover modes %v; want single and ha", modes)
	}

	// Mistakes in values are refused with the value to fix.
	for _, tc := range []struct{ args []string }{
		{[]string{"--set", "mode=single"}},
		{[]string{"--set", "clari.apiKeySecret.name=k", "--set", "mode=cluster"}},
		{[]string{"--set", "clari.apiKeySecret.name=k", "--set", "mode=ha"}},
	} {
		args := append([]string{"template", "clari-exporter", chartDir}, tc.args...)
		_, err := runHelm(t, helm, args...)
		want := map[string]string{"mode=single": "clari.apiKeySecret.name", "mode=cluster": "mode must be single or ha", "mode=ha": "postgres.dsnSecret.name"}[tc.args[len(tc.args)-1]]
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("helm template %v: %v, want an error naming %q", tc.args, err, want)
		}
	}
}
