"""The PyTables backend."""

from __future__ import annotations

import contextvars
import functools
import pickle
import types
import warnings
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import tables

from h5layout.runtime.errors import FileAccessError, LayoutError, UnsafeContentError
from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.storage.backends._base import (
    ARRAY,
    CARRAY_CLASS,
    EARRAY_CLASS,
    EXTERNAL_LINK,
    GROUP,
    GROUP_CLASS,
    SOFT_LINK,
    UNREADABLE,
    VLARRAY_CLASS,
    Backend,
    LibraryHandle,
    LibraryValue,
    NodeInfo,
    element_name,
    library_error,
)
from h5layout.runtime.storage.backends._tables_safety import tables_hazard
from h5layout.runtime.storage.probe import probe_file

_COMPLIB = {"gzip": "zlib", "zlib": "zlib", "lzo": "lzo", "bzip2": "bzip2", "blosc": "blosc"}


def _filters(storage: Storage | None) -> tables.Filters | None:
    if storage is None or not storage.compression:
        return None
    complib = _COMPLIB.get(storage.compression)
    if complib is None:
        raise ValueError(f"compression {storage.compression!r} is not available with PyTables")
    level = 5 if storage.level is None else storage.level
    # PyTables turns shuffle on by default when compressing; keep its default.
    return tables.Filters(
        complevel=level,
        complib=complib,
        shuffle=True if storage.shuffle is False else storage.shuffle,
    )


#: the VERSION attribute PyTables writes on its CArrays
_CARRAY_VERSION = tables.carray.obversion


def _contiguous_ok(
    data: np.ndarray, filters: tables.Filters | None, chunks: tuple[int, ...] | None
) -> bool:
    """Whether an array written whole may be stored contiguous rather than chunked.

    PyTables always chunks a CArray and fills each chunk when it is allocated, which makes
    writing a frame cost about 2.7 times a contiguous write (and reading it 1.7 times).
    The h5py backend and pymodaq_data's h5py backend store such arrays contiguous with
    ``CLASS='CARRAY'``, and PyTables opens those as CArrays; this backend does the same
    when nothing asks for chunks (no compression, no chunk shape) for numeric arrays. An
    empty array is always contiguous: PyTables cannot make a CArray with a zero dimension.
    """
    if data.ndim == 0 or data.dtype.kind not in "biufc":
        return False
    return data.size == 0 or (filters is None and chunks is None)


@contextmanager
def _quiet_types() -> Iterator[None]:
    """Silence PyTables' warning for attribute types it cannot read.

    h5py's booleans (such as ``swmr_active``) are HDF5 enums; PyTables reads them as
    None and warns, on open and on every read of the node's attributes.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tables.DataTypeWarning)
        yield


def _quiet_name(name: str) -> bool:
    """Names PyTables warns about (not Python identifiers)."""
    return not name.isidentifier()


# PyTables unpickles any string attribute that ends with "." as it reads a node (and the
# rows of VLArrays marked as object arrays), so opening a foreign file could run code from
# it. Its modules get a stand-in for ``pickle`` that refuses while h5layout is reading: a
# refused attribute comes back as its stored bytes, a refused array read raises
# UnsafeContentError. Outside h5layout's calls PyTables behaves as it always does.
_REFUSING = contextvars.ContextVar("h5layout_refusing_pickles", default=False)


class _PickleGate:
    """``pickle`` as PyTables sees it: ``loads`` refuses inside h5layout's calls."""

    def __getattr__(self, name: str) -> LibraryHandle:
        return getattr(pickle, name)

    @staticmethod
    def loads(data: bytes, *args: Any, **kwargs: Any) -> object:
        if _REFUSING.get():
            raise UnsafeContentError(
                "this node holds a pickled Python object; h5layout never unpickles file content"
            )
        # PyTables called by other code, not by h5layout: its own behaviour, unchanged
        return pickle.loads(data, *args, **kwargs)  # noqa: S301


def _install_pickle_gate() -> None:
    for module in (tables.attributeset, tables.atom):
        if not isinstance(module.pickle, _PickleGate):
            module.pickle = _PickleGate()


_install_pickle_gate()


def _unmapped_attr(node: LibraryHandle, name: str) -> LibraryHandle:
    """An attribute of a type PyTables cannot map, read from the file with h5py.

    h5py stores booleans (``swmr_active``, any ``np.bool_``) as an HDF5 enum that PyTables
    reads as None; h5py reads them as booleans. Only enums of integers are taken (other
    unmapped types stay None), and the file is opened read-only without locking, so the
    file PyTables holds is never changed. None when the file cannot be read that way.
    """
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is the default backend's library
        return None
    try:
        with h5py.File(node._v_file.filename, "r", locking=False) as f:
            attrs = f[node._v_pathname].attrs
            if not isinstance(attrs.get_id(name).get_type(), h5py.h5t.TypeEnumID):
                return None
            value = attrs[name]
    except (OSError, KeyError, TypeError, ValueError, RuntimeError):
        return None
    return value


_F = TypeVar("_F", bound=Callable[..., object])
_MISSING = object()


#: what PyTables and its HDF5 raise on a damaged or foreign file (HDF5ExtError is a
#: RuntimeError; SystemError and MemoryError come from its extension on absurd metadata)
_LIBRARY_ERRORS = (OSError, RuntimeError, SystemError, MemoryError)


def _no_pickles(fn: _F) -> _F:
    @functools.wraps(fn)
    def refusing(*args: object, **kwargs: object) -> LibraryHandle:
        _REFUSING.set(True)  # in the copy of the context ``guarded`` runs this in
        try:
            return fn(*args, **kwargs)
        except LayoutError:
            raise
        except RecursionError:
            raise
        except _LIBRARY_ERRORS as exc:
            raise FileAccessError(library_error(fn.__name__, exc)) from exc

    @functools.wraps(fn)
    def guarded(*args: object, **kwargs: object) -> LibraryHandle:
        # A copy of the context, not set/reset: nothing to undo, so a Ctrl-C landing
        # anywhere cannot leave PyTables refusing pickles for the rest of the process.
        return contextvars.copy_context().run(refusing, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def _refusing_pickles(cls: type) -> type:
    """Wrap every public method of ``cls`` (they are where PyTables loads nodes); the
    library's errors on a damaged file become :class:`FileAccessError`."""
    for name, value in list(vars(cls).items()):
        # plain functions only: a staticmethod or property wrapped here would change kind
        if isinstance(value, types.FunctionType) and not name.startswith("__"):
            setattr(cls, name, _no_pickles(value))
    return cls


def _refuse_unsafe(path: str) -> None:
    """Raise :class:`FileAccessError` for a file PyTables cannot open, or would crash on.

    Decided from verified facts (see :mod:`h5layout.runtime.storage.probe` and
    :mod:`h5layout.runtime.storage.backends._tables_safety`): a damaged superblock; a version 3
    superblock flagged open by a writer (HDF5 refuses it; earlier versions carry the flag
    harmlessly and open); names and attribute encodings that crash PyTables.
    """
    probe = probe_file(path)
    if not probe.exists or not probe.is_hdf5:
        return  # PyTables' own error (no such file, not HDF5) is mapped by the caller
    if probe.checksum_ok is False:
        raise FileAccessError(f"{path}: cannot open: {probe.problem()}")
    if probe.refused_by_plain_readers:
        raise FileAccessError(f"{path}: {probe.writer_left_message(swmr_reader_available=False)}")
    if probe.problem() is None:
        hazard = tables_hazard(path, probe)
        if hazard is not None:
            raise FileAccessError(f"{path}: {hazard}")


def _through_external_link(file: LibraryHandle, path: str) -> bool:
    """Whether a group on the way to ``path`` is an external link (PyTables lets HDF5
    follow it and gives the node as if it were in this file)."""
    parts = [p for p in path.split("/") if p]
    where = ""
    with _quiet_types():
        for part in parts[:-1]:
            where += "/" + part
            try:
                if isinstance(file.get_node(where), tables.link.ExternalLink):
                    return True
            except tables.NoSuchNodeError:
                return False
    return False


@_refusing_pickles
class TablesBackend(Backend):
    """Files through PyTables."""

    name = "tables"
    swmr_capable = False
    # Without dense attribute storage (PyTables' files) HDF5 keeps each attribute in one
    # object header message of at most 64 KiB: value and name may take 65,511 bytes
    # (measured, PyTables 3.10 / HDF5 1.14); the savers refuse more, with a margin, before
    # writing. h5py stores str attributes as variable-length strings: no such limit.
    max_attr_bytes = 65_000

    def __init__(self) -> None:
        #: ids of the open files whose external links are followed (opted in)
        self._external_ok: set[int] = set()

    def open(
        self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: object
    ) -> LibraryHandle:
        if mode in ("r", "a", "r+"):
            _refuse_unsafe(path)
        kwargs.pop("locking", None)
        external = bool(kwargs.pop("external_links", False))
        try:
            with _quiet_types():
                if mode == "w":
                    file = tables.open_file(path, mode, title=title, **kwargs)
                else:
                    file = tables.open_file(path, mode, **kwargs)
            if external:
                self._external_ok.add(id(file))
            return file
        except (FileAccessError, UnsafeContentError):
            raise
        except (OSError, RuntimeError, ValueError, KeyError, MemoryError, SystemError) as exc:
            # HDF5ExtError (a RuntimeError) and friends: a damaged or foreign file
            raise FileAccessError(f"{path}: {library_error(f'open {mode!r}', exc)}") from exc

    def close(self, file: LibraryHandle) -> None:
        self._external_ok.discard(id(file))
        if file.isopen:
            file.close()

    def flush(self, file: LibraryHandle) -> None:
        if file.isopen and file.mode != "r":
            file.flush()

    def is_open(self, file: LibraryHandle) -> bool:
        return bool(file is not None and file.isopen)

    def filename(self, file: LibraryHandle) -> str:
        return str(file.filename)

    def root(self, file: LibraryHandle) -> LibraryHandle:
        return file.root

    def file_of(self, node: LibraryHandle) -> LibraryHandle:
        return node._v_file

    def is_writable(self, file: LibraryHandle) -> bool:
        return bool(file.mode != "r")

    def get(self, file: LibraryHandle, path: str) -> LibraryHandle:
        try:
            with _quiet_types():  # loading a node reads its attributes (h5py's bool enums)
                node = file.get_node(path)
        except tables.NoSuchNodeError as exc:
            raise KeyError(path) from exc
        if isinstance(node, tables.link.Link):
            node = self._resolve(node)
            if node is None:  # dangling, looping, or external and not opted in
                raise KeyError(path)
        elif id(file) not in self._external_ok and _through_external_link(file, path):
            # HDF5 went through an external link in the path, into another file
            raise KeyError(path)
        return node

    def is_group(self, node: LibraryHandle) -> bool:
        return isinstance(node, tables.Group)

    def node_name(self, node: LibraryHandle) -> str:
        return str(node._v_name)

    def node_path(self, node: LibraryHandle) -> str:
        return str(node._v_pathname)

    def parent(self, node: LibraryHandle) -> LibraryHandle:
        parent = node._v_parent
        return node if parent is None or parent is node._v_file else parent

    def children(self, group: LibraryHandle) -> dict[str, LibraryHandle]:
        kids = group._v_children
        out: dict[str, LibraryHandle] = {}
        with _quiet_types():  # loading a node reads its attributes (h5py's bool enums)
            for name in sorted(kids):
                node = kids[name]
                if isinstance(node, tables.link.Link):
                    node = self._resolve(node)
                    if node is None:
                        continue
                out[name] = node
        return out

    def _resolve(self, link: LibraryHandle) -> LibraryHandle:
        """The node a soft link points to (None when dangling or looping); external links
        only when the file was opened with ``external_links=True``."""
        if isinstance(link, tables.link.ExternalLink):
            if id(link._v_file) not in self._external_ok:
                return None
            target = str(link.target)
            filename = target.split(":", 1)[0]
            _refuse_unsafe(filename)
            try:
                node = link(mode="r")
            except Exception:  # an unreachable or unreadable target file
                return None
        else:
            try:
                node = link()
            except Exception:  # dangling, or a target PyTables cannot load
                return None
        return node if isinstance(node, tables.Group | tables.Leaf) else None

    def object_key(self, node: LibraryHandle) -> Hashable:
        return (id(node._v_file), node._get_obj_info().addr)

    def describe(self, node: LibraryHandle) -> NodeInfo:
        return self._describe(node, str(node._v_pathname), str(node._v_name))

    def scan(self, group: LibraryHandle) -> list[NodeInfo]:
        base = str(group._v_pathname).rstrip("/")
        kids = group._v_children
        out: list[NodeInfo] = []
        with _quiet_types():  # loading a node reads its attributes (h5py's bool enums)
            for name in sorted(kids):
                path = f"{base}/{name}"
                try:
                    node = kids[name]
                except Exception as exc:  # PyTables loads the node here
                    problem = f"cannot open the node: {exc}"
                    out.append(NodeInfo(path, name, UNREADABLE, problem=problem))
                    continue
                if isinstance(node, tables.link.Link):
                    external = isinstance(node, tables.link.ExternalLink)
                    out.append(NodeInfo(path, name, EXTERNAL_LINK if external else SOFT_LINK))
                    continue
                out.append(self._describe(node, path, name))
        return out

    def _describe(self, node: LibraryHandle, path: str, name: str) -> NodeInfo:
        try:
            key: Hashable = self.object_key(node)
        except Exception:
            key = path
        is_group = isinstance(node, tables.Group)
        info = NodeInfo(path, name, GROUP if is_group else ARRAY, node, key)
        try:
            names = self.attr_names(node)
        except Exception as exc:
            info.problem = f"cannot list attributes: {exc}"
            names = []
        for attr in names:
            try:
                info.attrs[attr] = self.get_attr(node, attr)
            except (UnsafeContentError, FileAccessError) as exc:
                info.attr_errors[attr] = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                info.attr_errors[attr] = f"{type(exc).__name__}: {exc}"
        if not is_group:
            try:
                self._array_metadata(node, info)
            except Exception as exc:
                info.kind, info.problem = UNREADABLE, f"cannot read the array's metadata: {exc}"
        return info

    def _array_metadata(self, array: LibraryHandle, info: NodeInfo) -> None:
        info.shape = self.shape(array)
        extdim = getattr(array, "extdim", -1)  # the enlargeable dimension (EArrays)
        if isinstance(array, tables.VLArray):
            info.maxshape = (None,)
            info.vlen = True
        elif isinstance(array, tables.EArray) and 0 <= extdim < len(info.shape):
            info.maxshape = tuple(None if i == extdim else n for i, n in enumerate(info.shape))
        else:
            info.maxshape = info.shape
        atom = getattr(array, "atom", None)
        if atom is not None:
            kind = getattr(atom, "kind", "")
            info.dtype = "str" if kind == "vlstring" else element_name(self.dtype(array))
        else:
            info.dtype = element_name(getattr(array, "dtype", ""))
        info.chunks = self.chunks(array)
        filters = getattr(array, "filters", None)
        if filters is not None and filters.complevel:
            lib = str(filters.complib)
            info.compression = "gzip" if lib == "zlib" else lib
            info.compression_opts = int(filters.complevel)

    def remove(self, node: LibraryHandle) -> None:
        node._f_remove(recursive=True)

    def attr_names(self, node: LibraryHandle) -> list[str]:
        return list(node._v_attrs._f_list("all"))

    def get_attr(self, node: LibraryHandle, name: str) -> LibraryValue:
        attrs = node._v_attrs
        if name not in attrs._v_attrnames:
            raise KeyError(name)
        # PyTables reads every attribute when it loads a node and keeps the values in the
        # attribute set's __dict__: take it from there (the name is known to be an attribute).
        value = attrs.__dict__.get(name, _MISSING)
        if value is _MISSING:
            with warnings.catch_warnings():
                # HDF5 types PyTables cannot map (h5py's bool enum of swmr_active) still read.
                warnings.simplefilter("ignore", tables.DataTypeWarning)
                value = attrs[name]
        if value is None:  # PyTables' answer for a type it cannot map (it stores no None)
            value = _unmapped_attr(node, name)
            if value is not None:
                attrs.__dict__[name] = value  # PyTables' own cache: read once per open
        return value

    def set_attr(self, node: LibraryHandle, name: str, value: object) -> None:
        if _quiet_name(name):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", tables.NaturalNameWarning)
                node._v_attrs[name] = value
        else:
            node._v_attrs[name] = value

    def has_attr(self, node: LibraryHandle, name: str) -> bool:
        with _quiet_types():
            return name in node._v_attrs._v_attrnames

    def del_attr(self, node: LibraryHandle, name: str) -> None:
        node._f_delattr(name)

    def _create(
        self, fn: Callable[..., LibraryHandle], name: str, *args: object, **kwargs: object
    ) -> LibraryHandle:
        if _quiet_name(name):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", tables.NaturalNameWarning)
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    def create_group(self, parent: LibraryHandle, name: str, title: str) -> LibraryHandle:
        f = parent._v_file
        return self._create(f.create_group, name, parent, name, title=title)

    def create_carray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        data: np.ndarray | None,
        shape: tuple[int, ...] | None = None,
        dtype: np.dtype | None = None,
        fill_value: object = None,
        title: str = "",
        storage: Storage | None = None,
    ) -> LibraryHandle:
        f = parent._v_file
        filters = _filters(storage)
        chunks = None if storage is None or isinstance(storage.chunks, str) else storage.chunks
        if data is not None:
            data = np.asarray(data)
            atom = tables.Atom.from_dtype(data.dtype)
            if _contiguous_ok(data, filters, chunks):
                node = self._create(f.create_array, name, parent, name, obj=data, title=title)
                # What PyTables writes on a CArray: CLASS and VERSION, and no FLAVOR. Its
                # low-level calls, as the node is loaded again right after (which rebuilds
                # the attribute set PyTables keeps in Python).
                attrs = node._v_attrs
                attrs._g_setattr(node, "CLASS", np.bytes_(CARRAY_CLASS.encode()))
                attrs._g_setattr(node, "VERSION", np.bytes_(_CARRAY_VERSION.encode()))
                attrs._g_remove(node, "FLAVOR")
                # Loaded again, PyTables gives the CArray any later session sees (copies
                # and attribute lists then match).
                node._f_close()
                return parent._f_get_child(name)
            node = self._create(
                f.create_carray,
                name,
                parent,
                name,
                atom=atom,
                shape=data.shape,
                title=title,
                filters=filters,
                chunkshape=chunks,
            )
            if data.size:
                node[...] = data
            return node
        atom = tables.Atom.from_dtype(
            np.dtype(dtype), dflt=fill_value if fill_value is not None else 0
        )
        return self._create(
            f.create_carray,
            name,
            parent,
            name,
            atom=atom,
            shape=shape,
            title=title,
            filters=filters,
            chunkshape=chunks,
        )

    def create_earray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        dtype: np.dtype,
        row_shape: tuple[int, ...],
        title: str = "",
        storage: Storage | None = None,
        expected_rows: int | None = None,
    ) -> LibraryHandle:
        f = parent._v_file
        chunks = None if storage is None or isinstance(storage.chunks, str) else storage.chunks
        return self._create(
            f.create_earray,
            name,
            parent,
            name,
            atom=tables.Atom.from_dtype(np.dtype(dtype)),
            shape=(0, *row_shape),
            title=title,
            filters=_filters(storage),
            chunkshape=chunks,
            expectedrows=expected_rows or 1000,
        )

    def create_vlarray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        dtype: np.dtype,
        title: str = "",
        storage: Storage | None = None,
    ) -> LibraryHandle:
        f = parent._v_file
        return self._create(
            f.create_vlarray,
            name,
            parent,
            name,
            atom=tables.Atom.from_dtype(np.dtype(dtype)),
            title=title,
            filters=_filters(storage),
        )

    def node_class(self, node: LibraryHandle) -> str:
        if isinstance(node, tables.Group):
            return GROUP_CLASS
        if isinstance(node, tables.VLArray):
            return VLARRAY_CLASS
        if isinstance(node, tables.EArray):
            return EARRAY_CLASS
        return CARRAY_CLASS

    def shape(self, array: LibraryHandle) -> tuple[int, ...]:
        return tuple(int(n) for n in array.shape)

    def dtype(self, array: LibraryHandle) -> np.dtype:
        out: np.dtype = np.dtype(array.atom.dtype.base if array.atom.shape else array.atom.dtype)
        return out

    def maxshape(self, array: LibraryHandle) -> tuple[int | None, ...]:
        if isinstance(array, tables.EArray | tables.VLArray):
            return (None, *(int(n) for n in array.shape[1:]))
        return self.shape(array)

    def chunks(self, array: LibraryHandle) -> tuple[int, ...] | None:
        cs = getattr(array, "chunkshape", None)
        return tuple(int(n) for n in cs) if cs is not None else None

    def read(self, array: LibraryHandle, selection: object = Ellipsis) -> LibraryValue:
        if isinstance(array, tables.VLArray):
            if selection is Ellipsis:
                return list(array.read())
            return array[selection]
        if selection is Ellipsis:
            return array.read()
        return array[selection]

    def write(self, array: LibraryHandle, selection: object, value: object) -> None:
        array[selection] = value

    def append(self, array: LibraryHandle, rows: np.ndarray) -> None:
        array.append(rows)

    def resize(self, array: LibraryHandle, nrows: int) -> None:
        n = int(array.nrows)
        if nrows < n:
            array.truncate(nrows)
        elif nrows > n:
            fill = np.zeros((nrows - n, *array.shape[1:]), dtype=array.atom.dtype)
            array.append(fill)

    def vl_append(self, array: LibraryHandle, row: np.ndarray) -> None:
        array.append(row)


def trial_read(path: str) -> None:
    """Open ``path`` with PyTables and load every node and its attributes: what
    :mod:`._tables_safety` runs in a child process before the parent opens a suspect file.

    Pickled attributes are refused as in the backend itself: nothing of the file runs.
    """
    warnings.simplefilter("ignore")
    token = _REFUSING.set(True)
    try:
        with tables.open_file(path, "r") as f:
            for node in f.walk_nodes("/"):
                node._v_attrs._f_list("all")
    except Exception:  # an error is PyTables' own answer, to be raised in the parent
        pass
    finally:
        _REFUSING.reset(token)
