"""Storage backends behind one interface, chosen by name and imported lazily."""

from __future__ import annotations

import importlib
import importlib.util
from typing import cast

from h5layout.runtime.errors import BackendError
from h5layout.runtime.storage.backends._base import (
    ARRAY,
    CARRAY_CLASS,
    DATATYPE,
    EARRAY_CLASS,
    EXTERNAL_LINK,
    GROUP,
    GROUP_CLASS,
    SOFT_LINK,
    UNREADABLE,
    VLARRAY_CLASS,
    Backend,
    LibraryHandle,
    LibraryValue,
    NodeInfo,
)

#: backend name -> (module, class)
BACKENDS: dict[str, tuple[str, str]] = {
    "h5py": ("h5layout.runtime.storage.backends._h5py", "H5pyBackend"),
    "tables": ("h5layout.runtime.storage.backends._tables", "TablesBackend"),
    "h5pyd": ("h5layout.runtime.storage.backends._h5pyd", "H5pydBackend"),
}
#: the library each backend needs
_LIBRARIES = {"h5py": "h5py", "tables": "tables", "h5pyd": "h5pyd"}
DEFAULT_BACKEND = "h5py"

_instances: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (``BackendError`` if unknown or not installed)."""
    inst = _instances.get(name)
    if inst is not None:
        return inst
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    modname, clsname = BACKENDS[name]
    if importlib.util.find_spec(modname) is None:
        raise BackendError(f"backend {name!r} is not available in this version of h5layout")
    try:
        module = importlib.import_module(modname)
    except ImportError as exc:
        raise BackendError(
            f"backend {name!r} needs the {_LIBRARIES[name]!r} package: {exc}"
        ) from exc
    inst = cast(Backend, getattr(module, clsname)())
    _instances[name] = inst
    return inst


def backends_available() -> list[str]:
    """Names of the backends whose library can be imported here."""
    out = []
    for name, lib in _LIBRARIES.items():
        if name in BACKENDS and importlib.util.find_spec(lib) is not None:
            if name == "h5pyd" and importlib.util.find_spec(BACKENDS[name][0]) is None:
                continue
            out.append(name)
    return out


__all__ = [
    "ARRAY",
    "BACKENDS",
    "CARRAY_CLASS",
    "DATATYPE",
    "DEFAULT_BACKEND",
    "EARRAY_CLASS",
    "EXTERNAL_LINK",
    "GROUP",
    "GROUP_CLASS",
    "SOFT_LINK",
    "UNREADABLE",
    "VLARRAY_CLASS",
    "Backend",
    "LibraryHandle",
    "LibraryValue",
    "NodeInfo",
    "backends_available",
    "get_backend",
]
