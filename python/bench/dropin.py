#!/usr/bin/env python3
"""Drop-in benchmark: exportkit.Converter vs label-studio-sdk 2.1.2's Converter.

For each format (JSON_MIN, CSV, COCO, YOLO by default) it times both converters on the same
rect export (100,000 tasks by default), called the way the Label Studio server calls them
(parsed config dict, project_dir=None, convert(..., is_dir=False)):

1. in this Python process, one after the other (wall time; the ratio is original / drop-in);
2. each in a fresh subprocess, for its peak RSS (``ru_maxrss`` of that process: the
   interpreter, the import of the package and the conversion).

It also checks that both outputs are the same files with the same bytes (COCO/YOLO ``info``
dates masked, as scripts/xcheck-ls.sh does). Input: /work/shared/tools/gen_tasks.py (or
``--gen``) when present, else fixtures/datasets/rect_1000 replicated with new ids.

Usage:
  python python/bench/dropin.py [--tasks 100000] [--formats JSON_MIN,CSV,COCO,YOLO]
                                [--data-dir DIR] [--no-rss] [--json results.json]
Needs label-studio-sdk 2.1.2 and exportkit (release build: pip install ./python) importable.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_VOLATILE = [
    (re.compile(rb'("date_created": )"[^"]*"'), rb'\1"<date>"'),
    (re.compile(rb'("year": )\d+'), rb"\1<year>"),
]


def find_gen(explicit):
    for p in (explicit, os.path.join(ROOT, "..", "shared", "tools", "gen_tasks.py"), "/work/shared/tools/gen_tasks.py"):
        if p and os.path.isfile(p):
            return os.path.abspath(p)
    return None


def make_input(n, data_dir, gen):
    os.makedirs(data_dir, exist_ok=True)
    tasks = os.path.join(data_dir, f"rect_{n}.json")
    config = os.path.join(data_dir, "rect.xml")
    if os.path.exists(tasks) and os.path.exists(config):
        return tasks, config, "cached"
    if gen:
        subprocess.run(
            [sys.executable, gen, "--mode", "rect", "--tasks", str(n), "--regions", "3", "--seed", "42",
             "--out", tasks, "--config-out", config],
            check=True, stdout=subprocess.DEVNULL,
        )
        return tasks, config, "gen_tasks.py --mode rect -k 3 --seed 42"
    # Replicate fixtures/datasets/rect_1000 with new task and annotation ids.
    src = os.path.join(ROOT, "fixtures", "datasets", "rect_1000")
    with open(os.path.join(src, "tasks.json"), encoding="utf-8") as f:
        base = json.load(f)
    shutil.copyfile(os.path.join(src, "config.xml"), config)
    with open(tasks, "w", encoding="utf-8") as out:
        out.write("[")
        ann_id = 0
        for i in range(n):
            t = json.loads(json.dumps(base[i % len(base)]))
            t["id"] = i + 1
            for a in t.get("annotations", []):
                ann_id += 1
                a["id"] = ann_id
                a["task"] = i + 1
            out.write(("," if i else "") + json.dumps(t))
        out.write("]")
    return tasks, config, "fixtures/datasets/rect_1000 replicated"


def parsed(config, which="original"):
    """The parsed config dict the Label Studio server passes. The drop-in's subprocess builds
    it with exportkit's parser (the same dict, see tests/test_dropin.py) so that its peak RSS
    does not include importing label-studio-sdk."""
    with open(config, encoding="utf-8") as f:
        xml = f.read()
    if which == "exportkit":
        from exportkit import _native

        return _native.parse_config_dict(xml)
    from label_studio_sdk._extensions.label_studio_tools.core.label_config import parse_config

    return parse_config(xml)


def converter_class(which):
    if which == "original":
        from label_studio_sdk.converter.converter import Converter
    else:
        from exportkit import Converter
    return Converter


def run_one(which, tasks, config, fmt, out):
    """One conversion as the Label Studio server makes it; returns wall seconds."""
    logging.disable(logging.CRITICAL)
    cls = converter_class(which)
    cfg = parsed(config, which)
    os.makedirs(out, exist_ok=True)
    t = time.perf_counter()
    cls(cfg, project_dir=None).convert(tasks, out, fmt, is_dir=False)
    return time.perf_counter() - t


def digest(d):
    import hashlib

    h = hashlib.sha256()
    files = 0
    for r, dirs, names in os.walk(d):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(r, n)
            with open(p, "rb") as f:
                data = f.read()
            if n.endswith(".json"):
                for rx, rep in _VOLATILE:
                    data = rx.sub(rep, data)
            h.update(os.path.relpath(p, d).encode() + b"\0" + hashlib.sha256(data).digest())
            files += 1
    return files, h.hexdigest()


def peak_rss_mb():
    """This process's peak RSS. Linux's ``VmHWM`` belongs to the current program image;
    ``ru_maxrss`` would also count the parent's memory at fork time (it survives exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024.0 if sys.platform != "darwin" else 2**20)


def child_main(argv):
    which, tasks, config, fmt, out = argv
    secs = run_one(which, tasks, config, fmt, out)
    print(json.dumps({"seconds": secs, "max_rss_mb": peak_rss_mb()}))


def baseline_rss_mb(which):
    """Peak RSS of a process that only imports the converter (the interpreter + package)."""
    code = (
        f"import sys; sys.path.insert(0, {HERE!r}); import dropin\n"
        + ("from label_studio_sdk.converter.converter import Converter\n" if which == "original" else "import exportkit\n")
        + "print(dropin.peak_rss_mb())"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--formats", default="JSON_MIN,CSV,COCO,YOLO")
    p.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "exportkit-bench"))
    p.add_argument("--gen", help="path to gen_tasks.py (default: ../shared/tools/gen_tasks.py when present)")
    p.add_argument("--no-rss", action="store_true", help="skip the subprocess runs (peak RSS)")
    p.add_argument("--json", help="write the results to this file")
    a = p.parse_args()

    import exportkit

    tasks, config, how = make_input(a.tasks, a.data_dir, find_gen(a.gen))
    size_mb = os.path.getsize(tasks) / 2**20
    print(f"input: {a.tasks} rect tasks, {size_mb:.0f} MiB ({how}): {tasks}")
    print(f"python {sys.version.split()[0]}, exportkit {exportkit.__version__}, {os.cpu_count()} CPUs")
    work = tempfile.mkdtemp(prefix="exportkit-bench-out-", dir=a.data_dir)
    results = []
    base = {} if a.no_rss else {w: baseline_rss_mb(w) for w in ("original", "exportkit")}
    try:
        for fmt in a.formats.split(","):
            rec = {"format": fmt, "tasks": a.tasks}
            outs = {}
            for which in ("original", "exportkit"):
                out = os.path.join(work, f"{which}-{fmt}")
                rec[f"{which}_s"] = round(run_one(which, tasks, config, fmt, out), 3)
                outs[which] = out
            rec["ratio"] = round(rec["original_s"] / rec["exportkit_s"], 1)
            same = digest(outs["original"]) == digest(outs["exportkit"])
            rec["same_output"] = same
            rec["files"] = digest(outs["exportkit"])[0]
            for out in outs.values():
                shutil.rmtree(out, ignore_errors=True)
            if not a.no_rss:
                for which in ("original", "exportkit"):
                    out = os.path.join(work, f"rss-{which}-{fmt}")
                    r = subprocess.run(
                        [sys.executable, os.path.abspath(__file__), "--child", which, tasks, config, fmt, out],
                        capture_output=True, text=True,
                    )
                    if r.returncode != 0:
                        raise SystemExit(f"{which} {fmt} failed:\n{r.stderr[-2000:]}")
                    child = json.loads(r.stdout.strip().splitlines()[-1])
                    rec[f"{which}_rss_mb"] = round(child["max_rss_mb"], 1)
                    rec[f"{which}_import_rss_mb"] = round(base[which], 1)
                    shutil.rmtree(out, ignore_errors=True)
            results.append(rec)
            line = (f"{fmt:9} original {rec['original_s']:8.2f} s   exportkit {rec['exportkit_s']:6.2f} s   "
                    f"x{rec['ratio']:<6} same output: {'yes' if same else 'NO'}")
            if not a.no_rss:
                line += (f"   peak RSS original {rec['original_rss_mb']:.0f} MiB, exportkit {rec['exportkit_rss_mb']:.0f} MiB"
                         f" (import alone: {rec['original_import_rss_mb']:.0f} / {rec['exportkit_import_rss_mb']:.0f})")
            print(line, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"input": {"tasks": a.tasks, "mib": round(size_mb, 1), "source": how}, "results": results}, f, indent=1)
    if not all(r["same_output"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
