#!/usr/bin/env bash
# xcheck-ls.sh BINARY - byte-for-byte cross-check of an exportkit binary against the REAL Label Studio
# converter (label-studio-sdk 2.1.2 via ../shared/tools/run_ls_converter.py) on freshly generated data.
#
# For every dataset below and F in JSON JSON_MIN CSV TSV it runs
#   python run_ls_converter.py INPUT CONFIG F REF/F
#   BINARY convert INPUT --format F --out GOT/F --config CONFIG --compat label-studio
# and compares the two output trees with `diff -r`. Prints PASS/FAIL per dataset and format,
# exits 1 on any mismatch (the work dir is kept for inspection), 0 when all pass.
#
# Datasets: rect_300 (rect, seed 5), edge_40 (rect, seed 9, 2 annotations/task, cancelled, empty,
# rotation, predictions, extra data, expanded completed_by), mixed_50 (seed 3), choices_50
# (seed 3, --text-area), ner_50 (seed 3) and the hand-written fixtures/datasets/unicode_edge.
#
# Prints "skipped: ../shared not found" (or "skipped: peers venv not found") and exits 0 when the
# reference cannot run. Env: PEERS_PY (python of the peers venv), KEEP=1 keeps the work dir.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared"
if [ ! -d "$SHARED" ]; then
  echo "skipped: ../shared not found"
  exit 0
fi
if [ $# -lt 1 ]; then
  echo "usage: scripts/xcheck-ls.sh BINARY   (e.g. target/release/exportkit)" >&2
  exit 2
fi
BIN="$1"
case "$BIN" in /*) ;; */*) BIN="$(pwd)/$BIN" ;; esac
if ! command -v "$BIN" >/dev/null 2>&1; then
  echo "xcheck-ls: binary not found or not executable: $1" >&2
  exit 2
fi
SHARED="$(cd "$SHARED" && pwd)"
TOOLS="$SHARED/tools"
PY="${PEERS_PY:-${PEERS_VENV:-$HOME/.cache/exportkit-peers}/bin/python}"
if ! "$PY" -c 'import label_studio_sdk.converter' >/dev/null 2>&1; then
  echo "skipped: peers venv not found (run ../shared/tools/setup-peers.sh)"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/xcheck-ls.XXXXXX")"
FORMATS=(JSON JSON_MIN CSV TSV)
# Detection formats, compared by `run_ls_converter.py digest --normalize` (it masks the COCO
# `info` dates, which differ by run); each only where Label Studio offers it for the config.
VISION=(COCO YOLO YOLO_OBB VOC)

gen() {  # gen NAME GEN_ARGS...
  local name="$1"; shift
  mkdir -p "$WORK/data/$name"
  "$PY" "$TOOLS/gen_tasks.py" "$@" -o "$WORK/data/$name/tasks.json" -c "$WORK/data/$name/config.xml" || {
    echo "xcheck-ls: gen_tasks.py failed for $name" >&2; exit 2; }
}
gen rect_300   --mode rect -n 300 -k 3 --seed 5
gen edge_40    --mode rect -n 40 --seed 9 --annotations-per-task 2 --cancelled-frac 0.2 --empty-frac 0.15 \
               --rotation-frac 0.3 --predictions 1 --extra-data --expand-completed-by --annotators 3
gen mixed_50   --mode mixed -n 50 --seed 3
gen choices_50 --mode choices -n 50 --seed 3 --text-area
gen ner_50     --mode ner -n 50 --seed 3
gen polygon_60 --mode polygon -n 60 --seed 4
gen keypoint_40 --mode keypoint -n 40 --seed 4
gen rot_40     --mode rect -n 40 --seed 8 --rotation-frac 0.6 --annotations-per-task 2 --empty-frac 0.2
DATASETS=(rect_300 edge_40 mixed_50 choices_50 ner_50 polygon_60 keypoint_40 rot_40)
if [ -f "$ROOT/fixtures/datasets/unicode_edge/tasks.json" ]; then
  mkdir -p "$WORK/data/unicode_edge"
  cp "$ROOT/fixtures/datasets/unicode_edge/tasks.json" "$ROOT/fixtures/datasets/unicode_edge/config.xml" "$WORK/data/unicode_edge/"
  DATASETS+=(unicode_edge)
fi

fail=0
for name in "${DATASETS[@]}"; do
  in="$WORK/data/$name/tasks.json"
  cfg="$WORK/data/$name/config.xml"
  offered=$("$PY" "$TOOLS/run_ls_converter.py" formats "$cfg" 2>/dev/null)
  for fmt in "${FORMATS[@]}" "${VISION[@]}"; do
    vision=0
    case " ${VISION[*]} " in *" $fmt "*) vision=1 ;; esac
    if [ "$vision" = 1 ] && ! grep -qw -- "$fmt" <<<"$offered"; then
      continue
    fi
    ref="$WORK/ref/$name/$fmt"
    got="$WORK/got/$name/$fmt"
    mkdir -p "$ref" "$(dirname "$got")"
    if ! "$PY" "$TOOLS/run_ls_converter.py" "$in" "$cfg" "$fmt" "$ref" >"$WORK/ref-$name-$fmt.log" 2>&1; then
      # Label Studio crashes on some inputs (e.g. unicode_edge for COCO); nothing to compare.
      echo "SKIP $name $fmt (the reference converter crashed: $(tail -n 1 "$WORK/ref-$name-$fmt.log" | cut -c1-100))"
      continue
    fi
    if ! "$BIN" convert "$in" --format "$fmt" --out "$got" --config "$cfg" --compat label-studio \
         >"$WORK/got-$name-$fmt.log" 2>&1; then
      echo "FAIL $name $fmt (binary exited non-zero, see $WORK/got-$name-$fmt.log)"
      fail=1; continue
    fi
    if [ "$vision" = 1 ]; then
      a=$("$PY" "$TOOLS/run_ls_converter.py" digest "$ref" --normalize | tail -n 1)
      b=$("$PY" "$TOOLS/run_ls_converter.py" digest "$got" --normalize | tail -n 1)
      if [ "$a" = "$b" ]; then echo "PASS $name $fmt"; else echo "FAIL $name $fmt (digest $b, want $a)"; fail=1; fi
      continue
    fi
    if diff -r -a "$ref" "$got" >"$WORK/diff-$name-$fmt.txt" 2>&1; then
      echo "PASS $name $fmt"
    else
      echo "FAIL $name $fmt (diff -r -a: $WORK/diff-$name-$fmt.txt)"
      head -c 600 "$WORK/diff-$name-$fmt.txt" | sed 's/^/    /'
      echo
      fail=1
    fi
  done
done

# A real consumer: the clean COCO output loads in pycocotools with every box inside its image.
for name in rect_300 polygon_60 keypoint_40 rot_40; do
  out="$WORK/clean/$name"
  if "$BIN" convert "$WORK/data/$name/tasks.json" --format COCO --out "$out" \
       --config "$WORK/data/$name/config.xml" -q >"$WORK/clean-$name.log" 2>&1 \
     && "$PY" "$ROOT/fixtures/coco/check_pycocotools.py" "$out/result.json" >>"$WORK/clean-$name.log" 2>&1; then
    echo "PASS $name COCO clean (pycocotools)"
  else
    echo "FAIL $name COCO clean (pycocotools, see $WORK/clean-$name.log)"; fail=1
  fi
done

if [ "$fail" -ne 0 ]; then
  echo "xcheck-ls: MISMATCH (work dir kept: $WORK)"
  exit 1
fi
echo "xcheck-ls: all formats match the Label Studio reference"
if [ "${KEEP:-0}" = 1 ]; then echo "work dir: $WORK"; else rm -rf "$WORK"; fi
exit 0
