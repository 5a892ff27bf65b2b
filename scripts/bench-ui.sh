#!/usr/bin/env bash
# Web UI at demo size: server time (time to first byte on loopback) and weight of each
# page with its CSS and script, signed in as the practitioner, the manager and the auditor.
# Usage: scripts/bench-ui.sh [path/to/mesoledger] [requests per page]
# Builds nothing: pass a release binary (cargo build --release first). Needs curl, awk,
# python3 (to read two JSON answers).
set -euo pipefail
BIN="${1:-target/release/mesoledger}"
N="${2:-200}"
WORK="$(mktemp -d)"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

DATABASE_URL="$WORK/demo.db" "$BIN" serve --demo --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

login() { # role → cookie jar path
  local role="$1" jar="$WORK/$1.jar" email password
  read -r email password < <(awk -v r="$role" '/sign in on the web page/ {f=1; next} f && $1 == r {print $2, $3; exit}' "$WORK/serve.log")
  curl -fs -o /dev/null -c "$jar" -H "Origin: $BASE" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$BASE/sign-in"
  echo "$jar"
}

# One line per page: p50 and p99 of the time to first byte, and page + assets in bytes.
measure() { # jar path label
  local jar="$1" path="$2" label="$3"
  local times="$WORK/times" html="$WORK/page.html"
  curl -fs -b "$jar" -o "$html" "$BASE$path"
  local bytes assets=0
  bytes=$(wc -c <"$html")
  for a in $(grep -o '/static/[^"]*' "$html" | sort -u); do
    assets=$((assets + $(curl -fs "$BASE$a" | wc -c)))
  done
  : >"$times"
  for _ in $(seq 1 "$N"); do
    curl -s -b "$jar" -o /dev/null -w '%{time_starttransfer}\n' "$BASE$path" >>"$times"
  done
  sort -n "$times" | awk -v label="$label" -v bytes="$bytes" -v assets="$assets" '
    { t[NR] = $1 * 1000 }
    END { p50 = t[int(NR * 0.50 + 0.5)]; p99 = t[int(NR * 0.99 + 0.5)];
          printf "| %-28s | %6.2f | %6.2f | %7d | %7d |\n", label, p50, p99, bytes, bytes + assets }'
}

PRACT=$(login practitioner)
MANAGER=$(login manager)
AUDITOR=$(login auditor)
# A session to show: log one through the API with the practitioner's printed token.
TOKEN=$(awk '/tokens \(shown once\)/ {f=1; next} f && $1 == "practitioner" {print $2; exit}' "$WORK/serve.log")
BODY=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/formulations" | python3 -c '
import json, sys
f = json.load(sys.stdin)[0]
print(json.dumps({"patient_ref": "BENCH-1", "area": f["areas"][0], "method": f["method"],
                  "formulation_id": f["id"], "conditions": []}))')
SESSION=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "$BODY" "$BASE/api/v1/sessions" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

echo "UI pages at demo size, $N requests each, one client; $(date -u +%FT%TZ)"
echo "| page | p50 ms | p99 ms | page bytes | with assets |"
echo "| --- | ---: | ---: | ---: | ---: |"
measure "$WORK/none" /sign-in "/sign-in (signed out)"
measure "$PRACT" / "/ (practitioner's today)"
measure "$PRACT" /sessions/new "/sessions/new"
measure "$PRACT" /sessions "/sessions"
measure "$PRACT" "/sessions/$SESSION" "/sessions/{id}"
measure "$PRACT" /courses "/courses"
measure "$MANAGER" "/sessions/$SESSION" "/sessions/{id} (manager)"
MTOKEN=$(awk '/tokens \(shown once\)/ {f=1; next} f && $1 == "manager" {print $2; exit}' "$WORK/serve.log")
LOT=$(curl -fs -H "Authorization: Bearer $MTOKEN" "$BASE/api/v1/lots?lot_number=SI25-0142" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
measure "$MANAGER" / "/ (manager's home)"
measure "$MANAGER" /stock "/stock"
measure "$MANAGER" "/stock?flag=low" "/stock?flag=low"
measure "$MANAGER" "/lots/$LOT" "/lots/{id}"
measure "$AUDITOR" "/trace?lot_number=SI25-0142" "/trace (auditor)"
