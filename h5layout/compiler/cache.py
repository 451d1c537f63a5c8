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
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from h5layout._version import __version__
from h5layout.compiler.errors import CompileError

#: Shipped layouts compiled into the package (``h5layout.<name>``).
COMMITTED_MODULES = {"pymodaq": "h5layout.pymodaq"}
#: Parent name of the modules imported from the cache.
CACHE_PACKAGE = "h5layout_compiled"


def cache_dir() -> Path:
    """The folder of cached compiled modules."""
    env = os.environ.get("H5LAYOUT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "h5layout"


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


def _import_file(modname: str, path: Path) -> ModuleType:
    module = sys.modules.get(modname)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise CompileError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[modname]
        raise
    return module


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _index_path(source: str | os.PathLike[str]) -> Path:
    ident = (
        source if isinstance(source, str) and os.sep not in source else str(Path(source).resolve())
    )
    key = hashlib.sha256(f"{__version__}\0{ident}".encode()).hexdigest()[:24]
    return cache_dir() / "index" / f"{key}.json"


def _from_index(index: Path) -> ModuleType | None:
    """The module an index entry names, when every file it was built from is unchanged."""
    try:
        entry = json.loads(index.read_text(encoding="utf-8"))
        if any(_file_digest(Path(f)) != digest for f, digest in entry["files"]):
            return None
        if "package_module" in entry:
            return importlib.import_module(entry["package_module"])
        path = cache_dir() / entry["module_file"]
        if not path.is_file():
            return None
        return _import_file(f"{CACHE_PACKAGE}.{path.stem}", path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_index(index: Path, files: list[Path], **target: str) -> None:
    from h5layout.compiler.build import atomic_write

    entry = {"files": [[str(f), _file_digest(f)] for f in files], **target}
    try:
        atomic_write(index, json.dumps(entry, indent=1) + "\n")
    except OSError:
        pass  # a read-only cache only costs speed


def load_layout(source: str | os.PathLike[str]) -> ModuleType:
    """The compiled module of a layout (shipped name or YAML path), imported.

    Compiles on first use; later calls (in this or another process) import the cached
    module. ``load_layout("pymodaq")`` returns :mod:`h5layout.pymodaq` when it is current.
    """
    index = _index_path(source)
    cached = _from_index(index)
    if cached is not None:
        return cached
    from h5layout.compiler.build import atomic_write, compile_spec, portable_spec
    from h5layout.schema import load_layout_spec

    files: list[Path] = []
    spec = portable_spec(
        load_layout_spec(source if isinstance(source, str) else Path(source), files=files)
    )
    text = compile_spec(spec)
    if isinstance(source, str):
        committed = _committed(source, text)
        if committed is not None:
            _write_index(index, files, package_module=committed.__name__)
            return committed
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    layout = spec.layout
    path = cache_dir() / f"{layout}_{digest}.py"
    try:
        same = path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        atomic_write(path, text)
    _write_index(index, files, module_file=path.name)
    return _import_file(f"{CACHE_PACKAGE}.{layout}_{digest}", path)
