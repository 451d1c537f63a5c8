"""The h5py backend (local files; SWMR capable)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

import h5py
import numpy as np
from h5py import h5a, h5f, h5i, h5l, h5o, h5s, h5t

from h5layout.runtime.errors import FileAccessError, LayoutError
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
    library_error,
    name_text,
)
from h5layout.runtime.storage.backends._h5like import H5LikeBackend
from h5layout.runtime.storage.backends.h5capi import open_evicting
from h5layout.runtime.storage.backends.h5py_attrs import OTHER, read_vlen_str_attr
from h5layout.runtime.storage.backends.swmr_read import open_swmr_reader
from h5layout.runtime.storage.probe import held_open, probe_file


def read_attribute(obj: LibraryHandle, name: str | bytes) -> LibraryValue:
    """``obj.attrs[name]``, through the low-level API for scalar strings (the usual case)."""
    if isinstance(name, str):
        value = read_vlen_str_attr(obj.id, name)
        if value is not OTHER:
            return value
    return obj.attrs[name]


#: what h5py stores a ``str`` attribute as: a scalar variable-length UTF-8 string
_STR_DTYPE = h5py.string_dtype("utf-8")
_STR_FILE_TYPE = h5t.py_create(_STR_DTYPE, logical=True)
_STR_MEM_TYPE = h5t.py_create(_STR_DTYPE)
_SCALAR_SPACE = h5s.create(h5s.SCALAR)


def _write_str_attr(oid: LibraryHandle, name: str, value: str) -> None:
    """Store a ``str`` attribute exactly as ``attrs[name] = value`` does, in a third of the time.

    Bookkeeping and envelope attributes are all strings; h5py's generic path guesses the
    dtype and builds types and a dataspace per call, all known in advance here.
    """
    bname = name.encode("utf-8")
    data = np.array(value, dtype=_STR_DTYPE)
    if h5a.exists(oid, bname):
        h5a.delete(oid, bname)
    aid = h5a.create(oid, bname, _STR_FILE_TYPE, _SCALAR_SPACE)
    try:
        aid.write(data, mtype=_STR_MEM_TYPE)
    except BaseException:
        aid.close()
        h5a.delete(oid, bname)
        raise
    aid.close()


_WRITE_INTENT = h5f.ACC_RDWR | h5f.ACC_SWMR_WRITE
_OBJECT_TYPE_CLASSES = (h5t.VLEN, h5t.REFERENCE)


def _readonly(obj_id: LibraryHandle) -> bool:
    """Whether the file holding an object is open read-only (as h5py's ``File.mode``)."""
    return not (h5i.get_file_id(obj_id).get_intent() & _WRITE_INTENT)


def _open(loc_id: LibraryHandle, name: str, readonly: bool) -> LibraryHandle:
    """The h5py object at ``name`` under ``loc_id``.

    What ``group[name]`` gives, without building a ``File`` object per call to learn the
    file's mode (h5py does, and it is half the cost of opening a node).
    """
    oid = h5o.open(loc_id, name.encode("utf-8", "surrogateescape"))
    kind = h5i.get_type(oid)
    if kind == h5i.DATASET:
        return h5py.Dataset(oid, readonly=readonly)
    if kind == h5i.GROUP:
        return h5py.Group(oid)
    return h5py.Datatype(oid)


_COMPRESSION_NAMES = {"zlib": "gzip", "gzip": "gzip", "lzf": "lzf", "szip": "szip"}


def _filters(storage: Storage | None) -> dict[str, object]:
    if storage is None or not storage.compression:
        return {}
    name = _COMPRESSION_NAMES.get(storage.compression)
    if name is None:
        raise ValueError(f"compression {storage.compression!r} is not available with h5py")
    out: dict[str, object] = {"compression": name}
    if name == "gzip":
        out["compression_opts"] = 5 if storage.level is None else storage.level
    if storage.shuffle:
        out["shuffle"] = True
    return out


_F = TypeVar("_F", bound=Callable[..., object])
_LIBRARY_ERRORS = (OSError, RuntimeError, SystemError, MemoryError)


def _mapped(fn: _F) -> _F:
    """h5py's errors on a damaged file become :class:`FileAccessError` (read-side calls)."""

    @functools.wraps(fn)
    def call(*args: object, **kwargs: object) -> LibraryHandle:
        try:
            return fn(*args, **kwargs)
        except (LayoutError, RecursionError):
            raise
        except _LIBRARY_ERRORS as exc:
            raise FileAccessError(library_error(fn.__name__, exc)) from exc

    return call  # type: ignore[return-value]


class H5pyBackend(H5LikeBackend):
    """Files through h5py."""

    name = "h5py"
    swmr_capable = True
    supports_block_growth = True

    def _filters(self, storage: Storage | None) -> dict[str, object]:
        return _filters(storage)

    def _vlen_dtype(self, dtype: np.dtype) -> np.dtype:
        vlen: np.dtype = h5py.vlen_dtype(dtype)
        return vlen

    def __init__(self) -> None:
        #: names of the open files whose external links are followed (opted in)
        self._external_ok: set[bytes] = set()

    def open(
        self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: object
    ) -> LibraryHandle:
        external = bool(kwargs.pop("external_links", False))
        # read-only walks over every object (inspect): HDF5 drops each object's metadata
        # from its cache when the object is closed (see h5capi.open_evicting)
        evict = bool(kwargs.pop("evict_on_close", False))
        if mode != "w":
            probe = probe_file(path)
            if probe.checksum_ok is False:
                # A SWMR reader would retry the bad checksum for minutes before failing.
                raise FileAccessError(f"{path}: cannot open: {probe.problem()}")
            if probe.truncated and not (probe.swmr_writer and held_open(path)):
                # (a live SWMR writer's file may be shorter than its superblock says for a
                # moment; a file nobody writes is cut short, and SWMR readers would retry)
                raise FileAccessError(f"{path}: cannot open: {probe.problem()}")
            if probe.refused_by_plain_readers:
                if mode == "r" and probe.swmr_writer:
                    # a plain read would be refused; a SWMR reader reads what is there
                    swmr_mode = True
                elif not (mode == "r" and swmr_mode):
                    raise FileAccessError(
                        f"{path}: {probe.writer_left_message(swmr_reader_available=True)}"
                    )
        if swmr_mode:
            if mode == "r":
                kwargs.setdefault("swmr", True)
            else:
                # The oldest format SWMR allows: with 'latest' as the low bound, HDF5 2.0
                # encodes enum/compound types in its own new format, which PyTables' HDF5
                # (1.14) crashes on.
                kwargs.setdefault("libver", ("v110", "latest"))
        try:
            if mode == "r" and kwargs.get("swmr") and set(kwargs) <= {"swmr", "locking"}:
                file = open_swmr_reader(path, cast("bool | None", kwargs.get("locking")))
            elif evict and mode == "r" and set(kwargs) <= {"locking"}:
                file = open_evicting(path, cast("bool | None", kwargs.get("locking")))
                if file is None:
                    file = h5py.File(path, mode, **kwargs)
            else:
                file = h5py.File(path, mode, **kwargs)
            if external:
                self._external_ok.add(h5f.get_name(file.id))
            return file
        except (OSError, RuntimeError, ValueError, KeyError, MemoryError, SystemError) as exc:
            raise FileAccessError(f"{path}: {library_error(f'open {mode!r}', exc)}") from exc

    def close(self, file: LibraryHandle) -> None:
        if file.id.valid:
            if self._external_ok:
                self._external_ok.discard(h5f.get_name(file.id))
            if file.mode != "r":
                file.flush()
            file.close()

    def flush(self, file: LibraryHandle) -> None:
        if file.id.valid and file.mode != "r":
            file.flush()

    def is_open(self, file: LibraryHandle) -> bool:
        return bool(file is not None and file.id.valid)

    def filename(self, file: LibraryHandle) -> str:
        return str(file.filename)

    @_mapped
    def root(self, file: LibraryHandle) -> LibraryHandle:
        return file["/"]

    def file_of(self, node: LibraryHandle) -> LibraryHandle:
        return node.file

    def is_writable(self, file: LibraryHandle) -> bool:
        return bool(file.mode != "r")

    @_mapped
    def get(self, file: LibraryHandle, path: str) -> LibraryHandle:
        try:
            node = _open(file.id, path, _readonly(file.id))
        except (KeyError, ValueError):  # absent, a dangling link, or a bad name
            raise KeyError(path) from None
        if self._external_ok and h5f.get_name(file.id) in self._external_ok:
            return node
        if h5f.get_name(node.id) != h5f.get_name(file.id):
            # the path went through an external link into another file: not followed
            raise KeyError(path)
        return node

    def is_group(self, node: LibraryHandle) -> bool:
        return isinstance(node, h5py.Group)

    @_mapped
    def parent(self, node: LibraryHandle) -> LibraryHandle:
        return node.parent

    @_mapped
    def children(self, group: LibraryHandle) -> dict[str, object]:
        gid = group.id
        readonly = _readonly(gid)
        links: list[tuple[bytes, int]] = []

        def on_link(name: bytes, info: LibraryHandle) -> None:
            links.append((name, info.type))

        gid.links.iterate(on_link, info=True)
        out: dict[str, LibraryHandle] = {}
        for bname, kind in links:
            if kind == h5l.TYPE_EXTERNAL and not self._follows_external(gid):
                continue  # another file: only when asked for (open_file(external_links=True))
            # names that are not UTF-8 round-trip through _open's surrogateescape encoding
            name = bname.decode("utf-8", "surrogateescape")
            try:
                out[name] = _open(gid, name, readonly)
            except (KeyError, ValueError, RuntimeError):
                # a dangling or looping soft link, an unreachable external file: no node
                continue
        return dict(sorted(out.items()))

    def describe(self, node: LibraryHandle) -> NodeInfo:
        path = self.node_path(node)
        return _describe(node, path, self.node_name(node))

    def scan(self, group: LibraryHandle) -> list[NodeInfo]:
        gid = group.id
        readonly = _readonly(gid)
        base = self.node_path(group).rstrip("/")
        links: list[tuple[bytes, int]] = []
        try:
            gid.links.iterate(lambda n, info: links.append((n, info.type)), info=True)
        except (OSError, RuntimeError, ValueError, SystemError, MemoryError) as exc:
            raise FileAccessError(str(exc)) from exc
        out: list[NodeInfo] = []
        for bname, link_type in links:
            try:
                name = bname.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                name, utf8 = name_text(bname), False
            path = f"{base}/{name}"
            if link_type != h5l.TYPE_HARD:
                kind = _LINK_KINDS.get(link_type, UNREADABLE)
                problem = None if kind != UNREADABLE else f"link of type {link_type}"
                out.append(NodeInfo(path, name, kind, name_is_utf8=utf8, problem=problem))
                continue
            try:
                obj = _open_raw(gid, bname, readonly)
            except Exception as exc:
                problem = f"cannot open the node: {exc}"
                out.append(NodeInfo(path, name, UNREADABLE, name_is_utf8=utf8, problem=problem))
                continue
            out.append(_describe(obj, path, name, utf8))
        out.sort(key=lambda info: info.name)
        return out

    def _follows_external(self, gid: LibraryHandle) -> bool:
        return bool(self._external_ok) and h5f.get_name(gid) in self._external_ok

    def object_key(self, node: LibraryHandle) -> Hashable:
        return hash(node.id)  # h5py hashes (file number, object address)

    def remove(self, node: LibraryHandle) -> None:
        del node.parent[self.node_name(node)]

    @_mapped
    def attr_names(self, node: LibraryHandle) -> list[str]:
        # names that are not UTF-8 come as bytes: surrogateescape round-trips them
        return [
            k.decode("utf-8", "surrogateescape") if isinstance(k, bytes) else k
            for k in node.attrs.keys()
        ]

    @_mapped
    def get_attr(self, node: LibraryHandle, name: str) -> LibraryValue:
        try:
            return read_attribute(node, name)
        except UnicodeEncodeError:
            return node.attrs[name.encode("utf-8", "surrogateescape")]

    def set_attr(self, node: LibraryHandle, name: str, value: object) -> None:
        if type(value) is str:
            _write_str_attr(node.id, name, value)
        else:
            node.attrs[name] = value

    @_mapped
    def has_attr(self, node: LibraryHandle, name: str) -> bool:
        return name in node.attrs

    def del_attr(self, node: LibraryHandle, name: str) -> None:
        del node.attrs[name]

    @_mapped
    def node_class(self, node: LibraryHandle) -> str:
        if isinstance(node, h5py.Group):
            return GROUP_CLASS
        # Read from the HDF5 type and dataspace: h5py's dtype and maxshape properties
        # build numpy objects this does not need.
        dsid = node.id
        tid = dsid.get_type()
        kind = tid.get_class()
        if kind in _OBJECT_TYPE_CLASSES or (kind == h5t.STRING and tid.is_variable_str()):
            return VLARRAY_CLASS
        space = dsid.get_space()
        if space.get_simple_extent_type() == h5s.SIMPLE:
            maxdims = space.get_simple_extent_dims(True)
            if maxdims and maxdims[0] == h5s.UNLIMITED:
                return EARRAY_CLASS
        return CARRAY_CLASS

    @_mapped
    def shape(self, array: LibraryHandle) -> tuple[int, ...]:
        return tuple(array.shape)

    @_mapped
    def dtype(self, array: LibraryHandle) -> np.dtype:
        base = h5py.check_vlen_dtype(array.dtype)
        out: np.dtype = np.dtype(base if base is not None else array.dtype)
        return out

    @_mapped
    def maxshape(self, array: LibraryHandle) -> tuple[int | None, ...]:
        return tuple(array.maxshape) if array.maxshape is not None else tuple(array.shape)

    @_mapped
    def chunks(self, array: LibraryHandle) -> tuple[int, ...] | None:
        return tuple(array.chunks) if array.chunks is not None else None

    @_mapped
    def read(self, array: LibraryHandle, selection: object = Ellipsis) -> LibraryValue:
        if h5py.check_vlen_dtype(array.dtype) is not None:
            rows = array[selection]
            return list(rows) if isinstance(rows, np.ndarray) and rows.dtype == object else rows
        if array.shape == () or (array.size == 0 and selection is Ellipsis):
            return array[()]
        return array[selection]

    def write(self, array: LibraryHandle, selection: object, value: object) -> None:
        if not _write_at_index(array, selection, value):
            array[selection] = value

    def append(self, array: LibraryHandle, rows: np.ndarray) -> None:
        n = array.shape[0]
        array.resize(n + rows.shape[0], axis=0)
        array[n:] = rows

    def resize(self, array: LibraryHandle, nrows: int) -> None:
        array.resize(nrows, axis=0)

    def vl_append(self, array: LibraryHandle, row: np.ndarray) -> None:
        n = array.shape[0]
        array.resize((n + 1,))
        array[n] = row


_LINK_KINDS = {h5l.TYPE_SOFT: SOFT_LINK, h5l.TYPE_EXTERNAL: EXTERNAL_LINK}


def _open_raw(loc_id: LibraryHandle, bname: bytes, readonly: bool) -> LibraryHandle:
    """:func:`_open` for a link name as stored (bytes, UTF-8 or not)."""
    oid = h5o.open(loc_id, bname)
    kind = h5i.get_type(oid)
    if kind == h5i.DATASET:
        return h5py.Dataset(oid, readonly=readonly)
    if kind == h5i.GROUP:
        return h5py.Group(oid)
    return h5py.Datatype(oid)


def _describe(obj: LibraryHandle, path: str, name: str, utf8: bool = True) -> NodeInfo:
    """The :class:`NodeInfo` of an open h5py object: attributes through the fast reader,
    array metadata from the dataset's own (cached) properties."""
    if isinstance(obj, h5py.Group):
        kind = GROUP
    elif isinstance(obj, h5py.Dataset):
        kind = ARRAY
    else:
        kind = DATATYPE
    try:
        key: Hashable = hash(obj.id)  # h5py hashes (file number, object address)
    except (TypeError, ValueError, OSError, RuntimeError):
        key = path
    info = NodeInfo(path, name, kind, obj, key, utf8)
    try:
        # one attribute manager per node: h5py builds a new one at each ``.attrs``
        names = list(obj.attrs.keys())
    except Exception as exc:
        info.problem = f"cannot list attributes: {exc}"
        names = []
    attrs = info.attrs
    for key_name in names:
        text = name_text(key_name)
        if isinstance(key_name, bytes):
            info.bad_attr_names.append(text)
        try:
            attrs[text] = read_attribute(obj, key_name)
        except Exception as exc:
            info.attr_errors[text] = f"{type(exc).__name__}: {exc}"
    if kind == ARRAY:
        try:
            _array_metadata(obj, info)
        except Exception as exc:  # a damaged dataspace, type or creation property list
            info.kind, info.problem = UNREADABLE, f"cannot read the array's metadata: {exc}"
    return info


def _array_metadata(ds: LibraryHandle, info: NodeInfo) -> None:
    info.shape = tuple(ds.shape or ())
    info.maxshape = tuple(ds.maxshape or ())
    dtype = ds.dtype
    base = h5py.check_vlen_dtype(dtype)
    info.vlen = base is not None and dtype.kind == "O"
    info.dtype = element_name(base if base is not None else dtype)
    info.chunks = ds.chunks
    info.compression = ds.compression
    if info.compression is not None:
        info.compression_opts = ds.compression_opts


def _write_at_index(array: LibraryHandle, selection: object, value: object) -> bool:
    """Write ``value`` at integer index(es) through h5py's low-level API; False to fall back.

    Acquisition loops write one point or one row per call; for such writes h5py's
    ``Dataset.__setitem__`` spends longer building the selection than HDF5 spends writing.
    Only the plain case is handled here (non-negative in-range ints, a numeric array of the
    dataset's dtype and exactly the selected shape); anything else goes through h5py.
    """
    if type(selection) is int:
        index: tuple[int, ...] = (selection,)
    elif type(selection) is tuple and all(type(i) is int for i in selection):
        index = selection
    elif type(selection) is slice or (
        type(selection) is tuple
        and selection
        and type(selection[-1]) is slice
        and all(type(i) is int for i in selection[:-1])
    ):
        return _write_block_at(array, selection, value)
    else:
        return False
    if type(value) is not np.ndarray or value.dtype.kind not in "biufc":
        return False
    dsid = array.id
    if value.dtype != dsid.dtype:
        return False
    fspace = dsid.get_space()
    shape = fspace.shape
    k = len(index)
    if k > len(shape) or value.shape != shape[k:] or 0 in shape:
        return False
    for i, n in zip(index, shape, strict=False):
        if not 0 <= i < n:
            return False
    rest = shape[k:]
    fspace.select_hyperslab(index + (0,) * len(rest), (1,) * k + rest)
    mshape = rest or (1,)
    data = value.reshape(mshape) if not rest else value
    if not data.flags.c_contiguous:
        data = np.ascontiguousarray(data)
    dsid.write(h5py.h5s.create_simple(mshape), fspace, data)
    return True


def _write_block_at(array: LibraryHandle, selection: object, value: object) -> bool:
    """Write a block of consecutive rows or points (``[start:stop]``, or ``[i, j0:j1]``
    after integer indexes) through the low-level API; False to fall back to h5py.

    Row buffers and scan point blocks are written this way at every flush: h5py's
    ``__setitem__`` builds selection objects per call (and keeps some of them alive).
    """
    lead: tuple[int, ...] = selection[:-1] if type(selection) is tuple else ()
    sl = cast(slice, selection[-1] if type(selection) is tuple else selection)
    if sl.step not in (None, 1) or type(sl.start) is not int or type(sl.stop) is not int:
        return False
    if type(value) is not np.ndarray or value.dtype.kind not in "biufc":
        return False
    dsid = array.id
    if value.dtype != dsid.dtype:
        return False
    fspace = dsid.get_space()
    shape = fspace.shape
    k = len(lead)
    start, stop = sl.start, sl.stop
    n = stop - start
    rest = shape[k + 1 :]
    if k >= len(shape) or n <= 0 or value.shape != (n, *rest):
        return False
    if not 0 <= start < stop <= shape[k]:
        return False
    for i, m in zip(lead, shape, strict=False):
        if not 0 <= i < m:
            return False
    fspace.select_hyperslab((*lead, start, *(0,) * len(rest)), (*(1,) * k, n, *rest))
    data = value if value.flags.c_contiguous else np.ascontiguousarray(value)
    dsid.write(h5py.h5s.create_simple(value.shape), fspace, data)
    return True
