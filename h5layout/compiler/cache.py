"""``load_layout``: compile a layout on first use, cache the module by content hash.

The cache folder is ``$H5LAYOUT_CACHE_DIR``, else ``$XDG_CACHE_HOME/h5layout``, else
``~/.cache/h5layout``. A module is stored as ``<layout>_<hash12>.py`` where the hash is
the sha256 of the module text itself, so a cached file is never stale; files are
written atomically, so two processes compiling the same layout at once are safe.

An index entry per source (``index/<key>.json``, keyed by the source and the generator
version) lists the layout files read and their sha256: when they are unchanged, a later
``load_layout`` hashes those files and imports the module, without parsing YAML or
rendering anything.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

from h5layout.runtime.layout.cache import (
    CACHE_PACKAGE,
    atomic_write,
    cache_dir,
    import_module_file,
    import_target,
    lookup,
    write_index,
)

#: Shipped layouts compiled into the package (``h5layout.<name>``).
COMMITTED_MODULES = {"pymodaq": "h5layout.pymodaq"}

__all__ = ["CACHE_PACKAGE", "COMMITTED_MODULES", "cache_dir", "load_layout"]


def _committed(source: str, text: str) -> ModuleType | None:
    """The module committed in the package for a shipped layout, when it is current."""
    modname = COMMITTED_MODULES.get(source)
    if modname is None:
        return None
    spec = importlib.util.find_spec(modname)
    if spec is None or spec.origin is None:
        return None
    try:
        current = Path(spec.origin).read_text(encoding="utf-8") == text
    except OSError:
        return None
    return importlib.import_module(modname) if current else None


def load_layout(source: str | os.PathLike[str]) -> ModuleType:
    """The compiled module of a layout (shipped name or YAML path), imported.

    Compiles on first use; later calls (in this or another process) import the cached
    module. ``load_layout("pymodaq")`` returns :mod:`h5layout.pymodaq` when it is current.
    """
    target = lookup(source)
    if target is not None:
        try:
            return import_target(target)
        except (ImportError, OSError):
            pass  # a cached module that no longer imports: compile again
    from h5layout.compiler.build import compile_spec, portable_spec
    from h5layout.schema import load_layout_spec

    files: list[Path] = []
    spec = portable_spec(
        load_layout_spec(source if isinstance(source, str) else Path(source), files=files)
    )
    text = compile_spec(spec)
    if isinstance(source, str):
        committed = _committed(source, text)
        if committed is not None:
            write_index(source, files, package_module=committed.__name__)
            return committed
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    path = cache_dir() / f"{spec.layout}_{digest}.py"
    try:
        same = path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        atomic_write(path, text)
    write_index(source, files, module_file=path.name)
    return import_module_file(path)
