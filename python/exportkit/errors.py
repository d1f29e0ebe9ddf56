"""Exceptions raised by exportkit."""

from __future__ import annotations

from typing import Optional

__all__ = ["ExportError"]


class ExportError(Exception):
    """An export failed. ``str(err)`` is the CLI's one-line message (format, task index and id,
    byte offset, reason); nothing is left at the output path.

    Bad options and unknown formats raise :class:`ValueError` instead (the CLI's usage errors),
    and a cancelled export (Ctrl-C) raises :class:`KeyboardInterrupt`.
    """

    #: What went wrong, broadly: ``"io"``, ``"input"``, ``"config"``, ``"unsupported"``,
    #: ``"format"``, ``"cancelled"``, ... (``exportkit::ErrorKind`` in snake case).
    kind: str
    #: The format the export was writing, when known.
    format: Optional[str]
    #: 0-based index of the failing task in the input, when known.
    task_index: Optional[int]
    #: The failing task's id as written in the input, when known.
    task_id: Optional[str]
    #: Byte offset in the input, when known.
    offset: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        kind: str = "other",
        format: Optional[str] = None,
        task_index: Optional[int] = None,
        task_id: Optional[str] = None,
        offset: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.format = format
        self.task_index = task_index
        self.task_id = task_id
        self.offset = offset

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # picklable with its context (e.g. across multiprocessing)
        return (
            _rebuild,
            (self.message, self.kind, self.format, self.task_index, self.task_id, self.offset),
        )


def _rebuild(message, kind, format, task_index, task_id, offset):
    return ExportError(
        message, kind=kind, format=format, task_index=task_index, task_id=task_id, offset=offset
    )
