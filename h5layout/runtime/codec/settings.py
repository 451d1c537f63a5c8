"""Module settings as PyMoDAQ parameter-tree XML, and where they are stored.

PyMoDAQ's H5Browser parses every attribute whose name contains ``settings`` as a
parameter tree: each element is a parameter (tag = name) with ``type`` and ``title``
attributes and its value as text. :func:`settings_to_xml` writes that format from a
string, a parameter-tree object (``name()``, ``opts``, ``children()``, ``value()``, as
pyqtgraph/PyMoDAQ parameters have) or plain nested dicts; :func:`settings_from_xml`
reads it back into dicts without evaluating anything.

HDF5 attributes are limited to 64 kB (compact storage); larger settings are written to a
string array next to the attribute, which then holds a small valid tree pointing to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias
from xml.etree import ElementTree as ET

#: A parameter's value: whatever its parameter type holds (a number, text, a bool, a list,
#: a colour...), written through ``str``/``int``/``float`` as its type says. Parameters
#: hold anything their widget edits, so this is anything.
ParamValue: TypeAlias = Any
#: One parameter as plain data: ``name``, ``type``, ``title``, options, ``value`` and
#: ``children`` (a list of these); what a key holds depends on the key.
ParamDict: TypeAlias = dict[str, ParamValue]

#: boolean options every element carries (PyMoDAQ writes them all)
_BOOLEAN_OPTIONS = {
    "visible": True,
    "removable": False,
    "readonly": False,
    "enabled": True,
    "renamable": True,
    "expanded": True,
    "syncExpanded": True,
    "showTop": False,
    "strictNaming": False,
}
#: settings above this many UTF-8 bytes go to a dataset (HDF5 compact attributes: 64 kB)
MAX_ATTRIBUTE_BYTES = 60_000
#: name of the string array holding settings too large for an attribute
SETTINGS_DATASET = "Settings"


def _tag(name: str) -> str:
    """An XML-safe element name (PyMoDAQ parameter names are identifiers already)."""
    out = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in str(name)) or "settings"
    return out if (out[0].isalpha() or out[0] == "_") else "_" + out


def _text(ptype: str, value: ParamValue) -> str | None:
    if value is None:
        return None
    if "bool" in ptype or "led" in ptype:
        return ("1" if value else "0") if isinstance(value, bool) else str(value)
    if ptype == "int":
        return str(int(value))
    if ptype == "float":
        return repr(float(value))
    return str(value)


def _element(
    name: str, ptype: str, title: str, value: ParamValue, opts: Mapping[str, object]
) -> ET.Element:
    attrib = {"type": ptype, "title": title}
    for key, default in _BOOLEAN_OPTIONS.items():
        attrib[key] = "1" if opts.get(key, default) else "0"
    for key in ("label", "suffix"):
        if opts.get(key) is not None:
            attrib[key] = str(opts[key])
    elt = ET.Element(_tag(name), attrib)
    text = _text(ptype, value)
    if text is not None:
        elt.text = text
    return elt


def _from_parameter(param: object) -> ET.Element:
    """The element of a parameter-tree object (duck typed: ``opts``, ``name()``,
    ``value()``, ``children()``, each optional)."""
    opts = dict(getattr(param, "opts", {}) or {})
    get_name, get_value = getattr(param, "name", None), getattr(param, "value", None)
    get_children = getattr(param, "children", None)
    name = get_name() if callable(get_name) else str(opts.get("name", "settings"))
    ptype = str(opts.get("type", "group"))
    value = get_value() if "value" in opts and callable(get_value) else None
    elt = _element(name, ptype, str(opts.get("title") or name), value, opts)
    for child in get_children() if callable(get_children) else []:
        elt.append(_from_parameter(child))
    return elt


def _from_dict(d: Mapping[str, ParamValue]) -> ET.Element:
    name = str(d.get("name", "settings"))
    children = d.get("children") or []
    ptype = str(d.get("type", "group" if children else _guess_type(d.get("value"))))
    elt = _element(name, ptype, str(d.get("title") or name), d.get("value"), d)
    for child in children:
        elt.append(_from_dict(child))
    return elt


def _guess_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _valid_xml(text: str) -> str:
    """``text`` when it is parameter XML already; otherwise a tree the browser can parse.

    Elements missing ``type`` or ``title`` get them (PyMoDAQ fails on elements without a
    type); text that is not XML at all is kept whole as one ``text`` parameter.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        wrapper = _element("settings", "group", "settings", None, {})
        wrapper.append(_element("text", "text", "text", text, {}))
        return ET.tostring(wrapper, encoding="unicode")
    missing = [e for e in root.iter() if not e.get("type") or e.get("title") is None]
    if not missing:
        return text
    for elt in missing:
        if not elt.get("type"):
            has_text = bool(elt.text and elt.text.strip())
            elt.set("type", "str" if has_text and not len(elt) else "group")
        if elt.get("title") is None:
            elt.set("title", elt.tag)
    return ET.tostring(root, encoding="unicode")


def settings_to_xml(settings: object) -> str:
    """PyMoDAQ parameter XML for ``settings`` (XML text, parameter tree, dict or None)."""
    if settings is None or settings == "":
        return ET.tostring(_element("settings", "group", "settings", None, {}), encoding="unicode")
    if isinstance(settings, bytes):
        settings = settings.decode("utf-8")
    if isinstance(settings, str):
        return _valid_xml(settings)
    if isinstance(settings, Mapping):
        return ET.tostring(_from_dict(settings), encoding="unicode")
    return ET.tostring(_from_parameter(settings), encoding="unicode")


def _value(ptype: str, text: str | None) -> str | int | float | bool | None:
    if text is None:
        return "" if ptype == "str" else None
    try:
        if ptype == "float":
            return float(text)
        if ptype == "int":
            # int() first: going through float would round integers past 2**53
            try:
                return int(text)
            except ValueError:
                return int(float(text))
        if ("bool" in ptype or "led" in ptype) and text in ("0", "1"):
            return text == "1"
    except ValueError:
        return text
    return text


def _to_dict(elt: ET.Element) -> ParamDict:
    ptype = elt.get("type", "group")
    out: ParamDict = {"name": elt.tag, "type": ptype, "title": elt.get("title", elt.tag)}
    value = _value(ptype, elt.text.strip() if elt.text and elt.text.strip() else None)
    if value is not None:
        out["value"] = value
    if len(elt):
        out["children"] = [_to_dict(child) for child in elt]
    return out


def settings_from_xml(text: str) -> ParamDict:
    """The parameter tree of PyMoDAQ settings XML as nested dicts (nothing evaluated)."""
    return _to_dict(ET.fromstring(text))


def module_settings(module: object) -> str:
    """The settings XML of a module: ``settings_xml``, else its parameter tree ``settings``."""
    xml = getattr(module, "settings_xml", None)
    if xml is not None:
        return settings_to_xml(xml)
    return settings_to_xml(getattr(module, "settings", None))


def pointer_xml(dataset_path: str) -> str:
    """A small valid tree saying where settings too large for an attribute are."""
    elt = _element("settings", "group", f"settings stored in {dataset_path}", None, {})
    elt.append(_element("stored_in", "str", "stored in", dataset_path, {"readonly": True}))
    return ET.tostring(elt, encoding="unicode")
