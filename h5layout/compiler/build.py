"""The edges of compilation: layout in, text out, files written only when changed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from h5layout.compiler.lowering import lower
from h5layout.compiler.render import render
from h5layout.runtime.layout_cache import atomic_write
from h5layout.runtime.spec import LayoutSpec

#: How shipped layouts are named in locations (kept as is: the same on every machine).
_SHIPPED_PREFIX = "h5layout/layouts/"


def _portable_location(location: str) -> str:
    """``/home/me/lab/x.yaml:3:5`` -> ``x.yaml:3:5`` (shipped layouts kept as they are)."""
    file, sep, rest = location.rpartition(":")
    file, sep2, line = file.rpartition(":")
    if not sep or not sep2 or file.startswith(_SHIPPED_PREFIX):
        return location
    return f"{Path(file).name}:{line}:{rest}"


def portable_spec(spec: LayoutSpec) -> LayoutSpec:
    """``spec`` with the folders of its files dropped from ``source`` and locations.

    The module of a layout is then the same bytes wherever the layout file lives and
    however its path was written (relative, absolute).
    """
    nodes = {}
    for name, node in spec.nodes.items():
        attrs = {
            k: dataclasses.replace(a, location=_portable_location(a.location))
            for k, a in node.attrs.items()
        }
        options = dict(node.options)
        if isinstance(options.get("locations"), dict):  # per-rule locations, when recorded
            options["locations"] = {
                k: _portable_location(v) for k, v in options["locations"].items()
            }
        nodes[name] = dataclasses.replace(
            node, attrs=attrs, location=_portable_location(node.location), options=options
        )
    source = spec.source
    if "/" in source or os.sep in source:
        source = Path(source).name
    return dataclasses.replace(spec, source=source, nodes=nodes)


def compile_spec(spec: LayoutSpec) -> str:
    """The module source of a resolved layout (pure: same spec, same text)."""
    return render(lower(spec))


def compile_layout(source: str | Path) -> str:
    """Check a layout (shipped name or YAML path) and return its module source.

    Raises :class:`~h5layout.runtime.errors.LayoutSpecError` for a wrong layout and
    :class:`~h5layout.compiler.errors.CompileError` for one that cannot become code.
    """
    from h5layout.schema import load_layout_spec

    return compile_spec(portable_spec(load_layout_spec(source)))


def write_if_changed(path: str | Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; True if written."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    atomic_write(path, text)
    return True
