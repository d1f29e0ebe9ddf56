"""The Pythonic API: :func:`formats` and :func:`convert`."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from . import _config, _native

__all__ = ["formats", "convert", "Summary", "TaskWarning", "ProgressCallback", "InputArg"]

#: ``progress(stage, counts)``: ``stage`` is ``"encoding"``, ``"resources"``, ``"writing"``,
#: ``"packaging"`` or ``"done"``; ``counts`` has ``bytes_read``, ``bytes_total`` (None when
#: unknown), ``tasks_read`` and ``tasks_written``.
ProgressCallback = Callable[[str, Dict[str, Optional[int]]], Any]

#: A path, the export's bytes, a binary (or text) file object, or an iterable of task dicts
#: (or of tasks already serialized as JSON ``str``/``bytes``).
InputArg = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any, Iterable[Any]]

# Tasks are serialized in chunks of about this many bytes before Rust sees them.
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class TaskWarning:
    """A data problem that did not stop the export (a skipped region, an unknown label, a
    failed image, ...). With ``strict=True`` the first one fails the export instead."""

    #: 0-based index of the task in the input.
    task_index: int
    #: The task id as written in the input, if it has one.
    task_id: Optional[str]
    #: What happened, one line.
    message: str

    def __str__(self) -> str:
        who = f"task #{self.task_index}"
        if self.task_id is not None:
            who += f" (id {self.task_id})"
        return f"{who}: {self.message}"


@dataclass(frozen=True)
class Summary:
    """What an export did."""

    #: The format's registry name (``JSON_MIN``).
    format: str
    #: Tasks in the input.
    tasks_read: int
    #: Tasks that passed the filters.
    tasks_exported: int
    #: Records the format wrote (items, rows, objects, files, ...).
    records: int
    #: Files in the output, relative to it, sorted.
    files: List[str]
    #: Where the output is.
    output: str
    #: Wall time in seconds.
    elapsed: float
    #: Data warnings and per-item failures, in input order (the first 1000).
    warnings: List[TaskWarning] = field(default_factory=list)
    #: How many warnings there were in all.
    warning_count: int = 0
    #: Input bytes read.
    bytes_read: int = 0
    #: Format-specific counts (downloads, ...).
    stats: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Summary":
        return cls(
            format=d["format"],
            tasks_read=d["tasks_read"],
            tasks_exported=d["tasks_exported"],
            records=d["records"],
            files=list(d["files"]),
            output=d["output"],
            elapsed=d["elapsed"],
            warnings=[TaskWarning(i, tid, msg) for i, tid, msg in d["warnings"]],
            warning_count=d["warning_count"],
            bytes_read=d["bytes_read"],
            stats=dict(d["stats"]),
        )


def formats(config: _config.ConfigArg = None) -> List[Dict[str, Any]]:
    """Lists the formats of this build, sorted by name: ``name``, ``title``, ``description``,
    ``enabled`` and ``reason`` (why a format cannot export a project with ``config``; None when
    it can), plus ``extension`` and ``label_studio_name``.

    ``config`` is a label config (XML text, a path, or Label Studio's parsed-config dict);
    without one every format is enabled.
    """
    xml, path, name = _config.resolve(config)
    return list(_native.formats(config_xml=xml, config_path=path, config_name=name))


def _option_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_option_value(key, v) for v in value)
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(f"format option {key}: expected a string, number, bool or path, not {type(value).__name__}")


def _dump(task: Any) -> str:
    if isinstance(task, str):
        return task
    if isinstance(task, (bytes, bytearray, memoryview)):
        return bytes(task).decode("utf-8")
    return json.dumps(task, ensure_ascii=False, separators=(",", ":"))


def _encode(parts: List[str]) -> bytes:
    text = "\n".join(parts) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate in some task: write those tasks with \u escapes instead.
        fixed = []
        for p in parts:
            try:
                p.encode("utf-8")
                fixed.append(p)
            except UnicodeEncodeError:
                fixed.append(json.dumps(json.loads(p), ensure_ascii=True, separators=(",", ":")))
        return ("\n".join(fixed) + "\n").encode("utf-8")


def ndjson_chunks(tasks: Iterable[Any], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Serializes task dicts (``json.dumps``) into NDJSON chunks of about ``chunk_bytes``.
    Items that are ``str``/``bytes`` are taken as already-serialized tasks."""
    parts: List[str] = []
    size = 0
    for task in tasks:
        s = _dump(task)
        parts.append(s)
        size += len(s) + 1
        if size >= chunk_bytes:
            yield _encode(parts)
            parts, size = [], 0
    if parts:
        yield _encode(parts)


def _file_chunks(f: Any, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Union[bytes, str]]:
    while True:
        b = f.read(chunk_bytes)
        if not b:
            return
        yield b


def _input_kwargs(input: Any) -> Dict[str, Any]:
    if isinstance(input, (str, os.PathLike)):
        return {"path": os.fspath(input)}
    if isinstance(input, (bytes, bytearray, memoryview)):
        return {"data": bytes(input)}
    if hasattr(input, "read"):
        return {"chunks": _file_chunks(input)}
    if isinstance(input, Mapping):
        return {"chunks": ndjson_chunks([input])}
    if isinstance(input, Iterable):
        return {"chunks": ndjson_chunks(input)}
    raise TypeError(
        "input must be a path, bytes, a file object or an iterable of task dicts, "
        f"not {type(input).__name__}"
    )


def _compat(compat: Any) -> bool:
    if compat is None or compat is False:
        return False
    if compat is True or (isinstance(compat, str) and compat.lower().replace("_", "-") in ("label-studio", "labelstudio", "ls")):
        return True
    raise ValueError(f"compat must be None or 'label-studio', not {compat!r}")


def convert(
    input: InputArg,
    format: str,
    out: Union[str, "os.PathLike[str]"],
    *,
    config: _config.ConfigArg = None,
    compat: Optional[str] = None,
    threads: Optional[int] = None,
    download_resources: bool = False,
    upload_dir: Union[str, "os.PathLike[str]", None] = None,
    local_files_root: Union[str, "os.PathLike[str]", None] = None,
    hostname: Optional[str] = None,
    token: Optional[str] = None,
    allow_hosts: Sequence[str] = (),
    annotation: str = "latest",
    progress: Optional[ProgressCallback] = None,
    strict: bool = False,
    header: bool = True,
    only_annotated: bool = False,
    task_ids: Optional[Iterable[Any]] = None,
    annotations: Sequence[str] = (),
    drafts: bool = True,
    predictions: bool = True,
    allow_roots: Sequence[Union[str, "os.PathLike[str]"]] = (),
    downloads: int = 8,
    batch_size: int = 1000,
    **format_options: Any,
) -> Summary:
    """Converts a Label Studio export into ``format`` at ``out``: a directory laid out like Label
    Studio's converter output (an existing one is merged into), a path ending in ``.zip`` for
    the same tree zipped, or, as with the CLI, a single file named with the format's extension
    (``out.csv``, ``project.json``) for formats that write one file.

    ``input`` is a path (JSON array, single task or NDJSON), the export's bytes, a file object,
    or an iterable of task dicts streamed from anywhere (each serialized with ``json.dumps`` in
    chunks and read by the engine as NDJSON; memory stays flat). The export runs on Rust
    threads with the GIL released; Ctrl-C cancels it (nothing is left at ``out``) and raises
    :class:`KeyboardInterrupt`. ``progress(stage, counts)`` is called from this thread.

    The options mirror ``exportkit convert``: ``compat="label-studio"`` for label-studio-sdk
    2.1.2's bytes, ``threads`` (default one per core), the media options
    (``download_resources``, ``upload_dir``, ``local_files_root``, ``hostname``, ``token``,
    ``allow_hosts``, ``allow_roots``, ``downloads``), ``annotation`` (latest, first,
    ground-truth, all), ``strict``, ``header``, the filters (``only_annotated``,
    ``task_ids``, ``annotations``, ``drafts``, ``predictions``). Any other keyword is a format
    option (``--set KEY=VALUE``: ``project="moths"``, ``taxonomy="t.csv"``,
    ``include="all"``, ...).

    Raises :class:`exportkit.ExportError` when the export fails (one line, as the CLI prints
    it) and :class:`ValueError` for an unknown format or a bad option.
    """
    xml, path, name = _config.resolve(config)
    opts = {k: _option_value(k, v) for k, v in format_options.items()}
    tmp_config = None
    try:
        if "config_path" not in opts:
            if path is not None:
                opts["config_path"] = path
            elif xml is not None and str(format).upper() == "PROJECT":
                # PROJECT keeps the label config verbatim, from a file (as the CLI's --config).
                fd, tmp_config = tempfile.mkstemp(suffix=".xml", prefix="exportkit-config-")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(xml)
                opts["config_path"] = tmp_config
        if isinstance(task_ids, (str, bytes)):
            raise ValueError("task_ids must be a list of ids, not a string")
        summary = _run_native(
            str(format),
            os.fspath(out),
            **_input_kwargs(input),
            target_kind="extension",
            config_xml=xml,
            config_path=path,
            config_name=name,
            compat=_compat(compat),
            threads=0 if threads is None else int(threads),
            batch_size=int(batch_size),
            only_annotated=bool(only_annotated),
            task_ids=None if task_ids is None else [str(t) for t in task_ids],
            annotations=list(annotations),
            drafts=bool(drafts),
            predictions=bool(predictions),
            header=bool(header),
            annotation=str(annotation),
            strict=bool(strict),
            download_resources=bool(download_resources),
            upload_dir=None if upload_dir is None else os.fspath(upload_dir),
            local_files_root=None if local_files_root is None else os.fspath(local_files_root),
            allow_roots=[os.fspath(r) for r in allow_roots],
            hostname=hostname,
            token=token,
            allow_hosts=[allow_hosts] if isinstance(allow_hosts, str) else list(allow_hosts),
            downloads=int(downloads),
            format_options=opts,
            progress=progress,
        )
    finally:
        if tmp_config is not None:
            os.unlink(tmp_config)
    return summary


def _run_native(format: str, out: str, **kwargs: Any) -> Summary:
    """Runs ``_native.convert`` and wraps its result (shared with the drop-in Converter)."""
    return Summary._from_native(_native.convert(format, out, **kwargs))
