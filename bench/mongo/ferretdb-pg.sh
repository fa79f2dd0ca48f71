#!/usr/bin/env bash
# A second FerretDB 1.24.2 for the stores benchmark, on the PostgreSQL backend, which
# pushes simple equality filters down to PostgreSQL (the SQLite backend pushes down only
# `{_id: …}`). Tests and CI keep the SQLite backend of `.ci/test`; this is for
# `cargo bench -p ticket-examples --bench stores` only:
#
#   bash bench/mongo/ferretdb-pg.sh
#   TICKET_BENCH_MONGO_URL=mongodb://127.0.0.1:27018 cargo bench -p ticket-examples --bench stores
#
# Idempotent: installs nothing that is there, creates the database `ferretdb` only when
# missing, starts the server only when nothing answers on its port. Needs a running
# PostgreSQL (`.ci/test` starts one) and Go (for the FerretDB binary, as `.ci/test`).
# Environment: FERRETDB_PG_PORT (27018), FERRETDB_PG_DEBUG_PORT (8089: the SQLite one has
# 8088), PGHOST (127.0.0.1), PGPORT (5432),
# PGUSER (postgres; trust or ~/.pgpass auth), TICKET_CI_CACHE (~/.cache/ticket-ci).
set -euo pipefail

port="${FERRETDB_PG_PORT:-27018}"
pg_host="${PGHOST:-127.0.0.1}"
pg_port="${PGPORT:-5432}"
pg_user="${PGUSER:-postgres}"
cache="${TICKET_CI_CACHE:-$HOME/.cache/ticket-ci}"
gobin="$cache/go/bin"
state="$cache/ferretdb-pg"

if ! [ -x "$gobin/ferretdb" ]; then
  GOBIN="$gobin" go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2
fi

if ! psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" | grep -q 1; then
  psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -c 'CREATE DATABASE ferretdb'
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "something already listens on 127.0.0.1:$port: not starting FerretDB"
  exit 0
fi

mkdir -p "$state"
nohup "$gobin/ferretdb" \
  --handler=postgresql \
  --postgresql-url="postgres://$pg_user@$pg_host:$pg_port/ferretdb" \
  --state-dir="$state" \
  --listen-addr="127.0.0.1:$port" \
  --debug-addr="127.0.0.1:${FERRETDB_PG_DEBUG_PORT:-8089}" \
  --telemetry=disable \
  --log-level=warn \
  >"$state/ferretdb.log" 2>&1 &
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "FerretDB (PostgreSQL backend) listens on mongodb://127.0.0.1:$port"
    exit 0
  fi
  sleep 0.2
done
echo "FerretDB did not start; see $state/ferretdb.log" >&2
exit 1
