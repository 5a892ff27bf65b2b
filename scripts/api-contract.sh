#!/usr/bin/env bash
# Holds the running service to its OpenAPI document: starts the demo on a throwaway
# database and a free port, validates the served /api/v1/openapi.json as OpenAPI 3.1
# (openapi-spec-validator), then runs schemathesis against every operation as the demo's
# practitioner and then its manager. Any 5xx, any answer whose status, content type,
# headers or body the document does not describe, fails the run.
#
#   scripts/api-contract.sh [BINARY] [DATABASE]
#
# BINARY defaults to target/debug/mesoledger. DATABASE is `sqlite` (the default: a
# temporary file) or a PostgreSQL URL through which a fresh database is created for the
# run and dropped after it (the URL's role needs CREATEDB), e.g.
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
#
# Both tools come from PyPI, pinned, into a venv this script makes (target/ci-venv, or
# $API_CONTRACT_VENV). Bounds: API_CONTRACT_SECONDS (default 60) per role, which
# schemathesis fills with generated requests after its examples and coverage phases;
# API_CONTRACT_EXAMPLES (default 20) cases per operation and phase.
# API_CONTRACT_SEED repeats a run (schemathesis prints the seed it used).
# KEEP_API_CONTRACT_LOG=1 keeps the service's log and the reports after a pass too.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS=4.32.5
SPEC_VALIDATOR=0.9.0
BIN="${1:-target/debug/mesoledger}"
DATABASE="${2:-sqlite}"
SECONDS_PER_ROLE="${API_CONTRACT_SECONDS:-60}"
EXAMPLES="${API_CONTRACT_EXAMPLES:-20}"
VENV=$(realpath -m "${API_CONTRACT_VENV:-target/ci-venv}")

if [ ! -x "$BIN" ]; then
  echo "no binary at $BIN; build it first (cargo build, or cargo test)" >&2
  exit 1
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "the API contract check needs $tool" >&2; exit 1; }
done

# The venv is kept between runs; the marker names the pinned versions it holds.
MARKER="$VENV/.mesoledger-pins"
PINS="schemathesis==$SCHEMATHESIS openapi-spec-validator==$SPEC_VALIDATOR"
if [ "$(cat "$MARKER" 2>/dev/null)" != "$PINS" ]; then
  echo "== installing $PINS into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
  echo "$PINS" > "$MARKER"
fi

WORK=$(mktemp -d)
SERVER=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$DATABASE" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null || true; fi
}
trap cleanup EXIT

case "$DATABASE" in
  sqlite)
    BACKEND=SQLite
    DB_URL="$WORK/contract.db"
    ;;
  postgres://*|postgresql://*)
    BACKEND=PostgreSQL
    PG_DB="mesoledger_contract_$$_$(date +%s)"
    psql "$DATABASE" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
    # The same URL with the fresh database as its path.
    DB_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$DATABASE" "$PG_DB")
    ;;
  *)
    echo "DATABASE must be sqlite or a postgres:// URL, not $DATABASE" >&2
    exit 1
    ;;
esac

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
echo "== API contract on $BACKEND: $BIN on port $PORT (work: $WORK)"
start=$(date +%s)
DATABASE_URL="$DB_URL" "$BIN" serve --demo --demo-credentials "$WORK/credentials" \
  --bind "127.0.0.1:$PORT" > "$WORK/service.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the service stopped:" >&2; tail -n 20 "$WORK/service.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null
# shellcheck disable=SC1091
. "$WORK/credentials"

curl -fsS "$BASE/api/v1/openapi.json" -o "$WORK/openapi.json"
echo "== openapi-spec-validator $SPEC_VALIDATOR"
"$VENV/bin/openapi-spec-validator" "$WORK/openapi.json"

failed=0
# The practitioner first: the manager's run creates and changes data (a throwaway
# database), and could deactivate the practitioner it found.
for role in practitioner manager; do
  token_var="${role^^}_TOKEN"
  echo "== schemathesis $SCHEMATHESIS as the $role ($SECONDS_PER_ROLE s, $EXAMPLES examples per operation)"
  # A wall clock on top of schemathesis' own budget, should a request hang. It runs in
  # the work directory, where it keeps its cache of crashes, so no run replays another's.
  if ! (cd "$WORK" && timeout --kill-after=10 $(( SECONDS_PER_ROLE * 3 + 60 )) \
    "$VENV/bin/schemathesis" run "$WORK/openapi.json" \
      --url "$BASE/api/v1" \
      --header "Authorization: Bearer ${!token_var}" \
      --phases examples,coverage,fuzzing \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
      --max-examples "$EXAMPLES" \
      --max-time "$SECONDS_PER_ROLE" \
      --request-timeout 20 \
      --workers 2 \
      --generation-database none \
      ${API_CONTRACT_SEED:+--seed "$API_CONTRACT_SEED"} \
      --no-color \
      --report junit --report-dir "$WORK/report-$role" \
      > "$WORK/schemathesis-$role.log" 2>&1); then
    failed=1
    echo "== schemathesis FAILED as the $role on $BACKEND:" >&2
    cat "$WORK/schemathesis-$role.log" >&2
  else
    grep -E "^ +[0-9]+ generated|^Seed|={5,} .* in [0-9.]+s" "$WORK/schemathesis-$role.log" || true
  fi
done

if grep -q "panicked" "$WORK/service.log"; then
  echo "== the service panicked during the run:" >&2
  grep -B2 -A8 "panicked" "$WORK/service.log" | head -n 60 >&2
  failed=1
fi
if [ "$failed" != 0 ]; then
  echo "== API contract FAILED on $BACKEND after $(( $(date +%s) - start )) s (service log, reports: $WORK)" >&2
  trap - EXIT
  cleanup
  exit 1
fi
echo "== API contract passed on $BACKEND in $(( $(date +%s) - start )) s"
if [ -n "${KEEP_API_CONTRACT_LOG:-}" ]; then echo "(kept: $WORK)"; else rm -rf "$WORK"; fi
