package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/clari-exporter/clari_exporter/config"
)

const k8sDir = "kubernetes"

// strictSerializer decodes YAML into the registered Kubernetes and
// prometheus-operator types, refusing unknown and duplicate fields and
// kinds the scheme does not know.
func strictSerializer(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, monitoringv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
}

// decodeAll decodes every YAML document of a file strictly.
func decodeAll(t *testing.T, dec runtime.Decoder, file string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []runtime.Object
	for _, doc := range splitYAML(t, data) {
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, obj)
	}
	return out
}

// splitYAML returns the non-empty documents of a multi-document stream.
func splitYAML(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			out = append(out, doc)
		}
	}
}

var commentLine = regexp.MustCompile(`(?m)^\s*#.*$`)

func stripComments(b []byte) []byte { return commentLine.ReplaceAll(b, nil) }

// variant is one deployable directory: its objects by kind.
type variant struct {
	dir            string
	deployment     *appsv1.Deployment
	services       []*corev1.Service
	serviceMonitor []*monitoringv1.ServiceMonitor
	configMaps     map[string]*corev1.ConfigMap
	secrets        map[string]*corev1.Secret
	pvcs           map[string]*corev1.PersistentVolumeClaim
	pdbs           []*policyv1.PodDisruptionBudget
	// Only the Helm chart renders these.
	rules           []*monitoringv1.PrometheusRule
	serviceAccounts []*corev1.ServiceAccount
}

// loadVariant reads a directory's kustomization.yaml, checks it lists
// exactly the directory's manifests, and decodes each one strictly.
func loadVariant(t *testing.T, dec runtime.Decoder, dir string) variant {
	t.Helper()
	var k struct {
		APIVersion string   `yaml:"apiVersion"`
		Kind       string   `yaml:"kind"`
		Resources  []string `yaml:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yd := yaml.NewDecoder(bytes.NewReader(data))
	yd.KnownFields(true)
	if err := yd.Decode(&k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("%s/kustomization.yaml: %s %s is not a Kustomization", dir, k.APIVersion, k.Kind)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var manifests []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			manifests = append(manifests, filepath.Base(f))
		}
	}
	if got := slices.Sorted(slices.Values(k.Resources)); !slices.Equal(got, manifests) {
		t.Errorf("%s/kustomization.yaml lists %v, the directory holds %v", dir, got, manifests)
	}

	v := newVariant(dir)
	for _, f := range manifests {
		for _, obj := range decodeAll(t, dec, filepath.Join(dir, f)) {
			v.add(t, obj, f)
		}
	}
	v.requireOneEach(t)
	return v
}

func newVariant(dir string) variant {
	return variant{dir: dir, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}}
}

// add files a decoded object under its kind; from names where it came from.
func (v *variant) add(t *testing.T, obj runtime.Object, from string) {
	t.Helper()
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if v.deployment != nil {
			t.Fatalf("%s: two Deployments", v.dir)
		}
		v.deployment = o
	case *corev1.Service:
		v.services = append(v.services, o)
	case *monitoringv1.ServiceMonitor:
		v.serviceMonitor = append(v.serviceMonitor, o)
	case *monitoringv1.PrometheusRule:
		v.rules = append(v.rules, o)
	case *corev1.ConfigMap:
		v.configMaps[o.Name] = o
	case *corev1.Secret:
		v.secrets[o.Name] = o
	case *corev1.PersistentVolumeClaim:
		v.pvcs[o.Name] = o
	case *policyv1.PodDisruptionBudget:
		v.pdbs = append(v.pdbs, o)
	case *corev1.ServiceAccount:
		v.serviceAccounts = append(v.serviceAccounts, o)
	default:
		t.Errorf("%s/%s: unexpected %T", v.dir, from, obj)
	}
}

// requireOneEach stops the test unless the variant has one Deployment,
// Service and ServiceMonitor.
func (v *variant) requireOneEach(t *testing.T) {
	t.Helper()
	if v.deployment == nil || len(v.services) != 1 || len(v.serviceMonitor) != 1 {
		t.Fatalf("%s: want one Deployment, Service and ServiceMonitor, got %v, %d, %d", v.dir, v.deployment != nil, len(v.services), len(v.serviceMonitor))
	}
}

// TestKubernetesObjectsDecodeStrictly: every YAML file under
// deploy/kubernetes (including the PrometheusRule the mixin generates)
// decodes into the Kubernetes or prometheus-operator type of its kind.
func TestKubernetesObjectsDecodeStrictly(t *testing.T) {
	dec := strictSerializer(t)
	n := 0
	err := filepath.WalkDir(k8sDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || d.Name() == "kustomization.yaml" {
			return err
		}
		n += len(decodeAll(t, dec, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 12 {
		t.Fatalf("decoded only %d objects under %s", n, k8sDir)
	}
	// The decoding must be able to fail: an unknown field and an unknown
	// kind are refused.
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selectr: {a: b}}\n",
		"unknown kind":  "apiVersion: v1\nkind: Servise\nmetadata: {name: x}\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
		"monitoring":    "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec: {endpoints: [{prot: http}]}\n",
	} {
		if _, _, err := dec.Decode([]byte(doc), nil, nil); err == nil {
			t.Errorf("%s: strict decoding accepted\n%s", name, doc)
		}
	}
}

// TestKubernetesVariants checks what each variant promises: replicas and
// strategy, the storage driver, probes, GOMEMLIMIT, the security context,
// Secrets and ConfigMaps that exist, and a Service and ServiceMonitor that
// reach the pods. The exporter's config (from the ConfigMap, with the
// Secrets as the pod would see them) must load with config.Parse.
func TestKubernetesVariants(t *testing.T) {
	dec := strictSerializer(t)
	single := loadVariant(t, dec, filepath.Join(k8sDir, "single"))
	ha := loadVariant(t, dec, filepath.Join(k8sDir, "ha"))

	if r := single.deployment.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("single: replicas %v, want 1", r)
	}
	if s := single.deployment.Spec.Strategy.Type; s != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("single: strategy %q, want Recreate (never two schedulers on one SQLite file)", s)
	}
	if r := ha.deployment.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("ha: replicas %v, want 2", r)
	}
	if len(ha.pdbs) != 1 || !selects(t, ha.pdbs[0].Spec.Selector, ha.deployment) {
		t.Errorf("ha: want one PodDisruptionBudget selecting the pods")
	}

	for _, v := range []variant{single, ha} {
		checkPod(t, v)
		checkReach(t, v)
	}
	// Neither variant's Service selects the other's pods.
	if labels.SelectorFromSet(single.services[0].Spec.Selector).Matches(labels.Set(ha.deployment.Spec.Template.Labels)) ||
		labels.SelectorFromSet(ha.services[0].Spec.Selector).Matches(labels.Set(single.deployment.Spec.Template.Labels)) {
		t.Error("the single and HA Services select each other's pods")
	}

	singleCfg := loadPodConfig(t, single)
	if singleCfg.Storage.Driver != config.StorageSQLite {
		t.Errorf("single: storage.driver %q, want sqlite", singleCfg.Storage.Driver)
	}
	if !onVolume(single, singleCfg.Storage.Path, func(vol corev1.Volume) bool {
		return vol.PersistentVolumeClaim != nil && single.pvcs[vol.PersistentVolumeClaim.ClaimName] != nil
	}) {
		t.Errorf("single: storage.path %s is not on the PersistentVolumeClaim", singleCfg.Storage.Path)
	}
	haCfg := loadPodConfig(t, ha)
	if haCfg.Storage.Driver != config.StoragePostgres || haCfg.Storage.DSNEnv == "" {
		t.Errorf("ha: storage.driver %q dsn_env %q, want postgres with the DSN from the environment", haCfg.Storage.Driver, haCfg.Storage.DSNEnv)
	}
	if haCfg.Secrets.StorageDSN == "" || !strings.HasPrefix(string(haCfg.Secrets.StorageDSN), "postgres://") {
		t.Error("ha: the DSN from the Secret did not reach the config")
	}
}

// releaseVersion is the release in the repository's VERSION file.
func releaseVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// selects reports whether a label selector matches the Deployment's pods.
func selects(t *testing.T, sel *metav1.LabelSelector, d *appsv1.Deployment) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return sel != nil && !s.Empty() && s.Matches(labels.Set(d.Spec.Template.Labels))
}

func exporterContainer(t *testing.T, v variant) corev1.Container {
	t.Helper()
	cs := v.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%s: %d containers, want 1", v.dir, len(cs))
	}
	return cs[0]
}

func checkPod(t *testing.T, v variant) {
	t.Helper()
	pod := v.deployment.Spec.Template.Spec
	c := exporterContainer(t, v)

	var port int32
	for _, p := range c.Ports {
		if p.Name == "http" {
			port = p.ContainerPort
		}
	}
	if port != 9852 {
		t.Errorf("%s: container port http = %d, want 9852 (the exporter's default listen address)", v.dir, port)
	}
	for name, probe := range map[string]*corev1.Probe{"/-/healthy": c.LivenessProbe, "/-/ready": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name || probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s: want an HTTP probe on %s, port http; got %+v", v.dir, name, probe)
		}
	}

	var gomemlimit *corev1.EnvVar
	for i, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			gomemlimit = &c.Env[i]
		}
	}
	if gomemlimit == nil || gomemlimit.ValueFrom == nil || gomemlimit.ValueFrom.ResourceFieldRef == nil ||
		gomemlimit.ValueFrom.ResourceFieldRef.Resource != "limits.memory" || gomemlimit.ValueFrom.ResourceFieldRef.ContainerName != c.Name {
		t.Errorf("%s: GOMEMLIMIT must come from this container's limits.memory: %+v", v.dir, gomemlimit)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit for GOMEMLIMIT to follow", v.dir)
	}

	// The image is the release this tree is (VERSION), never a moving tag.
	if _, tag, _ := strings.Cut(c.Image, ":"); tag != releaseVersion(t) {
		t.Errorf("%s: image %s, want the tag %s (VERSION)", v.dir, c.Image, releaseVersion(t))
	}
	// The API key file is readable by its owner (and fsGroup) only.
	for _, vol := range pod.Volumes {
		if vol.Secret != nil && (vol.Secret.DefaultMode == nil || *vol.Secret.DefaultMode&0o007 != 0) {
			t.Errorf("%s: Secret volume %s is world-readable (defaultMode %v); the audit's api_key_secret_store fails it", v.dir, vol.Name, vol.Secret.DefaultMode)
		}
	}

	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: the pod must run as a non-root user", v.dir)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: the container needs readOnlyRootFilesystem, no privilege escalation, capabilities dropped", v.dir)
	}

	// Every volume, Secret and ConfigMap the pod uses is shipped here.
	vols := map[string]corev1.Volume{}
	for _, vol := range pod.Volumes {
		vols[vol.Name] = vol
		switch {
		case vol.Secret != nil && v.secrets[vol.Secret.SecretName] == nil:
			t.Errorf("%s: volume %s uses Secret %s, which the variant does not ship", v.dir, vol.Name, vol.Secret.SecretName)
		case vol.ConfigMap != nil && v.configMaps[vol.ConfigMap.Name] == nil:
			t.Errorf("%s: volume %s uses ConfigMap %s, which the variant does not ship", v.dir, vol.Name, vol.ConfigMap.Name)
		case vol.PersistentVolumeClaim != nil && v.pvcs[vol.PersistentVolumeClaim.ClaimName] == nil:
			t.Errorf("%s: volume %s uses claim %s, which the variant does not ship", v.dir, vol.Name, vol.PersistentVolumeClaim.ClaimName)
		}
	}
	for _, m := range c.VolumeMounts {
		if _, ok := vols[m.Name]; !ok {
			t.Errorf("%s: mount %s has no volume", v.dir, m.Name)
		}
	}
	for _, e := range c.Env {
		if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
			s := v.secrets[ref.SecretKeyRef.Name]
			if s == nil {
				t.Errorf("%s: env %s reads Secret %s, which the variant does not ship", v.dir, e.Name, ref.SecretKeyRef.Name)
			} else if _, ok := s.StringData[ref.SecretKeyRef.Key]; !ok {
				t.Errorf("%s: env %s reads key %s, which Secret %s lacks", v.dir, e.Name, ref.SecretKeyRef.Key, s.Name)
			}
		}
	}
}

// checkReach: the Service selects the pods and targets the http port; the
// ServiceMonitor selects the Service and scrapes /metrics on that port; the
// job label (the Service's name) matches the alerts' default selector.
func checkReach(t *testing.T, v variant) {
	t.Helper()
	svc, sm := v.services[0], v.serviceMonitor[0]
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(v.deployment.Spec.Template.Labels)) {
		t.Errorf("%s: Service %s does not select the Deployment's pods", v.dir, svc.Name)
	}
	if !labels.SelectorFromSet(v.deployment.Spec.Selector.MatchLabels).Matches(labels.Set(v.deployment.Spec.Template.Labels)) {
		t.Errorf("%s: the Deployment's selector does not match its pod template", v.dir)
	}
	var portName string
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.String() == "http" {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Errorf("%s: Service %s has no port targeting the container port http", v.dir, svc.Name)
	}
	if !regexp.MustCompile(`^clari.*$`).MatchString(svc.Name) {
		t.Errorf("%s: Service %s gives the job label %q, which the alerts' job=~\"clari.*\" does not match", v.dir, svc.Name, svc.Name)
	}
	smSel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if smSel.Empty() || !smSel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("%s: ServiceMonitor %s does not select Service %s", v.dir, sm.Name, svc.Name)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != portName || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("%s: ServiceMonitor %s must scrape /metrics on Service port %q: %+v", v.dir, sm.Name, portName, sm.Spec.Endpoints)
	}
}

// loadPodConfig lays the ConfigMap and Secret volumes out as the kubelet
// would (under a temporary root), sets the Secret-backed environment, and
// loads the exporter's --config.file with config.Load.
func loadPodConfig(t *testing.T, v variant) *config.Config {
	t.Helper()
	c := exporterContainer(t, v)
	root := t.TempDir()
	vols := map[string]corev1.Volume{}
	for _, vol := range v.deployment.Spec.Template.Spec.Volumes {
		vols[vol.Name] = vol
	}
	var mounts []string
	for _, m := range c.VolumeMounts {
		vol := vols[m.Name]
		files := map[string]string{}
		switch {
		case vol.ConfigMap != nil:
			files = v.configMaps[vol.ConfigMap.Name].Data
		case vol.Secret != nil:
			files = v.secrets[vol.Secret.SecretName].StringData
			if items := vol.Secret.Items; len(items) > 0 {
				// Only the listed keys, each at its path.
				mapped := map[string]string{}
				for _, it := range items {
					mapped[it.Path] = files[it.Key]
				}
				files = mapped
			}
		}
		dir := filepath.Join(root, m.MountPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		mounts = append(mounts, m.MountPath)
	}
	for _, e := range c.Env {
		if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
			t.Setenv(e.Name, v.secrets[ref.SecretKeyRef.Name].StringData[ref.SecretKeyRef.Key])
		}
	}

	var cfgFile string
	for _, a := range c.Args {
		if f, ok := strings.CutPrefix(a, "--config.file="); ok {
			cfgFile = f
		}
	}
	if cfgFile == "" {
		t.Fatalf("%s: the container has no --config.file argument", v.dir)
	}
	data, err := os.ReadFile(filepath.Join(root, cfgFile))
	if err != nil {
		t.Fatalf("%s: --config.file=%s is not on a mounted ConfigMap: %v", v.dir, cfgFile, err)
	}
	// The config names paths inside the pod; point them at the laid-out root.
	// One pass (a replaced path is not replaced again), longest mount first.
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, m := range mounts {
		pairs = append(pairs, " "+m+"/", " "+path.Join(root, m)+"/")
	}
	text := strings.NewReplacer(pairs...).Replace(string(data))
	local := filepath.Join(root, "clari_exporter.yml")
	if err := os.WriteFile(local, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(local)
	if err != nil {
		t.Fatalf("%s: the ConfigMap's config does not load: %v", v.dir, err)
	}
	if cfg.Secrets.APIKey == "" {
		t.Errorf("%s: the API key from the Secret did not reach the config", v.dir)
	}
	// Back to the paths the pod sees.
	cfg.Storage.Path = strings.TrimPrefix(cfg.Storage.Path, root)
	return cfg
}

// onVolume reports whether a file path in the pod lies on a mount whose
// volume satisfies ok.
func onVolume(v variant, file string, ok func(corev1.Volume) bool) bool {
	vols := map[string]corev1.Volume{}
	for _, vol := range v.deployment.Spec.Template.Spec.Volumes {
		vols[vol.Name] = vol
	}
	for _, m := range v.deployment.Spec.Template.Spec.Containers[0].VolumeMounts {
		if strings.HasPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/") && ok(vols[m.Name]) {
			return !m.ReadOnly
		}
	}
	return false
}
