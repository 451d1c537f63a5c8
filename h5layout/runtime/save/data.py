"""Savers of data, axes, backgrounds and error bars (the pymodaq_data ``data_saving`` API);
those of data growing point by point are in :mod:`h5layout.runtime.save.points`.

Every saver works through an :class:`~h5layout.runtime.storage.lowlevel.H5SaverLowLevel`
and keeps what it learns: node handles, array counters and growing arrays are cached per group, so
an ``add_data`` in an acquisition loop writes data and nothing else (no tree walk, no
attribute read).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, cast

import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.errors import AxisError, DataValueError
from h5layout.runtime.layout.point_checks import (
    require_attrs,
    require_axes_fit,
    require_numeric,
    require_title,
    show,
)
from h5layout.runtime.layout.spec import Naming
from h5layout.runtime.model.data import (
    Axis,
    AxisLike,
    DataWithAxes,
    DwaLike,
    as_axis,
    as_dwa,
)
from h5layout.runtime.model.enums import (
    DataDim,
    DataDistribution,
    DataType,
    SaveType,
    SaveTypeLike,
)
from h5layout.runtime.save.access import LowLevelAccess
from h5layout.runtime.storage.h5backend import CARRAY, GROUP, Node
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

if TYPE_CHECKING:
    from h5layout.runtime.storage.types import Where


#: What a saver works through: a low-level saver, or the path of a file to open.
SaverOrPath: TypeAlias = "H5SaverLowLevel | str | Path"


def where_path(where: Where) -> str:
    return where.path if isinstance(where, Node) else str(where)


def parse_distribution(distribution: object) -> DataDistribution:
    """A DataDistribution from a member or a name (``DataValueError`` if neither)."""
    try:
        return DataDistribution.parse(distribution)
    except ValueError as exc:
        raise DataValueError(f"distribution {distribution!r}: {exc}; nothing written") from None


def open_saver(
    h5saver: SaverOrPath,
    *,
    new_file: bool = False,
    metadata: Mapping[str, object] | None = None,
    save_type: SaveTypeLike = SaveType.custom,
    swmr_mode: bool = False,
    saver_class: type[H5SaverLowLevel] = H5SaverLowLevel,
) -> H5SaverLowLevel:
    """A saver: the one given, or one opened on a path."""
    if isinstance(h5saver, H5SaverLowLevel):
        return h5saver
    if isinstance(h5saver, str | Path):
        saver = saver_class(save_type=save_type)
        saver.init_file(Path(h5saver), new_file=new_file, metadata=metadata, swmr_mode=swmr_mode)
        return saver
    raise DataValueError(
        f"expected an H5SaverLowLevel or a file path, got {type(h5saver).__name__}"
    )


def array_naming(h5saver: H5SaverLowLevel, data_type: DataType) -> Naming:
    """Naming rule of arrays of a data type (the layout's bindings)."""
    return h5saver.bindings.arrays[data_type.name].naming


class DataManagement(LowLevelAccess):
    """Base of the savers: naming and counting of one data type's arrays.

    The low-level saver's API is available on every saver, as in pymodaq_data
    (:class:`~h5layout.runtime.save.access.LowLevelAccess`).
    """

    data_type: DataType = DataType.data
    #: saver class used to open paths (a compiled layout binds its own)
    SAVER_CLASS: ClassVar[type[H5SaverLowLevel]] = H5SaverLowLevel

    # open_kwargs: open_saver's keywords, checked by its own types
    def __init__(self, h5saver: SaverOrPath, **open_kwargs: Any) -> None:
        self._h5saver = open_saver(h5saver, saver_class=self.SAVER_CLASS, **open_kwargs)
        self._naming = array_naming(self._h5saver, self.data_type)
        self._counters: dict[str, int] = {}

    @property
    def h5saver(self) -> H5SaverLowLevel:
        """The low-level saver in use."""
        return self._h5saver

    @h5saver.setter
    def h5saver(self, saver: H5SaverLowLevel) -> None:
        self._h5saver = saver
        self._naming = array_naming(saver, self.data_type)

    @property
    def raw_group(self) -> GROUP:
        """The raw-data group of the file."""
        return self._h5saver.raw_group

    def close(self) -> None:
        """Close the file (as :meth:`close_file`)."""
        self.close_file()
        self._counters.clear()

    def __enter__(self) -> DataManagement:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def close_file(self) -> None:
        """Close the file."""
        self._h5saver.close_file()

    def _format_node_name(self, ind: int) -> str:
        """``Data00``, ``Axis01``… for index ``ind``."""
        return self._naming.format(index=ind)

    def get_index_from_node_name(self, node: Where) -> int | None:
        """The index of a node name of this data type (None for other names)."""
        name = node.name if isinstance(node, Node) else str(node).rsplit("/", 1)[-1]
        return self._naming.parse_index(name)

    def _scan_index(self, where: GROUP) -> int:
        last = -1
        for name in self._h5saver.backend_impl.children(where.node):
            index = self._naming.parse_index(name)
            if index is not None and index > last:
                last = index
        return last + 1

    def _next_name(self, where: GROUP) -> str:
        """Name of the next array of this type in ``where`` (counted once, then cached)."""
        key = where.path
        index = self._counters.get(key)
        if index is None:
            index = self._scan_index(where)
        self._counters[key] = index + 1
        return self._format_node_name(index)

    def _get_nodes(self, where: Where) -> list[CARRAY]:
        group = self._group_of(where)
        return [
            n for n in group.children().values()
            if isinstance(n, CARRAY) and self._naming.parse_index(n.name) is not None
            and n.attrs.get("data_type") == self.data_type.name
        ]  # fmt: skip

    def get_last_node_name(self, where: Where) -> str | None:
        """Name of the last array of this type in the group, or None."""
        nodes = self._get_nodes(where)
        return nodes[-1].name if nodes else None

    def get_node_from_index(self, where: Where, index: int) -> Node:
        """The array of this type with index ``index``."""
        return self._h5saver.get_node(where, self._format_node_name(index))

    def _group_of(self, where: Where) -> GROUP:
        node = self._h5saver.get_node(where)
        if isinstance(node, GROUP):
            return node
        parent = node.parent_node
        assert parent is not None
        return parent

    @property
    def _attr_limit(self) -> int | None:
        return self._h5saver.backend_impl.max_attr_bytes

    def _require_new_array(self, dtype: np.dtype, what: str) -> None:
        """A new array of this type may have ``dtype`` (numbers, and the layout's dtypes)."""
        require_numeric(dtype, what)
        self._check_dtype(dtype, what)

    def _check_dtype(self, dtype: np.dtype, what: str) -> None:
        spec = self._h5saver.LAYOUT_SPEC
        if spec is None:
            return
        node = self._h5saver.bound_node(self._h5saver.bindings.arrays[self.data_type.name])
        allowed = node.array.dtypes if node is not None and node.array is not None else ()
        if node is not None and allowed and dtype.name not in allowed:
            raise DataValueError(
                f"{what}: dtype {dtype.name} is not allowed by layout "
                f"{spec.layout!r} for {node.name} arrays (allowed: {', '.join(allowed)})"
            )


def write_attrs(node: Node, attrs: Mapping[str, object]) -> None:
    impl, raw = node.backend_impl, node.node
    for key, value in attrs.items():
        impl.set_attr(raw, key, encode_json(value))


def axis_attrs(axis: Axis, index: int | None = None) -> dict[str, object]:
    """The PyMoDAQ attributes of an axis array."""
    params = axis.linear_params()
    linear = params is not None
    offset, scaling = params if params is not None else (None, None)
    return {
        "data_type": DataType.axis.name,
        "data_dimension": DataDim.Data1D.name,
        "label": axis.label,
        "units": axis.units,
        "index": int(axis.index if index is None else index),
        "spread_order": int(axis.spread_order),
        "size": int(axis.size),
        "offset": offset if linear else None,
        "scaling": scaling if linear else None,
        "distribution": DataDistribution.uniform.name if linear else DataDistribution.spread.name,
    }


class AxisSaverLoader(DataManagement):
    """Axis arrays (``Axis00``…)."""

    data_type = DataType.axis

    def add_axis(
        self, where: Where, axis: AxisLike, enlargeable: bool = False, index: int | None = None
    ) -> CARRAY:
        """Write an axis in ``where`` (its full values; empty and growing when enlargeable)."""
        axis = as_axis(axis)
        group = self._group_of(where)
        self.require_axis(group.path, axis)
        name = self._next_name(group)
        h5 = self._h5saver
        if enlargeable:
            node: CARRAY = h5.create_earray(
                group, name, np.float64, data_shape=(), title=axis.label
            )
            attrs = axis_attrs(axis, index)
            attrs.update(
                size=0, offset=None, scaling=None, distribution=DataDistribution.spread.name
            )
        else:
            node = h5.create_carray(group, name, obj=axis.get_data(), title=axis.label)
            attrs = axis_attrs(axis, index)
        write_attrs(node, attrs)
        return node

    def require_axis(self, where: str, axis: Axis) -> None:
        """What ``add_axis`` checks before writing: numeric values, storable texts."""
        what = f"{where}: axis {show(axis.label)}"
        if axis.data is not None:
            require_numeric(axis.data.dtype, what)
        limit = self._attr_limit
        require_title(axis.label, limit, what)
        require_attrs({"label": axis.label, "units": axis.units}, limit, what)

    def load_axis(self, where: Where, data_model: str = "auto") -> AxisLike:
        """The Axis stored at a node (``AxisError`` when it is not an axis), in
        ``data_model`` (as ``DataLoader``'s: pymodaq_data's Axis when it is installed)."""
        from h5layout.runtime.model.datamodel import convert_axis, resolve_data_model

        return convert_axis(self._load_axis(where), resolve_data_model(data_model))

    def _load_axis(self, where: Where) -> Axis:
        node = self._h5saver.get_node(where)
        attrs = node.attrs
        if attrs.get("data_type") != DataType.axis.name or not isinstance(node, CARRAY):
            raise AxisError(f"{node.path} is not an axis node")
        data = np.asarray(node.read())
        return Axis(
            label=str(attrs.get("label", node.title) or ""),
            units=str(attrs.get("units", "") or ""),
            data=data.reshape(-1) if data.size else np.zeros(0),
            index=int(cast(int, attrs.get("index", 0) or 0)),
            spread_order=int(cast(int, attrs.get("spread_order", 0) or 0)),
        )

    def get_axes(self, where: Where, data_model: str = "auto") -> list[AxisLike]:
        """Every axis in the group of ``where``, in ``data_model``."""
        from h5layout.runtime.model.datamodel import convert_axis, resolve_data_model

        model = resolve_data_model(data_model)
        return [convert_axis(self._load_axis(n), model) for n in self._get_nodes(where)]


def data_attrs(
    dwa: DataWithAxes, index: int, data_type: DataType, **extra: object
) -> dict[str, object]:
    """The PyMoDAQ attributes of channel ``index`` of a DataWithAxes."""
    attrs: dict[str, object] = {
        "data_type": data_type.name,
        "data_dimension": dwa.dim.name,
        "distribution": dwa.distribution.name,
        "label": dwa.labels[index],  # the data model pads labels to the data's length
        "source": dwa.source.name,
        "origin": dwa.origin,
        "timestamp": float(dwa.timestamp),
        "nav_indexes": tuple(int(i) for i in dwa.nav_indexes),
        "units": dwa.units,
    }
    for name in dwa.extra_attributes:
        attrs[name] = getattr(dwa, name)
    attrs.update(extra)
    return attrs


class DataSaverLoader(DataManagement):
    """Data arrays (``Data00``…) with their axes and error bars; loads them back."""

    data_type = DataType.data

    def __init__(
        self,
        h5saver: SaverOrPath,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
        save_type: SaveTypeLike = SaveType.custom,
        swmr_mode: bool = False,
    ) -> None:
        super().__init__(
            h5saver, new_file=new_file, metadata=metadata, save_type=save_type, swmr_mode=swmr_mode
        )
        self._axis_saver = AxisSaverLoader(self._h5saver)
        self._error_saver: ErrorSaverLoader | None = None

    @property
    def h5saver(self) -> H5SaverLowLevel:
        """The low-level saver in use (setting it rebinds the inner savers)."""
        return self._h5saver

    @h5saver.setter
    def h5saver(self, saver: H5SaverLowLevel) -> None:
        DataManagement.h5saver.fset(self, saver)  # type: ignore[attr-defined]
        self._axis_saver.h5saver = saver
        if self._error_saver is not None:
            self._error_saver.h5saver = saver

    def isopen(self) -> bool:
        """Whether the file is open."""
        return self._h5saver.isopen()

    def _errors(self) -> ErrorSaverLoader:
        if self._error_saver is None:
            self._error_saver = ErrorSaverLoader(self._h5saver)
        return self._error_saver

    def add_data(
        self, where: Where, data: DwaLike, save_axes: bool = True, **kwargs: object
    ) -> list[CARRAY]:
        """Write every channel of a DataWithAxes as one array, then its axes and errors.

        Everything is checked first (:meth:`require_data`): a refused call writes nothing.
        """
        dwa = as_dwa(data)
        group = self._group_of(where)
        self.require_data(group.path, dwa, kwargs, save_axes)
        return self._write_data(group, dwa, save_axes, kwargs)

    def require_data(
        self, where: str, dwa: DataWithAxes, attrs: Mapping[str, object], save_axes: bool = True
    ) -> None:
        """What ``add_data`` checks before writing (``DataValueError`` on the first problem):
        dtypes, axes against the data, error arrays, attribute names and sizes."""
        what = f"{where}: {show(dwa.name)}"
        self.require_new_arrays(what, dwa, self.data_type, attrs)
        if save_axes:
            require_axes_fit(dwa.axes, dwa.shape, what)
            for axis in dwa.axes:
                self._axis_saver.require_axis(where, axis)
        if dwa.errors is not None and self.data_type == DataType.data:
            self._errors().require_new_arrays(what, dwa.errors_as_dwa(), DataType.error, {})

    def require_new_arrays(
        self, what: str, dwa: DataWithAxes, data_type: DataType, attrs: Mapping[str, object]
    ) -> None:
        """The arrays of ``dwa``'s channels may be created: numbers of an allowed dtype,
        a storable title and attributes."""
        for array in dwa.data:
            self._require_new_array(array.dtype, what)
        limit = self._attr_limit
        require_title(dwa.name, limit, what)
        for i in range(dwa.length):
            require_attrs(data_attrs(dwa, i, data_type, **attrs), limit, what)

    def _write_data(
        self, group: GROUP, dwa: DataWithAxes, save_axes: bool, kwargs: Mapping[str, object]
    ) -> list[CARRAY]:
        nodes = []
        h5 = self._h5saver
        for i, array in enumerate(dwa.data):
            name = self._next_name(group)
            node = h5.create_carray(group, name, obj=np.asarray(array), title=dwa.name)
            write_attrs(node, data_attrs(dwa, i, self.data_type, **kwargs))
            nodes.append(node)
        if save_axes:
            for axis in dwa.axes:
                self._axis_saver.add_axis(group, axis)
        if dwa.errors is not None and self.data_type == DataType.data:
            self._errors()._write_data(group, dwa.errors_as_dwa(), False, {})
        return nodes

    def get_axes(self, where: Where, data_model: str = "auto") -> list[AxisLike]:
        """Axes stored next to ``where``, in ``data_model``."""
        return self._axis_saver.get_axes(where, data_model)

    def get_bkg_nodes(self, where: Where) -> list[CARRAY]:
        """Background arrays next to ``where``."""
        return BkgSaver(self._h5saver)._get_nodes(where)

    def get_data_arrays(
        self, where: Where, with_bkg: bool = False, load_all: bool = False
    ) -> list[np.ndarray]:
        """The arrays of ``where`` (or of every data node of its group with ``load_all``)."""
        from h5layout.runtime.load.loader import read_data_arrays

        return read_data_arrays(self._h5saver, where, with_bkg=with_bkg, load_all=load_all)

    def load_data(
        self,
        where: Where,
        with_bkg: bool = False,
        load_all: bool = False,
        data_model: str = "auto",
    ) -> DwaLike:
        """The DataWithAxes stored at ``where``, in ``data_model`` (as ``DataLoader``'s)."""
        from h5layout.runtime.load.loader import load_dwa
        from h5layout.runtime.model.datamodel import convert_dwa, resolve_data_model

        model = resolve_data_model(data_model)
        return convert_dwa(load_dwa(self._h5saver, where, with_bkg, load_all), model)


class BkgSaver(DataSaverLoader):
    """Background arrays (``Bkg00``…)."""

    data_type = DataType.bkg


class ErrorSaverLoader(DataSaverLoader):
    """Error-bar arrays (``ErrorBar00``…)."""

    data_type = DataType.error
