"""The h5pyd backend: domains of an HSDS server (the HDF Group's HDF5 REST service).

A "file" is an HSDS domain such as ``/home/alice/run.h5``. The server is named by the
``endpoint``, ``username`` and ``password`` keyword arguments of :meth:`H5pydBackend.open`
(also accepted by ``H5Backend.open_file``), or by h5pyd's own configuration
(``HS_ENDPOINT``, ``HS_USERNAME``, ``HS_PASSWORD`` or ``~/.hscfg``).

Nodes follow the h5py backend's conventions (``CLASS``/``TITLE``/``EXTDIM`` attributes,
variable-length arrays, enlargeable arrays unlimited along their first axis). h5pyd 1.0
keeps every change in the client until ``flush()``/``close()``; this module works around
the ways that differs from h5py:

* an attribute that already exists on the server is replaced (h5pyd sends it as a new
  attribute, which HSDS refuses with 409 Conflict), and an attribute or node deleted in a
  later session is really deleted on the server (h5pyd drops such deletions);
* rows written one after the other into an enlargeable array are sent as one block at the
  next flush, not one HTTP request per row;
* an empty variable-length row reads back as an empty array (h5pyd gives ``0``);
* nodes are deleted through their parent group (h5pyd's ``del f["a/b"]`` raises KeyError);
* h5pyd sets the root logger to ERROR on every open; the previous level is restored.

HSDS has no SWMR: the backend is not SWMR capable. Readers see what writers flushed;
another open handle sees new shapes after it reopens the domain.
"""

from __future__ import annotations

import logging
import posixpath
import weakref
from collections.abc import Hashable
from types import ModuleType

import h5pyd
import numpy as np
from h5json import selections
from h5json.time_util import getNow

from h5layout.runtime.errors import BackendError
from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.storage.backends._base import (
    ARRAY,
    CARRAY_CLASS,
    DATATYPE,
    EARRAY_CLASS,
    EXTERNAL_LINK,
    GROUP,
    GROUP_CLASS,
    SOFT_LINK,
    UNREADABLE,
    VLARRAY_CLASS,
    LibraryHandle,
    LibraryValue,
    NodeInfo,
    element_name,
)
from h5layout.runtime.storage.backends._h5like import H5LikeBackend
from h5layout.runtime.storage.backends._h5pyd_background import (
    BackgroundFlusher,
    BackgroundWriter,
)
from h5layout.runtime.storage.backends.hsds_retry import retry_busy_posts

_COMPRESSION_NAMES = {"zlib": "gzip", "gzip": "gzip"}

#: keyword arguments of ``open`` that h5py's backend takes and HSDS has no use for
_LOCAL_FILE_KWARGS = ("locking", "libver", "driver", "rdcc_nbytes", "rdcc_nslots")

#: the h5pyd File each open domain was opened as, by ``id()`` of its metadata db: nodes
#: reach their file without h5pyd's ``node.file`` (a new File object and a request)
_FILES: weakref.WeakValueDictionary[int, LibraryHandle] = weakref.WeakValueDictionary()
#: the connection arguments each open domain was opened with (same keys as ``_FILES``)
_SERVERS: dict[int, dict[str, object]] = {}


def _filters(storage: Storage | None) -> dict[str, object]:
    if storage is None or not storage.compression:
        return {}
    name = _COMPRESSION_NAMES.get(storage.compression)
    if name is None:
        raise ValueError(
            f"compression {storage.compression!r} is not available with the h5pyd backend "
            "(use 'gzip')"
        )
    out: dict[str, object] = {"compression": name}
    out["compression_opts"] = 5 if storage.level is None else storage.level
    if storage.shuffle:
        out["shuffle"] = True
    return out


def _open_file(domain: str, mode: str, **kwargs: object) -> LibraryHandle:
    """``h5pyd.File``, without its side effect on the root logger's level."""
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        return h5pyd.File(domain, mode, **kwargs)
    finally:
        root_logger.setLevel(level)


def _replace_attributes(http_conn: LibraryHandle) -> None:
    """Make the connection's attribute PUTs replace existing attributes.

    h5pyd 1.0 sends a changed attribute as a new one; HSDS answers 409 Conflict when it
    already exists (an attribute set in an earlier session or before a flush), and the
    file can then be neither flushed nor closed. ``replace=1`` makes HSDS overwrite it
    (an unchanged attribute stays as it is). Only this connection is changed.
    """
    put = http_conn.PUT

    def put_replacing(
        req: str,
        body: object = None,
        format: str = "json",
        params: dict[str, object] | None = None,
        headers: object = None,
    ) -> LibraryHandle:
        if req.endswith("/attributes"):
            params = {**(params or {}), "replace": 1}
        return put(req, body=body, format=format, params=params, headers=headers)

    http_conn.PUT = put_replacing


def _prepare_writer(file: LibraryHandle) -> None:
    """Fix what h5pyd 1.0 gets wrong for a domain opened for writing."""
    plugin = file.id.db.plugin
    if not plugin._last_flush_time:
        # An existing domain opened "a"/"r+": h5pyd counts everything it loads as newer
        # than its last flush (never, time 0), so the first flush sends every attribute
        # and link of a changed node again and skips deleting those removed in this
        # session. Attributes and links already on the server are older than now.
        plugin._last_flush_time = getNow()
    _replace_attributes(plugin.http_conn)
    retry_busy_posts(plugin.http_conn)


class _RowBlock(np.ndarray):
    """Rows written one after the other into an array, pending as one h5pyd update.

    ``start`` is the row where the block begins; the update holds ``block[:n]``. For a
    write into a line of a multi-dimensional array (a scan's ``data[i, j]``), ``prefix``
    holds the leading indexes (``(i,)``) and rows run along the next dimension.
    """

    start: int = 0
    prefix: tuple[int, ...] = ()


def _queue_rows(
    array: LibraryHandle, index: int, rows: np.ndarray, prefix: tuple[int, ...] = ()
) -> bool:
    """Queue ``array[index:index + len(rows)] = rows`` with the rows pending just before.

    h5pyd keeps each write as its own update and sends one HTTP request per update at
    flush (10-20 ms each), and each resize revisits every pending update: rows appended
    one by one would cost a request per row and time quadratic in the rows pending. When
    the latest pending update of the array is a block of rows ending at ``index``, the
    rows join it, so a flush sends one request per array. Returns False (nothing done)
    for anything else: the caller then writes through h5pyd.

    ``rows`` is shaped ``(k, *row_shape)``; for a variable-length array it is an object
    array of ``k`` 1-D arrays of the element dtype. With ``prefix`` the rows go to
    ``array[(*prefix, slice(index, index + k))]`` (points of one scan line join one update).
    """
    dtype = array.dtype
    shape = array.shape
    k = len(rows) if rows.ndim else 0
    d = len(prefix)
    if (
        not shape
        or len(shape) <= d
        or k == 0
        or not 0 <= index
        or index + k > shape[d]
        or rows.shape[1:] != tuple(shape[d + 1 :])
        or not all(0 <= p < n for p, n in zip(prefix, shape, strict=False))
    ):
        return False
    if dtype.kind == "O":
        if prefix:
            return False
        base = _vlen_base(dtype)
        if base is None or base.kind not in "biufc" or rows.dtype.kind != "O":
            return False
        if not all(type(r) is np.ndarray and r.dtype == base and r.ndim == 1 for r in rows):
            return False
    elif dtype.kind not in "biufc" or rows.dtype != dtype:
        return False
    db = array.id.db
    uuid = array.id.uuid
    get_updates = getattr(db, "_getDatasetUpdates", None)
    if get_updates is None:  # another h5json than the one this was written for
        return False
    updates = get_updates(uuid)
    block: _RowBlock | None = None
    n = 0
    if updates:
        last = updates[-1][1]
        base = getattr(last, "base", None)
        if (
            isinstance(base, _RowBlock)
            and base.prefix == prefix
            and base.start + len(last) == index
        ):
            block, n = base, len(last)
    if block is None or n + k > len(block):
        # twice the room needed, so n rows appended one by one copy O(n) rows in all
        room = max(16, 2 * (n + k))
        if prefix:
            room = min(room, shape[d])  # a line never holds more than its length
        bigger = np.empty((room, *shape[d + 1 :]), dtype=dtype).view(_RowBlock)
        if block is not None:
            bigger[:n] = block[:n]
            bigger.start = block.start
        else:
            bigger.start = index
        bigger.prefix = prefix
        block = bigger
    block[n : n + k] = rows
    sel = selections.select(tuple(shape), (*prefix, slice(block.start, index + k)))
    entry = (sel, block[: n + k])
    if n:
        updates[-1] = entry
    else:
        updates.append(entry)
    db.make_dirty(uuid)  # keeps h5pyd's own flush policy (128 MiB or 30 s pending)
    return True


def _vlen_base(dtype: np.dtype) -> np.dtype | None:
    base = h5pyd.check_vlen_dtype(dtype)
    return None if base is None else np.dtype(base)


def _vlen_row(row: object, base: np.dtype) -> LibraryHandle:
    """A row as read from a variable-length array (h5pyd gives ``0`` for an empty row)."""
    if isinstance(row, np.ndarray) or base.kind in "SUO":
        return row
    return np.zeros(0, dtype=base)


def _copy_attrs(src: LibraryHandle, dst: LibraryHandle) -> None:
    for key in src.attrs:
        dst.attrs[key] = src.attrs[key]


def _copy_dataset(
    src: LibraryHandle, group: LibraryHandle, name: str, h5py: ModuleType
) -> LibraryHandle:
    """One h5pyd dataset written into an h5py group."""
    base = _vlen_base(src.dtype)
    kw: dict[str, object] = {}
    if src.chunks is not None:
        kw["chunks"] = tuple(src.chunks)
        kw["maxshape"] = tuple(src.maxshape)
    if src.compression == "gzip":
        kw["compression"] = "gzip"
        kw["compression_opts"] = src.compression_opts
    if src.shuffle:
        kw["shuffle"] = True
    if base is not None:
        rows = [_vlen_row(r, base) for r in src[...]] if src.shape != (0,) else []
        ds = group.create_dataset(name, shape=src.shape, dtype=h5py.vlen_dtype(base), **kw)
        for i, row in enumerate(rows):
            ds[i] = row
        return ds
    if src.dtype.kind in "biufc":
        kw["fillvalue"] = src.fillvalue
    if src.shape is not None and src.size == 0:
        return group.create_dataset(name, shape=src.shape, dtype=src.dtype, **kw)
    return group.create_dataset(name, data=src[()], dtype=src.dtype, **kw)


class H5pydBackend(H5LikeBackend):
    """HSDS domains through h5pyd."""

    name = "h5pyd"
    swmr_capable = False
    local_files = False  # durability is the server's: a flush hands the changes to HSDS
    # Arrays grow by the rows appended, never ahead of them: a resize is local until the
    # flush (one request per array then), while trimming reserved rows at each flush would
    # send a shrink, which HSDS handles slowly (60-70 ms) and h5pyd flushes at once.
    supports_block_growth = False

    #: whether savers writing a domain hand their flushes to a background worker (their
    #: own ``background_flush`` setting, when not None, wins); see ``background_flusher``
    background_flush = False
    #: blocks and flush marks that may wait for that worker, and their bytes at most
    #: (beyond either, the saver waits for the worker: memory stays bounded)
    background_max_pending = 1024
    background_max_bytes = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._server: dict[str, object] = {}

    def _filters(self, storage: Storage | None) -> dict[str, object]:
        return _filters(storage)

    def _vlen_dtype(self, dtype: np.dtype) -> np.dtype:
        vlen: np.dtype = h5pyd.vlen_dtype(dtype)
        return vlen

    # -- server ------------------------------------------------------------------------
    def set_server(
        self,
        endpoint: str | None = None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> None:
        """Server used by every later open that names none (no arguments: h5pyd's own).

        Savers and loaders open domains without connection arguments; this names the
        server for them. ``kwargs`` are other ``h5pyd.File`` arguments (``bucket``,
        ``api_key``...). Arguments given to ``open`` take precedence; without either,
        h5pyd reads ``HS_ENDPOINT``/``HS_USERNAME``/``HS_PASSWORD`` or ``~/.hscfg``.
        """
        given = {"endpoint": endpoint, "username": username, "password": password, **kwargs}
        self._server = {k: v for k, v in given.items() if v is not None}

    @property
    def server(self) -> dict[str, object]:
        """The connection arguments set by :meth:`set_server` (a copy)."""
        return dict(self._server)

    def file_exists(self, path: str) -> bool:
        """Whether the domain exists (a folder is not a file)."""
        if str(path).endswith("/"):  # a folder's name
            return False
        try:
            file = _open_file(str(path), "r", **self._server)
        except OSError as exc:  # 404/410: no such domain (h5pyd also says 404 for a folder)
            if isinstance(exc, FileNotFoundError) or exc.errno in (404, 410):
                return False
            raise
        file.close()
        return True

    def remove_file(self, path: str) -> None:
        """Delete a domain (a failed copy into it); a missing domain is not an error."""
        folder, _, name = str(path).rpartition("/")
        try:
            with h5pyd.Folder(folder + "/", mode="r+", **self._server) as parent:
                del parent[name]
        except (KeyError, OSError):
            pass

    # -- files -------------------------------------------------------------------------
    def open(
        self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: object
    ) -> LibraryHandle:
        if swmr_mode:
            raise BackendError(
                "the h5pyd backend cannot open a domain in SWMR mode: HSDS has no SWMR. "
                "Readers see what a writer has flushed; open without swmr_mode."
            )
        for key in _LOCAL_FILE_KWARGS:
            kwargs.pop(key, None)
        server = {**self._server, **kwargs}
        file = _open_file(str(path), mode, **server)
        _FILES[id(file.id.db)] = file
        _SERVERS[id(file.id.db)] = server
        if file.mode != "r":
            _prepare_writer(file)
        return file

    def close(self, file: LibraryHandle) -> None:
        if file.id:
            _SERVERS.pop(id(file.id.db), None)
            file.close()

    def flush(self, file: LibraryHandle) -> None:
        if file.id and file.mode != "r":
            file.flush()

    def is_open(self, file: LibraryHandle) -> bool:
        return bool(file is not None and file.id)

    def filename(self, file: LibraryHandle) -> str:
        return str(file.filename)

    def root(self, file: LibraryHandle) -> LibraryHandle:
        return file["/"]

    def file_of(self, node: LibraryHandle) -> LibraryHandle:
        file = _FILES.get(id(node.id.db))
        if file is not None and file.id.db is node.id.db:
            return file
        root_logger = logging.getLogger()
        level = root_logger.level
        try:
            return node.file
        finally:
            root_logger.setLevel(level)

    def is_writable(self, file: LibraryHandle) -> bool:
        return bool(file.mode != "r")

    def copy_to_h5py(self, file: LibraryHandle, target: str) -> None:
        """Write the whole domain to a local HDF5 file (``H5Backend.save_file_as``).

        h5py cannot copy h5pyd's objects (its ``copy`` leaves the target empty): every
        group, array and attribute is read here and written with h5py, keeping dtypes,
        shapes, maximum shapes, chunks, compression and fill values.
        """
        import h5py

        with h5py.File(target, "w") as dst:
            _copy_attrs(file, dst)
            stack = [(file["/"], dst)]
            while stack:
                src_group, dst_group = stack.pop()
                for name, child in self.children(src_group).items():
                    if isinstance(child, h5pyd.Group):
                        new = dst_group.create_group(name)
                        stack.append((child, new))
                    else:
                        new = _copy_dataset(child, dst_group, name, h5py)
                    _copy_attrs(child, new)

    # -- navigation --------------------------------------------------------------------
    def get(self, file: LibraryHandle, path: str) -> LibraryHandle:
        try:
            node = file[path]
        except (KeyError, ValueError):  # absent, or a bad name
            raise KeyError(path) from None
        if node is None:
            raise KeyError(path)
        return node

    def is_group(self, node: LibraryHandle) -> bool:
        return isinstance(node, h5pyd.Group)

    def parent(self, node: LibraryHandle) -> LibraryHandle:
        return self.file_of(node)[posixpath.dirname(node.name) or "/"]

    def children(self, group: LibraryHandle) -> dict[str, LibraryHandle]:
        out: dict[str, LibraryHandle] = {}
        for name in sorted(group):
            try:
                child = group[name]
            except KeyError:  # a dangling soft or external link: no node behind it
                continue
            if child is not None:
                out[name] = child
        return out

    def object_key(self, node: LibraryHandle) -> Hashable:
        return getattr(node.id, "id", None) or self.node_path(node)  # the server's uuid

    # -- metadata walks: one request per object (its attributes and links come with it) --
    def describe(self, node: LibraryHandle) -> NodeInfo:
        return self._describe(node, self.node_path(node), self.node_name(node))

    def scan(self, group: LibraryHandle) -> list[NodeInfo]:
        base = self.node_path(group).rstrip("/")
        try:
            names = sorted(group)
        except (OSError, KeyError, ValueError) as exc:
            from h5layout.runtime.errors import FileAccessError

            raise FileAccessError(str(exc)) from exc
        out: list[NodeInfo] = []
        for name in names:
            path = f"{base}/{name}"
            try:
                link = group.get(name, getclass=True, getlink=True)
                if link is h5pyd.SoftLink or link is h5pyd.ExternalLink:
                    kind = SOFT_LINK if link is h5pyd.SoftLink else EXTERNAL_LINK
                    out.append(NodeInfo(path, name, kind))
                    continue
                node = group[name]
            except Exception as exc:  # a request that failed, a link h5pyd cannot read
                problem = f"cannot open the node: {exc}"
                out.append(NodeInfo(path, name, UNREADABLE, problem=problem))
                continue
            out.append(self._describe(node, path, name))
        return out

    def _describe(self, node: LibraryHandle, path: str, name: str) -> NodeInfo:
        if isinstance(node, h5pyd.Group):
            kind = GROUP
        elif isinstance(node, h5pyd.Dataset):
            kind = ARRAY
        else:
            kind = DATATYPE
        info = NodeInfo(path, name, kind, node, self.object_key(node))
        try:
            names = list(node.attrs)
        except Exception as exc:
            info.problem = f"cannot list attributes: {exc}"
            names = []
        for attr in names:
            try:
                info.attrs[attr] = node.attrs[attr]
            except Exception as exc:
                info.attr_errors[attr] = f"{type(exc).__name__}: {exc}"
        if kind == ARRAY:
            try:
                info.shape = self.shape(node)
                info.maxshape = self.maxshape(node)
                dtype = node.dtype
                string = h5pyd.check_string_dtype(dtype)
                base = _vlen_base(dtype)
                info.vlen = dtype.kind == "O" and (string is not None or base is not None)
                if string is not None and dtype.kind == "O":
                    info.dtype = "str" if string.encoding == "utf-8" else "bytes"
                else:
                    info.dtype = element_name(base if base is not None else dtype)
                info.chunks = self.chunks(node)
                info.compression = node.compression
                info.compression_opts = node.compression_opts if info.compression else None
            except Exception as exc:
                info.kind, info.problem = UNREADABLE, f"cannot read the array's metadata: {exc}"
        return info

    def remove(self, node: LibraryHandle) -> None:
        parent = self.parent(node)
        # through the parent: h5pyd's ``del file["a/b"]`` raises KeyError
        del parent[self.node_name(node)]
        # HSDS refuses (409) a link re-created with another target before the deletion
        # reached it: send the deletion now, so a new node may take the name.
        parent.id.db.flush()

    # -- attributes --------------------------------------------------------------------
    def attr_names(self, node: LibraryHandle) -> list[str]:
        return list(node.attrs)

    def get_attr(self, node: LibraryHandle, name: str) -> LibraryValue:
        return node.attrs[name]

    def set_attr(self, node: LibraryHandle, name: str, value: object) -> None:
        node.attrs[name] = value

    def has_attr(self, node: LibraryHandle, name: str) -> bool:
        return name in node.attrs

    def del_attr(self, node: LibraryHandle, name: str) -> None:
        if name not in node.attrs:
            raise KeyError(name)
        del node.attrs[name]

    # -- data --------------------------------------------------------------------------
    def node_class(self, node: LibraryHandle) -> str:
        if isinstance(node, h5pyd.Group):
            return GROUP_CLASS
        dt = node.dtype
        if dt.kind == "O" or _vlen_base(dt) is not None:
            return VLARRAY_CLASS
        maxshape = node.maxshape
        if maxshape and maxshape[0] is None:
            return EARRAY_CLASS
        return CARRAY_CLASS

    def shape(self, array: LibraryHandle) -> tuple[int, ...]:
        shape = array.shape
        return () if shape is None else tuple(int(n) for n in shape)

    def dtype(self, array: LibraryHandle) -> np.dtype:
        base = _vlen_base(array.dtype)
        return base if base is not None else np.dtype(array.dtype)

    def maxshape(self, array: LibraryHandle) -> tuple[int | None, ...]:
        maxshape = array.maxshape
        return tuple(maxshape) if maxshape is not None else self.shape(array)

    def chunks(self, array: LibraryHandle) -> tuple[int, ...] | None:
        return tuple(array.chunks) if array.chunks is not None else None

    def read(self, array: LibraryHandle, selection: object = Ellipsis) -> LibraryValue:
        db = array.id.db
        if array.id.uuid in db.resized_datasets:
            # h5pyd reads the rows it does not hold from the server with the client's
            # shape, which the server does not have yet: send the resize (and rows) first
            db.flush()
        base = _vlen_base(array.dtype)
        if base is not None:
            if array.shape == (0,) and selection is Ellipsis:
                return []
            rows = array[selection]
            if isinstance(rows, np.ndarray) and rows.dtype == object:
                return [_vlen_row(r, base) for r in rows]
            return _vlen_row(rows, base)
        if array.shape == () or (array.size == 0 and selection is Ellipsis):
            return array[()]
        try:
            return array[selection]
        except ValueError:
            # Another writer grew the array since this handle read its shape: h5pyd asks
            # for a selection covering the whole shape it knows as "everything", and the
            # server answers with its larger array. Read the shape again and retry once.
            array.refresh()
            return array[selection]

    def write(self, array: LibraryHandle, selection: object, value: object) -> None:
        if type(selection) is int and isinstance(value, np.ndarray | np.generic):
            # one row (a numpy scalar for a 1-D array), as savers write them
            if _queue_rows(array, selection, np.asarray(value)[np.newaxis]):
                return
        elif (
            type(selection) is tuple
            and len(selection) > 1
            and all(type(i) is int for i in selection)
            and isinstance(value, np.ndarray | np.generic)
        ):
            # one point of a scan, data[i, j]: the points of a line join one update
            row = np.asarray(value)[np.newaxis]
            if _queue_rows(array, selection[-1], row, selection[:-1]):
                return
        array[selection] = value

    def append(self, array: LibraryHandle, rows: np.ndarray) -> None:
        n = array.shape[0]
        array.resize(n + rows.shape[0], axis=0)
        if not _queue_rows(array, n, np.asarray(rows)):
            array[n:] = rows

    def resize(self, array: LibraryHandle, nrows: int) -> None:
        array.resize(nrows, axis=0)

    def vl_append(self, array: LibraryHandle, row: np.ndarray) -> None:
        n = array.shape[0]
        array.resize((n + 1,))
        one = np.empty(1, dtype=array.dtype)
        one[0] = np.array(row)  # a copy: the row stays pending until the flush
        if not _queue_rows(array, n, one):
            array[n] = row

    def background_writer(
        self,
        domain: str,
        *,
        max_pending: int = 16,
        max_bytes: int | None = None,
        open_in_worker: bool = False,
        **server: object,
    ) -> BackgroundWriter:
        """A :class:`BackgroundWriter` appending rows to ``domain`` from a worker thread
        over its own connection (the server of ``set_server``, unless given here).

        The domain is opened here, so a wrong domain or server fails at once; with
        ``open_in_worker`` the worker opens it (the open's round trips do not hold up the
        caller; its error is raised by the writer's next call)."""
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        kwargs = {**self._server, **server}

        def open_domain() -> LibraryHandle:
            file = _open_file(str(domain), "a", **kwargs)
            _prepare_writer(file)
            return file

        if open_in_worker:
            return BackgroundWriter(
                None,
                max_pending=max_pending,
                max_bytes=max_bytes,
                join_rows=_queue_rows,
                open_file=open_domain,
                domain=str(domain),
            )
        return BackgroundWriter(
            open_domain(), max_pending=max_pending, max_bytes=max_bytes, join_rows=_queue_rows
        )

    def background_flusher(self, file: LibraryHandle) -> BackgroundFlusher:
        """A :class:`BackgroundFlusher` for ``file``, a domain open for writing: a
        :class:`BackgroundWriter` on a second handle of the same domain and server (opened
        by its worker) takes the values of the arrays a saver grows, so the saver's
        flushes do not wait for HTTP. Its queue holds at most
        :attr:`background_max_pending` items and :attr:`background_max_bytes` bytes."""
        if file.mode == "r":
            raise BackendError(f"{file.filename} is open read-only: nothing to flush")
        server = _SERVERS.get(id(file.id.db), self._server)
        writer = self.background_writer(
            str(file.filename),
            max_pending=self.background_max_pending,
            max_bytes=self.background_max_bytes,
            open_in_worker=True,
            **server,
        )
        return BackgroundFlusher(file, writer)
