#!/usr/bin/env bash
# Image downloads: 1,000 tasks whose images are served over HTTP from 127.0.0.1, exported with
# YOLO_WITH_IMAGES using 1 and 16 parallel downloads. Needs python3 (stdlib only).
# Usage: bench/downloads.sh [N_IMAGES] [DELAY_MS]
#   DELAY_MS: per-request latency the server adds (default 20 ms, like a nearby object store).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-1000}
DELAY=${2:-20}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/exportkit-dl.XXXXXX")
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
cargo build --release -q
python3 - "$WORK" "$N" <<'PY'
import json, os, struct, sys, zlib
work, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{work}/www", exist_ok=True)
def png(w, h):
    raw = b"".join(b"\0" + bytes([(x * 7 + y * 3) % 256 for x in range(w)]) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
body = png(256, 192)  # about 50 KB of pixels, compressed
tasks = []
for i in range(n):
    open(f"{work}/www/img_{i:05}.png", "wb").write(body)
    tasks.append({"id": i + 1, "data": {"image": f"http://127.0.0.1:PORT/img_{i:05}.png"},
                  "annotations": [{"id": i + 1, "result": [{"from_name": "label", "to_name": "image",
                      "type": "rectanglelabels", "original_width": 256, "original_height": 192,
                      "value": {"x": 10, "y": 10, "width": 50, "height": 40, "rectanglelabels": ["Cat"]}}]}]})
json.dump(tasks, open(f"{work}/tasks.json", "w"))
open(f"{work}/config.xml", "w").write('<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image"><Label value="Cat"/></RectangleLabels></View>')
PY
# A threaded static server with a fixed per-request delay.
python3 - "$WORK/www" "$DELAY" > "$WORK/port" <<'PY' &
import functools, http.server, sys, time
root, delay = sys.argv[1], int(sys.argv[2]) / 1000
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        super().do_GET()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=root))
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
SERVER=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
sed -i "s/PORT/$PORT/g" "$WORK/tasks.json"
echo "images: $N, server delay ${DELAY} ms, port $PORT"
for p in 1 4 16; do
  rm -rf "$WORK/out"
  start=$(date +%s.%N)
  ./target/release/exportkit convert "$WORK/tasks.json" -f YOLO_WITH_IMAGES -o "$WORK/out" \
    -c "$WORK/config.xml" --allow-host 127.0.0.1 --downloads "$p" -q
  end=$(date +%s.%N)
  got=$(ls "$WORK/out/images" | wc -l)
  printf 'downloads=%-3s %6.2f s  images=%s\n' "$p" "$(python3 -c "print($end - $start)")" "$got"
done
