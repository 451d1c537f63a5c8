"""Loading data back: ``DataLoader`` and the functions the savers' ``load_data`` use.

Reads files written by h5layout and by pymodaq_data alike. Backgrounds are paired with
the data of the same index (pymodaq_data always subtracts the first one), a node without
``nav_indexes`` loads with none, and nothing is ever written to the file being read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

import numpy as np

from h5layout.runtime.errors import DataValueError, NodeError
from h5layout.runtime.model.data import Axis, DataToExport, DataWithAxes, DteLike, DwaLike
from h5layout.runtime.model.datamodel import (
    convert_dte,
    convert_dwa,
    is_pymodaq_dte,
    prepare_data_model,
    resolve_data_model,
)
from h5layout.runtime.model.enums import DataDim, DataDistribution, DataSource, DataType
from h5layout.runtime.storage.h5backend import CARRAY, GROUP, Node
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
from h5layout.runtime.storage.probe import probe_file

if TYPE_CHECKING:
    import xarray

    from h5layout.runtime.storage.types import Where

#: attributes of data nodes that are not extra attributes
RESERVED_ATTRS = frozenset(
    {
        "TITLE", "CLASS", "VERSION", "backend", "source", "data_dimension", "distribution",
        "label", "origin", "nav_indexes", "dtype", "data_type", "subdtype", "shape", "size",
        "EXTDIM", "path", "timestamp", "units",
    }
)  # fmt: skip

_ABSENT = object()


def _index_of(name: str) -> int | None:
    """Trailing digits of a node name (``Data01`` → 1)."""
    digits = ""
    for ch in reversed(name):
        if not ch.isdigit():
            break
        digits = ch + digits
    return int(digits) if digits else None


def _siblings(node: Node, data_type: str) -> list[CARRAY]:
    parent = node.parent_node
    if parent is None:
        return []
    return [
        n for n in parent.children().values()
        if isinstance(n, CARRAY) and n.attrs.get("data_type") == data_type
    ]  # fmt: skip


def _squeeze(array: np.ndarray, nav_indexes: tuple[int, ...]) -> np.ndarray:
    """Drop signal dimensions of size 1 (navigation dimensions are kept); at least 1D."""
    if array.ndim == 0:
        return array.reshape((1,))
    drop = tuple(i for i, n in enumerate(array.shape) if n == 1 and i not in nav_indexes)
    if drop and len(drop) < array.ndim:
        array = np.squeeze(array, axis=drop)
    elif drop:
        array = array.reshape((1,))
    return array


def _nav_tuple(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int | np.integer):
        return (int(value),)
    if not isinstance(value, Iterable):
        return ()
    try:
        return tuple(int(i) for i in value)
    except (TypeError, ValueError):
        return ()


def _read(node: CARRAY) -> np.ndarray:
    return np.asarray(node.read())


def read_data_arrays(
    h5: H5SaverLowLevel, where: Where, with_bkg: bool = False, load_all: bool = False
) -> list[np.ndarray]:
    """The arrays of a data node (or of all its siblings of the same type), squeezed."""
    node = h5.get_node(where)
    data_type = str(node.attrs.get("data_type", DataType.data.name))
    nodes = _siblings(node, data_type) if load_all else [node]
    nav = _nav_tuple(node.attrs.get("nav_indexes"))
    return _squeezed(nodes, nav, _siblings(node, DataType.bkg.name) if with_bkg else None)


def _squeezed(
    nodes: Sequence[Node], nav: tuple[int, ...], bkg_nodes: list[CARRAY] | None
) -> list[np.ndarray]:
    """The arrays of ``nodes``, squeezed, minus the background of the same index if given."""
    arrays = [_squeeze(_read(n), nav) for n in nodes if isinstance(n, CARRAY)]
    if bkg_nodes is not None:
        bkgs = {(_index_of(b.name)): b for b in bkg_nodes}
        out = []
        for n, array in zip(nodes, arrays, strict=True):
            bkg = bkgs.get(_index_of(n.name))
            out.append(array - _squeeze(_read(bkg), nav) if bkg is not None else array)
        arrays = out
    return arrays


def _typed_children(group: GROUP | None) -> list[tuple[CARRAY, object]]:
    """The arrays of ``group`` with their ``data_type``, in children order (read once)."""
    if group is None:
        return []
    return [
        (n, n.attrs.get("data_type")) for n in group.children().values() if isinstance(n, CARRAY)
    ]


def load_axis(node: CARRAY) -> Axis:
    """An Axis from an axis node."""
    attrs = node.attrs
    data = _read(node).reshape(-1)
    label = attrs.get("label", _ABSENT)
    if label is _ABSENT:  # TITLE read only when needed: every attribute read is an HDF5 call
        label = node.title
    return Axis(
        label=str(label or ""),
        units=str(attrs.get("units", "") or ""),
        data=data if data.size else None,
        index=int(cast(int, attrs.get("index", 0) or 0)),
        spread_order=int(cast(int, attrs.get("spread_order", 0) or 0)),
        size=0 if not data.size else None,
    )


def _axes_in(group: GROUP) -> list[Axis]:
    return [
        load_axis(n) for n in group.children().values()
        if isinstance(n, CARRAY) and n.attrs.get("data_type") == DataType.axis.name
    ]  # fmt: skip


def get_nav_group(h5: H5SaverLowLevel, where: Where) -> GROUP | None:
    """The first navigation-axes group (``NavAxes``, as the layout's bindings name it, in
    any case) found going up from ``where``."""
    wanted = h5.bindings.nav_axes.naming.format().lower()
    node: Node | None = h5.get_node(where)
    while node is not None:
        if isinstance(node, GROUP):
            for name, child in node.children().items():
                if name.lower() == wanted and isinstance(child, GROUP):
                    return child
        node = node.parent_node
    return None


def load_dwa(
    h5: H5SaverLowLevel, where: Where, with_bkg: bool = False, load_all: bool = False
) -> DataWithAxes:
    """The DataWithAxes stored at a data (or axis) node."""
    node = h5.get_node(where)
    if not isinstance(node, CARRAY):
        raise NodeError(f"{node.path} is not an array node")
    attrs = node.attrs.to_dict()
    data_type = str(attrs.get("data_type", ""))
    if data_type == DataType.axis.name:
        axis = load_axis(node)
        values = axis.get_data()
        return DataWithAxes(
            axis.label or node.title, source=DataSource.raw, dim=DataDim.Data1D, data=[values],
            labels=[axis.label], units=axis.units,
            axes=[Axis(axis.label, axis.units, data=values, index=0)], path=node.path,
        )  # fmt: skip
    nav = _nav_tuple(attrs.get("nav_indexes"))
    # The parent's arrays and their data_type are read once and serve the siblings, the
    # axes, the backgrounds and the error bars alike (each attribute read is an HDF5 call).
    parent = node.parent_node
    typed = _typed_children(parent)

    def siblings(kind: str) -> list[CARRAY]:
        return [n for n, t in typed if t == kind]

    nodes = siblings(data_type) if load_all else [node]
    read_type = str(attrs.get("data_type", DataType.data.name))  # read_data_arrays' default
    arrays = _squeezed(
        siblings(read_type) if load_all else [node],
        nav,
        siblings(DataType.bkg.name) if with_bkg else None,
    )
    if load_all:
        labels = [str(n.attrs.get("label", "") or "") for n in nodes]
    else:
        labels = [str(attrs.get("label", "") or "")]
    axes = [load_axis(n) for n, t in typed if t == DataType.axis.name]
    errors = None
    if data_type != DataType.error.name and parent is not None:
        error_nodes = siblings(DataType.error.name)
        if not load_all:
            error_nodes = [e for e in error_nodes if _index_of(e.name) == _index_of(node.name)]
        if error_nodes and len(error_nodes) == len(arrays):
            errors = [_squeeze(_read(e), nav) for e in error_nodes]
    if nav:
        nav_group = get_nav_group(h5, parent if parent is not None else node)
        if nav_group is not None:
            shape = arrays[0].shape
            for axis in _axes_in(nav_group):
                if axis.index < len(nav) and nav[axis.index] < len(shape):
                    n = shape[nav[axis.index]]
                    values = axis.get_data()
                    if values.size > n:  # a live (SWMR) read: axes may run ahead
                        axis = Axis(
                            axis.label,
                            axis.units,
                            values[:n],
                            axis.index,
                            spread_order=axis.spread_order,
                        )
                axes.append(axis)
    extras = {k: v for k, v in attrs.items() if k not in RESERVED_ATTRS}
    dim = attrs.get("data_dimension")
    distribution = attrs.get("distribution") or DataDistribution.uniform.name
    try:
        dwa = DataWithAxes(
            str(attrs.get("TITLE", node.name) or node.name),
            source=str(attrs.get("source") or DataSource.raw.name),
            dim=DataDim.DataND if nav else (str(dim) if dim else None),
            distribution=str(distribution),
            data=arrays,
            labels=labels,
            origin=str(attrs.get("origin", "") or ""),
            units=str(attrs.get("units", "") or ""),
            axes=axes,
            nav_indexes=nav,
            errors=errors,
            timestamp=float(cast(float, attrs["timestamp"]))
            if attrs.get("timestamp") is not None
            else None,
            path=node.path,
        )
    except DataValueError as exc:
        raise DataValueError(f"{node.path}: cannot build the data: {exc}") from exc
    for key, value in extras.items():
        # Stored as is: names such as 'settings]' or 'length' come from other writers.
        dwa._extra[key] = value
    return dwa


class DataLoader:
    """Reads data saved in the PyMoDAQ layout (by h5layout or pymodaq_data).

    ``data_model`` chooses the objects returned: ``'pymodaq'`` (pymodaq_data's own
    ``DataRaw``/``Axis``/``DataToExport``), ``'h5layout'`` (h5layout's data model) or
    ``'auto'`` (the environment variable ``H5LAYOUT_DATA_MODEL`` if set, else ``'pymodaq'``
    when pymodaq_data is installed); see :mod:`h5layout.runtime.model.datamodel`.
    """

    #: saver class used to open paths (a compiled layout binds its own)
    SAVER_CLASS: ClassVar[type[H5SaverLowLevel]] = H5SaverLowLevel

    def __init__(
        self,
        h5saver: H5SaverLowLevel | str | Path,
        swmr_mode: bool = False,
        backend: str | None = None,
        data_model: str = "auto",
    ) -> None:
        """Read ``h5saver``'s file, or open a path read-only (as a SWMR reader when
        ``swmr_mode`` is True or a SWMR writer holds the file, h5py backend)."""
        self._data_model = resolve_data_model(data_model)  # refused before any file opens
        prepare_data_model(self._data_model)  # pymodaq_data imported now, not in a load
        if isinstance(h5saver, H5SaverLowLevel):
            self._h5saver = h5saver
            self._owns_file = False
        elif isinstance(h5saver, str | Path):
            self._h5saver = self.SAVER_CLASS(backend=backend)
            if not swmr_mode and self._h5saver.is_swmr_capable():
                # A SWMR writer holds the file (or crashed holding it): HDF5 refuses a plain
                # read, a SWMR read works.
                swmr_mode = probe_file(h5saver).swmr_writer
            self._h5saver.init_file(Path(h5saver), mode="r", swmr_mode=swmr_mode)
            self._owns_file = True
        else:
            raise DataValueError(
                f"expected an H5SaverLowLevel or a file path, got {type(h5saver).__name__}"
            )
        self._naming = self._h5saver.bindings.arrays[DataType.data.name].naming

    @property
    def data_model(self) -> str:
        """``'pymodaq'`` or ``'h5layout'``: the objects the loading methods return."""
        return self._data_model

    @property
    def h5saver(self) -> H5SaverLowLevel:
        """The saver whose file is read."""
        return self._h5saver

    @h5saver.setter
    def h5saver(self, saver: H5SaverLowLevel) -> None:
        self._h5saver = saver

    @property
    def raw_group(self) -> GROUP:
        """The raw-data group."""
        return self._h5saver.raw_group

    def __enter__(self) -> DataLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def close_file(self) -> None:
        """Close the file."""
        self._h5saver.close_file()

    def get_node(self, where: Where, name: str | None = None) -> Node:
        """A node of the file."""
        return self._h5saver.get_node(where, name)

    def walk_nodes(self, where: Where = "/") -> Iterator[Node]:
        """Every node below ``where``."""
        return self._h5saver.walk_nodes(where)

    def get_nav_group(self, where: Where) -> GROUP | None:
        """The ``NavAxes`` group that applies to ``where``, or None."""
        return get_nav_group(self._h5saver, where)

    def load_data(self, where: Where, with_bkg: bool = False, load_all: bool = False) -> DwaLike:
        """The DataWithAxes at ``where`` (all channels of its group with ``load_all``), in
        the loader's :attr:`data_model`."""
        dwa = load_dwa(self._h5saver, where, with_bkg=with_bkg, load_all=load_all)
        return convert_dwa(dwa, self._data_model)

    def load_xarray(self, where: Where) -> xarray.DataArray | xarray.Dataset:
        """The data at ``where`` as xarray: a ``DataArray`` for a data node, a ``Dataset`` of
        every data object below a group (needs the ``xarray`` extra; see
        :mod:`h5layout.runtime.model.xarray_`)."""
        from h5layout.runtime.model.xarray_ import load_xarray

        return load_xarray(self, where)

    def load_all(
        self, where: Where = "/", data: DteLike | None = None, with_bkg: bool = False
    ) -> DteLike:
        """One DataWithAxes per group holding data, below ``where``, appended to ``data``.

        ``data`` may be h5layout's or pymodaq_data's ``DataToExport`` (each gets its own
        kind of objects); without it, a new one named ``'Loaded data'`` in the loader's
        :attr:`data_model` is returned.
        """
        if data is None:
            model = self._data_model
            dte = convert_dte(DataToExport("Loaded data"), model)
        else:
            dte = data
            model = "pymodaq" if is_pymodaq_dte(data) else "h5layout"
            if not isinstance(data, DataToExport) and model == "h5layout":
                model = self._data_model  # some other container: the loader's objects
        for group in self._h5saver.walk_groups(where):
            for child in group.children().values():
                if isinstance(child, CARRAY) and "data" in str(child.attrs.get("data_type", "")):
                    dwa = load_dwa(self._h5saver, child, with_bkg=with_bkg, load_all=True)
                    dte.append(convert_dwa(dwa, model))
                    break
        return dte

    def load_data_from_name_origin(
        self,
        name: str,
        origin: str = "",
        where: Where | None = None,
        with_bkg: bool = False,
        load_all: bool = False,
    ) -> DwaLike:
        """The first data node titled ``name`` with that ``origin`` (``NameError`` otherwise)."""
        start = self.raw_group if where is None else where
        for node in self._h5saver.walk_nodes(start):
            if (
                isinstance(node, CARRAY)
                and node.title == name
                and str(node.attrs.get("origin", "")) == origin
            ):
                return self.load_data(node, with_bkg=with_bkg, load_all=load_all)
        raise NameError(
            f"no data named {name!r} with origin {origin!r} below {getattr(start, 'path', start)}"
        )
