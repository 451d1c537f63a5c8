"""The low-level saver's API on the data savers, spelt out.

pymodaq_data's data savers answer every attribute of their ``H5SaverLowLevel``
(``saver.get_node(...)``, ``saver.raw_group``); here each one is a method or property
forwarding to it, so type checkers and readers see them (no ``__getattr__``).
``tests/runtime/save/test_saver_access.py`` checks that every public name of the low-level
saver is here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from h5layout.runtime.model.enums import GroupType

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from h5layout.runtime.layout.spec import Bindings, NodeBinding, NodeSpec, Storage
    from h5layout.runtime.model.enums import DataDimLike, DataTypeLike, GroupTypeLike, SaveType
    from h5layout.runtime.storage.backends import Backend
    from h5layout.runtime.storage.growing import FlushSink, GrowingArray
    from h5layout.runtime.storage.h5backend import CARRAY, EARRAY, GROUP, VLARRAY, Node, StringARRAY
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
    from h5layout.runtime.storage.types import LibraryHandle, Where


class LowLevelAccess:
    """Forwards the :class:`~h5layout.runtime.storage.lowlevel.H5SaverLowLevel` API to
    ``_h5saver``."""

    _h5saver: H5SaverLowLevel

    def add_act_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_act_group``."""
        return self._h5saver.add_act_group(where, title, settings_as_xml, metadata)

    def add_array(
        self,
        where: Where,
        name: str,
        data_type: DataTypeLike,
        array_to_save: np.ndarray | None = None,
        data_shape: tuple[int, ...] | None = None,
        array_type: npt.DTypeLike | None = None,
        fill_value: object = None,
        data_dimension: DataDimLike | None = None,
        scan_shape: tuple[int, ...] = (),
        add_scan_dim: bool = False,
        enlargeable: bool = False,
        title: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> CARRAY:
        """Forwarded to ``H5SaverLowLevel.add_array``."""
        return self._h5saver.add_array(
            where,
            name,
            data_type,
            array_to_save,
            data_shape,
            array_type,
            fill_value,
            data_dimension,
            scan_shape,
            add_scan_dim,
            enlargeable,
            title,
            metadata,
        )

    def add_ch_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_ch_group``."""
        return self._h5saver.add_ch_group(where, title, settings_as_xml, metadata)

    def add_data_group(
        self,
        where: Where,
        data_dim: DataDimLike,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
        group_name: str | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_data_group``."""
        return self._h5saver.add_data_group(
            where, data_dim, title, settings_as_xml, metadata, group_name
        )

    def add_det_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_det_group``."""
        return self._h5saver.add_det_group(where, title, settings_as_xml, metadata)

    def add_generic_group(
        self,
        where: Where | None = None,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
        group_type: GroupTypeLike = GroupType.scan,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_generic_group``."""
        return self._h5saver.add_generic_group(where, title, settings_as_xml, metadata, group_type)

    def add_group(
        self,
        name: str,
        group_type: GroupTypeLike,
        where: Where,
        title: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_group``."""
        return self._h5saver.add_group(name, group_type, where, title, metadata)

    def add_incremental_group(
        self,
        group_type: GroupTypeLike,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_incremental_group``."""
        return self._h5saver.add_incremental_group(
            group_type, where, title, settings_as_xml, metadata
        )

    def add_log(self, msg: str) -> None:
        """Forwarded to ``H5SaverLowLevel.add_log``."""
        return self._h5saver.add_log(msg)

    def add_move_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_move_group``."""
        return self._h5saver.add_move_group(where, title, settings_as_xml, metadata)

    def add_scan_group(
        self,
        where: Where | None = None,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.add_scan_group``."""
        return self._h5saver.add_scan_group(where, title, settings_as_xml, metadata)

    def add_string_array(
        self,
        where: Where,
        name: str,
        title: str = "",
        metadata: Mapping[str, object] | None = None,
        capitalize_name: bool = True,
    ) -> StringARRAY:
        """Forwarded to ``H5SaverLowLevel.add_string_array``."""
        return self._h5saver.add_string_array(where, name, title, metadata, capitalize_name)

    @property
    def backend(self) -> str:
        """The low-level saver's ``backend``."""
        return self._h5saver.backend

    @property
    def backend_impl(self) -> Backend:
        """The low-level saver's ``backend_impl``."""
        return self._h5saver.backend_impl

    def bound_node(self, binding: NodeBinding) -> NodeSpec | None:
        """Forwarded to ``H5SaverLowLevel.bound_node``."""
        return self._h5saver.bound_node(binding)

    def create_carray(
        self,
        where: Where,
        name: str,
        obj: np.ndarray | None = None,
        title: str = "",
        shape: tuple[int, ...] | None = None,
        dtype: npt.DTypeLike | None = None,
        fill_value: object = None,
        storage: Storage | None = None,
    ) -> CARRAY:
        """Forwarded to ``H5SaverLowLevel.create_carray``."""
        return self._h5saver.create_carray(
            where,
            name,
            obj,
            title,
            shape=shape,
            dtype=dtype,
            fill_value=fill_value,
            storage=storage,
        )

    def create_earray(
        self,
        where: Where,
        name: str,
        dtype: npt.DTypeLike,
        data_shape: tuple[int, ...] | None = None,
        title: str = "",
        expected_rows: int | None = None,
    ) -> EARRAY:
        """Forwarded to ``H5SaverLowLevel.create_earray``."""
        return self._h5saver.create_earray(where, name, dtype, data_shape, title, expected_rows)

    def create_vlarray(
        self, where: Where, name: str, dtype: npt.DTypeLike, title: str = ""
    ) -> VLARRAY:
        """Forwarded to ``H5SaverLowLevel.create_vlarray``."""
        return self._h5saver.create_vlarray(where, name, dtype, title)

    def define_compression(self, compression: str | None, compression_opts: int | None) -> None:
        """Forwarded to ``H5SaverLowLevel.define_compression``."""
        return self._h5saver.define_compression(compression, compression_opts)

    def enable_swmr(
        self,
    ) -> None:
        """Forwarded to ``H5SaverLowLevel.enable_swmr``."""
        return self._h5saver.enable_swmr()

    @property
    def filename(self) -> str:
        """The low-level saver's ``filename``."""
        return self._h5saver.filename

    def finalize_swmr(self, keep_open: bool = False) -> None:
        """Forwarded to ``H5SaverLowLevel.finalize_swmr``."""
        return self._h5saver.finalize_swmr(keep_open)

    def flush(
        self,
        wait: bool = False,
    ) -> None:
        """Forwarded to ``H5SaverLowLevel.flush``."""
        return self._h5saver.flush(wait)

    def get_attr(self, node: Where, attr_name: str | None = None) -> object:
        """Forwarded to ``H5SaverLowLevel.get_attr``."""
        return self._h5saver.get_attr(node, attr_name)

    def get_children(self, where: Where) -> dict[str, Node]:
        """Forwarded to ``H5SaverLowLevel.get_children``."""
        return self._h5saver.get_children(where)

    def get_group_by_title(self, where: Where, title: str) -> GROUP | None:
        """Forwarded to ``H5SaverLowLevel.get_group_by_title``."""
        return self._h5saver.get_group_by_title(where, title)

    def get_groups(self, where: Where, group_type: GroupTypeLike) -> list[GROUP]:
        """Forwarded to ``H5SaverLowLevel.get_groups``."""
        return self._h5saver.get_groups(where, group_type)

    def get_last_group(self, where: Where, group_type: GroupTypeLike) -> GROUP | None:
        """Forwarded to ``H5SaverLowLevel.get_last_group``."""
        return self._h5saver.get_last_group(where, group_type)

    def get_last_node_path(self, where: Where, group_type: GroupTypeLike) -> str | None:
        """Forwarded to ``H5SaverLowLevel.get_last_node_path``."""
        return self._h5saver.get_last_node_path(where, group_type)

    def get_node(self, where: Where, name: str | None = None) -> Node:
        """Forwarded to ``H5SaverLowLevel.get_node``."""
        return self._h5saver.get_node(where, name)

    def get_node_from_attribute_match(
        self, where: Where, attr_name: str, attr_value: object
    ) -> Node | None:
        """Forwarded to ``H5SaverLowLevel.get_node_from_attribute_match``."""
        return self._h5saver.get_node_from_attribute_match(where, attr_name, attr_value)

    def get_node_from_title(self, where: Where, title: str) -> Node | None:
        """Forwarded to ``H5SaverLowLevel.get_node_from_title``."""
        return self._h5saver.get_node_from_title(where, title)

    def get_node_name(self, node: Where) -> str:
        """Forwarded to ``H5SaverLowLevel.get_node_name``."""
        return self._h5saver.get_node_name(node)

    def get_node_path(self, node: Where) -> str:
        """Forwarded to ``H5SaverLowLevel.get_node_path``."""
        return self._h5saver.get_node_path(node)

    def get_parent_node(self, node: Where) -> GROUP | None:
        """Forwarded to ``H5SaverLowLevel.get_parent_node``."""
        return self._h5saver.get_parent_node(node)

    def get_set_group(self, where: Where, name: str, title: str = "", **kwargs: object) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.get_set_group``."""
        return self._h5saver.get_set_group(where, name, title, **kwargs)

    def get_set_logger(self, where: Where | None = None) -> StringARRAY:
        """Forwarded to ``H5SaverLowLevel.get_set_logger``."""
        return self._h5saver.get_set_logger(where)

    def group_binding(self, type_name: str) -> NodeBinding:
        """Forwarded to ``H5SaverLowLevel.group_binding``."""
        return self._h5saver.group_binding(type_name)

    @property
    def h5_file(self) -> LibraryHandle:
        """The low-level saver's ``h5_file``."""
        return self._h5saver.h5_file

    @property
    def h5file(self) -> LibraryHandle:
        """The low-level saver's ``h5file``."""
        return self._h5saver.h5file

    def has_attr(self, node: Where, attr_name: str) -> bool:
        """Forwarded to ``H5SaverLowLevel.has_attr``."""
        return self._h5saver.has_attr(node, attr_name)

    def init_file(
        self,
        file_name: str | Path,
        raw_group_name: str | None = None,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
        swmr_mode: bool = False,
        mode: str = "a",
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.init_file``."""
        return self._h5saver.init_file(
            file_name, raw_group_name, new_file, metadata, swmr_mode, mode
        )

    def is_node_in_group(self, where: Where, name: str) -> bool:
        """Forwarded to ``H5SaverLowLevel.is_node_in_group``."""
        return self._h5saver.is_node_in_group(where, name)

    def is_swmr_active(
        self,
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.is_swmr_active``."""
        return self._h5saver.is_swmr_active()

    def is_swmr_capable(
        self,
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.is_swmr_capable``."""
        return self._h5saver.is_swmr_capable()

    def is_swmr_compatible(
        self,
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.is_swmr_compatible``."""
        return self._h5saver.is_swmr_compatible()

    def isopen(
        self,
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.isopen``."""
        return self._h5saver.isopen()

    def mark_rows(self) -> list[int]:
        """Forwarded to ``H5SaverLowLevel.mark_rows``."""
        return self._h5saver.mark_rows()

    def next_incremental_name(self, where: Where, group_type: GroupTypeLike) -> str:
        """Forwarded to ``H5SaverLowLevel.next_incremental_name``."""
        return self._h5saver.next_incremental_name(where, group_type)

    def open_file(
        self,
        fullpathname: str | Path,
        mode: str = "r",
        title: str = "PyMoDAQ file",
        swmr_mode: bool = False,
        **kwargs: object,
    ) -> LibraryHandle:
        """Forwarded to ``H5SaverLowLevel.open_file``."""
        return self._h5saver.open_file(fullpathname, mode, title, swmr_mode, **kwargs)

    @property
    def raw_group(self) -> GROUP:
        """The low-level saver's ``raw_group``."""
        return self._h5saver.raw_group

    def read(self, array: Where, *args: object, **kwargs: object) -> np.ndarray | list[str]:
        """Forwarded to ``H5SaverLowLevel.read``."""
        content: np.ndarray | list[str] = self._h5saver.read(array, *args, **kwargs)
        return content

    def reconcile_swmr_attrs(
        self,
    ) -> list[str]:
        """Forwarded to ``H5SaverLowLevel.reconcile_swmr_attrs``."""
        return self._h5saver.reconcile_swmr_attrs()

    def register_growing(self, array: GrowingArray) -> GrowingArray:
        """Forwarded to ``H5SaverLowLevel.register_growing``."""
        return self._h5saver.register_growing(array)

    def rollback_rows(self, mark: list[int]) -> None:
        """Forwarded to ``H5SaverLowLevel.rollback_rows``."""
        return self._h5saver.rollback_rows(mark)

    def root(
        self,
    ) -> GROUP:
        """Forwarded to ``H5SaverLowLevel.root``."""
        return self._h5saver.root()

    def save_file(self, filename: str | Path | None = None) -> None:
        """Forwarded to ``H5SaverLowLevel.save_file``."""
        return self._h5saver.save_file(filename)

    def save_file_as(self, filenamepath: str | Path = "h5copy.txt") -> None:
        """Forwarded to ``H5SaverLowLevel.save_file_as``."""
        return self._h5saver.save_file_as(filenamepath)

    def set_attr(self, node: Where, attr_name: str, attr_value: object) -> None:
        """Forwarded to ``H5SaverLowLevel.set_attr``."""
        return self._h5saver.set_attr(node, attr_name, attr_value)

    def set_backend(self, backend: str) -> None:
        """Forwarded to ``H5SaverLowLevel.set_backend``."""
        return self._h5saver.set_backend(backend)

    def set_swmr_flush_interval(self, n: int) -> None:
        """Forwarded to ``H5SaverLowLevel.set_swmr_flush_interval``."""
        return self._h5saver.set_swmr_flush_interval(n)

    @property
    def storage(self) -> Storage:
        """The low-level saver's ``storage``."""
        return self._h5saver.storage

    @property
    def swmr_mode(self) -> bool:
        """The low-level saver's ``swmr_mode``."""
        return self._h5saver.swmr_mode

    def sync_bookkeeping(
        self,
    ) -> None:
        """Forwarded to ``H5SaverLowLevel.sync_bookkeeping``."""
        return self._h5saver.sync_bookkeeping()

    def tick_flush(
        self,
    ) -> bool:
        """Forwarded to ``H5SaverLowLevel.tick_flush``."""
        return self._h5saver.tick_flush()

    def walk_groups(self, where: Where = "/") -> Iterator[GROUP]:
        """Forwarded to ``H5SaverLowLevel.walk_groups``."""
        return self._h5saver.walk_groups(where)

    def walk_nodes(
        self, where: Where = "/", depth: int | None = None, only_groups: bool = False
    ) -> Iterator[Node]:
        """Forwarded to ``H5SaverLowLevel.walk_nodes``."""
        return self._h5saver.walk_nodes(where, depth, only_groups)

    def write_pending(self) -> None:
        """Forwarded to ``H5SaverLowLevel.write_pending``."""
        return self._h5saver.write_pending()

    @property
    def bindings(self) -> Bindings:
        """The low-level saver's ``bindings``."""
        return self._h5saver.bindings

    @property
    def background_flush(self) -> bool | None:
        """The low-level saver's ``background_flush``."""
        return self._h5saver.background_flush

    @property
    def background_flusher(self) -> FlushSink | None:
        """The low-level saver's ``background_flusher``."""
        return self._h5saver.background_flusher

    def set_background_flush(self, enabled: bool | None = True) -> None:
        """Forwarded to ``H5SaverLowLevel.set_background_flush``."""
        return self._h5saver.set_background_flush(enabled)

    @property
    def current_group(self) -> GROUP | None:
        """The low-level saver's ``current_group``."""
        return self._h5saver.current_group

    @property
    def fill_value(self) -> object:
        """The low-level saver's ``fill_value``, unless this saver was given its own."""
        return self.__dict__.get("_own_fill_value", self._h5saver.fill_value)

    @fill_value.setter
    def fill_value(self, value: object) -> None:
        # a saver's own fill value (DataExtendedSaver's); the low-level saver keeps its own
        self.__dict__["_own_fill_value"] = value

    @property
    def h5_file_name(self) -> str | None:
        """The low-level saver's ``h5_file_name``."""
        return self._h5saver.h5_file_name

    @property
    def h5_file_path(self) -> Path | None:
        """The low-level saver's ``h5_file_path``."""
        return self._h5saver.h5_file_path

    @property
    def save_type(self) -> SaveType:
        """The low-level saver's ``save_type``."""
        return self._h5saver.save_type
