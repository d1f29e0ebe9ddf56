#!/usr/bin/env python3
"""Helper of bench/serve_load.sh (standard library only).

    serve_load.py gen SRC_TASKS DST_TASKS COPIES
        Writes SRC_TASKS repeated COPIES times, with task ids 1..N (and inner_id) and
        annotation ids renumbered so that every id is unique.

    serve_load.py run --base URL --token T [--project 1] [--exports 20] [--poll-ms 50]
                      [--expect-tasks 10000] [--max-list-ms 100] [--timeout 600]
        Fires --exports concurrent POST /api/projects/P/exports (one thread each, released
        together), polls GET /api/projects/P/exports every --poll-ms while they run and records
        each call's latency, then downloads every snapshot and checks md5(bytes) == md5 and
        counters.task_number == --expect-tasks (and the JSON array length). Prints a markdown
        table; exits 1 if any check fails or the slowest list call took >= --max-list-ms.
"""

import argparse
import hashlib
import http.client
import json
import math
import statistics
import sys
import threading
import time
from datetime import datetime
from urllib.parse import urlsplit


def gen(src, dst, copies):
    with open(src, encoding="utf-8") as f:
        base = json.load(f)
    task_id = ann_id = 0
    with open(dst, "w", encoding="utf-8") as out:
        out.write("[")
        for _ in range(copies):
            for task in base:
                task_id += 1
                task = dict(task, id=task_id, inner_id=task_id)
                anns = []
                for ann in task.get("annotations") or []:
                    ann_id += 1
                    anns.append(dict(ann, id=ann_id, task=task_id))
                task["annotations"] = anns
                out.write(("" if task_id == 1 else ", ") + json.dumps(task, ensure_ascii=False))
        out.write("]")
    print(f"serve_load: wrote {dst}: {task_id} tasks, {ann_id} annotations")


class Api:
    """One keep-alive connection to 127.0.0.1 (one per thread)."""

    def __init__(self, base, token, timeout=120):
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"serve_load: refusing non-local base URL {base}")
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.headers = {"Authorization": f"Token {token}"}
        self.conn = None

    def request(self, method, path, body=None):
        """Returns (status, body bytes, seconds from send to the last body byte)."""
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                dt = time.perf_counter() - t0
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, payload, dt
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def pct(values, p):
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def run(args):
    failures = []
    project = args.project
    exports_path = f"/api/projects/{project}/exports"

    created = [None] * args.exports
    post_lat = [None] * args.exports
    barrier = threading.Barrier(args.exports + 1)

    def post(i):
        api = Api(args.base, args.token)
        barrier.wait()
        try:
            status, body, dt = api.request("POST", exports_path, {"title": f"load-{i}"})
        except Exception as err:  # noqa: BLE001
            failures.append(f"POST #{i}: {type(err).__name__}: {err}")
            return
        post_lat[i] = dt
        if status != 201:
            failures.append(f"POST #{i}: HTTP {status}: {body[:200]!r}")
            return
        created[i] = json.loads(body)

    threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(args.exports)]
    for t in threads:
        t.start()
    poller = Api(args.base, args.token)
    barrier.wait()
    t_start = time.perf_counter()

    list_lat = []
    list_errors = 0
    statuses = {}
    t_done = None
    deadline = t_start + args.timeout
    while time.perf_counter() < deadline:
        try:
            status, body, dt = poller.request("GET", exports_path)
        except Exception as err:  # noqa: BLE001
            list_errors += 1
            failures.append(f"GET list: {type(err).__name__}: {err}")
            time.sleep(args.poll_ms / 1000)
            continue
        list_lat.append(dt)
        if status != 200:
            list_errors += 1
            failures.append(f"GET list: HTTP {status}: {body[:200]!r}")
        else:
            statuses = {s["id"]: s["status"] for s in json.loads(body)}
            posted = all(not t.is_alive() for t in threads)
            ids = [c["id"] for c in created if c]
            if posted and ids and all(statuses.get(i) in ("completed", "failed") for i in ids):
                t_done = time.perf_counter()
                break
        time.sleep(args.poll_ms / 1000)
    for t in threads:
        t.join(timeout=5)
    if t_done is None:
        failures.append(f"not all snapshots finished within {args.timeout}s: {statuses}")
        t_done = time.perf_counter()
    wall = t_done - t_start

    # Verify every snapshot: final status, md5 of the downloaded bytes, task counters.
    checker = Api(args.base, args.token)
    durations = []
    server_span = None
    firsts, lasts = [], []
    bytes_total = 0
    verified = 0
    for i, c in enumerate(created):
        if not c:
            continue
        pk = c["id"]
        status, body, _ = checker.request("GET", f"{exports_path}/{pk}")
        if status != 200:
            failures.append(f"GET snapshot {pk}: HTTP {status}: {body[:200]!r}")
            continue
        snap = json.loads(body)
        if snap["status"] != "completed":
            failures.append(f"snapshot {pk} ended {snap['status']!r}: reason={snap.get('reason')!r}")
            continue
        created_at, finished_at = parse_ts(snap.get("created_at")), parse_ts(snap.get("finished_at"))
        if created_at and finished_at:
            durations.append((finished_at - created_at).total_seconds())
            firsts.append(created_at)
            lasts.append(finished_at)
        status, data, _ = checker.request("GET", f"{exports_path}/{pk}/download")
        if status != 200:
            failures.append(f"download snapshot {pk}: HTTP {status}: {data[:200]!r}")
            continue
        bytes_total += len(data)
        digest = hashlib.md5(data).hexdigest()
        if digest != snap.get("md5"):
            failures.append(f"snapshot {pk}: md5(bytes)={digest} != md5 {snap.get('md5')!r}")
        n = (snap.get("counters") or {}).get("task_number")
        if n != args.expect_tasks:
            failures.append(f"snapshot {pk}: counters.task_number={n}, expected {args.expect_tasks}")
        try:
            tasks = json.loads(data)
        except ValueError as err:
            failures.append(f"snapshot {pk}: download is not JSON ({err})")
            continue
        if len(tasks) != args.expect_tasks:
            failures.append(f"snapshot {pk}: file has {len(tasks)} tasks, expected {args.expect_tasks}")
        ids = [t.get("id") for t in tasks]
        if len(set(ids)) != len(ids):
            failures.append(f"snapshot {pk}: duplicate task ids in the file")
        verified += 1
    if firsts and lasts:
        server_span = (max(lasts) - min(firsts)).total_seconds()

    ms = [x * 1000 for x in list_lat]
    posts = [x * 1000 for x in post_lat if x is not None]
    p50, p95, mx = pct(ms, 50), pct(ms, 95), (max(ms) if ms else float("nan"))
    slow = not ms or mx >= args.max_list_ms
    if slow:
        failures.append(f"list latency max {mx:.1f} ms >= {args.max_list_ms} ms")

    print()
    print(f"### exportkit serve load: {args.exports} concurrent snapshots of a {args.expect_tasks}-task project")
    print()
    print("| metric | value |")
    print("|---|---|")
    print(f"| wall time until all {args.exports} completed (client) | {wall:.2f} s |")
    if server_span is not None:
        print(f"| first created_at → last finished_at (server) | {server_span:.2f} s |")
    if durations:
        print(f"| per-snapshot created→finished min / median / max | {min(durations):.2f} / "
              f"{statistics.median(durations):.2f} / {max(durations):.2f} s |")
    if posts:
        print(f"| POST /exports latency p50 / max | {pct(posts, 50):.1f} / {max(posts):.1f} ms |")
    print(f"| GET /exports (list) calls | {len(ms)} (every {args.poll_ms} ms), {list_errors} errors |")
    print(f"| list latency p50 | {p50:.2f} ms |")
    print(f"| list latency p95 | {p95:.2f} ms |")
    print(f"| list latency max | {mx:.2f} ms {'(>= limit!)' if slow else f'(< {args.max_list_ms} ms)'} |")
    print(f"| snapshots verified (md5, task_number={args.expect_tasks}) | {verified}/{args.exports} |")
    print(f"| bytes downloaded | {bytes_total / 1e6:.1f} MB |")
    print(f"| failures | {len(failures)} |")
    print()
    for f in failures[:50]:
        print(f"FAIL: {f}")
    if len(failures) > 50:
        print(f"FAIL: ... and {len(failures) - 50} more")
    print("serve_load: " + ("FAILED" if failures else "OK"))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("src")
    g.add_argument("dst")
    g.add_argument("copies", type=int)
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--token", required=True)
    r.add_argument("--project", type=int, default=1)
    r.add_argument("--exports", type=int, default=20)
    r.add_argument("--poll-ms", type=float, default=50)
    r.add_argument("--expect-tasks", type=int, default=10000)
    r.add_argument("--max-list-ms", type=float, default=100)
    r.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    if args.cmd == "gen":
        gen(args.src, args.dst, args.copies)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
