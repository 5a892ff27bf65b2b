#!/usr/bin/env bash
# bench.sh: every performance figure of docs/BENCHMARKS.md in one run, one table.
#
#   scripts/bench.sh                 # the budget's size: 5,000 products, 200,000 lots,
#                                    # 2,000,000 movements, 1,000,000 sessions
#   SIZE=small scripts/bench.sh      # the seeder's defaults (a tenth), for a quick look
#   BACKENDS=sqlite scripts/bench.sh # one backend only
#
# For each backend it seeds a fresh database (examples/seed.rs), then measures with the
# release binary: the four stock views (scripts/bench-views.sh, sequential and 4 clients),
# the traceability export against the database's own CSV writer on the same rows
# (PostgreSQL `COPY … TO STDOUT`, the `sqlite3` CLI) with the server's peak RSS, and the
# session load generator (examples/loadgen.rs) on the one-clinic hot spot and spread over
# 16 clinics. PostgreSQL is PG_URL (default: the local server over loopback, no TLS).
# BIN_DIR=dir uses mesoledger, seed and loadgen from dir instead of building them (copy
# them there first, so a rebuild cannot swap them mid-run).
# Needs: curl, sqlite3, psql, bc.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-full}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
case $SIZE in
  full) SEED_ARGS=(--products 5000 --lots 200000 --movements 2000000 --sessions 1000000); LOAD=8000 ;;
  small) SEED_ARGS=(); LOAD=2000 ;;
  *) echo "SIZE is full or small" >&2; exit 2 ;;
esac

if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release --quiet --bin mesoledger --example seed --example loadgen
  mkdir -p target/release/bench && BIN_DIR=$PWD/target/release/bench
  cp target/release/mesoledger target/release/examples/seed target/release/examples/loadgen "$BIN_DIR"/
fi
BIN=$BIN_DIR/mesoledger
WORK=$(mktemp -d /tmp/mesoledger-bench.XXXXXX)
ROWS=$WORK/rows.txt
: > "$ROWS"
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$ROWS"; }
echo "working in $WORK; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# The traceability export's rows, as the service selects them (db::exports::traceability).
trace_sql() {
  cat <<SQL
SELECT s.id, s.performed_at, s.patient_ref, st.name, s.area, s.method, fv.name, s.formulation_version,
  p.sku, p.name, p.gtin, l.lot_number, l.expires_on, u.quantity, p.stock_unit, s.status, s.override_reason
FROM sessions s JOIN session_usage u ON u.session_id = s.id JOIN staff st ON st.id = s.practitioner_id
JOIN products p ON p.id = u.product_id JOIN lots l ON l.id = u.lot_id
LEFT JOIN formulation_versions fv ON fv.formulation_id = s.formulation_id AND fv.version = s.formulation_version
WHERE s.clinic_id = '$1' ORDER BY s.performed_at, s.id, u.position
SQL
}

seconds() { local t0=$1; echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc; }

for b in $BACKENDS; do
  if [ "$b" = sqlite ]; then
    URL=$WORK/bench.db
  else
    DB=mesoledger_bench_$$
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    URL=${PG_URL/\/postgres\?/\/$DB?}
  fi
  echo "== $b: seeding" >&2
  t0=$(date +%s%N)
  "$BIN_DIR"/seed --database-url "$URL" "${SEED_ARGS[@]}" --skip-full-check > "$WORK/$b.env"
  echo "seeded in $(seconds "$t0") s" >&2
  # shellcheck disable=SC1090
  source "$WORK/$b.env"

  echo "== $b: stock views" >&2
  for clients in 1 4; do
    n=$((clients == 1 ? 100 : 50))
    PORT=18731 scripts/bench-views.sh "$BIN" "$WORK/$b.env" "$URL" "$n" "$clients" |
      while read -r view _ _ p50 p99 _; do
        row "$b" "$view, $clients client(s): p50 / p99" "${p50#p50=} / ${p99#p99=}"
      done
  done

  echo "== $b: traceability export against the database's own CSV" >&2
  PORT=18732
  DATABASE_URL=$URL RUST_LOG=warn "$BIN" serve --bind 127.0.0.1:$PORT >> "$WORK/server.log" 2>&1 &
  PID=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.05; done
  before=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  t0=$(date +%s%N)
  lines=$(curl -sf -H "Authorization: Bearer $AUDITOR" "http://127.0.0.1:$PORT/api/v1/exports/traceability.csv" | wc -l)
  ours=$(seconds "$t0")
  peak=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
  kill -INT $PID; wait $PID || true
  t0=$(date +%s%N)
  if [ "$b" = sqlite ]; then
    sqlite3 -csv "$URL" "$(trace_sql "$CLINIC")" > /dev/null
  else
    psql "$URL" -qc "COPY ($(trace_sql "$CLINIC")) TO STDOUT WITH CSV" > /dev/null
  fi
  ref=$(seconds "$t0")
  rows=$((lines - 1))
  row "$b" "traceability CSV, $rows rows: ours / reference" \
    "$(echo "$rows / $ours" | bc) / $(echo "$rows / $ref" | bc) rows/s = $(echo "scale=2; $ref / $ours" | bc)x"
  row "$b" "export server RSS: idle / peak" "$((before / 1024)) / $((peak / 1024)) MB"

  echo "== $b: sessions (loadgen, 16 clients, 3 items a session)" >&2
  lg=()
  [ "$b" = postgres ] && lg=(--database-url "$PG_URL")
  for clinics in 1 16; do
    out=$("$BIN_DIR"/loadgen "${lg[@]}" --clients 16 --clinics $clinics --sessions $LOAD 2>> "$WORK/loadgen.log")
    rate=$(sed -n 's/.* rate=\([^ ]*\).*/\1/p' <<< "$out")
    p99=$(sed -n 's/.* p99=\([^ ]*\).*/\1/p' <<< "$out")
    errors=$(sed -n 's/.* errors=\([^ ]*\).*/\1/p' <<< "$out")
    row "$b" "sessions over HTTP, $clinics clinic(s): rate, p99, errors" "$rate, $p99, $errors"
  done
  if [ "$b" = postgres ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; fi
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '\n| backend | figure | value |\n| --- | --- | --- |\n'
awk -F'\t' '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$ROWS"
rm -rf "$WORK"
