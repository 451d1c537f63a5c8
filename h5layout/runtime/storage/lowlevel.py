"""``H5SaverLowLevel``: the file skeleton (root, raw group, logger, incremental groups,
arrays), driven by the bindings of a compiled layout.

The saver decides no name itself: which node type each role creates and how it is named
are the layout's :class:`~h5layout.runtime.layout.spec.Bindings`, resolved by the compiler. A
compiled module subclasses it with ``LAYOUT_SPEC`` set (its groups renamed, its
attributes, storage and flush policy); without one, the shipped ``pymodaq`` layout's
bindings apply (:mod:`h5layout.runtime.layout.default_bindings`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from h5layout._version import __version__
from h5layout.runtime.codec.attrs import read_attr
from h5layout.runtime.codec.settings import settings_to_xml
from h5layout.runtime.errors import DataValueError, FileAccessError, InvalidGroupType, LayoutError
from h5layout.runtime.layout.attrcheck import resolve_attrs, units_attr
from h5layout.runtime.layout.default_bindings import BINDINGS
from h5layout.runtime.layout.point_checks import (
    parse_shape,
    require_attrs,
    require_exact,
    require_numeric,
    require_title,
)
from h5layout.runtime.layout.spec import Bindings, LayoutSpec, NodeBinding, NodeSpec, Storage
from h5layout.runtime.model.enums import (
    DataDim,
    DataDimLike,
    DataType,
    DataTypeLike,
    GroupType,
    GroupTypeLike,
    SaveType,
    SaveTypeLike,
)
from h5layout.runtime.storage.backends import DEFAULT_BACKEND, LibraryHandle
from h5layout.runtime.storage.growing import (
    BLOCK_ROWS,
    PENDING,
    FlushSink,
    GrowingArray,
    PointBlock,
    PointLog,
    dataset_key,
)
from h5layout.runtime.storage.h5backend import (
    CARRAY,
    GROUP,
    PYMODAQ_DATA_FORMAT_VERSION,
    H5Backend,
    Node,
    StringARRAY,
    capitalize,
    installed_version,
    pymodaq_version,
    writable_group_type,
)
from h5layout.runtime.storage.types import Where

#: The settings of a group given none: an empty but valid PyMoDAQ parameter tree.
EMPTY_SETTINGS = settings_to_xml(None)

#: points/rows between flushes without a layout: a writer killed after a flush keeps
#: everything written up to it, and files never flushed do not open at all
DEFAULT_FLUSH_EVERY = 10

#: attributes the runtime writes itself on incremental groups: never taken from callers'
#: metadata checks (nor keyword arguments of compiled ``add_*_group`` methods)
GROUP_RUNTIME_ATTRS = frozenset(
    {"CLASS", "TITLE", "VERSION", "type", "settings", "description", "backend"}
)

#: bindings of savers bound to no compiled layout
DEFAULT_BINDINGS = Bindings.from_dict(BINDINGS)


def bindings_of(spec: LayoutSpec | None) -> Bindings:
    """The bindings of a layout (the default ones for None); a layout that was never
    compiled has none, and the runtime does not decide in its place."""
    if spec is None:
        return DEFAULT_BINDINGS
    if spec.bindings is None:
        raise LayoutError(
            f"layout {spec.layout!r} has no bindings: compile it (h5layout.load_layout, "
            "or h5layout.compiler.lowering.bind for a LayoutSpec)"
        )
    return spec.bindings


#: an enlargeable array or a scan array's point block
_G = TypeVar("_G", GrowingArray, PointBlock)


def group_type_name(group_type: object) -> str:
    """``'detector'`` from ``GroupType.detector``, ``'detector'`` or ``'Detector'``."""
    name = getattr(group_type, "name", group_type)
    if not isinstance(name, str) or not name:
        raise DataValueError(f"invalid group type {group_type!r}")
    return name.lower()


class H5SaverLowLevel(H5Backend):
    """Creates and fills PyMoDAQ-layout files (a layout-bound subclass per compiled layout)."""

    #: the layout a compiled module binds (None: PyMoDAQ's names, no extra rules)
    LAYOUT_SPEC: ClassVar[LayoutSpec | None] = None

    def __init__(self, save_type: SaveTypeLike = SaveType.scan, backend: str | None = None) -> None:
        super().__init__(backend or DEFAULT_BACKEND)
        self.save_type: SaveType = SaveType.parse(save_type)
        self.h5_file_path: Path | None = None
        self.h5_file_name: str | None = None
        self.fill_value: float = float("nan")
        self.current_group: GROUP | None = None
        spec = self.LAYOUT_SPEC
        self.bindings: Bindings = bindings_of(spec)
        self._raw_group_path = "/" + self.bindings.raw.naming.format()
        self._flush_interval = spec.policy.flush_every if spec is not None else DEFAULT_FLUSH_EVERY
        self._flush_counter = 0
        self._fsync = bool(spec.policy.fsync) if spec is not None else False
        self._growing: list[GrowingArray | PointBlock] = []
        #: undo records of the scan point being written (emptied after each point)
        self._point_log: PointLog = []
        self._swmr_known: tuple[LibraryHandle, bool] = (None, False)  # (file object, SWMR active)
        #: hand flushes to a background writer (backends that have one: h5pyd); None
        #: follows the backend's own ``background_flush`` setting
        self.background_flush: bool | None = None
        self._bg: FlushSink | None = None  # the backend's background flusher, while one runs

    # -- the layout's bindings ---------------------------------------------------------------
    def bound_node(self, binding: NodeBinding) -> NodeSpec | None:
        """The layout node type a binding names (None without a layout or a node type)."""
        spec = self.LAYOUT_SPEC
        return None if spec is None or binding.node is None else spec.nodes[binding.node]

    def group_binding(self, type_name: str) -> NodeBinding:
        """The binding of incremental groups of a type (``InvalidGroupType`` if none)."""
        binding = self.bindings.groups.get(type_name)
        if binding is None:
            known = ", ".join(self.bindings.groups)
            raise InvalidGroupType(f"unknown group type {type_name!r} (known: {known})")
        return binding

    def _group_attrs(
        self, type_name: str, given: Mapping[str, object], where: str
    ) -> dict[str, object]:
        """Layout attributes of an incremental group, checked (nothing written yet)."""
        node = self.bound_node(self.group_binding(type_name))
        if node is None:
            return dict(given)
        specs = {
            k: v
            for k, v in node.attrs.items()
            if k not in GROUP_RUNTIME_ATTRS and v.encoding == "json"
        }
        resolved = resolve_attrs(node.name, specs, given, where=where)
        extra = {k: v for k, v in given.items() if k not in resolved}
        # units declared for an attribute go into the file too, as ``<name>_units``
        units = {
            units_attr(k): specs[k].units
            for k in resolved
            if specs[k].units and units_attr(k) not in node.attrs
        }
        return {**resolved, **units, **extra}

    @property
    def storage(self) -> Storage:
        """Storage for new arrays: :meth:`define_compression`, else the layout's data arrays."""
        if self._storage.compression or self.LAYOUT_SPEC is None:
            return self._storage
        node = self.bound_node(self.bindings.arrays[DataType.data.name])
        return node.array.storage if node is not None and node.array is not None else self._storage

    # -- files ---------------------------------------------------------------------------
    @classmethod
    def from_file(
        cls,
        h5file_path: str | Path,
        save_type: SaveTypeLike = SaveType.scan,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
        swmr_mode: bool = False,
        mode: str = "a",
        backend: str | None = None,
    ) -> H5SaverLowLevel:
        """A saver with ``h5file_path`` opened through :meth:`init_file`."""
        saver = cls(save_type=save_type, backend=backend)
        saver.init_file(
            h5file_path, new_file=new_file, metadata=metadata, swmr_mode=swmr_mode, mode=mode
        )
        return saver

    @property
    def h5_file(self) -> LibraryHandle:
        """The library's file object."""
        return self.h5file

    @property
    def raw_group(self) -> GROUP:
        """The raw-data group (``/RawData``)."""
        node = self.get_node(self._raw_group_path)
        assert isinstance(node, GROUP)
        return node

    def init_file(
        self,
        file_name: str | Path,
        raw_group_name: str | None = None,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
        swmr_mode: bool = False,
        mode: str = "a",
    ) -> bool:
        """Open or create ``file_name``; returns True when a new file was created.

        A name whose suffix lacks ``h5`` gets ``.h5``. An existing file is never
        overwritten unless ``new_file`` is True, also with ``swmr_mode``. The raw group is
        ``raw_group_name``, else the layout's.
        """
        path = Path(file_name)
        if "h5" not in path.suffix:
            path = path.with_name(path.stem + ".h5")
        self.h5_file_path = path.parent
        self.h5_file_name = path.name
        exists = self._file_exists(path)
        if mode == "r":
            if not exists:
                raise FileAccessError(f"{path}: no such file")
            new_file = False
        elif not exists:
            new_file = True
        if self.LAYOUT_SPEC is not None and self.LAYOUT_SPEC.policy.swmr and self.backend == "h5py":
            swmr_mode = swmr_mode or new_file
        if swmr_mode and not new_file and exists and mode != "r":
            self._require_swmr_compatible(path)
        now = datetime.datetime.now()
        self.close_file()
        self.open_file(path, "w" if new_file else mode, title="PyMoDAQ file", swmr_mode=swmr_mode)
        if new_file:
            self._write_root_attrs(path, now)
        if raw_group_name is None:
            raw_group_name = self.bindings.raw.naming.format()
        self._raw_group_path = "/" + raw_group_name
        if mode == "r":
            return False  # read-only: never write, not even a missing CLASS
        raw = self.get_set_group("/", raw_group_name, title="Data from PyMoDAQ modules")
        if new_file:
            raw.attrs["type"] = self.save_type.name
            for key, value in (metadata or {}).items():
                raw.attrs[key] = value
        self.get_set_logger(raw)
        if new_file:
            self.flush()  # the skeleton reaches the disk before any data (crash safety)
        self._start_background()
        return new_file

    def _file_exists(self, path: Path) -> bool:
        """Whether ``path`` names an existing file; a backend of remote files (h5pyd's
        HSDS domains) says so itself."""
        exists = getattr(self._impl, "file_exists", None)
        return bool(exists(str(path))) if exists is not None else path.is_file()

    def _require_swmr_compatible(self, path: Path) -> None:
        import h5py

        try:
            with h5py.File(path, "r", locking=False) as f:
                ok = (
                    bool(read_attr(f.attrs["swmr_compatible"]))
                    if "swmr_compatible" in f.attrs
                    else False
                )
        except OSError as exc:
            raise FileAccessError(f"{path}: cannot check SWMR compatibility: {exc}") from exc
        if not ok:
            raise FileAccessError(
                f"{path}: the file was not created for SWMR; it is left untouched. "
                "Pass new_file=True to replace it, or choose another file name."
            )

    def _write_root_attrs(self, path: Path, now: datetime.datetime) -> None:
        root = self.root()
        root.attrs["pymodaq_version"] = pymodaq_version()
        root.attrs["pymodaq_data_version"] = installed_version(
            "pymodaq_data", PYMODAQ_DATA_FORMAT_VERSION
        )
        root.attrs["file"] = path.name
        root.attrs["date"] = now.date().isoformat()
        root.attrs["time"] = now.time().isoformat()
        root.attrs["h5layout_version"] = __version__
        spec = self.LAYOUT_SPEC
        if spec is not None:
            root.attrs["h5layout_layout"] = spec.layout
            root.attrs["h5layout_layout_version"] = spec.version
            root.attrs["h5layout_layout_sha256"] = spec.sha256

    def save_file_as(self, filenamepath: str | Path = "h5copy.txt") -> None:
        """Write a copy of the whole file to ``filenamepath`` (every row appended so far,
        also those a background writer still holds)."""
        if self._bg is not None:
            self.write_pending()
        super().save_file_as(filenamepath)

    def save_file(self, filename: str | Path | None = None) -> None:
        """Write a copy of the file to ``filename``."""
        if filename is None:
            raise ValueError("save_file needs a file name")
        self.save_file_as(filename)

    # -- flushing --------------------------------------------------------------------------
    def set_background_flush(self, enabled: bool | None = True) -> None:
        """Hand flushes to a background writer (opt-in; backends that have one: h5pyd).

        A flush then returns without waiting for the server: the rows and points of the
        arrays the savers grow go to a worker thread with its own connection, through a
        bounded queue; an error of the worker is raised (``BackendError``) by the next
        flush, point and by :meth:`close_file`, which waits for every queued block. None
        follows the backend's setting (``get_backend("h5pyd").background_flush``). Takes
        effect at once on an open file (pending rows are handed over first).
        """
        self.background_flush = enabled
        if self.isopen():
            self._stop_background()
            self._start_background()

    @property
    def background_flusher(self) -> FlushSink | None:
        """The backend's background flusher while one runs (else None)."""
        return self._bg

    def _start_background(self) -> None:
        enabled = self.background_flush
        impl = self._impl
        if enabled is None:
            enabled = bool(getattr(impl, "background_flush", False))
        make = getattr(impl, "background_flusher", None)
        if not enabled or make is None or self._bg is not None or not self.isopen():
            return
        if not impl.is_writable(self._file) or self.is_swmr_active():
            return
        self._bg = make(self._file)
        for array in self._growing:
            array.set_sink(self._bg)

    def _stop_background(self) -> None:
        """Hand pending rows over, wait for the worker, go back to the library's handle;
        raises the worker's error (the file stays open)."""
        bg = self._bg
        if bg is None:
            return
        try:
            for array in self._growing:
                array.settle()  # handed over, and the main handle's view refreshed
        finally:
            self._bg = None
            for array in self._growing:
                array.set_sink(None)
            bg.close()

    def set_swmr_flush_interval(self, n: int) -> None:
        """Flush every ``n`` calls of :meth:`tick_flush` (0: never).

        Enlargeable arrays hold the rows of one interval in their row buffer (written as one
        block at the flush); their buffered rows are written now.
        """
        self._flush_interval = max(int(n), 0)
        self._flush_counter = 0
        rows = self._buffer_rows()
        for array in self._growing:
            array.set_buffer_rows(rows)

    def _buffer_rows(self) -> int:
        """Rows an enlargeable array buffers between flushes: one interval's (one row per
        point; more are written out as blocks), :data:`BLOCK_ROWS` without flushes."""
        return self._flush_interval if self._flush_interval > 0 else BLOCK_ROWS

    def tick_flush(self) -> bool:
        """Count one point; flush when the interval is reached. True when it flushed."""
        bg = self._bg
        if bg is not None and bg.failed:
            bg.check()  # the background writer's error, at the next point
        if self._flush_interval <= 0:
            return False
        self._flush_counter += 1
        if self._flush_counter >= self._flush_interval:
            self._flush_counter = 0
            self.flush()
            return True
        return False

    def register_growing(self, array: _G) -> _G:
        """Keep an enlargeable array's rows and bookkeeping written at every flush and close
        (its rows are buffered between flushes), and reported live by the node wrappers
        until the file closes."""
        array.set_buffer_rows(self._buffer_rows())
        if self._bg is not None:
            array.set_sink(self._bg)
        self._growing.append(array)
        PENDING[dataset_key(array.raw)] = array
        return array

    def mark_rows(self) -> list[int]:
        """The row counts of every enlargeable array, for :meth:`rollback_rows`."""
        return [array.rows for array in self._growing]

    def rollback_rows(self, mark: list[int]) -> None:
        """Back to the rows of ``mark``: a point interrupted half-way (an exception, Ctrl-C)
        is wholly refused. Arrays registered after the mark lose every row."""
        for k, array in enumerate(self._growing):
            array.rollback(mark[k] if k < len(mark) else 0)

    def write_pending(self) -> None:
        """Hand every buffered row to the library (no flush): reads see them (with a
        background writer: once it has sent them)."""
        for array in self._growing:
            array.settle()

    def sync_bookkeeping(self) -> None:
        """Write enlargeable arrays' buffered rows, trim them to their rows and write their
        ``shape``/``size``."""
        swmr = self.is_swmr_active()
        for array in self._growing:
            array.sync(swmr)

    def is_swmr_active(self) -> bool:
        """Whether the writer has switched the file to SWMR mode.

        Asked for every row a saver appends: the answer is kept per file object (it only
        changes at :meth:`enable_swmr`, open and close; h5py asks HDF5 each time).
        """
        file = self._file
        if file is None:
            return False
        if self._swmr_known[0] is not file:
            self._swmr_known = (file, super().is_swmr_active())
        return self._swmr_known[1]

    def enable_swmr(self) -> None:
        """Sync bookkeeping, then switch to SWMR writing."""
        self._swmr_known = (None, False)
        if self.isopen() and not self.is_swmr_active():
            self.sync_bookkeeping()
        try:
            super().enable_swmr()
        finally:
            self._swmr_known = (None, False)

    def close_file(self) -> None:
        """Sync bookkeeping, flush and close. With a background writer, wait until every
        queued block is on the server; its error is raised after the file is closed."""
        if self._bg is not None:
            self._close_background_file()
            return
        if self._growing and self.isopen():
            self.sync_bookkeeping()
        self._forget_growing()
        super().close_file()
        self._swmr_known = (None, False)

    def _forget_growing(self) -> None:
        for array in self._growing:
            key = dataset_key(array.raw)
            if PENDING.get(key) is array:
                del PENDING[key]
        self._growing = []

    def _close_background_file(self) -> None:
        """close_file with a background writer: the file is closed whatever happens (the
        worker's thread and handle end with it), then the first error is raised."""
        error: BaseException | None = None
        try:
            if self._growing and self.isopen():
                self.sync_bookkeeping()  # the last blocks, to the worker
        except BaseException as exc:
            error = exc
        bg, self._bg = self._bg, None
        assert bg is not None
        try:
            bg.close()  # waits until every queued block is on the server
        except BaseException as exc:
            error = error or exc
        self._forget_growing()
        try:
            super().close_file()
        except Exception:
            if error is None:
                raise
            self._file = None  # the worker's error says why (e.g. the domain is gone)
        finally:
            self._swmr_known = (None, False)
        if error is not None:
            raise error

    def flush(self, wait: bool = False) -> None:
        """Sync bookkeeping and flush; fsync when the layout asks for durable flushes.

        With a background writer (:meth:`set_background_flush`) the flush returns once
        the rows are queued for it; ``wait=True`` returns once they are on the server (as
        a flush without background writer does), for a writer whose readers are told.
        """
        if self._growing and self.isopen():
            self.sync_bookkeeping()
        bg = self._bg
        if bg is not None:
            bg.flush(wait)  # main handle's changes (if any), then a mark for the worker
            return
        super().flush()
        if self._fsync and self.isopen() and self._impl.local_files:
            with open(self.filename, "rb") as fh:
                os.fsync(fh.fileno())

    # -- logger and arrays ---------------------------------------------------------------------
    def get_set_logger(self, where: Where | None = None) -> StringARRAY:
        """The ``Logger`` string array of the raw group (created when absent)."""
        where = self.raw_group if where is None else self.get_node(where)
        name = self.bindings.logger.naming.format()
        if name in self._impl.children(where.node):
            node = self.get_node(where, name)
            assert isinstance(node, StringARRAY)
            return node
        node = self.add_string_array(
            where, name, title="", metadata={"type": "log"}, capitalize_name=False
        )
        return node

    def add_log(self, msg: str) -> None:
        """Append one line to the logger."""
        self.get_set_logger().append(str(msg))

    def add_string_array(
        self,
        where: Where,
        name: str,
        title: str = "",
        metadata: Mapping[str, object] | None = None,
        capitalize_name: bool = True,
    ) -> StringARRAY:
        """A string array (one string per row) with ``data_type='strings'``."""
        name = capitalize(name) if capitalize_name else name
        node = self.create_vlarray(where, name, dtype="string", title=title)
        assert isinstance(node, StringARRAY)
        node.attrs["data_type"] = DataType.strings.name
        for key, value in (metadata or {}).items():
            node.attrs[key] = value
        return node

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
        """A data array (``CARRAY``; ``EARRAY`` when ``enlargeable``) with PyMoDAQ attributes."""
        dtype = np.dtype(array_type) if array_type is not None else None
        if dtype is None and array_to_save is not None:
            dtype = np.asarray(array_to_save).dtype
        if dtype is None:
            raise DataValueError(
                f"add_array({name!r}): give array_to_save or array_type (the dtype)"
            )
        dtype_names = self._allowed_dtypes(data_type)
        if dtype_names and dtype.name not in dtype_names:
            raise DataValueError(
                f"add_array({name!r}): dtype {dtype.name} not allowed (allowed: {dtype_names})"
            )
        self._require_array(name, dtype, array_to_save, data_shape, scan_shape, title, metadata)
        name = capitalize(name)
        dt_name = DataType.parse(data_type).name
        if data_dimension is None:
            ndim = (
                len(data_shape)
                if data_shape
                else (np.ndim(array_to_save) if array_to_save is not None else 1)
            )
            data_dimension = DataDim.from_ndim(ndim)
        dim_name = DataDim.parse(data_dimension).name
        node: CARRAY
        if enlargeable:
            shape = tuple(data_shape) if data_shape is not None else ()
            node = self.create_earray(where, name, dtype, data_shape=shape, title=title)
        elif add_scan_dim and array_to_save is None:
            shape = tuple(data_shape or ())
            if shape == (1,):
                shape = ()
            full = tuple(scan_shape) + shape
            fill = self.fill_value if fill_value is None else fill_value
            if dtype.kind in "iub" and isinstance(fill, float) and not np.isfinite(fill):
                fill = 0  # NaN does not exist for integers
            node = self.create_carray(
                where, name, shape=full, dtype=dtype, fill_value=fill, title=title
            )
        else:
            if array_to_save is None:
                raise DataValueError(
                    f"add_array({name!r}): array_to_save is needed for a fixed array"
                )
            node = self.create_carray(
                where, name, obj=np.asarray(array_to_save, dtype=dtype), title=title
            )
        node.attrs["data_type"] = dt_name
        node.attrs["data_dimension"] = dim_name
        for key, value in (metadata or {}).items():
            node.attrs[key] = value
        return node

    def _require_array(
        self,
        name: str,
        dtype: np.dtype,
        array_to_save: np.ndarray | None,
        data_shape: tuple[int, ...] | None,
        scan_shape: tuple[int, ...],
        title: str,
        metadata: Mapping[str, object] | None,
    ) -> None:
        """What ``add_array`` checks before creating the node (``DataValueError``): numbers
        stored exactly in ``dtype``, shapes of exact integers, a storable title and
        attributes."""
        what = f"add_array({name!r})"
        require_numeric(dtype, what)
        if array_to_save is not None:
            require_exact(np.asarray(array_to_save), dtype, what)
        for shape in (data_shape, scan_shape):
            if shape is not None and not all(type(n) is int and n >= 0 for n in shape):
                parse_shape(shape, what)
        limit = self._impl.max_attr_bytes
        require_title(title, limit, what)
        require_attrs(dict(metadata or {}), limit, what)

    def _allowed_dtypes(self, data_type: DataTypeLike) -> tuple[str, ...]:
        spec = self.LAYOUT_SPEC
        if spec is None:
            return ()
        try:
            dt_name = DataType.parse(data_type).name
        except ValueError:
            return ()
        binding = self.bindings.arrays.get(dt_name)
        node = self.bound_node(binding) if binding is not None else None
        return node.array.dtypes if node is not None and node.array is not None else ()

    # -- groups --------------------------------------------------------------------------------
    def get_set_group(self, where: Where, name: str, title: str = "", **kwargs: object) -> GROUP:
        """The group ``where/name`` (created when absent); it becomes the current group."""
        group = super().get_set_group(where, name, title, **kwargs)
        self.current_group = group
        return group

    def get_groups(self, where: Where, group_type: GroupTypeLike) -> list[GROUP]:
        """Child groups whose ``type`` is ``group_type`` (case-insensitive), in name order."""
        wanted = group_type_name(group_type)
        out = []
        for child in self.get_children(where).values():
            if isinstance(child, GROUP):
                value = child.attrs.get("type")
                if isinstance(value, str) and value.lower() == wanted:
                    out.append(child)
        return out

    def get_last_group(self, where: Where, group_type: GroupTypeLike) -> GROUP | None:
        """The last child group of that type, or None."""
        groups = self.get_groups(where, group_type)
        return groups[-1] if groups else None

    def get_node_from_attribute_match(
        self, where: Where, attr_name: str, attr_value: object
    ) -> Node | None:
        """The first child whose attribute ``attr_name`` equals ``attr_value``."""
        for child in self.get_children(where).values():
            if attr_name in child.attrs and child.attrs[attr_name] == attr_value:
                return child
        return None

    def get_node_from_title(self, where: Where, title: str) -> Node | None:
        """The first child whose ``TITLE`` is ``title``."""
        for child in self.get_children(where).values():
            if child.title == title:
                return child
        return None

    def add_data_group(
        self,
        where: Where,
        data_dim: DataDimLike,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
        group_name: str | None = None,
    ) -> GROUP:
        """A ``Data0D``… group (``type='data'``) holding one dimension's channels."""
        dim_name = DataDim.parse(data_dim).name
        meta = dict(metadata or {})
        meta["settings"] = settings_as_xml or EMPTY_SETTINGS
        return self.add_group(group_name or dim_name, GroupType.data, where, title, meta)

    def next_incremental_name(self, where: Where, group_type: GroupTypeLike) -> str:
        """Name the next incremental group of that type would get under ``where``."""
        type_name = group_type_name(group_type)
        naming = self.group_binding(type_name).naming
        parent = self.get_node(where)
        last = -1
        for child in self._impl.children(parent.node):
            index = naming.parse_index(child)
            if index is not None and index > last:
                last = index
        try:
            return naming.format(index=last + 1)
        except ValueError as exc:
            raise DataValueError(f"{parent.path}: {exc}") from exc

    def add_incremental_group(
        self,
        group_type: GroupTypeLike,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next numbered group of a type (``Detector000``, ``Detector001``…).

        Foreign child names are ignored and numbering goes on past 999. An unknown
        ``group_type`` raises :class:`InvalidGroupType` before anything is written.
        """
        type_name = writable_group_type(group_type)
        parent = self.get_node(where)
        attrs = self._group_attrs(type_name, dict(metadata or {}), parent.path)
        name = self.next_incremental_name(parent, type_name)
        what, limit = f"{parent.path}/{name}", self._impl.max_attr_bytes
        require_title(title, limit, what)  # checked before the group exists
        # never '': PyMoDAQ's browser parses every ``*settings*`` attribute as parameter XML
        settings_as_xml = settings_as_xml or EMPTY_SETTINGS
        require_attrs({"settings": settings_as_xml, **attrs}, limit, what)
        group = GROUP(self._impl.create_group(parent.node, name, title), self._impl)
        group.attrs["settings"] = settings_as_xml
        group.attrs["type"] = "" if type_name == "ch" else type_name
        for key, value in attrs.items():
            group.attrs[key] = value
        self.current_group = group
        return group

    def add_act_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next ``Actuator`` group."""
        return self.add_incremental_group(
            GroupType.actuator, where, title, settings_as_xml, metadata
        )

    def add_det_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next ``Detector`` group."""
        return self.add_incremental_group(
            GroupType.detector, where, title, settings_as_xml, metadata
        )

    def add_move_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next ``Actuator`` group (a move)."""
        return self.add_incremental_group(
            GroupType.actuator, where, title, settings_as_xml, metadata
        )

    def add_ch_group(
        self,
        where: Where,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next ``Ch`` group."""
        return self.add_incremental_group(GroupType.ch, where, title, settings_as_xml, metadata)

    def add_generic_group(
        self,
        where: Where | None = None,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
        group_type: GroupTypeLike = GroupType.scan,
    ) -> GROUP:
        """The next group of ``group_type`` (in the raw group by default) with an empty
        ``description``."""
        where = self._raw_group_path if where is None else where
        meta = dict(metadata or {})
        meta.setdefault("description", "")
        return self.add_incremental_group(group_type, where, title, settings_as_xml, meta)

    def add_scan_group(
        self,
        where: Where | None = None,
        title: str = "",
        settings_as_xml: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """The next scan group (in the raw group by default)."""
        return self.add_generic_group(where, title, settings_as_xml, metadata, GroupType.scan)

    def get_last_node_path(self, where: Where, group_type: GroupTypeLike) -> str | None:
        """Path of the last incremental group of that type, or None."""
        group = self.get_last_group(where, group_type)
        return group.path if group is not None else None
