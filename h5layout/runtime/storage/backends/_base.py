"""The interface every storage backend implements.

A backend is a stateless adapter between h5layout's node wrappers and one HDF5 library.
It works on that library's raw objects (files, groups, datasets) and never decodes
attributes: the codec in :mod:`h5layout.runtime.codec.attrs` does that above it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from h5layout.runtime.layout.spec import Storage


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
    def open(self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: Any) -> Any:
        """Open (or create) a file; returns the library's file object."""

    @abstractmethod
    def close(self, file: Any) -> None:
        """Flush and close."""

    @abstractmethod
    def flush(self, file: Any) -> None:
        """Hand buffered data to the operating system."""

    @abstractmethod
    def is_open(self, file: Any) -> bool:
        """Whether the file object is still open."""

    @abstractmethod
    def filename(self, file: Any) -> str:
        """Path of the file."""

    @abstractmethod
    def root(self, file: Any) -> Any:
        """The root group."""

    @abstractmethod
    def file_of(self, node: Any) -> Any:
        """The file object a node belongs to."""

    @abstractmethod
    def is_writable(self, file: Any) -> bool:
        """Whether the file was opened with write intent."""

    # -- navigation --------------------------------------------------------------------
    @abstractmethod
    def get(self, file: Any, path: str) -> Any:
        """The raw node at an absolute path (``KeyError`` when absent)."""

    @abstractmethod
    def is_group(self, node: Any) -> bool:
        """Whether the raw node is a group."""

    @abstractmethod
    def node_name(self, node: Any) -> str:
        """Last component of the node's path (``'/'`` for the root)."""

    @abstractmethod
    def node_path(self, node: Any) -> str:
        """Absolute path of the node."""

    @abstractmethod
    def parent(self, node: Any) -> Any:
        """The parent group (the root's parent is the root)."""

    @abstractmethod
    def children(self, group: Any) -> dict[str, Any]:
        """Children of a group, by name, sorted by name.

        Hard links and soft links that resolve; never a dangling or looping soft link, and
        never an external link unless the file was opened with ``external_links=True``.
        """

    def object_key(self, node: Any) -> Any:
        """A hashable identity of the object behind ``node`` (file and address): two
        links to one object give equal keys, which is how walks notice cycles."""
        return self.node_path(node)

    @abstractmethod
    def remove(self, node: Any) -> None:
        """Delete a node (and everything below it)."""

    # -- attributes (raw values; no decoding) -------------------------------------------
    @abstractmethod
    def attr_names(self, node: Any) -> list[str]:
        """Names of every attribute of the node, system attributes included."""

    @abstractmethod
    def get_attr(self, node: Any, name: str) -> Any:
        """Raw value of an attribute (``KeyError`` when absent)."""

    @abstractmethod
    def set_attr(self, node: Any, name: str, value: Any) -> None:
        """Store a value as the library stores it natively (str → string attribute)."""

    @abstractmethod
    def has_attr(self, node: Any, name: str) -> bool:
        """Whether the attribute exists."""

    @abstractmethod
    def del_attr(self, node: Any, name: str) -> None:
        """Delete an attribute."""

    # -- creation ----------------------------------------------------------------------
    @abstractmethod
    def create_group(self, parent: Any, name: str, title: str) -> Any:
        """A new group with ``CLASS``/``TITLE``."""

    @abstractmethod
    def create_carray(
        self,
        parent: Any,
        name: str,
        *,
        data: np.ndarray | None,
        shape: tuple[int, ...] | None = None,
        dtype: np.dtype | None = None,
        fill_value: Any = None,
        title: str = "",
        storage: Storage | None = None,
    ) -> Any:
        """A fixed-size array from ``data``, or of ``shape``/``dtype`` holding ``fill_value``."""

    @abstractmethod
    def create_earray(
        self,
        parent: Any,
        name: str,
        *,
        dtype: np.dtype,
        row_shape: tuple[int, ...],
        title: str = "",
        storage: Storage | None = None,
        expected_rows: int | None = None,
    ) -> Any:
        """An array of shape ``(0, *row_shape)`` that grows along dimension 0."""

    @abstractmethod
    def create_vlarray(
        self,
        parent: Any,
        name: str,
        *,
        dtype: np.dtype,
        title: str = "",
        storage: Storage | None = None,
    ) -> Any:
        """A 1D array of variable-length rows of ``dtype``."""

    # -- data --------------------------------------------------------------------------
    @abstractmethod
    def node_class(self, node: Any) -> str:
        """``GROUP``, ``CARRAY``, ``EARRAY`` or ``VLARRAY`` guessed from the storage."""

    @abstractmethod
    def shape(self, array: Any) -> tuple[int, ...]:
        """Current shape of an array."""

    @abstractmethod
    def dtype(self, array: Any) -> np.dtype:
        """Element dtype (for VLARRAYs: the dtype of one row's elements)."""

    @abstractmethod
    def maxshape(self, array: Any) -> tuple[int | None, ...]:
        """Maximum shape (None where unlimited)."""

    @abstractmethod
    def chunks(self, array: Any) -> tuple[int, ...] | None:
        """Chunk shape, None for contiguous storage."""

    @abstractmethod
    def read(self, array: Any, selection: Any = Ellipsis) -> Any:
        """Read (part of) an array; VLARRAYs give a list of 1D arrays."""

    @abstractmethod
    def write(self, array: Any, selection: Any, value: Any) -> None:
        """Write into (part of) an array."""

    @abstractmethod
    def append(self, array: Any, rows: np.ndarray) -> None:
        """Append ``rows`` (shape ``(n, *row_shape)``) to an enlargeable array."""

    @abstractmethod
    def resize(self, array: Any, nrows: int) -> None:
        """Set the number of rows of an enlargeable array (grow or trim)."""

    @abstractmethod
    def vl_append(self, array: Any, row: np.ndarray) -> None:
        """Append one variable-length row."""

    # -- compression -------------------------------------------------------------------
    @staticmethod
    def normalise_storage(compression: str | None, level: int | None) -> Storage:
        """A :class:`Storage` from ``define_compression`` arguments."""
        if not compression or level == 0:
            return Storage()
        return Storage(compression=compression, level=5 if level is None else int(level))
