#!/usr/bin/env bash
# Cold chain at scale (issue 14): one year of minute readings for one fridge (525,600
# rows, ~20 MB, with 4 excursions of 45 minutes), imported with `mesoledger import
# readings` into a fresh demo database, then GET /api/v1/fridges/{id}/readings for the
# last 30 days (43,200 readings) timed N times, one client.
#
#   scripts/bench-readings.sh [path/to/mesoledger] [requests]
#   PG_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-readings.sh ...
#
# SQLite always; PostgreSQL too when PG_URL names a server (a database is created there
# and dropped at the end). Builds nothing: pass a release binary (cargo build --release
# first). Needs curl, jq, python3, GNU time, and psql for PostgreSQL.
set -euo pipefail
BIN=$(realpath "${1:-target/release/mesoledger}")
N="${2:-50}"
WORK=$(mktemp -d)
PID=""
PGDB=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
  if [ -n "$PGDB" ]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A year up to the last whole minute: 4.0 to 5.9 °C, and 10.x °C for 45 minutes at each
# fifth of the year (over the default 30-minute tolerance: 4 excursions).
python3 - "$WORK/year.csv" <<'PY'
import datetime, sys
end = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
n = 365 * 24 * 60
start = end - datetime.timedelta(minutes=n)
warm = {n // 5 * k + j for k in range(1, 5) for j in range(45)}
with open(sys.argv[1], "w") as f:
    f.write("fridge,at,celsius\n")
    for i in range(n):
        t = (start + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        c = f"10.{i % 10}" if i in warm else f"{4 + i % 2}.{i % 10}"
        f.write(f"Bench fridge,{t},{c}\n")
PY

run() { # label database-url
  local label="$1" url="$2" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local base="http://127.0.0.1:$port"
  "$BIN" serve --demo --bind "127.0.0.1:$port" --database-url "$url" \
    --demo-credentials "$WORK/demo.env" >"$WORK/serve-$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 150); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  # shellcheck disable=SC1091
  . "$WORK/demo.env"
  local auth="Authorization: Bearer $MANAGER_TOKEN" fridge
  fridge=$(curl -fsS -X POST "$base/api/v1/fridges" -H "$auth" -H 'Content-Type: application/json' \
    -d '{"name":"Bench fridge"}' | jq -r .id)

  echo "== $label: import of $(($(wc -l <"$WORK/year.csv") - 1)) readings ($(du -h "$WORK/year.csv" | cut -f1)), $(date -u +%FT%TZ)"
  /usr/bin/time -f "import: %e s wall, %U s user, %M KB max RSS" \
    "$BIN" --database-url "$url" import readings --clinic "$CLINIC_ID" "$WORK/year.csv"
  echo "excursions listed: $(curl -fsS "$base/api/v1/fridges/$fridge/excursions" -H "$auth" | jq length)"
  /usr/bin/time -f "the same file again (every time known): %e s wall" \
    "$BIN" --database-url "$url" import readings --clinic "$CLINIC_ID" "$WORK/year.csv"

  local to from path
  to=$(date -u +%FT%H:%M:%SZ)
  from=$(date -u -d '30 days ago' +%FT%H:%M:%SZ)
  path="/api/v1/fridges/$fridge/readings?from=$from&to=$to"
  echo "30-day chart: $(curl -fsS "$base$path" -H "$auth" | jq length) readings, $(curl -fsS "$base$path" -H "$auth" | wc -c) bytes"
  : >"$WORK/times"
  for _ in $(seq 1 "$N"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' "$base$path" -H "$auth" >>"$WORK/times"
  done
  sort -n "$WORK/times" | awk -v n="$N" '
    { t[NR] = $1 * 1000 }
    END { printf "30-day chart, %d requests: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
          n, t[int(NR * 0.50 + 0.5)], t[int(NR * 0.99 + 0.5)], t[NR] }'
  kill "$PID" && wait "$PID" 2>/dev/null || true
  PID=""
}

run sqlite "$WORK/readings.db"
if [ -n "${PG_URL:-}" ]; then
  PGDB="mesoledger_bench_readings_$$"
  psql -q "$PG_URL" -c "CREATE DATABASE $PGDB" >/dev/null
  run postgres "${PG_URL%/*}/$PGDB"
fi
