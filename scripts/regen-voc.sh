#!/usr/bin/env bash
# regen-voc.sh - regenerate the VOC compat fixtures with the REAL converter (label-studio-sdk 2.1.2,
# driven by ../shared/tools/run_ls_converter.py exactly as Label Studio runs it: download_resources
# True, no hostname, no token, so every image resolution fails and the raw URL basename is used).
#
#   fixtures/voc/expected/compat/<dataset>/Annotations/<stem>.xml   what the converter wrote
#
# Inputs: the shared fixtures/datasets/<name>, and fixtures/voc/datasets/voc_edge (hand-written
# VOC corner cases: several annotations, same basenames, odd numbers and names); none is touched. Only datasets for which
# Label Studio offers VOC are converted. The empty images/ directory is not kept (git does not
# track empty directories); the tests check that exportkit creates it.
# Checks the rect_1000 digest of ls-converter.md §9.1 (bf3ebb97…).
# Env: PEERS_PY (python of the peers venv). Prints "skipped: ../shared not found" and exits 0
# when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

DATASETS=(rect_1000 rect_rot_100 edge_60 mixed_200 keypoint_100 unicode_edge voc_edge)
for name in "${DATASETS[@]}"; do
  d="$FX/datasets/$name"
  [ -d "$d" ] || d="$FX/voc/datasets/$name"
  if [ ! -f "$d/tasks.json" ]; then
    echo "regen-voc: missing $d/tasks.json" >&2
    exit 1
  fi
  out="$FX/voc/expected/compat/$name"
  rm -rf "$out"
  if ! "$PY" "$TOOLS/run_ls_converter.py" formats "$d/config.xml" 2>/dev/null | grep -q '"VOC"'; then
    echo "$name VOC: not offered by Label Studio, skipped"
    continue
  fi
  mkdir -p "$out"
  # No network access is assumed: http(s) images fail to download, like uploads without a hostname.
  (cd "$out" && "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" VOC . >/dev/null 2>&1)
  rmdir "$out/images" 2>/dev/null || true
  echo "$name VOC: $("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)"
done

want=bf3ebb97e0959ea9a113d50285b306a81bbde1ab9cf4b76ff9671beb4cd5d153
t=$("$PY" "$TOOLS/run_ls_converter.py" digest "$FX/voc/expected/compat/rect_1000" --normalize | tail -n 1)
case "$t" in
  *"tree_sha256=$want") echo "rect_1000 VOC matches ls-converter.md 9.1" ;;
  *) echo "rect_1000 VOC DIGEST MISMATCH vs 9.1: $t" >&2; exit 1 ;;
esac
