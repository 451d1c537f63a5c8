"""Python source for plain values: in ``ruff format`` style (:func:`py_literal`), or filled
into table rows (:func:`py_flow`, for the data sections ruff is told not to format).

:func:`py_literal` explodes containers one item per line with a trailing comma (ruff keeps
such "magic trailing commas"); strings use double quotes unless single quotes need fewer
escapes (ruff's rule), and every character that is not printable is escaped, so a value
can never end a literal, a line or a comment early. Output depends on the value alone
(dict order is kept as given, never hashed), so it is the same under any
``PYTHONHASHSEED``.
"""

from __future__ import annotations

import math
from typing import Final

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


def py_scalar(value: object) -> str:
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


def is_scalar(value: object) -> bool:
    """True for the values :func:`py_scalar` writes."""
    return value is None or isinstance(value, bool | int | float | str)


def py_literal(value: object, level: int = 0) -> str:
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


#: ruff's line length (pyproject), which compact literals are laid out for
LINE_LENGTH = 100


class Ref:
    """A name of the generated module used as a value (``_ATTRS``), or unpacked into a
    dict (``**_ATTRS``) when it is a key of a dict given to :func:`py_flow`."""

    def __init__(self, name: str) -> None:
        if not name.isidentifier():
            raise CompileError(f"{name!r} is not an identifier")
        self.name = name

    def __repr__(self) -> str:
        return f"Ref({self.name!r})"


def _cols(text: str) -> int:
    # ruff counts East Asian wide characters as two columns
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _flat(value: object) -> str:
    if isinstance(value, Ref):
        return value.name
    if is_scalar(value):
        return py_scalar(value)
    if isinstance(value, dict):
        items = [
            f"**{k.name}" if isinstance(k, Ref) else f"{_flat(k)}: {_flat(v)}"
            for k, v in value.items()
        ]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({_flat(value[0])},)"
        return "(" + ", ".join(_flat(v) for v in value) + ")"
    raise CompileError(f"cannot write a value of type {type(value).__name__} as a literal")


def _split_words(text: str, room: int) -> list[str]:
    """``text`` cut into pieces whose literals take at most ``room`` columns, after a space
    where there is one (a word longer than a line is cut anywhere)."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        while current and _cols(py_str(current + ch)) > room:
            cut = current.rfind(" ") + 1
            if 0 < cut < len(current):
                pieces.append(current[:cut])
                current = current[cut:]  # checked again: the rest may not fit either
            else:
                pieces.append(current)
                current = ""
        current += ch
    pieces.append(current)
    return pieces


_LEAD = "\x00"
_UNPACK: Final = object()  # the value of a ``**name`` item


class _Flow:
    """The lines :func:`py_flow` builds (the last one is being filled)."""

    def __init__(self, start: int) -> None:
        self.lines = [_LEAD * start]  # stands for what comes before the value

    def fits(self, text: str) -> bool:
        return _cols(self.lines[-1]) + _cols(text) <= LINE_LENGTH

    def fresh(self) -> bool:
        """True when the current line holds only its indentation and brackets."""
        return not self.lines[-1].strip(" ([{")

    def newline(self, indent: int) -> None:
        self.lines.append(" " * indent)

    def put(self, value: object, base: int, tail: str) -> None:
        """Write ``value`` from the end of the current line (continuation lines indented
        ``base + 4``), leaving room for ``tail`` after it."""
        flat = _flat(value)
        if self.fits(flat + tail):
            self.lines[-1] += flat
            return
        inner = base + 4
        if isinstance(value, str):
            self.lines[-1] += "("
            pieces = _split_words(value, LINE_LENGTH - inner - 1 - _cols(tail))
            for i, piece in enumerate(pieces):
                text = py_str(piece) + (")" + tail if i == len(pieces) - 1 else "")
                if not self.fresh() and not self.fits(" " + text if i else text):
                    self.newline(inner)
                self.lines[-1] += (" " if i and not self.fresh() else "") + py_str(piece)
            self.lines[-1] += ")"
            return
        if isinstance(value, dict):
            items = [
                (f"**{k.name}", _UNPACK) if isinstance(k, Ref) else (f"{_flat(k)}: ", v)
                for k, v in value.items()
            ]
            op, cl = "{", "}"
        elif isinstance(value, list | tuple):
            items = [("", v) for v in value]
            op, cl = ("[", "]") if isinstance(value, list) else ("(", ")")
            if isinstance(value, tuple) and len(value) == 1:
                cl = ",)"
        else:
            self.lines[-1] += flat  # a scalar or a name: nothing to cut
            return
        self.lines[-1] += op
        for i, (prefix, item) in enumerate(items):
            last = i == len(items) - 1
            after = cl + tail if last else ","
            text = prefix + ("" if item is _UNPACK else _flat(item))
            space = "" if i == 0 else " "
            if self.fits(space + text + after):
                self.lines[-1] += space + text
            elif _cols(" " * inner + text + after) <= LINE_LENGTH or not self.fresh():
                self.newline(inner)
                if _cols(" " * inner + text + after) <= LINE_LENGTH or item is _UNPACK:
                    self.lines[-1] += text
                else:
                    self.lines[-1] += prefix
                    self.put(item, inner, after)
            else:  # at the start of a line and too long for one: cut the item itself
                self.lines[-1] += prefix
                self.put(item, inner, after)
            if not last:
                self.lines[-1] += ","
        self.lines[-1] += cl


def py_flow(value: object, indent: int = 0, lead: int = 0, tail: str = "") -> str:
    """Source of ``value`` filled into lines of at most :data:`LINE_LENGTH` columns, for
    tables a reader scans (under ``# fmt: off``: ``ruff format`` would explode them).

    Items follow each other on a line while they fit (``indent`` spaces and ``lead``
    columns come before the value on its first line, ``tail`` after it on its last);
    continuation lines are indented four more columns than the line their container
    opened on; an item too long for a line of its own is cut inside, a string into
    parenthesised pieces at spaces. ``Ref`` values are names of the module; a ``Ref`` key
    of a dict is unpacked (``**name``). Same value, same text (no hashing).
    """
    flow = _Flow(indent + lead)
    flow.put(value, indent, tail)
    flow.lines[0] = flow.lines[0].lstrip(_LEAD)
    return "\n".join(line.rstrip() for line in flow.lines)
