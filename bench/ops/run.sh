#!/usr/bin/env bash
# Start-up and memory of ticket-server on a 1,000,000-ticket database, SQLite and
# PostgreSQL, in one table:
#
#   bash bench/ops/run.sh     # OPS_TICKETS=1000000 OPS_STORES="sqlite postgres"
#                             # OPS_DURATION=15s OPS_CONNECTIONS=64 OPS_TEMPLATES=300
#                             # OPS_PORT=8803 OPS_PG_DB=ticket_ops
#
# For each store: a fresh database; the release server started on it once, and
# OPS_TEMPLATES tickets created through the API (titles and descriptions from the shared
# ticket data when present), so the store itself writes every kind of row; the server
# stopped; then the table filled to OPS_TICKETS by bulk SQL that copies those rows with
# new ids and times (bench/ops/seed_*.sql: `generate_series` on PostgreSQL, a recursive
# CTE on SQLite; creation times over two years, next SLA checks over the coming week, so
# the server's sweep meets about 100 due tickets a minute). Then, timed: start → first
# `/readyz` 200; resident memory (VmRSS) idle 5 s later; VmRSS sampled every 0.2 s under
# `wrk -c OPS_CONNECTIONS` listing the first page, then creating tickets; and the peak
# (VmHWM). The database files are warm in the page cache (the seed just wrote them).
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres` (as `.ci/test` starts
# it), psql, sqlite3 and wrk (installed from Debian's packages when missing). Not part of
# CI. Other processes on the machine skew the figures: report the machine with them.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/ops

tickets=${OPS_TICKETS:-1000000}
stores=${OPS_STORES:-sqlite postgres}
duration=${OPS_DURATION:-15s}
conns=${OPS_CONNECTIONS:-64}
templates=${OPS_TEMPLATES:-300}
batch=${OPS_BATCH:-100000}
pg_admin="postgres://postgres@127.0.0.1:5432"
pg_db=${OPS_PG_DB:-ticket_ops}
port=${OPS_PORT:-8803}
base="http://127.0.0.1:$port"
admin_email=runner@example.com
admin_pass="Quiet-Harbor-Lamp-7731"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v psql >/dev/null || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
server=${OPS_SERVER_BIN:-target/release/ticket-server}
if [ -z "${OPS_SERVER_BIN:-}" ]; then
  cargo build --release -q -p ticket-examples --bin ticket-server
fi

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now_us() { echo $(( $(date +%s%N) / 1000 )); }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
kib() { awk '/^'"$2"':/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# Starts the server on the database ($1 = its URL); sets $pid and $ready_ms.
start_server() {
  local started
  started=$(date +%s%N)
  TICKET_BIND=127.0.0.1:$port TICKET_DATABASE_URL="$1" TICKET_DATA_DIR="$work/data" \
    TICKET_ADMIN_EMAIL=$admin_email TICKET_ADMIN_PASSWORD="$admin_pass" \
    TICKET_AUTH_RATE_BURST=0 TICKET_ACCOUNT_RATE_BURST=0 RUST_LOG=${OPS_LOG:-info} \
    "$server" >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 6000); do
    if curl -fs -o /dev/null "$base/readyz"; then
      ready_ms=$(ms_since "$started")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server stopped" >&2; exit 1; }
    sleep 0.01
  done
  echo "no /readyz 200 within 60 s" >&2
  exit 1
}

stop_server() {
  kill "$pid" && wait "$pid" 2>/dev/null || true
  pid=""
  cp "$work/server.log" "${OPS_SERVER_LOG:-/tmp/ticket-ops-server.log}" 2>/dev/null || true
}

token() {
  curl -fs -H 'content-type: application/json' \
    -d "{\"login\":\"$admin_email\",\"password\":\"$admin_pass\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# OPS_TEMPLATES tickets through the API, from the shared data set when it is there.
create_templates() {
  python3 - "$base" "$(token)" "$templates" <<'PY'
import csv, json, os, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
path = "../shared/data/tickets/train.csv"
rows = []
if os.path.exists(path):
    with open(path, newline="") as f:
        rows = [(r["title"][:200], r["description"][:4000]) for r in csv.DictReader(f)]
rows = [r for r in rows if r[0].strip() and r[1].strip()] or [
    ("Printer on fire", "The office printer smokes when it prints.")]
def post(i):
    title, description = rows[i % len(rows)]
    body = json.dumps({"title": title, "description": description}).encode()
    req = urllib.request.Request(base + "/api/v1/tickets", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    urllib.request.urlopen(req).read()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(post, range(n)))
PY
}

seed_postgres() { # since_us now_us
  local since now start lo
  since=$(date -u -d "@$(( $1 / 1000000 ))" '+%Y-%m-%d %H:%M:%S+00')
  now=$(date -u -d "@$(( $2 / 1000000 ))" '+%Y-%m-%d %H:%M:%S+00')
  start=$(date -u -d "@$(( $2 / 1000000 - 730 * 86400 ))" '+%Y-%m-%d %H:%M:%S+00')
  for ((lo = 0; lo < tickets - templates; lo += batch)); do
    psql "$pg_admin/$pg_db" -q -v ON_ERROR_STOP=1 -v schema=ticket -v lo=$lo \
      -v hi=$(( lo + batch < tickets - templates ? lo + batch : tickets - templates )) \
      -v n=$(( tickets - templates )) -v since="$since" -v start="$start" -v now="$now" \
      -f "$here/seed_postgres.sql"
    echo "    $(( lo + batch < tickets - templates ? lo + batch : tickets - templates )) copies"
  done
  psql "$pg_admin/$pg_db" -q -c "VACUUM ANALYZE" -c "CHECKPOINT"
}

seed_sqlite() { # db since_us now_us
  local lo hi base_seq ts
  base_seq=$(sqlite3 "$1" 'SELECT coalesce(max(seq), 0) + 1 FROM ticket_tickets')
  ts="(strftime('%Y-%m-%dT%H:%M:%S', \\1 \/ 1000000, 'unixepoch') || '.' || printf('%06d', \\1 % 1000000) || 'Z')"
  for ((lo = 0; lo < tickets - templates; lo += batch)); do
    hi=$(( lo + batch < tickets - templates ? lo + batch : tickets - templates ))
    sed -e "s/@LO@/$lo/g; s/@HI@/$hi/g; s/@N@/$(( tickets - templates ))/g" \
      -e "s/@SINCE@/$2/g; s/@NOW@/$3/g; s/@BASE@/$base_seq/g" \
      -e "s/@START@/$(( $3 - 730 * 86400 * 1000000 ))/g" \
      -e "s/@TS:\([a-z_]*\)@/$ts/g" "$here/seed_sqlite.sql" | sqlite3 -bail "$1" >/dev/null
    echo "    $hi copies"
  done
  sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;' >/dev/null
}

# RSS under one wrk load: prints "<req/s> <p99 ms> <max VmRSS KiB>".
under_load() { # lua body-or-empty path
  local auth=$1 body=$2 path=$3 out max=0 sampler
  ( m=0; while kill -0 "$pid" 2>/dev/null; do
      r=$(kib "$pid" VmRSS); [ "${r:-0}" -gt "$m" ] && m=$r && echo "$m" >"$work/rss"
      sleep 0.2; done ) &
  sampler=$!
  if [ -n "$body" ]; then
    out=$(PEER_AUTH="$auth" PEER_BODY="$body" wrk -t2 -c"$conns" -d"$duration" --latency \
      -s bench/peer/post.lua "$base$path")
  else
    out=$(PEER_AUTH="$auth" wrk -t2 -c"$conns" -d"$duration" --latency -s bench/peer/get.lua "$base$path")
  fi
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  max=$(cat "$work/rss"); rm -f "$work/rss"
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.0f", v}' <<<"$out")
  echo "$rps $p99 $max"
}

rows=()
for store in $stores; do
  echo "== $store: $tickets tickets"
  rm -rf "$work/data"
  case $store in
    sqlite) url="sqlite://$work/data/ticket.db" ;;
    postgres)
      psql "$pg_admin/postgres" -qc "DROP DATABASE IF EXISTS $pg_db" -qc "CREATE DATABASE $pg_db"
      url="$pg_admin/$pg_db" ;;
    *) echo "unknown store $store (sqlite or postgres)" >&2; exit 1 ;;
  esac
  since=$(now_us)
  start_server "$url"
  empty_ms=$ready_ms
  create_templates
  stop_server
  seeding=$(date +%s)
  echo "  $templates tickets through the API; copying to $tickets"
  case $store in
    sqlite) seed_sqlite "$work/data/ticket.db" "$since" "$(now_us)" ;;
    postgres) seed_postgres "$since" "$(now_us)" ;;
  esac
  echo "  seeded in $(( $(date +%s) - seeding )) s"
  start_server "$url"
  echo "  start → /readyz: $ready_ms ms (empty database: $empty_ms ms)"
  sleep 5
  idle=$(kib "$pid" VmRSS)
  auth="Bearer $(token)"
  # The copies read back through the API: the oldest page, and one of its tickets.
  oldest=$(curl -fs -H "Authorization: $auth" "$base/api/v1/tickets?sort=created_asc&limit=5" |
    python3 -c 'import json,sys; items=json.load(sys.stdin)["items"]; print(items[0]["id"])')
  curl -fs -o /dev/null -H "Authorization: $auth" "$base/api/v1/tickets/$oldest" ||
    { echo "a seeded ticket does not read back" >&2; exit 1; }
  read -r list_rps list_p99 list_rss < <(under_load "$auth" "" /api/v1/tickets)
  read -r create_rps create_p99 create_rss < <(under_load "$auth" \
    '{"title":"Printer on fire","description":"The office printer smokes when it prints."}' /api/v1/tickets)
  hwm=$(kib "$pid" VmHWM)
  stop_server
  rows+=("| $store | $tickets | $ready_ms | $(mib "$idle") | $(mib "$list_rss") ($list_rps req/s, p99 $list_p99 ms) | $(mib "$create_rss") ($create_rps req/s, p99 $create_p99 ms) | $(mib "$hwm") |")
  echo "  ${rows[-1]}"
done

echo
echo "| store | tickets | start → /readyz ms | idle RSS MiB | RSS MiB listing, wrk -c$conns | RSS MiB creating, wrk -c$conns | peak RSS (VmHWM) MiB |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
