"""The cache of compiled layouts, and fast access to a compiled module's ``LAYOUT``.

The compiler stores modules compiled by ``load_layout`` here, with an index entry per
source listing the layout files read and their sha256 (:func:`lookup` checks it by
hashing those files: no YAML, pydantic or jinja2). ``validate`` needs only a module's
``LAYOUT`` literal, not its saver classes: :func:`layout_of` keeps a JSON copy of it,
keyed by the module file's path, size and modification time, so checking a file does not
import the whole saving API.

The folder is ``$H5LAYOUT_CACHE_DIR``, else ``$XDG_CACHE_HOME/h5layout``, else
``~/.cache/h5layout``. Every write is atomic; a cache that cannot be written only costs
speed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from h5layout._version import __version__

if TYPE_CHECKING:
    from h5layout.runtime.layout.spec import PlainValue

#: parent name of the modules imported from the cache
CACHE_PACKAGE = "h5layout_compiled"
_TUPLE = "__tuple__"
#: deepest nesting of a ``LAYOUT`` literal read from source
MAX_LITERAL_DEPTH = 64


def cache_dir() -> Path:
    """The folder of cached compiled modules."""
    env = os.environ.get("H5LAYOUT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "h5layout"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (readers
    see the old or the new content, never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # writing the cache is rare; reading it happens at every start

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def index_path(source: str | os.PathLike[str]) -> Path:
    """The index entry of a layout source (a shipped name or a layout file)."""
    path = Path(source)
    ident = str(path.resolve()) if path.exists() else str(source)
    key = hashlib.sha256(f"{__version__}\0{ident}".encode()).hexdigest()[:24]
    return cache_dir() / "index" / f"{key}.json"


def write_index(source: str | os.PathLike[str], files: list[Path], **target: str) -> None:
    """Record that ``source``, built from ``files``, compiled to ``target``
    (``package_module=`` a module of the package, or ``module_file=`` a cached file)."""
    entry = {"files": [[str(f), file_digest(f)] for f in files], **target}
    try:
        atomic_write(index_path(source), json.dumps(entry, indent=1) + "\n")
    except OSError:
        pass


def lookup(source: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``('package', module name)`` or ``('file', path)`` of the compiled module of
    ``source`` when every layout file it was built from is unchanged; else None."""
    try:
        entry = json.loads(index_path(source).read_text(encoding="utf-8"))
        if any(file_digest(Path(f)) != digest for f, digest in entry["files"]):
            return None
        if "package_module" in entry:
            return ("package", str(entry["package_module"]))
        path = cache_dir() / str(entry["module_file"])
        return ("file", str(path)) if path.is_file() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def import_module_file(path: Path) -> ModuleType:
    """Import a cached module file (once per process) as ``h5layout_compiled.<stem>``."""
    modname = f"{CACHE_PACKAGE}.{path.stem}"
    module = sys.modules.get(modname)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[modname]
        raise
    return module


def import_target(target: tuple[str, str]) -> ModuleType:
    """The module a :func:`lookup` result names, imported."""
    kind, ref = target
    return importlib.import_module(ref) if kind == "package" else import_module_file(Path(ref))


def _encode(value: object) -> object:
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(obj: dict[str, object]) -> object:
    items = obj.get(_TUPLE)
    return tuple(items) if len(obj) == 1 and isinstance(items, list) else obj


def dumps_layout(layout: Mapping[str, PlainValue]) -> str:
    """A ``LAYOUT`` literal as JSON (tuples kept)."""
    return json.dumps(_encode(layout), sort_keys=False)


def loads_layout(text: str) -> dict[str, PlainValue]:
    """Inverse of :func:`dumps_layout`."""
    out: object = json.loads(text, object_hook=_decode)
    if not isinstance(out, dict):
        raise ValueError("not a layout")
    return out


class _Literal:
    """Builds the value of a literal expression node; anything else raises ValueError."""

    def __init__(self, names: Mapping[str, object]) -> None:
        self.names = names

    def build(self, node: ast.expr, depth: int = 0) -> object:
        if depth > MAX_LITERAL_DEPTH:
            raise ValueError("literal nested too deeply")
        if isinstance(node, ast.Constant) and isinstance(
            node.value, str | int | float | bool | type(None)
        ):
            return node.value
        if isinstance(node, ast.Dict):
            out: dict[str | int | float | bool | None, object] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    raise ValueError("'**' in a layout literal")
                key = self.build(k, depth + 1)
                if not isinstance(key, str | int | float | bool | type(None)):
                    raise ValueError("unhashable key")
                out[key] = self.build(v, depth + 1)
            return out
        if isinstance(node, ast.List):
            return [self.build(e, depth + 1) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.build(e, depth + 1) for e in node.elts)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub | ast.UAdd)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            number: int | float = node.operand.value
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.Name) and node.id in self.names:
            return self.names[node.id]
        raise ValueError(f"not a literal: {type(node).__name__}")


def parse_module_layout(text: str) -> dict[str, PlainValue]:
    """The ``LAYOUT`` literal of a compiled module's source, built without running it.

    Top-level assignments of literals (``NAME = {...}``, ``NAME: T = (...)``) are
    collected in order, so ``LAYOUT`` may refer to constants defined above it; anything
    that is not a literal is skipped, and a ``LAYOUT`` that is not one raises ValueError.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ValueError(f"not Python source ({type(exc).__name__})") from exc
    names: dict[str, object] = {}
    builder = _Literal(names)
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, value = stmt.target.id, stmt.value
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            target, value = stmt.targets[0].id, stmt.value
        else:
            continue
        if value is None:
            continue
        try:
            names[target] = builder.build(value)
        except (ValueError, RecursionError):
            if target == "LAYOUT":
                raise ValueError("LAYOUT is not a plain literal") from None
            continue
        if target == "LAYOUT":
            layout = names[target]
            if not isinstance(layout, dict):
                raise ValueError("LAYOUT is not a dict")
            return layout
    raise ValueError("no LAYOUT in the module")


def layout_of(target: tuple[str, str]) -> dict[str, PlainValue]:
    """The ``LAYOUT`` of a compiled module, from its JSON copy when the module file is
    unchanged. To make that copy a ``('package', name)`` or ``('file', path)`` module (of
    the package or the cache) is imported; a ``('source', path)`` module is parsed with
    :func:`parse_module_layout`, never imported."""
    kind, ref = target
    if kind == "package":
        found = importlib.util.find_spec(ref)
        if found is None or found.origin is None:
            raise ImportError(f"no module {ref}")
        origin = Path(found.origin)
    else:
        origin = Path(ref)
    st = origin.stat()
    ident = f"{origin.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0{__version__}"
    copy = cache_dir() / "layouts" / f"{hashlib.sha256(ident.encode()).hexdigest()[:24]}.json"
    try:
        return loads_layout(copy.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    layout: dict[str, PlainValue]
    if kind == "source":  # a module the user gave: read as data, never run
        layout = parse_module_layout(origin.read_text(encoding="utf-8"))
    else:
        layout = import_target(target).LAYOUT
    text = dumps_layout(layout)
    if loads_layout(text) == layout:  # only what JSON keeps exactly is cached
        try:
            atomic_write(copy, text)
        except OSError:
            pass
    return dict(layout)
