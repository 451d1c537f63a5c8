"""Finding the resolved layout (:class:`LayoutSpec`) for a name, a path or a file.

The fast path is a compiled module: ``h5layout.<name>`` carries the resolved layout as
plain literals (``LAYOUT``), so nothing of pydantic, YAML or jinja2 is imported. Only when
no compiled module exists is the layout language (:mod:`h5layout.schema`) loaded, lazily.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from h5layout.runtime.errors import LayoutNotFoundError
from h5layout.runtime.layout_cache import layout_of, lookup
from h5layout.runtime.spec import LayoutSpec

__all__ = ["LayoutNotFoundError", "detect_layout", "find_layout_spec", "shipped_layouts"]


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _looks_like_path(name: str) -> bool:
    return name.endswith((".yaml", ".yml", ".py")) or "/" in name or os.sep in name


@lru_cache(maxsize=32)
def _by_name(name: str) -> LayoutSpec:
    if not _NAME_RE.match(name):
        raise LayoutNotFoundError(f"{name!r} is not a layout name")
    modname = f"h5layout.{name}"
    if importlib.util.find_spec(modname) is not None:
        try:
            return LayoutSpec.from_dict(layout_of(("package", modname)))
        except Exception:
            pass
    shipped = shipped_layouts()
    if name not in shipped:
        raise LayoutNotFoundError(
            f"unknown layout {name!r} (shipped: {', '.join(shipped)}; or give a layout file)"
        )
    return _compiled(name)


def _compiled(source: str) -> LayoutSpec:
    """The layout of a source through the compile cache (compiling on first use)."""
    target = lookup(source)
    if target is None:
        import h5layout  # the compiler, loaded only when nothing is cached yet

        module: Any = h5layout.load_layout(source)
        target = lookup(source)
        if target is None:
            return LayoutSpec.from_dict(module.LAYOUT)
    return LayoutSpec.from_dict(layout_of(target))


def shipped_layouts() -> list[str]:
    """Names of the layouts shipped in :mod:`h5layout.layouts`."""
    folder = Path(__file__).resolve().parent.parent / "layouts"
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=32)
def _by_path(path: str) -> LayoutSpec:
    return _compiled(path)


def detect_layout(file: str | os.PathLike[str]) -> str | None:
    """The layout name a file says it follows (root attributes), ``'pymodaq'`` for
    pymodaq_data files, or None. Never raises for an unreadable file (returns None)."""
    from h5layout.runtime.attrs import read_attr
    from h5layout.runtime.probe import probe_file
    from h5layout.runtime.validate import detect_layout_name

    probe = probe_file(file)
    if probe.problem() is not None:
        return None
    try:
        import h5py

        from h5layout.runtime.backends._swmr_read import open_swmr_reader

        opened = (
            open_swmr_reader(os.fspath(file), locking=False)
            if probe.swmr_writer
            else h5py.File(os.fspath(file), "r", locking=False)
        )
        with opened as h5:
            attrs = {k: read_attr(h5.attrs[k]) for k in h5.attrs}
            name = detect_layout_name(attrs)
            if name is None:
                raw = h5.get("RawData")
                if raw is not None and "CLASS" in raw.attrs and "TITLE" in raw.attrs:
                    name = "pymodaq"
            return name
    except Exception:
        return None


def find_layout_spec(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    file: str | os.PathLike[str] | None = None,
) -> LayoutSpec:
    """The resolved layout for a shipped/compiled name, a layout file, or a data file.

    With ``name_or_path`` None the layout is detected from ``file``'s root attributes
    (``h5layout_layout``) or recognised as ``pymodaq``. Raises :class:`LayoutNotFoundError`
    when no layout can be found.
    """
    if name_or_path is None:
        if file is None:
            raise LayoutNotFoundError("give a layout name or path, or a file to detect it from")
        detected = detect_layout(file)
        if detected is None:
            raise LayoutNotFoundError(
                f"{os.fspath(file)}: the file does not say which layout it follows"
            )
        name_or_path = detected
    text = os.fspath(name_or_path)
    if _looks_like_path(text) or Path(text).is_file():
        if not Path(text).is_file():
            raise LayoutNotFoundError(f"no such layout file: {text}")
        return _by_path(str(Path(text).resolve()))
    return _by_name(text)
