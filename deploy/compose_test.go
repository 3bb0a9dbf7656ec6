package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/clari-exporter/clari_exporter/config"
)

// loadCompose loads ../docker-compose.yml with compose-go as `docker compose`
// would, under a fixed project name and without environment interpolation
// (the file uses none; a stray $ must not be silently replaced).
func loadCompose(t *testing.T) (*types.Project, string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithName("clari"),
		cli.WithWorkingDirectory(root),
		cli.WithInterpolation(false),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p, root
}

func TestComposeServices(t *testing.T) {
	p, _ := loadCompose(t)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{"alertmanager", "clari-exporter", "clari-sim", "grafana", "prometheus", "webhook-logger"}
	if !slices.Equal(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}
	if p.Name != "clari" {
		t.Errorf("project name %q, want clari", p.Name)
	}
}

var pinnedTag = regexp.MustCompile(`^[a-z0-9./_-]+:v?[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// TestComposeImagesArePinned: every pulled image carries an exact version;
// built images come from the repository's Dockerfile.
func TestComposeImagesArePinned(t *testing.T) {
	p, _ := loadCompose(t)
	for name, s := range p.Services {
		if s.Build != nil {
			continue
		}
		if !pinnedTag.MatchString(s.Image) {
			t.Errorf("service %s: image %q is not pinned to a version", name, s.Image)
		}
	}
	for _, name := range []string{"clari-sim", "clari-exporter", "webhook-logger"} {
		if p.Services[name].Build == nil {
			t.Errorf("service %s must be built from the repository's Dockerfile", name)
		}
	}
}

// TestComposePathsExist checks every bind-mounted host path, build context
// and Dockerfile, and that they stay inside the repository.
func TestComposePathsExist(t *testing.T) {
	p, root := loadCompose(t)
	inRepo := func(path string) bool {
		rel, err := filepath.Rel(root, path)
		return err == nil && !strings.HasPrefix(rel, "..")
	}
	binds := 0
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("service %s: volume %q is not declared under volumes:", name, v.Source)
				}
				continue
			}
			binds++
			if !inRepo(v.Source) {
				t.Errorf("service %s: bind mount %s is outside the repository", name, v.Source)
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s: bind mount source %s: %v", name, v.Source, err)
			}
			if !v.ReadOnly {
				t.Errorf("service %s: bind mount %s should be read-only", name, v.Source)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(s.Build.Context); err != nil || !inRepo(s.Build.Context) {
				t.Errorf("service %s: build context %s: missing or outside the repository (%v)", name, s.Build.Context, err)
			}
			df := s.Build.Dockerfile
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				t.Errorf("service %s: Dockerfile: %v", name, err)
			}
		}
	}
	if binds == 0 {
		t.Fatal("no bind mounts found; the stack needs deploy/, alerts/ and dashboards/")
	}
}

// TestComposeWiring checks the values that must agree across files: paths
// inside the containers, ports, and the simulator's key and fiscal year.
func TestComposeWiring(t *testing.T) {
	p, root := loadCompose(t)
	mounts := map[string]string{} // container path → host path, all services
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				mounts[v.Target] = v.Source
			}
		}
	}
	// Paths the services are given must be inside a bind mount and exist.
	hostPath := func(containerPath string) string {
		for target, src := range mounts {
			if rel, err := filepath.Rel(target, containerPath); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.Join(src, rel)
			}
		}
		return ""
	}
	flagPath := regexp.MustCompile(`^--?[a-z.-]+=(/etc/clari/\S+)$`)
	for name, s := range p.Services {
		for _, arg := range s.Command {
			m := flagPath.FindStringSubmatch(arg)
			if m == nil {
				continue
			}
			hp := hostPath(m[1])
			if hp == "" {
				t.Errorf("service %s: %s is not inside any bind mount", name, arg)
				continue
			}
			if _, err := os.Stat(hp); err != nil {
				t.Errorf("service %s: %s: %v", name, arg, err)
			}
		}
	}
	// prometheus.yml's ../alerts must resolve to the mounted alerts/ dir.
	if got := mounts["/etc/clari/alerts"]; got != filepath.Join(root, "alerts") {
		t.Errorf("/etc/clari/alerts is mounted from %q, want alerts/", got)
	}
	if got := mounts["/var/lib/grafana/dashboards/clari"]; got != filepath.Join(root, "dashboards", "grafana") {
		t.Errorf("Grafana's dashboard dir is mounted from %q, want dashboards/grafana", got)
	}

	cmd := strings.Join(p.Services["clari-exporter"].Command, " ")
	if !strings.Contains(cmd, "--web.listen-address=:9852") {
		t.Errorf("clari-exporter command %q does not listen on :9852 (prometheus.yml scrapes it there)", cmd)
	}
	cfg, err := config.Load("clari_exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	sim := strings.Join(p.Services["clari-sim"].Command, " ")
	if !strings.Contains(cfg.Clari.BaseURL, "//clari-sim:") ||
		!strings.Contains(sim, "--listen-address=:"+portOf(cfg.Clari.BaseURL)) {
		t.Errorf("exporter base_url %s does not point at clari-sim (%s)", cfg.Clari.BaseURL, sim)
	}
	if !strings.Contains(sim, "--api-key-file=/etc/clari/deploy/secrets/clari-api-key") || cfg.Clari.APIKeyFile != "secrets/clari-api-key" {
		t.Errorf("clari-sim and the exporter must share deploy/secrets/clari-api-key (sim: %s, exporter: %s)", sim, cfg.Clari.APIKeyFile)
	}
	if want := "--fiscal-start-month=" + strconv.Itoa(cfg.FiscalCalendar.StartMonth); !strings.Contains(sim, want) {
		t.Errorf("clari-sim command %q lacks %s (the exporter's fiscal_calendar.start_month)", sim, want)
	}
}

func portOf(url string) string {
	m := regexp.MustCompile(`:(\d+)(/|$)`).FindStringSubmatch(strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://"))
	if m == nil {
		return ""
	}
	return m[1]
}

// TestDockerfile checks the build the compose stack relies on: static
// binaries for every entrypoint the services use, on distroless nonroot.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{
		"FROM golang:1.26 AS build",
		"CGO_ENABLED=0",
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER nonroot:nonroot",
		`ENTRYPOINT ["/bin/clari_exporter"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, pkg := range regexp.MustCompile(`\./(cmd/[a-z_-]+|deploy/webhook-logger)`).FindAllStringSubmatch(df, -1) {
		if _, err := os.Stat(filepath.Join("..", pkg[1])); err != nil {
			t.Errorf("Dockerfile builds ./%s: %v", pkg[1], err)
		}
	}
	p, _ := loadCompose(t)
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		bin := "/bin/clari_exporter"
		if len(s.Entrypoint) > 0 {
			bin = s.Entrypoint[0]
		}
		if !strings.Contains(df, "/out/bin/"+filepath.Base(bin)) {
			t.Errorf("service %s runs %s, which the Dockerfile does not copy into the image", name, bin)
		}
	}
}
