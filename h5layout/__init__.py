"""h5layout: a declarative, schema-driven compiler for HDF5 file layouts."""

from __future__ import annotations

import os
from types import ModuleType

from h5layout._version import __version__
from h5layout.runtime.errors import LayoutError, LayoutSpecError

__all__ = ["LayoutError", "LayoutSpecError", "__version__", "load_layout"]


def load_layout(source: str | os.PathLike[str]) -> ModuleType:
    """The compiled module of a layout (shipped name or YAML path), imported.

    Compiled on first use and cached by content hash (see :mod:`h5layout.compiler.cache`);
    the compiler is imported only here, so ``import h5layout`` stays light.
    """
    from h5layout.compiler import load_layout as _load_layout

    return _load_layout(source)
