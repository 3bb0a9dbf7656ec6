// Package deploy holds no code: it is the home of the deployment examples
// (prometheus.yml, alertmanager.yml, Grafana provisioning, the example
// exporter and web configs) and of the tests that validate them and the
// repository's docker-compose.yml and Dockerfile.
package deploy
