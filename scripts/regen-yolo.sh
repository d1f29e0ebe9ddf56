#!/usr/bin/env bash
# regen-yolo.sh - regenerate the YOLO / YOLO_OBB compat fixtures with the REAL converter
# (label-studio-sdk 2.1.2, driven by ../shared/tools/run_ls_converter.py).
#
#   fixtures/yolo/expected/compat/<dataset>/      what `run_ls_converter.py ... YOLO OUT` wrote
#   fixtures/yolo_obb/expected/compat/<dataset>/  the same for YOLO_OBB
#   (inputs: fixtures/datasets/<dataset>/ or fixtures/yolo/inputs/<dataset>/)
#
# notes.json carries `"year": <now>`; it is normalised to `"year": 0` in the committed files
# (formats/yolo/tests/golden.rs normalises both sides the same way). The empty `images/`
# directory the converter creates is not committed (git keeps no empty directories).
# For rect_1000 the tree digests are checked against ls-converter.md 9.1.
#
# Usage: scripts/regen-yolo.sh            (from anywhere)
# Env:   PEERS_PY  python of the peers venv (default: $PEERS_VENV/bin/python or
#                  ~/.cache/exportkit-peers/bin/python; if it cannot import the converter,
#                  ../shared/tools/setup-peers.sh is run and its last line is used)
# Prints "skipped: ../shared not found" and exits 0 when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

# Shared datasets (fixtures/datasets/) and this format's hand-written corner cases
# (fixtures/yolo/inputs/: overwrite rules, odd URLs, unknown and multi labels, keypoints).
DATASETS=(rect_1000 polygon_200 keypoint_100 mixed_200 edge_60 rect_rot_100 unicode_edge
          yolo_corners yolo_keypoints)
FORMATS=(YOLO YOLO_OBB)
declare -A REF=(
  [YOLO]=7d6473b1c0df0bc2e171452cf6e2105b11d7e6b234698bda4b071b15d01e5a57
  [YOLO_OBB]=df968869eb3218d5c60c2481d754a2a7cf110b8df77775ba603abfd3b8e6556c
)

rc=0
for name in "${DATASETS[@]}"; do
  d="$FX/datasets/$name"
  [ -d "$d" ] || d="$FX/yolo/inputs/$name"
  if [ ! -f "$d/tasks.json" ]; then
    echo "regen-yolo: missing $d/tasks.json" >&2
    exit 1
  fi
  supported=$("$PY" "$TOOLS/run_ls_converter.py" formats "$d/config.xml" 2>/dev/null | tail -n 1)
  for fmt in "${FORMATS[@]}"; do
    lc=$(echo "$fmt" | tr 'A-Z' 'a-z')
    out="$FX/$lc/expected/compat/$name"
    rm -rf "$out"
    case "$supported" in
      *"\"$fmt\""*) ;;
      *) echo "$name $fmt: not offered by Label Studio for this config, skipped"; continue ;;
    esac
    mkdir -p "$out"
    if ! "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" "$fmt" "$out" >"$out.log" 2>&1; then
      tail -n 5 "$out.log" >&2
      echo "regen-yolo: the converter failed on $name $fmt" >&2
      rm -f "$out.log"
      exit 1
    fi
    rm -f "$out.log"
    sed -i -E 's/("year": )[0-9]+/\10/' "$out/notes.json"
    rmdir "$out/images" 2>/dev/null || true
    t=$("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)
    echo "$name $fmt: $t"
    if [ "$name" = rect_1000 ]; then
      case "$t" in
        *"tree_sha256=${REF[$fmt]}") echo "rect_1000 $fmt matches ls-converter.md 9.1" ;;
        *) echo "rect_1000 $fmt DIGEST MISMATCH vs 9.1: $t" >&2; rc=1 ;;
      esac
    fi
  done
done
exit $rc
