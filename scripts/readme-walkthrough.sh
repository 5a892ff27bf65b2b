#!/usr/bin/env bash
# Runs the README's API walkthrough exactly as written, so it cannot drift from the
# service: every ```sh block between the markers <!-- walkthrough:begin --> and
# <!-- walkthrough:end --> is joined, in order, into one script and run with
# `set -euo pipefail` against a fresh demo (a temporary SQLite file, a free port).
# Commands that must succeed use `curl -fsS`, so a 4xx or 5xx there stops the run.
#
#   scripts/readme-walkthrough.sh [BINARY]     (default: target/debug/mesoledger)
#
# KEEP_WALKTHROUGH_LOG=1 keeps the run's log (commands and answers) after a pass too.
#
# The binary is handed to the walkthrough as MESOLEDGER and the port as PORT; those are
# the only two things the README lets a caller choose.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${1:-target/debug/mesoledger}"
if [ ! -x "$BIN" ]; then
  echo "no binary at $BIN; build it first (cargo build, or cargo test)" >&2
  exit 1
fi
for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "the walkthrough needs $tool" >&2; exit 1; }
done

WORK=$(mktemp -d)
SCRIPT="$WORK/walkthrough.sh"
awk '
  /<!-- walkthrough:begin -->/ { on = 1; next }
  /<!-- walkthrough:end -->/   { on = 0; next }
  on && /^```sh[[:space:]]*$/  { code = 1; blocks++; printf "\n# --- README block %d (line %d)\n", blocks, NR; next }
  code && /^```/               { code = 0; next }
  code                         { print }
' README.md > "$WORK/blocks.sh"
BLOCKS=$(grep -c '^# --- README block' "$WORK/blocks.sh" || true)
if [ "$BLOCKS" -lt 10 ]; then
  echo "found only $BLOCKS walkthrough blocks in README.md; are the markers in place?" >&2
  exit 1
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
  echo 'set -euo pipefail'
  # Stop the demo the walkthrough started, however the run ends.
  echo 'trap '\''[ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; true'\'' EXIT'
  cat "$WORK/blocks.sh"
} > "$SCRIPT"

echo "== README walkthrough: $BLOCKS blocks against $BIN on port $PORT (log: $WORK/run.log)"
start=$(date +%s)
BIN_PATH=$(realpath "$BIN")
# The command-line errors print as a user sees them, without a Rust backtrace.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
if (cd "$WORK" && MESOLEDGER="$BIN_PATH" PORT="$PORT" bash -x "$SCRIPT") > "$WORK/run.log" 2>&1; then
  echo "== README walkthrough passed in $(( $(date +%s) - start )) s"
  if [ -n "${KEEP_WALKTHROUGH_LOG:-}" ]; then echo "(log kept: $WORK/run.log)"; else rm -rf "$WORK"; fi
else
  status=$?
  echo "== README walkthrough FAILED (exit $status); the last commands and answers:" >&2
  tail -n 40 "$WORK/run.log" >&2
  echo "(full log: $WORK/run.log; script: $SCRIPT)" >&2
  exit "$status"
fi
