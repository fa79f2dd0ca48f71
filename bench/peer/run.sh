#!/usr/bin/env bash
# Side by side on one PostgreSQL: our ticket-server against django-helpdesk (from PyPI,
# served by gunicorn), the same wrk loads against each, interleaved, then one table.
#
#   bash bench/peer/run.sh        # PEER_DURATION=15s PEER_CONNECTIONS=64 PEER_ROUNDS=2
#
# Needs a PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres` (as `.ci/test`
# starts it). Installs wrk from Debian's packages and django-helpdesk, djangorestframework,
# gunicorn and psycopg into a cached venv (~/.cache/ticket-bench/peer-venv) when missing.
# Not part of CI. Both servers get the machine's cores; wrk runs on the same machine, so
# report the machine with the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/peer

duration=${PEER_DURATION:-15s}
conns=${PEER_CONNECTIONS:-64}
threads=${PEER_THREADS:-2}
seed=${PEER_SEED_TICKETS:-1000}
rounds=${PEER_ROUNDS:-2}
pg="postgres://postgres@127.0.0.1:5432"
cache="$HOME/.cache/ticket-bench"
venv="$cache/peer-venv"

pg_isready -q -h 127.0.0.1 -p 5432 || { echo "no PostgreSQL on 127.0.0.1:5432 (run .ci/test's set-up first)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! "$venv/bin/python" -c 'import helpdesk, rest_framework, gunicorn, psycopg' 2>/dev/null; then
  rm -rf "$venv" && mkdir -p "$cache" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q "django-helpdesk[teams]" djangorestframework gunicorn "psycopg[binary]"
fi
server=${PEER_SERVER_BIN:-target/release/ticket-server}
if [ -z "${PEER_SERVER_BIN:-}" ]; then
  cargo build --release -q -p ticket-examples --bin ticket-server
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

for db in helpdesk_peer ticket_peer; do
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db" -qc "create database $db" postgres
done

wait_for() { # url
  for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "no answer from $1" >&2; exit 1
}

# django-helpdesk: a site around the app, migrated, a staff user with an API token.
site="$work/site"
mkdir -p "$site/peersite"
cp "$here/settings.py" "$site/peersite/settings.py"
touch "$site/peersite/__init__.py"
printf '%s\n' 'from django.urls import include, path' \
  'urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]' >"$site/peersite/urls.py"
printf '%s\n' 'import os' 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")' \
  'from django.core.wsgi import get_wsgi_application' 'application = get_wsgi_application()' >"$site/peersite/wsgi.py"
export PEER_DB=helpdesk_peer DJANGO_SETTINGS_MODULE=peersite.settings
(cd "$site" && "$venv/bin/python" -m django migrate -v0 2>/dev/null)
read -r dj_token dj_queue < <(cd "$site" && PYTHONPATH=. "$venv/bin/python" "$OLDPWD/$here/setup_peer.py")
(cd "$site" && exec "$venv/bin/gunicorn" -w "$(nproc)" -b 127.0.0.1:8801 --log-level warning peersite.wsgi:application) &
pids+=($!)

# ours: the PostgreSQL store, the defaults otherwise (AI classification on).
admin_pass="Load-Test-Pass-9431"
TICKET_BIND=127.0.0.1:8802 TICKET_DATABASE_URL="$pg/ticket_peer" TICKET_DATA_DIR="$work/data" \
  TICKET_ADMIN_EMAIL=bench@example.com TICKET_ADMIN_PASSWORD="$admin_pass" RUST_LOG=warn \
  "$server" >"$cache/peer-server.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:8802/readyz
wait_for http://127.0.0.1:8801/helpdesk/api/ 2>/dev/null || true
token=$(curl -fs -H 'content-type: application/json' \
  -d "{\"login\":\"bench@example.com\",\"password\":\"$admin_pass\"}" \
  http://127.0.0.1:8802/api/v1/auth/login | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

ours_auth="Bearer $token"
dj_auth="Token $dj_token"
ours_body='{"title":"Printer on fire","description":"The office printer smokes when it prints."}'
dj_body="{\"queue\":$dj_queue,\"title\":\"Printer on fire\",\"description\":\"The office printer smokes when it prints.\",\"submitter_email\":\"bench@example.com\",\"priority\":3}"
ours_create=http://127.0.0.1:8802/api/v1/tickets
dj_create=http://127.0.0.1:8801/helpdesk/api/tickets/

# Seed both to $seed tickets, so the list loads read a page of a real table.
"$venv/bin/python" - "$seed" <<PY
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
n = int(sys.argv[1])
def post(url, auth, body):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": auth})
    urllib.request.urlopen(req).read()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda _: post("$ours_create", "$ours_auth", '$ours_body'), range(n)))
    list(pool.map(lambda _: post("$dj_create", "$dj_auth", '$dj_body'), range(n)))
PY

# wrk once; prints "<req/s> <p99 ms> <non-2xx>"
load() { # auth body-or-empty url
  local out
  if [ -n "$2" ]; then
    out=$(PEER_AUTH="$1" PEER_BODY="$2" wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/post.lua" "$3")
  else
    out=$(PEER_AUTH="$1" wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/get.lua" "$3")
  fi
  local rps p99 bad
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  echo "$rps $p99 ${bad:-0}"
}

declare -A sum_rps sum_p99 sum_bad
for key in ours_create dj_create ours_list dj_list; do sum_rps[$key]=0; sum_p99[$key]=0; sum_bad[$key]=0; done
add() { # key "rps p99 bad"
  read -r r p b <<<"$2"
  sum_rps[$1]=$(awk -v a="${sum_rps[$1]}" -v b="$r" 'BEGIN {print a + b}')
  sum_p99[$1]=$(awk -v a="${sum_p99[$1]}" -v b="$p" 'BEGIN {print a + b}')
  sum_bad[$1]=$((sum_bad[$1] + b))
}
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds: create, list ($duration each, $conns connections)" >&2
  add ours_create "$(load "$ours_auth" "$ours_body" "$ours_create")"
  add dj_create "$(load "$dj_auth" "$dj_body" "$dj_create")"
  add ours_list "$(load "$ours_auth" "" "$ours_create?limit=25")"
  add dj_list "$(load "$dj_auth" "" "$dj_create")"
done

row() { # label ours-key dj-key
  awk -v l="$1" -v n="$rounds" -v or="${sum_rps[$2]}" -v op="${sum_p99[$2]}" -v ob="${sum_bad[$2]}" \
      -v dr="${sum_rps[$3]}" -v dp="${sum_p99[$3]}" -v db="${sum_bad[$3]}" 'BEGIN {
    printf "| %s | %.0f | %.1f | %d | %.1f | %.1f | %d | %.0f× |\n", l, or/n, op/n, ob, dr/n, dp/n, db, (dr > 0 ? or/dr : 0) }'
}
echo
echo "$(date -u +%F), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), wrk -t$threads -c$conns -d$duration, $rounds interleaved rounds (means)"
echo
echo "| load | ours req/s | ours p99 ms | ours non-2xx | django-helpdesk req/s | its p99 ms | its non-2xx | ratio |"
echo "|---|---|---|---|---|---|---|---|"
row "create ticket" ours_create dj_create
row "list a page ($seed+ tickets)" ours_list dj_list
