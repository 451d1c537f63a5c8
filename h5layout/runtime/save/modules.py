"""Module savers: save a whole acquisition module (detector, actuator, scan, logger).

A *module* is any object with a ``title`` and settings, either ``settings_xml`` (a
string) or ``settings`` (a PyMoDAQ parameter tree or nested dicts). A scan or logger
module lists its detectors and actuators as ``detectors`` / ``actuators`` (or through
``modules_manager.detectors`` / ``.actuators`` as PyMoDAQ's DAQ_Scan does). Each saver
writes the module's group (found by title, or created) with its settings as parameter
XML, then its data through the DataToExport savers.

The layout's attributes of a group a saver creates (a lab's ``sample_id`` on scans, a
``serial`` on detectors) come from the keyword arguments of ``get_set_node`` (typed in a
compiled module) and, for anything not given there, from the module's
:data:`MODULE_ATTRS` mapping (``module.h5_attrs = {"sample_id": "S0042"}``): that is where
an acquisition program keeps them for the groups created for it implicitly (a scan's
detector groups, a logger's modules). Every attribute is checked against the layout
before the group is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from h5layout.runtime.codec.attrs import decode_raw, read_attr
from h5layout.runtime.codec.settings import (
    MAX_ATTRIBUTE_BYTES,
    SETTINGS_DATASET,
    module_settings,
    pointer_xml,
    settings_to_xml,
)
from h5layout.runtime.errors import DataValueError
from h5layout.runtime.layout.point_checks import parse_indexes, parse_shape
from h5layout.runtime.model.data import AxisLike, DteLike, as_dte
from h5layout.runtime.model.enums import DataDistribution, DataDistributionLike, GroupType
from h5layout.runtime.save.data import parse_distribution
from h5layout.runtime.save.dte import (
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.points import Indexes
from h5layout.runtime.storage.growing import undo_point
from h5layout.runtime.storage.h5backend import GROUP, H5Backend, Node, StringARRAY
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

if TYPE_CHECKING:
    from h5layout.runtime.storage.types import Where

#: The attribute of a module object holding its group's layout attributes (a mapping).
MODULE_ATTRS = "h5_attrs"


class SavedModule(Protocol):
    """What the module savers read of a module object (PyMoDAQ's viewers, actuators, scans
    and loggers, or any object with a ``title``). Read when present: ``settings_xml`` or
    ``settings`` (a parameter tree), ``h5_attrs`` (a mapping), ``detectors`` and
    ``actuators`` (or ``modules_manager.detectors``…), ``scan_shape``, ``description``."""

    @property
    def title(self) -> object:
        """The module's title (its group's ``TITLE``; how a scan finds its detectors)."""


def module_attrs(
    module: SavedModule, given: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The layout attributes of a module's new group: ``module.h5_attrs`` updated by the
    keyword arguments ``given`` (arguments that are None are not given)."""
    found = getattr(module, MODULE_ATTRS, None)
    out: dict[str, object] = {}
    if found is not None:
        if not isinstance(found, Mapping):
            raise DataValueError(
                f"{type(module).__name__}.{MODULE_ATTRS} must be a mapping of attribute "
                f"values, not {type(found).__name__}"
            )
        out.update({str(k): v for k, v in found.items()})
    for key, value in (given or {}).items():
        if value is not None:
            out[key] = value
    return out


def _modules(module: SavedModule, kind: str) -> list[SavedModule]:
    found = getattr(module, kind, None)
    if found is None:
        manager = getattr(module, "modules_manager", None)
        found = getattr(manager, kind, None) if manager is not None else None
    return list(found or [])


def write_settings(h5saver: H5SaverLowLevel, group: GROUP, xml: str) -> None:
    """Store settings XML on ``group``: as its ``settings`` attribute, or in a string
    array when larger than HDF5 attributes allow (the attribute then points to it)."""
    spec = h5saver.LAYOUT_SPEC
    limit = MAX_ATTRIBUTE_BYTES
    dataset = SETTINGS_DATASET
    if spec is not None:
        node = h5saver.bound_node(h5saver.group_binding("detector"))
        if node is not None:
            limit = int(node.options.get("settings_max_attribute_bytes", limit))
            dataset = str(node.options.get("settings_dataset", dataset))
    if len(xml.encode("utf-8")) <= limit:
        group.attrs["settings"] = xml
        return
    array = h5saver.add_string_array(
        group, dataset, title="settings", metadata={"type": "settings"}
    )
    array.append(xml)
    group.attrs["settings"] = pointer_xml(array.path)


def read_settings(node: Node) -> str:
    """The settings XML of a module group, wherever :func:`write_settings` put it."""
    text = node.attrs.get("settings", "")
    text = "" if text is None else str(text)
    if "stored_in" in text and "settings stored in" in text:
        from h5layout.runtime.codec.settings import settings_from_xml

        tree = settings_from_xml(text)
        for child in tree.get("children", []):
            if child.get("name") == "stored_in":
                stored = str(child.get("value"))
                # the array is the group's own child: look there first, so a group copied
                # elsewhere (add_external_h5) still finds its settings, not another's
                kids = node.children() if isinstance(node, GROUP) else {}
                own = kids.get(stored.rsplit("/", 1)[-1])
                strings = own if own is not None else node.to_h5_backend().get_node(stored)
                if isinstance(strings, StringARRAY):
                    rows = strings.read()
                    return rows[0] if rows else ""
    return text


class ModuleSaver:
    """Base of the module savers."""

    group_type: ClassVar[GroupType] = GroupType.detector

    def __init__(self, module: SavedModule) -> None:
        if getattr(module, "title", None) is None:
            raise DataValueError(f"a module needs a title, {type(module).__name__} has none")
        self._module = module
        self._module_group: GROUP | None = None
        self._h5saver: H5SaverLowLevel | None = None

    # -- binding ---------------------------------------------------------------------------
    @property
    def module(self) -> SavedModule:
        """The module being saved."""
        return self._module

    @property
    def module_group(self) -> GROUP | None:
        """The module's group in the file (once found or created)."""
        return self._module_group

    @property
    def h5saver(self) -> H5SaverLowLevel:
        """The low-level saver; setting it rebinds the inner savers."""
        if self._h5saver is None:
            raise DataValueError(f"{type(self).__name__}: no h5saver set")
        return self._h5saver

    @h5saver.setter
    def h5saver(self, saver: H5SaverLowLevel) -> None:
        self._h5saver = saver
        self._module_group = None
        self._bind(saver)

    def _bind(self, saver: H5SaverLowLevel) -> None:
        """Create the inner savers for ``saver``."""

    def flush(self) -> None:
        """Flush the file."""
        self.h5saver.flush()

    # -- nodes -----------------------------------------------------------------------------
    def _where(self, where: Where | None) -> Where:
        return self.h5saver.raw_group if where is None else where

    def _add_module(
        self, where: Where | None = None, metadata: Mapping[str, object] | None = None
    ) -> GROUP:
        h5 = self.h5saver
        group = h5.add_incremental_group(
            self.group_type, self._where(where), title=str(self._module.title), metadata=metadata
        )
        write_settings(h5, group, module_settings(self._module))
        return group

    def get_set_node(
        self, where: Where | None = None, name: str | None = None, **attrs: object
    ) -> GROUP:
        """The module's group under ``where`` found by title (``name``), or created with
        the layout attributes ``attrs`` (and the module's ``h5_attrs`` mapping)."""
        title = str(self._module.title) if name is None else name
        for child in self.h5saver.get_children(self._where(where)).values():
            if (
                isinstance(child, GROUP)
                and child.title == title
                and child.attrs.get("type") == self.group_type.name
            ):
                self._module_group = child
                return child
        self._module_group = self._add_module(where, module_attrs(self._module, attrs))
        return self._module_group

    def get_last_node(self, where: Where | None = None) -> GROUP | None:
        """The last group of this module's type under ``where``."""
        group = self.h5saver.get_last_group(self._where(where), self.group_type)
        self._module_group = group
        return group

    def get_last_node_index(self, where: Where | None = None) -> int:
        """Index of the last group of this type (-1 when there is none)."""
        group = self.h5saver.get_last_group(self._where(where), self.group_type)
        if group is None:
            return -1
        naming = self.h5saver.group_binding(self.group_type.name).naming
        index = naming.parse_index(group.name)
        return -1 if index is None else index

    def get_next_node_name(self, where: Where | None = None) -> str:
        """Name the next group of this type would get."""
        return self.h5saver.next_incremental_name(self._where(where), self.group_type)


class DetectorSaver(ModuleSaver):
    """A detector's data (``Detector000``…)."""

    group_type = GroupType.detector

    def _bind(self, saver: H5SaverLowLevel) -> None:
        self._dte_saver = DataToExportSaver(saver)

    def add_data(self, where: Where | None, data: DteLike, **kwargs: object) -> None:
        """Write a DataToExport in ``where`` (the module's group when None); checked before
        the module's group is created."""
        dte = as_dte(data)
        attrs = dict(kwargs)
        settings = attrs.pop("settings_as_xml", "")
        if settings:
            attrs["settings"] = settings
        self._dte_saver.require_data(self._checked_where(where), dte, attrs)
        self._dte_saver._write_data(self._node(where), dte, attrs)

    def add_bkg(self, where: Where | None, data_bkg: DteLike) -> None:
        """Write backgrounds next to the data (checked before the module's group is created)."""
        dte = as_dte(data_bkg)
        saver = self._dte_saver
        saver.require_data(self._checked_where(where), dte, {}, saver._bkg_saver)
        saver.add_bkg(self._node(where), dte)

    def _node(self, where: Where | None) -> Where:
        if where is not None:
            return where
        return self._module_group if self._module_group is not None else self.get_set_node()

    def _checked_where(self, where: Where | None) -> Where:
        """What :meth:`_node` will give, without creating the module's group: checks of a
        point for a group not created yet find no channel of it (everything is new)."""
        if where is not None:
            return where
        if self._module_group is not None:
            return self._module_group
        return f"<new {self.group_type.name} group {self._module.title!r}>"

    def add_external_h5(self, other_h5data: H5Backend | str | os.PathLike[str]) -> GROUP:
        """Copy another file's tree (an open H5Backend or a path) under an ``External_h5`` group."""
        h5 = self.h5saver
        parent = self._node(None)
        # never an empty settings attribute: PyMoDAQ's browser cannot parse ''
        target = h5.add_incremental_group(
            GroupType.external_h5,
            parent,
            title="external_h5",
            settings_as_xml=settings_to_xml(None),
        )
        other = other_h5data
        owned = False
        if not isinstance(other, H5Backend):
            other = H5Backend("h5py")
            other.open_file(str(other_h5data), "r")
            owned = True
        try:
            copy_tree(other, other.root(), h5, target)
        finally:
            if owned:
                other.close_file()
        return target


class DetectorEnlargeableSaver(DetectorSaver):
    """A detector's timed data (one row per call, ``time`` navigation axis)."""

    def _bind(self, saver: H5SaverLowLevel) -> None:
        self._timed_saver = DataToExportTimedSaver(saver)
        self._dte_saver = self._timed_saver

    def add_data(self, where: Where | None, data: DteLike, **kwargs: object) -> None:
        """Append a DataToExport at its timestamp (checked before anything is created)."""
        dte = as_dte(data)
        values = self._timed_saver.require_row(self._checked_where(where), dte)
        self._timed_saver._write_row(self._node(where), dte, values)


class DetectorExtendedSaver(DetectorSaver):
    """A detector inside a scan: data at scan indexes."""

    def __init__(self, module: SavedModule, extended_shape: tuple[int, ...]) -> None:
        self.extended_shape = parse_shape(extended_shape, "extended_shape")
        super().__init__(module)

    def _bind(self, saver: H5SaverLowLevel) -> None:
        self._ext_saver = DataToExportExtendedSaver(saver, self.extended_shape)
        self._dte_saver = self._ext_saver

    def add_data(  # type: ignore[override]
        self,
        where: Where | None,
        data: DteLike,
        indexes: Indexes,
        distribution: DataDistributionLike = DataDistribution.uniform,
    ) -> None:
        """Write one scan point (checked before anything is created)."""
        dte = as_dte(data)
        index = self._ext_saver.require_point(self._checked_where(where), dte, indexes)
        self._ext_saver._write_point(
            self._node(where), dte, index, parse_distribution(distribution)
        )

    def add_nav_axes(self, where: Where | None, axes: Sequence[AxisLike]) -> None:
        """Write the scan's navigation axes under ``where`` (checked before the module's
        group is created)."""
        self._ext_saver.require_nav_axes(self._checked_where(where), axes)
        self._ext_saver.add_nav_axes(self._node(where), axes)


class ActuatorSaver(DetectorEnlargeableSaver):
    """An actuator's timed positions (``Actuator000``…)."""

    group_type = GroupType.actuator


class ScanSaver(ModuleSaver):
    """A scan: its group, navigation axes, and every detector's data at each point."""

    group_type = GroupType.scan

    def __init__(self, module: SavedModule, extended_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(module)
        shape = (
            extended_shape if extended_shape is not None else getattr(module, "scan_shape", None)
        )
        if shape is None:
            raise DataValueError(
                "ScanSaver needs the scan shape (extended_shape or module.scan_shape)"
            )
        self.extended_shape = parse_shape(shape, "extended_shape")
        self._detectors = [
            DetectorExtendedSaver(m, self.extended_shape) for m in _modules(module, "detectors")
        ]
        self._actuators = [ActuatorSaver(m) for m in _modules(module, "actuators")]

    def _bind(self, saver: H5SaverLowLevel) -> None:
        self._nav_saver = DataToExportExtendedSaver(saver, self.extended_shape)
        for sub in (*self._detectors, *self._actuators):
            sub.h5saver = saver
        self._detector_groups: dict[str, GROUP] = {}

    def _add_module(
        self, where: Where | None = None, metadata: Mapping[str, object] | None = None
    ) -> GROUP:
        meta = dict(metadata or {})
        meta.setdefault("description", str(getattr(self._module, "description", "") or ""))
        h5 = self.h5saver
        # the runtime's own method: a compiled module's typed ``add_scan_group`` asks for
        # the attributes as keyword arguments, here they are already in ``meta``
        group = H5SaverLowLevel.add_scan_group(
            h5, self._where(where), title=str(self._module.title), metadata=meta
        )
        write_settings(h5, group, module_settings(self._module))
        return group

    def get_set_node(  # type: ignore[override]
        self, where: Where | None = None, new: bool = False, **attrs: object
    ) -> GROUP:
        """The current scan group (the last one), or a new one when ``new`` or none exists,
        created with the layout attributes ``attrs`` (and the module's ``h5_attrs``)."""
        if not new:
            last = self.get_last_node(where)
            if last is not None:
                self._detector_groups = {}
                return last
        self._module_group = self._add_module(where, module_attrs(self._module, attrs))
        self._detector_groups = {}
        return self._module_group

    def add_nav_axes(self, axes: Sequence[AxisLike]) -> None:
        """Write the scan's navigation axes in its ``NavAxes`` group (checked before the
        scan's group is created)."""
        self._nav_saver.require_nav_axes(self._module_group or "<new scan group>", axes)
        self._nav_saver.add_nav_axes(self._scan(), axes)

    def _scan(self) -> GROUP:
        return self._module_group if self._module_group is not None else self.get_set_node(new=True)

    def add_data(
        self,
        dte: DteLike,
        indexes: Indexes,
        distribution: DataDistributionLike = DataDistribution.uniform,
    ) -> None:
        """Write one scan point of every detector (each item goes to the detector whose
        title is its origin); an item of no detector of the scan is refused before
        anything is written."""
        data = as_dte(dte)
        titles = {str(saver.module.title) for saver in self._detectors}
        strays = [f"{d.origin}/{d.name}" for d in data if d.origin not in titles]
        if strays:
            raise DataValueError(
                f"scan {self._module.title!r}: no detector of the scan for {', '.join(strays)} "
                f"(detectors: {', '.join(sorted(titles)) or 'none'}); nothing written"
            )
        # Every detector's part is checked before the first byte of any.
        dist = parse_distribution(distribution)
        index = parse_indexes(indexes, self.extended_shape)
        parts = []
        for saver in self._detectors:
            title = str(saver.module.title)
            items = [d for d in data if d.origin == title]
            group = self._detector_groups.get(title)
            if not items:
                if group is not None:
                    raise DataValueError(
                        f"scan {self._module.title!r}: no data of detector {title!r}, which "
                        "the scan's first point had; nothing written"
                    )
                continue
            part = data.__class__(title, items, data.timestamp)
            where = group if group is not None else f"<new detector group {title!r}>"
            saver._ext_saver.require_point(where, part, index)
            parts.append((saver, title, part))
        scan = self._scan()
        # One point of every detector, atomic: interrupted half-way (Ctrl-C, an error from
        # the library), every detector's arrays go back to their state before the point.
        log = self.h5saver._point_log
        log.clear()  # records a point interrupted after its writes may have left
        try:
            for saver, title, part in parts:
                group = self._detector_groups.get(title)
                if group is None:
                    group = saver.get_set_node(scan)
                    self._detector_groups[title] = group
                saver._ext_saver._put_point(group, part, index, dist)
        except BaseException:
            undo_point(log)
            raise
        log.clear()
        for saver, _, _ in parts:
            saver._ext_saver._after_point()
        self.h5saver.tick_flush()


class LoggerSaver(ModuleSaver):
    """A logging session: each DataToExport goes to the detector or actuator of its name."""

    group_type = GroupType.data_logger

    def __init__(self, module: SavedModule) -> None:
        super().__init__(module)
        self._savers: dict[str, DetectorEnlargeableSaver] = {}
        for m in _modules(module, "detectors"):
            self._savers[str(m.title)] = DetectorEnlargeableSaver(m)
        for m in _modules(module, "actuators"):
            self._savers[str(m.title)] = ActuatorSaver(m)

    def _bind(self, saver: H5SaverLowLevel) -> None:
        for sub in self._savers.values():
            sub.h5saver = saver

    def _add_module(
        self, where: Where | None = None, metadata: Mapping[str, object] | None = None
    ) -> GROUP:
        return self.h5saver.raw_group

    def get_set_node(
        self, where: Where | None = None, name: str | None = None, **attrs: object
    ) -> GROUP:
        """The logger's node: the raw group (modules are saved right under it); it is not
        created here, so ``attrs`` are refused."""
        if attrs:
            raise DataValueError(
                f"LoggerSaver.get_set_node: the raw group is not created here, "
                f"{', '.join(sorted(attrs))} cannot be set on it"
            )
        node = self.h5saver.raw_group if where is None else self.h5saver.get_node(where)
        if not isinstance(node, GROUP):
            raise DataValueError(f"{node.path} is not a group")
        if self._module_group is None and "settings" not in node.attrs:
            # the logging session's own settings, next to the modules it logs
            write_settings(self.h5saver, node, module_settings(self._module))
        self._module_group = node
        return node

    def add_data(self, dte: DteLike) -> None:
        """Append a DataToExport to the module whose title is its name."""
        data = as_dte(dte)
        saver = self._savers.get(data.name)
        if saver is None:
            raise DataValueError(f"no detector or actuator called {data.name!r} in this logger")
        values = saver._timed_saver.require_row(
            saver._checked_where(None), data
        )  # before any group
        if saver.module_group is None:
            saver.get_set_node(
                self.get_set_node() if self._module_group is None else self._module_group
            )
        saver._timed_saver._write_row(saver._node(None), data, values)
        self.h5saver.tick_flush()


def copy_tree(src: H5Backend, src_node: Node, dst: H5Backend, dst_group: GROUP) -> None:
    """Copy every child of ``src_node`` (another file, any backend) into ``dst_group``."""
    s_impl, d_impl = src.backend_impl, dst.backend_impl
    stack = [(src_node.node, dst_group.node)]
    while stack:
        s_raw, d_raw = stack.pop()
        for name, child in s_impl.children(s_raw).items():
            title = ""
            if s_impl.has_attr(child, "TITLE"):
                # read_attr: PyTables' empty title reads as h5py.Empty, not ''; a title in
                # the JSON envelope (as h5py roots have) is decoded, any other kept as is
                value = read_attr(s_impl.get_attr(child, "TITLE"))
                title = value if isinstance(value, str) else ""
            if s_impl.is_group(child):
                new = d_impl.create_group(d_raw, name, title)
                stack.append((child, new))
            else:
                cls = s_impl.node_class(child)
                dtype = s_impl.dtype(child)
                if cls == "VLARRAY":
                    new = d_impl.create_vlarray(d_raw, name, dtype=dtype, title=title)
                    for row in s_impl.read(child):
                        d_impl.vl_append(new, np.asarray(row, dtype=dtype))
                elif cls == "EARRAY":
                    shape = s_impl.shape(child)
                    new = d_impl.create_earray(
                        d_raw, name, dtype=dtype, row_shape=shape[1:], title=title
                    )
                    if shape[0]:
                        d_impl.append(new, np.asarray(s_impl.read(child)))
                else:
                    new = d_impl.create_carray(
                        d_raw, name, data=np.asarray(s_impl.read(child)), title=title
                    )
            for attr in s_impl.attr_names(child):
                if attr in ("CLASS", "TITLE", "VERSION", "EXTDIM"):
                    continue
                value = s_impl.get_attr(child, attr)
                if isinstance(value, np.str_ | np.bytes_) or type(value).__name__ == "Empty":
                    value = decode_raw(value)
                d_impl.set_attr(new, attr, value)
