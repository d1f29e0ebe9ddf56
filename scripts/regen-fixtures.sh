#!/usr/bin/env bash
# regen-fixtures.sh - regenerate the golden Label Studio compat fixtures with the REAL converter
# (label-studio-sdk 2.1.2, driven by ../shared/tools/run_ls_converter.py).
#
#   fixtures/datasets/<name>/{tasks.json,config.xml}          inputs (unicode_edge is hand-written: kept)
#   fixtures/<fmt>/expected/compat/<name>/<files as written>  fmt in json json_min csv tsv
#
# Usage: scripts/regen-fixtures.sh            (from anywhere)
# Env:   PEERS_PY      python of the peers venv (default: $PEERS_VENV/bin/python or
#                      ~/.cache/exportkit-peers/bin/python; if it cannot import the converter,
#                      ../shared/tools/setup-peers.sh is run and its last line is used)
# Prints "skipped: ../shared not found" and exits 0 when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

FORMATS=(JSON JSON_MIN CSV TSV)

gen() {  # gen NAME GEN_ARGS...
  local name="$1"; shift
  local d="$FX/datasets/$name"
  mkdir -p "$d"
  "$PY" "$TOOLS/gen_tasks.py" "$@" -o "$d/tasks.json" -c "$d/config.xml"
}

gen rect_1000   --mode rect -n 1000 -k 3 --seed 42
gen ner_200     --mode ner -n 200 --seed 7
gen choices_200 --mode choices -n 200 --seed 7 --text-area
gen mixed_200   --mode mixed -n 200 --seed 7
gen edge_60     --mode rect -n 60 --seed 11 --annotations-per-task 2 --cancelled-frac 0.2 \
                --empty-frac 0.15 --rotation-frac 0.3 --predictions 1 --extra-data \
                --expand-completed-by --annotators 3
gen polygon_200  --mode polygon -n 200 --seed 7
gen keypoint_100 --mode keypoint -n 100 --seed 7
gen rect_rot_100 --mode rect -n 100 -k 3 --seed 13 --rotation-frac 0.5 --annotations-per-task 2 \
                 --empty-frac 0.1

want=f4fdc947a9dde7a6338a89d0a4f56d95ae0e2a34ef4dfda24642f0e06b90b2dc
got=$(sha256sum "$FX/datasets/rect_1000/tasks.json" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "regen-fixtures: rect_1000 sha256 mismatch: $got (want $want)" >&2
  exit 1
fi

DATASETS=(rect_1000 ner_200 choices_200 mixed_200 edge_60 unicode_edge)
for name in "${DATASETS[@]}"; do
  d="$FX/datasets/$name"
  if [ ! -f "$d/tasks.json" ]; then
    echo "regen-fixtures: missing $d/tasks.json" >&2
    exit 1
  fi
  for fmt in "${FORMATS[@]}"; do
    lc=$(echo "$fmt" | tr 'A-Z' 'a-z')
    out="$FX/$lc/expected/compat/$name"
    rm -rf "$out"
    mkdir -p "$out"
    "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" "$fmt" "$out" 2>/dev/null
    echo "$name $fmt: $("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)"
  done
done

# section 9.1 of ls-converter.md
declare -A REF=(
  [JSON]=b490385345bd8e7cefb0470aceef29011254242897eecc1ba313d1ec5552ad9b
  [JSON_MIN]=288afa6fdffcdad9504c7286aa2cb2077820c5d283ecacfee217c0c1692b0597
  [CSV]=9ee57348b851d5633450498ce952a391575b76ebf705f17169ef5b4b70c9255c
  [TSV]=d9e34e88ab63be38d69e87cdc2d482fd8e5e031e311e9eb2912490ce7956e22e
)
rc=0
for fmt in "${FORMATS[@]}"; do
  lc=$(echo "$fmt" | tr 'A-Z' 'a-z')
  t=$("$PY" "$TOOLS/run_ls_converter.py" digest "$FX/$lc/expected/compat/rect_1000" --normalize | tail -n 1)
  case "$t" in
    *"tree_sha256=${REF[$fmt]}") echo "rect_1000 $fmt matches ls-converter.md 9.1" ;;
    *) echo "rect_1000 $fmt DIGEST MISMATCH vs 9.1: $t" >&2; rc=1 ;;
  esac
done
# The detection formats' fixtures (they use the datasets above).
for part in coco yolo voc; do
  PEERS_PY="$PY" bash "$ROOT/scripts/regen-$part.sh" || rc=1
done
exit $rc
