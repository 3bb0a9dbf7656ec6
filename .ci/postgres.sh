# Sourced by .ci/run: starts a private PostgreSQL on 127.0.0.1 (port 55432,
# or the next free one) owned by the postgres OS user and exports
# CLARI_TEST_POSTGRES_DSN for the tests. TCP logins need a real password
# (scram), so the wrong-password tests mean something; the local socket
# trusts the postgres user for set-up only.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgport=55432
while "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport"; [ $? -ne 2 ]; do
  pgport=$((pgport + 1))
done
pgdata=$(mktemp -d /tmp/clari-pg.XXXXXX)
chown postgres "$pgdata"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdata" start >/dev/null
runuser -u postgres -- "$pgbin/psql" -h "$pgdata" -p "$pgport" -U postgres -qc \
  "CREATE ROLE clari LOGIN PASSWORD 'ci-pg-secret';" >/dev/null
runuser -u postgres -- "$pgbin/psql" -h "$pgdata" -p "$pgport" -U postgres -qc \
  "CREATE DATABASE clari OWNER clari;" >/dev/null
export CLARI_TEST_POSTGRES_DSN="postgres://clari:ci-pg-secret@127.0.0.1:$pgport/clari?sslmode=disable"
trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true' EXIT
