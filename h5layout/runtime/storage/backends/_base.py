"""The interface every storage backend implements.

A backend is a stateless adapter between h5layout's node wrappers and one HDF5 library.
It works on that library's raw objects (files, groups, datasets) and never decodes
attributes: the codec in :mod:`h5layout.runtime.codec.attrs` does that above it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from h5layout.runtime.layout.spec import Storage

#: An object of the HDF5 library a backend wraps: an ``h5py`` / ``h5pyd`` ``File``, ``Group``
#: or ``Dataset``, a PyTables ``File`` or ``Node``. Those libraries ship no type stubs, so
#: nothing more precise can be said of their objects: this is the one place that says so
#: (re-exported by :mod:`h5layout.runtime.storage.types`).
LibraryHandle: TypeAlias = Any

#: A value as the HDF5 library reads it (an attribute's, or an array's or part of it): a
#: numpy array or scalar, ``bytes``, ``str``, a list of rows... what the untyped library
#: gives; the codec (:mod:`h5layout.runtime.codec.attrs`) and the readers narrow it.
LibraryValue: TypeAlias = Any


def library_error(what: str, exc: BaseException) -> str:
    """A one-line message for an HDF5 library's error in a backend call ``what``."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    if first.startswith("HDF5 error back trace") and len(lines) > 1:
        # PyTables' HDF5ExtError: the innermost HDF5 message says what is wrong
        inner = [ln for ln in lines if not ln.startswith(("File ", "End of HDF5"))]
        first = inner[-1] if inner else lines[-1]
    if isinstance(exc, MemoryError):
        first = "not enough memory (the file declares sizes too large to read)"
    return f"HDF5 cannot read the file ({what}): {first}; damaged or foreign file?"


#: Node classes as written in the ``CLASS`` attribute.
GROUP_CLASS, CARRAY_CLASS, EARRAY_CLASS, VLARRAY_CLASS = "GROUP", "CARRAY", "EARRAY", "VLARRAY"


#: :attr:`NodeInfo.kind` values
GROUP, ARRAY, DATATYPE = "group", "array", "datatype"
SOFT_LINK, EXTERNAL_LINK, UNREADABLE = "soft-link", "external-link", "unreadable"


@dataclass
class NodeInfo:
    """One node as a metadata walk sees it: what a checker reads, never the data.

    ``kind`` is :data:`GROUP`, :data:`ARRAY`, :data:`DATATYPE` (a named datatype),
    :data:`SOFT_LINK` or :data:`EXTERNAL_LINK` (links are reported, never followed), or
    :data:`UNREADABLE` (the link or the object behind it cannot be read: ``problem`` says
    why). Attribute values are raw, as the library reads them (the codec decodes them).
    """

    #: absolute path (names that are not UTF-8 shown with backslash escapes)
    path: str
    #: last component of ``path``
    name: str
    kind: str
    #: the library's object (pass a group's to :meth:`Backend.scan`); None for links
    node: LibraryHandle = None
    #: identity of the object behind the link (two hard links to one object: equal keys)
    key: Hashable = None
    #: False when the link name is not valid UTF-8 (a name PyTables crashes on)
    name_is_utf8: bool = True
    #: arrays: current and maximum shape (None where unlimited; a finite maximum may differ
    #: between libraries: PyTables gives a fixed array's shape where HDF5 records more)
    shape: tuple[int, ...] = ()
    maxshape: tuple[int | None, ...] = ()
    #: arrays: the element type's name (``float64``; a variable-length array's row
    #: elements; ``str`` for variable-length strings)
    dtype: str = ""
    #: arrays: rows of variable length
    vlen: bool = False
    #: arrays: chunk shape (None: contiguous) and compression filter (``gzip``, ``lzf``,
    #: ``blosc``...; None: uncompressed) with its level or options
    chunks: tuple[int, ...] | None = None
    compression: str | None = None
    compression_opts: object = None
    #: raw attribute values by name (names that are not UTF-8 backslash-escaped)
    attrs: dict[str, LibraryValue] = field(default_factory=dict)
    #: attribute names that are not valid UTF-8 (as they appear in ``attrs``)
    bad_attr_names: list[str] = field(default_factory=list)
    #: attribute name -> why its value cannot be read
    attr_errors: dict[str, str] = field(default_factory=dict)
    #: why the node (kind UNREADABLE) or its attribute list cannot be read
    problem: str | None = None

    @property
    def is_group(self) -> bool:
        """Whether this is a group (one :meth:`Backend.scan` can list)."""
        return self.kind == GROUP


def name_text(name: str | bytes) -> str:
    """A link or attribute name as text (bytes that are not UTF-8 backslash-escaped)."""
    return name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else name


def element_name(dtype: object) -> str:
    """The name of an element type: numpy's (``float64``), ``str``/``bytes`` for strings."""
    if isinstance(dtype, type):  # what h5py gives for variable-length strings
        if issubclass(dtype, str):
            return "str"
        if issubclass(dtype, bytes):
            return "bytes"
        return dtype.__name__
    return str(getattr(dtype, "name", dtype))


class Backend(ABC):
    """One HDF5 library behind the common interface."""

    #: name used by ``H5Backend(backend=...)`` and stored in the ``backend`` attribute
    name: str = ""
    #: whether files can be written and read in SWMR mode
    swmr_capable: bool = False
    #: whether enlargeable arrays may be resized ahead of the data (h5py) rather than
    #: appended to row by row (PyTables buffers appends itself)
    supports_block_growth: bool = False
    #: whether files are local paths (False for a server's domains: no fsync, no probing)
    local_files: bool = True
    #: bytes an attribute's UTF-8 value and name may take together (None: no limit the
    #: savers need to check before writing)
    max_attr_bytes: int | None = None

    # -- files -------------------------------------------------------------------------
    @abstractmethod
    def open(
        self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: object
    ) -> LibraryHandle:
        """Open (or create) a file; returns the library's file object."""

    @abstractmethod
    def close(self, file: LibraryHandle) -> None:
        """Flush and close."""

    @abstractmethod
    def flush(self, file: LibraryHandle) -> None:
        """Hand buffered data to the operating system."""

    @abstractmethod
    def is_open(self, file: LibraryHandle) -> bool:
        """Whether the file object is still open."""

    @abstractmethod
    def filename(self, file: LibraryHandle) -> str:
        """Path of the file."""

    @abstractmethod
    def root(self, file: LibraryHandle) -> LibraryHandle:
        """The root group."""

    @abstractmethod
    def file_of(self, node: LibraryHandle) -> LibraryHandle:
        """The file object a node belongs to."""

    @abstractmethod
    def is_writable(self, file: LibraryHandle) -> bool:
        """Whether the file was opened with write intent."""

    # -- navigation --------------------------------------------------------------------
    @abstractmethod
    def get(self, file: LibraryHandle, path: str) -> LibraryHandle:
        """The raw node at an absolute path (``KeyError`` when absent)."""

    @abstractmethod
    def is_group(self, node: LibraryHandle) -> bool:
        """Whether the raw node is a group."""

    @abstractmethod
    def node_name(self, node: LibraryHandle) -> str:
        """Last component of the node's path (``'/'`` for the root)."""

    @abstractmethod
    def node_path(self, node: LibraryHandle) -> str:
        """Absolute path of the node."""

    @abstractmethod
    def parent(self, node: LibraryHandle) -> LibraryHandle:
        """The parent group (the root's parent is the root)."""

    @abstractmethod
    def children(self, group: LibraryHandle) -> dict[str, LibraryHandle]:
        """Children of a group, by name, sorted by name.

        Hard links and soft links that resolve; never a dangling or looping soft link, and
        never an external link unless the file was opened with ``external_links=True``.
        """

    def object_key(self, node: LibraryHandle) -> Hashable:
        """A hashable identity of the object behind ``node`` (file and address): two
        links to one object give equal keys, which is how walks notice cycles."""
        return self.node_path(node)

    # -- metadata walks (what validate reads: no data) --------------------------------
    @abstractmethod
    def describe(self, node: LibraryHandle) -> NodeInfo:
        """What :meth:`scan` tells of a child, for ``node`` itself (the root, usually)."""

    @abstractmethod
    def scan(self, group: LibraryHandle) -> list[NodeInfo]:
        """Every link of a group, sorted by name, with the metadata of the object behind
        each hard link (attributes read, array shape, dtype, storage; no data).

        Soft and external links are entries of their own kind, never followed; a link or
        object that cannot be read is an :data:`UNREADABLE` entry saying why. Raises
        :class:`~h5layout.runtime.errors.FileAccessError` (with the library's message) when
        the group itself cannot be listed.
        """

    def walk(
        self, file: LibraryHandle, descend: Callable[[NodeInfo], bool] | None = None
    ) -> Iterator[NodeInfo]:
        """Every node of a file: the root, then each group's entries (in name order) as
        the walk reaches the group, groups entered depth first.

        ``descend`` decides whether the walk enters a group (default: every group). Each
        group is entered once however many hard links reach it (cycles end there).
        """
        root = self.describe(self.root(file))
        yield root
        seen = {root.key}
        stack = [root]
        while stack:
            group = stack.pop()
            found = self.scan(group.node)
            yield from found
            for info in reversed(found):
                if info.is_group and info.key not in seen and (descend is None or descend(info)):
                    seen.add(info.key)
                    stack.append(info)

    @abstractmethod
    def remove(self, node: LibraryHandle) -> None:
        """Delete a node (and everything below it)."""

    # -- attributes (raw values; no decoding) -------------------------------------------
    @abstractmethod
    def attr_names(self, node: LibraryHandle) -> list[str]:
        """Names of every attribute of the node, system attributes included."""

    @abstractmethod
    def get_attr(self, node: LibraryHandle, name: str) -> LibraryValue:
        """Raw value of an attribute (``KeyError`` when absent)."""

    @abstractmethod
    def set_attr(self, node: LibraryHandle, name: str, value: object) -> None:
        """Store a value as the library stores it natively (str → string attribute)."""

    @abstractmethod
    def has_attr(self, node: LibraryHandle, name: str) -> bool:
        """Whether the attribute exists."""

    @abstractmethod
    def del_attr(self, node: LibraryHandle, name: str) -> None:
        """Delete an attribute."""

    # -- creation ----------------------------------------------------------------------
    @abstractmethod
    def create_group(self, parent: LibraryHandle, name: str, title: str) -> LibraryHandle:
        """A new group with ``CLASS``/``TITLE``."""

    @abstractmethod
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
        """A fixed-size array from ``data``, or of ``shape``/``dtype`` holding ``fill_value``."""

    @abstractmethod
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
        """An array of shape ``(0, *row_shape)`` that grows along dimension 0."""

    @abstractmethod
    def create_vlarray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        dtype: np.dtype,
        title: str = "",
        storage: Storage | None = None,
    ) -> LibraryHandle:
        """A 1D array of variable-length rows of ``dtype``."""

    # -- data --------------------------------------------------------------------------
    @abstractmethod
    def node_class(self, node: LibraryHandle) -> str:
        """``GROUP``, ``CARRAY``, ``EARRAY`` or ``VLARRAY`` guessed from the storage."""

    @abstractmethod
    def shape(self, array: LibraryHandle) -> tuple[int, ...]:
        """Current shape of an array."""

    @abstractmethod
    def dtype(self, array: LibraryHandle) -> np.dtype:
        """Element dtype (for VLARRAYs: the dtype of one row's elements)."""

    @abstractmethod
    def maxshape(self, array: LibraryHandle) -> tuple[int | None, ...]:
        """Maximum shape (None where unlimited)."""

    @abstractmethod
    def chunks(self, array: LibraryHandle) -> tuple[int, ...] | None:
        """Chunk shape, None for contiguous storage."""

    @abstractmethod
    def read(self, array: LibraryHandle, selection: object = Ellipsis) -> LibraryValue:
        """Read (part of) an array; VLARRAYs give a list of 1D arrays."""

    @abstractmethod
    def write(self, array: LibraryHandle, selection: object, value: object) -> None:
        """Write into (part of) an array."""

    @abstractmethod
    def append(self, array: LibraryHandle, rows: np.ndarray) -> None:
        """Append ``rows`` (shape ``(n, *row_shape)``) to an enlargeable array."""

    @abstractmethod
    def resize(self, array: LibraryHandle, nrows: int) -> None:
        """Set the number of rows of an enlargeable array (grow or trim)."""

    @abstractmethod
    def vl_append(self, array: LibraryHandle, row: np.ndarray) -> None:
        """Append one variable-length row."""

    # -- compression -------------------------------------------------------------------
    @staticmethod
    def normalise_storage(compression: str | None, level: int | None) -> Storage:
        """A :class:`Storage` from ``define_compression`` arguments."""
        if not compression or level == 0:
            return Storage()
        return Storage(compression=compression, level=5 if level is None else int(level))
