// Package landing is the exporter's own landing page, in the spirit of
// blackbox_exporter's: what an on-call needs to act without opening a
// shell. Every configured target with its last run (and the error that run
// logged), a sparkline of its last runs, its re-queues, skips, anomalous
// swings and warehouse drift; the audit's failing checks beside readiness;
// the runs in flight; the recent runs, each linking to a run page with its
// record and the log lines it left (package runlog); the pipeline watch.
// It is plain HTML with inline SVG (no JavaScript) and reads the state its
// producers publish; it shows nothing secret (no key, no DSN, no URL with
// credentials) and no revenue figure (a swing shows as a ratio).
package landing
