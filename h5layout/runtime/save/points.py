r"""Savers of data that grows point by point: the rows an enlargeable saver appends
(:class:`DataEnlargeableSaver`, loggers and timed savers) and the scan points an extended
saver writes into arrays shaped like the scan (:class:`DataExtendedSaver`).

Each point is checked whole before its first byte is written (the channel remembers what
the first point looked like), then buffered: rows in :class:`GrowingArray`\ s, scan points
in :class:`PointBlock`\ s (:mod:`h5layout.runtime.storage.growing`), which reach the file at
the saver's flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

from h5layout.runtime.errors import DataDimError, DataValueError
from h5layout.runtime.layout.point_checks import (
    parse_axis_values,
    parse_indexes,
    parse_shape,
    require_attrs,
    require_axes_fit,
    require_channels,
    require_exact,
    require_same_shape,
    require_title,
    show,
)
from h5layout.runtime.model.data import (
    Axis,
    DataWithAxes,
    DwaLike,
    as_dwa,
)
from h5layout.runtime.model.enums import (
    DataDistribution,
    DataDistributionLike,
    DataSource,
    DataType,
)
from h5layout.runtime.storage.growing import GrowingArray, PointBlock, undo_point
from h5layout.runtime.storage.h5backend import GROUP, Node

if TYPE_CHECKING:
    from h5layout.runtime.storage.types import Where


from h5layout.runtime.save.data import (
    DataSaverLoader,
    SaverOrPath,
    data_attrs,
    parse_distribution,
    where_path,
    write_attrs,
)

#: A scan point's position in the scan arrays: one int per scan dimension.
Indexes: TypeAlias = "Sequence[int | np.integer] | npt.NDArray[np.integer]"


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
            write_attrs(node, attrs)
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
                write_attrs(node, attrs)
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
            write_attrs(node, attrs)
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
                write_attrs(node, attrs)
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
