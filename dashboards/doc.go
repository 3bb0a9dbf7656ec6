// Package dashboards builds the Grafana dashboards shipped with
// clari_exporter with grafana-foundation-sdk's typed builders and renders
// them to JSON. The JSON in
// grafana/ is generated; edit the builders here and run
//
//	go generate ./dashboards
//
// The tests fail when the committed JSON differs from what the builders
// produce, so the two cannot drift apart.
package dashboards

//go:generate go run ./gen -out grafana
