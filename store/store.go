// Package store is the exporter's durable state: snapshot aggregates, run
// history, in-flight export jobs (so a restart resumes polling instead of
// spending quota on a new export) and the counters behind the export metrics,
// so they survive restarts.
//
// Store is the interface; *SQLite (embedded, the default, one process) and
// *Postgres (shared by the replicas of a highly available deployment)
// implement it with the same SQL. One contract test suite runs every store
// test against both.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/clari-exporter/clari_exporter/snapshot"
)

// OutcomeDone is the Run.Outcome of a successful run. Every other outcome
// is a failure and its value is the `reason` label of
// clari_export_failures_total (failed, aborted, cancelled, timeout, empty,
// period_mismatch, api_error, decode_error).
const OutcomeDone = "done"

// ErrAlreadyRecorded is returned by FinishRun when a run with the same job
// id was recorded before. Nothing was changed: the run is counted once. The
// caller can treat it as success.
var ErrAlreadyRecorded = errors.New("store: run already recorded for this job id")

// ErrIntentExists is returned by PutIntent when the target already has an
// unresolved create intent: at most one create per target is ever in the
// making, whichever process (or, after a split brain, whichever leader)
// asks. Nothing was changed; the caller must not send its create.
var ErrIntentExists = errors.New("store: an unresolved create intent exists for this target")

// ErrSlotTaken is returned by PutIntent when the target moved on since the
// writer looked at it: a run was recorded (its run count is no longer
// Intent.SeenRuns) or another job is in flight for it. Another process (a
// second leader after a split brain) exported the slot; nothing was
// changed and the caller must not send its create.
var ErrSlotTaken = errors.New("store: the target's slot was exported or is being exported by another process")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("store: closed")

// Run is one finished export run of a (forecast, period) target.
type Run struct {
	Forecast string
	Period   string
	// JobID is the Clari export job id; "" when the run failed before Clari
	// returned one (then the run is not deduplicated by job id).
	JobID string
	// Outcome is OutcomeDone or the failure reason.
	Outcome    string
	StartedAt  time.Time
	FinishedAt time.Time
	// Duration is create → results decoded; 0 means FinishedAt − StartedAt.
	Duration time.Duration
	// Requeues is how often this run's job was re-queued after the polling
	// timeout (informational; the counter is fed by RecordRequeue).
	Requeues int
	// Rows is the number of distinct entries the export returned (0 if none
	// were decoded).
	Rows int
	// Error says why a failed run failed, as its log line does (secret-free
	// like every error); "" for a success. Kept with the run so the landing
	// page shows it after a restart and on every HA replica. At most
	// MaxRunError bytes are kept.
	Error string
}

// MaxRunError bounds a run's stored error text: an error is a line, and a
// runaway one (a whole response body) must not grow the run history.
const MaxRunError = 2000

// Success reports whether the run ended with OutcomeDone.
func (r Run) Success() bool { return r.Outcome == OutcomeDone }

// InFlight is an export job that was created but not yet finished. It is
// persisted before polling starts so a restart resumes the same job.
type InFlight struct {
	Forecast  string
	Period    string
	JobID     string
	CreatedAt time.Time
	// Request is the create-export request as sent (JSON), so a re-queue
	// after a restart can repeat it exactly.
	Request []byte
}

// Intent is a create-export about to be sent: recorded before the POST, so
// that after a timeout, a crash or a failover the job Clari may have made
// is looked for (and adopted) instead of paying for a second one. It is
// resolved when the job id is known (PutInFlight) or when reconciliation
// finds that Clari made no job (ClearIntent).
type Intent struct {
	Forecast    string
	Period      string
	RequestedAt time.Time
	// Request is the create-export request as it will be sent (JSON).
	Request []byte
	// Term is the leader term that wrote the intent (0 without a leader
	// lease, as with SQLite); Holder the replica. A new leader reconciles
	// every intent of an older term before it creates anything.
	Term   int64
	Holder string

	// The slot guard: what the writer's decision to create was based on,
	// checked by PutIntent in the same transaction and not stored (zero
	// when read back). SeenRuns is the target's run count
	// (TargetState.Runs) the writer saw; Replaces is the in-flight job this
	// create replaces (a re-queue after a timeout), "" for a new slot.
	SeenRuns uint64
	Replaces string
}

// TargetState is everything the collector needs about one (forecast, period)
// target. Counters are cumulative since the store was created.
type TargetState struct {
	Forecast string
	Period   string

	// LastRun is the FinishedAt of the newest run; zero when none.
	LastRun time.Time
	// LastSuccess is the FinishedAt of the newest successful run; zero when none.
	LastSuccess    time.Time
	LastRunSuccess bool
	// LastOutcome is the Outcome of the newest run ("" when none).
	LastOutcome  string
	LastDuration time.Duration

	Runs     uint64            // clari_export_runs_total
	Failures map[string]uint64 // clari_export_failures_total by reason
	Requeues uint64            // clari_export_requeues_total
	Skips    map[string]uint64 // clari_export_skipped_total by reason
	// DuplicateJobs counts extra Clari jobs found for one create intent
	// and cancelled (clari_export_duplicate_jobs_total).
	DuplicateJobs uint64

	// Latest is the newest snapshot of the target, nil when none.
	Latest *snapshot.Snapshot
}

// Store is the durable state behind the runner and the collector. All
// methods are safe for concurrent use.
type Store interface {
	// PutIntent records a create intent; ErrIntentExists (changing
	// nothing) when the target has one already, ErrSlotTaken when the
	// target moved on since the writer looked (Intent.SeenRuns,
	// Intent.Replaces).
	PutIntent(ctx context.Context, in Intent) error
	// Intents lists the unresolved intents, ordered by forecast and period.
	Intents(ctx context.Context) ([]Intent, error)
	// ClearIntent resolves the target's intent of requestedAt without a job
	// (reconciliation found none). An intent with another requestedAt is
	// left alone, so a stale clear cannot drop a newer intent.
	ClearIntent(ctx context.Context, forecast, period string, requestedAt time.Time) error

	// PutInFlight records (or replaces) the in-flight job of a target and,
	// in the same transaction, resolves the target's intent: its job id is
	// known now.
	PutInFlight(ctx context.Context, f InFlight) error
	// ClearInFlight forgets the in-flight job of a target (no error if none).
	ClearInFlight(ctx context.Context, forecast, period string) error
	// InFlight lists the in-flight jobs, ordered by forecast and period.
	InFlight(ctx context.Context) ([]InFlight, error)

	// FinishRun atomically records a finished run: the run row, its counters,
	// the snapshot (snap must be nil unless the run succeeded) and the
	// removal of the run's in-flight row (same forecast, period and job id).
	// Returns ErrAlreadyRecorded, changing nothing, when the job id was
	// recorded before.
	FinishRun(ctx context.Context, run Run, snap *snapshot.Snapshot) error
	// RecordRequeue counts one re-queue of a target's job.
	RecordRequeue(ctx context.Context, forecast, period string, at time.Time) error
	// RecordSkip counts one skipped export of a target (reason: quota_reserve,
	// quota_exhausted, concurrency, circuit_open).
	RecordSkip(ctx context.Context, forecast, period, reason string, at time.Time) error
	// RecordDuplicateJob counts one extra Clari job found for a create
	// intent of the target (and cancelled).
	RecordDuplicateJob(ctx context.Context, forecast, period string, at time.Time) error
	// OwnJobIDs returns the ids of the jobs this exporter holds: recorded
	// runs and jobs in flight. Adoption never takes one of them.
	OwnJobIDs(ctx context.Context) (map[string]bool, error)

	// LatestSnapshots returns the newest snapshot of every target, ordered by
	// forecast and period.
	LatestSnapshots(ctx context.Context) ([]snapshot.Snapshot, error)
	// SnapshotHistory returns the newest n snapshots of a target, oldest
	// first (the order snapshot.CompareSwings takes).
	SnapshotHistory(ctx context.Context, forecast, period string, n int) ([]snapshot.Snapshot, error)
	// Runs returns the newest n runs of a target, newest first.
	Runs(ctx context.Context, forecast, period string, n int) ([]Run, error)
	// RecentRuns returns the newest n runs of every target in one read,
	// ordered by forecast and period, newest first within a target.
	RecentRuns(ctx context.Context, n int) ([]Run, error)
	// TargetStates returns the state of every target that has a run, a
	// requeue or a skip, ordered by forecast and period.
	TargetStates(ctx context.Context) ([]TargetState, error)
	// TargetState returns the state of one target (zero counters when it
	// has none): what a finished run re-reads, whatever the number of
	// targets.
	TargetState(ctx context.Context, forecast, period string) (TargetState, error)

	// PruneDeparted deletes everything the store holds of the targets
	// not in keep (they left the config) whose newest activity (a run, a
	// counted skip or requeue) is older than before: runs, snapshots,
	// target state, counters. Targets with a job in flight or an
	// unresolved create intent are kept. It returns the targets pruned,
	// ordered by forecast and period.
	PruneDeparted(ctx context.Context, keep []TargetKey, before time.Time) ([]TargetKey, error)

	// Generation counts committed writes. It moves with every change of
	// the state, so a replica that does not write (a follower) polls it
	// and re-reads TargetStates only when it moved.
	Generation(ctx context.Context) (uint64, error)

	// LoadWatchState and SaveWatchState keep the pipeline watch's state
	// document (watch.go); it also reads OwnJobIDs.
	LoadWatchState(ctx context.Context, name string) ([]byte, error)
	SaveWatchState(ctx context.Context, name string, doc []byte) error

	// CalendarPeriod returns the newest fiscal period a Clari document
	// stated (ok false when none yet); PutCalendarPeriod replaces it.
	// Package fiscal learns and checks the calendar with it (calendar.go).
	CalendarPeriod(ctx context.Context) (p CalendarPeriod, ok bool, err error)
	PutCalendarPeriod(ctx context.Context, p CalendarPeriod) error

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store. Further calls fail with ErrClosed.
	Close() error
}
