"""Savers of data, axes, backgrounds and error bars (the pymodaq_data ``data_saving`` API).

Every saver works through an :class:`~h5layout.runtime.storage.lowlevel.H5SaverLowLevel` and keeps
what it learns: node handles, array counters and growing arrays are cached per group, so
an ``add_data`` in an acquisition loop writes data and nothing else (no tree walk, no
attribute read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.errors import AxisError, DataDimError, DataValueError
from h5layout.runtime.layout.point_checks import (
    parse_axis_values,
    parse_indexes,
    parse_shape,
    require_attrs,
    require_axes_fit,
    require_channels,
    require_exact,
    require_numeric,
    require_same_shape,
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
    DataDistributionLike,
    DataSource,
    DataType,
    SaveType,
    SaveTypeLike,
)
from h5layout.runtime.save.access import LowLevelAccess
from h5layout.runtime.storage.growing import GrowingArray, PointBlock, undo_point
from h5layout.runtime.storage.h5backend import CARRAY, GROUP, Node
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

if TYPE_CHECKING:
    from h5layout.runtime.storage.types import Where

#: A scan point's position in the scan arrays: one int per scan dimension.
Indexes: TypeAlias = "Sequence[int | np.integer] | npt.NDArray[np.integer]"
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


def _write_attrs(node: Node, attrs: Mapping[str, object]) -> None:
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
        _write_attrs(node, attrs)
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
            _write_attrs(node, data_attrs(dwa, i, self.data_type, **kwargs))
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


#: what a channel writes through: an enlargeable saver's growing arrays, an extended
#: saver's point blocks
_Writer = TypeVar("_Writer", GrowingArray, PointBlock)


@dataclass
class _Channel(Generic[_Writer]):
    """What an extended or enlargeable saver holds for one channel group."""

    group: GROUP
    arrays: list[_Writer] = field(default_factory=list)
    errors: list[_Writer] = field(default_factory=list)
    axes: list[GrowingArray] = field(default_factory=list)
    #: what every later point must have (checked before it is written): the shape of its
    #: channels (enlargeable: of one row) and the dtypes of the arrays
    shape: tuple[int, ...] = ()
    group_nav: tuple[int, ...] = ()  # the first point's navigation indexes
    dtypes: list[np.dtype] = field(default_factory=list)
    error_dtypes: list[np.dtype] = field(default_factory=list)

    def all_arrays(self: _Channel[GrowingArray]) -> list[GrowingArray]:
        """The growing arrays of an enlargeable channel (data, errors, axes)."""
        return [*self.arrays, *self.errors, *self.axes]


#: a channel of either saver (what the checks of a later point read)
AnyChannel: TypeAlias = "_Channel[GrowingArray] | _Channel[PointBlock]"


def _signal_shape(dwa: DataWithAxes) -> tuple[int, ...]:
    shape = tuple(dwa.shape)
    return () if shape == (1,) else shape


def _row_shape(dwa: DataWithAxes) -> tuple[int, ...]:
    """Shape of one enlargeable row: the data's (0D keeps its (1,)), less a navigation
    dimension (whose points become rows)."""
    shape = tuple(dwa.shape)
    if not dwa.nav_indexes:
        return shape
    nav = dwa.nav_indexes[0]
    return shape[:nav] + shape[nav + 1 :]


def require_same_point(
    channel: AnyChannel, dwa: DataWithAxes, where: str, shape: tuple[int, ...] | None = None
) -> None:
    """A later point of a channel: the first point's channels, shape (``shape``, by default
    the data's), errors and dtypes.

    Runs on every point of acquisition loops: the usual case (same shape, same dtypes,
    no error bars) is decided by a few comparisons, the rest by :func:`_require_same_point`.
    """
    arrays = dwa.data
    dtypes = channel.dtypes
    if (
        (arrays[0].shape if shape is None else shape) == channel.shape
        and len(arrays) == len(dtypes)
        and dwa.errors is None
        and not channel.error_dtypes
    ):
        for values, dtype in zip(arrays, dtypes):  # noqa: B905 (lengths compared above)
            if values.dtype is not dtype and values.dtype != dtype:
                break
        else:
            return
    what = f"{where}: {show(dwa.name)}"
    _require_same_point(channel, dwa, dwa.shape if shape is None else shape, what)


def _require_same_point(
    channel: AnyChannel, dwa: DataWithAxes, shape: tuple[int, ...], what: str
) -> None:
    arrays = dwa.data
    require_channels(len(arrays), len(channel.dtypes), what)
    require_same_shape(shape, channel.shape, what)
    for values, dtype in zip(arrays, channel.dtypes, strict=True):
        require_exact(values, dtype, what)
    errors = dwa.errors
    if errors is None:
        if channel.error_dtypes:
            raise DataValueError(f"{what}: no error bars where the first point had them; "
                                 "nothing written")  # fmt: skip
    else:
        require_channels(len(errors), len(channel.error_dtypes), what, "error array")
        for values, dtype in zip(errors, channel.error_dtypes, strict=True):
            require_exact(values, dtype, f"{what} (error bars)")


class DataEnlargeableSaver(DataSaverLoader):
    """Enlargeable arrays (``EnlData00``…): one row per call, for loggers and timed data."""

    data_type = DataType.data_enlargeable

    def __init__(
        self,
        h5saver: SaverOrPath,
        enl_axis_names: tuple[str, ...] | list[str] | None = ("nav axis",),
        enl_axis_units: tuple[str, ...] | list[str] | None = ("",),
    ) -> None:
        super().__init__(h5saver)
        self._enl_axis_names = tuple(enl_axis_names or ())
        self._enl_axis_units = tuple(enl_axis_units or ("",) * len(self._enl_axis_names))
        self._channels: dict[str, _Channel[GrowingArray]] = {}

    def require_row(
        self, where: str, dwa: DataWithAxes, axis_values: npt.ArrayLike | None
    ) -> np.ndarray | None:
        """What ``add_data`` checks before writing a row (``DataValueError`` on the first
        problem); returns the enlargeable axes' values as float64 (None when not given)."""
        if len(dwa.nav_indexes) > 1:
            raise DataDimError(f"{dwa.name!r}: enlargeable data take at most one navigation index")
        channel = self._channels.get(where)
        if channel is not None and not dwa.nav_indexes and not channel.group_nav:
            require_same_point(channel, dwa, where)  # the usual row: no nav index
            count = len(channel.axes)
            if (axis_values is None) == (count == 0):
                return None if axis_values is None else parse_axis_values(axis_values, count, where)
        what = f"{where}: {show(dwa.name)}"
        if channel is None:
            self.require_new_arrays(what, dwa, self.data_type, {})
            if dwa.errors is not None:
                self._errors().require_new_arrays(what, dwa.errors_as_dwa(), DataType.error, {})
            require_axes_fit(
                [ax for ax in dwa.axes if ax.index not in dwa.nav_indexes], dwa.shape, what
            )
            for axis in dwa.axes:
                self._axis_saver.require_axis(where, axis)
            limit = self._attr_limit
            for label, units in zip(self._enl_axis_names, self._enl_axis_units, strict=False):
                require_title(label, limit, f"{where}: enlargeable axis")
                require_attrs({"label": label, "units": units}, limit, f"{where}: enlargeable axis")
            count = len(self._enl_axis_names)
        else:
            if dwa.nav_indexes != channel.group_nav:
                raise DataValueError(
                    f"{what}: navigation indexes {dwa.nav_indexes} where the first row had "
                    f"{channel.group_nav}; nothing written"
                )
            require_same_point(channel, dwa, where, _row_shape(dwa))
            count = len(channel.axes)
            if axis_values is not None and not count:
                raise DataValueError(
                    f"{what}: axis values given, but the arrays were created without "
                    "enlargeable axes (no axis_values at the first row); nothing written"
                )
            if axis_values is None and count:
                raise DataValueError(
                    f"{what}: no axis values for the {count} enlargeable axis/axes created "
                    "at the first row; nothing written"
                )
        if axis_values is None:
            return None
        return parse_axis_values(axis_values, count, what)

    def _create(self, group: GROUP, dwa: DataWithAxes, with_axes: bool) -> _Channel[GrowingArray]:
        h5 = self._h5saver
        row_shape = _row_shape(dwa)  # 0D rows keep their (1,)
        nav = (0,)  # rows: a navigation index's points, or one row per call
        channel: _Channel[GrowingArray] = _Channel(
            group, shape=row_shape, group_nav=dwa.nav_indexes
        )
        channel.dtypes = [a.dtype for a in dwa.data]
        if dwa.errors is not None:
            channel.error_dtypes = [a.dtype for a in dwa.errors]
        error_saver = self._errors()
        for i, array in enumerate(dwa.data):
            node = h5.create_earray(
                group, self._next_name(group), np.asarray(array).dtype, row_shape, title=dwa.name
            )
            attrs = data_attrs(
                dwa, i, self.data_type, nav_indexes=nav, distribution=DataDistribution.spread.name
            )
            _write_attrs(node, attrs)
            channel.arrays.append(h5.register_growing(GrowingArray(h5.backend_impl, node.node)))
        if dwa.errors is not None:
            for i, array in enumerate(dwa.errors):
                name = error_saver._next_name(group)
                node = h5.create_earray(
                    group, name, np.asarray(array).dtype, row_shape, title=f"{dwa.name}_errors"
                )
                attrs = data_attrs(
                    dwa, i, DataType.error, nav_indexes=nav, source=DataSource.calculated.name
                )
                attrs["distribution"] = DataDistribution.spread.name
                _write_attrs(node, attrs)
                channel.errors.append(h5.register_growing(GrowingArray(h5.backend_impl, node.node)))
        skipped = dwa.nav_indexes[0] if dwa.nav_indexes else len(dwa.shape)
        for axis in dwa.axes:
            if axis.index not in dwa.nav_indexes:
                # the rows' dimension comes first; a navigation dimension is gone
                index = axis.index + (1 if axis.index < skipped else 0)
                self._axis_saver.add_axis(group, axis, index=index)
        if with_axes:
            for k, label in enumerate(self._enl_axis_names):
                units = self._enl_axis_units[k] if k < len(self._enl_axis_units) else ""
                enl = Axis(label=label, units=units, data=np.zeros(0), index=0, spread_order=k)
                axis_node = self._axis_saver.add_axis(group, enl, enlargeable=True)
                channel.axes.append(
                    h5.register_growing(GrowingArray(h5.backend_impl, axis_node.node, is_axis=True))
                )
        return channel

    def add_data(  # type: ignore[override]
        self,
        where: Where,
        data: DwaLike,
        axis_values: npt.ArrayLike | None = None,
        **kwargs: object,
    ) -> None:
        """Append one row per channel (``axis_values``: one value per enlargeable axis).

        Everything is checked first (:meth:`require_row`): a refused row writes nothing.
        """
        dwa = as_dwa(data)
        key = where_path(where)
        values = self.require_row(key, dwa, axis_values)
        channel = self._channels.get(key)
        mark = [(a, a.rows) for a in channel.all_arrays()] if channel is not None else []
        try:
            self._write_row(where, key, dwa, values)
        except BaseException:  # Ctrl-C or an error half-way: the row is wholly refused
            for array, rows in mark:
                array.rollback(rows)
            raise

    def _write_row(
        self, where: Where, key: str, dwa: DataWithAxes, values: np.ndarray | None
    ) -> None:
        channel = self._channels.get(key)
        if channel is None:
            channel = self._create(self._group_of(where), dwa, values is not None)
            self._channels[key] = channel
        swmr = self._h5saver.is_swmr_active()
        rows_added = _append_rows(channel.arrays, dwa.data, dwa, swmr, channel.dtypes)
        if dwa.errors is not None and channel.errors:
            _append_rows(channel.errors, dwa.errors, dwa, swmr, channel.error_dtypes)
        if values is not None:
            for k, axis in enumerate(channel.axes):
                axis.append(np.full((rows_added,), values[k], dtype=np.float64), swmr)


def _as_stored(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Values of another dtype were checked to be exact in ``dtype``: converted here, not
    # by the library (h5py has no conversion from complex to float, for one).
    if values.dtype == dtype:
        return values
    if values.dtype.kind == "c" and dtype.kind != "c":
        values = values.real  # the imaginary parts were checked to be 0
    return values.astype(dtype)


def _append_rows(
    arrays: list[GrowingArray],
    data: list[np.ndarray],
    dwa: DataWithAxes,
    swmr: bool,
    dtypes: list[np.dtype],
) -> int:
    rows = 1
    for array, values, dtype in zip(arrays, data, dtypes, strict=True):
        if values.dtype is not dtype:
            values = _as_stored(values, dtype)
        if dwa.nav_indexes:
            # ND data with one navigation index: its points become rows.
            moved = np.moveaxis(values, dwa.nav_indexes[0], 0)
            rows = moved.shape[0]
            array.append(moved.reshape((rows, *array.row_shape)), swmr)
        else:
            array.append(values.reshape((1, *array.row_shape)), swmr)
    return rows


class DataExtendedSaver(DataSaverLoader):
    """Scan arrays: each channel stored at ``indexes`` of an array of ``extended_shape``."""

    data_type = DataType.data

    def __init__(
        self, h5saver: SaverOrPath, extended_shape: tuple[int, ...], fill_value: object = None
    ) -> None:
        super().__init__(h5saver)
        self.extended_shape = parse_shape(extended_shape, "extended_shape")
        self.fill_value = fill_value
        self._channels: dict[str, _Channel[PointBlock]] = {}

    def check_indexes(self, indexes: Indexes) -> tuple[int, ...]:
        """``indexes`` as a tuple of ints inside the scan shape (``DataValueError`` if not:
        bools, strings, fractions, a wrong count or a value outside the shape)."""
        return parse_indexes(indexes, self.extended_shape)

    def require_point(self, where: str, dwa: DataWithAxes) -> None:
        """What ``add_data`` checks before writing a point (``DataValueError`` on the first
        problem): the first point's channels, shape, errors and dtypes, or, for the first
        point, dtypes, axes and attributes of the arrays to create."""
        channel = self._channels.get(where)
        if channel is not None:
            require_same_point(channel, dwa, where)
            return
        what = f"{where}: {show(dwa.name)}"
        self.require_new_arrays(what, dwa, self.data_type, {})
        if dwa.errors is not None:
            self._errors().require_new_arrays(what, dwa.errors_as_dwa(), DataType.error, {})
        require_axes_fit(dwa.axes, dwa.shape, what)
        for axis in dwa.axes:
            self._axis_saver.require_axis(where, axis)

    def _fill(self, dtype: np.dtype) -> object:
        fill = self._h5saver.fill_value if self.fill_value is None else self.fill_value
        if dtype.kind in "iub" and isinstance(fill, float) and not np.isfinite(fill):
            return 0  # integers have no NaN
        if dtype.kind == "c" and isinstance(fill, float):
            return dtype.type(fill)  # h5py has no conversion from a float fill to complex
        return fill

    def _chunks(self, signal: tuple[int, ...], dtype: np.dtype) -> tuple[int, ...]:
        # One point per chunk when a point is big enough; several points otherwise.
        point = max(int(np.prod(signal, dtype=np.int64)) * dtype.itemsize, 1)
        k = len(self.extended_shape)
        lead = [1] * k
        if k:
            lead[-1] = max(1, min(self.extended_shape[-1], (16 * 1024) // point))
        sig = list(signal)
        # Keep chunks under ~1 MiB by splitting the first signal dimensions of huge points.
        while sig and int(np.prod(sig, dtype=np.int64)) * dtype.itemsize > 1024 * 1024:
            sig[0] = max(1, sig[0] // 2)
        return (*lead, *sig)

    def _block(self, node: Node, k: int, dtype: np.dtype) -> PointBlock:
        h5 = self._h5saver
        return PointBlock(h5.backend_impl, node.node, k, fill=self._fill(dtype), log=h5._point_log)

    def _create(
        self, group: GROUP, dwa: DataWithAxes, distribution: DataDistribution
    ) -> _Channel[PointBlock]:
        h5 = self._h5saver
        k = len(self.extended_shape)
        signal = _signal_shape(dwa)
        shape = self.extended_shape + signal
        nav = (*range(k), *(i + k for i in dwa.nav_indexes))
        channel: _Channel[PointBlock] = _Channel(group, shape=dwa.shape)
        channel.dtypes = [a.dtype for a in dwa.data]
        if dwa.errors is not None:
            channel.error_dtypes = [a.dtype for a in dwa.errors]
        for i, array in enumerate(dwa.data):
            dtype = np.asarray(array).dtype
            store = h5.storage
            store = (
                replace(store, chunks=self._chunks(signal, dtype))
                if store.chunks in (None, "auto")
                else store
            )
            node = h5.create_carray(
                group,
                self._next_name(group),
                shape=shape,
                dtype=dtype,
                fill_value=self._fill(dtype),
                title=dwa.name,
                storage=store,
            )
            attrs = data_attrs(
                dwa, i, self.data_type, nav_indexes=nav, distribution=distribution.name
            )
            _write_attrs(node, attrs)
            channel.arrays.append(h5.register_growing(self._block(node, k, dtype)))
        if dwa.errors is not None:
            error_saver = self._errors()
            for i, array in enumerate(dwa.errors):
                dtype = np.asarray(array).dtype
                node = h5.create_carray(
                    group,
                    error_saver._next_name(group),
                    shape=shape,
                    dtype=dtype,
                    fill_value=self._fill(dtype),
                    title=f"{dwa.name}_errors",
                )
                attrs = data_attrs(
                    dwa, i, DataType.error, nav_indexes=nav, distribution=distribution.name
                )
                attrs["source"] = DataSource.calculated.name
                _write_attrs(node, attrs)
                channel.errors.append(h5.register_growing(self._block(node, k, dtype)))
        for axis in dwa.axes:
            self._axis_saver.add_axis(group, axis, index=axis.index + k)  # a shifted copy
        return channel

    def add_data(  # type: ignore[override]
        self,
        where: Where,
        data: DwaLike,
        indexes: Indexes,
        distribution: DataDistributionLike = DataDistribution.uniform,
        **kwargs: object,
    ) -> None:
        """Write every channel at ``indexes`` of the scan arrays (created on first call).

        Everything is checked first (:meth:`require_point`): a refused point writes nothing;
        a point interrupted half-way (Ctrl-C, an error from the library) is wholly refused.
        """
        dwa = as_dwa(data)
        index = self.check_indexes(indexes)
        key = where_path(where)
        self.require_point(key, dwa)
        log = self._h5saver._point_log
        log.clear()  # records a point interrupted after its writes may have left
        try:
            self._write_point(where, key, dwa, index, parse_distribution(distribution))
        except BaseException:
            undo_point(log)
            raise
        log.clear()

    def _write_point(
        self,
        where: Where,
        key: str,
        dwa: DataWithAxes,
        index: tuple[int, ...],
        distribution: DataDistribution,
    ) -> None:
        channel = self._channels.get(key)
        if channel is None:
            channel = self._create(self._group_of(where), dwa, distribution)
            self._channels[key] = channel
        signal = _signal_shape(dwa)
        for block, values, dtype in zip(channel.arrays, dwa.data, channel.dtypes, strict=True):
            if values.dtype is not dtype:
                values = _as_stored(values, dtype)
            block.put(index, values.reshape(signal))
        if dwa.errors is not None:
            for block, values, dtype in zip(
                channel.errors, dwa.errors, channel.error_dtypes, strict=True
            ):
                block.put(index, _as_stored(values, dtype).reshape(signal))
