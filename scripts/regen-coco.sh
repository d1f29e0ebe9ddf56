#!/usr/bin/env bash
# regen-coco.sh - regenerate the COCO compat fixtures with the REAL converter
# (label-studio-sdk 2.1.2, driven by ../shared/tools/run_ls_converter.py).
#
#   inputs:  fixtures/datasets/<name>/{tasks.json,config.xml}      (shared datasets, read only)
#            fixtures/coco/inputs/<name>/{tasks.json,config.xml}   (COCO quirk cases, hand-made)
#   output:  fixtures/coco/expected/compat/<name>/result.json
#
# The `info` block of Label Studio's result.json holds the export time; it is rewritten to
# "year": 1970 / "date_created": "1970-01-01 00:00:00" (what exportkit writes with
# SOURCE_DATE_EPOCH=0), and the tests mask it the same way. Label Studio's empty `images/`
# directory is not committed (git keeps no empty directories).
# unicode_edge is left out: Label Studio crashes on it (KeyError 'original_height').
#
# Then checks rect_1000 against the ls-converter.md 9.1 digest and runs
# fixtures/coco/check_pycocotools.py on the committed clean fixtures.
#
# Usage: scripts/regen-coco.sh            (from anywhere)
# Env:   PEERS_PY   python of the peers venv (default: $PEERS_VENV/bin/python or
#                   ~/.cache/exportkit-peers/bin/python; set up with setup-peers.sh otherwise)
# Prints "skipped: ../shared not found" and exits 0 when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

regen() {  # regen NAME INPUT_DIR
  local name="$1" in="$2"
  local out="$FX/coco/expected/compat/$name"
  rm -rf "$TMP/$name" "$out"
  "$PY" "$TOOLS/run_ls_converter.py" "$in/tasks.json" "$in/config.xml" COCO "$TMP/$name" >/dev/null 2>&1
  [ -d "$TMP/$name/images" ] || { echo "regen-coco: $name: no images/ directory" >&2; exit 1; }
  mkdir -p "$out"
  "$PY" - "$TMP/$name/result.json" "$out/result.json" <<'PYEOF'
import re, sys
data = open(sys.argv[1], "rb").read()
data, n1 = re.subn(rb'("year": )\d+', rb'\g<1>1970', data)
data, n2 = re.subn(rb'("date_created": )"[^"]*"', rb'\g<1>"1970-01-01 00:00:00"', data)
assert n1 == 1 and n2 == 1, (n1, n2)
open(sys.argv[2], "wb").write(data)
PYEOF
  echo "$name: $("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)"
}

for name in rect_1000 polygon_200 keypoint_100 mixed_200 edge_60 rect_rot_100; do
  regen "$name" "$FX/datasets/$name"
done
for name in quirks keypoint_quirks; do
  regen "$name" "$FX/coco/inputs/$name"
done

rc=0
want=360a72edc86bc528e0780e2968f549065d188dbd4a7a9ad1590d23c1fb006dc1
t=$("$PY" "$TOOLS/run_ls_converter.py" digest "$FX/coco/expected/compat/rect_1000" --normalize | tail -n 1)
case "$t" in
  *"tree_sha256=$want") echo "rect_1000 COCO matches ls-converter.md 9.1" ;;
  *) echo "rect_1000 COCO DIGEST MISMATCH vs 9.1: $t" >&2; rc=1 ;;
esac

if "$PY" -c 'import pycocotools' >/dev/null 2>&1; then
  shopt -s nullglob
  clean=("$FX"/coco/expected/clean/*/result.json)
  if [ ${#clean[@]} -gt 0 ]; then
    "$PY" "$FX/coco/check_pycocotools.py" "${clean[@]}" 2>&1 | grep -E ': (ok|FAIL)' || rc=1
  fi
else
  echo "regen-coco: pycocotools not installed in $PY; clean fixtures not checked" >&2
fi
exit $rc
