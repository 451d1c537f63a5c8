"""Savers of whole DataToExports (the pymodaq_data ``DataToExportSaver`` family).

Each item of a DataToExport goes to its own channel group (``Data0D/CH00``…), found or
created once and then cached; the per-item work is done by the array savers of
:mod:`h5layout.runtime.save.data`: plain data, enlargeable rows (loggers, timed data)
or points of a scan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from h5layout.runtime.errors import DataValueError
from h5layout.runtime.layout.point_checks import (
    parse_axis_values,
    parse_shape,
    require_attr_size,
    require_axes_fit,
    require_text,
    require_title,
    show,
)
from h5layout.runtime.model.data import (
    Axis,
    AxisLike,
    DataToExport,
    DataWithAxes,
    DteLike,
    as_axis,
    as_dte,
)
from h5layout.runtime.model.enums import DataDim, DataDistribution, DataDistributionLike, SaveType
from h5layout.runtime.save.data import (
    AxisSaverLoader,
    BkgSaver,
    DataSaverLoader,
    ErrorSaverLoader,
    SaverOrPath,
    open_saver,
    parse_distribution,
    where_path,
)
from h5layout.runtime.save.points import (
    AnyChannel,
    DataEnlargeableSaver,
    DataExtendedSaver,
    Indexes,
    require_same_point,
)
from h5layout.runtime.storage.growing import GrowingArray, undo_point
from h5layout.runtime.storage.h5backend import GROUP
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

if TYPE_CHECKING:
    from h5layout.runtime.model.enums import SaveTypeLike
    from h5layout.runtime.storage.types import Where


@dataclass
class DataBundle:
    """Everything one ``add_data_bundle`` call saves."""

    dte: DteLike
    node: Where
    settings: str = ""
    indexes: tuple[int, ...] | None = None
    axis_values: npt.ArrayLike | None = None
    distribution: DataDistributionLike = DataDistribution.uniform
    save_index: int = 0


class DataToExportSaver:
    """Saves a DataToExport: one ``Data0D``… group per dimension, one ``CH00``… per item."""

    #: saver class used to open paths (a compiled layout binds its own)
    SAVER_CLASS: ClassVar[type[H5SaverLowLevel]] = H5SaverLowLevel

    def __init__(
        self,
        h5saver: SaverOrPath,
        save_type: SaveTypeLike = SaveType.custom,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        self._h5saver = open_saver(
            h5saver,
            new_file=new_file,
            metadata=metadata,
            save_type=save_type,
            saver_class=self.SAVER_CLASS,
        )
        self._bind()

    def _bind(self) -> None:
        h5 = self._h5saver
        self._data_saver = DataSaverLoader(h5)
        self._bkg_saver = BkgSaver(h5)
        self._error_saver = ErrorSaverLoader(h5)
        self._channel_naming = h5.bindings.channel.naming
        self._dim_naming = h5.bindings.dim.naming
        self._groups: dict[tuple[str, str, int], GROUP] = {}
        #: items of the first point under each parent (enlargeable and scan savers)
        self._point_items: dict[str, tuple[tuple[str, str, int], ...]] = {}
        #: the same, as (dimension, channel path, channel) in item order: a point whose items
        #: come in the same order is checked with no key built and no group looked up
        self._point_channels: dict[str, list[tuple[DataDim, str, AnyChannel]]] = {}

    @property
    def h5saver(self) -> H5SaverLowLevel:
        """The low-level saver (setting it rebinds the inner savers)."""
        return self._h5saver

    @h5saver.setter
    def h5saver(self, saver: H5SaverLowLevel) -> None:
        self._h5saver = saver
        self._bind()

    def __enter__(self) -> DataToExportSaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def close_file(self) -> None:
        """Close the file."""
        self._h5saver.close_file()

    def close(self) -> None:
        """Close the file."""
        self.close_file()

    def isopen(self) -> bool:
        """Whether the file is open."""
        return self._h5saver.isopen()

    def channel_formatter(self, ind: int) -> str:
        """``CH00``, ``CH01``… (the layout's channel naming)."""
        return self._channel_naming.format(index=ind)

    def _channel_groups(self, where: Where, dte: DataToExport) -> list[tuple[GROUP, DataWithAxes]]:
        """The channel group of each item (created when absent), cached by position."""
        h5 = self._h5saver
        parent = where_path(where)
        counts: dict[str, int] = {}
        out = []
        for dwa in dte:
            dim = dwa.dim.name
            pos = counts.get(dim, 0)
            counts[dim] = pos + 1
            key = (parent, dim, pos)
            group = self._groups.get(key)
            if group is None:
                dim_group = h5.get_set_group(parent, self._dim_naming.format(dim=dim))
                impl = h5.backend_impl
                name = self.channel_formatter(pos)
                kids = impl.children(dim_group.node)
                if name in kids:
                    group = GROUP(kids[name], impl)
                else:
                    group = GROUP(impl.create_group(dim_group.node, name, dwa.name), impl)
                    impl.set_attr(group.node, "origin", dwa.origin)
                self._groups[key] = group
            out.append((group, dwa))
        return out

    def _item_keys(self, parent: str, dte: DataToExport) -> list[tuple[str, str, int]]:
        """The channel-group key of each item, as :meth:`_channel_groups` finds them."""
        counts: dict[str, int] = {}
        keys = []
        for dwa in dte:
            dim = dwa.dim.name
            pos = counts.get(dim, 0)
            counts[dim] = pos + 1
            keys.append((parent, dim, pos))
        return keys

    def _require_groups(self, parent: str, dte: DataToExport) -> list[tuple[str, str, int]]:
        """Channel groups not created yet can be (their title and ``origin``); the keys."""
        keys = self._item_keys(parent, dte)
        limit = self._h5saver.backend_impl.max_attr_bytes
        for key, dwa in zip(keys, dte, strict=True):
            if key not in self._groups:
                what = f"{parent}: {show(dwa.name)}"
                require_title(dwa.name, limit, what)
                require_text(dwa.origin, f"{what}: origin")
                require_attr_size("origin", dwa.origin, limit, what)
        return keys

    def require_data(
        self,
        where: Where,
        data: DteLike,
        attrs: Mapping[str, object],
        saver: DataSaverLoader | None = None,
    ) -> None:
        """What ``add_data`` (``add_bkg``/``add_error`` with their saver) checks before
        writing: every item, before the first byte of any (``DataValueError``)."""
        dte = as_dte(data)
        parent = where_path(where)
        saver = self._data_saver if saver is None else saver
        self._require_groups(parent, dte)
        for dwa in dte:
            saver.require_data(parent, dwa, attrs, save_axes=saver is self._data_saver)

    def add_data(
        self, where: Where, data: DteLike, settings_as_xml: str = "", **kwargs: object
    ) -> None:
        """Write every item of a DataToExport under ``where`` (all checked first: a refused
        item writes nothing of any)."""
        dte = as_dte(data)
        if settings_as_xml:
            kwargs["settings"] = settings_as_xml
        self.require_data(where, dte, kwargs)
        self._write_data(where, dte, kwargs)

    def _write_data(self, where: Where, dte: DataToExport, attrs: Mapping[str, object]) -> None:
        for group, dwa in self._channel_groups(where, dte):
            self._data_saver._write_data(group, dwa, True, attrs)

    def add_bkg(self, where: Where, data: DteLike) -> None:
        """Write backgrounds next to the data of the same dimension and position."""
        dte = as_dte(data)
        self.require_data(where, dte, {}, self._bkg_saver)
        for group, dwa in self._channel_groups(where, dte):
            self._bkg_saver._write_data(group, dwa, False, {})

    def add_error(self, where: Where, data: DteLike) -> None:
        """Write error bars (``ErrorBar00``…) next to the matching data."""
        dte = as_dte(data)
        self.require_data(where, dte, {}, self._error_saver)
        for group, dwa in self._channel_groups(where, dte):
            self._error_saver._write_data(group, dwa, False, {})

    def _require_same_items(self, parent: str, keys: list[tuple[str, str, int]]) -> None:
        """A later point under ``parent`` has the first point's items (by dimension and
        position): a missing item would leave its arrays behind, a new one start mid-way."""
        expected = self._point_items.get(parent)
        if expected is None or tuple(keys) == expected or set(keys) == set(expected):
            return
        names = lambda ks: ", ".join(sorted(f"{d}[{p}]" for _, d, p in ks)) or "none"  # noqa: E731
        raise DataValueError(
            f"{parent}: a point with items {names(keys)} where the first point had "
            f"{names(expected)} (dimension[position]); nothing written"
        )

    def _require_known_items(self, parent: str, dte: DataToExport) -> bool:
        """Check a point whose items come as the first point's did under ``parent`` (same
        count, same dimensions in the same order, no navigation index) and return True;
        False for any other point, left to the full checks."""
        first = self._point_channels.get(parent)
        items = dte.data
        if first is None or len(first) != len(items):
            return False
        for (dim, path, channel), dwa in zip(first, items):  # noqa: B905 (same length)
            if dwa.dim is not dim or dwa.nav_indexes or channel.group_nav:
                return False
            require_same_point(channel, dwa, path)
        return True

    def _remember_items(
        self,
        parent: str,
        dte: DataToExport,
        pairs: list[tuple[GROUP, DataWithAxes]],
        channels: Mapping[str, AnyChannel],
    ) -> None:
        """After a parent's first point: its items, for the checks of the next points."""
        self._point_items[parent] = tuple(self._item_keys(parent, dte))
        self._point_channels[parent] = [
            (dwa.dim, group.path, channels[group.path]) for group, dwa in pairs
        ]

    def add_data_bundle(self, bundle: DataBundle) -> None:
        """Save a :class:`DataBundle`."""
        self.add_data(bundle.node, bundle.dte, settings_as_xml=bundle.settings)


class DataToExportEnlargeableSaver(DataToExportSaver):
    """Appends a DataToExport per call, with shared navigation axes in ``NavAxes``."""

    def __init__(
        self,
        h5saver: SaverOrPath,
        enl_axis_names: Sequence[str] | None = None,
        enl_axis_units: Sequence[str] | None = None,
        axis_name: str = "nav axis",
        axis_units: str = "",
    ) -> None:
        if enl_axis_names is None:
            enl_axis_names = (axis_name,)
        if enl_axis_units is None:
            enl_axis_units = (axis_units,) * len(tuple(enl_axis_names))
        self._enl_axis_names = tuple(enl_axis_names)
        self._enl_axis_units = tuple(enl_axis_units)
        super().__init__(h5saver)

    def _bind(self) -> None:
        super()._bind()
        self._enl_saver = DataEnlargeableSaver(self._h5saver, (), ())
        self._nav_axes: dict[str, list[GrowingArray]] = {}
        self._nav_naming = self._h5saver.bindings.nav_axes.naming

    def _get_nav_axes(self, where: Where) -> list[GrowingArray]:
        key = where_path(where)
        axes = self._nav_axes.get(key)
        if axes is None:
            h5 = self._h5saver
            nav = h5.get_set_group(key, self._nav_naming.format())
            saver = AxisSaverLoader(h5)
            axes = []
            for k, label in enumerate(self._enl_axis_names):
                units = self._enl_axis_units[k] if k < len(self._enl_axis_units) else ""
                axis = Axis(label=label, units=units, data=np.zeros(0), index=0, spread_order=k)
                node = saver.add_axis(nav, axis, enlargeable=True)
                axes.append(
                    h5.register_growing(GrowingArray(h5.backend_impl, node.node, is_axis=True))
                )
            self._nav_axes[key] = axes
        return axes

    def add_data(  # type: ignore[override]
        self,
        where: Where,
        data: DteLike,
        axis_values: npt.ArrayLike | None = None,
        axis_value: float | None = None,
        settings_as_xml: str = "",
        **kwargs: object,
    ) -> None:
        """Append one row per channel and one value per navigation axis.

        Everything is checked first (:meth:`require_row`): a refused row writes nothing.
        """
        if axis_values is None and axis_value is not None:
            axis_values = [axis_value]
        dte = as_dte(data)
        values = self.require_row(where, dte, axis_values)
        self._write_row(where, dte, values)

    def _write_row(self, where: Where, dte: DataToExport, values: np.ndarray | None) -> None:
        """Append a checked row; interrupted half-way (Ctrl-C, an error from the library),
        it is wholly refused: every enlargeable array goes back to its rows."""
        h5 = self._h5saver
        mark = h5.mark_rows()
        try:
            self._append_row(where, dte, values)
        except BaseException:
            h5.rollback_rows(mark)
            raise

    def _append_row(self, where: Where, dte: DataToExport, values: np.ndarray | None) -> None:
        axes = self._get_nav_axes(where)
        enl = self._enl_saver
        pairs = self._channel_groups(where, dte)
        for group, dwa in pairs:
            enl._write_row(group, group.path, dwa, None)
        parent = where_path(where)
        if parent not in self._point_items:
            self._remember_items(parent, dte, pairs, enl._channels)
        if values is None:
            values = np.full(len(axes), float(axes[0].rows) if axes else 0.0)
        swmr = self._h5saver.is_swmr_active()
        for k, axis in enumerate(axes):
            axis.append(values[k : k + 1], swmr)
        self._h5saver.tick_flush()

    def require_row(
        self, where: Where, data: DteLike, axis_values: npt.ArrayLike | None = None
    ) -> np.ndarray | None:
        """What ``add_data`` checks before writing a row (``DataValueError`` on the first
        problem): every item, the first row's items, one exact value per navigation axis.
        Returns the axis values as float64 (None when not given)."""
        dte = as_dte(data)
        parent = where_path(where)
        if not self._require_known_items(parent, dte):  # else: the acquisition-loop case
            self._require_items(parent, dte)
        if axis_values is None:
            return None
        return parse_axis_values(axis_values, len(self._enl_axis_names), parent)

    def _require_items(self, parent: str, dte: DataToExport) -> None:
        keys = self._require_groups(parent, dte)
        self._require_same_items(parent, keys)
        enl = self._enl_saver
        for key, dwa in zip(keys, dte, strict=True):
            group = self._groups.get(key)
            path = group.path if group is not None else f"{parent}/<new {key[1]} channel>"
            enl.require_row(path, dwa, None)
        if parent not in self._nav_axes:
            limit = self._h5saver.backend_impl.max_attr_bytes
            for label in self._enl_axis_names:
                require_title(label, limit, f"{parent}: navigation axis")


class DataToExportTimedSaver(DataToExportEnlargeableSaver):
    """Enlargeable saving with one ``time`` axis (seconds) fed by the DataToExport timestamp."""

    def __init__(self, h5saver: SaverOrPath) -> None:
        super().__init__(h5saver, enl_axis_names=("time",), enl_axis_units=("s",))

    def add_data(  # type: ignore[override]
        self,
        where: Where,
        data: DteLike,
        settings_as_xml: str = "",
        **kwargs: Any,  # handed on to DataToExportEnlargeableSaver.add_data as they are
    ) -> None:
        """Append a DataToExport at its timestamp."""
        dte = as_dte(data)
        super().add_data(
            where, dte, axis_values=[dte.timestamp], settings_as_xml=settings_as_xml, **kwargs
        )

    def require_row(
        self, where: Where, data: DteLike, axis_values: npt.ArrayLike | None = None
    ) -> np.ndarray | None:
        """As the enlargeable saver's, the time axis value being the timestamp."""
        dte = as_dte(data)
        return super().require_row(
            where, dte, [dte.timestamp] if axis_values is None else axis_values
        )


class DataToExportExtendedSaver(DataToExportSaver):
    """Saves scans: each DataToExport at ``indexes`` of arrays of ``extended_shape``."""

    def __init__(
        self, h5saver: SaverOrPath, extended_shape: tuple[int, ...], fill_value: object = None
    ) -> None:
        self.extended_shape = parse_shape(extended_shape, "extended_shape")
        self._fill_value = fill_value
        super().__init__(h5saver)

    def _bind(self) -> None:
        super()._bind()
        self._ext_saver = DataExtendedSaver(self._h5saver, self.extended_shape, self._fill_value)
        self._nav_naming = self._h5saver.bindings.nav_axes.naming
        self._structure_done = False

    def require_point(self, where: Where, data: DteLike, indexes: Indexes) -> tuple[int, ...]:
        """What ``add_data`` checks before writing a point (``DataValueError`` on the first
        problem): the indexes, every item, the first point's items. Returns the indexes."""
        index = self._ext_saver.check_indexes(indexes)
        dte = as_dte(data)
        parent = where_path(where)
        if self._require_known_items(parent, dte):  # the acquisition-loop case
            return index
        keys = self._require_groups(parent, dte)
        self._require_same_items(parent, keys)
        ext = self._ext_saver
        for key, dwa in zip(keys, dte, strict=True):
            group = self._groups.get(key)
            path = group.path if group is not None else f"{parent}/<new {key[1]} channel>"
            ext.require_point(path, dwa)
        return index

    def require_nav_axes(self, where: Where, axes: Sequence[AxisLike]) -> list[Axis]:
        """What ``add_nav_axes`` checks before writing: each axis describes a scan dimension
        and has as many values, numbers, storable texts. Returns the axes."""
        parsed = [as_axis(axis) for axis in axes]
        what = f"{where_path(where)}: navigation axes"
        require_axes_fit(parsed, self.extended_shape, what, of="the scan")
        saver = AxisSaverLoader(self._h5saver)
        for axis in parsed:
            saver.require_axis(what, axis)
        return parsed

    def add_nav_axes(self, where: Where, axes: Sequence[AxisLike]) -> None:
        """Write the scan's navigation axes in ``where/NavAxes`` (once); each must describe
        a scan dimension and have as many values (checked before writing)."""
        parsed = self.require_nav_axes(where, axes)
        h5 = self._h5saver
        saver = AxisSaverLoader(h5)
        nav = h5.get_set_group(where, self._nav_naming.format())
        if saver._get_nodes(nav):
            return
        for axis in parsed:
            saver.add_axis(nav, axis)

    def add_data(  # type: ignore[override]
        self,
        where: Where,
        data: DteLike,
        indexes: Indexes,
        distribution: DataDistributionLike = DataDistribution.uniform,
        settings_as_xml: str = "",
        **kwargs: object,
    ) -> None:
        """Write one scan point of every item.

        Everything is checked first (:meth:`require_point`): a refused point writes nothing.
        """
        dte = as_dte(data)
        index = self.require_point(where, dte, indexes)
        self._write_point(where, dte, index, parse_distribution(distribution))

    def _write_point(
        self, where: Where, dte: DataToExport, index: tuple[int, ...], dist: DataDistribution
    ) -> None:
        """Write a checked point; interrupted half-way (Ctrl-C, an error from the library),
        it is wholly refused: every array goes back to its state before the point."""
        log = self._h5saver._point_log
        log.clear()  # records a point interrupted after its writes may have left
        try:
            self._put_point(where, dte, index, dist)
        except BaseException:
            undo_point(log)
            raise
        log.clear()
        self._after_point()

    def _put_point(
        self, where: Where, dte: DataToExport, index: tuple[int, ...], dist: DataDistribution
    ) -> None:
        """The writes of a point, each recorded in the saver's point log (see
        :func:`~h5layout.runtime.storage.growing.undo_point`)."""
        ext = self._ext_saver
        pairs = self._channel_groups(where, dte)
        for group, dwa in pairs:
            ext._write_point(group, group.path, dwa, index, dist)
        parent = where_path(where)
        if parent not in self._point_items:
            self._remember_items(parent, dte, pairs, ext._channels)

    def _after_point(self) -> None:
        """After a point was wholly written: SWMR once the structure exists, the flush policy."""
        h5 = self._h5saver
        if not self._structure_done:
            self._structure_done = True
            if h5.swmr_mode and h5.is_swmr_capable() and not h5.is_swmr_active():
                h5.flush()
                h5.enable_swmr()
        h5.tick_flush()
