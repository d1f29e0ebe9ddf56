#!/usr/bin/env bash
# DWCA throughput: N camera-trap tasks with K labeled boxes each (N*K occurrences), exported to
# a Darwin Core Archive (.zip). Prints wall time and peak RSS. Needs python3 (stdlib only) and
# GNU time. Usage: bench/dwca.sh [TASKS] [BOXES]   (default 10000 x 10 = 100,000 occurrences)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-10000}
K=${2:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/exportkit-dwca.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cargo build --release -q
python3 - "$WORK" "$N" "$K" <<'PY'
import json, random, sys
work, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
labels = ["Noctua pronuba", "Agrotis exclamationis", "Xestia c-nigrum", "Ochropleura plecta", "moth"]
with open(f"{work}/tasks.json", "w") as f:
    f.write("[")
    for i in range(n):
        dep = f"trap-{i % 20:02}"
        ts = f"2024-07-{1 + (i // 500) % 28:02}T{(20 + i % 9) % 24:02}:{i % 60:02}:00"
        res = [{"from_name": "label", "to_name": "image", "type": "rectanglelabels",
                "original_width": 4096, "original_height": 2160,
                "value": {"x": rnd.uniform(0, 90), "y": rnd.uniform(0, 90), "width": 5, "height": 5,
                          "rectanglelabels": [rnd.choice(labels)]}} for _ in range(k)]
        task = {"id": i + 1, "data": {"image": f"https://example.com/img/{i}.jpg", "timestamp": ts,
                "deployment": dep, "latitude": 52.0 + (i % 20) / 100, "longitude": 5.1},
                "annotations": [{"id": i + 1, "completed_by": 1, "result": res,
                                 "created_at": "2024-08-01T10:00:00Z"}]}
        f.write(("," if i else "") + json.dumps(task))
    f.write("]")
open(f"{work}/config.xml", "w").write('<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
    + "".join(f'<Label value="{l}"/>' for l in labels) + "</RectangleLabels></View>")
PY
size=$(du -m "$WORK/tasks.json" | cut -f1)
command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null 2>&1
for t in 1 2; do
  rm -f "$WORK/out.zip"
  /usr/bin/time -f "threads=$t wall %e s, peak RSS %M KB" ./target/release/exportkit convert "$WORK/tasks.json" \
    -f DWCA -c "$WORK/config.xml" -o "$WORK/out.zip" -j "$t" --set project=bench -q
done
echo "$((N * K)) occurrences from $N tasks (${size} MB)"
