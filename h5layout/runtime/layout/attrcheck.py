"""Checking attribute values against a layout's :class:`~h5layout.runtime.layout.spec.AttrSpec`.

One function for both directions: savers check what a caller passes before anything is
written, and the file checker checks what it reads from a file.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import cast

import numpy as np
import numpy.typing as npt

from h5layout.runtime.errors import DataValueError, MissingAttributeError, ValueProblem
from h5layout.runtime.layout.patterns import search as pattern_search
from h5layout.runtime.layout.spec import AttrSpec

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str, np.str_),
    "int": (int, np.integer),
    "float": (float, int, np.floating, np.integer),
    "bool": (bool, np.bool_),
    "tuple": (tuple,),
    "list": (list,),
    "ndarray": (np.ndarray,),
    "datetime": (datetime.datetime, datetime.date, datetime.time, str),
    "dict": (dict,),
}


def type_name(value: object) -> str:
    """Short name of a value's type for messages."""
    return type(value).__name__


def check_type(expected: str, value: object, item_type: str | None = None) -> str | None:
    """Why ``value`` (any Python value) is not of the layout type ``expected`` (None when
    it is)."""
    if expected == "any":
        return None
    allowed = _PY_TYPES.get(expected)
    if allowed is None:
        return f"unknown layout type {expected!r}"
    # bool is an int in Python; a layout int/float does not take a bool.
    if expected in ("int", "float") and isinstance(value, bool | np.bool_):
        return f"expected {expected}, got bool"
    if not isinstance(value, allowed):
        return f"expected {expected}, got {type_name(value)}"
    if isinstance(value, tuple | list) and item_type and item_type != "any":
        for i, item in enumerate(value):
            why = check_type(item_type, item)
            if why:
                return f"item {i}: {why}"
    return None


def check_value(spec: AttrSpec, value: object) -> list[tuple[str, str]]:
    """Problems of ``value`` for ``spec``, as ``(code, message)`` pairs (empty when fine)."""
    why = check_type(spec.type, value, spec.item_type)
    if why:
        return [("bad-attribute-type", why)]
    out: list[tuple[str, str]] = []
    if spec.has_const and not _equal(value, spec.const):
        out.append(("bad-attribute-value", f"must be {spec.const!r}, got {value!r}"))
    if spec.enum is not None and not any(_equal(value, e) for e in spec.enum):
        out.append(("bad-attribute-value", f"must be one of {list(spec.enum)!r}, got {value!r}"))
    if (
        spec.pattern is not None
        and isinstance(value, str)
        and not pattern_search(spec.pattern, value)  # RE2: linear time on any value
    ):
        out.append(
            ("bad-attribute-value", f"{value!r} does not match the pattern {spec.pattern!r}")
        )
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            out.append(("out-of-range", f"{value!r} is below the minimum {spec.minimum!r}"))
        if spec.maximum is not None and value > spec.maximum:
            out.append(("out-of-range", f"{value!r} is above the maximum {spec.maximum!r}"))
    return out


def _equal(a: object, b: object) -> bool:
    try:
        if not isinstance(a, np.ndarray):
            return bool(a == b)
        # array_equal takes any object (False for one that is no array)
        return bool(np.array_equal(a, cast("npt.ArrayLike", b)))
    except (TypeError, ValueError):
        return False


def coerce(spec: AttrSpec, value: object) -> object:
    """The value to store: ints promoted for float attributes, lists for tuple attributes."""
    if spec.type == "float" and isinstance(value, int | np.integer) and not isinstance(value, bool):
        return float(value)
    if spec.type == "tuple" and isinstance(value, list):
        return tuple(value)
    if spec.type == "datetime" and isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def units_attr(name: str) -> str:
    """The companion attribute holding the units a layout declares for ``name``."""
    return f"{name}_units"


def resolve_attrs(
    node_type: str,
    specs: Mapping[str, AttrSpec],
    given: Mapping[str, object],
    *,
    where: str = "",
) -> dict[str, object]:
    """The attributes to write for a new node: checked values, consts and defaults.

    Raises :class:`MissingAttributeError` (only required attributes absent) or
    :class:`DataValueError` (a value of the wrong type or out of its rules), before anything
    is written; either carries every problem (``.problems``, each with a stable code).
    """
    problems: list[ValueProblem] = []
    out: dict[str, object] = {}
    path = where or node_type
    for name, spec in specs.items():
        if name in given and given[name] is not None:
            value = coerce(spec, given[name])
            for code, msg in check_value(spec, value):
                problems.append(ValueProblem(path, name, code, msg))
            out[name] = value
        elif spec.has_const:
            out[name] = spec.const
        elif spec.has_default:
            out[name] = spec.default
        elif spec.required:
            msg = f"missing required attribute ({spec.type})"
            problems.append(ValueProblem(path, name, "missing-attribute", msg))
    if problems:
        place = f" at {where}" if where else ""
        text = f"{node_type}{place}: " + "; ".join(str(p) for p in problems)
        if all(p.code == "missing-attribute" for p in problems):
            raise MissingAttributeError(text, problems)
        raise DataValueError(text, problems)
    return out
