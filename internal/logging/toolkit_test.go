package logging

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log/level"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/clari-exporter/clari_exporter/internal/testlog"
)

// pair is one key and value of a log line, in order.
type pair struct{ k, v string }

func parseLine(t *testing.T, format, line string) []pair {
	t.Helper()
	var out []pair
	switch format {
	case "logfmt":
		// key=value or key="quoted value", space separated (go-kit's
		// encoder quotes values with spaces or quotes, Go-style).
		for rest := line; rest != ""; rest = strings.TrimLeft(rest, " ") {
			k, v, ok := strings.Cut(rest, "=")
			if !ok || k == "" || strings.Contains(k, " ") {
				t.Fatalf("not logfmt at %q: %s", rest, line)
			}
			if strings.HasPrefix(v, `"`) {
				q, err := strconv.QuotedPrefix(v)
				if err != nil {
					t.Fatalf("bad quoted value at %q: %s", v, line)
				}
				rest = v[len(q):]
				v, _ = strconv.Unquote(q)
			} else {
				v, rest, _ = strings.Cut(v, " ")
			}
			out = append(out, pair{k, v})
		}
	case "json":
		// Key order is not JSON's business: count the keys from the raw
		// text (a duplicated key would vanish in a map) and read the values.
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("not JSON: %v: %s", err, line)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("not JSON: %v: %s", err, line)
			}
			s, _ := v.(string)
			out = append(out, pair{k.(string), s})
		}
	}
	return out
}

// TestToolkitLinesLookLikeOurs serves with exporter-toolkit (web.Serve logs
// "Listening on" and "TLS is disabled." through the slog bridge) and checks
// its lines against one of our own: one ts, one caller (the toolkit's call
// site, not the bridge's), the same level key and key order, no time key.
func TestToolkitLinesLookLikeOurs(t *testing.T) {
	for _, format := range []string{"logfmt", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf testlog.Buffer
			logger, err := New(&buf, "info", format)
			if err != nil {
				t.Fatal(err)
			}
			level.Info(logger).Log("msg", "ours")

			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
			noWebConfig := ""
			done := make(chan error, 1)
			go func() { done <- web.Serve(l, srv, &web.FlagConfig{WebConfigFile: &noWebConfig}, Slog(logger)) }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(buf.String(), "TLS is disabled.") {
				if time.Now().After(deadline) {
					t.Fatalf("exporter-toolkit logged nothing within 30s:\n%s", buf.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			srv.Close()
			<-done

			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) < 3 {
				t.Fatalf("want our line and two toolkit lines, got:\n%s", buf.String())
			}
			ours := parseLine(t, format, lines[0])
			for _, line := range lines[1:] {
				kv := parseLine(t, format, line)
				count := map[string]int{}
				for _, p := range kv {
					count[p.k]++
				}
				for _, k := range []string{"level", "ts", "caller", "msg"} {
					if count[k] != 1 {
						t.Errorf("%d %q keys, want 1: %s", count[k], k, line)
					}
				}
				if count["time"] != 0 {
					t.Errorf("a time key besides ts: %s", line)
				}
				// Same leading keys as our own line: level, ts, caller (JSON
				// objects come out with sorted keys, so only logfmt has an
				// order to compare).
				for i := 0; i < 3 && format == "logfmt"; i++ {
					if len(kv) <= i || kv[i].k != ours[i].k {
						t.Errorf("key %d of %s, want %q as in our line %s", i, line, ours[i].k, lines[0])
					}
				}
				for _, p := range kv {
					switch p.k {
					case "level":
						if p.v != "info" {
							t.Errorf("level %q, want info: %s", p.v, line)
						}
					case "ts":
						ts, err := time.Parse(time.RFC3339Nano, p.v)
						if err != nil || !strings.HasSuffix(p.v, "Z") || time.Since(ts) > time.Hour || time.Since(ts) < -time.Hour {
							t.Errorf("ts %q is not a recent UTC RFC 3339 time like ours: %s", p.v, line)
						}
					case "caller":
						// exporter-toolkit's web package logs from tls_config.go;
						// the bridge's own frames must not show.
						if !strings.HasPrefix(p.v, "tls_config.go:") {
							t.Errorf("caller %q, want exporter-toolkit's call site (tls_config.go:N): %s", p.v, line)
						}
					}
				}
			}
		})
	}
}
