#!/usr/bin/env bash
# bench-views.sh BIN ENVFILE DATABASE_URL [N] [CLIENTS]
# Starts BIN on DATABASE_URL, then for each stock view sends one warm-up and N requests
# from each of CLIENTS parallel curl clients (kept-alive connection each), and prints
# p50 / p99 / max of the time per request. ENVFILE is what examples/seed printed.
set -euo pipefail
BIN=$1; ENVF=$2; URL=$3; N=${4:-100}; CLIENTS=${5:-1}
source "$ENVF"
PORT=${PORT:-18731}
B=http://127.0.0.1:$PORT
DATABASE_URL=$URL RUST_LOG=warn "$BIN" serve --bind 127.0.0.1:$PORT >>/tmp/bench-views-server.log 2>&1 &
PID=$!
trap 'kill -INT $PID; wait $PID || true' EXIT
until curl -sf -o /dev/null "$B/healthz"; do sleep 0.05; done
for v in /api/v1/stock /api/v1/alerts /api/v1/forecast /api/v1/reorder-suggestions; do
  args=(); for _ in $(seq "$N"); do args+=(-o /dev/null "$B$v"); done
  curl -sf -o /dev/null -H "Authorization: Bearer $MANAGER" "$B$v"
  for _ in $(seq "$CLIENTS"); do
    curl -s -H "Authorization: Bearer $MANAGER" -w '%{http_code} %{time_total}\n' "${args[@]}" &
  done | awk '$1 != 200 {bad++} {print $2} END {if (bad) print "NON-200: " bad > "/dev/stderr"}' |
    sort -n | awk -v p="$v" -v c="$CLIENTS" '{a[NR]=$1*1000}
      END {i50=int(NR*.5); if (i50<NR*.5) i50++; i99=int(NR*.99); if (i99<NR*.99) i99++;
           printf "%-28s clients=%d n=%d p50=%.1fms p99=%.1fms max=%.1fms\n", p, c, NR, a[i50], a[i99], a[NR]}'
done
