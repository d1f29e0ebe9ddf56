#!/usr/bin/env bash
# regen-brush.sh - regenerate the brush compat fixtures with the REAL converter (label-studio-sdk
# 2.1.2, driven by ../shared/tools/run_ls_converter.py as Label Studio runs it).
#
#   fixtures/brush/datasets/brush_20/{tasks.json,config.xml}
#       gen_tasks.py --mode brush -n 20 --seed 3
#   fixtures/brush/datasets/brush_edge/{tasks.json,config.xml}
#       its generate.py (rings with islands, noise, blobs, no labels, odd names, polygons and
#       rectangles beside brushes, tasks without annotations, a cancelled annotation)
#   fixtures/brush/expected/compat/<dataset>/BRUSH_TO_NUMPY.md5
#       "<md5 of the .npy bytes>  <file name>" per file the converter wrote, sorted by name
#   fixtures/brush/expected/compat/<dataset>/BRUSH_TO_PNG.md5
#       "<md5 of the decoded pixels> <width>x<height> <PIL mode>  <file name>" (PNG zlib streams
#       differ between encoders; the pixels must not)
#   fixtures/brush/expected/compat/<dataset>/BRUSH_TO_COCO.result_coco.json
#       result_coco.json with the random colours, "year" and "date_created" replaced by
#       #COLOR, 0 and DATE
#
# Env: PEERS_PY (python of the peers venv). Prints "skipped: ../shared not found" and exits 0
# when <repo>/../shared is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"
FX="$FX/brush"

mkdir -p "$FX/datasets/brush_20"
python3 "$TOOLS/gen_tasks.py" --mode brush -n 20 --seed 3 \
  -o "$FX/datasets/brush_20/tasks.json" -c "$FX/datasets/brush_20/config.xml"
"$PY" "$FX/datasets/brush_edge/generate.py"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for d in "$FX"/datasets/*/; do
  name="$(basename "$d")"
  out="$FX/expected/compat/$name"
  mkdir -p "$out"
  for fmt in BRUSH_TO_NUMPY BRUSH_TO_PNG; do
    rm -rf "$TMP/$fmt"
    "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" "$fmt" "$TMP/$fmt" >/dev/null 2>&1
    "$PY" - "$TMP/$fmt" "$fmt" > "$out/$fmt.md5" <<'PYEOF'
import hashlib, os, sys
import numpy as np
from PIL import Image
d, fmt = sys.argv[1], sys.argv[2]
for n in sorted(os.listdir(d)):
    p = os.path.join(d, n)
    if fmt == "BRUSH_TO_NUMPY":
        print(f"{hashlib.md5(open(p, 'rb').read()).hexdigest()}  {n}")
    else:
        im = Image.open(p)
        px = im.tobytes()
        # the PNG holds the same pixels as the .npy
        assert im.mode == "L"
        print(f"{hashlib.md5(px).hexdigest()} {im.size[0]}x{im.size[1]} {im.mode}  {n}")
PYEOF
    echo "$name $fmt: $(wc -l < "$out/$fmt.md5") files"
  done
  rm -rf "$TMP/coco"
  "$PY" "$TOOLS/run_ls_converter.py" "$d/tasks.json" "$d/config.xml" BRUSH_TO_COCO "$TMP/coco" >/dev/null 2>&1
  python3 - "$TMP/coco/result_coco.json" > "$out/BRUSH_TO_COCO.result_coco.json" <<'PYEOF'
import sys
for l in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    s = l.lstrip()
    ind = l[: len(l) - len(s)]
    if s.startswith('"color": '):
        l = ind + '"color": "#COLOR",'
    elif s.startswith('"date_created": '):
        l = ind + '"date_created": "DATE"'
    elif s.startswith('"year": '):
        l = ind + '"year": 0,'
    print(l)
PYEOF
  echo "$name BRUSH_TO_COCO: $(grep -c '"image_id"' "$out/BRUSH_TO_COCO.result_coco.json") annotations"
done
