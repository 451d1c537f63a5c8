"""Finding the resolved layout (:class:`LayoutSpec`) a user chose, or a file names.

Two questions, two trust levels:

* :meth:`LayoutFinder.find` — the layout the *user* gives (``--layout``): a name, a
  layout file (``.yaml``/``.yml``) or a compiled module (``.py``);
* :meth:`LayoutFinder.for_file` — the layout a *file* says it follows (its
  ``h5layout_layout`` root attribute). A file may only name a layout; it never supplies a
  path or a module. The name must be a Python identifier and is looked up only among
  layouts the user already chose: shipped with h5layout, compiled on this machine
  (``load_layout`` or ``h5layout compile -o``, matched by the layout's sha256 the file
  records), or ``NAME.py`` / ``NAME.yaml`` in a folder of ``$H5LAYOUT_PATH``. Not the
  current folder: that is where foreign data (and a layout shipped beside it to vouch for
  it) lands; a name given by the user (``--layout flim_map``) is looked up there too.

A compiled module's ``LAYOUT`` is read as data: its source is parsed (never imported, never
run) and only literals are accepted (:func:`read_module_layout`). Compiling a YAML layout
needs the compiler, which the runtime never imports: the layer above passes it in
(``LayoutFinder(compile=...)``; :mod:`h5layout.finder` does).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from h5layout.runtime.errors import LayoutNotFoundError, UntrustedLayoutError
from h5layout.runtime.layout.cache import (
    atomic_write,
    cache_dir,
    layout_of,
    lookup,
    parse_module_layout,
)
from h5layout.runtime.layout.spec import LayoutSpec, PlainDict

if TYPE_CHECKING:
    from h5layout.runtime.storage.backends import Backend, LibraryHandle, LibraryValue

__all__ = [
    "RAW_GROUP",
    "SEARCH_PATH_ENV",
    "LayoutClaim",
    "LayoutFinder",
    "LayoutNotFoundError",
    "UntrustedLayoutError",
    "claim_attrs",
    "claim_of",
    "detect_layout",
    "find_layout_spec",
    "read_claim",
    "read_module_layout",
    "remember_compiled",
    "shipped_layouts",
]

#: Folders (``os.pathsep``-separated) searched for ``NAME.py`` / ``NAME.yaml`` after the
#: current folder.
SEARCH_PATH_ENV = "H5LAYOUT_PATH"

#: Largest compiled module read for its ``LAYOUT`` (bytes).
MAX_MODULE_BYTES = 64 * 1024 * 1024

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_SHA_RE = re.compile(r"[0-9a-f]{64}\Z")
_HEADER_SHA = re.compile(r"# Layout sha256: ([0-9a-f]{64})$", re.MULTILINE)
_LAYOUT_SUFFIXES = (".yaml", ".yml")

#: Compiles a layout file or shipped name into its resolved spec (the compiler's job).
Compile = Callable[[str | Path], LayoutSpec]


# ------------------------------------------------------------------ what a file says


@dataclass(frozen=True)
class LayoutClaim:
    """What a file says about its layout (root attributes), all of it untrusted text."""

    name: str
    version: str | None = None
    sha256: str | None = None
    #: the name came from the ``h5layout_layout`` attribute (not recognised as pymodaq)
    named: bool = True


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def claim_of(
    root_attrs: Mapping[str, object], raw_data_attrs: Collection[str] | None = None
) -> LayoutClaim | None:
    """The layout a file says it follows, from its decoded root attributes, or None.

    ``h5layout_layout`` wins; a file with ``pymodaq_data_version`` (or, when
    ``raw_data_attrs`` gives the attribute names of its root ``RawData`` group, one with
    PyTables' ``CLASS`` and ``TITLE``) is a pymodaq file.
    """
    name = _text(root_attrs.get("h5layout_layout"))
    if name is not None:
        return LayoutClaim(
            name,
            _text(root_attrs.get("h5layout_layout_version")),
            _text(root_attrs.get("h5layout_layout_sha256")),
        )
    if "pymodaq_data_version" in root_attrs or "pymodaq_version" in root_attrs:
        return LayoutClaim("pymodaq", named=False)
    if raw_data_attrs is not None and "CLASS" in raw_data_attrs and "TITLE" in raw_data_attrs:
        return LayoutClaim("pymodaq", named=False)
    return None


#: the group a file pymodaq_data wrote holds its data in (recognised by its PyTables
#: ``CLASS``/``TITLE`` when the root says nothing)
RAW_GROUP = "RawData"

#: Root attributes that say which layout a file follows.
CLAIM_ATTRS = (
    "h5layout_layout",
    "h5layout_layout_version",
    "h5layout_layout_sha256",
    "pymodaq_data_version",
    "pymodaq_version",
)


def claim_attrs(raw_root_attrs: Mapping[str, LibraryValue]) -> dict[str, object]:
    """The root attributes of :data:`CLAIM_ATTRS` among raw ones, decoded."""
    from h5layout.runtime.codec.attrs import read_attr

    out: dict[str, object] = {}
    for key in CLAIM_ATTRS:
        if key in raw_root_attrs:
            try:
                out[key] = read_attr(raw_root_attrs[key])
            except Exception:
                out[key] = None
    return out


def read_claim(backend: Backend, file: LibraryHandle) -> LayoutClaim | None:
    """The layout an open file (or domain) says it follows, read through its backend."""
    root = backend.root(file)
    raw = {k: backend.get_attr(root, k) for k in CLAIM_ATTRS if backend.has_attr(root, k)}
    try:
        group = backend.get(file, "/" + RAW_GROUP)
    except KeyError:
        names = None
    else:
        names = backend.attr_names(group) if backend.is_group(group) else None
    return claim_of(claim_attrs(raw), names)


def detect_layout(file: str | os.PathLike[str]) -> str | None:
    """The layout name a file says it follows (root attributes), ``'pymodaq'`` for
    pymodaq_data files, or None. Never raises for an unreadable file (returns None)."""
    claim = _claim_of_file(file)
    return claim.name if claim is not None else None


# ------------------------------------------------------------------ compiled modules as data


def read_module_layout(path: str | os.PathLike[str]) -> PlainDict:
    """The ``LAYOUT`` of a compiled module file, read as data (never imported).

    Raises :class:`LayoutNotFoundError` when the file is missing, too large, or holds no
    literal ``LAYOUT``.
    """
    p = Path(path)
    try:
        if p.stat().st_size > MAX_MODULE_BYTES:
            raise LayoutNotFoundError(f"{p}: too large for a compiled layout module")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutNotFoundError(f"{p}: cannot read the compiled layout ({exc})") from exc
    try:
        return parse_module_layout(text)
    except ValueError as exc:
        raise LayoutNotFoundError(f"{p}: not a compiled h5layout module: {exc}") from exc


def _spec_of_module(path: Path) -> LayoutSpec:
    """The spec of a compiled module file, through the JSON copy of its ``LAYOUT``."""
    try:
        if path.stat().st_size > MAX_MODULE_BYTES:
            raise LayoutNotFoundError(f"{path}: too large for a compiled layout module")
        layout = layout_of(("source", str(path)))
        return LayoutSpec.from_dict(layout)
    except LayoutNotFoundError:
        raise
    except Exception as exc:
        raise LayoutNotFoundError(f"{path}: not a compiled h5layout module ({exc})") from exc


# ------------------------------------------------------------------ what the user compiled


def _records_dir() -> Path:
    return cache_dir() / "compiled"


def remember_compiled(module_path: str | os.PathLike[str], layout: str, sha256: str) -> None:
    """Record that this user compiled ``layout`` (that sha256) into ``module_path``, so
    files written with it are checked with no ``--layout`` on this machine."""
    if not _NAME_RE.match(layout) or not _SHA_RE.match(sha256):
        return
    entry = {"layout": layout, "sha256": sha256, "module": str(Path(module_path).resolve())}
    try:
        atomic_write(_records_dir() / f"{layout}-{sha256}.json", json.dumps(entry) + "\n")
    except OSError:
        pass  # a cache that cannot be written only costs the automatic look-up


def _compiled_here(name: str, sha256: str) -> LayoutSpec | None:
    """The layout ``name`` with that sha256, compiled or loaded by this user, if any."""
    candidates: list[Path] = []
    try:
        entry = json.loads((_records_dir() / f"{name}-{sha256}.json").read_text("utf-8"))
        candidates.append(Path(str(entry["module"])))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    folder = cache_dir()
    try:
        candidates.extend(sorted(folder.glob(f"{name}_*.py")))  # load_layout's modules
    except OSError:
        pass
    for path in candidates:
        try:
            with path.open(encoding="utf-8") as fh:
                head = "".join(fh.readline() for _ in range(4))
        except (OSError, UnicodeDecodeError):
            continue
        found = _HEADER_SHA.search(head)
        if found is None or found.group(1) != sha256:
            continue
        try:
            spec = _spec_of_module(path)
        except LayoutNotFoundError:
            continue
        if spec.layout == name and spec.sha256 == sha256:
            return spec
    return None


# ------------------------------------------------------------------ the finder


def shipped_layouts() -> list[str]:
    """Names of the layouts shipped in :mod:`h5layout.layouts`."""
    folder = Path(__file__).resolve().parents[2] / "layouts"
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[2]


def search_dirs(*, cwd: bool = True) -> list[Path]:
    """The current folder (unless ``cwd`` is False), then every folder of
    ``$H5LAYOUT_PATH``."""
    dirs = [Path.cwd()] if cwd else []
    for entry in os.environ.get(SEARCH_PATH_ENV, "").split(os.pathsep):
        if entry:
            dirs.append(Path(entry).expanduser())
    return dirs


@lru_cache(maxsize=8)
def _shipped_spec(name: str) -> LayoutSpec | None:
    """A shipped layout compiled into the package or the cache (None: compile it)."""
    committed = _package_dir() / f"{name}.py"
    if committed.is_file():
        return LayoutSpec.from_dict(layout_of(("package", f"h5layout.{name}")))
    target = lookup(name)
    if target is not None:
        return LayoutSpec.from_dict(layout_of(target))
    return None


class LayoutFinder:
    """Finds layouts the user chose; ``compile`` turns a YAML layout into its spec."""

    def __init__(self, compile: Compile | None = None) -> None:
        self.compile = compile
        # one look-up per layout and run: checking 1,000 files finds their layout once
        self._memo: dict[tuple[str, str | None, str], LayoutSpec] = {}

    # -- the user's choice ---------------------------------------------------------------
    def find(self, name_or_path: str | os.PathLike[str]) -> LayoutSpec:
        """The layout given on the command line or to the API: a name (shipped, or
        ``NAME.py``/``NAME.yaml`` in the current folder or on ``$H5LAYOUT_PATH``), a
        layout file, or a compiled module file."""
        text = os.fspath(name_or_path)
        key = ("find", None, text)
        if key not in self._memo:
            self._memo[key] = self._find(text)
        return self._memo[key]

    def _find(self, text: str) -> LayoutSpec:
        path = Path(text)
        looks_like_path = text.endswith((*_LAYOUT_SUFFIXES, ".py")) or "/" in text or os.sep in text
        if looks_like_path or (not _NAME_RE.match(text) and path.is_file()):
            if not path.is_file():
                raise LayoutNotFoundError(f"no such layout file: {text}")
            return self._file(path)
        if not _NAME_RE.match(text):
            raise LayoutNotFoundError(f"{text!r} is not a layout name or a layout file")
        return self._by_name(text, cwd=True)

    # -- what a file names ---------------------------------------------------------------
    def for_file(self, claim: LayoutClaim) -> LayoutSpec:
        """The layout a file names, among the layouts the user chose (see the module
        docstring); raises :class:`UntrustedLayoutError` for anything but a name."""
        key = ("file", claim.sha256, claim.name)
        if key not in self._memo:
            self._memo[key] = self._for_file(claim)
        return self._memo[key]

    def _for_file(self, claim: LayoutClaim) -> LayoutSpec:
        name = claim.name
        if not _NAME_RE.match(name):
            raise UntrustedLayoutError(
                f"the file names its layout {name[:80]!r}, which is not a layout name (a "
                "Python identifier); a file cannot choose a layout file or module, nothing "
                "was loaded"
            )
        if claim.sha256 and _SHA_RE.match(claim.sha256):
            spec = _compiled_here(name, claim.sha256)
            if spec is not None:
                return spec
        # not the current folder: data folders are where foreign files (and layouts) land
        return self._by_name(name, cwd=False)

    # -- helpers -------------------------------------------------------------------------
    def _file(self, path: Path) -> LayoutSpec:
        if path.suffix == ".py":
            return _spec_of_module(path.resolve())
        return self._compiled(str(path.resolve()))

    def _compiled(self, source: str) -> LayoutSpec:
        if self.compile is None:
            target = lookup(source)
            if target is not None:
                return LayoutSpec.from_dict(layout_of(target))
            raise LayoutNotFoundError(
                f"{source}: a layout file must be compiled first (h5layout compile, or "
                "h5layout.load_layout); this finder has no compiler"
            )
        return self.compile(source)

    def _by_name(self, name: str, *, cwd: bool) -> LayoutSpec:
        shipped = shipped_layouts()
        if name in shipped:
            spec = _shipped_spec(name)
            return spec if spec is not None else self._compiled(name)
        for folder in search_dirs(cwd=cwd):
            module = folder / f"{name}.py"
            if module.is_file():
                spec = _spec_of_module(module.resolve())
                if spec.layout != name:
                    raise LayoutNotFoundError(
                        f"{module}: holds the layout {spec.layout!r}, not {name!r}"
                    )
                return spec
            for suffix in _LAYOUT_SUFFIXES:
                source = folder / f"{name}{suffix}"
                if source.is_file():
                    return self._compiled(str(source.resolve()))
        where = "in the current folder or on" if cwd else "on"
        hint = (
            "pass --layout FILE"
            if cwd
            else f"pass --layout {name} (looked up in the current folder too) or --layout FILE"
        )
        raise LayoutNotFoundError(
            f"unknown layout {name!r}: not shipped ({', '.join(shipped)}), not compiled on "
            f"this machine, and no {name}.py or {name}.yaml {where} ${SEARCH_PATH_ENV}; {hint}"
        )


def find_layout_spec(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    file: str | os.PathLike[str] | None = None,
    compile: Compile | None = None,
) -> LayoutSpec:
    """The resolved layout for a name or layout file (the user's choice), or the layout a
    data file names (``file``, see :meth:`LayoutFinder.for_file`).

    Without ``compile`` only compiled layouts can be found (the runtime never imports the
    compiler); :func:`h5layout.finder.find_layout_spec` passes it. Raises
    :class:`LayoutNotFoundError` when no layout can be found.
    """
    finder = LayoutFinder(compile)
    if name_or_path is not None:
        return finder.find(name_or_path)
    if file is None:
        raise LayoutNotFoundError("give a layout name or path, or a file to detect it from")
    claim = _claim_of_file(file)
    if claim is None:
        raise LayoutNotFoundError(
            f"{os.fspath(file)}: the file does not say which layout it follows"
        )
    return finder.for_file(claim)


def _claim_of_file(file: str | os.PathLike[str]) -> LayoutClaim | None:
    from h5layout.runtime.storage.backends import get_backend
    from h5layout.runtime.storage.probe import probe_file

    probe = probe_file(file)
    if probe.problem() is not None:
        return None
    try:
        backend = get_backend("h5py")
        # a SWMR writer's file is read as a SWMR reader (bounded metadata read attempts)
        opened = backend.open(
            os.fspath(file), "r", title="", swmr_mode=probe.swmr_writer, locking=False
        )
        try:
            return read_claim(backend, opened)
        finally:
            backend.close(opened)
    except Exception:
        return None
