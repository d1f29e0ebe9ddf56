#!/usr/bin/env bash
# serve_load.sh - load check of `exportkit serve`: 20 snapshots of a 10,000-task project at once,
# with the snapshot list polled while they run.
#
# Usage:
#   bench/serve_load.sh [EXTRA SERVE ARGS...]      e.g. bench/serve_load.sh --per-project 4 --threads 2
#
# What it does (127.0.0.1 only; needs python3, curl and a built binary; builds nothing):
#   1. writes a 10,000-task project: fixtures/datasets/rect_1000/tasks.json repeated 10 times with
#      new unique task ids 1..10000 (and unique annotation ids), plus its config.xml;
#   2. starts `exportkit serve --workers $WORKERS` (default 2) on a free port, extra arguments
#      passed through to `serve`;
#   3. bench/serve_load.py fires $EXPORTS (default 20) concurrent POST /api/projects/1/exports,
#      polls GET /api/projects/1/exports every $POLL_MS ms (default 50) while they run, recording
#      each call's latency; when all are completed it downloads every snapshot and checks
#      md5(bytes) == the reported md5 and counters.task_number == 10000;
#   4. prints a markdown table: wall time until all completed, list latency p50/p95/max, number of
#      list calls, failures.
# Exits non-zero if any check fails or the slowest list call took >= $MAX_LIST_MS ms (default 100).
#
# Environment: EXPORTKIT (binary, default target/release/exportkit), PYTHON (default python3),
# WORKERS, EXPORTS, POLL_MS, MAX_LIST_MS, COPIES (default 10), KEEP=1 (keep the temp dir).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="${EXPORTKIT:-target/release/exportkit}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || { echo "serve_load: $BIN not found; run: cargo build --release --bin exportkit" >&2; exit 1; }
PY="${PYTHON:-python3}"
WORKERS="${WORKERS:-2}"
EXPORTS="${EXPORTS:-20}"
POLL_MS="${POLL_MS:-50}"
MAX_LIST_MS="${MAX_LIST_MS:-100}"
COPIES="${COPIES:-10}"
TOKEN="serve-load-$$"

WORK="$(mktemp -d -t exportkit-serve-load.XXXXXX)"
SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 20 "$WORK/server.log" >&2 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "serve_load: work dir kept at $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/data/1"
cp fixtures/datasets/rect_1000/config.xml "$WORK/data/1/"
echo '{"title": "serve-load"}' >"$WORK/data/1/project.json"
"$PY" bench/serve_load.py gen fixtures/datasets/rect_1000/tasks.json "$WORK/data/1/tasks.json" "$COPIES"
TASKS=$((COPIES * 1000))

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --data "$WORK/data" --addr "127.0.0.1:$PORT" --token "$TOKEN" --workers "$WORKERS" "$@" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
up=0
for _ in $(seq 1 100); do
  if curl -fs -o /dev/null -H "Authorization: Token $TOKEN" "$BASE/api/version"; then up=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ "$up" = 1 ] || { echo "serve_load: server did not come up on $BASE" >&2; exit 1; }
echo "serve_load: $BIN serve on $BASE (--workers $WORKERS${*:+ $*}), $(nproc) CPUs"

rc=0
"$PY" bench/serve_load.py run --base "$BASE" --token "$TOKEN" --project 1 --exports "$EXPORTS" \
  --poll-ms "$POLL_MS" --expect-tasks "$TASKS" --max-list-ms "$MAX_LIST_MS" || rc=$?
kill -0 "$SERVER_PID" 2>/dev/null || { echo "serve_load: the server died during the run" >&2; rc=1; }
exit "$rc"
