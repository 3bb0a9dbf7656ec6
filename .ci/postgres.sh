# Sourced by .ci/run: starts a private PostgreSQL on 127.0.0.1:55432 owned by
# the postgres OS user and exports CLARI_TEST_POSTGRES_DSN for the tests.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdata=$(mktemp -d /tmp/clari-pg.XXXXXX)
chown postgres "$pgdata"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p 55432 -k $pgdata" start >/dev/null
runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 55432 -U postgres -qc \
  "CREATE ROLE clari LOGIN PASSWORD 'ci-pg-secret'; CREATE DATABASE clari OWNER clari;" >/dev/null
export CLARI_TEST_POSTGRES_DSN="postgres://clari:ci-pg-secret@127.0.0.1:55432/clari?sslmode=disable"
trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true' EXIT
