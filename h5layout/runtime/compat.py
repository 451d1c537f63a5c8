"""The module-level helpers of pymodaq_data's h5modules, so programs importing them run.

pymodaq_data 5.3.0 exposes, next to its classes, a few functions and constants in its
h5modules submodules (``backends``: ``get_attr``, ``set_attr``, ``check_mandatory_attrs``,
``is_h5py``…; ``utils``: ``register_exporters``, ``find_scan_node``…; ``data_saving``:
``squeeze``). h5layout offers the same names with the same calling conventions, written
on its own runtime: attributes go through h5layout's decoding (never ``eval``), exporters
through its :class:`~h5layout.runtime.tools.browsing.ExporterFactory`.

Three functions of pymodaq_data's ``utils`` (``get_h5_data_from_node``, ``extract_axis``,
``verify_axis_data_uniformity``) are empty stubs there; here they do what their names say.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from h5layout.runtime.storage.backends import get_backend
from h5layout.runtime.storage.h5backend import Attributes, Node

if TYPE_CHECKING:
    from collections.abc import Mapping

    from h5layout.runtime.model.data import AxisLike, DwaLike
    from h5layout.runtime.storage.types import LibraryHandle, Where

__all__ = [
    "SWMR_CAPABLE_BACKENDS",
    "check_mandatory_attrs",
    "extract_axis",
    "find_scan_node",
    "get_attr",
    "get_h5_attributes",
    "get_h5_data_from_node",
    "is_h5py",
    "is_h5pyd",
    "is_tables",
    "logger",
    "register_exporter",
    "register_exporters",
    "set_attr",
    "squeeze",
    "verify_axis_data_uniformity",
]

#: the logger of the compiled modules' helpers (pymodaq_data's modules each have one)
logger = logging.getLogger("h5layout.pymodaq")


def _installed(name: str) -> bool:
    # find_spec only: importing h5pyd would change the root logger (see its backend).
    return importlib.util.find_spec(name) is not None


#: whether each library is installed (pymodaq_data's flags of the same names)
is_h5py: bool = _installed("h5py")
is_tables: bool = _installed("tables")
is_h5pyd: bool = _installed("h5pyd")

#: backends that can write SWMR files
SWMR_CAPABLE_BACKENDS: frozenset[str] = frozenset({"h5py"})

#: attributes PyTables may hand back as bytes
_MANDATORY = frozenset({"TITLE", "CLASS", "EXTDIM"})

_T = TypeVar("_T")


class NodeSource(Protocol):
    """What :func:`get_h5_attributes` reads nodes through: any saver, loader or browser."""

    def get_node(self, where: Where, /) -> Node:
        """The node at ``where``."""


def check_mandatory_attrs(attr_name: str, attr: _T) -> _T | str:
    """``attr`` decoded to ``str`` when ``attr_name`` is ``TITLE``, ``CLASS`` or ``EXTDIM``
    and it is bytes; anything else is returned unchanged."""
    if attr_name in _MANDATORY and isinstance(attr, bytes):
        return attr.decode()
    return attr


def _attributes(node: Node | LibraryHandle, backend: str) -> Attributes:
    """The decoded attributes of a wrapper or of a library's raw node."""
    if isinstance(node, Node):
        return node.attrs
    if backend == "tables" and not hasattr(node, "_v_attrs"):
        backend = "h5py"  # pymodaq_data's default names PyTables; an h5py object says otherwise
    return Attributes(node, get_backend(backend))


def get_attr(
    node: Node | LibraryHandle, attr_name: str | None = None, backend: str = "tables"
) -> object:
    """One decoded attribute of ``node`` (a wrapper or a raw h5py/PyTables node), or every
    attribute as a dict when ``attr_name`` is None."""
    attrs = _attributes(node, backend)
    if attr_name is None:
        return attrs.to_dict()
    return attrs[attr_name]


def set_attr(
    node: Node | LibraryHandle, attr_name: str, attr_value: object, backend: str = "tables"
) -> None:
    """Store an attribute on ``node`` (a wrapper or a raw node), JSON-encoded as PyMoDAQ does."""
    _attributes(node, backend)[attr_name] = attr_value


def squeeze(
    data_array: np.ndarray, do_squeeze: bool = True, squeeze_indexes: tuple[int, ...] | None = None
) -> np.ndarray:
    """``data_array`` without its dimensions of size 1 (only ``squeeze_indexes`` if given),
    at least 1D; only made at least 1D when ``do_squeeze`` is False."""
    if do_squeeze:
        return np.atleast_1d(np.squeeze(data_array, axis=squeeze_indexes))
    return np.atleast_1d(data_array)


def register_exporter(parent_module_name: str = "h5layout.runtime") -> list[ModuleType]:
    """Import the exporter modules of ``<parent_module_name>.exporters`` (a package whose
    modules register exporters on import); the modules imported.

    The default registers h5layout's shipped exporters. A package without an
    ``exporters`` sub-package registers nothing (an empty list), as in pymodaq_data.
    """
    if parent_module_name == "h5layout.runtime":
        return [importlib.import_module("h5layout.runtime.tools.browsing")]
    try:
        package = importlib.import_module(f"{parent_module_name}.exporters")
    except ModuleNotFoundError:
        return []
    modules = []
    for path in getattr(package, "__path__", []):
        for file in sorted(Path(path).iterdir()):
            if file.is_file() and file.suffix == ".py" and file.stem != "__init__":
                try:
                    modules.append(importlib.import_module(f"{package.__name__}.{file.stem}"))
                except ModuleNotFoundError:  # an exporter needing a library not installed
                    continue
    return modules


def register_exporters() -> list[ModuleType | str]:
    """Register the shipped exporters and the plug-ins of the ``h5layout.exporters``
    entry-point group; the modules and entry-point names registered."""
    from h5layout.runtime.tools.browsing import load_entry_point_exporters

    found: list[ModuleType | str] = [*register_exporter()]
    found.extend(load_entry_point_exporters())
    return found


def find_scan_node(scan_node: Node) -> tuple[Node | None, list[Node]]:
    """The first group of ``type`` ``'scan'`` at or above ``scan_node``, and the nodes of
    ``type`` ``'navigation_axis'`` among its children and its parent's children
    (``(None, [])`` when there is none)."""
    node: Node | None = scan_node
    while node is not None and node.attrs.get("type") != "scan":
        node = node.parent_node
    if node is None:
        return None, []
    candidates: list[Node] = list(getattr(node, "children", dict)().values())
    parent = node.parent_node
    if parent is not None:
        candidates.extend(parent.children().values())
    return node, [c for c in candidates if c.attrs.get("type") == "navigation_axis"]


def get_h5_attributes(
    self: NodeSource, node_path: Where
) -> tuple[OrderedDict[str, object], object, object, list[object]]:
    """``(attributes, settings, scan_settings, pixmaps)`` of a node of ``self`` (any saver
    or browser): ``settings``/``scan_settings`` are those attributes (None when absent or
    empty), ``pixmaps`` the values of attributes whose name contains ``pixmap``."""
    node = self.get_node(node_path)
    attrs = OrderedDict(node.attrs.to_dict())
    settings = attrs.get("settings") or None
    scan_settings = attrs.get("scan_settings") or None
    pixmaps = [value for name, value in attrs.items() if "pixmap" in name]
    return attrs, settings, scan_settings, pixmaps


def get_h5_data_from_node(node: Node, with_bkg: bool = False) -> DwaLike:
    """The data stored at a data node, loaded by a ``DataLoader`` on the node's file."""
    from h5layout.runtime.load.loader import DataLoader
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    saver = H5SaverLowLevel(backend=node.backend)
    saver._file = node.h5file  # a view on the caller's open file, never closed here
    saver._owns_file = False
    return DataLoader(saver).load_data(node, with_bkg=with_bkg)


def extract_axis(axis: AxisLike | Mapping[str, npt.ArrayLike] | npt.ArrayLike) -> np.ndarray:
    """The values of an axis: an Axis (h5layout's or pymodaq_data's), a mapping with a
    ``'data'`` entry, or array-like values; 1D."""
    if isinstance(axis, dict):
        values = axis.get("data")
    elif hasattr(axis, "get_data"):
        values = axis.get_data()
    else:
        values = axis
    return np.asarray([] if values is None else values).reshape(-1)


def verify_axis_data_uniformity(
    axis_data: npt.ArrayLike, rtol: float = 1e-6
) -> tuple[float | None, float | None]:
    """``(offset, scale)`` when the 1D values are equally spaced, else ``(None, None)``."""
    values = np.asarray(axis_data, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None, None
    if values.size == 1:
        return float(values[0]), 1.0
    steps = np.diff(values)
    scale = float((values[-1] - values[0]) / (values.size - 1))
    if np.allclose(steps, scale, rtol=rtol, atol=abs(scale) * rtol):
        return float(values[0]), scale
    return None, None
