package memlimit

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestApply(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	cases := []struct {
		name   string
		env    string
		files  map[string]string // relative to the fake /sys/fs/cgroup; "proc" is /proc/self/cgroup
		want   int64
		source Source
	}{
		{"v2 own group", "", map[string]string{"proc": "0::/kubepods/pod1\n", "kubepods/pod1/memory.max": "268435456\n"}, 241591910, FromCgroup},
		{"v2 namespace root", "", map[string]string{"proc": "0::/\n", "memory.max": "134217728\n"}, 120795955, FromCgroup},
		{"v2 no limit", "", map[string]string{"proc": "0::/\n", "memory.max": "max\n"}, math.MaxInt64, None},
		{"v1", "", map[string]string{"proc": "4:memory:/docker/abc\n", "memory/docker/abc/memory.limit_in_bytes": "1073741824\n"}, 966367641, FromCgroup},
		{"v1 no limit", "", map[string]string{"proc": "4:memory:/\n", "memory/memory.limit_in_bytes": "9223372036854771712\n"}, math.MaxInt64, None},
		{"no cgroup", "", map[string]string{}, math.MaxInt64, None},
		{"GOMEMLIMIT wins", "100MiB", map[string]string{"proc": "0::/\n", "memory.max": "134217728\n"}, math.MaxInt64, FromEnv},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			dir := t.TempDir()
			root := filepath.Join(dir, "cgroup")
			proc := filepath.Join(dir, "proc-self-cgroup")
			for p, content := range c.files {
				if p == "proc" {
					writeFile(t, proc, content)
				} else {
					writeFile(t, filepath.Join(root, p), content)
				}
			}
			got, src, err := apply(c.env, proc, root)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want || src != c.source {
				t.Errorf("apply = %d, %s; want %d, %s", got, src, c.want, c.source)
			}
			if now := debug.SetMemoryLimit(-1); now != c.want {
				t.Errorf("runtime limit %d, want %d", now, c.want)
			}
		})
	}
}

func TestApplyBadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "memory.max"), "lots\n")
	if _, _, err := apply("", filepath.Join(dir, "none"), dir); err == nil {
		t.Fatal("a memory.max that is not a number was accepted")
	}
}
