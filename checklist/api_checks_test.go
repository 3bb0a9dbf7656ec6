package checklist

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
)

func TestAPITokenValid(t *testing.T) {
	s := startSim(t, clarisim.Scenario{MonthlyQuota: 1000})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckAPITokenValid, Pass, "token accepted by "+s.URL+"/admin/limits in ", "1000 of 1000 monthly exports available")

	cfg := writeConfig(t, s.URL)
	writeFile(t, filepath.Dir(cfg), "key", "sk-wrong-key-0000000000000000\n", 0o400)
	rep = audit(t, Options{ConfigFile: cfg})
	expect(t, rep, CheckAPITokenValid, Fail, "token rejected by "+s.URL+"/admin/limits", "401")
	expect(t, rep, CheckLeastPrivilege, Skip)
	if rep.ExitCode != 1 {
		t.Errorf("exit code %d, want 1 (P1)", rep.ExitCode)
	}
	if st := s.Stats(); st.CreateCalls != 0 || st.JobsCreated != 0 {
		t.Errorf("the audit spent quota: %+v", st)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestUnreachableClari: a refused connection and a server that never
// answers both end as FAIL lines before the audit's timeout.
func TestUnreachableClari(t *testing.T) {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(hung.Close)
	cases := []struct{ name, base, fragment string }{
		{"connection refused", "http://" + closedAddr(t) + "/v4", "unreachable"},
		{"hung server", hung.URL + "/v4", "no answer from"},
	}
	const timeout = 2 * time.Second
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			rep := audit(t, Options{ConfigFile: writeConfig(t, c.base), Timeout: timeout})
			// The hung server holds for a minute: an audit that ignored its
			// timeout would take that long. 10x the timeout leaves a busy CI
			// machine room and still tells the two apart.
			if d := time.Since(start); d > 10*timeout {
				t.Errorf("audit took %s, far over its %s timeout", d, timeout)
			}
			expect(t, rep, CheckAPITokenValid, Fail, c.fragment, "/admin/limits")
			// The org's quota could not be read: the check did not run.
			expect(t, rep, CheckQuotaBudget, Skip, "monthly quota could not be read", "/admin/limits")
			if rep.ExitCode != 1 {
				t.Errorf("exit code %d, want 1", rep.ExitCode)
			}
		})
	}
}

func TestLeastPrivilege(t *testing.T) {
	// The simulator sends actorId as a number (as Clari may): the page
	// decodes and the token is seen reading the audit log.
	s := startSim(t, clarisim.Scenario{})
	rep := audit(t, Options{ConfigFile: writeConfig(t, s.URL)})
	expect(t, rep, CheckLeastPrivilege, Warn, "can read the org's audit log", "cannot be verified through the API")

	// Only the HTTP status matters: a 200 page in a shape the client
	// cannot decode still proves the token reads the audit log.
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/audit/") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"events":[{"actorId":[1,2],"event":{}}]}`))
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(odd.Close)
	rep = audit(t, Options{ConfigFile: writeConfig(t, odd.URL)})
	expect(t, rep, CheckLeastPrivilege, Warn, "can read the org's audit log", "answered 200")

	// A tenant whose export service account is refused the audit log.
	restricted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/audit/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"code":"forbidden","message":"insufficient permissions"}`))
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(restricted.Close)
	rep = audit(t, Options{ConfigFile: writeConfig(t, restricted.URL+"/v4")})
	expect(t, rep, CheckLeastPrivilege, Pass, "refused the org's audit log", "HTTP 403")
	if st := s.Stats(); st.JobsCreated != 0 {
		t.Errorf("the audit spent quota: %+v", st)
	}
}

// TestProductionBaseURL: https://api.clari.com/v4 passes (the simulator
// stands in for it through a dialer that sends every connection to it).
func TestProductionBaseURL(t *testing.T) {
	s := clarisim.New(clarisim.Options{APIKey: testKey, Clock: func() time.Time { return now }})
	t.Cleanup(s.Close)
	tlsSrv := httptest.NewTLSServer(s)
	t.Cleanup(tlsSrv.Close)
	addr := tlsSrv.Listener.Addr().String()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test server
	}}
	rep := audit(t, Options{ConfigFile: writeConfig(t, "https://api.clari.com/v4"), ClariHTTPClient: client})
	expect(t, rep, CheckProductionBaseURL, Pass, "base_url https://api.clari.com/v4 (Clari production)")
	expect(t, rep, CheckAPITokenValid, Pass, "token accepted by https://api.clari.com/v4/admin/limits")

	rep = audit(t, Options{ConfigFile: writeConfig(t, "http://clari-sim.internal:8931/v4"), Timeout: 2 * time.Second})
	expect(t, rep, CheckProductionBaseURL, Warn, "base_url http://clari-sim.internal:8931/v4 is not Clari's production API", "unencrypted")
}

func TestTokenPerEnvironment(t *testing.T) {
	s := startSim(t, clarisim.Scenario{})
	prod := writeConfig(t, s.URL)
	rep := audit(t, Options{ConfigFile: prod})
	expect(t, rep, CheckTokenPerEnvironment, Skip, "--env-config")

	staging := writeConfig(t, s.URL, "environment: prod", "environment: staging")
	writeFile(t, filepath.Dir(staging), "key", "sk-staging-key-1111111111111111\n", 0o400)
	dev := writeConfig(t, s.URL, "environment: prod", "environment: dev")
	writeFile(t, filepath.Dir(dev), "key", "sk-dev-key-22222222222222222222\n", 0o400)
	rep = audit(t, Options{ConfigFile: prod, EnvConfigs: []string{staging, dev}})
	expect(t, rep, CheckTokenPerEnvironment, Pass, "3 environments (prod, staging, dev), 3 distinct tokens")

	shared := writeConfig(t, s.URL, "environment: prod", "environment: staging") // same testKey as prod
	rep = audit(t, Options{ConfigFile: prod, EnvConfigs: []string{shared, dev}})
	r := expect(t, rep, CheckTokenPerEnvironment, Fail, "prod (clari.yml) and staging (clari.yml) use the same token")
	if strings.Contains(r.Detail, testKey) {
		t.Errorf("detail carries the token: %s", r.Detail)
	}

	unnamed := writeConfig(t, s.URL, "environment: prod", "environment: \"\"")
	writeFile(t, filepath.Dir(unnamed), "key", "sk-other-key-3333333333333333\n", 0o400)
	rep = audit(t, Options{ConfigFile: prod, EnvConfigs: []string{unnamed}})
	expect(t, rep, CheckTokenPerEnvironment, Warn, "sets no clari.environment")

	rep = audit(t, Options{ConfigFile: prod, EnvConfigs: []string{filepath.Join(t.TempDir(), "absent.yml")}})
	expect(t, rep, CheckTokenPerEnvironment, Fail, "absent.yml cannot read")
}
