#!/usr/bin/env bash
# The HTTP create path against the store-level create path, at the same concurrency, on
# one PostgreSQL, interleaved:
#
#   bash bench/http/run.sh   # HTTP_CONNECTIONS=64 HTTP_DURATION=10 HTTP_ROUNDS=3
#                            # HTTP_AI=false HTTP_RULES=false HTTP_POOL=<connections + 2>
#                            # HTTP_PORT=8804 HTTP_WAITS=false HTTP_TIMELINE=0
#                            # HTTP_SERVER_BIN=… HTTP_LOAD_BIN=… (built ones, else built here)
#
# Each round runs `wrk -c HTTP_CONNECTIONS` creating tickets through a release
# ticket-server on a fresh database (PostgreSQL store, pool of HTTP_POOL connections, the
# AI as HTTP_AI), then step 1 of the load bench (`cargo bench -p ticket-store-postgres --bench load`,
# `TICKET_BENCH_ONLY_CREATES=1`) with as many clients calling `HelpDesk::create_ticket`
# over a pool of the same size; each side first runs one second of its load unmeasured
# (connections opened, statements prepared). The server does the bench's work by default: AI off and
# no default rules (HTTP_RULES=true installs them: the routing rule then fires on every
# create, and reads the agents' loads and the rotation when an agent is online; the
# bench's only account is the offline super-admin, so it reads them once per
# TICKET_ACTOR_CACHE_SECS). One table: both rates and p99s
# per round and the HTTP rate as a share of the store-level one (target >= 85 %, HTTP
# p99 < 50 ms). The server's background workers run as in production; wrk runs on the
# same machine as both, so report the machine (and what else ran) with the figures.
#
# HTTP_WAITS=true samples, every 50 ms of each HTTP round, what the server's PostgreSQL
# backends are doing (pg_stat_activity's wait events, counted in a loop inside
# PostgreSQL, so the sampler costs one backend and no process per sample) and prints the
# commonest after the round's row: where a slow round waits (a lock, the WAL, I/O, or
# only the CPU).
#
# HTTP_TIMELINE=N (N > 0) runs no rounds: it starts the server once and runs N one-second
# `wrk` windows back to back, printing each window's time, req/s, p99 and max, so that a
# stall (one slow second) can be told from a heavier tail and dated against PostgreSQL's
# log. The first window includes the connections' set-up.
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres` (as `.ci/test` starts
# it), psql, pgbench and wrk (installed from Debian's packages when missing). Not part
# of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."

conns=${HTTP_CONNECTIONS:-64}
secs=${HTTP_DURATION:-10}
rounds=${HTTP_ROUNDS:-3}
ai=${HTTP_AI:-false}
rules=${HTTP_RULES:-false}
pool=${HTTP_POOL:-$((conns + 2))}
waits=${HTTP_WAITS:-false}
timeline=${HTTP_TIMELINE:-0}
port=${HTTP_PORT:-8804}
pg="postgres://postgres@127.0.0.1:5432"
db=ticket_http_bench

pg_isready -q -h 127.0.0.1 -p 5432 || { echo "no PostgreSQL on 127.0.0.1:5432" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
server=${HTTP_SERVER_BIN:-}
if [ -z "$server" ]; then
  cargo build --release -q -p ticket-examples --bin ticket-server
  server=target/release/ticket-server
fi
load_bin=${HTTP_LOAD_BIN:-}
if [ -z "$load_bin" ]; then
  load_bin=$(cargo bench -p ticket-store-postgres --bench load --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "load" and m.get("executable"):
        print(m["executable"])')
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

pass="Load-Test-Pass-9431"
server_pid=
# The server runs only during its own rounds: its pool and the bench's together would
# pass PostgreSQL's default max_connections (100).
start_server() {
  TICKET_BIND=127.0.0.1:$port TICKET_DATABASE_URL="$pg/$db" TICKET_DATABASE_MAX_CONNECTIONS=$pool \
    TICKET_AI_ENABLED=$ai TICKET_INSTALL_DEFAULT_RULES=$rules TICKET_DATA_DIR="$work/data" TICKET_ADMIN_EMAIL=bench@example.com \
    TICKET_ADMIN_PASSWORD="$pass" RUST_LOG=warn "$server" >>"$work/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && return 0; sleep 0.5; done
  echo "the server did not start:" >&2; tail -5 "$work/server.log" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
# A fresh database and the server started on it, signed in as its admin ($token): each
# HTTP round starts on an empty table, as each store-level round does on its own schema
# (on one database, round k met the tickets of the k - 1 rounds before it).
fresh_server() {
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db" -qc "create database $db" postgres
  start_server
  token=$(curl -fs -H 'content-type: application/json' \
    -d "{\"login\":\"bench@example.com\",\"password\":\"$pass\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}
body='{"title":"Printer on fire","description":"The office printer smokes when it prints, and the paper tray jams after every page."}'

# The create load for $1 (a wrk duration), with wrk's latency distribution.
create_load() {
  PEER_AUTH="Bearer $token" PEER_BODY="$body" wrk -t2 -c"$conns" -d"$1" --latency \
    -s bench/peer/post.lua "http://127.0.0.1:$port/api/v1/tickets"
}
# wrk once: "<req/s> <p99 ms> <non-2xx>", after one second of the same load unmeasured
# (connections opened, statements prepared), as the load bench warms up before its window.
http_round() {
  local out
  create_load 1s >/dev/null
  out=$(create_load "${secs}s")
  awk '/^Requests\/sec:/ {r=$2}
       $1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; p=v}
       /Non-2xx or 3xx responses:/ {b=$5}
       END {print r, p, (b == "" ? 0 : b)}' <<<"$out"
}
# With HTTP_WAITS=true: a loop inside PostgreSQL that records the wait events of the
# bench database's active backends every 50 ms into postgres.bench_waits, until killed.
waits_start() {
  [ "$waits" = true ] || return 0
  psql -h 127.0.0.1 -U postgres -qc "drop table if exists bench_waits" \
    -qc "create unlogged table bench_waits (sample int, backend text, wait text, n int)" postgres
  psql -h 127.0.0.1 -U postgres -q postgres >/dev/null 2>&1 <<SQL &
do \$\$ declare i int := 0; begin loop
  i := i + 1;
  insert into bench_waits
    select i, backend_type, coalesce(wait_event_type || ':' || wait_event, 'on CPU'), count(*)
    from pg_stat_activity where datname = '$db' and state = 'active' group by 2, 3;
  commit;
  perform pg_sleep(0.05);
end loop; end \$\$;
SQL
  sampler_pid=$!
}
# Stops the sampler and prints the round's commonest waits: backends waiting on each, on
# average over the samples.
waits_report() {
  [ "$waits" = true ] || return 0
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -Atqc "select pg_terminate_backend(pid) from pg_stat_activity where query like 'do \$\$ declare i int%' and pid <> pg_backend_pid()" postgres >/dev/null
  psql -h 127.0.0.1 -U postgres -AtqF ' ' -c "
    select '  waits:', string_agg(format('%s %s %s', backend, wait, round(total::numeric / nullif(samples, 0), 2)), ', ' order by total desc)
    from (select backend, wait, sum(n) total, (select max(sample) from bench_waits) samples
          from bench_waits group by 1, 2 order by 3 desc limit 6) t" postgres
}

# step 1 of the load bench once: "<tickets/s> <p99 ms> <pgbench tps>"
store_round() {
  TICKET_BENCH_POSTGRES_URL="$pg/test" TICKET_BENCH_CLIENTS=$conns TICKET_BENCH_SECONDS=$secs \
    TICKET_BENCH_ONLY_CREATES=1 "$load_bin" --bench 2>/dev/null |
    sed -n 's/.*create, *[0-9]* clients: *\([0-9.]*\) tickets\/s (p50 [0-9.]* ms, p99 \([0-9.]*\) ms.*pgbench \([0-9.]*\) tps.*/\1 \2 \3/p'
}

if [ "$timeline" -gt 0 ]; then
  fresh_server
  echo "| second (UTC, end) | req/s | p99 | max |"
  echo "|---|---|---|---|"
  for _ in $(seq 1 "$timeline"); do
    out=$(create_load 1s)
    awk -v t="$(date -u +%T)" '/^Requests\/sec:/ {r=$2} $1 == "99%" {p=$2} $1 == "Latency" && $2 != "Distribution" {m=$4}
      END {printf "| %s | %.0f | %s | %s |\n", t, r, p, m}' <<<"$out"
  done
  stop_server
  exit 0
fi

echo "$(date -u '+%F %H:%M') UTC, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $conns connections/clients, ${secs} s each, AI $ai, default rules $rules, pool $pool"
echo
echo "| round | HTTP req/s | HTTP p99 ms | non-2xx | HelpDesk tickets/s | HelpDesk p99 ms | HTTP / HelpDesk | pgbench tps |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  fresh_server
  waits_start
  read -r hr hp hb <<<"$(http_round)"
  report=$(waits_report)
  stop_server
  read -r sr sp pb <<<"$(store_round)"
  awk -v n="$round" -v hr="$hr" -v hp="$hp" -v hb="$hb" -v sr="$sr" -v sp="$sp" -v pb="$pb" 'BEGIN {
    printf "| %d | %.0f | %.1f | %d | %.0f | %.1f | %.0f%% | %.0f |\n", n, hr, hp, hb, sr, sp, (sr > 0 ? 100 * hr / sr : 0), pb }'
  [ -z "$report" ] || echo "$report"
done
