package store

// The pipeline watch's durable state: one opaque document (the watch
// package's JSON: watermark, counted job ids, counters) per name, and the ids
// of the jobs this exporter made, so the watch never counts them as the
// pipeline's. Kept apart from the run schema on purpose: the table is
// created on first use, and both statements are portable SQL.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const createWatchState = `CREATE TABLE IF NOT EXISTS watch_state (
	name       TEXT PRIMARY KEY,
	doc        TEXT NOT NULL,
	updated_ns BIGINT NOT NULL
)`

// LoadWatchState returns the document saved under name, nil when none.
func (s *core) LoadWatchState(ctx context.Context, name string) ([]byte, error) {
	var doc []byte
	err := s.write(ctx, func(tx txn) error {
		if _, err := tx.exec(ctx, createWatchState); err != nil {
			return fmt.Errorf("store: create watch_state: %w", err)
		}
		var text string
		err := tx.queryRow(ctx, `SELECT doc FROM watch_state WHERE name = ?`, name).Scan(&text)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: read watch_state %q: %w", name, err)
		}
		doc = []byte(text)
		return nil
	})
	return doc, err
}

// SaveWatchState replaces the document saved under name, atomically.
func (s *core) SaveWatchState(ctx context.Context, name string, doc []byte) error {
	return s.write(ctx, func(tx txn) error {
		if _, err := tx.exec(ctx, createWatchState); err != nil {
			return fmt.Errorf("store: create watch_state: %w", err)
		}
		_, err := tx.exec(ctx, `INSERT INTO watch_state (name, doc, updated_ns) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET doc = excluded.doc, updated_ns = excluded.updated_ns`,
			name, string(doc), time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("store: save watch_state %q: %w", name, err)
		}
		return nil
	})
}

// OwnJobIDs returns the ids of the export jobs this exporter made that the
// store still knows: recorded runs and jobs in flight.
func (s *core) OwnJobIDs(ctx context.Context) (map[string]bool, error) {
	ids := map[string]bool{}
	err := s.read(ctx, func(tx txn) error {
		rows, err := tx.query(ctx, `SELECT job_id FROM runs WHERE job_id IS NOT NULL AND job_id <> ''
			UNION SELECT job_id FROM inflight`)
		if err != nil {
			return fmt.Errorf("store: own job ids: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("store: own job ids: %w", err)
			}
			ids[id] = true
		}
		return rows.Err()
	})
	return ids, err
}
