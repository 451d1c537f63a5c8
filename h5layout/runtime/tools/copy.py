"""Copying a file between backends (h5py, PyTables, h5pyd), node by node.

:func:`copy_file` reads the source through one :class:`~h5layout.runtime.storage.backends.Backend`
and writes the destination through another, so every pair works the same way: each group
and array is created by the destination backend (which writes its own system attributes:
``CLASS``, ``TITLE``, PyTables' ``VERSION``, ``EXTDIM``), every other attribute is copied
exactly as stored (JSON envelope or native), and arrays are streamed in blocks of at most
``block_bytes`` (bounded memory whatever the file size). Compression and chunks follow the
layout's ``storage`` for the node's type, and the source's own where the layout says
nothing. The root ``TITLE`` takes the encoding the layout declares for the destination
backend (PyTables keeps it native).

Local destinations are written under a temporary name in the same folder and renamed at
the end, so a failed copy leaves nothing behind and never a half-written file. The copy
is then validated against its layout (:class:`CopyResult.report`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from h5layout.runtime.check.report import FileReport
from h5layout.runtime.codec.attrs import decode_json, decode_raw, encode_json
from h5layout.runtime.errors import CopyError, FileAccessError, LayoutError
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec, Storage

if TYPE_CHECKING:
    from h5layout.runtime.storage.backends import Backend
    from h5layout.runtime.storage.types import LibraryHandle

#: default block size of streamed array reads and writes
BLOCK_BYTES = 16 * 1024 * 1024
#: attributes every backend writes itself when it creates a node (never copied)
SYSTEM_ATTRS = frozenset({"CLASS", "TITLE", "VERSION", "EXTDIM", "PYTABLES_FORMAT_VERSION"})
#: PyTables' compression library names → h5layout's
_COMPLIB = {"zlib": "gzip", "lzo": "lzo", "bzip2": "bzip2", "blosc": "blosc"}

#: progress callback: (bytes copied so far, total bytes)
Progress = Callable[[int, int], None]


@dataclass
class CopyResult:
    """What a copy did."""

    source: str
    destination: str
    backend: str
    nodes: int = 0
    bytes: int = 0
    layout: str | None = None
    report: FileReport | None = None


def _source_storage(obj: LibraryHandle) -> Storage:
    """Compression of a source array, read from the library object (duck typed)."""
    filters = getattr(obj, "filters", None)
    if filters is not None and hasattr(filters, "complib"):  # PyTables
        if not filters.complevel:
            return Storage()
        return Storage(
            compression=_COMPLIB.get(str(filters.complib).split(":")[0], str(filters.complib)),
            level=int(filters.complevel),
            shuffle=bool(filters.shuffle),
        )
    compression = getattr(obj, "compression", None)  # h5py, h5pyd
    if not compression:
        return Storage()
    opts = getattr(obj, "compression_opts", None)
    return Storage(
        compression=str(compression),
        level=int(opts) if isinstance(opts, (int, np.integer)) else None,
        shuffle=bool(getattr(obj, "shuffle", False)),
    )


def _storage_for(
    spec: NodeSpec | None,
    src_storage: Storage,
    src_chunks: tuple[int, ...] | None,
    kind: str,
    shape: tuple[int, ...],
) -> Storage:
    """The layout's storage for the node's type, the source's where the layout is silent."""
    layout = spec.array.storage if spec is not None and spec.array is not None else Storage()
    base = layout if layout.compression else src_storage
    chunks = layout.chunks if isinstance(layout.chunks, tuple) else None
    if chunks is None and (kind == "EARRAY" or base.compression):
        # the layout leaves the chunk shape to the writer: keep the one the source's writer
        # chose (an enlargeable array's growth step; a compressed array's unit of access);
        # an uncompressed fixed array stays as the destination library stores it.
        # PyTables allows chunks larger than a fixed array, h5py does not: the library
        # chooses those.
        fits = src_chunks is not None and (
            kind == "EARRAY"
            or (
                len(src_chunks) == len(shape)
                and all(c <= max(n, 1) for c, n in zip(src_chunks, shape, strict=True))
            )
        )
        chunks = src_chunks if fits else None
    return Storage(
        chunks=chunks, compression=base.compression, level=base.level, shuffle=base.shuffle
    )


class _Copier:
    def __init__(
        self,
        src_be: Backend,
        dst_be: Backend,
        spec: LayoutSpec | None,
        block_bytes: int,
        progress: Progress | None,
        total: int,
    ) -> None:
        self.src = src_be
        self.dst = dst_be
        self.spec = spec
        self.block = max(int(block_bytes), 1)
        self.progress = progress
        self.total = total
        self.done = 0
        self.nodes = 0
        # a client that buffers writes until a flush (h5pyd keeps up to 128 MiB) is
        # flushed after each block, so memory stays bounded by the block size
        self.flush_dst: Callable[[], None] | None = None

    def _tick(self, nbytes: int) -> None:
        if self.flush_dst is not None:
            self.flush_dst()
        self.done += nbytes
        if self.progress is not None:
            self.progress(self.done, self.total)

    def attrs(
        self, src_node: LibraryHandle, dst_node: LibraryHandle, spec: NodeSpec | None
    ) -> None:
        declared = spec.attrs if spec is not None else {}
        names = self.src.attr_names(src_node)
        if self.dst.name != "tables" and "CLASS" not in names:
            # nodes made by other tools have no CLASS/TITLE: add none (PyTables needs
            # its own to read the file back, so a PyTables copy keeps them)
            for name in ("CLASS", "TITLE", "EXTDIM"):
                if name not in names and self.dst.has_attr(dst_node, name):
                    self.dst.del_attr(dst_node, name)
        for name in names:
            if name in SYSTEM_ATTRS:
                continue
            value = self.src.get_attr(src_node, name)
            if isinstance(value, (bytes, str)):
                # a string, stored the destination library's way (PyTables: fixed-length
                # bytes; h5py: variable-length UTF-8), its text unchanged
                value = decode_raw(value)
            elif isinstance(value, np.integer) and name in declared:
                if declared[name].type == "bool":  # PyTables reads native booleans as ints
                    value = np.bool_(value)
            self.dst.set_attr(dst_node, name, value)

    def group(
        self, src_group: LibraryHandle, dst_group: LibraryHandle, group_spec: NodeSpec | None
    ) -> None:
        from h5layout.runtime.tools.tree import classify

        stack = [(src_group, dst_group, group_spec)]
        while stack:
            s_grp, d_grp, g_spec = stack.pop()
            for name, child in self.src.children(s_grp).items():
                self.nodes += 1
                title = self._title(child)
                is_group = self.src.is_group(child)
                child_spec = None
                if self.spec is not None and g_spec is not None:
                    decoded = {"type": self._decoded(child, "type")}
                    decoded["data_type"] = self._decoded(child, "data_type")
                    child_spec = classify(
                        self.spec, g_spec, name, "group" if is_group else "array", decoded
                    )
                if is_group:
                    d_child = self.dst.create_group(d_grp, name, title)
                    self.attrs(child, d_child, child_spec)
                    stack.append((child, d_child, child_spec))
                else:
                    d_child = self.array(child, d_grp, name, title, child_spec)
                    self.attrs(child, d_child, child_spec)

    def _title(self, node: LibraryHandle) -> str:
        try:
            value = decode_raw(self.src.get_attr(node, "TITLE"))
        except KeyError:
            return ""
        return value if isinstance(value, str) else str(value)

    def _decoded(self, node: LibraryHandle, name: str) -> object:
        try:
            value = decode_raw(self.src.get_attr(node, name))
        except (KeyError, TypeError, ValueError):
            return None
        return decode_json(value) if isinstance(value, str) else value

    def array(
        self,
        obj: LibraryHandle,
        parent: LibraryHandle,
        name: str,
        title: str,
        spec: NodeSpec | None,
    ) -> LibraryHandle:
        src, dst = self.src, self.dst
        kind = src.node_class(obj)
        shape = tuple(int(n) for n in src.shape(obj))
        dtype = np.dtype(src.dtype(obj))
        source = _source_storage(obj)
        storage = _storage_for(spec, source, src.chunks(obj), kind, shape)
        rows = shape[0] if shape else 0
        if kind == "VLARRAY":
            out = dst.create_vlarray(parent, name, dtype=dtype, title=title, storage=storage)
            step = max(self.block // 4096, 1)  # rows are small (strings, log lines)
            for start in range(0, rows, step):
                block = src.read(obj, slice(start, min(start + step, rows)))
                for row in block:
                    dst.vl_append(out, np.asarray(row, dtype=dtype))
                self._tick(sum(np.asarray(r).nbytes for r in block))
            return out
        row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize if shape else 0
        step = max(self.block // max(row_bytes, 1), 1)
        if kind == "EARRAY":
            out = dst.create_earray(
                parent,
                name,
                dtype=dtype,
                row_shape=shape[1:],
                title=title,
                storage=storage,
                expected_rows=max(rows, 1),
            )
            for start in range(0, rows, step):
                block = np.asarray(src.read(obj, slice(start, min(start + step, rows))))
                dst.append(out, block)
                self._tick(block.nbytes)
            return out
        if not shape or rows == 0:
            data = np.asarray(src.read(obj))
            out = dst.create_carray(parent, name, data=data, title=title, storage=storage)
            self._tick(data.nbytes)
            return out
        fill = getattr(obj, "fillvalue", None)
        out = dst.create_carray(
            parent,
            name,
            data=None,
            shape=shape,
            dtype=dtype,
            fill_value=fill,
            title=title,
            storage=storage,
        )
        for start in range(0, rows, step):
            sel = slice(start, min(start + step, rows))
            block = np.asarray(src.read(obj, sel))
            dst.write(out, sel, block)
            self._tick(block.nbytes)
        return out


def _total_bytes(be: Backend, root: LibraryHandle) -> tuple[int, int]:
    """(array bytes, nodes) below ``root`` (VLARRAY rows are not counted ahead)."""
    total = nodes = 0
    stack = [root]
    while stack:
        group = stack.pop()
        for child in be.children(group).values():
            nodes += 1
            if be.is_group(child):
                stack.append(child)
            elif be.node_class(child) != "VLARRAY":
                shape = be.shape(child)
                total += int(np.prod(shape, dtype=np.int64)) * np.dtype(be.dtype(child)).itemsize
    return total, nodes


def _root_title(src_be: Backend, src_root: LibraryHandle) -> tuple[str, str]:
    """The source root title (decoded) and how it was stored ('json' | 'native')."""
    try:
        raw = decode_raw(src_be.get_attr(src_root, "TITLE"))
    except KeyError:
        return "", "native"
    text = raw if isinstance(raw, str) else str(raw)
    value = decode_json(text)
    if isinstance(value, str) and value != text:
        return value, "json"
    return text, "native"


def _title_encoding(spec: LayoutSpec | None, backend: str, source: str) -> str:
    if backend == "tables":
        return "native"  # PyTables writes the root TITLE itself
    if spec is None or spec.root not in spec.nodes:
        return source
    root = spec.nodes[spec.root]
    declared = root.attrs.get("TITLE")
    base = declared.encoding if declared is not None else source
    return str(root.options.get("backend_encodings", {}).get(backend, {}).get("TITLE", base))


def copy_file(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    backend: str = "h5py",
    source_backend: str = "h5py",
    layout: LayoutSpec | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress: Progress | None = None,
    overwrite: bool = False,
    validate: bool = True,
) -> CopyResult:
    """Copy ``source`` to ``destination`` written by ``backend`` (see the module docstring).

    ``layout`` is detected from the source when None (a file without a known layout is
    copied as it is, and not validated). Raises :class:`FileAccessError` for a missing
    source or an existing destination (unless ``overwrite``), :class:`CopyError` when the
    copy fails (the destination is then left untouched).
    """
    from h5layout.runtime.storage.backends import get_backend

    src_path, dst_path = os.fspath(source), os.fspath(destination)
    src_be, dst_be = get_backend(source_backend), get_backend(backend)
    if src_be.local_files and not os.path.isfile(src_path):
        raise FileAccessError(f"{src_path}: no such file")
    if dst_be.local_files:
        if os.path.exists(dst_path) and not overwrite:
            raise FileAccessError(f"{dst_path}: already exists (overwrite to replace it)")
        if os.path.abspath(dst_path) == os.path.abspath(src_path):
            raise FileAccessError(f"{dst_path}: the destination is the source")
    elif backend == "h5pyd":
        from h5layout.runtime.check.domains import Target, exists

        if (source_backend, src_path) == (backend, dst_path):
            raise FileAccessError(f"{dst_path}: the destination is the source")
        if not overwrite and exists(Target(dst_path, backend)):
            raise FileAccessError(f"{dst_path}: already exists (overwrite to replace it)")
    if layout is None:
        from h5layout.runtime.check.detect import LayoutNotFoundError, find_layout_spec

        try:
            if src_be.local_files:
                layout = find_layout_spec(file=src_path)
            else:
                from h5layout.runtime.check.domains import Target, detect_layout

                layout = detect_layout(Target(src_path, source_backend))
        except LayoutNotFoundError:
            layout = None
    result = CopyResult(src_path, dst_path, backend, layout=layout.layout if layout else None)
    try:
        src_file = src_be.open(src_path, "r", title="", swmr_mode=False)
    except Exception as exc:
        raise FileAccessError(f"{src_path}: cannot open: {exc}") from exc
    target = dst_path
    if dst_be.local_files:
        folder = os.path.dirname(os.path.abspath(dst_path))
        target = os.path.join(folder, f".{os.path.basename(dst_path)}.{uuid.uuid4().hex[:8]}.part")
    dst_file = None
    started = False  # the destination was created (a domain to delete on failure)
    try:
        src_root = src_be.root(src_file)
        total, _ = _total_bytes(src_be, src_root)
        title, src_encoding = _root_title(src_be, src_root)
        encoding = _title_encoding(layout, backend, src_encoding)
        started = True
        dst_file = dst_be.open(target, "w", title=title, swmr_mode=False)
        dst_root = dst_be.root(dst_file)
        root_names = src_be.attr_names(src_root)
        if backend != "tables" and "CLASS" in root_names:
            dst_be.set_attr(dst_root, "CLASS", "GROUP")
        if backend != "tables" and "TITLE" in root_names:
            dst_be.set_attr(dst_root, "TITLE", encode_json(title) if encoding == "json" else title)
        copier = _Copier(src_be, dst_be, layout, block_bytes, progress, total)
        if not dst_be.local_files:
            opened = dst_file
            copier.flush_dst = lambda: dst_be.flush(opened)
        root_spec = layout.nodes.get(layout.root) if layout is not None else None
        copier.attrs(src_root, dst_root, root_spec)
        copier.group(src_root, dst_root, root_spec)
        dst_be.close(dst_file)
        dst_file = None
        result.nodes, result.bytes = copier.nodes, copier.done
        if dst_be.local_files:
            os.replace(target, dst_path)
    except BaseException as exc:
        if dst_file is not None:
            try:
                dst_be.close(dst_file)
            except Exception:
                pass
        if dst_be.local_files:
            Path(target).unlink(missing_ok=True)
        elif backend == "h5pyd" and started:
            # a domain has no rename: the half-written domain is deleted instead
            from h5layout.runtime.check.domains import Target, remove_domain

            remove_domain(Target(dst_path, backend))
        if isinstance(exc, (KeyboardInterrupt, SystemExit, LayoutError)):
            raise
        raise CopyError(f"copy of {src_path} to {dst_path} failed: {exc}") from exc
    finally:
        src_be.close(src_file)
    if validate and layout is not None and dst_be.local_files:
        from h5layout.runtime.check.validate import validate_file

        result.report = validate_file(dst_path, layout)
    elif validate and layout is not None and backend == "h5pyd":
        from h5layout.runtime.check.domains import Target, validate_domain

        result.report = validate_domain(Target(dst_path, backend), layout)
    return result
