"""Node wrappers: the same objects whatever library holds the file.

``GROUP``, ``CARRAY``, ``EARRAY``, ``VLARRAY`` and ``StringARRAY`` wrap a library's raw
object; :class:`Attributes` gives its attributes decoded (the pymodaq JSON envelope and
native attributes alike) and encodes what is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from h5layout.runtime.codec.attrs import encode_json, read_attr
from h5layout.runtime.codec.strings import decode_string_row, encode_string_row
from h5layout.runtime.errors import DataValueError, NodeError
from h5layout.runtime.storage.backends import (
    CARRAY_CLASS,
    EARRAY_CLASS,
    GROUP_CLASS,
    VLARRAY_CLASS,
    Backend,
    get_backend,
)
from h5layout.runtime.storage.growing import LIVE_ATTRS, PENDING, pending

if TYPE_CHECKING:
    from h5layout.runtime.storage.h5backend import H5Backend

#: attributes stored natively (never in the JSON envelope) when set through Attributes
NATIVE_ATTRS = frozenset({"CLASS", "EXTDIM", "VERSION", "PYTABLES_FORMAT_VERSION", "swmr_active"})


def _backend_of(backend: str | Backend) -> Backend:
    return get_backend(backend) if isinstance(backend, str) else backend


class Attributes:
    """The attributes of one node, decoded on read and JSON-encoded on write."""

    __slots__ = ("_backend", "_raw")

    def __init__(self, node: Any, backend: str | Backend = "h5py") -> None:
        self._raw = node.node if isinstance(node, Node) else node
        self._backend = _backend_of(backend)

    @property
    def node(self) -> Node:
        """The node these attributes belong to (a wrapper made on each call)."""
        return wrap(self._raw, self._backend)

    @staticmethod
    def _key(key: str) -> str:
        return "TITLE" if key == "title" else key

    def __getitem__(self, key: str) -> Any:
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

    def __setitem__(self, key: str, value: Any) -> None:
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

    def get(self, key: str, default: Any = None) -> Any:
        """Decoded value, or ``default`` when absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def set_native(self, key: str, value: Any) -> None:
        """Store a value as a native attribute (no JSON envelope)."""
        self._backend.set_attr(self._raw, self._key(key), value)

    def raw(self, key: str) -> Any:
        """The stored value, undecoded."""
        return self._backend.get_attr(self._raw, self._key(key))

    @property
    def attrs_name(self) -> list[str]:
        """Names of every attribute."""
        return self._backend.attr_names(self._raw)

    def to_dict(self) -> dict[str, Any]:
        """Every attribute, decoded."""
        return {name: self[name] for name in self.attrs_name}

    def __repr__(self) -> str:
        return f"Attributes({self.to_dict()!r})"


class Node:
    """Any node of a file.

    ``Node(wrapper)`` wraps the wrapper's raw node again (``Node(Node(x)).node is x``), on
    the wrapper's backend unless ``backend`` names another.
    """

    def __init__(self, node: Any, backend: str | Backend | None = None) -> None:
        if isinstance(node, Node):
            if backend is None:
                backend = node.backend_impl
            node = node.node
        self._node: Any = node
        self._backend: Backend = _backend_of("h5py" if backend is None else backend)
        self._attrs = Attributes(node, self._backend)
        self._path: str | None = None

    @property
    def node(self) -> Any:
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
    def h5file(self) -> Any:
        """The library's file object."""
        return self._backend.file_of(self._node)

    def to_h5_backend(self) -> H5Backend:
        """An :class:`H5Backend` on the same open file."""
        from h5layout.runtime.storage.h5backend import H5Backend

        h5 = H5Backend(self.backend)
        h5._file = self.h5file
        h5._owns_file = False  # a view: garbage collection must not close the caller's file
        return h5

    def set_attr(self, key: str, value: Any) -> None:
        """JSON-encode and store an attribute."""
        self._attrs[key] = value

    def get_attr(self, key: str) -> Any:
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
    def array(self) -> Any:
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

    def read(self) -> Any:
        """The whole array."""
        rows = self._reserved()
        if rows is not None:
            return self._backend.read(self._node, slice(0, rows))
        return self._backend.read(self._node)

    def __getitem__(self, item: Any) -> Any:
        if self._reserved() is not None:
            return self.read()[item]
        return self._backend.read(self._node, item)

    def __setitem__(self, key: Any, value: Any) -> None:
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

    def append(self, data: Any, expand: bool = True) -> None:
        """Append exactly one row."""
        self._backend.vl_append(self._node, np.asarray(data, dtype=self.dtype))
        if not self._swmr_on():
            self._attrs["shape"] = self.shape


class StringARRAY(VLARRAY):
    """Strings, one per row, stored as PyMoDAQ does (read without unpickling)."""

    def append(self, data: Any, expand: bool = True) -> None:
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

    def array_to_string(self, row: Any) -> str:
        """The string a row holds (``UnsafeContentError`` for anything else)."""
        return decode_string_row(row, self.path)

    def read(self) -> list[str]:
        """Every string."""
        return [self.array_to_string(row) for row in self._backend.read(self._node)]

    def __getitem__(self, item: Any) -> Any:
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


def wrap(raw: Any, backend: str | Backend) -> Node:
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
    stack: list[tuple[int, Any, bool]] = [(0, root.node, False)]
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
