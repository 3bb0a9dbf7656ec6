package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/clari-exporter/clari_exporter/config"
)

// dockerfile returns the repository's Dockerfile.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dockerJSON returns the JSON-array argument of the last instruction op.
func dockerJSON(t *testing.T, df, op string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^`+op+` (\[.*\])$`).FindAllStringSubmatch(df, -1)
	if m == nil {
		t.Fatalf("Dockerfile has no %s [...]", op)
	}
	var args []string
	if err := json.Unmarshal([]byte(m[len(m)-1][1]), &args); err != nil {
		t.Fatalf("Dockerfile %s: %v", op, err)
	}
	return args
}

// TestImageDefaultCommand checks, without a container engine, what the
// image's default command needs: the entrypoint is a binary the build
// compiles and copies; the default --config.file is imageConfigPath, in a
// directory the image creates; run there without a mounted file, the
// command exits 1 saying where to mount one; the working directory is the
// state directory the nonroot user owns, so the default storage.path lands
// in it; the final stage runs as nonroot on a static base and carries the
// licence; the build stamps the version.
func TestImageDefaultCommand(t *testing.T) {
	df := dockerfile(t)
	final := df[strings.LastIndex(df, "\nFROM "):]

	entry := dockerJSON(t, df, "ENTRYPOINT")
	if len(entry) != 1 || entry[0] != "/bin/clari_exporter" {
		t.Fatalf("ENTRYPOINT %v, want [/bin/clari_exporter]", entry)
	}
	if !strings.Contains(df, "-o /out/bin/ ./cmd/clari_exporter") || !regexp.MustCompile(`COPY --from=build /out/bin/clari_exporter .*/bin/`).MatchString(final) {
		t.Error("the final stage does not copy the clari_exporter binary the build stage compiles into /bin/")
	}
	cmd := dockerJSON(t, df, "CMD")
	if len(cmd) != 1 || cmd[0] != "--config.file="+imageConfigPath {
		t.Fatalf("CMD %v, want [--config.file=%s]", cmd, imageConfigPath)
	}
	if !strings.Contains(final, " "+path.Dir(imageConfigPath)+"\n") {
		t.Errorf("the final stage does not create %s, the directory the default command reads", path.Dir(imageConfigPath))
	}
	if _, err := os.Stat(imageConfigPath); err == nil {
		t.Skipf("%s exists on this machine; the no-mount message cannot be checked here", imageConfigPath)
	}
	var stderr bytes.Buffer
	code := runApp(cmd, &stderr, func(int) {})
	if code != 1 {
		t.Errorf("the default command without a mounted config exited %d, want 1:\n%s", code, &stderr)
	}
	for _, want := range []string{imageConfigPath + " does not exist", "mount your file there", "docker run -v", "--demo"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the default command without a mounted config does not say %q:\n%s", want, &stderr)
		}
	}

	workdir := regexp.MustCompile(`(?m)^WORKDIR (\S+)$`).FindAllStringSubmatch(final, -1)
	if workdir == nil {
		t.Fatal("the final stage sets no WORKDIR")
	}
	stateDir := workdir[len(workdir)-1][1]
	if !strings.Contains(final, "--chown=nonroot:nonroot /out/data "+stateDir+"\n") {
		t.Errorf("WORKDIR %s is not the state directory owned by nonroot", stateDir)
	}
	if p := config.DefaultStoragePath; path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
		t.Errorf("default storage.path %s does not resolve inside WORKDIR %s", p, stateDir)
	}
	for _, want := range []string{"FROM gcr.io/distroless/static", "USER nonroot:nonroot", "COPY LICENSE NOTICE "} {
		if !strings.Contains(final, want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
	for _, stamp := range []string{"Version=${VERSION}", "Revision=${REVISION}", "Branch=${BRANCH}", "BuildDate=${BUILD_DATE}"} {
		if !strings.Contains(df, "github.com/prometheus/common/version."+stamp) {
			t.Errorf("the build does not stamp %s", stamp)
		}
	}
	if !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("the build is not static (CGO_ENABLED=0)")
	}
}
