// Package landing is the exporter's own landing page, in the spirit of
// blackbox_exporter's: the configured targets with their last run, the
// runs in flight, the recent runs and links to the endpoints and the docs.
// It is plain HTML (no JavaScript) and reads the state its producers
// publish through the small interfaces declared here; it shows nothing
// secret (no key, no DSN, no URL with credentials).
package landing
