"""A drop-in for ``label_studio_sdk.converter.Converter`` (label-studio-sdk 2.1.2).

Same constructor, attributes and methods; the conversions run on exportkit's Rust engine in
``compat="label-studio"`` mode, which writes Label Studio's bytes (COCO/YOLO ``info`` dates
aside). :func:`patch_label_studio` swaps it in wherever Label Studio imports it from.

What the engine does not do itself is handed to the original converter when label-studio-sdk
is installed (and raises :class:`FormatNotSupportedError` otherwise): ``DOCLANG``, a CSV
separator other than ``,``/tab, ``split_labelers=True``, and, in compat mode, the
``*_WITH_IMAGES`` formats (whose Label Studio output depends on downloads). See
``python/README.md`` for the details.
"""

from __future__ import annotations

import glob
import io
import logging
import math
import os
import shutil
import tempfile
from enum import Enum
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from . import _api, _config, _native

logger = logging.getLogger(__name__)

__all__ = ["Converter", "Format", "FormatNotSupportedError", "patch_label_studio", "unpatch_label_studio"]


class FormatNotSupportedError(NotImplementedError):
    pass


class Format(Enum):
    JSON = 1
    JSON_MIN = 2
    CSV = 3
    TSV = 4
    CONLL2003 = 5
    COCO = 6
    VOC = 7
    BRUSH_TO_NUMPY = 8
    BRUSH_TO_PNG = 9
    ASR_MANIFEST = 10
    YOLO = 11
    YOLO_OBB = 12
    CSV_OLD = 13
    YOLO_WITH_IMAGES = 14
    COCO_WITH_IMAGES = 15
    YOLO_OBB_WITH_IMAGES = 16
    BRUSH_TO_COCO = 17
    DOCLANG = 18

    def __str__(self):
        return self.name

    @classmethod
    def from_string(cls, s):
        try:
            return Format[s]
        except KeyError:
            raise ValueError()


def _as_format(fmt: Any) -> Format:
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, Enum):  # label_studio_sdk's own Format enum
        return Format.from_string(fmt.name)
    return Format.from_string(fmt)


_FORMAT_INFO = {
    Format.JSON: {
        "title": "JSON",
        "description": "List of items in raw JSON format stored in one JSON file. Use to export both the data "
        "and the annotations for a dataset. It's Label Studio Common Format",
        "link": "https://labelstud.io/guide/export.html#JSON",
    },
    Format.JSON_MIN: {
        "title": "JSON-MIN",
        "description": 'List of items where only "from_name", "to_name" values from the raw JSON format are '
        "exported. Use to export only the annotations for a dataset.",
        "link": "https://labelstud.io/guide/export.html#JSON-MIN",
    },
    Format.CSV: {
        "title": "CSV",
        "description": "Results are stored as comma-separated values with the column names specified by the "
        'values of the "from_name" and "to_name" fields.',
        "link": "https://labelstud.io/guide/export.html#CSV",
    },
    Format.TSV: {
        "title": "TSV",
        "description": "Results are stored in tab-separated tabular file with column names specified by "
        '"from_name" "to_name" values',
        "link": "https://labelstud.io/guide/export.html#TSV",
    },
    Format.CONLL2003: {
        "title": "CONLL2003",
        "description": "Popular format used for the CoNLL-2003 named entity recognition challenge.",
        "link": "https://labelstud.io/guide/export.html#CONLL2003",
        "tags": ["sequence labeling", "text tagging", "named entity recognition"],
    },
    Format.COCO: {
        "title": "COCO",
        "description": "Popular machine learning format used by the COCO dataset for object detection and image "
        "segmentation tasks with polygons and rectangles.",
        "link": "https://labelstud.io/guide/export.html#COCO",
        "tags": ["image segmentation", "object detection", "keypoints"],
    },
    Format.COCO_WITH_IMAGES: {
        "title": "COCO with Images",
        "description": "COCO format with images downloaded.",
        "link": "https://labelstud.io/guide/export.html#COCO",
        "tags": ["image segmentation", "object detection", "keypoints"],
    },
    Format.VOC: {
        "title": "Pascal VOC XML",
        "description": "Popular XML format used for object detection and polygon image segmentation tasks.",
        "link": "https://labelstud.io/guide/export.html#Pascal-VOC-XML",
        "tags": ["image segmentation", "object detection"],
    },
    Format.YOLO: {
        "title": "YOLO",
        "description": "Popular TXT format is created for each image file. Each txt file contains annotations for "
        "the corresponding image file, that is object class, object coordinates, height & width.",
        "link": "https://labelstud.io/guide/export.html#YOLO",
        "tags": ["image segmentation", "object detection", "keypoints"],
    },
    Format.YOLO_WITH_IMAGES: {
        "title": "YOLO with Images",
        "description": "YOLO format with images downloaded.",
        "link": "https://labelstud.io/guide/export.html#YOLO",
        "tags": ["image segmentation", "object detection", "keypoints"],
    },
    Format.YOLO_OBB: {
        "title": "YOLOv8 OBB",
        "description": "Popular TXT format is created for each image file. Each txt file contains annotations for "
        "the corresponding image file. The YOLO OBB format designates bounding boxes by their four corner points "
        "with coordinates normalized between 0 and 1, so it is possible to export rotated objects.",
        "link": "https://labelstud.io/guide/export.html#YOLO",
        "tags": ["image segmentation", "object detection"],
    },
    Format.YOLO_OBB_WITH_IMAGES: {
        "title": "YOLOv8 OBB with Images",
        "description": "YOLOv8 OBB format with images downloaded.",
        "link": "https://labelstud.io/guide/export.html#YOLO",
        "tags": ["image segmentation", "object detection"],
    },
    Format.BRUSH_TO_NUMPY: {
        "title": "Brush labels to NumPy",
        "description": "Export your brush labels as NumPy 2d arrays. Each label outputs as one image.",
        "link": "https://labelstud.io/guide/export.html#Brush-labels-to-NumPy-amp-PNG",
        "tags": ["image segmentation"],
    },
    Format.BRUSH_TO_PNG: {
        "title": "Brush labels to PNG",
        "description": "Export your brush labels as PNG images. Each label outputs as one image.",
        "link": "https://labelstud.io/guide/export.html#Brush-labels-to-NumPy-amp-PNG",
        "tags": ["image segmentation"],
    },
    Format.ASR_MANIFEST: {
        "title": "ASR Manifest",
        "description": "Export audio transcription labels for automatic speech recognition as the JSON manifest "
        "format expected by NVIDIA NeMo models.",
        "link": "https://labelstud.io/guide/export.html#ASR-MANIFEST",
        "tags": ["speech recognition"],
    },
    Format.BRUSH_TO_COCO: {
        "title": "Brush labels to COCO",
        "description": "Export your brush labels as COCO format for segmentation tasks. Converts RLE encoded masks to COCO polygons.",
        "link": "https://labelstud.io/guide/export.html#COCO",
        "tags": ["image segmentation", "brush annotations"],
    },
    Format.DOCLANG: {
        "title": "DocLang (.dclx)",
        "description": "Package annotations from the Doclang Interface as DocLang OPC archives (document.xml + page image) for downstream Docling model training.",
        "link": "https://github.com/doclang-project/doclang/blob/main/spec.md#doclang-archive-format",
        "tags": ["document", "doclang"],
    },
}

# The original classes, saved by patch_label_studio() (module, attribute) -> class.
_ORIGINALS: Dict[Tuple[str, str], Any] = {}
_PATCH_TARGETS = (
    ("label_studio_sdk.converter", "Converter"),
    ("label_studio_sdk.converter.converter", "Converter"),
)


def _original_class():
    """label-studio-sdk's own Converter (even while patched), or None when not installed."""
    for key in reversed(_PATCH_TARGETS):
        if key in _ORIGINALS:
            return _ORIGINALS[key]
    try:
        from label_studio_sdk.converter import converter as mod  # type: ignore
    except Exception:
        return None
    cls = getattr(mod, "Converter", None)
    if cls is None or (isinstance(cls, type) and issubclass(cls, Converter)):
        return None
    return cls


def _converter_schema(server: Mapping[str, Any]) -> Dict[str, Any]:
    """Label Studio's server-side parsed config (what exportkit's parser gives) in the form
    ``label_studio_sdk.converter.utils.parse_config`` makes of an XML string, which is what a
    Converter built from a string keeps in ``_schema``: no ``regex``/``dynamic_labels``, objects
    only with a non-empty ``value`` (as ``{type, value}``), labels only from ``alias``/``value``."""
    out: Dict[str, Any] = {}
    for name, info in server.items():
        tag_info: Dict[str, Any] = {"type": info["type"], "to_name": list(info["to_name"])}
        if "conditionals" in info:
            tag_info["conditionals"] = dict(info["conditionals"])
        tag_info["inputs"] = [
            {"type": i["type"], "value": i["value"]} for i in info["inputs"] if i.get("value")
        ]
        labels: Dict[str, Any] = {}
        for attrs in info["labels_attrs"].values():
            actual = attrs.get("alias") or attrs.get("value")
            if actual:
                labels[actual] = dict(attrs)
        tag_info["labels"] = list(labels)
        tag_info["labels_attrs"] = labels
        out[name] = tag_info
    return out


def _ensure_dir(path: str) -> None:
    if not os.path.exists(path):
        os.makedirs(path)


def _get_root_type(path: str) -> str:
    # label_studio_sdk.converter.utils.get_json_root_type
    with open(path, "r", encoding="utf-8") as f:
        while True:
            c = f.read(1)
            if c == "":
                return "empty"
            if c.isspace():
                continue
            return {"{": "dict", "[": "list"}.get(c, "invalid")


def _dir_chunks(input_dir: str) -> Iterator[bytes]:
    """The tasks of every ``*.json`` file in ``input_dir`` (in ``glob`` order, as Label Studio
    reads them) as NDJSON: a one-task file goes through as written; a list is split into tasks."""
    import json

    for path in glob.glob(os.path.join(input_dir, "*.json")):
        kind = _get_root_type(path)
        if kind == "dict":
            with open(path, "rb") as f:
                data = f.read()
            yield data.rstrip() + b"\n"
        elif kind == "list":
            with open(path, "rb") as f:
                tasks = json.load(f)
            yield from _api.ndjson_chunks(t for t in tasks if t)


def _move_merge(src: str, dst: str) -> None:
    """Moves ``src`` (a file or a tree) to ``dst``, merging into existing directories."""
    if os.path.isdir(src):
        if os.path.isdir(dst):
            for name in os.listdir(src):
                _move_merge(os.path.join(src, name), os.path.join(dst, name))
            os.rmdir(src)
            return
        os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
        os.replace(src, dst) if not os.path.exists(dst) else shutil.move(src, dst)
        return
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    os.replace(src, dst)


class Converter(object):
    """Drop-in replacement for ``label_studio_sdk.converter.Converter`` 2.1.2.

    :param config: label config: XML text, a path to it, or the parsed dict Label Studio passes
        (``project.get_parsed_config()``); the label config XML is rebuilt from the dict (see
        :func:`exportkit._config.xml_from_parsed`): everything exports read survives.
    :param project_dir: as in Label Studio: ``<project_dir>/upload`` is where uploaded files
        are read from when ``upload_dir`` is not given.
    :param output_tags: restricts the data keys and output tags (``supported_formats``).
    :param upload_dir: where ``/data/upload/<project>/<file>`` is read from.
    :param download_resources: copy media into the export (VOC, ASR; the ``*_WITH_IMAGES``
        formats set it, as Label Studio does).
    :param access_token: API token sent to ``hostname`` only (env ``LABEL_STUDIO_API_KEY``).
    :param hostname: the Label Studio URL media is fetched from (env ``LABEL_STUDIO_URL``).
    :param local_files_resolver: maps a Local Storage ``?d=`` path to a readable file, or None
        to refuse it; consulted for every Local Storage URL of an export that reads media.
    :param http_session: a ``requests.Session`` for media downloads; exportkit downloads with
        its own client under its own policy (public addresses only), so the session is only
        used by the formats handed to the original converter.
    :param compat: ``"label-studio"`` (default): Label Studio's bytes; ``None``: exportkit's
        clean output (see the main README's "Differences from Label Studio").
    """

    _FORMAT_INFO = _FORMAT_INFO

    def all_formats(self):
        return self._FORMAT_INFO

    def __init__(
        self,
        config,
        project_dir,
        output_tags=None,
        upload_dir=None,
        download_resources=True,
        access_token=None,
        hostname=None,
        local_files_resolver=None,
        http_session=None,
        *,
        compat: Optional[str] = "label-studio",
    ):
        self.project_dir = project_dir
        self.upload_dir = upload_dir
        self.download_resources = download_resources
        self._schema = None
        self._config_string = None
        self.access_token = access_token
        self.hostname = hostname
        self.local_files_resolver = local_files_resolver
        self.http_session = http_session
        self.is_keypoints = None
        self.compat = compat
        self._output_tags_arg = output_tags
        self._config_xml: Optional[str] = None

        if isinstance(config, dict):
            self._schema = config
            if config:
                self._config_xml = _config.xml_from_parsed(config)
        elif isinstance(config, str):
            if os.path.isfile(config):
                with io.open(config) as f:
                    config_string = f.read()
            else:
                config_string = config
            self._config_string = config_string
            self._config_xml = config_string or None
            self._schema = _converter_schema(_native.parse_config_dict(config_string)) if config_string else {}

        if self._schema is None:
            logger.warning(
                "Label config or schema for Converter is not provided, "
                "it might be critical for some export formats, now set schema to empty dict"
            )
            self._schema = {}

        self._data_keys, self._output_tags = self._get_data_keys_and_output_tags(output_tags)
        self._supported_formats = self._get_supported_formats()
        self._original_instance = None

    # ------------------------------------------------------------------ Label Studio's logic

    def _get_data_keys_and_output_tags(self, output_tags=None):
        data_keys = set()
        output_tag_names = []
        for name, info in self._schema.items():
            if output_tags is not None and name not in output_tags:
                continue
            for input_tag in info["inputs"]:
                for value_key_name in ["value", "valueList"]:
                    if value_key_name in input_tag:
                        data_keys.add(input_tag[value_key_name])
            output_tag_names.append(name)
        return list(data_keys), output_tag_names

    def _get_supported_formats(self):
        is_mig = False
        supports_doclang = any(
            info.get("type") in {"TextArea", "ReactCode", "CustomInterface"} for info in self._schema.values()
        )
        if len(self._data_keys) > 1:
            formats = [Format.JSON.name, Format.JSON_MIN.name, Format.CSV.name, Format.TSV.name]
            if supports_doclang:
                formats.append(Format.DOCLANG.name)
            return formats
        output_tag_types = set()
        input_tag_types = set()
        for info in self._schema.values():
            output_tag_types.add(info["type"])
            for input_tag in info["inputs"]:
                if input_tag.get("valueList"):
                    is_mig = True
                if input_tag["type"] == "Text" and input_tag.get("valueType") == "url":
                    logger.error('valueType="url" are not supported for text inputs')
                    continue
                input_tag_types.add(input_tag["type"])

        all_formats = [f.name for f in Format]
        if not supports_doclang:
            all_formats.remove(Format.DOCLANG.name)
        if "KeyPointLabels" in output_tag_types and "RectangleLabels" not in output_tag_types:
            for f in (Format.COCO, Format.COCO_WITH_IMAGES, Format.YOLO, Format.YOLO_WITH_IMAGES):
                if f.name in all_formats:
                    all_formats.remove(f.name)
        if not ("Text" in input_tag_types and "Labels" in output_tag_types):
            all_formats.remove(Format.CONLL2003.name)
        if is_mig or not (
            "Image" in input_tag_types
            and (
                "RectangleLabels" in output_tag_types
                or "Rectangle" in output_tag_types
                and "Labels" in output_tag_types
            )
        ):
            all_formats.remove(Format.VOC.name)
        if is_mig or not (
            "Image" in input_tag_types
            and (
                "RectangleLabels" in output_tag_types
                or "PolygonLabels" in output_tag_types
                or "KeyPointLabels" in output_tag_types
            )
            or "Rectangle" in output_tag_types
            and "Labels" in output_tag_types
            or "PolygonLabels" in output_tag_types
            and "Labels" in output_tag_types
            or "KeyPointLabels" in output_tag_types
            and "Labels" in output_tag_types
        ):
            all_formats.remove(Format.COCO.name)
            all_formats.remove(Format.COCO_WITH_IMAGES.name)
            all_formats.remove(Format.YOLO.name)
            all_formats.remove(Format.YOLO_WITH_IMAGES.name)
            if Format.YOLO_OBB.name in all_formats:
                all_formats.remove(Format.YOLO_OBB.name)
            if Format.YOLO_OBB_WITH_IMAGES.name in all_formats:
                all_formats.remove(Format.YOLO_OBB_WITH_IMAGES.name)
        if not (
            "Image" in input_tag_types
            and (
                "BrushLabels" in output_tag_types
                or "brushlabels" in output_tag_types
                or "Brush" in output_tag_types
                and "Labels" in output_tag_types
            )
        ):
            all_formats.remove(Format.BRUSH_TO_NUMPY.name)
            all_formats.remove(Format.BRUSH_TO_PNG.name)
            all_formats.remove(Format.BRUSH_TO_COCO.name)
        if not (("Audio" in input_tag_types or "AudioPlus" in input_tag_types) and "TextArea" in output_tag_types):
            all_formats.remove(Format.ASR_MANIFEST.name)
        if is_mig or ("Video" in input_tag_types and "TimelineLabels" in output_tag_types):
            if Format.YOLO_OBB.name in all_formats:
                all_formats.remove(Format.YOLO_OBB.name)
            if Format.YOLO_OBB_WITH_IMAGES.name in all_formats:
                all_formats.remove(Format.YOLO_OBB_WITH_IMAGES.name)
        return all_formats

    @property
    def supported_formats(self):
        return self._supported_formats

    @staticmethod
    def get_data(task, outputs, annotation):
        return {
            "id": task["id"],
            "input": task["data"],
            "output": outputs or {},
            "completed_by": annotation.get("completed_by", {}),
            "annotation_id": annotation.get("id"),
            "created_at": annotation.get("created_at"),
            "updated_at": annotation.get("updated_at"),
            "lead_time": annotation.get("lead_time"),
            "history": annotation.get("history"),
            "was_cancelled": annotation.get("was_cancelled"),
        }

    @staticmethod
    def rotated_rectangle(label):
        if not ("x" in label and "y" in label and "width" in label and "height" in label):
            return None
        label_x, label_y, label_w, label_h, label_r = (
            label["x"],
            label["y"],
            label["width"],
            label["height"],
            label["rotation"] if "rotation" in label else 0.0,
        )
        if abs(label_r) > 0:
            alpha = math.atan(label_h / label_w)
            beta = math.pi * (label_r / 180)
            radius = math.sqrt((label_w / 2) ** 2 + (label_h / 2) ** 2)
            x_0 = label_x - radius * (math.cos(math.pi - alpha - beta) - math.cos(math.pi - alpha)) + label_w / 2
            y_0 = label_y + radius * (math.sin(math.pi - alpha - beta) - math.sin(math.pi - alpha)) + label_h / 2
            theta_1 = alpha + beta
            theta_2 = math.pi - alpha + beta
            theta_3 = math.pi + alpha + beta
            theta_4 = 2 * math.pi - alpha + beta
            x_coord = [x_0 + radius * math.cos(t) for t in (theta_1, theta_2, theta_3, theta_4)]
            y_coord = [y_0 + radius * math.sin(t) for t in (theta_1, theta_2, theta_3, theta_4)]
            label_x = min(x_coord)
            label_y = min(y_coord)
            label_w = max(x_coord) - label_x
            label_h = max(y_coord) - label_y
        return label_x, label_y, label_w, label_h

    # Item-level helpers are Label Studio's own code: handed to the original converter.
    def iter_from_dir(self, input_dir):
        return self._original().iter_from_dir(input_dir)

    def iter_from_json_file(self, json_file):
        return self._original().iter_from_json_file(json_file)

    def annotation_result_from_task(self, task):
        return self._original().annotation_result_from_task(task)

    def _maybe_matching_tag_from_schema(self, from_name):
        return self._original()._maybe_matching_tag_from_schema(from_name)

    def _get_labels(self):
        return self._original()._get_labels()

    def _check_format(self, fmt):
        pass

    # ------------------------------------------------------------------ dispatch

    def convert(self, input_data, output_data, format, is_dir=True, **kwargs):
        return self._convert(input_data, output_data, format, is_dir=is_dir, **kwargs)

    def _convert(self, input_data, output_data, format, is_dir=True, **kwargs):
        format = _as_format(format)
        if format == Format.JSON:
            self.convert_to_json(input_data, output_data, is_dir=is_dir)
        elif format == Format.JSON_MIN:
            self.convert_to_json_min(input_data, output_data, is_dir=is_dir)
        elif format == Format.CSV:
            header = kwargs.get("csv_header", True)
            sep = kwargs.get("csv_separator", ",")
            self.convert_to_csv(input_data, output_data, sep=sep, header=header, is_dir=is_dir)
        elif format == Format.TSV:
            header = kwargs.get("csv_header", True)
            sep = kwargs.get("csv_separator", "\t")
            self.convert_to_csv(input_data, output_data, sep=sep, header=header, is_dir=is_dir)
        elif format == Format.CONLL2003:
            self.convert_to_conll2003(input_data, output_data, is_dir=is_dir)
        elif format in [Format.COCO, Format.COCO_WITH_IMAGES]:
            image_dir = kwargs.get("image_dir")
            self.download_resources = format == Format.COCO_WITH_IMAGES
            self.convert_to_coco(input_data, output_data, output_image_dir=image_dir, is_dir=is_dir)
        elif format in [Format.YOLO, Format.YOLO_OBB, Format.YOLO_OBB_WITH_IMAGES, Format.YOLO_WITH_IMAGES]:
            image_dir = kwargs.get("image_dir")
            label_dir = kwargs.get("label_dir")
            self.download_resources = format in [Format.YOLO_WITH_IMAGES, Format.YOLO_OBB_WITH_IMAGES]
            self.convert_to_yolo(
                input_data,
                output_data,
                output_image_dir=image_dir,
                output_label_dir=label_dir,
                is_dir=is_dir,
                is_obb=(format in [Format.YOLO_OBB, Format.YOLO_OBB_WITH_IMAGES]),
            )
        elif format == Format.VOC:
            image_dir = kwargs.get("image_dir")
            self.convert_to_voc(input_data, output_data, output_image_dir=image_dir, is_dir=is_dir)
        elif format == Format.BRUSH_TO_NUMPY:
            self._export("BRUSH_TO_NUMPY", input_data, output_data, is_dir)
        elif format == Format.BRUSH_TO_PNG:
            self._export("BRUSH_TO_PNG", input_data, output_data, is_dir)
        elif format == Format.ASR_MANIFEST:
            self._export("ASR_MANIFEST", input_data, output_data, is_dir, download_resources=self.download_resources)
        elif format == Format.BRUSH_TO_COCO:
            self._with_dirs("BRUSH_TO_COCO", input_data, output_data, is_dir, {"images": kwargs.get("image_dir")})
        elif format == Format.DOCLANG:
            self._fallback("convert", input_data, output_data, format.name, is_dir=is_dir, **kwargs)
        # CSV_OLD: Label Studio 2.1.2 has no branch for it and writes nothing; neither do we.

    # ------------------------------------------------------------------ formats

    def convert_to_json(self, input_data, output_dir, is_dir=True):
        self._check_format(Format.JSON)
        _ensure_dir(output_dir)
        output_file = os.path.join(output_dir, "result.json")
        if not is_dir:
            # Label Studio copies the export as it is; so do we (same bytes, no parsing).
            shutil.copy2(input_data, output_file)
            return
        try:
            import ujson as json_mod  # what Label Studio writes with
        except ImportError:  # pragma: no cover - ujson comes with label-studio-sdk
            import json as json_mod
        with io.open(output_file, mode="w", encoding="utf8") as fout:
            fout.write("[\n")
            first = True
            for json_file in glob.glob(os.path.join(input_data, "*.json")):
                with io.open(json_file, encoding="utf8") as f:
                    record = json_mod.load(f)
                if not first:
                    fout.write(",\n")
                json_mod.dump(record, fout, indent=2, ensure_ascii=False)
                first = False
            fout.write("\n]")

    def convert_to_json_min(self, input_data, output_dir, is_dir=True):
        self._check_format(Format.JSON_MIN)
        self._export("JSON_MIN", input_data, output_dir, is_dir)

    def convert_to_csv(self, input_data, output_dir, is_dir=True, **kwargs):
        self._check_format(Format.CSV)
        sep = kwargs.get("sep", ",")
        if sep == ",":
            fmt = "CSV"
        elif sep == "\t":
            fmt = "TSV"
        else:
            return self._fallback("convert_to_csv", input_data, output_dir, is_dir=is_dir, **kwargs)
        # Label Studio always writes the header (its `header` argument is ignored).
        header = True if self._compat else bool(kwargs.get("header", True))
        if str(output_dir).endswith(".csv"):
            parent = os.path.dirname(str(output_dir))
            if parent:
                _ensure_dir(parent)
            self._export(fmt, input_data, output_dir, is_dir, target_kind="file", header=header)
        else:
            self._export(fmt, input_data, output_dir, is_dir, header=header)

    def convert_to_conll2003(self, input_data, output_dir, is_dir=True):
        self._check_format(Format.CONLL2003)
        self._export("CONLL2003", input_data, output_dir, is_dir)

    def convert_to_coco(self, input_data, output_dir, output_image_dir=None, is_dir=True):
        self._check_format(Format.COCO)
        fmt = "COCO_WITH_IMAGES" if self.download_resources and self._images_natively() else "COCO"
        if self.download_resources and fmt == "COCO":
            return self._fallback(
                "convert_to_coco", input_data, output_dir, output_image_dir=output_image_dir, is_dir=is_dir,
                _download_resources=True,
            )
        self._with_dirs(fmt, input_data, output_dir, is_dir, {"images": output_image_dir})

    def convert_to_yolo(
        self,
        input_data,
        output_dir,
        output_image_dir=None,
        output_label_dir=None,
        is_dir=True,
        split_labelers=False,
        is_obb=False,
    ):
        self._check_format(Format.YOLO_OBB if is_obb else Format.YOLO)
        base = "YOLO_OBB" if is_obb else "YOLO"
        with_images = bool(self.download_resources)
        if split_labelers or (with_images and not self._images_natively()):
            return self._fallback(
                "convert_to_yolo", input_data, output_dir, output_image_dir=output_image_dir,
                output_label_dir=output_label_dir, is_dir=is_dir, split_labelers=split_labelers, is_obb=is_obb,
                _download_resources=self.download_resources,
            )
        fmt = base + "_WITH_IMAGES" if with_images else base
        self._with_dirs(fmt, input_data, output_dir, is_dir, {"images": output_image_dir, "labels": output_label_dir})

    def convert_to_voc(self, input_data, output_dir, output_image_dir=None, is_dir=True):
        summary = self._with_dirs(
            "VOC", input_data, output_dir, is_dir, {"images": output_image_dir},
            download_resources=self.download_resources,
        )
        if output_image_dir is not None and self._compat:
            # Label Studio writes the image directory as given into <folder> (minidom escaping).
            folder = str(output_image_dir)
            for ch, esc in (("&", "&amp;"), ("<", "&lt;"), ('"', "&quot;"), (">", "&gt;")):
                folder = folder.replace(ch, esc)
            old, new = b"<folder>images</folder>", f"<folder>{folder}</folder>".encode("utf-8")
            for name in summary.files:
                if not name.startswith("Annotations/"):
                    continue
                path = os.path.join(output_dir, *name.split("/"))
                with open(path, "rb") as f:
                    data = f.read()
                with open(path, "wb") as f:
                    f.write(data.replace(old, new, 1))

    # ------------------------------------------------------------------ machinery

    @property
    def _compat(self) -> bool:
        return _api._compat(self.compat)

    def _images_natively(self) -> bool:
        """Whether the engine writes the ``*_WITH_IMAGES`` formats for this converter: always
        in clean mode; in compat mode only when label-studio-sdk is not there to do it."""
        return not self._compat or _original_class() is None

    def _resource_kwargs(self) -> Dict[str, Any]:
        upload_dir = self.upload_dir
        if upload_dir is None and self.project_dir:
            upload_dir = os.path.join(self.project_dir, "upload")
        hostname = self.hostname or os.getenv("LABEL_STUDIO_URL", "") or os.getenv("LABEL_STUDIO_HOST", "")
        token = (
            self.access_token or os.getenv("LABEL_STUDIO_API_KEY", "") or os.getenv("LABEL_STUDIO_ACCESS_TOKEN", "")
        )
        root = os.getenv("LOCAL_FILES_DOCUMENT_ROOT") or None
        if root and os.path.abspath(root) == os.path.abspath(os.sep):
            root = None
        return {
            "upload_dir": os.fspath(upload_dir) if upload_dir else None,
            "hostname": hostname or None,
            "token": token or None,
            "local_files_root": root,
        }

    def _export(self, fmt, input_data, output, is_dir, *, target_kind="dir", header=True,
                download_resources=False, media=False):
        """Runs one export of ``input_data`` (a file, or with ``is_dir`` a directory of
        ``*.json`` files) into ``output``."""
        if is_dir:
            if not os.path.exists(input_data):
                raise FileNotFoundError("{input_dir} doesn't exist".format(input_dir=input_data))
            source: Dict[str, Any] = {"chunks": _dir_chunks(input_data)}
        else:
            source = {"path": os.fspath(input_data)}
        res = self._resource_kwargs()
        reads_media = download_resources or fmt.endswith("_WITH_IMAGES") or fmt == "ASR_MANIFEST"
        cleanup = None
        try:
            if reads_media and self.local_files_resolver is not None:
                root, cleanup = _resolve_local_files(self.local_files_resolver, input_data, is_dir)
                res["local_files_root"] = root
            compat = self._compat and not fmt.endswith("_WITH_IMAGES")
            summary = _api._run_native(
                fmt,
                os.fspath(output),
                target_kind=target_kind,
                config_xml=self._config_xml,
                config_name="label config",
                check_support=False,
                compat=compat,
                header=header,
                download_resources=bool(download_resources),
                **res,
                **source,
            )
        finally:
            if cleanup is not None:
                cleanup()
        if summary.warning_count:
            logger.warning(
                "%s: %d warning(s), the first: %s", summary.format, summary.warning_count, summary.warnings[0]
            )
            for w in summary.warnings[:1000]:
                logger.info("%s: %s", summary.format, w)
        return summary

    def _with_dirs(self, fmt, input_data, output_dir, is_dir, dirs: Mapping[str, Optional[str]], **kw):
        """Exports into ``output_dir``; entries named in ``dirs`` (``images``, ``labels``) that
        the caller placed elsewhere are moved there, as Label Studio writes them."""
        elsewhere = {k: os.fspath(v) for k, v in dirs.items() if v is not None}
        _ensure_dir(output_dir)
        for d in elsewhere.values():
            _ensure_dir(d)
        if not elsewhere:
            return self._export(fmt, input_data, output_dir, is_dir, **kw)
        staging = tempfile.mkdtemp(prefix=".exportkit-", dir=output_dir)
        try:
            summary = self._export(fmt, input_data, os.path.join(staging, "out"), is_dir, **kw)
            out = os.path.join(staging, "out")
            for name in os.listdir(out):
                _move_merge(os.path.join(out, name), elsewhere.get(name, os.path.join(output_dir, name)))
            return summary
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _original(self):
        if self._original_instance is None:
            cls = _original_class()
            if cls is None:
                raise FormatNotSupportedError(
                    "this needs label-studio-sdk's own converter (pip install label-studio-sdk): "
                    "exportkit does not implement it"
                )
            cfg = self._schema if self._config_string is None else self._config_string
            self._original_instance = cls(
                cfg,
                self.project_dir,
                output_tags=self._output_tags_arg,
                upload_dir=self.upload_dir,
                download_resources=self.download_resources,
                access_token=self.access_token,
                hostname=self.hostname,
                local_files_resolver=self.local_files_resolver,
                http_session=self.http_session,
            )
        return self._original_instance

    def _fallback(self, method, *args, _download_resources=None, **kwargs):
        """Hands a call the engine cannot reproduce to label-studio-sdk's converter."""
        original = self._original()
        original.download_resources = self.download_resources if _download_resources is None else _download_resources
        logger.info("exportkit: %s handed to label-studio-sdk's converter", method)
        if method == "convert":  # it installs the resolver and the session itself
            return original.convert(*args, **kwargs)
        from contextlib import ExitStack

        with ExitStack() as stack:
            try:
                from label_studio_sdk._extensions.label_studio_tools.core.utils import io as ls_io  # type: ignore
            except ImportError:  # pragma: no cover
                ls_io = None
            if ls_io is not None and self.local_files_resolver:
                stack.enter_context(ls_io.local_files_resolver(self.local_files_resolver))
            if ls_io is not None and self.http_session:
                stack.enter_context(ls_io.http_session(self.http_session))
            return getattr(original, method)(*args, **kwargs)


def _local_files_urls(input_data, is_dir) -> Iterator[str]:
    import json

    def walk(v):
        if isinstance(v, str):
            if v.startswith("/data/") and "?d=" in v:
                yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)

    paths = glob.glob(os.path.join(input_data, "*.json")) if is_dir else [input_data]
    for p in paths:
        with open(p, "rb") as f:
            text = f.read()
        if b"?d=" not in text:
            continue
        try:
            doc = json.loads(text)
        except ValueError:
            # NDJSON
            doc = [json.loads(line) for line in text.splitlines() if line.strip()]
        for task in doc if isinstance(doc, list) else [doc]:
            if isinstance(task, dict):
                yield from walk(task.get("data"))


def _resolve_local_files(resolver: Callable[[str], Optional[str]], input_data, is_dir):
    """Applies a Label Studio ``local_files_resolver`` before the export: every Local Storage
    URL of the input is resolved, and the files the resolver allows are linked (or copied) into
    a temporary document root that the engine reads ``?d=`` paths from. Refused paths are
    absent there, so the engine reports them as warnings. Returns ``(root, cleanup)``."""
    import posixpath
    from urllib.parse import parse_qs, urlparse

    root = tempfile.mkdtemp(prefix="exportkit-local-files-")
    seen = set()
    for url in _local_files_urls(input_data, is_dir):
        values = parse_qs(urlparse(url).query, keep_blank_values=True).get("d")
        rel = values[-1] if values else ""
        if not rel or rel in seen:
            continue
        seen.add(rel)
        target = resolver(rel)
        if target is None or not os.path.isfile(target):
            continue
        norm = posixpath.normpath(rel).lstrip("/")
        if norm.startswith(".."):
            continue
        dest = os.path.join(root, *norm.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.link(target, dest)
        except OSError:
            shutil.copyfile(target, dest)
    return root, lambda: shutil.rmtree(root, ignore_errors=True)


def patch_label_studio() -> None:
    """Makes ``label_studio_sdk.converter.Converter`` (and
    ``label_studio_sdk.converter.converter.Converter``, where Label Studio's export code
    imports it from) exportkit's :class:`Converter`. Idempotent; undo with
    :func:`unpatch_label_studio`. Raises ImportError when label-studio-sdk is not installed."""
    import importlib

    for mod_name, attr in _PATCH_TARGETS:
        mod = importlib.import_module(mod_name)
        current = getattr(mod, attr, None)
        if current is Converter:
            continue
        _ORIGINALS[(mod_name, attr)] = current
        setattr(mod, attr, Converter)


def unpatch_label_studio() -> None:
    """Puts label-studio-sdk's own converter back."""
    import importlib

    for (mod_name, attr), original in list(_ORIGINALS.items()):
        setattr(importlib.import_module(mod_name), attr, original)
        del _ORIGINALS[(mod_name, attr)]
