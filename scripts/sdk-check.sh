#!/usr/bin/env bash
# sdk-check.sh - drive `exportkit serve` with the real label-studio-sdk client, then check
# that a snapshot cut short by a crash comes back as "failed" (interrupted) after a restart.
#
# Usage:
#   scripts/sdk-check.sh
#
# Builds nothing. Environment:
#   EXPORTKIT              the exportkit binary (default target/release/exportkit, else
#                          target/debug/exportkit)
#   EXPORTKIT_TEST_PYTHON  a python with label-studio-sdk (default
#                          /root/.cache/exportkit-peers/bin/python); when it cannot
#                          `import label_studio_sdk` the script prints
#                          "skipped: label-studio-sdk not installed" and exits 0
#   RESTART_COPIES         how many copies of rect_1000 make the restart-test project (default 20)
#   KEEP=1                 keep the temporary directory (data, state, server logs)
#
# Steps:
#   1. project 1 = fixtures/datasets/rect_1000; start the server on a free 127.0.0.1 port and
#      run tests/sdk/snapshot_workflow.py against it;
#   2. project 2 = rect_1000 repeated RESTART_COPIES times with new task/annotation ids; POST a
#      snapshot, SIGKILL the server while the snapshot is in progress, start it again on the same
#      data/state and check with curl that the snapshot is "failed" with a reason containing
#      "interrupted", that it cannot be downloaded, and that a new snapshot still completes.
# Exits non-zero on the first failure; the server is always stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${EXPORTKIT_TEST_PYTHON:-/root/.cache/exportkit-peers/bin/python}"
if ! "$PY" -c 'import label_studio_sdk' >/dev/null 2>&1; then
  echo "skipped: label-studio-sdk not installed"
  exit 0
fi

BIN="${EXPORTKIT:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/exportkit ]; then BIN=target/release/exportkit; else BIN=target/debug/exportkit; fi
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  echo "sdk-check: exportkit binary not found at $BIN (build it or set EXPORTKIT)" >&2
  exit 1
fi

TOKEN="sdk-check-token-$$"
COPIES="${RESTART_COPIES:-20}"
WORK="$(mktemp -d -t exportkit-sdk-check.XXXXXX)"
DATA="$WORK/data"
SERVER_PID=""
SERVER_LOG=""
RUN=0

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

cleanup() {
  local rc=$?
  stop_server
  if [ "$rc" -ne 0 ] && [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
    echo "--- last lines of $SERVER_LOG ---" >&2
    tail -n 20 "$SERVER_LOG" >&2 || true
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "sdk-check: work dir kept at $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "sdk-check: FAILED: $*" >&2
  exit 1
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server PORT: starts the server on DATA and waits until /api/version answers.
start_server() {
  local port="$1" i
  RUN=$((RUN + 1))
  SERVER_LOG="$WORK/server-$RUN.log"
  "$BIN" serve --data "$DATA" --addr "127.0.0.1:$port" --token "$TOKEN" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for i in $(seq 1 100); do
    if curl -fs -o /dev/null -H "Authorization: Token $TOKEN" "http://127.0.0.1:$port/api/version"; then
      echo "sdk-check: server pid $SERVER_PID up on 127.0.0.1:$port (run $RUN, $((i * 100)) ms)"
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during start-up (see $SERVER_LOG)"
    sleep 0.1
  done
  fail "server did not answer /api/version within 10 s"
}

# api METHOD PATH [BODY]: prints the response body; fails on a non-2xx answer.
api() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-sS -X "$method" -H "Authorization: Token $TOKEN" -w '\n%{http_code}')
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
  local out code
  out="$(curl "${args[@]}" "$BASE$path")" || fail "curl $method $path failed"
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  case "$code" in 2??) printf '%s' "$out" ;; *) fail "$method $path -> HTTP $code: $out" ;; esac
}

# jget FIELD: reads one top-level field of the JSON on stdin.
jget() {
  "$PY" -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}

# --- data -----------------------------------------------------------------------------------
mkdir -p "$DATA/1" "$DATA/2"
cp fixtures/datasets/rect_1000/tasks.json fixtures/datasets/rect_1000/config.xml "$DATA/1/"
cp fixtures/datasets/rect_1000/config.xml "$DATA/2/"
# The users behind completed_by 1..3, so that annotations__completed_by only_id=false can expand them.
cat >"$DATA/1/users.json" <<'EOF'
[{"id": 1, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
 {"id": 2, "email": "alan@example.com", "first_name": "Alan", "last_name": "Turing"},
 {"id": 3, "email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"}]
EOF
"$PY" - fixtures/datasets/rect_1000/tasks.json "$DATA/2/tasks.json" "$COPIES" <<'EOF'
import json, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = json.load(open(src, encoding="utf-8"))
task_id = ann_id = 0
with open(dst, "w", encoding="utf-8") as out:
    out.write("[")
    for _ in range(copies):
        for task in base:
            task_id += 1
            task = dict(task, id=task_id, inner_id=task_id, project=2)
            anns = []
            for ann in task.get("annotations") or []:
                ann_id += 1
                anns.append(dict(ann, id=ann_id, task=task_id, project=2))
            task["annotations"] = anns
            out.write(("" if task_id == 1 else ", ") + json.dumps(task, ensure_ascii=False))
    out.write("]")
print(f"sdk-check: project 2 has {task_id} tasks, {ann_id} annotations")
EOF
echo '{"title": "sdk-check restart"}' >"$DATA/2/project.json"

# --- 1. the SDK workflow --------------------------------------------------------------------
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
start_server "$PORT"
EXPORTKIT_URL="$BASE" EXPORTKIT_KEY="$TOKEN" EXPORTKIT_PROJECT=1 \
  "$PY" tests/sdk/snapshot_workflow.py "$WORK/sdk" || fail "tests/sdk/snapshot_workflow.py"

# --- 2. restart while a snapshot runs --------------------------------------------------------
created="$(api POST /api/projects/2/exports '{"title": "sdk-check killed mid-export"}')"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
pk="$(printf '%s' "$created" | jget id)"
status="$(printf '%s' "$created" | jget status)"
[ -n "$pk" ] || fail "POST /api/projects/2/exports returned no id: $created"
echo "sdk-check: snapshot $pk was '$status' when the server got SIGKILL"
[ "$status" = in_progress ] || fail "POST answered status '$status', expected in_progress"

# A fresh port, so that a socket of the killed process cannot get in the way.
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
start_server "$PORT"
after="$(api GET "/api/projects/2/exports/$pk")"
status="$(printf '%s' "$after" | jget status)"
reason="$(printf '%s' "$after" | jget reason)"
finished="$(printf '%s' "$after" | jget finished_at)"
echo "sdk-check: after restart snapshot $pk is '$status' (reason: $reason)"
if [ "$status" = completed ]; then
  fail "snapshot $pk completed before the kill landed; raise RESTART_COPIES (now $COPIES) and rerun"
fi
[ "$status" = failed ] || fail "snapshot $pk is '$status' after restart, expected failed: $after"
case "$reason" in *interrupted*) ;; *) fail "reason of snapshot $pk lacks 'interrupted': $after" ;; esac
[ -n "$finished" ] || fail "failed snapshot $pk has no finished_at: $after"

code="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Token $TOKEN" \
  "$BASE/api/projects/2/exports/$pk/download")"
[ "$code" = 404 ] || fail "download of interrupted snapshot $pk gave HTTP $code, expected 404"
echo "sdk-check: download of interrupted snapshot $pk -> 404"

again="$(api POST /api/projects/2/exports '{"title": "sdk-check after restart"}')"
pk2="$(printf '%s' "$again" | jget id)"
[ "$pk2" != "$pk" ] || fail "new snapshot reused id $pk"
for _ in $(seq 1 600); do
  status="$(api GET "/api/projects/2/exports/$pk2" | jget status)"
  case "$status" in completed | failed) break ;; esac
  sleep 0.2
done
[ "$status" = completed ] || fail "snapshot $pk2 made after the restart ended '$status'"
echo "sdk-check: snapshot $pk2 made after the restart completed"

echo "sdk-check: OK"
