"""exportkit: fast, streaming export and format conversion for Label Studio data.

Two APIs over the same Rust engine:

- :func:`convert` and :func:`formats`, a Pythonic API (paths, bytes or iterables of task
  dicts in; a :class:`Summary` out; :class:`ExportError` on failure);
- :class:`Converter`, a drop-in for ``label_studio_sdk.converter.Converter`` (label-studio-sdk
  2.1.2) with Label Studio's output; :func:`patch_label_studio` swaps it in.
"""

from ._api import ProgressCallback, Summary, TaskWarning, convert, formats
from ._native import __version__
from .converter import Converter, Format, FormatNotSupportedError, patch_label_studio, unpatch_label_studio
from .errors import ExportError

__all__ = [
    "convert",
    "formats",
    "Summary",
    "TaskWarning",
    "ProgressCallback",
    "ExportError",
    "Converter",
    "Format",
    "FormatNotSupportedError",
    "patch_label_studio",
    "unpatch_label_studio",
    "__version__",
]
