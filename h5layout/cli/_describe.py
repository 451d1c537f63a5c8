"""Words for a layout's parts, shared by ``inspect LAYOUT`` and ``docs``.

Pure functions from :mod:`h5layout.runtime.layout.spec` objects to short text.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from h5layout.runtime.layout.spec import ArraySpec, AttrSpec, ChildSpec, NodeSpec


def naming_text(node: NodeSpec) -> str:
    """``Scan{index:03d}``, a fixed name, or ``(any name)``."""
    if node.naming.pattern:
        extra = ", error past the width" if node.naming.overflow == "error" else ""
        return f"{node.naming.pattern}{extra}"
    if node.naming.fixed:
        return node.naming.fixed
    return "(any name)"


def attr_type(a: AttrSpec) -> str:
    """``str``, ``tuple[int]`` ..."""
    return f"{a.type}[{a.item_type}]" if a.item_type else a.type


def attr_constraints(a: AttrSpec) -> str:
    """The value rules of an attribute in one phrase ('' when free)."""
    parts: list[str] = []
    if a.has_const:
        parts.append(f"= {a.const!r}")
    if a.enum is not None:
        parts.append("one of " + ", ".join(repr(v) for v in a.enum))
    if a.pattern:
        parts.append(f"matches /{a.pattern}/")
    if a.minimum is not None and a.maximum is not None:
        parts.append(f"in [{a.minimum:g}, {a.maximum:g}]")
    elif a.minimum is not None:
        parts.append(f">= {a.minimum:g}")
    elif a.maximum is not None:
        parts.append(f"<= {a.maximum:g}")
    if a.has_default:
        parts.append(f"default {a.default!r}")
    return "; ".join(parts)


def array_text(arr: ArraySpec) -> str:
    """Kind, dtypes, rank/dims and storage of an array type in one phrase."""
    parts = [arr.kind]
    parts.append("dtype " + ("|".join(arr.dtypes) if arr.dtypes else "any"))
    if arr.rank is not None:
        lo, hi = arr.rank
        parts.append(f"rank {lo}" if lo == hi else f"rank {lo}..{'' if hi is None else hi}")
    if arr.dims is not None:
        parts.append("dims (" + ", ".join("*" if d is None else str(d) for d in arr.dims) + ")")
    st = arr.storage
    if st.compression:
        level = f" level {st.level}" if st.level is not None else ""
        parts.append(f"{st.compression}{level}" + (" +shuffle" if st.shuffle else ""))
    if st.chunks not in (None, "auto"):
        parts.append(f"chunks {st.chunks}")
    return ", ".join(parts)


def children_text(node: NodeSpec) -> str:
    """``scan (0..), detector (1..4)`` or '-'."""
    if not node.children:
        return "-"
    return ", ".join(f"{name} ({count_text(c)})" for name, c in node.children.items())


def count_text(c: ChildSpec) -> str:
    """``0..``, ``1``, ``1..4``."""
    if c.max is not None and c.max == c.min:
        return str(c.min)
    return f"{c.min}..{'' if c.max is None else c.max}"


def short_location(location: str) -> str:
    """``pymodaq.yaml:121`` from ``/abs/path/pymodaq.yaml:121:3`` (no column, no folder)."""
    if not location:
        return ""
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return f"{os.path.basename(parts[0])}:{parts[1]}"
    return os.path.basename(location)


def use_colour(stream: TextIO, choice: str = "auto") -> bool:
    """Colour on a terminal unless ``NO_COLOR`` is set; ``always``/``never`` override."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


class Paint:
    """ANSI styles, or nothing when colour is off."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def _s(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on and text else text

    def bold(self, text: str) -> str:
        """Node names."""
        return self._s("1", text)

    def type(self, text: str) -> str:
        """Layout node types."""
        return self._s("36", text)

    def shape(self, text: str) -> str:
        """Shapes and dtypes."""
        return self._s("33", text)

    def dim(self, text: str) -> str:
        """Secondary information."""
        return self._s("2", text)

    def bad(self, text: str) -> str:
        """Errors."""
        return self._s("31", text)


def stdout_paint(choice: str = "auto") -> Paint:
    """A :class:`Paint` for standard output."""
    return Paint(use_colour(sys.stdout, choice))


def value_text(value: object, limit: int = 100) -> str:
    """A decoded attribute value on one line, cut at ``limit`` characters."""
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
