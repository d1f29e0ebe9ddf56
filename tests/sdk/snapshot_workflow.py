#!/usr/bin/env python3
"""Drive `exportkit serve` through the official label-studio-sdk (2.x) snapshot workflow.

Usage:
    EXPORTKIT_URL=http://127.0.0.1:18181 EXPORTKIT_KEY=test-token-123 EXPORTKIT_PROJECT=1 \
        python tests/sdk/snapshot_workflow.py WORK_DIR

WORK_DIR receives the downloaded files (created if missing; a temporary directory is used
when the argument is left out). The script walks the same sequence of SDK calls that the
SDK's "Export and Convert Snapshots" guide uses (project, views, snapshot create, poll,
JSON download, list, convert, poll the conversion, converted download), plus the
Community-edition `as_json` shortcut, the duplicate-convert error, delete, and a short
pass with the legacy `Client` when it can run against this server.

Optional environment: EXPORTKIT_POLL_TIMEOUT (seconds, default 300) and
EXPORTKIT_ALLOW_ID_COMPLETED_BY=1 (accept `completed_by` ids in the snapshot made with
annotations__completed_by only_id=false, for projects whose users the server does not know).

It prints one line per step and exits with status 1 and a message naming the failed step
on the first check that does not hold. Needs only the SDK and the standard library.
"""

import hashlib
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

POLL_INTERVAL_S = 0.25
POLL_TIMEOUT_S = float(os.environ.get("EXPORTKIT_POLL_TIMEOUT", "300"))
# exportkit leaves completed_by as an id when the project has no record of that user
# (DATA/<id>/users.json); Label Studio always knows its users, so the default is strict.
ALLOW_ID_COMPLETED_BY = os.environ.get("EXPORTKIT_ALLOW_ID_COMPLETED_BY") == "1"


class CheckFailed(Exception):
    """A step of the workflow did not behave as Label Studio does."""


def step(msg):
    print(f"[sdk] {msg}", flush=True)


def ensure(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def field(obj, name, default=None):
    """Reads `name` from an SDK model or a plain dict (list_formats returns dicts)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def wait_snapshot(client, project, pk):
    """Polls `exports.get` until the snapshot has left created/in_progress."""
    start = time.monotonic()
    while True:
        snap = client.projects.exports.get(id=project, export_pk=pk)
        if snap.status in ("completed", "failed"):
            return snap, time.monotonic() - start
        if time.monotonic() - start > POLL_TIMEOUT_S:
            raise CheckFailed(f"snapshot {pk} still {snap.status!r} after {POLL_TIMEOUT_S:.0f}s")
        time.sleep(POLL_INTERVAL_S)


def find_conversion(snap, conv_id, export_type):
    for cf in snap.converted_formats or []:
        if (conv_id is not None and field(cf, "id") == conv_id) or field(cf, "export_type") == export_type:
            return cf
    return None


def wait_conversion(client, project, pk, conv_id, export_type):
    """Polls `exports.get` until the matching converted_formats entry is finished."""
    start = time.monotonic()
    while True:
        snap = client.projects.exports.get(id=project, export_pk=pk)
        cf = find_conversion(snap, conv_id, export_type)
        status = field(cf, "status") if cf is not None else None
        if status in ("completed", "failed"):
            return cf, time.monotonic() - start
        if time.monotonic() - start > POLL_TIMEOUT_S:
            raise CheckFailed(
                f"conversion {export_type} of snapshot {pk} still {status or 'absent'!r} "
                f"after {POLL_TIMEOUT_S:.0f}s"
            )
        time.sleep(POLL_INTERVAL_S)


def download_to(client, project, pk, export_type, path):
    """Streams a download to `path` in 1 KiB chunks; returns the bytes."""
    with open(path, "wb") as out:
        for chunk in client.projects.exports.download(
            id=project,
            export_pk=pk,
            export_type=export_type,
            request_options={"chunk_size": 1024},
        ):
            out.write(chunk)
    return Path(path).read_bytes()


def check_snapshot_file(snap, data, label):
    """md5 of the bytes == snapshot md5; a JSON list of counters.task_number tasks."""
    digest = hashlib.md5(data).hexdigest()
    ensure(digest == snap.md5, f"{label}: md5 of downloaded bytes {digest} != snapshot md5 {snap.md5}")
    tasks = json.load(io.BytesIO(data))
    ensure(isinstance(tasks, list), f"{label}: JSON root is {type(tasks).__name__}, expected a list")
    counters = snap.counters or {}
    ensure(
        len(tasks) == counters.get("task_number"),
        f"{label}: file has {len(tasks)} tasks, counters.task_number={counters.get('task_number')}",
    )
    annotations = sum(len(t.get("annotations") or []) for t in tasks)
    if "annotation_number" in counters:
        ensure(
            annotations == counters["annotation_number"],
            f"{label}: file has {annotations} annotations, counters.annotation_number={counters['annotation_number']}",
        )
    return tasks, annotations


def expect_api_error(status, fn, what):
    try:
        fn()
    except ApiError as err:
        ensure(err.status_code == status, f"{what}: expected HTTP {status}, got {err.status_code}: {err.body!r}")
        return err
    raise CheckFailed(f"{what}: expected ApiError {status}, the call succeeded")


def run_v2(url, key, project, work):
    client = LabelStudio(base_url=url, api_key=key)

    proj = client.projects.get(id=project)
    ensure(proj.id == project, f"projects.get returned id {proj.id!r}, expected {project}")
    step(f"projects.get: id={proj.id} title={getattr(proj, 'title', None)!r}")

    views = client.views.list(project=project)
    ensure(isinstance(views, list), f"views.list returned {type(views).__name__}, expected a list")
    step(f"views.list: {len(views)} view(s)")

    formats = client.projects.exports.list_formats(id=project)
    by_name = {field(f, "name"): f for f in formats}
    for name in ("JSON", "YOLO"):
        ensure(name in by_name, f"list_formats: {name} missing (got {sorted(map(str, by_name))})")
        ensure(not field(by_name[name], "disabled", False), f"list_formats: {name} is disabled")
    enabled = [n for n, f in by_name.items() if not field(f, "disabled", False)]
    step(f"list_formats: {len(formats)} formats, {len(enabled)} enabled (JSON and YOLO enabled)")

    # Snapshot A: title only, as in the SDK guide.
    created = client.projects.exports.create(id=project, title="sdk-check plain snapshot")
    ensure(created.id is not None, "exports.create: response has no id")
    ensure(created.status in ("in_progress", "completed"), f"exports.create: status {created.status!r}")
    step(f"exports.create (title only): id={created.id} status={created.status}")
    plain, took = wait_snapshot(client, project, created.id)
    ensure(plain.status == "completed", f"snapshot {plain.id} ended {plain.status!r}: {plain}")
    ensure(plain.finished_at is not None, f"snapshot {plain.id} completed without finished_at")
    step(f"exports.get poll: snapshot {plain.id} completed in {took:.2f}s, counters={plain.counters}")

    # Snapshot B: the filter/serialization options the SDK request log shows.
    created = client.projects.exports.create(
        id=project,
        title="sdk-check filtered snapshot",
        task_filter_options={"annotated": "only"},
        annotation_filter_options={"usual": True},
        serialization_options={"annotations__completed_by": {"only_id": False}},
    )
    ensure(created.id is not None, "exports.create (options): response has no id")
    step(f"exports.create (with options): id={created.id} status={created.status}")
    filtered, took = wait_snapshot(client, project, created.id)
    ensure(filtered.status == "completed", f"snapshot {filtered.id} ended {filtered.status!r}: {filtered}")
    step(f"exports.get poll: snapshot {filtered.id} completed in {took:.2f}s, counters={filtered.counters}")

    data = download_to(client, project, plain.id, "JSON", work / f"project_{project}_export_{plain.id}.json")
    _, plain_ann = check_snapshot_file(plain, data, f"snapshot {plain.id}")
    step(f"exports.download JSON {plain.id}: {len(data)} bytes, md5 ok, task_number="
         f"{plain.counters['task_number']} annotations={plain_ann}")

    data = download_to(client, project, filtered.id, "JSON", work / f"project_{project}_export_{filtered.id}.json")
    tasks, filt_ann = check_snapshot_file(filtered, data, f"snapshot {filtered.id}")
    for task in tasks:
        for ann in task.get("annotations") or []:
            ensure(not ann.get("was_cancelled") and not ann.get("ground_truth"),
                   f"snapshot {filtered.id}: task {task.get('id')} keeps annotation {ann.get('id')} "
                   f"that annotation_filter_options usual=true excludes")
            who = ann.get("completed_by")
            if isinstance(who, dict):
                ensure(list(who) == ["id", "email", "first_name", "last_name"],
                       f"snapshot {filtered.id}: expanded completed_by has keys {list(who)}")
            else:
                ensure(ALLOW_ID_COMPLETED_BY,
                       f"snapshot {filtered.id}: task {task.get('id')} annotation {ann.get('id')}: completed_by "
                       f"not expanded ({who!r}); does the project know its users (users.json)? "
                       f"Set EXPORTKIT_ALLOW_ID_COMPLETED_BY=1 to accept ids")
    ensure(filt_ann <= plain_ann, f"filtered snapshot has more annotations ({filt_ann}) than the plain one ({plain_ann})")
    step(f"exports.download JSON {filtered.id}: {len(data)} bytes, md5 ok, task_number="
         f"{filtered.counters['task_number']} annotations={filt_ann} (usual only, completed_by expanded)")

    # Convert the newest snapshot, as the guide's convert step does.
    snapshots = client.projects.exports.list(id=project)
    ensure(snapshots, "exports.list: empty")
    ids = {s.id for s in snapshots}
    ensure({plain.id, filtered.id} <= ids, f"exports.list: {plain.id}/{filtered.id} missing from {sorted(ids)}")
    newest = sorted(snapshots, key=lambda s: s.created_at, reverse=True)[0]
    ensure(newest.id == filtered.id, f"exports.list: newest by created_at is {newest.id}, expected {filtered.id}")
    step(f"exports.list: {len(snapshots)} snapshot(s), newest id={newest.id}")

    conv = client.projects.exports.convert(id=project, export_pk=newest.id, export_type="YOLO")
    ensure(conv.converted_format is not None, f"exports.convert: no converted_format in {conv}")
    step(f"exports.convert YOLO: converted_format={conv.converted_format} export_type={conv.export_type}")
    cf, took = wait_conversion(client, project, newest.id, conv.converted_format, "YOLO")
    ensure(field(cf, "status") == "completed", f"conversion ended {field(cf, 'status')!r}: {cf}")
    step(f"exports.get poll: conversion {field(cf, 'id')} completed in {took:.2f}s")

    data = download_to(client, project, newest.id, "YOLO", work / f"project_{project}_export_{newest.id}.zip")
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile as err:
        raise CheckFailed(f"YOLO download is not a zip ({err}); first bytes {data[:40]!r}") from err
    ensure("classes.txt" in names, f"YOLO zip lacks classes.txt: {names[:10]}")
    labels = [n for n in names if n.startswith("labels/")]
    ensure(labels, f"YOLO zip lacks labels/: {names[:10]}")
    step(f"exports.download YOLO: {len(data)} bytes, zip with classes.txt and {len(labels)} labels/ entries")

    tasks = client.projects.exports.as_json(project)
    ensure(isinstance(tasks, list), f"exports.as_json returned {type(tasks).__name__}, expected a list")
    step(f"exports.as_json (easy export): {len(tasks)} task(s)")

    err = expect_api_error(
        400,
        lambda: client.projects.exports.convert(id=project, export_pk=newest.id, export_type="YOLO"),
        "second convert to YOLO",
    )
    step(f"exports.convert YOLO again: ApiError 400 ({str(err.body)[:80]})")

    for pk in (filtered.id, plain.id):
        client.projects.exports.delete(id=project, export_pk=pk)
        expect_api_error(404, lambda pk=pk: client.projects.exports.get(id=project, export_pk=pk),
                         f"get after delete of {pk}")
        step(f"exports.delete {pk}: done, get now raises ApiError 404")


def run_legacy(url, key, project, work):
    """The pre-2.0 `Client`: only if it imports and can reach the project."""
    try:
        from label_studio_sdk import Client
    except Exception as err:  # noqa: BLE001 - any import problem means "skip"
        step(f"legacy Client: skipped, it does not import ({err})")
        return
    try:
        legacy = Client(url=url, api_key=key)
        proj = legacy.get_project(project)
    except Exception as err:  # noqa: BLE001
        step(f"legacy Client: skipped, it needs endpoints this server lacks ({type(err).__name__}: {err})")
        return
    step(f"legacy Client.get_project: id={proj.id}")

    # From here on the client only calls export endpoints, which must work.
    made = proj.export_snapshot_create(title="sdk-check legacy snapshot")
    pk = made["id"]
    start = time.monotonic()
    while proj.export_snapshot_status(pk).is_in_progress():
        if time.monotonic() - start > POLL_TIMEOUT_S:
            raise CheckFailed(f"legacy: snapshot {pk} still in progress")
        time.sleep(POLL_INTERVAL_S)
    ensure(proj.export_snapshot_status(pk).is_completed(), f"legacy: snapshot {pk} did not complete")
    status, name = proj.export_snapshot_download(pk, export_type="JSON", path=str(work))
    ensure(status == 200 and name, f"legacy: download gave status {status}, filename {name!r}")
    ensure((work / name).stat().st_size > 0, f"legacy: downloaded {name} is empty")
    listed = [s["id"] for s in proj.export_snapshot_list()]
    ensure(pk in listed, f"legacy: snapshot {pk} not listed ({listed})")
    code = proj.export_snapshot_delete(pk)
    ensure(code == 204, f"legacy: delete gave {code}, expected 204")
    step(f"legacy Client: snapshot {pk} created, completed, downloaded as {name}, listed, deleted")


def main():
    try:
        url = os.environ["EXPORTKIT_URL"]
        key = os.environ["EXPORTKIT_KEY"]
        project = int(os.environ["EXPORTKIT_PROJECT"])
    except (KeyError, ValueError) as err:
        print(f"usage: EXPORTKIT_URL=... EXPORTKIT_KEY=... EXPORTKIT_PROJECT=<int> {sys.argv[0]} [WORK_DIR] ({err})",
              file=sys.stderr)
        return 2
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="exportkit-sdk-"))
    work.mkdir(parents=True, exist_ok=True)
    step(f"server {url}, project {project}, work dir {work}")
    try:
        run_v2(url, key, project, work)
        run_legacy(url, key, project, work)
    except CheckFailed as err:
        print(f"[sdk] FAILED: {err}", file=sys.stderr)
        return 1
    except ApiError as err:
        print(f"[sdk] FAILED: unexpected ApiError {err.status_code}: {err.body!r}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - report anything else as a failure too
        print(f"[sdk] FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    step("all SDK checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
