"""h5layout: a declarative, schema-driven compiler for HDF5 file layouts."""

from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING

from h5layout._version import __version__
from h5layout.runtime.errors import LayoutError, LayoutSpecError

if TYPE_CHECKING:
    from h5layout.runtime.check.report import Report

__all__ = ["LayoutError", "LayoutSpecError", "__version__", "load_layout", "validate"]


def load_layout(source: str | os.PathLike[str]) -> ModuleType:
    """The compiled module of a layout (shipped name or YAML path), imported.

    Compiled on first use and cached by content hash (see :mod:`h5layout.compiler.cache`);
    the compiler is imported only here, so ``import h5layout`` stays light.
    """
    from h5layout.compiler import load_layout as _load_layout

    return _load_layout(source)


def validate(
    path: str | os.PathLike[str],
    layout: str | os.PathLike[str] | None = None,
    *,
    backend: str = "h5py",
) -> Report:
    """Check one HDF5 file (or every ``*.h5``/``*.hdf5`` below a folder) against a layout.

    ``layout`` is a layout name (shipped, or ``NAME.py``/``NAME.yaml`` in the current
    folder or on ``$H5LAYOUT_PATH``), a layout file or a compiled module; None finds it
    from each file's ``h5layout_layout`` root attribute among the layouts the user chose
    (pymodaq_data files are recognised). Never loads a path or module a file names.
    ``backend`` is the library that reads the file (``h5py``, ``tables``; every backend
    gives the same findings). Returns a :class:`~h5layout.runtime.check.report.Report`;
    never raises for a bad file.
    """
    from h5layout.finder import layout_finder
    from h5layout.runtime.check.validate import validate_paths

    return validate_paths([path], layout, finder=layout_finder(), backend=backend)
