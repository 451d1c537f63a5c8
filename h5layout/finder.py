"""The layout finder with the compiler plugged in (the layer above runtime and compiler).

:class:`h5layout.runtime.check.detect.LayoutFinder` finds compiled layouts with the runtime
alone; YAML layouts (a ``--layout x.yaml``, a shipped layout not compiled yet, a
``NAME.yaml`` on the search path) need the compiler, which the runtime never imports.
The command line and :func:`h5layout.validate` use the finder built here.
"""

from __future__ import annotations

import os
from pathlib import Path

from h5layout.runtime.check.detect import LayoutFinder
from h5layout.runtime.check.detect import find_layout_spec as _find
from h5layout.runtime.layout.spec import LayoutSpec

__all__ = ["compile_layout_spec", "find_layout_spec", "layout_finder"]


def compile_layout_spec(source: str | Path) -> LayoutSpec:
    """The resolved layout of a layout file or shipped name, compiled on first use and
    cached (:func:`h5layout.load_layout`)."""
    from h5layout.compiler import load_layout

    return LayoutSpec.from_dict(load_layout(source).LAYOUT)


def layout_finder() -> LayoutFinder:
    """A finder that compiles YAML layouts when needed."""
    return LayoutFinder(compile_layout_spec)


def find_layout_spec(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    file: str | os.PathLike[str] | None = None,
) -> LayoutSpec:
    """:func:`h5layout.runtime.check.detect.find_layout_spec` with the compiler plugged in."""
    return _find(name_or_path, file=file, compile=compile_layout_spec)
