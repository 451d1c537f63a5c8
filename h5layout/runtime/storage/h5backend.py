"""One open file, any backend: :class:`H5Backend` (the pymodaq_data method set) and the
node wrappers it hands out.

``GROUP``, ``CARRAY``, ``EARRAY``, ``VLARRAY`` and ``StringARRAY`` wrap a library's raw
object; :class:`Attributes` gives its attributes decoded (the pymodaq JSON envelope and
native attributes alike) and encodes what is written. Facade and wrappers are one module
because each makes the other: the facade wraps the nodes it returns, and
:meth:`Node.to_h5_backend` gives a facade over a node's file.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from functools import cache
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np
import numpy.typing as npt

from h5layout.runtime.codec.attrs import encode_json, read_attr
from h5layout.runtime.codec.strings import decode_string_row, encode_string_row
from h5layout.runtime.errors import (
    BackendError,
    DataValueError,
    FileAccessError,
    InvalidGroupType,
    NodeError,
)
from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.model.enums import GroupType, GroupTypeLike
from h5layout.runtime.storage.backends import (
    CARRAY_CLASS,
    DEFAULT_BACKEND,
    EARRAY_CLASS,
    GROUP_CLASS,
    VLARRAY_CLASS,
    Backend,
    LibraryHandle,
    LibraryValue,
    get_backend,
)
from h5layout.runtime.storage.bookkeeping import reconcile
from h5layout.runtime.storage.growing import LIVE_ATTRS, PENDING, pending

#: attributes stored natively (never in the JSON envelope) when set through Attributes
NATIVE_ATTRS = frozenset({"CLASS", "EXTDIM", "VERSION", "PYTABLES_FORMAT_VERSION", "swmr_active"})


def _backend_of(backend: str | Backend) -> Backend:
    return get_backend(backend) if isinstance(backend, str) else backend


class Attributes:
    """The attributes of one node, decoded on read and JSON-encoded on write."""

    __slots__ = ("_backend", "_raw")

    def __init__(self, node: Node | LibraryHandle, backend: str | Backend = "h5py") -> None:
        self._raw = node.node if isinstance(node, Node) else node
        self._backend = _backend_of(backend)

    @property
    def node(self) -> Node:
        """The node these attributes belong to (a wrapper made on each call)."""
        return wrap(self._raw, self._backend)

    @staticmethod
    def _key(key: str) -> str:
        return "TITLE" if key == "title" else key

    def __getitem__(self, key: str) -> object:
        key = self._key(key)
        if PENDING and key in LIVE_ATTRS:  # bookkeeping of a writing session, not yet on disk
            live = pending(self._raw)
            if live is not None:
                value = live.live_attr(key)
                if value is not None:
                    return value
        try:
            raw = self._backend.get_attr(self._raw, key)
        except KeyError:
            raise KeyError(
                f"{self._backend.node_path(self._raw)} has no attribute {key!r}"
            ) from None
        return read_attr(raw)

    def __setitem__(self, key: str, value: object) -> None:
        key = self._key(key)
        if key in NATIVE_ATTRS:
            self._backend.set_attr(self._raw, key, value)
        else:
            self._backend.set_attr(self._raw, key, encode_json(value))

    def __delitem__(self, key: str) -> None:
        self._backend.del_attr(self._raw, self._key(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._backend.has_attr(self._raw, self._key(key))

    def __iter__(self) -> Iterator[str]:
        return iter(self.attrs_name)

    def __len__(self) -> int:
        return len(self.attrs_name)

    def get(self, key: str, default: object = None) -> object:
        """Decoded value, or ``default`` when absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def set_native(self, key: str, value: object) -> None:
        """Store a value as a native attribute (no JSON envelope)."""
        self._backend.set_attr(self._raw, self._key(key), value)

    def raw(self, key: str) -> LibraryValue:
        """The stored value, undecoded."""
        return self._backend.get_attr(self._raw, self._key(key))

    @property
    def attrs_name(self) -> list[str]:
        """Names of every attribute."""
        return self._backend.attr_names(self._raw)

    def to_dict(self) -> dict[str, object]:
        """Every attribute, decoded."""
        return {name: self[name] for name in self.attrs_name}

    def __repr__(self) -> str:
        return f"Attributes({self.to_dict()!r})"


class Node:
    """Any node of a file.

    ``Node(wrapper)`` wraps the wrapper's raw node again (``Node(Node(x)).node is x``), on
    the wrapper's backend unless ``backend`` names another.
    """

    def __init__(self, node: Node | LibraryHandle, backend: str | Backend | None = None) -> None:
        if isinstance(node, Node):
            if backend is None:
                backend = node.backend_impl
            node = node.node
        self._node: LibraryHandle = node
        self._backend: Backend = _backend_of("h5py" if backend is None else backend)
        self._attrs = Attributes(node, self._backend)
        self._path: str | None = None

    @property
    def node(self) -> LibraryHandle:
        """The library's raw object."""
        return self._node

    @property
    def backend(self) -> str:
        """Name of the backend."""
        return self._backend.name

    @property
    def backend_impl(self) -> Backend:
        """The backend adapter."""
        return self._backend

    @property
    def attrs(self) -> Attributes:
        """The node's attributes."""
        return self._attrs

    @property
    def name(self) -> str:
        """Last component of the path."""
        return self._backend.node_name(self._node)

    @property
    def path(self) -> str:
        """Absolute path."""
        # Asked on every save (cache keys); h5py computes it with an HDF5 call each time.
        # The runtime never moves nodes, so a wrapper's path is fixed once known.
        if self._path is None:
            self._path = self._backend.node_path(self._node)
        return self._path

    @property
    def title(self) -> str:
        """The ``TITLE`` attribute ('' when absent)."""
        value = self._attrs.get("TITLE", "")
        return "" if value is None else str(value)

    @property
    def parent_node(self) -> GROUP | None:
        """The parent group (None for the root)."""
        if self.path == "/":
            return None
        return wrap(self._backend.parent(self._node), self._backend)  # type: ignore[return-value]

    @property
    def h5file(self) -> LibraryHandle:
        """The library's file object."""
        return self._backend.file_of(self._node)

    def to_h5_backend(self) -> H5Backend:
        """An :class:`H5Backend` on the same open file."""
        h5 = H5Backend(self.backend)
        h5._file = self.h5file
        h5._owns_file = False  # a view: garbage collection must not close the caller's file
        return h5

    def set_attr(self, key: str, value: object) -> None:
        """JSON-encode and store an attribute."""
        self._attrs[key] = value

    def get_attr(self, key: str) -> object:
        """Decoded attribute value."""
        return self._attrs[key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and self._node == other._node

    def __hash__(self) -> int:
        return hash((self.backend, self.path))

    def _class_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{self.path} ({self._class_name()}) {self.title!r}"


class GROUP(Node):
    """A group."""

    def children(self) -> dict[str, Node]:
        """Children by name (sorted by name)."""
        return {k: wrap(v, self._backend) for k, v in self._backend.children(self._node).items()}

    def children_name(self) -> list[str]:
        """Sorted names of the children."""
        return sorted(self._backend.children(self._node))

    def get_child(self, name: str) -> Node:
        """The child called ``name`` (``NodeError`` when absent)."""
        kids = self._backend.children(self._node)
        if name not in kids:
            raise NodeError(f"{self.path} has no child {name!r}")
        return wrap(kids[name], self._backend)

    def remove_children(self) -> None:
        """Delete every child."""
        for child in list(self._backend.children(self._node).values()):
            self._backend.remove(child)

    def __repr__(self) -> str:
        kids = self._backend.children(self._node)
        listing = ", ".join(f"{k!r} ({self._backend.node_class(v)})" for k, v in kids.items())
        return f"{super().__repr__()}\n  children := [{listing}]"


class CARRAY(Node):
    """A fixed-size array."""

    @property
    def array(self) -> LibraryHandle:
        """The library's raw dataset."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        """Actual shape of the dataset (rows written so far while a saver grows it)."""
        shape = self._backend.shape(self._node)
        if PENDING and shape:
            live = pending(self._node)
            if live is not None:
                return (live.rows, *shape[1:])
        return shape

    @property
    def dtype(self) -> np.dtype:
        """Element dtype."""
        return self._backend.dtype(self._node)

    def _reserved(self) -> int | None:
        """Rows written so far when a saver holds rows reserved past them, else None.

        Rows a saver still buffers are written first (and, with a background writer,
        waited for): what is read is what was appended.
        """
        live = pending(self._node) if PENDING else None
        if live is None:
            return None
        live.settle()
        return live.rows if live.capacity > live.rows else None

    def read(self) -> LibraryValue:
        """The whole array."""
        rows = self._reserved()
        if rows is not None:
            return self._backend.read(self._node, slice(0, rows))
        return self._backend.read(self._node)

    def __getitem__(self, item: object) -> LibraryValue:
        if self._reserved() is not None:
            return self.read()[item]
        return self._backend.read(self._node, item)

    def __setitem__(self, key: object, value: object) -> None:
        self._backend.write(self._node, key, value)

    def __len__(self) -> int:
        shape = self.shape
        return shape[0] if shape else 0


class EARRAY(CARRAY):
    """An array that grows along its first dimension."""

    def _row_shape(self) -> tuple[int, ...]:
        return self.shape[1:]

    def _swmr_on(self) -> bool:
        return bool(getattr(self.h5file, "swmr_mode", False))

    def _rows(self, data: np.ndarray, expand: bool) -> np.ndarray:
        row_shape = self._row_shape()
        if data.shape == row_shape:
            return data.reshape((1, *row_shape))
        if data.shape[1:] == row_shape:
            return data
        if expand and data.ndim == 1 and row_shape == (1,):
            return data.reshape((-1, 1))  # n values of 0D data: n rows, as pymodaq_data does
        if expand and data.size == int(np.prod(row_shape, dtype=np.int64)):
            return data.reshape((1, *row_shape))
        raise DataValueError(
            f"{self.path}: cannot append data of shape {data.shape} to rows of shape {row_shape}"
        )

    def append(self, data: np.ndarray, expand: bool = True) -> None:
        """Append one row (data shaped as a row) or several (``(n, *row_shape)``)."""
        if not isinstance(data, np.ndarray):
            raise DataValueError(
                f"{self.path}: append needs a numpy array, got {type(data).__name__}"
            )
        self.append_backend(self._rows(data, expand))

    def append_backend(self, rows: np.ndarray) -> None:
        """Append rows already shaped ``(n, *row_shape)`` and update ``shape``."""
        self._backend.append(self._node, rows)
        if not self._swmr_on():
            self._attrs["shape"] = self.shape


class VLARRAY(EARRAY):
    """An array of variable-length rows."""

    def append(self, data: npt.ArrayLike, expand: bool = True) -> None:
        """Append exactly one row."""
        self._backend.vl_append(self._node, np.asarray(data, dtype=self.dtype))
        if not self._swmr_on():
            self._attrs["shape"] = self.shape


class StringARRAY(VLARRAY):
    """Strings, one per row, stored as PyMoDAQ does (read without unpickling)."""

    def append(self, data: object, expand: bool = True) -> None:
        """Append one string."""
        if not isinstance(data, str):
            raise DataValueError(
                f"{self.path}: a string array takes str, got {type(data).__name__}"
            )
        super().append(self.string_to_array(data))

    @staticmethod
    def string_to_array(text: str) -> np.ndarray:
        """The uint8 row PyMoDAQ stores for ``text``."""
        return encode_string_row(text)

    def array_to_string(self, row: bytes | np.ndarray) -> str:
        """The string a row holds (``UnsafeContentError`` for anything else)."""
        return decode_string_row(row, self.path)

    def read(self) -> list[str]:
        """Every string."""
        return [self.array_to_string(row) for row in self._backend.read(self._node)]

    def __getitem__(self, item: object) -> LibraryValue:
        rows = self._backend.read(self._node, item)
        if isinstance(item, slice):
            return [self.array_to_string(r) for r in rows]
        return self.array_to_string(rows)


_CLASS_MAP: dict[str, type[Node]] = {
    GROUP_CLASS: GROUP,
    CARRAY_CLASS: CARRAY,
    EARRAY_CLASS: EARRAY,
    VLARRAY_CLASS: VLARRAY,
}


def wrap(raw: LibraryHandle, backend: str | Backend) -> Node:
    """The wrapper matching a raw node.

    The class comes from the storage itself (group; variable-length rows; unlimited first
    dimension; else fixed), which is what ``CLASS`` says in every file PyMoDAQ's writers
    and h5layout make: no attribute is read on the way, except ``subdtype`` to tell
    string arrays from other variable-length arrays.
    """
    be = _backend_of(backend)
    cls = be.node_class(raw)
    if cls == VLARRAY_CLASS:
        try:
            sub = read_attr(be.get_attr(raw, "subdtype"))
        except KeyError:
            sub = ""
        if sub == "string":
            return StringARRAY(raw, be)
    return _CLASS_MAP[cls](raw, be)


def iter_tree(root: GROUP) -> Iterator[tuple[int, Node, bool]]:
    """``(depth, node, repeated)`` for ``root`` and every node below it, depth first,
    children in name order, without recursion (any depth).

    A group reached again through another link (a hard-link cycle, a soft link to an
    ancestor, two hard links to one group) comes with ``repeated=True`` and is not
    descended into, so the walk always ends.
    """
    impl = root.backend_impl
    seen = {impl.object_key(root.node)}
    stack: list[tuple[int, LibraryHandle, bool]] = [(0, root.node, False)]
    while stack:
        depth, raw, repeated = stack.pop()
        yield depth, wrap(raw, impl), repeated
        if repeated or not impl.is_group(raw):
            continue
        items = []
        for kid in impl.children(raw).values():
            again = False
            if impl.is_group(kid):
                key = impl.object_key(kid)
                again = key in seen
                seen.add(key)
            items.append((depth + 1, kid, again))
        stack.extend(reversed(items))


def printable(text: str) -> str:
    """``text`` safe to print on any terminal: names that are not UTF-8 (kept as lone
    surrogates) are shown escaped, ``\\udcff``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# ------------------------------------------------------------------------ the file facade


#: the file-format version written as ``pymodaq_data_version`` when pymodaq_data is absent
PYMODAQ_DATA_FORMAT_VERSION = "5.3.0"
#: written as ``pymodaq_version`` when pymodaq is absent: PyMoDAQ's browser refuses < 4.0
PYMODAQ_FORMAT_VERSION = "5.0.0"

_GROUP_TYPES = frozenset(GroupType.names())


@cache
def installed_version(dist: str, fallback: str) -> str:
    """The installed version of ``dist``, ``fallback`` when it is not installed."""
    try:
        return importlib_metadata.version(dist)
    except importlib_metadata.PackageNotFoundError:
        return fallback


def pymodaq_version() -> str:
    """The ``pymodaq_version`` root attribute: PyMoDAQ's version, never below 4.0 (PyMoDAQ's
    browser refuses such files; pymodaq_data writes ``0.0.0`` without PyMoDAQ)."""
    version = installed_version("pymodaq", PYMODAQ_FORMAT_VERSION)
    major = version.split(".", 1)[0]
    return version if major.isdigit() and int(major) >= 4 else PYMODAQ_FORMAT_VERSION


def writable_group_type(group_type: object) -> str:
    """The ``type`` name of a group about to be written (``'detector'`` from
    ``GroupType.detector``, ``'detector'`` or ``'Detector'``).

    Raises :class:`InvalidGroupType` (also a ``ValueError``) for any other type: writers
    only create the group types readers know. Files holding foreign types still read.
    """
    name = getattr(group_type, "name", group_type)
    if not isinstance(name, str) or name.lower() not in _GROUP_TYPES:
        raise InvalidGroupType(
            f"unknown group type {group_type!r}; known: {', '.join(GroupType.names())}"
        )
    return name.lower()


def _first_visits(
    impl: Backend, groups: list[LibraryHandle], seen: set[Hashable]
) -> list[LibraryHandle]:
    """The groups of ``groups`` not walked yet (adds them to ``seen``)."""
    out = []
    for raw in groups:
        key = impl.object_key(raw)
        if key not in seen:
            seen.add(key)
            out.append(raw)
    return out


def capitalize(name: str) -> str:
    """Upper-case the first character only (PyMoDAQ's naming rule)."""
    return name[:1].upper() + name[1:]


def join_path(where: str, name: str) -> str:
    """``where/name`` without doubled slashes."""
    return "/" + name.lstrip("/") if where in ("", "/") else where.rstrip("/") + "/" + name


class H5Backend:
    """An HDF5 file opened through one of the backends (``'h5py'``, ``'tables'``)."""

    def __init__(self, backend: str = DEFAULT_BACKEND) -> None:
        self._file: LibraryHandle = None
        # False for views made by Node.to_h5_backend: dropping them must not close the file
        self._owns_file = True
        self._impl: Backend = get_backend(backend)
        self._swmr_mode = False
        self._storage = Storage()

    # -- backend -----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """Name of the backend in use."""
        return self._impl.name

    @property
    def backend_impl(self) -> Backend:
        """The backend adapter."""
        return self._impl

    def set_backend(self, backend: str) -> None:
        """Switch backend (closes any open file; ``BackendError`` for unknown names)."""
        impl = get_backend(backend)
        if self.isopen():
            self.close_file()
        self._impl = impl

    # -- files -------------------------------------------------------------------------
    @property
    def h5file(self) -> LibraryHandle:
        """The library's file object (None when closed)."""
        return self._file

    @property
    def filename(self) -> str:
        """Path of the open file ('' when closed)."""
        return self._impl.filename(self._file) if self._file is not None else ""

    @property
    def swmr_mode(self) -> bool:
        """Whether the file was opened with ``swmr_mode=True``."""
        return self._swmr_mode

    def open_file(
        self,
        fullpathname: str | Path,
        mode: str = "r",
        title: str = "PyMoDAQ file",
        swmr_mode: bool = False,
        **kwargs: object,
    ) -> LibraryHandle:
        """Open a file (``'r'``, ``'a'``, ``'w'``); a new file gets its root attributes
        (``TITLE``, ``pymodaq_version``, ``pymodaq_data_version``, as pymodaq_data's)."""
        if swmr_mode and not self._impl.swmr_capable:
            swmr_mode = False  # PyTables ignores SWMR, as the reference does
        path = str(fullpathname)
        try:
            self._file = self._impl.open(path, mode, title=title, swmr_mode=swmr_mode, **kwargs)
        except FileAccessError:
            raise
        except OSError as exc:
            raise FileAccessError(f"{path}: cannot open ({mode!r}): {exc}") from exc
        self._swmr_mode = swmr_mode
        if mode == "w":
            root = self._impl.root(self._file)
            if self._impl.name != "tables":
                # PyTables writes these natively when it creates the file.
                self._impl.set_attr(root, "CLASS", "GROUP")
                self._impl.set_attr(root, "TITLE", encode_json(title))
            self._impl.set_attr(root, "pymodaq_version", encode_json(pymodaq_version()))
            self._impl.set_attr(
                root,
                "pymodaq_data_version",
                encode_json(installed_version("pymodaq_data", PYMODAQ_DATA_FORMAT_VERSION)),
            )
            if swmr_mode:
                self._impl.set_attr(root, "swmr_compatible", encode_json(True))
        return self._file

    def close_file(self) -> None:
        """Flush and close (no-op when closed)."""
        if self._file is not None and self._impl.is_open(self._file):
            self._impl.close(self._file)
        self._file = None
        self._swmr_mode = False

    def isopen(self) -> bool:
        """Whether a file is open."""
        return self._file is not None and self._impl.is_open(self._file)

    def flush(self) -> None:
        """Hand buffered data to the operating system."""
        if self.isopen():
            self._impl.flush(self._file)

    def _require_open(self) -> LibraryHandle:
        if not self.isopen():
            raise FileAccessError("no file is open")
        return self._file

    def root(self) -> GROUP:
        """The root group."""
        return GROUP(self._impl.root(self._require_open()), self._impl)

    def save_file_as(self, filenamepath: str | Path = "h5copy.txt") -> None:
        """Write a copy of the whole file to ``filenamepath`` (both backends)."""
        target = Path(filenamepath)
        if target.resolve() == Path(self.filename).resolve():
            raise FileAccessError(f"{target}: cannot copy a file onto itself")
        self.flush()
        if self._impl.name == "tables":
            self._file.copy_file(str(target), overwrite=True)
            return
        copy = getattr(self._impl, "copy_to_h5py", None)
        if copy is not None:  # remote files (h5pyd): h5py cannot copy their objects
            copy(self._file, str(target))
            return
        import h5py

        src = self._file
        with h5py.File(target, "w") as dst:
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            for name in src:
                src.copy(src[name], dst, name=name)

    # -- attributes ----------------------------------------------------------------------
    def get_attr(self, node: str | Node, attr_name: str | None = None) -> object:
        """One decoded attribute, or every attribute as a dict when ``attr_name`` is None."""
        node = self.get_node(node)
        if attr_name is None:
            return node.attrs.to_dict()
        return node.attrs[attr_name]

    def set_attr(self, node: str | Node, attr_name: str, attr_value: object) -> None:
        """JSON-encode and store an attribute."""
        self.get_node(node).attrs[attr_name] = attr_value

    def has_attr(self, node: str | Node, attr_name: str) -> bool:
        """Whether the node carries the attribute."""
        return attr_name in self.get_node(node).attrs

    def define_compression(self, compression: str | None, compression_opts: int | None) -> None:
        """Compression for arrays created from now on (``'gzip'``/``'zlib'``, level 0-9)."""
        self._storage = Backend.normalise_storage(compression, compression_opts)

    @property
    def storage(self) -> Storage:
        """The storage policy set by :meth:`define_compression`."""
        return self._storage

    # -- navigation ----------------------------------------------------------------------
    def get_node(self, where: str | Node, name: str | None = None) -> Node:
        """The wrapper of the node at ``where`` (a path or a Node), or its child ``name``."""
        if isinstance(where, Node) and name is None:
            return where
        path = where.path if isinstance(where, Node) else str(where)
        if name is not None:
            path = join_path(path, name)
        try:
            raw = self._impl.get(self._require_open(), path)
        except KeyError:
            raise NodeError(f"no node at {path!r} in {self.filename}") from None
        return wrap(raw, self._impl)

    def get_node_name(self, node: str | Node) -> str:
        """Last component of a node's path."""
        return self.get_node(node).name

    def get_node_path(self, node: str | Node) -> str:
        """Absolute path of a node."""
        return self.get_node(node).path

    def get_parent_node(self, node: str | Node) -> GROUP | None:
        """Parent group of a node (None for the root)."""
        return self.get_node(node).parent_node

    def get_children(self, where: str | Node) -> dict[str, Node]:
        """Children of a group by name (``{}`` for arrays)."""
        node = self.get_node(where)
        return node.children() if isinstance(node, GROUP) else {}

    def is_node_in_group(self, where: str | Node, name: str) -> bool:
        """Whether ``where`` has a child called ``name`` (case-insensitive)."""
        node = self.get_node(where)
        if not isinstance(node, GROUP):
            return False
        low = name.lower()
        return any(child.lower() == low for child in node.children_name())

    def get_set_group(
        self, where: str | Node, name: str, title: str = "", **kwargs: object
    ) -> GROUP:
        """The group ``where/name``, created with ``title`` if absent.

        Keyword arguments become native attributes set only when the group lacks them.
        """
        parent = self.get_node(where)
        kids = self._impl.children(parent.node)
        if name in kids:
            raw = kids[name]
        else:
            raw = self._impl.create_group(parent.node, name, title)
        for key, value in kwargs.items():
            if not self._impl.has_attr(raw, key):
                self._impl.set_attr(raw, key, value)
        return GROUP(raw, self._impl)

    def get_group_by_title(self, where: str | Node, title: str) -> GROUP | None:
        """The first child group whose ``TITLE`` is ``title``, or None."""
        for child in self.get_children(where).values():
            if isinstance(child, GROUP) and child.title == title:
                return child
        return None

    def walk_groups(self, where: str | Node = "/") -> Iterator[GROUP]:
        """``where`` then every group below it, depth first, children in name order.

        Each group once: a group reached again through another link (a hard-link cycle,
        a soft link to an ancestor) is not walked again, so the walk always ends.
        """
        node = self.get_node(where)
        if not isinstance(node, GROUP):
            return
        impl = self._impl
        seen = {impl.object_key(node.node)}
        stack = [node.node]
        while stack:
            raw = stack.pop()
            yield GROUP(raw, impl)
            kids = [k for k in impl.children(raw).values() if impl.is_group(k)]
            stack.extend(reversed(_first_visits(impl, kids, seen)))

    def walk_nodes(
        self, where: str | Node = "/", depth: int | None = None, only_groups: bool = False
    ) -> Iterator[Node]:
        """``where``, then the children of each group of :meth:`walk_groups`.

        ``depth`` limits how far below ``where`` nodes are yielded (0: ``where`` only).
        """
        start = self.get_node(where)
        if not only_groups or isinstance(start, GROUP):
            yield start
        if depth == 0 or not isinstance(start, GROUP):
            return
        # One pass, each group's children listed once (walk_groups would list them twice);
        # the order is walk_groups' (depth first, children in name order).
        impl = self._impl
        # Groups reached again through another link (a hard-link cycle, a soft link to an
        # ancestor) are yielded where the link is but not walked again: the walk ends.
        seen = {impl.object_key(start.node)}
        stack: list[tuple[LibraryHandle, int]] = [(start.node, 0)]
        while stack:
            raw_group, gdepth = stack.pop()
            kids = list(impl.children(raw_group).values())
            if depth is None or gdepth + 1 <= depth:
                for raw in kids:
                    if only_groups and not impl.is_group(raw):
                        continue
                    yield wrap(raw, impl)
            if depth is None or gdepth + 2 <= depth:  # deeper groups would yield nothing
                groups = _first_visits(impl, [k for k in kids if impl.is_group(k)], seen)
                stack.extend((k, gdepth + 1) for k in reversed(groups))

    def read(self, array: str | Node, *args: object, **kwargs: object) -> LibraryValue:
        """The content of an array node."""
        node = self.get_node(array)
        if not isinstance(node, CARRAY):
            raise NodeError(f"{node.path} is not an array")
        return node.read()

    # -- creation --------------------------------------------------------------------------
    def _array_attrs(
        self, raw: LibraryHandle, shape: tuple[int, ...], dtype: np.dtype, subdtype: str = ""
    ) -> None:
        impl = self._impl
        impl.set_attr(raw, "shape", encode_json(tuple(int(n) for n in shape)))
        impl.set_attr(raw, "dtype", encode_json(np.dtype(dtype).name))
        impl.set_attr(raw, "subdtype", encode_json(subdtype))
        impl.set_attr(raw, "backend", encode_json(impl.name))

    def create_carray(
        self,
        where: str | Node,
        name: str,
        obj: np.ndarray | None = None,
        title: str = "",
        *,
        shape: tuple[int, ...] | None = None,
        dtype: npt.DTypeLike | None = None,
        fill_value: object = None,
        storage: Storage | None = None,
    ) -> CARRAY:
        """A fixed-size array: ``obj``, or ``shape``/``dtype`` reading as ``fill_value``."""
        if obj is None and shape is None:
            raise ValueError("create_carray needs the array to store (obj) or its shape")
        parent = self.get_node(where)
        store = storage if storage is not None else self.storage
        if obj is not None:
            data = np.asarray(obj)
            raw = self._impl.create_carray(parent.node, name, data=data, title=title, storage=store)
            self._array_attrs(raw, data.shape, data.dtype)
        else:
            dt = np.dtype(dtype if dtype is not None else "float64")
            assert shape is not None
            raw = self._impl.create_carray(
                parent.node,
                name,
                data=None,
                shape=tuple(shape),
                dtype=dt,
                fill_value=fill_value,
                title=title,
                storage=store,
            )
            self._array_attrs(raw, tuple(shape), dt)
        return CARRAY(raw, self._impl)

    def create_earray(
        self,
        where: str | Node,
        name: str,
        dtype: npt.DTypeLike,
        data_shape: tuple[int, ...] | None = None,
        title: str = "",
        expected_rows: int | None = None,
    ) -> EARRAY:
        """An array of shape ``(0, *data_shape)`` growing along dimension 0."""
        row_shape = tuple(int(n) for n in (data_shape or ()))
        dt = np.dtype(dtype)
        parent = self.get_node(where)
        raw = self._impl.create_earray(
            parent.node,
            name,
            dtype=dt,
            row_shape=row_shape,
            title=title,
            storage=self.storage,
            expected_rows=expected_rows,
        )
        self._array_attrs(raw, (0, *row_shape), dt)
        return EARRAY(raw, self._impl)

    def create_vlarray(
        self, where: str | Node, name: str, dtype: npt.DTypeLike, title: str = ""
    ) -> VLARRAY:
        """A 1D array of variable-length rows; ``dtype='string'`` makes a string array."""
        is_string = isinstance(dtype, str) and dtype == "string"
        dt = np.dtype("uint8") if is_string else np.dtype(dtype)
        parent = self.get_node(where)
        raw = self._impl.create_vlarray(
            parent.node, name, dtype=dt, title=title, storage=self._storage
        )
        self._array_attrs(raw, (0,), dt, "string" if is_string else "")
        return StringARRAY(raw, self._impl) if is_string else VLARRAY(raw, self._impl)

    def add_group(
        self,
        name: str,
        group_type: GroupTypeLike,
        where: str | Node,
        title: str = "",
        metadata: Mapping[str, object] | None = None,
    ) -> GROUP:
        """A group ``capitalize(name)`` with ``type``, ``backend`` and metadata attributes.

        An existing group of that name is returned as is. An unknown ``group_type`` raises
        :class:`InvalidGroupType` before anything is written.
        """
        type_name = writable_group_type(group_type)
        parent = self.get_node(where)
        name = capitalize(name)
        kids = self._impl.children(parent.node)
        if name in kids:
            return GROUP(kids[name], self._impl)
        group = GROUP(self._impl.create_group(parent.node, name, title), self._impl)
        group.attrs["type"] = type_name
        for key, value in (metadata or {}).items():
            group.attrs[key] = value
        group.attrs["backend"] = self._impl.name
        return group

    # -- SWMR ------------------------------------------------------------------------------
    def is_swmr_capable(self) -> bool:
        """Whether this backend can write SWMR files."""
        return self._impl.swmr_capable

    def is_swmr_compatible(self) -> bool:
        """Whether the open file was created for SWMR (root ``swmr_compatible``)."""
        if not self.isopen():
            return False
        root = self._impl.root(self._file)
        try:
            return bool(read_attr(self._impl.get_attr(root, "swmr_compatible")))
        except KeyError:
            return False

    def is_swmr_active(self) -> bool:
        """Whether the writer has switched the file to SWMR mode."""
        return bool(self.isopen() and getattr(self._file, "swmr_mode", False) is True)

    def enable_swmr(self) -> None:
        """Switch to SWMR writing (create every node first). Idempotent."""
        if not self._impl.swmr_capable:
            raise BackendError(f"SWMR needs the h5py backend, not {self._impl.name!r}")
        if not self.isopen() or not self._swmr_mode:
            raise FileAccessError("enable_swmr needs a file opened with swmr_mode=True for writing")
        if self.is_swmr_active():
            return
        self._impl.set_attr(self._impl.root(self._file), "swmr_active", np.bool_(True))
        self._file.flush()
        self._file.swmr_mode = True

    def reconcile_swmr_attrs(self) -> list[str]:
        """Clear ``swmr_active`` and fix ``shape`` (and axis ``size``) from the real data.

        Returns the paths whose attributes changed.
        """
        return reconcile(self)

    def finalize_swmr(self, keep_open: bool = False) -> None:
        """Close the SWMR writer, reopen normally and reconcile bookkeeping attributes."""
        if not self.isopen():
            return
        path = self.filename
        self.close_file()
        self.open_file(path, "a")
        self.reconcile_swmr_attrs()
        self.flush()
        if not keep_open:
            self.close_file()

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self) -> H5Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def __del__(self) -> None:  # close files a caller forgot, without raising at exit
        if not getattr(self, "_owns_file", True):
            return
        try:
            self.close_file()
        except Exception:
            pass
