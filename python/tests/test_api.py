"""The Pythonic API: formats(), convert(), Summary, errors, iterable input, progress, Ctrl-C."""

import csv
import io
import json
import os
import signal
import threading
import time
import zipfile

import pytest

import exportkit
from conftest import DATASETS, FIXTURES, run_cli


def gen_tasks(base, n=None):
    i = 0
    while n is None or i < n:
        t = dict(base[i % len(base)])
        t["id"] = i + 1
        yield t
        i += 1


# ---------------------------------------------------------------------------------- formats


def test_formats_without_config_lists_every_format_enabled():
    fs = exportkit.formats()
    names = [f["name"] for f in fs]
    assert names == sorted(names)
    for want in ("JSON", "JSON_MIN", "CSV", "TSV", "COCO", "YOLO", "VOC", "CONLL2003", "PROJECT", "DWCA"):
        assert want in names
    for f in fs:
        assert set(f) >= {"name", "title", "description", "enabled", "reason"}
        assert f["enabled"] is True and f["reason"] is None
        assert f["title"] and f["description"]


@pytest.mark.parametrize("as_text", [False, True])
def test_formats_with_config_marks_unsupported(as_text):
    cfg = DATASETS / "ner_200" / "config.xml"
    config = cfg.read_text() if as_text else str(cfg)
    fs = {f["name"]: f for f in exportkit.formats(config)}
    assert fs["CONLL2003"]["enabled"] is True
    assert fs["COCO"]["enabled"] is False
    assert "COCO" in fs["COCO"]["reason"]
    fs = {f["name"]: f for f in exportkit.formats(DATASETS / "rect_1000" / "config.xml")}
    assert fs["COCO"]["enabled"] and fs["YOLO"]["enabled"] and not fs["CONLL2003"]["enabled"]


def test_formats_matches_cli_json(rect):
    r = run_cli("formats", "--config", rect[1], "--json")
    cli = {row["name"]: row for row in json.loads(r.stdout) if row["available"]}
    ours = {f["name"]: f for f in exportkit.formats(rect[1])}
    # The CLI binary may be older or newer than this build: compare the formats both have.
    common = set(cli) & set(ours)
    assert {"JSON", "CSV", "COCO", "YOLO", "VOC"} <= common
    for name in common:
        row = cli[name]
        assert ours[name]["enabled"] == row["supported"], name
        assert ours[name]["reason"] == row["reason"], name
        assert ours[name]["title"] == row["title"]


def test_formats_bad_config_raises_export_error(tmp_path):
    with pytest.raises(exportkit.ExportError) as ei:
        exportkit.formats("<View><Image name='i' value='$i'></View>")
    assert ei.value.kind == "config"
    assert "\n" not in str(ei.value)
    missing = tmp_path / "nope.xml"
    with pytest.raises(exportkit.ExportError) as ei:
        exportkit.formats(missing)
    assert ei.value.kind == "io" and str(missing) in str(ei.value)


# ---------------------------------------------------------------------------------- convert


def test_convert_path_to_dir_matches_cli(rect, tmp_path):
    s = exportkit.convert(rect[0], "csv", tmp_path / "py", config=rect[1])
    assert isinstance(s, exportkit.Summary)
    assert (s.format, s.tasks_read, s.tasks_exported, s.records) == ("CSV", 1000, 1000, 1000)
    assert s.files == ["result.csv"] and s.output == str(tmp_path / "py")
    assert s.elapsed > 0 and s.bytes_read == os.path.getsize(rect[0])
    assert s.warnings == [] and s.warning_count == 0
    r = run_cli("convert", rect[0], "-f", "csv", "-o", tmp_path / "cli", "-c", rect[1], "-q")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "py" / "result.csv").read_bytes() == (tmp_path / "cli" / "result.csv").read_bytes()


def test_convert_compat_matches_label_studio_golden(rect, tmp_path):
    for fmt in ("json_min", "csv", "tsv", "json"):
        out = tmp_path / fmt
        exportkit.convert(rect[0], fmt, out, config=rect[1], compat="label-studio")
        golden = FIXTURES / fmt / "expected" / "compat" / "rect_1000"
        for f in golden.iterdir():
            assert (out / f.name).read_bytes() == f.read_bytes(), (fmt, f.name)


def test_convert_zip_bytes_and_file_objects(rect, tmp_path):
    data = rect[0].read_bytes()
    s = exportkit.convert(data, "JSON_MIN", tmp_path / "a.zip", config=rect[1].read_text())
    assert s.records == 1000 and s.bytes_read == len(data)
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.namelist() == ["result.json"]
        zipped = z.read("result.json")
    exportkit.convert(io.BytesIO(data), "JSON_MIN", tmp_path / "b", config=rect[1])
    with open(rect[0], "rb") as f:
        exportkit.convert(f, "JSON_MIN", tmp_path / "c", config=rect[1])
    assert (tmp_path / "b" / "result.json").read_bytes() == zipped
    assert (tmp_path / "c" / "result.json").read_bytes() == zipped


def test_iterable_of_dicts_equals_file_input(rect, rect_tasks, tmp_path):
    exportkit.convert(rect[0], "csv", tmp_path / "file", config=rect[1], compat="label-studio")
    s = exportkit.convert(iter(rect_tasks), "csv", tmp_path / "iter", config=rect[1], compat="label-studio")
    assert s.tasks_read == 1000 and s.bytes_read > 0
    assert (tmp_path / "iter" / "result.csv").read_bytes() == (tmp_path / "file" / "result.csv").read_bytes()
    # a generator, a list, pre-serialized str/bytes tasks, and a single task dict
    exportkit.convert((t for t in rect_tasks), "JSON_MIN", tmp_path / "gen", config=rect[1])
    exportkit.convert(rect_tasks, "JSON_MIN", tmp_path / "list", config=rect[1])
    exportkit.convert([json.dumps(t) for t in rect_tasks], "JSON_MIN", tmp_path / "str", config=rect[1])
    exportkit.convert([json.dumps(t).encode() for t in rect_tasks], "JSON_MIN", tmp_path / "bytes", config=rect[1])
    exportkit.convert(rect[0], "JSON_MIN", tmp_path / "ref", config=rect[1])
    ref = (tmp_path / "ref" / "result.json").read_bytes()
    for name in ("gen", "list", "str", "bytes"):
        assert (tmp_path / name / "result.json").read_bytes() == ref, name
    one = exportkit.convert(rect_tasks[0], "JSON_MIN", tmp_path / "one", config=rect[1])
    assert one.tasks_read == 1


def test_iterable_streams_with_flat_memory(rect_tasks, tmp_path):
    # The generator is consumed lazily: at any time only a few chunks are in flight.
    pulled = []

    def tasks():
        for t in gen_tasks(rect_tasks, 20000):
            pulled.append(1)
            yield t

    progress = []

    def on_progress(stage, counts):
        progress.append((len(pulled), counts["tasks_read"]))

    s = exportkit.convert(tasks(), "JSON_MIN", tmp_path / "o", progress=on_progress, batch_size=200, threads=2)
    assert s.tasks_read == 20000
    # While encoding, the generator is never far ahead of the engine (bounded buffering).
    ahead = [p - r for p, r in progress[:-1] if r]
    assert ahead and max(ahead) < 10000, ahead


def test_unicode_and_surrogates_in_iterable(tmp_path):
    tasks = [
        {"id": 1, "data": {"text": "Привет 猫 😀"}, "annotations": []},
        {"id": 2, "data": {"text": "lone \ud800 surrogate"}, "annotations": []},
    ]
    s = exportkit.convert(tasks, "JSON_MIN", tmp_path / "o")
    assert s.tasks_read == 2
    out = json.loads((tmp_path / "o" / "result.json").read_text("utf-8", errors="surrogatepass"))
    assert out[0]["text"] == "Привет 猫 😀"


def test_format_options_and_filters(tmp_path):
    d = DATASETS / "edge_60"
    s = exportkit.convert(d / "tasks.json", "csv", tmp_path / "a", config=d / "config.xml", only_annotated=True, header=False)
    rows = list(csv.reader(open(tmp_path / "a" / "result.csv", encoding="utf-8")))
    assert s.tasks_exported < s.tasks_read and len(rows) == s.records
    s = exportkit.convert(d / "tasks.json", "json", tmp_path / "b", task_ids=[1, 2, 3])
    assert s.tasks_exported == 3
    p = exportkit.convert(d / "tasks.json", "project", tmp_path / "p.json", config=(d / "config.xml").read_text(),
                          project_title="Bees 2026", include="all", max_bytes=0)
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["project"]["title"] == "Bees 2026"
    assert doc["project"]["label_config"] == (d / "config.xml").read_text()
    assert p.files == ["project.json"] or p.output.endswith("p.json")


def test_warnings_are_listed(tmp_path):
    tasks = [{"id": 7, "data": {"image": "/data/upload/1/a.jpg"}, "annotations": [{"id": 1, "result": [
        {"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 100,
         "original_height": 100, "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Nope"]}}]}]}]
    cfg = (DATASETS / "rect_1000" / "config.xml").read_text()
    s = exportkit.convert(tasks, "YOLO", tmp_path / "y", config=cfg)
    assert s.warning_count >= 1
    w = s.warnings[0]
    assert isinstance(w, exportkit.TaskWarning) and w.task_index == 0 and w.task_id == "7"
    assert str(w).startswith("task #0 (id 7): ")
    with pytest.raises(exportkit.ExportError) as ei:
        exportkit.convert(tasks, "YOLO", tmp_path / "z", config=cfg, strict=True)
    assert "(strict)" in str(ei.value) and not (tmp_path / "z").exists()


# ---------------------------------------------------------------------------------- errors


BAD = sorted((FIXTURES / "bad").glob("*.json"))


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_inputs_raise_export_error_with_cli_message(path, tmp_path):
    for fmt in ("JSON", "JSON_MIN", "CSV"):
        out = tmp_path / fmt
        with pytest.raises(exportkit.ExportError) as ei:
            exportkit.convert(path, fmt, out)
        msg = str(ei.value)
        assert msg.startswith(f"{fmt}: ") and "at byte " in msg and "\n" not in msg
        assert ei.value.format == fmt and ei.value.offset is not None
        assert not out.exists() and list(tmp_path.iterdir()) == []
    r = run_cli("convert", path, "--format", "CSV", "--out", tmp_path / "cli", "-q")
    assert r.returncode == 1
    assert r.stderr.strip() == f"exportkit: {msg}"


def test_error_messages_name_task_and_offset(tmp_path):
    cases = [
        ("no_data.json", "JSON_MIN", 'JSON_MIN: task #1 (id 2) at byte 35: task has no "data" object'),
        ("invalid_utf8.json", "CSV", "CSV: task #0 at byte 32: invalid UTF-8 in task"),
        ("truncated.json", "JSON", "JSON: at byte 54: unexpected end of input inside task #1 (truncated JSON)"),
    ]
    for name, fmt, want in cases:
        with pytest.raises(exportkit.ExportError) as ei:
            exportkit.convert(FIXTURES / "bad" / name, fmt, tmp_path / name)
        assert str(ei.value) == want
    e = ei.value
    assert (e.kind, e.format, e.offset) == ("input", "JSON", 54)
    # picklable (multiprocessing pools) with its context
    import pickle
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == want and e2.offset == 54 and isinstance(e2, exportkit.ExportError)


def test_bad_options_raise_value_error(rect, tmp_path):
    with pytest.raises(ValueError, match="unknown format 'nope'"):
        exportkit.convert(rect[0], "nope", tmp_path / "o")
    with pytest.raises(ValueError):
        exportkit.convert(rect[0], "csv", tmp_path / "o", compat="doccano")
    with pytest.raises(ValueError):
        exportkit.convert(rect[0], "yolo", tmp_path / "o", config=rect[1], annotation="best")
    with pytest.raises(ValueError):
        exportkit.convert(rect[0], "project", tmp_path / "o.json", include="everything")
    with pytest.raises(ValueError):
        exportkit.convert(rect[0], "csv", tmp_path / "o", only_annotated=True, task_ids=[1])
    with pytest.raises(TypeError):
        exportkit.convert(12, "csv", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_unsupported_format_for_config_and_missing_input(rect, tmp_path):
    with pytest.raises(exportkit.ExportError) as ei:
        exportkit.convert(rect[0], "conll2003", tmp_path / "o", config=rect[1])
    assert ei.value.kind == "unsupported" and str(ei.value).startswith("CONLL2003: ")
    with pytest.raises(exportkit.ExportError) as ei:
        exportkit.convert(tmp_path / "missing.json", "csv", tmp_path / "o")
    assert ei.value.kind == "io"


def test_export_error_is_an_ordinary_class():
    class Mine(exportkit.ExportError):
        pass

    e = Mine("x: y", kind="input")
    assert str(e) == "x: y" and isinstance(e, Exception)


# ---------------------------------------------------------------------------------- progress, GIL, Ctrl-C


def test_progress_reports_stages_and_counts(rect, tmp_path):
    seen = []
    threads = set()

    def on_progress(stage, counts):
        threads.add(threading.get_ident())
        seen.append((stage, dict(counts)))

    exportkit.convert(rect[0], "csv", tmp_path / "o", config=rect[1], progress=on_progress, batch_size=50)
    stages = [s for s, _ in seen]
    assert stages[-1] == "done"
    assert set(stages) <= {"encoding", "resources", "writing", "packaging", "done"}
    last = seen[-1][1]
    assert last["tasks_read"] == 1000 and last["tasks_written"] == 1000
    assert last["bytes_total"] == os.path.getsize(rect[0]) == last["bytes_read"]
    reads = [c["tasks_read"] for _, c in seen]
    assert reads == sorted(reads)
    assert threads == {threading.get_ident()}  # called from the calling thread only


def test_progress_exception_cancels_and_propagates(rect_tasks, tmp_path):
    def boom(stage, counts):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        exportkit.convert(gen_tasks(rect_tasks), "JSON_MIN", tmp_path / "o", progress=boom)
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_from_progress_cancels(rect_tasks, tmp_path):
    pulled = []

    def tasks():
        for t in gen_tasks(rect_tasks):  # endless
            pulled.append(1)
            yield t

    def interrupt(stage, counts):
        if counts["tasks_read"] >= 3000:
            raise KeyboardInterrupt

    t = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        exportkit.convert(tasks(), "csv", tmp_path / "o.zip", progress=interrupt)
    assert time.monotonic() - t < 30
    n = len(pulled)
    time.sleep(0.2)
    assert len(pulled) == n  # the export stopped pulling
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_sigint_cancels_a_running_export(rect_tasks, tmp_path):
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            exportkit.convert(gen_tasks(rect_tasks), "JSON_MIN", tmp_path / "o")
    finally:
        timer.cancel()
    assert time.monotonic() - t < 30
    assert list(tmp_path.iterdir()) == []


def test_gil_is_released_while_exporting(rect, tmp_path):
    # A pure-Python thread keeps running while an export of a file runs.
    data = rect[0].read_bytes()
    big = b"[" + b",".join([data.strip()[1:-1]] * 8) + b"]"
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    th = threading.Thread(target=spin)
    th.start()
    try:
        time.sleep(0.05)
        n0, t = len(ticks), time.monotonic()
        exportkit.convert(big, "csv", tmp_path / "o", threads=1)
        took, n = time.monotonic() - t, len(ticks) - n0
    finally:
        stop.set()
        th.join()
    # Holding the GIL for the whole export would leave the thread at a tick or two.
    assert n > max(3, 0.05 * took / 0.0011), (n, took)


def test_iterator_exception_propagates(tmp_path):
    def tasks():
        yield {"id": 1, "data": {}}
        raise LookupError("database went away")

    with pytest.raises(LookupError, match="database went away"):
        exportkit.convert(tasks(), "JSON", tmp_path / "o")
    with pytest.raises(TypeError, match="not JSON serializable"):
        exportkit.convert([{"id": 1, "data": {"x": {1, 2}}}], "JSON", tmp_path / "o")
    assert list(tmp_path.iterdir()) == []


def test_package_ships_type_information():
    pkg = os.path.dirname(exportkit.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    assert os.path.exists(os.path.join(pkg, "_native.pyi"))
    assert exportkit.__version__
