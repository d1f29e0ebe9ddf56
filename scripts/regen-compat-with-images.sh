#!/usr/bin/env bash
# regen-compat-with-images.sh - regenerate the --compat label-studio fixtures of COCO_WITH_IMAGES,
# YOLO_WITH_IMAGES and YOLO_OBB_WITH_IMAGES with the REAL converter (label-studio-sdk 2.1.2 via
# ../shared/tools/run_ls_converter.py), without a hostname, as the Label Studio server runs it.
#
#   input:  fixtures/coco/inputs/compat_with_images/{tasks.json,config.xml,files/}
#           (image URLs point at http://127.0.0.1:38517/, which serves files/ here)
#   output: fixtures/coco/expected/compat_with_images/COCO_WITH_IMAGES/
#           fixtures/yolo/expected/compat_with_images/{YOLO_WITH_IMAGES,YOLO_OBB_WITH_IMAGES}/
#
# `info` years/dates are pinned to 1970 (the tests pin exportkit's the same way). The tests
# (tests/compat_with_images.rs) serve files/ on a free port and map the
# port and the md5 prefixes back before comparing byte for byte.
# Needs port 38517 free. Prints "skipped: ..." and exits 0 when ../shared or the venv is absent.
set -euo pipefail

# shellcheck source=scripts/peers.sh
source "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

IN="$FX/coco/inputs/compat_with_images"
TMP="$(mktemp -d)"
python3 -m http.server 38517 --bind 127.0.0.1 --directory "$IN/files" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 38517), 0.2)' 2>/dev/null && break
  sleep 0.1
done

for fmt in COCO_WITH_IMAGES YOLO_WITH_IMAGES YOLO_OBB_WITH_IMAGES; do
  case "$fmt" in COCO*) crate=coco ;; *) crate=yolo ;; esac
  out="$FX/$crate/expected/compat_with_images/$fmt"
  "$PY" "$TOOLS/run_ls_converter.py" "$IN/tasks.json" "$IN/config.xml" "$fmt" "$TMP/$fmt" >/dev/null 2>&1
  rm -rf "$out"
  cp -r "$TMP/$fmt" "$out"
  for f in "$out/result.json" "$out/notes.json"; do
    [ -f "$f" ] || continue
    "$PY" - "$f" <<'PYEOF'
import re, sys
p = sys.argv[1]
data = open(p, "rb").read()
data = re.sub(rb'("year": )\d+', rb'\g<1>1970', data)
data = re.sub(rb'("date_created": )"[^"]*"', rb'\g<1>"1970-01-01 00:00:00"', data)
open(p, "wb").write(data)
PYEOF
  done
  echo "$fmt: $("$PY" "$TOOLS/run_ls_converter.py" digest "$out" --normalize | tail -n 1)"
done
