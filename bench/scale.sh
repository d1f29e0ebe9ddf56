#!/usr/bin/env bash
# Thread scaling of the exportkit pipeline on a many-core machine.
# Usage: copy a release `exportkit`, `gen_tasks.py` (../shared/tools) and this script into one
# folder on the machine, then `N=200000 bash scale.sh`. Needs python3 only.
set -u
cd "$(dirname "$0")"
N=${N:-200000}
python3 gen_tasks.py --mode rect -n $N -k 3 --seed 42 -o /tmp/rect.json -c /tmp/rect.xml >/dev/null
ls -la /tmp/rect.json
nproc
measure() { # fmt mode threads
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time, shutil
fmt, mode, t = sys.argv[1:4]
args = ["./exportkit", "convert", "/tmp/rect.json", "-f", fmt, "-o", "/tmp/out", "-c", "/tmp/rect.xml", "-j", t, "-q"]
if mode == "compat": args += ["--compat", "label-studio"]
best = None
for _ in range(3):
    shutil.rmtree("/tmp/out", ignore_errors=True)
    t0 = time.perf_counter(); subprocess.run(args, check=True); dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{fmt:9} {mode:6} threads={t:>2} best_of_3={best:.3f}s peak_rss={rss:.0f}MiB")
PY
}
for fmt in JSON_MIN CSV JSON; do for t in 1 2 4 8 16; do measure $fmt compat $t; done; done
md5sum /tmp/out/* 2>/dev/null | head -2
for t in 1 16; do ./exportkit convert /tmp/rect.json -f CSV -o /tmp/o$t -c /tmp/rect.xml -j $t -q; done; cmp /tmp/o1/result.csv /tmp/o16/result.csv && echo "CSV identical for 1 and 16 threads"
