package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/clari-exporter/clari_exporter/clari/clarisim"
	"github.com/clari-exporter/clari_exporter/internal/pgtest"
	"github.com/clari-exporter/clari_exporter/store"
)

// haReplica is one exporter subprocess on the shared store.
type haReplica struct {
	name, addr string
	cmd        *exec.Cmd
}

// haCluster starts exporter subprocesses on one PostgreSQL schema and one
// simulator.
type haCluster struct {
	t        *testing.T
	dir      string
	cfgPath  string
	replicas []*haReplica
}

func newHACluster(t *testing.T, simURL, dsn string, extra string) *haCluster {
	t.Helper()
	dir := t.TempDir()
	dsnFile := filepath.Join(dir, "store.dsn")
	if err := os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := writeConfig(t, fmt.Sprintf(`
clari:
  base_url: %s
  api_key_file: %%KEYFILE%%
  poll_interval: 500ms
forecasts:
  - id: net_arr
    types_to_export: [forecast]
    historical_quarters: 0
schedule:
  current_interval: 20s
  monthly_budget: 200000
  quota_reserve: 0
storage:
  driver: postgres
  dsn_file: %s
%s`, simURL, dsnFile, extra))
	return &haCluster{t: t, dir: dir, cfgPath: cfgPath}
}

// start runs one more replica (or restarts r when given).
func (c *haCluster) start(name string) *haReplica {
	c.t.Helper()
	r := &haReplica{name: name, addr: freeAddr(c.t)}
	r.cmd = startChild(c.t, []string{"--config.file=" + c.cfgPath, "--web.listen-address=" + r.addr, "--log.level=debug"},
		filepath.Join(c.dir, name+".log"))
	c.replicas = append(c.replicas, r)
	return r
}

func (c *haCluster) logs(r *haReplica) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, r.name+".log"))
	return tail(string(b), 40)
}

// metric reads one unlabelled-or-labelled sample's value from a replica's
// /metrics; ok is false when the replica does not answer or lacks it.
func metric(r *haReplica, sample string) (float64, bool) { return metricAt(r.addr, sample) }

// metricAt is metric for the exporter listening on addr. A child that
// accepts but stalls counts as not answering, so a wait on it still ends.
func metricAt(addr, sample string) (float64, bool) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	return v, err == nil
}

// leaderOf is the one live replica reporting clari_exporter_leader 1, or
// nil; it fails the test when two report it.
func (c *haCluster) leaderOf(live []*haReplica) *haReplica {
	c.t.Helper()
	var leader *haReplica
	for _, r := range live {
		if v, ok := metric(r, "clari_exporter_leader"); ok && v == 1 {
			if leader != nil {
				c.t.Fatalf("two leaders: %s and %s", leader.name, r.name)
			}
			leader = r
		}
	}
	return leader
}

// TestFailoverLoop: two exporters on one PostgreSQL and the simulator, jobs
// taking 10 s. Ten times, the leader is killed with SIGKILL while its job
// is being polled; each time the other replica takes over within 20 s, the
// same job id is polled to completion, and the simulator shows exactly one
// create per slot. Afterwards both replicas report the same
// clari_export_runs_total.
func TestFailoverLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("the failover loop takes minutes")
	}
	dsn, _ := pgtest.Fresh(t)
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 11,
		Tenant:   clarisim.TenantSpec{Users: 10, Fields: 1},
		Scenario: clarisim.Scenario{JobDuration: 10 * time.Second, ConcurrentLimit: 10, MonthlyQuota: 10000}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	c := newHACluster(t, srv.URL, dsn, "")
	a, b := c.start("a0"), c.start("b0")
	live := []*haReplica{a, b}
	runsSample := fmt.Sprintf(`clari_export_runs_total{forecast="net_arr",period=%q}`, currentPeriodLabel())

	st, err := store.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const kills = 10
	for i := range kills {
		// A new slot's job is created and polled by the leader.
		created := len(sim.Jobs())
		waitFor(t, 90*time.Second, fmt.Sprintf("iteration %d: a new job", i), func() bool { return len(sim.Jobs()) > created })
		jobs := sim.Jobs()
		jobID := jobs[len(jobs)-1].Job.JobID
		var leader *haReplica
		waitFor(t, 20*time.Second, "a leader polling the job", func() bool {
			leader = c.leaderOf(live)
			infl, err := st.InFlight(context.Background())
			return leader != nil && err == nil && len(infl) == 1 && infl[0].JobID == jobID
		})
		time.Sleep(2 * time.Second) // mid-job: it takes 10 s
		if err := leader.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		_ = leader.cmd.Wait()
		var follower *haReplica
		for _, r := range live {
			if r != leader {
				follower = r
			}
		}
		waitFor(t, 20*time.Second, fmt.Sprintf("iteration %d: %s to take over from the killed %s", i, follower.name, leader.name), func() bool {
			v, ok := metric(follower, "clari_exporter_leader")
			return ok && v == 1
		})
		t.Logf("iteration %d: %s took over %v after %s was killed", i, follower.name, time.Since(killed).Round(100*time.Millisecond), leader.name)

		// The same job is polled to completion, and no second one created.
		waitFor(t, 60*time.Second, fmt.Sprintf("iteration %d: job %s recorded", i, jobID), func() bool {
			runs, err := st.Runs(context.Background(), "net_arr", currentPeriodLabel(), 1)
			return err == nil && len(runs) == 1 && runs[0].JobID == jobID
		})
		if n := len(sim.Jobs()); n != created+1 {
			t.Fatalf("iteration %d: %d jobs at the simulator, want %d (one create per slot)\n%s\n%s", i, n, created+1, c.logs(leader), c.logs(follower))
		}
		// Back to two replicas: the killed one restarts as a follower, ready
		// once it serves the shared state.
		restarted := c.start(fmt.Sprintf("r%d", i+1))
		waitFor(t, 30*time.Second, "the restarted replica to be ready as a follower", func() bool {
			resp, err := http.Get("http://" + restarted.addr + "/-/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			v, ok := metric(restarted, runsSample)
			return resp.StatusCode == http.StatusOK && ok && v == float64(i+1)
		})
		if v, _ := metric(restarted, "clari_exporter_leader"); v != 0 {
			t.Fatalf("iteration %d: the restarted replica leads while %s holds the lease", i, follower.name)
		}
		live = []*haReplica{follower, restarted}
	}

	runs, err := st.Runs(context.Background(), "net_arr", currentPeriodLabel(), 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range runs {
		if seen[r.JobID] || !r.Success() {
			t.Errorf("run %+v: duplicate or failed", r)
		}
		seen[r.JobID] = true
	}
	if st := sim.Stats(); st.JobsCreated != len(runs) {
		t.Errorf("the simulator created %d jobs for %d runs", st.JobsCreated, len(runs))
	}
	waitFor(t, 10*time.Second, "both replicas to report the same clari_export_runs_total", func() bool {
		va, oka := metric(live[0], runsSample)
		vb, okb := metric(live[1], runsSample)
		return oka && okb && va == vb && va >= kills
	})
}

// TestPartitionedLeaderStopsScheduling: the leader reaches PostgreSQL
// through a TCP proxy the test cuts. It reports follower (and stops
// scheduling) within its trust window, the other replica takes over after
// the lease lapsed, and sampled every 100 ms through the whole test there
// are never two leaders.
func TestPartitionedLeaderStopsScheduling(t *testing.T) {
	dsn, _ := pgtest.Fresh(t)
	proxy := pgtest.NewProxy(t, pgtest.Server(t, dsn))
	sim := clarisim.New(clarisim.Options{APIKey: testAPIKey, Seed: 12, Tenant: clarisim.TenantSpec{Users: 5, Fields: 1}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	cut := newHACluster(t, srv.URL, pgtest.WithHost(t, dsn, proxy.Addr()), "")
	direct := newHACluster(t, srv.URL, dsn, "")
	a := cut.start("a")
	waitFor(t, 30*time.Second, "a to lead", func() bool { v, ok := metric(a, "clari_exporter_leader"); return ok && v == 1 })
	b := direct.start("b")
	waitFor(t, 30*time.Second, "b to serve as follower", func() bool { v, ok := metric(b, "clari_exporter_leader"); return ok && v == 0 })

	stop := make(chan struct{})
	twoLeaders := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				close(twoLeaders)
				return
			case <-time.After(100 * time.Millisecond):
			}
			va, _ := metric(a, "clari_exporter_leader")
			vb, _ := metric(b, "clari_exporter_leader")
			if va == 1 && vb == 1 {
				select {
				case twoLeaders <- time.Now().Format(time.TimeOnly):
				default:
				}
			}
		}
	}()

	proxy.Cut()
	cutAt := time.Now()
	waitFor(t, 60*time.Second, "the partitioned leader to step down", func() bool { v, ok := metric(a, "clari_exporter_leader"); return ok && v == 0 })
	down := time.Since(cutAt)
	waitFor(t, 60*time.Second, "b to take over", func() bool { v, ok := metric(b, "clari_exporter_leader"); return ok && v == 1 })
	t.Logf("a stepped down %v after the cut, b leads %v after it", down.Round(100*time.Millisecond), time.Since(cutAt).Round(100*time.Millisecond))
	if down >= 15*time.Second {
		t.Errorf("a stepped down %v after the cut: not within its trust window (lease 15s − renew 5s)", down)
	}
	proxy.Heal()
	time.Sleep(6 * time.Second) // a reconnects, finds b's lease and follows
	close(stop)
	if at, ok := <-twoLeaders; ok {
		t.Fatalf("two leaders sampled at %s", at)
	}
	if v, _ := metric(a, "clari_exporter_leader"); v != 0 {
		t.Fatal("a leads again after the heal while b holds the lease")
	}
}
