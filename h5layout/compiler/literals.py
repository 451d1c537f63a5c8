"""Python source for plain values, already in ``ruff format`` style.

Containers are always exploded one item per line with a trailing comma (ruff keeps such
"magic trailing commas"), strings use double quotes unless single quotes need fewer
escapes (ruff's rule), and every character that is not printable is escaped, so a value
can never end a literal, a line or a comment early. Output depends on the value alone
(dict order is kept as given, never hashed), so it is the same under any
``PYTHONHASHSEED``.
"""

from __future__ import annotations

import math
from typing import Any

from h5layout.compiler.errors import CompileError

INDENT = "    "


def py_str(text: str) -> str:
    """A string literal for ``text`` (ruff's quote choice, non-printables escaped)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return quote + "".join(out) + quote


def py_scalar(value: Any) -> str:
    """A literal for None, a bool, an int, a float or a str."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(float(value)).replace("e+", "e")  # ruff writes 1e16, not 1e+16
    if isinstance(value, str):
        return py_str(value)
    raise CompileError(f"cannot write a value of type {type(value).__name__} as a literal")


def is_scalar(value: Any) -> bool:
    """True for the values :func:`py_scalar` writes."""
    return value is None or isinstance(value, bool | int | float | str)


def py_literal(value: Any, level: int = 0) -> str:
    """Source of ``value`` (nested dicts/lists/tuples of scalars), indented at ``level``.

    The first line is not indented (it follows ``name = ``); inner lines are.
    """
    if is_scalar(value):
        return py_scalar(value)
    inner = INDENT * (level + 1)
    close = INDENT * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{py_literal(k, level + 1)}: {py_literal(v, level + 1)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + "\n" + close + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{py_literal(v, level + 1)}," for v in value]
        return "[\n" + "\n".join(items) + "\n" + close + "]"
    if isinstance(value, tuple):
        if not value:
            return "()"
        if len(value) == 1 and is_scalar(value[0]):
            # ruff collapses a one-item tuple: its comma is not a magic trailing comma
            return f"({py_scalar(value[0])},)"
        items = [f"{inner}{py_literal(v, level + 1)}," for v in value]
        return "(\n" + "\n".join(items) + "\n" + close + ")"
    raise CompileError(f"cannot write a value of type {type(value).__name__} as a literal")
