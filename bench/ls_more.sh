#!/usr/bin/env bash
# CONLL2003 and the brush formats against Label Studio's converter, whole process, one run each:
#   CONLL2003 on N ner tasks (default 100,000), BRUSH_TO_NUMPY / BRUSH_TO_PNG / BRUSH_TO_COCO on
#   100 tasks with masks up to 1024 px (gen_tasks.py --mode brush --brush-max-side 1024).
# Needs ../shared (prints "skipped: ../shared not found" otherwise) and GNU time.
# Usage: bench/ls_more.sh [NER_TASKS]
set -euo pipefail
# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/peers.sh"
cd "$ROOT"
N=${1:-100000}
DATA="$ROOT/bench/data"
mkdir -p "$DATA"
command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null 2>&1
cargo build --release -q
BIN="$DATA/exportkit.ls_more"
cp target/release/exportkit "$BIN"
[ -s "$DATA/ner_$N.json" ] || python3 "$TOOLS/gen_tasks.py" --mode ner -n "$N" --seed 42 -o "$DATA/ner_$N.json" -c "$DATA/ner.xml"
[ -s "$DATA/brush_100.json" ] || python3 "$TOOLS/gen_tasks.py" --mode brush -n 100 -k 3 --seed 42 \
  --brush-max-side 1024 -o "$DATA/brush_100.json" -c "$DATA/brush.xml"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
measure() { # label command...
  local log="$WORK/time.log"
  /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>&1 || { echo "$1 failed" >&2; return 1; }
  read -r wall rss <"$log"
  echo "$wall $((rss / 1024))"
}
printf '%-16s %-10s %9s %9s %9s %8s\n' format dataset ref_s ek_s ek_MiB speedup
run() { # FORMAT INPUT CONFIG NAME
  local f=$1 in=$2 cfg=$3 name=$4
  rm -rf "$WORK/ref" "$WORK/got"
  read -r rs _ < <(measure "$PY" "$TOOLS/run_ls_converter.py" "$in" "$cfg" "$f" "$WORK/ref")
  read -r es em < <(measure "$BIN" convert "$in" -f "$f" -c "$cfg" -o "$WORK/got" --compat label-studio -q)
  printf '%-16s %-10s %9s %9s %9s %7.1fx\n' "$f" "$name" "$rs" "$es" "$em" "$(python3 -c "print($rs / max($es, 0.001))")"
}
run CONLL2003 "$DATA/ner_$N.json" "$DATA/ner.xml" "ner_$N"
for f in BRUSH_TO_NUMPY BRUSH_TO_PNG BRUSH_TO_COCO; do
  run "$f" "$DATA/brush_100.json" "$DATA/brush.xml" brush_100
done
