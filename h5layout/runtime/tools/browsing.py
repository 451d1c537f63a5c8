"""Browsing helpers and exporters: what a file browser needs without any GUI.

:class:`H5BrowserUtil` opens a file read-only, lists scan thumbnails, decodes a node's
attributes and exports a node through an exporter chosen by file extension and filter
text. Exporters live in a registry (:class:`ExporterFactory`): the ones shipped here
(``txt``, ``npy``, single-node ``h5``) and third-party ones declared under the entry-point
group ``h5layout.exporters`` (an entry point names an :class:`H5Exporter` subclass, or a
module whose import registers exporters with :meth:`ExporterFactory.register_exporter`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np

from h5layout.runtime.errors import DataValueError, FileAccessError, InvalidExport, NodeError
from h5layout.runtime.model.data import DataToExport, DataWithAxes, DwaLike, as_dwa
from h5layout.runtime.model.enums import DataType
from h5layout.runtime.storage.h5backend import (
    CARRAY,
    EARRAY,
    GROUP,
    VLARRAY,
    H5Backend,
    Node,
    StringARRAY,
)
from h5layout.runtime.storage.lowlevel import DEFAULT_BINDINGS, H5SaverLowLevel

if TYPE_CHECKING:
    from h5layout.runtime.storage.types import LibraryHandle, Where

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExporterFactory",
    "H5BrowserUtil",
    "H5Exporter",
    "H5asciiExporter",
    "H5h5Exporter",
    "H5npyExporter",
    "H5txtExporter",
    "load_entry_point_exporters",
]

logger = logging.getLogger(__name__)

#: entry-point group third-party exporters are declared under
ENTRY_POINT_GROUP = "h5layout.exporters"

#: attributes every backend writes itself when it creates a node
_SYSTEM_ATTRS = frozenset({"CLASS", "TITLE", "VERSION", "EXTDIM", "PYTABLES_FORMAT_VERSION"})

E = TypeVar("E", bound="type[H5Exporter]")


class H5Exporter:
    """Writes one node of an open file to another file format.

    The shipped exporters also take data instead of a node: a DataWithAxes, h5layout's
    or pymodaq_data's (its channels, stacked along a first dimension when there are
    several; the ``h5`` exporter saves it whole, with its axes).
    """

    #: file extension, without the dot
    FORMAT_EXTENSION: ClassVar[str] = ""
    #: human-readable name, shown in file dialogs as ``'<description> (*.<ext>)'``
    FORMAT_DESCRIPTION: ClassVar[str] = ""

    def export_data(self, node: Node, filename: str | Path) -> None:
        """Write ``node`` (or data, for the shipped exporters) to ``filename``."""
        raise NotImplementedError

    @classmethod
    def file_filter(cls) -> str:
        """``'<description> (*.<ext>)'``."""
        return f"{cls.FORMAT_DESCRIPTION} (*.{cls.FORMAT_EXTENSION})"


class ExporterFactory:
    """Registry of exporters, by extension then description."""

    exporters_registry: ClassVar[dict[str, dict[str, type[H5Exporter]]]] = {}
    #: kept for programs written for pymodaq_data, which declares it (and leaves it empty)
    file_filters: ClassVar[dict[str, str]] = {}
    _entry_points_loaded: ClassVar[bool] = False

    @classmethod
    def register_exporter(cls) -> Callable[[E], E]:
        """Class decorator registering an :class:`H5Exporter` subclass."""

        def decorate(exporter: E) -> E:
            ext = exporter.FORMAT_EXTENSION.lstrip(".")
            if not ext or not exporter.FORMAT_DESCRIPTION:
                raise InvalidExport(
                    f"{exporter.__name__}: FORMAT_EXTENSION and FORMAT_DESCRIPTION are required"
                )
            cls.exporters_registry.setdefault(ext, {})[exporter.FORMAT_DESCRIPTION] = exporter
            return exporter

        return decorate

    @classmethod
    def _ensure_entry_points(cls) -> None:
        if not cls._entry_points_loaded:
            cls._entry_points_loaded = True
            load_entry_point_exporters()

    @classmethod
    def create_exporter(cls, extension: str, description: str | None = None) -> H5Exporter:
        """An exporter for ``extension`` (the one of ``description`` when several).

        Raises :class:`~h5layout.runtime.errors.InvalidExport` when none matches.
        """
        cls._ensure_entry_points()
        ext = extension.lstrip(".")
        by_description = cls.exporters_registry.get(ext)
        if not by_description:
            known = ", ".join(sorted(cls.exporters_registry)) or "none"
            raise InvalidExport(f"no exporter for '.{ext}' files (known: {known})")
        if description:
            exporter = by_description.get(description)
            if exporter is None:
                raise InvalidExport(
                    f"no exporter {description!r} for '.{ext}' files "
                    f"(known: {', '.join(sorted(by_description))})"
                )
        else:
            exporter = next(iter(by_description.values()))
        return exporter()

    @classmethod
    def get_file_filters(cls) -> str:
        """Every exporter as ``'<description> (*.<ext>)'``, joined by ``';;'``."""
        cls._ensure_entry_points()
        return ";;".join(
            exporter.file_filter()
            for by_description in cls.exporters_registry.values()
            for exporter in by_description.values()
        )

    @staticmethod
    def get_format_from_filter(filter: str) -> str:
        """The description part of a filter: ``'Text files (*.txt)'`` → ``'Text files'``."""
        head, sep, _tail = filter.rpartition(" (")
        return head.strip() if sep else filter.strip()


def load_entry_point_exporters() -> list[str]:
    """Import the exporters declared under ``h5layout.exporters``; returns their names.

    An entry point that fails to load, or that is neither an :class:`H5Exporter`
    subclass nor a module, is reported as a logged warning and skipped.
    """
    loaded = []
    for entry in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry.load()
        except Exception as exc:  # a broken plug-in must not break browsing
            logger.warning("exporter entry point %r (%s) failed to load: %s", entry.name,
                           entry.value, exc)  # fmt: skip
            continue
        if isinstance(obj, type) and issubclass(obj, H5Exporter):
            try:
                ExporterFactory.register_exporter()(obj)
            except InvalidExport as exc:
                logger.warning("exporter entry point %r: %s", entry.name, exc)
                continue
        elif not hasattr(obj, "__path__") and not hasattr(obj, "__file__"):
            logger.warning(
                "exporter entry point %r (%s) is neither an H5Exporter subclass nor a module",
                entry.name,
                entry.value,
            )
            continue
        loaded.append(entry.name)
    return loaded


def _as_data(obj: DwaLike) -> DataWithAxes:
    """A DataWithAxes from anything that is not a node (``InvalidExport`` otherwise)."""
    try:
        return as_dwa(obj)
    except DataValueError as exc:
        raise InvalidExport(
            f"cannot export a {type(obj).__name__}: expected a node or a DataWithAxes"
        ) from exc


def _array_values(node: Node | DwaLike) -> np.ndarray:
    if not isinstance(node, Node):
        dwa = _as_data(node)
        return np.asarray(dwa.data[0]) if dwa.length == 1 else np.stack(dwa.data)
    if isinstance(node, StringARRAY):
        return np.asarray(node.read(), dtype=str)
    if isinstance(node, VLARRAY):
        raise InvalidExport(f"{node.path}: rows of variable length cannot be exported as one array")
    if not isinstance(node, CARRAY):
        raise InvalidExport(f"{node.path}: only arrays can be exported in this format")
    return np.asarray(node.read())


def _export_columns(group: GROUP, filename: str | Path) -> None:
    """The 1D arrays of ``group`` as tab-separated columns, named in a ``#`` header line.

    As PyMoDAQ's text exporters write a group; arrays of different lengths are refused
    (PyMoDAQ cuts every column to the shortest).
    """
    names, columns = [], []
    for name, child in group.children().items():
        if isinstance(child, CARRAY) and (isinstance(child, StringARRAY) or len(child.shape) == 1):
            values = _array_values(child)
            if values.ndim == 1:
                names.append(name)
                columns.append(values)
    if not columns:
        raise InvalidExport(f"{group.path}: no 1D array to export as columns")
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        raise InvalidExport(
            f"{group.path}: 1D arrays of different lengths ({sorted(lengths)}) cannot be columns"
        )
    table = np.empty(
        (lengths.pop(),), dtype=[(n, c.dtype) for n, c in zip(names, columns, strict=True)]
    )
    for n, c in zip(names, columns, strict=True):
        table[n] = c
    fmts = ["%s" if c.dtype.kind in "US" else "%d" if c.dtype.kind in "iub" else "%.6f"
            for c in columns]  # fmt: skip
    np.savetxt(filename, table, fmt=fmts, delimiter="\t", header="#" + "\t".join(names))


@ExporterFactory.register_exporter()
class H5txtExporter(H5Exporter):
    """An array as tab-separated text (arrays of more than 2 dims flattened per row); a
    group as the columns of its 1D arrays."""

    FORMAT_EXTENSION = "txt"
    FORMAT_DESCRIPTION = "Text files"

    def export_data(self, node: Node, filename: str | Path) -> None:
        """Write the array of ``node`` with ``numpy.savetxt``."""
        if isinstance(node, GROUP):
            _export_columns(node, filename)
            return
        data = _array_values(node)
        if data.dtype.kind in "US":
            Path(filename).write_text("\n".join(str(s) for s in data.reshape(-1)) + "\n")
            return
        header = ""
        if data.ndim > 2:
            header = f"shape {data.shape}: one row per index of the first dimension"
            data = data.reshape((data.shape[0], -1))
        fmt = "%.6e" if data.dtype.kind in "fc" else "%d"
        np.savetxt(filename, data, fmt=fmt, delimiter="\t", header=header)


@ExporterFactory.register_exporter()
class H5npyExporter(H5Exporter):
    """An array in NumPy's ``.npy`` format."""

    FORMAT_EXTENSION = "npy"
    FORMAT_DESCRIPTION = "Binary NumPy format"

    def export_data(self, node: Node, filename: str | Path) -> None:
        """Write the array of ``node`` with ``numpy.save`` (no pickles)."""
        np.save(filename, _array_values(node), allow_pickle=False)


@ExporterFactory.register_exporter()
class H5asciiExporter(H5Exporter):
    """An array as tab-separated text, transposed (one column per row of the array), the
    ASCII layout FLIMJ reads; a group as the columns of its 1D arrays."""

    FORMAT_EXTENSION = "ascii"
    FORMAT_DESCRIPTION = "Ascii flimj file"

    def export_data(self, node: Node, filename: str | Path) -> None:
        """Write the array of ``node`` transposed (a 1D array as one line)."""
        if isinstance(node, GROUP):
            _export_columns(node, filename)
            return
        data = _array_values(node)
        table: np.ndarray = data.T if data.ndim > 1 else data.reshape((1, -1))
        if table.ndim > 2:
            table = table.reshape((len(table), -1))
        fmt = "%s" if data.dtype.kind in "US" else "%.6e"
        np.savetxt(filename, table, fmt=fmt, delimiter="\t")


def _copy_attrs(source: Node, target_raw: LibraryHandle, target: H5Backend) -> None:
    src_impl, dst_impl = source.backend_impl, target.backend_impl
    for name in src_impl.attr_names(source.node):
        if name in _SYSTEM_ATTRS:
            continue
        dst_impl.set_attr(target_raw, name, src_impl.get_attr(source.node, name))


def _copy_node(node: Node, parent_raw: LibraryHandle, target: H5Backend) -> None:
    """Copy ``node`` (and everything below a group) with its attributes below
    ``parent_raw``; without recursion, each group once (a link back to a group already
    copied, as in a hard-link cycle, is left out)."""
    seen: set[Hashable] = set()
    stack: list[tuple[Node, LibraryHandle]] = [(node, parent_raw)]
    impl = target.backend_impl
    while stack:
        current, praw = stack.pop()
        if isinstance(current, GROUP):
            key = current.backend_impl.object_key(current.node)
            if key in seen:
                continue
            seen.add(key)
            raw = impl.create_group(praw, current.name, current.title)
            _copy_attrs(current, raw, target)
            stack.extend((c, raw) for c in reversed(list(current.children().values())))
        else:
            _copy_leaf(current, praw, target)


def _copy_leaf(node: Node, parent_raw: LibraryHandle, target: H5Backend) -> None:
    """Copy one array with its attributes below ``parent_raw``."""
    impl = target.backend_impl
    name, title = node.name, node.title
    src = node.backend_impl
    if isinstance(node, VLARRAY):
        raw = impl.create_vlarray(parent_raw, name, dtype=src.dtype(node.node), title=title)
        for row in src.read(node.node):
            impl.vl_append(raw, np.asarray(row))
    elif isinstance(node, EARRAY):
        shape = src.shape(node.node)
        raw = impl.create_earray(
            parent_raw, name, dtype=src.dtype(node.node), row_shape=tuple(shape[1:]), title=title
        )
        if shape and shape[0]:
            impl.append(raw, np.asarray(src.read(node.node)))
    elif isinstance(node, CARRAY):
        raw = impl.create_carray(
            parent_raw, name, data=np.asarray(src.read(node.node)), title=title
        )
    else:  # pragma: no cover - every node is one of the above
        raise InvalidExport(f"{node.path}: unknown node kind")
    _copy_attrs(node, raw, target)


@ExporterFactory.register_exporter()
class H5h5Exporter(H5Exporter):
    """One node in a new HDF5 file, with every attribute, on the node's own backend.

    A data node comes with what loading it needs: the axes, error bars and backgrounds
    next to it, and the ``NavAxes`` group that applies to it, so the new file loads with
    :class:`~h5layout.runtime.load.loader.DataLoader` as the node did.
    """

    FORMAT_EXTENSION = "h5"
    FORMAT_DESCRIPTION = "Single node h5 file"

    def export_data(self, node: Node, filename: str | Path) -> None:
        """Write ``node`` (and its companions) at the root of a new file ``filename``; data
        (a DataWithAxes) is saved as one detector's data in a new h5layout file."""
        if not isinstance(node, Node):
            self._export_dwa(_as_data(node), Path(filename))
            return
        target_path = Path(filename)
        source_file = node.backend_impl.filename(node.backend_impl.file_of(node.node))
        if target_path.exists() and target_path.resolve() == Path(source_file).resolve():
            raise InvalidExport(f"{target_path}: cannot export a node into its own file")
        target = H5Backend(node.backend)
        target.open_file(target_path, "w")
        try:
            root = target.backend_impl.root(target.h5file)
            for item in self._companions(node):
                _copy_node(item, root, target)
        finally:
            target.close_file()

    @staticmethod
    def _export_dwa(dwa: DataWithAxes, target_path: Path) -> None:
        from h5layout.runtime.save.dte import DataToExportSaver

        saver = H5SaverLowLevel(save_type="detector")
        saver.init_file(target_path, new_file=True)
        try:
            det = saver.add_det_group(saver.raw_group, title=dwa.origin or dwa.name)
            DataToExportSaver(saver).add_data(det, DataToExport(dwa.origin or "export", [dwa]))
        finally:
            saver.close_file()

    @staticmethod
    def _companions(node: Node) -> list[Node]:
        if not isinstance(node, CARRAY):
            return [node]
        data_type = node.attrs.get("data_type")
        parent = node.parent_node
        if parent is None or data_type not in {
            DataType.data.name, DataType.data_enlargeable.name, DataType.bkg.name,
        }:  # fmt: skip
            return [node]
        wanted = {DataType.axis.name, DataType.error.name, DataType.bkg.name}
        items: list[Node] = [node]
        for child in parent.children().values():
            if (
                child != node
                and isinstance(child, CARRAY)
                and child.attrs.get("data_type") in wanted
            ):
                items.append(child)
        # an exported node's file follows no layout the exporter knows: the default bindings
        nav_axes = DEFAULT_BINDINGS.nav_axes.naming.format().lower()
        if node.attrs.get("nav_indexes"):
            group: Node | None = parent
            while group is not None:
                assert isinstance(group, GROUP)
                nav = [c for n, c in group.children().items() if n.lower() == nav_axes]
                if nav:
                    items.append(nav[0])
                    break
                group = group.parent_node
        return items


class H5BrowserUtil(H5SaverLowLevel):
    """Read-only helper behind a file browser: scans, attributes, exports."""

    def __init__(self, backend: str = "h5py") -> None:
        super().__init__(backend=backend)

    def open_file(
        self,
        fullpathname: str | Path,
        mode: str = "r",
        title: str = "PyMoDAQ file",
        swmr_mode: bool = False,
        **kwargs: object,
    ) -> LibraryHandle:
        """Open a file for browsing: read-only unless another ``mode`` is asked for."""
        path = Path(fullpathname)
        if mode == "r" and not path.is_file():
            raise FileAccessError(f"{path}: no such file")
        file = super().open_file(path, mode, title, swmr_mode, **kwargs)
        self.h5_file_path, self.h5_file_name = path.parent, path.name
        return file

    def get_h5file_scans(self, where: Where = "/") -> list[dict[str, object]]:
        """Every node carrying a ``pixmap2D`` attribute, as ``{scan_name, path, data}``."""
        scans = []
        for node in self.walk_nodes(where):
            if "pixmap2D" not in node.attrs:
                continue
            parent = node.parent_node
            parent_name = parent.name if parent is not None else ""
            scans.append(
                {
                    "scan_name": f"{parent_name}_{node.name}",
                    "path": node.path,
                    "data": node.attrs["pixmap2D"],
                }
            )
        return scans

    def get_h5_attributes(
        self, node_path: Where
    ) -> tuple[dict[str, object], list[object], object, list[object]]:
        """``(all attributes, settings values, scan_settings or None, pixmap values)``.

        Settings are the attributes whose name contains ``settings`` (``settings]``
        included) but not ``scan_settings``; pixmaps those whose name contains ``pixmap``.
        """
        node = self.get_node(node_path)
        attrs = node.attrs.to_dict()
        settings = [v for k, v in attrs.items() if "settings" in k and "scan_settings" not in k]
        scan_settings = next((v for k, v in attrs.items() if "scan_settings" in k), None)
        pixmaps = [v for k, v in attrs.items() if "pixmap" in k]
        return attrs, settings, scan_settings, pixmaps

    def export_data(
        self,
        node_path: Where = "/",
        filesavename: str | Path = "datafile.h5",
        filter: str | None = None,
    ) -> Path:
        """Export a node to ``filesavename``; the format comes from its extension and ``filter``.

        ``filter`` is a file-dialog filter (``'Text files (*.txt)'``) or a description.
        Returns the path written. Raises ``InvalidExport`` when no exporter fits.
        """
        try:
            node = self.get_node(node_path)
        except NodeError as exc:
            raise InvalidExport(str(exc)) from exc
        path = Path(filesavename)
        ext = path.suffix.lstrip(".")
        if not ext:
            raise InvalidExport(f"{path}: the file name needs an extension to choose a format")
        description = ExporterFactory.get_format_from_filter(filter) if filter else None
        ExporterFactory.create_exporter(ext, description).export_data(node, path)
        return path
