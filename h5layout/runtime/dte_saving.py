"""Savers of whole DataToExports (the pymodaq_data ``DataToExportSaver`` family).

Each item of a DataToExport goes to its own channel group (``Data0D/CH00``…), found or
created once and then cached; the per-item work is done by the array savers of
:mod:`h5layout.runtime.data_saving`: plain data, enlargeable rows (loggers, timed data)
or points of a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from h5layout.runtime.data import Axis, DataToExport, DataWithAxes, as_axis, as_dte
from h5layout.runtime.data_saving import (
    AxisSaverLoader,
    BkgSaver,
    DataEnlargeableSaver,
    DataExtendedSaver,
    DataSaverLoader,
    ErrorSaverLoader,
    open_saver,
    where_path,
)
from h5layout.runtime.enums import DataDistribution, SaveType
from h5layout.runtime.growing import GrowingArray
from h5layout.runtime.nodes import GROUP
from h5layout.runtime.saving import H5SaverLowLevel


@dataclass
class DataBundle:
    """Everything one ``add_data_bundle`` call saves."""

    dte: Any
    node: Any
    settings: str = ""
    indexes: tuple[int, ...] | None = None
    axis_values: Any = None
    distribution: Any = DataDistribution.uniform
    save_index: int = 0


class DataToExportSaver:
    """Saves a DataToExport: one ``Data0D``… group per dimension, one ``CH00``… per item."""

    #: saver class used to open paths (a compiled layout binds its own)
    SAVER_CLASS: ClassVar[type[H5SaverLowLevel]] = H5SaverLowLevel

    def __init__(
        self,
        h5saver: Any,
        save_type: Any = SaveType.custom,
        new_file: bool = False,
        metadata: dict[str, Any] | None = None,
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

    def _channel_groups(self, where: Any, dte: DataToExport) -> list[tuple[GROUP, DataWithAxes]]:
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

    def add_data(self, where: Any, data: Any, settings_as_xml: str = "", **kwargs: Any) -> None:
        """Write every item of a DataToExport under ``where``."""
        dte = as_dte(data)
        if settings_as_xml:
            kwargs["settings"] = settings_as_xml
        for group, dwa in self._channel_groups(where, dte):
            self._data_saver.add_data(group, dwa, **kwargs)

    def add_bkg(self, where: Any, data: Any) -> None:
        """Write backgrounds next to the data of the same dimension and position."""
        for group, dwa in self._channel_groups(where, as_dte(data)):
            self._bkg_saver.add_data(group, dwa, save_axes=False)

    def add_error(self, where: Any, data: Any) -> None:
        """Write error bars (``ErrorBar00``…) next to the matching data."""
        for group, dwa in self._channel_groups(where, as_dte(data)):
            self._error_saver.add_data(group, dwa, save_axes=False)

    def add_data_bundle(self, bundle: DataBundle) -> None:
        """Save a :class:`DataBundle`."""
        self.add_data(bundle.node, bundle.dte, settings_as_xml=bundle.settings)


class DataToExportEnlargeableSaver(DataToExportSaver):
    """Appends a DataToExport per call, with shared navigation axes in ``NavAxes``."""

    def __init__(
        self,
        h5saver: Any,
        enl_axis_names: Any = None,
        enl_axis_units: Any = None,
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

    def _get_nav_axes(self, where: Any) -> list[GrowingArray]:
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
        where: Any,
        data: Any,
        axis_values: Any = None,
        axis_value: Any = None,
        settings_as_xml: str = "",
        **kwargs: Any,
    ) -> None:
        """Append one row per channel and one value per navigation axis."""
        if axis_values is None and axis_value is not None:
            axis_values = [axis_value]
        dte = as_dte(data)
        axes = self._get_nav_axes(where)
        for group, dwa in self._channel_groups(where, dte):
            self._enl_saver.add_data(group, dwa)
        if axis_values is None:
            axis_values = [float(axes[0].rows) if axes else 0.0] * len(axes)
        values = np.atleast_1d(np.asarray(axis_values, dtype=np.float64))
        swmr = self._h5saver.is_swmr_active()
        for k, axis in enumerate(axes):
            axis.append(values[k : k + 1] if values.size > k else np.full(1, np.nan), swmr)
        self._h5saver.tick_flush()


class DataToExportTimedSaver(DataToExportEnlargeableSaver):
    """Enlargeable saving with one ``time`` axis (seconds) fed by the DataToExport timestamp."""

    def __init__(self, h5saver: Any) -> None:
        super().__init__(h5saver, enl_axis_names=("time",), enl_axis_units=("s",))

    def add_data(  # type: ignore[override]
        self, where: Any, data: Any, settings_as_xml: str = "", **kwargs: Any
    ) -> None:
        """Append a DataToExport at its timestamp."""
        dte = as_dte(data)
        super().add_data(
            where, dte, axis_values=[dte.timestamp], settings_as_xml=settings_as_xml, **kwargs
        )


class DataToExportExtendedSaver(DataToExportSaver):
    """Saves scans: each DataToExport at ``indexes`` of arrays of ``extended_shape``."""

    def __init__(
        self, h5saver: Any, extended_shape: tuple[int, ...], fill_value: Any = None
    ) -> None:
        self.extended_shape = tuple(int(n) for n in extended_shape)
        self._fill_value = fill_value
        super().__init__(h5saver)

    def _bind(self) -> None:
        super()._bind()
        self._ext_saver = DataExtendedSaver(self._h5saver, self.extended_shape, self._fill_value)
        self._nav_naming = self._h5saver.bindings.nav_axes.naming
        self._structure_done = False

    def add_nav_axes(self, where: Any, axes: list[Any]) -> None:
        """Write the scan's navigation axes in ``where/NavAxes`` (once)."""
        h5 = self._h5saver
        nav = h5.get_set_group(where, self._nav_naming.format())
        saver = AxisSaverLoader(h5)
        if saver._get_nodes(nav):
            return
        for axis in axes:
            saver.add_axis(nav, as_axis(axis))

    def add_data(  # type: ignore[override]
        self,
        where: Any,
        data: Any,
        indexes: Any,
        distribution: Any = DataDistribution.uniform,
        settings_as_xml: str = "",
        **kwargs: Any,
    ) -> None:
        """Write one scan point of every item."""
        index = self._ext_saver.check_indexes(indexes)  # before any group is created
        dte = as_dte(data)
        for group, dwa in self._channel_groups(where, dte):
            self._ext_saver.add_data(group, dwa, index, distribution)
        h5 = self._h5saver
        if not self._structure_done:
            self._structure_done = True
            if h5.swmr_mode and h5.is_swmr_capable() and not h5.is_swmr_active():
                h5.flush()
                h5.enable_swmr()
        h5.tick_flush()
