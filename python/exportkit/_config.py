"""Label configs given as a path, XML text, or the parsed dict Label Studio passes around."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from xml.sax.saxutils import quoteattr

ConfigArg = Union[str, "os.PathLike[str]", Mapping[str, Any], None]

# What `formats`, `convert` and `Converter` need to know about a config: the XML text, or a
# path for the native side to read (so its errors match the CLI's), and a name for messages.
Resolved = Tuple[Optional[str], Optional[str], str]


def looks_like_xml(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("<")


def resolve(config: ConfigArg) -> Resolved:
    """Returns ``(xml, path, name)``: exactly one of ``xml`` and ``path`` is set unless
    ``config`` is None."""
    if config is None:
        return None, None, "label config"
    if isinstance(config, Mapping):
        return xml_from_parsed(config), None, "label config (rebuilt from the parsed dict)"
    if isinstance(config, os.PathLike):
        path = os.fspath(config)
        return None, path, path
    if isinstance(config, bytes):
        config = config.decode("utf-8")
    if isinstance(config, str):
        if looks_like_xml(config) or config == "":
            return config, None, "label config"
        return None, config, config
    raise TypeError(
        "config must be a path, label config XML, or the parsed config dict, "
        f"not {type(config).__name__}"
    )


def _attrs(pairs: List[Tuple[str, Any]]) -> str:
    out = []
    for key, value in pairs:
        if value is None:
            continue
        out.append(f" {key}={quoteattr(str(value))}")
    return "".join(out)


def _tag(tag: str) -> Tuple[str, str]:
    """``(name, xmlns attribute)`` for a tag as lxml spells it (``{uri}Local`` when namespaced)."""
    if tag.startswith("{") and "}" in tag:
        uri, local = tag[1:].split("}", 1)
        return "ns0:" + local, f" xmlns:ns0={quoteattr(uri)}"
    return tag, ""


def xml_from_parsed(schema: Mapping[str, Any]) -> str:
    """Rebuilds a label config from Label Studio's parsed config (``parse_config`` /
    ``project.get_parsed_config()``: ``{control name: {type, to_name, inputs, labels,
    labels_attrs, regex?, conditionals?, dynamic_labels?}}``).

    The parsed form keeps everything the converter reads: each control's tag, name, ``toName``,
    labels with all their attributes (``category``, ``model_index``, ``alias``, ...), per-region
    conditions and ``indexFlag`` variables, and each object's tag, ``value``/``valueList`` and
    ``valueType``. It drops layout and the controls' other attributes, which no export reads.
    Objects are named by pairing ``to_name`` with ``inputs`` in order (Label Studio drops an
    input whose object is missing, so a control pointing at a missing object may pair wrongly).
    """
    if not isinstance(schema, Mapping):
        raise ValueError("the parsed label config must be a dict")
    variables: List[str] = []
    objects: Dict[str, Dict[str, Any]] = {}
    controls: List[str] = []
    for name, info in schema.items():
        if not isinstance(info, Mapping) or "type" not in info:
            raise ValueError(
                f"cannot rebuild the label config: control {name!r} has no 'type' "
                "(pass the label config XML instead)"
            )
        to_name = info.get("to_name") or []
        if isinstance(to_name, str):
            to_name = to_name.split(",")
        inputs = info.get("inputs") or []
        for obj_name, obj in zip(to_name, inputs):
            if isinstance(obj, Mapping) and obj_name not in objects:
                objects[obj_name] = dict(obj)
        for var in (info.get("regex") or {}):
            if var not in variables:
                variables.append(var)
        attrs: List[Tuple[str, Any]] = [("name", name), ("toName", ",".join(to_name))]
        cond = info.get("conditionals") or {}
        if cond:
            key = {"tag": "whenTagName", "label": "whenLabelValue", "choice": "whenChoiceValue"}.get(
                cond.get("type")
            )
            if key:
                attrs += [("perRegion", "true"), (key, cond.get("name"))]
        if info.get("dynamic_labels"):
            attrs.append(("value", "$" + "dynamic_labels"))
        label_tag = "Choice" if info["type"] in ("Choices", "Taxonomy") else "Label"
        label_attrs = info.get("labels_attrs") or {}
        children = []
        for label in info.get("labels") or []:
            la = label_attrs.get(label)
            if not isinstance(la, Mapping) or not la:
                la = {"value": label}
            children.append(f"    <{label_tag}{_attrs(list(la.items()))}/>")
        tag, xmlns = _tag(str(info["type"]))
        if children:
            controls.append(f"  <{tag}{xmlns}{_attrs(attrs)}>\n" + "\n".join(children) + f"\n  </{tag}>")
        else:
            controls.append(f"  <{tag}{xmlns}{_attrs(attrs)}/>")
    lines = []
    for obj_name, obj in objects.items():
        tag, xmlns = _tag(str(obj.get("type") or "Text"))
        pairs: List[Tuple[str, Any]] = [("name", obj_name)]
        if obj.get("value") is not None:
            pairs.append(("value", "$" + str(obj["value"])))
        elif obj.get("valueList") is not None:
            pairs.append(("valueList", "$" + str(obj["valueList"])))
        pairs.append(("valueType", obj.get("valueType")))
        lines.append(f"  <{tag}{xmlns}{_attrs(pairs)}/>")
    lines += controls
    root = "<View" + "".join(f" indexFlag={quoteattr(v)}" for v in variables[:1]) + ">"
    body = "\n".join(lines)
    # One root attribute can hold one variable; further ones go on nested views.
    extra = variables[1:]
    for v in extra:
        body = f"<View indexFlag={quoteattr(v)}>\n{body}\n</View>"
    return f"{root}\n{body}\n</View>\n"
